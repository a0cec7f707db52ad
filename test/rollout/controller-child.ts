/**
 * A rollout controller in its own process (for the leader-takeover test): joins rollout argv[3] on the
 * etcd at argv[2] and prints one JSON line per event until killed.
 */
import { createEtcdRegistry } from '../../src/routing/index.js';
import { createRollout } from '../../src/rollout/index.js';

const [endpoint, name, prefix] = process.argv.slice(2) as [string, string, string];
const registry = createEtcdRegistry({ endpoints: endpoint, prefix, leaseTtlSeconds: 2 });
await registry.ready();
const rollout = createRollout({ registry, name, service: 'hop', minDwellMs: 800, minCalls: 0, tickMs: 20, leaseTtlSeconds: 2 });
const say = (event: string, extra: object = {}): void => void process.stdout.write(`${JSON.stringify({ event, pid: process.pid, ...extra })}\n`);
rollout.on('leader', (leader: boolean) => say('leader', { leader }));
rollout.on('step', (r: { step: number }) => say('step', { step: r.step }));
rollout.join();
say('joined');
