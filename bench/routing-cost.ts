/**
 * What graylane routing adds per call, measured in one process so the difference is not lost in
 * the noise of a multi-process chain: the same server behind two clients — one dialing its address,
 * one dialing `graylane:///bench.next` (resolver + stage-aware LB pick) — both with
 * grayClientInterceptor, called in alternating batches inside a canary context. Reports the median
 * over batches of CPU µs per call (client and server share the process, so both sides count).
 * Prints one JSON line. Usage: routing-cost.ts [--quick]
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import { runWithStage } from 'graylane';
import { grayClientInterceptor, grayServerInterceptor } from 'graylane/grpc-js';
import { createStaticRegistry, registerGrayRouting } from 'graylane/routing';
import { BENCH_STAGES, ROUTED_SERVICE, benchService, cpuMicros, stageReply } from './common.js';
import { median } from './stats.js';

type Reply = (err: grpc.ServiceError | null, res?: Buffer) => void;
interface BenchClient extends grpc.Client { call(req: Buffer, md: grpc.Metadata, cb: Reply): grpc.ClientUnaryCall }
const Ctor = grpc.makeGenericClientConstructor(benchService, 'Bench') as unknown as new (t: string, c: grpc.ChannelCredentials, o?: grpc.ClientOptions) => BenchClient;

const quick = process.argv.includes('--quick');
const BATCH = quick ? 500 : 2000;
const ROUNDS = quick ? 6 : 14;
const CONCURRENCY = 16;

const server = new grpc.Server({ interceptors: [grayServerInterceptor()] });
server.addService(benchService, { call: (_call: unknown, cb: Reply) => cb(null, stageReply('ok')) });
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
const address = `127.0.0.1:${port}`;
// The registry refuses one address in two stages: the server also listens on 127.0.0.(i+1), one loopback alias per stage.
const stages = ['stable', ...BENCH_STAGES];
for (let i = 1; i < stages.length; i++) {
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`127.0.0.${i + 1}:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
}
const routing = registerGrayRouting({
  registry: createStaticRegistry(stages.map((stage, i) => ({ service: ROUTED_SERVICE, address: `127.0.0.${i + 1}:${port}`, stage }))),
});
const creds = grpc.credentials.createInsecure();
const clients = {
  direct: new Ctor(address, creds, { interceptors: [grayClientInterceptor()] }),
  routed: new Ctor(routing.target(ROUTED_SERVICE), creds, { interceptors: [grayClientInterceptor()] }),
};
const REQUEST = Buffer.from('ping');

/** `BATCH` calls, `CONCURRENCY` in flight, every call in a canary context; CPU µs per call. */
function batch(client: BenchClient): Promise<number> {
  const cpu0 = cpuMicros();
  let started = 0;
  return new Promise((resolve, reject) => {
    let done = 0;
    const deadline = setTimeout(() => reject(new Error('routing-cost: batch timed out')), 60_000);
    const next = (): void => {
      if (started >= BATCH) return;
      started++;
      runWithStage('canary', () => client.call(REQUEST, new grpc.Metadata(), (err) => {
        if (err) {
          clearTimeout(deadline);
          return reject(err);
        }
        if (++done === BATCH) {
          clearTimeout(deadline);
          resolve((cpuMicros() - cpu0) / BATCH);
        } else next();
      }));
    };
    for (let i = 0; i < CONCURRENCY; i++) next();
  });
}

const samples = { direct: [] as number[], routed: [] as number[] };
await batch(clients.direct); // warm-up, connects both channels
await batch(clients.routed);
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? (['direct', 'routed'] as const) : (['routed', 'direct'] as const);
  for (const k of order) samples[k].push(await batch(clients[k]));
}
const diffs = samples.routed.map((v, i) => v - samples.direct[i]!);
process.stdout.write(`${JSON.stringify({
  directUsPerCall: median(samples.direct),
  routedUsPerCall: median(samples.routed),
  addedUsPerCall: median(diffs),
  addedMin: Math.min(...diffs),
  addedMax: Math.max(...diffs),
  rounds: ROUNDS,
  batch: BATCH,
})}\n`);
clients.direct.close();
clients.routed.close();
server.forceShutdown();
process.exit(0);
