// With prom-client installed beside graylane (and no gRPC framework): the HTTP metrics middleware of
// graylane/observe/http loads prom-client on first use — from the ESM and the CommonJS build — and
// counts a request by the stage the edge decided. Prints the two counter lines.
import { createRequire } from 'node:module';
import { createServer, get } from 'node:http';
const require = createRequire(import.meta.url);
const { Registry } = require('prom-client');
const lines = [];
for (const [format, http, observeHttp] of [
  ['esm', await import('graylane/http'), await import('graylane/observe/http')],
  ['cjs', require('graylane/http'), require('graylane/observe/http')],
]) {
  const registry = new Registry();
  const edge = http.grayHttpMiddleware({ trustIncoming: true });
  const metrics = observeHttp.grayHttpMetricsMiddleware({ registry });
  const server = createServer((req, res) => edge(req, res, () => metrics(req, res, () => res.end('ok'))));
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  await new Promise((ok, fail) => get(`http://127.0.0.1:${server.address().port}/`, { headers: { 'x-release-stage': 'canary' } }, (res) => {
    res.resume();
    res.on('end', ok);
  }).on('error', fail));
  await new Promise((ok) => server.close(ok));
  await new Promise((ok) => setTimeout(ok, 10)); // 'finish' has fired by now
  lines.push(`${format} ${(await registry.metrics()).split('\n').find((l) => l.startsWith('http_requests_total{'))}`);
}
console.log(JSON.stringify(lines));
