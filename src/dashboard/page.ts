/**
 * The dashboard page's markup and style: static text only (every value from the fleet arrives as
 * JSON over the event stream and is put on the page as text by the script), no CDN, no build step.
 * @packageDocumentation
 */

/** The page. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>graylane dashboard</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<a class="skip" href="#stages-h">Skip to stages</a>
<header>
  <h1>graylane lanes</h1>
  <p id="conn" role="status">Connecting…</p>
  <p id="registry"></p>
</header>
<main>
  <section aria-labelledby="graph-h">
    <h2 id="graph-h">Lane graph</h2>
    <p class="legend">Solid line: calls served by their own stage. <span class="fallback-key">Dashed line: fallback</span> (served by the default stage). <span class="refused-key">Dotted line: refused</span> (strict). Line width grows with calls per second.</p>
    <div id="graph"></div>
    <h3 id="edges-h">Edges</h3>
    <ul id="edges" aria-labelledby="edges-h"></ul>
  </section>
  <section aria-labelledby="stages-h">
    <h2 id="stages-h" tabindex="-1">Stages</h2>
    <p id="limits"></p>
    <p id="mode"></p>
    <p id="token-row" hidden><label for="token">Action token</label> <input id="token" type="password" autocomplete="off" spellcheck="false"></p>
    <table id="stages">
      <caption>Per service and stage, over the window</caption>
      <thead><tr><th scope="col">Service</th><th scope="col">Stage</th><th scope="col">Instances</th><th scope="col">Calls/s</th><th scope="col">Error ratio</th><th scope="col">p99</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section aria-labelledby="rules-h">
    <h2 id="rules-h">Rules</h2>
    <table id="rules">
      <thead><tr><th scope="col">Service</th><th scope="col">Fallback</th><th scope="col">Strict stages</th><th scope="col">Disabled stages</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section aria-labelledby="rollouts-h">
    <h2 id="rollouts-h">Rollouts</h2>
    <div id="rollouts"></div>
  </section>
  <section aria-labelledby="trace-h" id="trace-section">
    <h2 id="trace-h">Trace one request</h2>
    <form id="trace-form">
      <p><label for="trace-target">Target (host:port or http(s):// URL of an edge)</label><br><input id="trace-target" required size="48"></p>
      <p><label for="trace-method">gRPC method (gRPC targets), e.g. /pkg.Service/Method</label><br><input id="trace-method" size="48"></p>
      <p><label for="trace-stage">Stage</label><br><input id="trace-stage" value="canary" size="16"></p>
      <p><label for="trace-headers">Headers, one per line: name: value</label><br><textarea id="trace-headers" rows="3" cols="48"></textarea></p>
      <p><button type="submit">Trace</button></p>
    </form>
    <div id="trace-out" aria-live="polite"></div>
  </section>
  <section aria-labelledby="sources-h">
    <h2 id="sources-h">Metrics sources</h2>
    <ul id="sources"></ul>
  </section>
</main>
<p id="announce" role="status" aria-live="polite"></p>
<dialog id="confirm" aria-labelledby="confirm-text">
  <p id="confirm-text"></p>
  <p><button type="button" id="confirm-cancel">Cancel</button> <button type="button" id="confirm-ok">Confirm</button></p>
</dialog>
</body>
</html>
`;

/** The page's style: high-contrast colours, each paired with words on the page. */
export const PAGE_CSS = `:root { color-scheme: light; --fg: #111; --bg: #fff; --muted: #444; --bad: #a30015; --good: #1b5e20; --warn: #7a4100; --canary: #8a4b00; --fallback: #5b1a8c; --line: #555; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0 1.5rem 2rem; }
h1 { font-size: 1.4rem; margin: 1rem 0 .2rem; } h2 { font-size: 1.15rem; margin: 1.6rem 0 .4rem; border-bottom: 1px solid #ccc; } h3 { font-size: 1rem; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: .5rem; background: #ffd; padding: .3rem; }
:focus-visible { outline: 3px solid #0b57d0; outline-offset: 2px; }
table { border-collapse: collapse; min-width: 60%; } th, td { border: 1px solid #bbb; padding: .25rem .5rem; text-align: left; vertical-align: top; }
caption { text-align: left; color: var(--muted); padding-bottom: .2rem; }
.bad { color: var(--bad); font-weight: 600; } .good { color: var(--good); } .muted { color: var(--muted); } .warn { color: var(--warn); font-weight: 600; }
.legend { color: var(--muted); } .fallback-key { color: var(--fallback); } .refused-key { color: var(--bad); }
#graph svg { max-width: 100%; height: auto; border: 1px solid #ddd; background: #fcfcfc; }
.node rect.box { fill: #fff; stroke: #333; } .node text { font-size: 12px; fill: var(--fg); } .node .title { font-weight: 700; font-size: 13px; }
.row-bad { fill: #fde7ea; } .row-ok { fill: #edf6ee; } .row-none { fill: #f3f3f3; } .row-disabled { fill: #e6e6e6; }
.edge { fill: none; stroke: var(--line); } .edge.canary { stroke: var(--canary); } .edge.fallback { stroke: var(--fallback); stroke-dasharray: 7 4; } .edge.refused { stroke: var(--bad); stroke-dasharray: 2 3; }
.edge-label { font-size: 11px; fill: var(--fg); paint-order: stroke; stroke: #fff; stroke-width: 3px; }
button { font: inherit; padding: .15rem .6rem; } button.danger { border: 2px solid var(--bad); color: var(--bad); background: #fff; }
dialog { border: 2px solid #333; padding: 1rem 1.4rem; } dialog::backdrop { background: rgba(0,0,0,.4); }
#announce { position: sticky; bottom: 0; background: #fff; margin: 0; padding: .3rem 0; font-weight: 600; }
pre { background: #f4f4f4; padding: .5rem; overflow-x: auto; }
`;
