/**
 * The dashboard page's script (plain browser JavaScript, served as `/app.js`): renders the state
 * from the event stream with DOM text nodes only — never `innerHTML` — so a value from the
 * registry, the metrics or a trace is always shown as text.
 * @packageDocumentation
 */

/** The script. Hand-written; kept free of template-literal syntax so it can live in this string. */
export const PAGE_JS = String.raw`'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var SVG = 'http://www.w3.org/2000/svg';
  var state = null;
  var pending = null;

  function el(tag, attrs) {
    var node = document.createElement(tag);
    set(node, attrs);
    for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
    return node;
  }
  function sv(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    set(node, attrs);
    for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
    return node;
  }
  function set(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) { if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, String(attrs[k])); });
  }
  function add(node, child) {
    if (child === undefined || child === null || child === false) return;
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function rate(r) { return r === undefined || r === null ? 'no data' : (r < 10 ? r.toFixed(2) : r.toFixed(1)) + '/s'; }
  function pct(r) { return r === undefined || r === null ? 'no data' : (r * 100).toFixed(2) + ' %'; }
  function ms(v) { return v === undefined || v === null ? 'no data' : v < 1000 ? v.toFixed(0) + ' ms' : (v / 1000).toFixed(2) + ' s'; }
  function verdictText(s, t) {
    if (s.disabled) return 'Disabled';
    if (s.verdict === 'error-rate') return 'Error ratio over ' + pct(t.maxErrorRate);
    if (s.verdict === 'p99') return 'p99 over ' + ms(t.maxP99Ms);
    if (s.verdict === 'no-data') return 'No calls in window';
    return 'OK';
  }
  function verdictClass(s) { return s.disabled ? 'muted' : s.verdict === 'ok' ? 'good' : s.verdict === 'no-data' ? 'muted' : 'bad'; }
  function key(parts) { return JSON.stringify(parts); }
  function short(text, max) { return text.length > max ? text.slice(0, max - 1) + '…' : text; }

  // Remembers which action button had focus so a refresh does not throw keyboard users out; when
  // that button is gone (a paused rollout offers Resume, not Pause), another of its row takes it.
  function focusedKey() { var a = document.activeElement; return a && a.dataset && a.dataset.key ? { key: a.dataset.key, row: a.dataset.row } : null; }
  function refocus(k) {
    if (!k) return;
    var buttons = document.querySelectorAll('button[data-key]');
    for (var i = 0; i < buttons.length; i++) if (buttons[i].dataset.key === k.key) { buttons[i].focus(); return; }
    if (k.row) for (var j = 0; j < buttons.length; j++) if (buttons[j].dataset.row === k.row) { buttons[j].focus(); return; }
  }

  function renderGraph(s) {
    var host = $('graph');
    clear(host);
    var names = s.services.map(function (x) { return x.name; });
    var depth = Object.create(null);
    names.forEach(function (n) { depth[n] = 0; });
    for (var round = 0; round < names.length; round++) {
      var changed = false;
      s.edges.forEach(function (e) {
        if (e.from !== e.to && depth[e.to] < depth[e.from] + 1 && depth[e.from] + 1 < names.length) { depth[e.to] = depth[e.from] + 1; changed = true; }
      });
      if (!changed) break;
    }
    var W = 250, ROW = 20, HEAD = 26, GAP_X = 170, GAP_Y = 24, PAD = 16;
    var cols = [], pos = Object.create(null);
    s.services.forEach(function (svc) {
      var c = depth[svc.name];
      cols[c] = cols[c] || [];
      cols[c].push(svc);
    });
    var height = 0;
    cols.forEach(function (col, ci) {
      var y = PAD;
      (col || []).forEach(function (svc) {
        var h = HEAD + Math.max(1, svc.stages.length) * ROW + 6;
        var rows = Object.create(null);
        svc.stages.forEach(function (st, i) { rows[st.stage] = y + HEAD + i * ROW + ROW / 2; });
        pos[svc.name] = { x: PAD + ci * (W + GAP_X), y: y, h: h, rows: rows, svc: svc };
        y += h + GAP_Y;
      });
      height = Math.max(height, y);
    });
    var width = PAD * 2 + cols.length * W + Math.max(0, cols.length - 1) * GAP_X;
    var svg = sv('svg', { viewBox: '0 0 ' + Math.max(width, 300) + ' ' + Math.max(height, 80), width: Math.max(width, 300), role: 'img', 'aria-labelledby': 'graph-title' },
      sv('title', { id: 'graph-title' }, s.services.length + ' services and ' + s.edges.length + ' edges; the same content as text in the Edges list and the Stages table'));
    s.edges.forEach(function (e) {
      var a = pos[e.from], b = pos[e.to];
      if (!a || !b) return;
      var toStage = e.kind === 'fallback' ? (b.svc.stages[0] ? b.svc.stages[0].stage : e.stage) : e.stage;
      var y1 = a.rows[e.stage] !== undefined ? a.rows[e.stage] : a.y + a.h / 2;
      var y2 = b.rows[toStage] !== undefined ? b.rows[toStage] : b.y + b.h / 2;
      var x1 = a.x + W, x2 = b.x;
      var mid = (x1 + x2) / 2;
      var width = 1 + Math.min(8, Math.log2(1 + (e.rate || 0)));
      var cls = 'edge ' + (e.kind === 'lane' ? (e.stage === 'stable' ? 'stable' : 'canary') : e.kind);
      svg.appendChild(sv('path', { d: 'M' + x1 + ' ' + y1 + ' C' + mid + ' ' + y1 + ' ' + mid + ' ' + y2 + ' ' + x2 + ' ' + y2, class: cls, 'stroke-width': width.toFixed(1) }));
      svg.appendChild(sv('text', { x: x1 + 6, y: y1 - 4, class: 'edge-label' }, e.stage + ' ' + rate(e.rate) + (e.kind === 'lane' ? '' : ' ' + e.kind)));
    });
    Object.keys(pos).forEach(function (n) {
      var p = pos[n];
      var g = sv('g', { class: 'node' },
        sv('rect', { class: 'box', x: p.x, y: p.y, width: W, height: p.h, rx: 6 }),
        sv('text', { class: 'title', x: p.x + 8, y: p.y + 17 }, sv('title', null, p.svc.name), short(p.svc.name, p.svc.inRegistry ? 34 : 16) + (p.svc.inRegistry ? '' : ' (unregistered)')));
      p.svc.stages.forEach(function (st) {
        var y = p.rows[st.stage];
        var cls = st.disabled ? 'row-disabled' : st.verdict === 'ok' ? 'row-ok' : st.verdict === 'no-data' ? 'row-none' : 'row-bad';
        g.appendChild(sv('rect', { class: cls, x: p.x + 1, y: y - ROW / 2, width: W - 2, height: ROW }));
        g.appendChild(sv('text', { x: p.x + 8, y: y + 4 }, st.stage + ' ×' + st.instances.length + (st.disabled ? ' DISABLED' : '') + ' · ' + rate(st.rate) + ' · ' + pct(st.errorRatio) + (st.verdict === 'error-rate' || st.verdict === 'p99' ? ' ⚠' : '')));
      });
      svg.appendChild(g);
    });
    host.appendChild(svg);
    var list = $('edges');
    clear(list);
    if (s.edges.length === 0) list.appendChild(el('li', { class: 'muted' }, 'No calls between services measured yet (give --metrics URLs of the calling services).'));
    s.edges.forEach(function (e) {
      list.appendChild(el('li', { class: e.kind === 'lane' ? '' : e.kind === 'fallback' ? 'warn' : 'bad' },
        e.from + ' → ' + e.to + ': ' + e.stage + ' calls ' + rate(e.rate) + ', errors ' + pct(e.errorRatio) +
        (e.kind === 'fallback' ? ' — fallback: served by the default stage' : e.kind === 'refused' ? ' — refused: strict, no ' + e.stage + ' instance' : '')));
    });
  }

  function renderStages(s) {
    var t = s.thresholds;
    $('limits').textContent = 'Guard limits: error ratio ' + pct(t.maxErrorRate) + ', p99 ' + ms(t.maxP99Ms) + '; window ' + (t.windowMs / 1000) + ' s.';
    $('mode').textContent = s.actions ? 'Actions enabled: enter the token, then disable (roll back) or enable (resume) a stage, or pause, resume or roll back a rollout below; each asks for confirmation.' : 'Read-only: start the dashboard with a token to enable actions.';
    $('token-row').hidden = !s.actions;
    var body = document.querySelector('#stages tbody');
    clear(body);
    s.services.forEach(function (svc) {
      if (svc.stages.length === 0) body.appendChild(el('tr', null, el('th', { scope: 'row' }, svc.name), el('td', { colspan: 7, class: 'muted' }, 'no instances')));
      svc.stages.forEach(function (st) {
        var action = null;
        if (s.actions && st.stage !== 'stable' && (st.instances.length > 0 || st.disabled)) {
          var verb = st.disabled ? 'Enable' : 'Disable';
          action = el('button', { type: 'button', class: st.disabled ? '' : 'danger', 'data-key': key([svc.name, st.stage]) }, verb + ' ' + st.stage + ' of ' + svc.name);
          action.addEventListener('click', function () { askStage(svc.name, st.stage, !st.disabled); });
        }
        body.appendChild(el('tr', null,
          el('th', { scope: 'row' }, svc.name),
          el('td', null, st.stage),
          el('td', null, st.instances.length === 0 ? 'none (served by the default stage or refused)' : st.instances.map(function (x) { return x.address + (x.weight !== 1 ? ' (w ' + x.weight + ')' : ''); }).join(', ')),
          el('td', null, rate(st.rate)),
          el('td', { class: st.verdict === 'error-rate' ? 'bad' : '' }, pct(st.errorRatio)),
          el('td', { class: st.verdict === 'p99' ? 'bad' : '' }, ms(st.p99Ms)),
          el('td', { class: verdictClass(st) }, verdictText(st, t)),
          el('td', null, action || el('span', { class: 'muted' }, '—'))));
      });
    });
    var rules = document.querySelector('#rules tbody');
    clear(rules);
    s.services.forEach(function (svc) {
      rules.appendChild(el('tr', null, el('th', { scope: 'row' }, svc.name), el('td', null, svc.rules.fallback),
        el('td', null, svc.rules.strictStages.join(', ') || 'none'), el('td', { class: svc.rules.disabledStages.length ? 'warn' : '' }, svc.rules.disabledStages.join(', ') || 'none')));
    });
  }

  function renderRollouts(s) {
    var host = $('rollouts');
    clear(host);
    if (s.rollouts.length === 0) { host.appendChild(el('p', { class: 'muted' }, 'No rollouts in this registry.')); return; }
    var tbody = el('tbody');
    s.rollouts.forEach(function (r) {
      var row = el('tr', null, el('th', { scope: 'row' }, r.name), el('td', null, r.service + ' / ' + r.stage), el('td', null, r.state),
        el('td', null, r.percent + ' % (step ' + (r.step + 1) + ' of ' + r.steps.length + ')'), el('td', null, r.next === undefined || r.next === null ? 'last step' : r.next + ' %'),
        el('td', null, r.decision ? r.decision.action + ': ' + r.decision.reason + ' (' + new Date(r.decision.at).toLocaleTimeString() + ')' : 'none'));
      if (s.actions) {
        var cell = el('td');
        (r.actions || []).forEach(function (a) {
          var b = el('button', { type: 'button', class: a === 'abort' ? 'danger' : '', 'data-key': key(['rollout', r.name, a]), 'data-row': key(['rollout', r.name]) }, ROLLOUT_VERB[a] + ' ' + r.name);
          b.addEventListener('click', function () { askRollout(r, a); });
          if (cell.firstChild) cell.appendChild(document.createTextNode(' '));
          cell.appendChild(b);
        });
        if (!cell.firstChild) cell.appendChild(el('span', { class: 'muted' }, '—'));
        row.appendChild(cell);
      }
      tbody.appendChild(row);
    });
    var head = el('tr');
    ['Rollout', 'Service / stage', 'State', 'Share', 'Next step', 'Last decision'].concat(s.actions ? ['Action'] : []).forEach(function (h) { head.appendChild(el('th', { scope: 'col' }, h)); });
    host.appendChild(el('table', { id: 'rollout-table' }, el('thead', null, head), tbody));
  }

  function renderSources(s) {
    var list = $('sources');
    clear(list);
    if (s.sources.length === 0) list.appendChild(el('li', { class: 'muted' }, 'None: pass --metrics <url> (or service=url) to see rates.'));
    s.sources.forEach(function (src) {
      list.appendChild(el('li', { class: src.status === 'error' ? 'bad' : '' }, src.url + (src.service ? ' (' + src.service + ')' : '') + ': ' +
        (src.status === 'ok' ? 'reachable' : src.status === 'pending' ? 'not read yet' : 'unreachable — ' + (src.error || 'error'))));
    });
  }

  function render(s) {
    state = s;
    var k = focusedKey();
    var r = s.registry;
    $('registry').textContent = 'Registry ' + r.where + ': ' + r.status + (r.error ? ' — last error: ' + r.error : '');
    $('registry').className = r.status === 'ok' && !r.error ? '' : 'bad';
    renderGraph(s);
    renderStages(s);
    renderRollouts(s);
    renderSources(s);
    refocus(k);
  }

  function say(text, bad) { var a = $('announce'); a.textContent = text; a.className = bad ? 'bad' : ''; }

  // An action waits in 'pending' for the dialog's answer: the question, what to POST, what to say.
  function ask(action) {
    pending = action;
    $('confirm-text').textContent = action.question;
    $('confirm').showModal();
    $('confirm-cancel').focus();
  }
  function askStage(service, stage, disabled) {
    var what = stage + ' of ' + service;
    ask({
      key: { key: key([service, stage]) },
      question: disabled ? 'Disable (roll back) stage ' + what + '? Its calls fall back to the default stage, or fail where the rules are strict.'
        : 'Enable (resume) stage ' + what + '? Its instances get their calls again.',
      path: '/api/stage', body: { service: service, stage: stage, disabled: disabled },
      doing: (disabled ? 'Disabling ' : 'Enabling ') + what + '…', done: (disabled ? 'Disabled ' : 'Enabled ') + what + '.',
    });
  }
  var ROLLOUT_VERB = { pause: 'Pause', resume: 'Resume', abort: 'Roll back' };
  var ROLLOUT_DOING = { pause: 'Pausing', resume: 'Resuming', abort: 'Rolling back' };
  var ROLLOUT_DONE = { pause: 'Paused', resume: 'Resumed', abort: 'Rolled back' };
  function askRollout(r, action) {
    var what = 'rollout ' + r.name + ' (' + r.service + ' / ' + r.stage + ')';
    ask({
      key: { key: key(['rollout', r.name, action]), row: key(['rollout', r.name]) },
      question: action === 'pause' ? 'Pause ' + what + '? Its share stays at ' + r.percent + ' % and it does not advance until resumed.'
        : action === 'resume' ? 'Resume ' + what + '? It advances again after the dwell of its current step.'
        : 'Roll back ' + what + '? Stage ' + r.stage + ' of ' + r.service + ' is disabled (its calls fall back to the default stage) and the share set to 0 %.',
      path: '/api/rollout', body: { name: r.name, action: action },
      doing: ROLLOUT_DOING[action] + ' ' + what + '…', done: ROLLOUT_DONE[action] + ' ' + what + '.',
    });
  }
  function closeDialog() { var k = pending && pending.key; pending = null; $('confirm').close(); refocus(k); }

  function post(path, body, headers) {
    var h = { 'content-type': 'application/json', 'x-graylane-dashboard': '1' };
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(path, { method: 'POST', headers: h, body: JSON.stringify(body) }).then(function (res) {
      return res.json().then(function (j) { return { status: res.status, body: j }; });
    });
  }

  function act() {
    var p = pending;
    if (!p) return;
    closeDialog();
    var token = $('token').value;
    say(p.doing);
    post(p.path, p.body, token ? { 'x-graylane-token': token } : {}).then(function (r) {
      if (r.status === 200) say(p.done);
      else say('Refused: ' + (r.body && r.body.error || 'HTTP ' + r.status), true);
    }, function (e) { say('Failed: ' + e.message, true); });
  }

  function renderTrace(r) {
    var out = $('trace-out');
    clear(out);
    out.appendChild(el('p', { class: r.ok ? 'good' : 'bad' }, 'Status: ' + r.status));
    var t = r.trace || {};
    if (t.status === 'absent') { out.appendChild(el('p', null, 'No hop trace came back: is the hop-trace interceptor installed on the services?')); return; }
    if (t.status === 'invalid') { out.appendChild(el('p', { class: 'bad' }, 'Hop trace unreadable: ' + t.reason)); return; }
    var list = el('ol', { id: 'trace-hops' });
    (t.hops || []).forEach(function (h) {
      list.appendChild(el('li', null, '\u00a0\u00a0'.repeat(h.depth) + h.service + ' (' + h.instance + ') stage=' + h.stage + (h.explicit ? '' : ' (default)')));
    });
    out.appendChild(list);
    out.appendChild(el('p', { class: r.mismatched ? 'bad' : 'good' }, r.mismatched ? r.mismatched + ' hops without the stage sent' : 'Stage kept at every hop' + (t.incomplete ? ' (trace cut short)' : '')));
  }

  function trace(ev) {
    ev.preventDefault();
    var headers = {};
    $('trace-headers').value.split('\n').forEach(function (line) {
      var at = line.indexOf(':');
      if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
    });
    clear($('trace-out'));
    $('trace-out').appendChild(el('p', null, 'Tracing…'));
    post('/api/trace', { target: $('trace-target').value.trim(), method: $('trace-method').value.trim(), stage: $('trace-stage').value.trim(), headers: headers }).then(function (r) {
      if (r.status !== 200) { clear($('trace-out')); $('trace-out').appendChild(el('p', { class: 'bad' }, 'Refused: ' + (r.body && r.body.error))); return; }
      renderTrace(r.body);
    }, function (e) { clear($('trace-out')); $('trace-out').appendChild(el('p', { class: 'bad' }, 'Failed: ' + e.message)); });
  }

  function connect() {
    var es = new EventSource('/events');
    es.onopen = function () { $('conn').textContent = 'Live.'; $('conn').className = 'good'; };
    es.onerror = function () { $('conn').textContent = 'Disconnected from the dashboard server; retrying…'; $('conn').className = 'bad'; };
    es.onmessage = function (m) { try { render(JSON.parse(m.data)); } catch (e) { say('Bad update: ' + e.message, true); } };
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('confirm-ok').addEventListener('click', act);
    $('confirm-cancel').addEventListener('click', closeDialog);
    $('confirm').addEventListener('cancel', function (ev) { ev.preventDefault(); closeDialog(); });
    $('trace-form').addEventListener('submit', trace);
    connect();
  });
})();
`;
