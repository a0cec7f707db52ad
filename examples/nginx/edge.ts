// The graylane HTTP edge behind nginx (graylane.conf): it trusts a stage only from requests carrying
// nginx's secret in `x-gray-edge-token`; anything else (a client reaching it directly) gets stable.
// Health checks (/healthz) get no context. Run: GRAYLANE_EDGE_TOKEN=... npx tsx examples/nginx/edge.ts
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { getGrayContext, getReleaseStage } from 'graylane';
import { grayHttpMiddleware } from 'graylane/http';

/** Options of {@link startNginxEdge}. */
export interface NginxEdgeOptions {
  /** nginx's secret (the `$graylane_edge_token` of graylane-secret.conf). */
  readonly token: string;
  /** Port on 127.0.0.1 (0 = any free port). Default 3000. */
  readonly port?: number;
  /** The request handler, run inside the request's gray context. Default: answers the stage. */
  readonly handle?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
}

/** A running edge. */
export interface NginxEdge {
  /** Its port on 127.0.0.1. */
  readonly port: number;
  /** Closes it. */
  close(): Promise<void>;
}

/** Starts the edge on loopback: only nginx (on the same host) can reach it. */
export async function startNginxEdge(options: NginxEdgeOptions): Promise<NginxEdge> {
  const gray = grayHttpMiddleware({
    trust: { tokenHeader: 'x-gray-edge-token', tokens: [options.token] },
    aliases: ['x-canary-version'],
  });
  const handle = options.handle ?? ((_req, res) => {
    res.end(JSON.stringify({ stage: getReleaseStage(), explicit: getGrayContext()?.explicit ?? false }));
  });
  const server = http.createServer((req, res) => gray(req, res, () => handle(req, res)));
  await new Promise<void>((resolve) => server.listen(options.port ?? 3000, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const token = process.env['GRAYLANE_EDGE_TOKEN'];
  if (token === undefined || token.length < 16) throw new Error('set GRAYLANE_EDGE_TOKEN to nginx\'s secret (16+ characters)');
  const edge = await startNginxEdge({ token });
  console.log(`graylane edge on 127.0.0.1:${edge.port}, behind nginx`);
}
