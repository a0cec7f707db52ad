/**
 * The balancer's per-call pick at fleet sizes, on the built package: a real routed channel
 * (`graylane:///bench.scale`, static registry) with N stable and N canary instances — N distinct
 * loopback ports served by one grpc-js server in this process — and, as the baseline, grpc-js's own
 * `round_robin` over the same N addresses. Once every instance is connected (each is returned by
 * some pick), the channel's current picker is called directly in timed batches, all sizes and
 * kinds interleaved per round. The picker is reached through grpc-js internals
 * (`channel.internalChannel.currentPicker`), the only way to time a pick alone; a grpc-js version
 * without them fails loudly. Prints one JSON line. Usage: scale-pick.js [--quick] [--sizes 1,10,100,1000]
 * @packageDocumentation
 */
import * as grpc from '@grpc/grpc-js';
import { createStaticRegistry, registerGrayRouting } from 'graylane/routing';
import { STAGE_KEY, benchService, stageReply } from './common.js';

const quick = process.argv.includes('--quick');
const sizesArg = process.argv.indexOf('--sizes');
const SIZES = sizesArg > 0 ? process.argv[sizesArg + 1]!.split(',').map(Number) : [1, 10, 100, 1000];
const ROUNDS = quick ? 5 : 15;
const BATCH = quick ? 20_000 : 100_000;
const SERVICE = 'bench.scale';

type Kind = 'graylane canary' | 'graylane untagged' | 'round_robin';
const KINDS: readonly Kind[] = ['graylane canary', 'graylane untagged', 'round_robin'];
interface PickResult { pickResultType: number; subchannel: unknown }
interface Picker { pick(args: { metadata: grpc.Metadata; extraPickInfo: Record<string, string> }): PickResult }

function pickerOf(client: grpc.Client): Picker {
  const internal = (client.getChannel() as unknown as { internalChannel?: { currentPicker?: Picker } }).internalChannel;
  if (typeof internal?.currentPicker?.pick !== 'function') throw new Error('scale-pick: this grpc-js has no channel.internalChannel.currentPicker; the pick cannot be timed alone');
  return internal.currentPicker;
}

/** Binds one server to `n` loopback ports. */
async function serve(n: number): Promise<{ server: grpc.Server; ports: number[] }> {
  const server = new grpc.Server();
  server.addService(benchService, { call: (_c: unknown, cb: (e: null, r: Buffer) => void) => cb(null, stageReply('ok')) });
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    ports.push(await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)))));
  }
  return { server, ports };
}

const tagged = new grpc.Metadata();
tagged.set(STAGE_KEY, 'canary');
tagged.set('user-agent', 'grpc-node-js/1.14');
const untagged = new grpc.Metadata();
untagged.set('user-agent', 'grpc-node-js/1.14');
const argsOf = (kind: Kind): { metadata: grpc.Metadata; extraPickInfo: Record<string, string> } => ({ metadata: kind === 'graylane canary' ? tagged : untagged, extraPickInfo: {} });

/** Waits until `n` distinct subchannels come out of the channel's picks (every instance connected). */
async function allConnected(client: grpc.Client, kind: Kind, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  client.getChannel().getConnectivityState(true);
  for (;;) {
    const seen = new Set<unknown>();
    const picker = pickerOf(client);
    for (let i = 0; i < n * 20 && seen.size < n; i++) {
      const r = picker.pick(argsOf(kind));
      if (r.pickResultType === grpc.experimental.PickResultType.COMPLETE) seen.add(r.subchannel);
    }
    if (seen.size >= n) return;
    if (Date.now() > deadline) throw new Error(`scale-pick: only ${seen.size} of ${n} instances connected for ${kind} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let sink: unknown;
function timeBatch(picker: Picker, kind: Kind): number {
  const args = argsOf(kind);
  const t = process.hrtime.bigint();
  for (let i = 0; i < BATCH; i++) sink = picker.pick(args);
  return Number(process.hrtime.bigint() - t) / BATCH;
}

const max = Math.max(...SIZES);
const { server, ports } = await serve(2 * max);
const creds = grpc.credentials.createInsecure();
const Ctor = grpc.makeGenericClientConstructor(benchService, 'Bench');
const channels = new Map<string, grpc.Client>();
const key = (n: number, kind: Kind): string => `${n} ${kind === 'round_robin' ? 'rr' : 'gl'}`;
const addrsOf = (n: number, stage = 'stable'): string[] => ports.slice(stage === 'stable' ? 0 : max, (stage === 'stable' ? 0 : max) + n).map((p) => `127.0.0.1:${p}`);
// One service per size, N stable and N canary instances each (one address, one stage: registries refuse duplicates).
const registry = createStaticRegistry(SIZES.flatMap((n) => ['stable', 'canary'].flatMap((stage) => addrsOf(n, stage).map((address) => ({ service: `${SERVICE}${n}`, address, stage })))));
const routing = registerGrayRouting({ registry });
for (const n of SIZES) {
  const addrs = addrsOf(n);
  channels.set(key(n, 'graylane canary'), new Ctor(routing.target(`${SERVICE}${n}`), creds));
  channels.set(key(n, 'round_robin'), new Ctor(`ipv4:${addrs.join(',')}`, creds, { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) }));
}
const connectStart = performance.now();
for (const n of SIZES) {
  for (const kind of KINDS) await allConnected(channels.get(key(n, kind))!, kind, n, 120_000);
}
const connectMs = performance.now() - connectStart;

const samples = new Map<string, number[]>();
for (const n of SIZES) for (const kind of KINDS) samples.set(`${n}|${kind}`, []);
for (const n of SIZES) for (const kind of KINDS) timeBatch(pickerOf(channels.get(key(n, kind))!), kind); // JIT warm-up
for (let r = 0; r < ROUNDS; r++) {
  const order = SIZES.flatMap((n) => KINDS.map((kind) => ({ n, kind })));
  const rotated = order.map((_, i) => order[(i + r) % order.length]!);
  for (const { n, kind } of rotated) samples.get(`${n}|${kind}`)!.push(timeBatch(pickerOf(channels.get(key(n, kind))!), kind));
}
if (sink === 42) console.error('unreachable');
for (const c of channels.values()) c.close();
server.forceShutdown();
process.stdout.write(`${JSON.stringify({
  node: process.version,
  grpcJs: (grpc as unknown as { version?: string }).version ?? null,
  sizes: SIZES,
  rounds: ROUNDS,
  batch: BATCH,
  connectMs,
  nsPerPick: Object.fromEntries(samples),
})}\n`);
process.exit(0);
