#!/usr/bin/env node
// Refreshes the README's included sections from docs/*.md (headings demoted one level), so the README
// is the complete reference and never drifts from the per-subpath docs.
//   node scripts/readme.mjs           rewrite README.md
//   node scripts/readme.mjs --check   exit 1 when README.md is stale
import { readFileSync, writeFileSync } from 'node:fs';

const MARKER = /<!-- include:(\S+) -->\n[\s\S]*?<!-- \/include -->/g;
const readme = readFileSync('README.md', 'utf8');
const demote = (md) => {
  let fenced = false;
  return md.split('\n').map((line) => {
    if (line.startsWith('```')) fenced = !fenced;
    return !fenced && /^#{1,5} /.test(line) ? `#${line}` : line;
  }).join('\n').trim();
};
const next = readme.replace(MARKER, (_, file) => `<!-- include:${file} -->\n${demote(readFileSync(file, 'utf8'))}\n<!-- /include -->`);
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md is stale: run `npm run docs`.');
    process.exit(1);
  }
} else if (next !== readme) {
  writeFileSync('README.md', next);
  console.log('README.md refreshed from docs/.');
}
