// Loads ONE subpath of the installed graylane, in ESM or CommonJS, in this fresh process, and prints
// {outcome, names}: outcome 'ok', or `<error code>:<the module it could not find>`; names: its exports.
//   node load.mjs esm graylane/observe
import { createRequire } from 'node:module';
const [format, name] = process.argv.slice(2);
try {
  const mod = format === 'esm' ? await import(name) : createRequire(import.meta.url)(name);
  const names = Object.keys(mod).filter((k) => k !== 'default' && k !== '__esModule').sort();
  console.log(JSON.stringify({ outcome: names.length > 0 ? 'ok' : 'empty', names }));
} catch (e) {
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec(e?.message ?? '')?.[1] ?? '?';
  console.log(JSON.stringify({ outcome: `${e?.code ?? e?.name}:${missing}`, names: [] }));
}
