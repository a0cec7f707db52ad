// The multi-hop demo: gateway → orders → inventory → pricing, all grpc-js with graylane interceptors.
// Sends a mix of canary, stable and untagged calls and checks, at every hop, that the stage arrived.
// Usage: npm run demo [-- --requests 300] [-- --json]
import * as grpc from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { hopClient, startHopService, type HopReply, type RunningService } from './hop-service.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '300' }, json: { type: 'boolean', default: false } } });
const requests = Math.max(3, Math.min(100_000, Number(values.requests) || 300));
const CLASSES = ['canary', 'stable', 'untagged'] as const;
type Class = (typeof CLASSES)[number];

const services: RunningService[] = [];
const stopAll = () => { for (const s of services.splice(0)) s.stop(); };
process.once('SIGINT', () => { stopAll(); process.exit(130); });

try {
  // Start from the back of the chain so each service knows the next one's address.
  for (const name of ['pricing', 'inventory', 'orders']) services.unshift(await startHopService(name, services[0]?.address));
  const entry = hopClient(services[0]!.address, false); // the caller outside graylane: plain grpc-js

  const seen = new Map<string, number>(); // `${hop}|${class}|${stage}` -> count
  let hopsChecked = 0;
  let tagsLost = 0;
  const send = (i: number) => {
    const cls: Class = CLASSES[i % 3]!;
    const md = new grpc.Metadata();
    if (cls !== 'untagged') md.set('x-release-stage', cls);
    return new Promise<void>((ok, fail) => entry.Unary({ id: String(i) }, md, (err, res?: HopReply) => {
      if (err) return fail(err);
      for (const hop of res!.hops) {
        hopsChecked++;
        const expected = cls === 'canary' ? 'canary' : 'stable';
        if (hop.stage !== expected) tagsLost++;
        const key = `${hop.service}|${cls}|${hop.stage}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      ok();
    }));
  };
  for (let i = 0; i < requests; i += 50) await Promise.all(Array.from({ length: Math.min(50, requests - i) }, (_, k) => send(i + k)));
  entry.close();

  const hops = services.map((s) => s.name);
  if (values.json) {
    console.log(JSON.stringify({ requests, hopsChecked, tagsLost, perHop: Object.fromEntries(seen) }, null, 2));
  } else {
    console.log(`graylane demo: ${requests} calls through ${hops.join(' → ')}\n`);
    console.log(`${'hop'.padEnd(12)}${'request'.padEnd(10)}stage seen (count)`);
    for (const hop of hops) {
      for (const cls of CLASSES) {
        const row = [...seen].filter(([k]) => k.startsWith(`${hop}|${cls}|`)).map(([k, n]) => `${k.split('|')[2]} ×${n}`);
        console.log(`${hop.padEnd(12)}${cls.padEnd(10)}${row.join(', ')}`);
      }
    }
    console.log(`\nrequests: ${requests}, hops checked: ${hopsChecked}, tags lost: ${tagsLost}`);
  }
  process.exitCode = tagsLost === 0 ? 0 : 1;
} finally {
  stopAll();
}
