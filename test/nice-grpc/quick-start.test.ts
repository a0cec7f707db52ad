/** docs/nice-grpc.md's quick start is test/nice-grpc/quick-start.ts (typechecked with the repo); it runs and prints what it promises. */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(root + path, 'utf8');

describe('docs/nice-grpc.md quick start', () => {
  it('the docs show the quick start as written here (generated-code path aside)', () => {
    const code = read('test/nice-grpc/quick-start.ts').replaceAll("'../../examples/shop/gen/nice/graylane/", "'./gen/graylane/");
    expect(read('docs/nice-grpc.md')).toContain('```ts\n' + code + '```');
  });

  it('runs and prints the documented output', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'test/nice-grpc/quick-start.ts'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    const expected = [
      'stable: 200 cents; orders saw stable, pricing saw stable, pricing saw stable',
      'canary: 180 cents; orders saw canary, pricing saw canary, pricing saw canary',
    ];
    expect(out.trim().split('\n')).toEqual(expected);
    expect(read('docs/nice-grpc.md')).toContain('```\n' + expected.join('\n') + '\n```');
  });
});
