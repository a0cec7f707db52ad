// Which of graylane's optional peers this project has installed, and how every subpath in graylane's
// package.json `exports` loads here — each in a fresh process, in ESM and in CommonJS, so no import
// sees another's modules. Prints {installed, result: {subpath: {esm, cjs, names}}}.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
const pkg = JSON.parse(readFileSync('node_modules/graylane/package.json', 'utf8'));
const installed = Object.keys(pkg.peerDependencies).filter((p) => existsSync(`node_modules/${p}/package.json`)).sort();
const subpaths = Object.keys(pkg.exports).filter((k) => !k.includes('*') && !k.endsWith('.json')).map((k) => (k === '.' ? 'graylane' : `graylane/${k.slice(2)}`));
const load = (format, name) => JSON.parse(execFileSync(process.execPath, ['load.mjs', format, name], { encoding: 'utf8' }));
const result = {};
for (const name of subpaths) {
  const esm = load('esm', name);
  const cjs = load('cjs', name);
  result[name] = { esm: esm.outcome, cjs: cjs.outcome, names: esm.names, sameNames: esm.names.join() === cjs.names.join() };
}
console.log(JSON.stringify({ installed, result }));
