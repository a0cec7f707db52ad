/**
 * graylane with Connect-ES: a browser-facing Connect service (untrusted by default, a QA token and a
 * coloring rule decide the stage) calling an internal Connect service over gRPC, which trusts it.
 *
 *   npx tsx examples/connect/main.ts
 *
 * The generated code in ./gen comes from protos/graylane/hop/v1/hop.proto (see buf.gen.yaml here).
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createClient, type ServiceImpl } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { getReleaseStage } from 'graylane';
import { getCallGrayContext, grayClientInterceptor, grayServerInterceptor } from 'graylane/connect';
import { Hop } from './gen/graylane/hop/v1/hop_pb.js';

type HopImpl = Partial<ServiceImpl<typeof Hop>>;

async function serve(impl: HopImpl, interceptors: ReturnType<typeof grayServerInterceptor>[]): Promise<{ url: string; server: http2.Http2Server }> {
  const server = http2.createServer(connectNodeAdapter({ routes: (router) => router.service(Hop, impl), interceptors }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export async function main(): Promise<string[]> {
  // Internal service: called only by other graylane hops, so it believes the stage it receives.
  const inventory = await serve({
    async unary(req, context) {
      return { id: req.id, hops: [{ service: 'inventory', stage: getReleaseStage(), explicit: getCallGrayContext(context)?.explicit ?? false }] };
    },
  }, [grayServerInterceptor({ trustIncoming: true })]);

  // Browser-facing service: a client's x-release-stage counts only with the QA token; rules color the rest.
  const toInventory = createClient(Hop, createGrpcTransport({ baseUrl: inventory.url, interceptors: [grayClientInterceptor()] }));
  const front = await serve({
    async unary(req) {
      const down = await toInventory.unary({ id: req.id }); // carries the decided stage, no header code
      return { id: req.id, hops: [{ service: 'front', stage: getReleaseStage() }, ...down.hops] };
    },
  }, [grayServerInterceptor({
    trust: { tokenHeader: 'x-gray-token', tokens: [process.env.GRAY_TOKEN ?? 'change-me'] },
    rules: [{ name: 'beta testers', stage: 'canary', match: { header: 'x-user-group', equals: 'beta' } }],
    echoStage: true,
  })]);

  const client = createClient(Hop, createConnectTransport({ baseUrl: front.url, httpVersion: '2' }));
  const lines: string[] = [];
  for (const [label, headers] of [
    ['spoofed stage, no token', { 'x-release-stage': 'canary' }],
    ['beta tester (rule)', { 'x-user-group': 'beta' }],
    ['QA with token', { 'x-release-stage': 'canary', 'x-gray-token': process.env.GRAY_TOKEN ?? 'change-me' }],
  ] as const) {
    const reply = await client.unary({ id: label }, { headers });
    lines.push(`${label}: ${reply.hops.map((h) => `${h.service}=${h.stage}`).join(' → ')}`);
  }
  for (const { server } of [front, inventory]) server.close();
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
