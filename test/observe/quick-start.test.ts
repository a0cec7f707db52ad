/** docs/observe.md's quick start is test/observe/quick-start.ts (typechecked with the repo); it runs and prints what the docs show. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(root + path, 'utf8');

describe('docs/observe.md quick start', () => {
  it('the docs show the quick start exactly as tested here', () => {
    expect(read('docs/observe.md')).toContain('```ts\n' + read('test/observe/quick-start.ts') + '```');
  });

  it('runs and prints the documented log lines, hop trace and metric lines', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/observe/quick-start.ts'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines.slice(3, 6)).toEqual([
      'hop 0: orders (orders-1) stage=canary explicit=true',
      'hop 1: pricing (pricing-1) stage=canary explicit=true',
      'hop 2: stock (stock-1) stage=canary explicit=true',
    ]);
    expect(lines[9]).toBe('untraced call: absent');
    expect(read('docs/observe.md')).toContain('```\n' + lines.join('\n') + '\n```');
  });
});
