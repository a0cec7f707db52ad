// Runs the pair on loopback and shows the stage at each hop:
//   npx tsx --tsconfig examples/nestjs/tsconfig.json examples/nestjs/main.ts [--json]
import { createServer } from 'node:net';
import { startGateway } from './gateway.js';
import { startPricing } from './pricing.js';

const TOKEN = 'example-token';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const pricingUrl = `127.0.0.1:${await freePort()}`;
const pricing = await startPricing(pricingUrl);
const gateway = await startGateway(pricingUrl, TOKEN);
const base = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');

const cases: [string, Record<string, string>][] = [
  ['no stage', {}],
  ['canary, untrusted', { 'x-release-stage': 'canary' }],
  ['canary, trusted', { 'x-release-stage': 'canary', 'x-gray-token': TOKEN }],
];
const results: Record<string, unknown> = {};
await Promise.all(cases.map(async ([name, headers], i) => {
  results[name] = await (await fetch(`${base}/price?id=item-${i}`, { headers })).json();
}));
if (process.argv.includes('--json')) console.log(JSON.stringify(results));
else for (const [name] of cases) console.log(name.padEnd(20), JSON.stringify(results[name]));
await gateway.close();
await pricing.close();
