#!/usr/bin/env node
// Keeps the README's code blocks true: every `<!-- snippet:PATH -->…<!-- /snippet -->` block is the
// file PATH verbatim (a file under examples/, which `npm run typecheck` compiles), and the quick start
// between `<!-- quickstart:begin -->` and `<!-- quickstart:end -->` is examples/quickstart.ts.
//   node scripts/readme.mjs           rewrite README.md
//   node scripts/readme.mjs --check   exit 1 when README.md is stale
import { readFileSync, writeFileSync } from 'node:fs';

const SNIPPET = /<!-- snippet:(\S+) -->\n[\s\S]*?<!-- \/snippet -->/g;
const QUICKSTART = /<!-- quickstart:begin -->\n[\s\S]*?<!-- quickstart:end -->/;
const fence = (file) => `\`\`\`${file.endsWith('.ts') ? 'ts' : ''}\n${readFileSync(file, 'utf8').trimEnd()}\n\`\`\``;

const readme = readFileSync('README.md', 'utf8');
const next = readme
  .replace(SNIPPET, (_, file) => `<!-- snippet:${file} -->\n${fence(file)}\n<!-- /snippet -->`)
  .replace(QUICKSTART, `<!-- quickstart:begin -->\n\`\`\`ts\n${readFileSync('examples/quickstart.ts', 'utf8')}\`\`\`\n<!-- quickstart:end -->`);
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md is stale: run `npm run docs`.');
    process.exit(1);
  }
} else if (next !== readme) {
  writeFileSync('README.md', next);
  console.log('README.md refreshed from examples/.');
}
