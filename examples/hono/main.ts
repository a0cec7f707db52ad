/**
 * graylane with Hono: the gateway decides the stage once (untrusted clients, a QA token, coloring
 * rules) and every call the handler makes — here a Connect call, streamed back with hono/streaming —
 * carries it.
 *
 *   npx tsx examples/hono/main.ts
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { streamText } from 'hono/streaming';
import { createClient } from '@connectrpc/connect';
import { connectNodeAdapter, createGrpcTransport } from '@connectrpc/connect-node';
import { getReleaseStage } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/connect';
import { grayHonoMiddleware } from 'graylane/http';
import { Hop } from '../connect/gen/graylane/hop/v1/hop_pb.js';

export async function main(): Promise<string[]> {
  // An internal Connect service that trusts the gateway and streams back the stage it sees.
  const backend = http2.createServer(connectNodeAdapter({
    routes: (router) => router.service(Hop, {
      async *serverStream(req) {
        for (let i = 0; i < req.count; i++) yield { id: `${req.id}#${i}`, hops: [{ service: 'backend', stage: getReleaseStage() }] };
      },
    }),
    interceptors: [grayServerInterceptor({ trustIncoming: true })],
  }));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const hop = createClient(Hop, createGrpcTransport({
    baseUrl: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`,
    interceptors: [grayClientInterceptor()],
  }));

  const app = new Hono();
  app.use(grayHonoMiddleware({
    trust: { tokenHeader: 'x-gray-token', tokens: [process.env.GRAY_TOKEN ?? 'change-me'] },
    rules: [{ name: 'beta testers', stage: 'canary', match: { header: 'x-user-group', equals: 'beta' } }],
    echoStage: true,
  }));
  app.get('/healthz', (c) => c.text('ok')); // health paths are never colored
  app.get('/items', (c) => streamText(c, async (out) => {
    for await (const reply of hop.serverStream({ id: 'items', count: 2 })) {
      await out.writeln(`gateway=${getReleaseStage()} backend=${reply.hops[0]?.stage}`);
    }
  }));

  const gateway = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => gateway.once('listening', () => resolve()));
  const base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
  const lines: string[] = [];
  for (const [label, headers] of [
    ['spoofed', { 'x-release-stage': 'canary' }],
    ['beta tester', { 'x-user-group': 'beta' }],
    ['QA with token', { 'x-release-stage': 'canary', 'x-gray-token': process.env.GRAY_TOKEN ?? 'change-me' }],
  ] as const) {
    const res = await fetch(`${base}/items`, { headers });
    lines.push(`${label} (echo ${res.headers.get('x-release-stage')}): ${(await res.text()).trim().replace(/\n/g, ' | ')}`);
  }
  gateway.close();
  backend.close();
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((lines) => {
    console.log(lines.join('\n'));
    process.exit(0);
  }, (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
