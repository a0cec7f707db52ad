/**
 * Drift check: examples/connect/gen (protobuf-es code of the shipped hop proto, used by the Connect
 * tests and examples) is what examples/connect/buf.gen.yaml generates from protos/ today.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const FILE = 'examples/connect/gen/graylane/hop/v1/hop_pb.ts';

describe('examples/connect/gen', () => {
  it('is up to date with protos/graylane/hop/v1/hop.proto (regenerate: npx buf generate --template examples/connect/buf.gen.yaml --path protos/graylane/hop)', () => {
    const out = mkdtempSync(join(tmpdir(), 'graylane-connect-gen-'));
    try {
      execFileSync(join(root, 'node_modules/.bin/buf'), ['generate', '--template', 'examples/connect/buf.gen.yaml', '--path', 'protos/graylane/hop', '--output', out], { cwd: root, timeout: 60_000 });
      expect(readFileSync(join(root, FILE), 'utf8')).toBe(readFileSync(join(out, FILE), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
