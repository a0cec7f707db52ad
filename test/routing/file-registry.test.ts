import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError } from '../../src/index.js';
import { createFileRegistry, registerGrayRouting, type FileGrayRegistry, type GrayInstance } from '../../src/routing/index.js';
import type { HopClient } from '../helpers/grpc.js';
import { closeAll, eventually, routedClient, servedBy, startHop, type HopInstance } from './hop-fleet.js';

describe('file registry drives routing at run time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graylane-file-'));
  const file = join(dir, 'registry.json');
  const errors: Error[] = [];
  let fleet: HopInstance[] = [];
  let registry: FileGrayRegistry;
  let client: HopClient;
  const entry = (h: HopInstance): GrayInstance => ({ service: 'f', address: h.address, stage: h.stage });
  const write = (instances: GrayInstance[], rules: object = {}): void => writeFileSync(file, JSON.stringify({ instances, rules }));

  beforeAll(async () => {
    fleet = await Promise.all([startHop('f', 'stable-1', 'stable'), startHop('f', 'canary-1', 'canary'), startHop('f', 'canary-2', 'canary')]);
    write([entry(fleet[0]!), entry(fleet[1]!)]);
    registry = createFileRegistry(file, { debounceMs: 20, pollIntervalMs: 200, onError: (e) => errors.push(e) });
    registerGrayRouting({ registry });
    client = routedClient('graylane:///f');
  });
  afterAll(async () => {
    await closeAll(fleet, [client]);
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes by the file, and follows edits without restart', async () => {
    expect(await servedBy(client, 'canary')).toBe('canary-1');
    expect(await servedBy(client, undefined)).toBe('stable-1');
    // Canary removed from the file: canary calls fall back to stable.
    write([entry(fleet[0]!)]);
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('stable-1'));
    // Another canary added: canary calls reach it.
    write([entry(fleet[0]!), entry(fleet[2]!)]);
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('canary-2'));
    // Strict rule added: canary removed → UNAVAILABLE (14), stable still served.
    write([entry(fleet[0]!)], { f: { fallback: 'strict' } });
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('code:14'));
    expect(await servedBy(client, 'stable')).toBe('stable-1');
    write([entry(fleet[0]!), entry(fleet[1]!)]);
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('canary-1'));
  });

  it('keeps the last good state on a broken edit and reports it', async () => {
    const before = errors.length;
    writeFileSync(file, '{ "instances": [ { "service": "f", ');
    await eventually(() => expect(errors.length).toBeGreaterThan(before));
    expect(errors.at(-1)!.message).toContain('not valid JSON');
    expect(registry.lastError).toBeInstanceOf(GrayConfigError);
    expect(await servedBy(client, 'canary')).toBe('canary-1');
    // An invalid entry is as bad as invalid JSON, and the message names it.
    write([entry(fleet[0]!), { service: 'f', address: 'nowhere', stage: 'canary' }]);
    await eventually(() => expect(registry.lastError?.message).toContain('instances[1]'));
    expect(await servedBy(client, 'canary')).toBe('canary-1');
    // Fixing the file clears the error.
    write([entry(fleet[0]!), entry(fleet[1]!)]);
    await eventually(() => expect(registry.lastError).toBeUndefined());
  });

  it('setStageDisabled persists the rule in the file and routing falls back at once', async () => {
    await registry.setStageDisabled('f', 'canary', true);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { rules: Record<string, { disabledStages: string[] }> };
    expect(doc.rules.f!.disabledStages).toEqual(['canary']);
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('stable-1'));
    // A second registry reading the same file (another process) sees the rule too.
    const other = createFileRegistry(file, { pollIntervalMs: 0 });
    expect(other.getService('f').rules.disabledStages).toEqual(['canary']);
    await other.close();
    await registry.setStageDisabled('f', 'canary', false);
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('canary-1'));
  });

  it('rejects a bad file at construction with a message saying what to fix', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ instances: [{ service: 'f', address: '127.0.0.1:1', stage: 'Canary!' }] }));
    expect(() => createFileRegistry(bad)).toThrow(GrayConfigError);
    expect(() => createFileRegistry(bad)).toThrow(/instances\[0\].*stage/);
    expect(() => createFileRegistry(join(dir, 'missing.json'))).toThrow(/cannot read registry file/);
  });
});

describe('file registry: reload() after an edit', () => {
  it('never resolves with content older than the call, even while another read is in flight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'graylane-reload-'));
    const file = join(dir, 'registry.json');
    const doc = (n: number): string => JSON.stringify({ instances: Array.from({ length: n }, (_, i) => ({ service: 'svc', address: `127.0.0.1:${50000 + i}`, stage: 'stable' })) });
    writeFileSync(file, doc(1));
    // No watcher: only the explicit reloads race here.
    const registry = createFileRegistry(file, { debounceMs: 1_000_000, pollIntervalMs: 0 });
    try {
      for (let n = 2; n <= 300; n++) {
        const inFlight = registry.reload(); // reads the file as it is now (n - 1 instances)
        // Let that read get some way (open, stat, read: each a turn of the event loop), then replace
        // the file the way editors and ConfigMaps do (a new inode renamed over it).
        for (let turns = n % 5; turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve));
        writeFileSync(`${file}.tmp`, doc(n));
        renameSync(`${file}.tmp`, file);
        expect(await registry.reload()).toBe(true);
        expect(registry.getService('svc')?.instances.length, `after writing ${n} instances`).toBe(n);
        await inFlight;
        expect(registry.getService('svc')?.instances.length).toBe(n);
      }
    } finally {
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
