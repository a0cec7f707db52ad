/**
 * A YAML registry file through the `format` option (the `yaml` package's parse / stringify): routing
 * follows it, broken YAML keeps the last good state, `setStageDisabled` writes YAML back, and a
 * `.yaml` path without `format` is refused with a message that says what to pass.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrayConfigError } from '../../src/index.js';
import { createFileRegistry, registerGrayRouting, type FileGrayRegistry, type RegistryFileFormat } from '../../src/routing/index.js';
import type { HopClient } from '../helpers/grpc.js';
import { closeAll, eventually, routedClient, servedBy, startHop, type HopInstance } from './hop-fleet.js';

const yamlFormat: RegistryFileFormat = { name: 'YAML', parse: (t) => YAML.parse(t) as unknown, stringify: (d) => YAML.stringify(d) };

describe('file registry in YAML', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graylane-yaml-'));
  const file = join(dir, 'registry.yaml');
  const errors: Error[] = [];
  let fleet: HopInstance[] = [];
  let registry: FileGrayRegistry;
  let client: HopClient;
  const doc = (canary: HopInstance): string => [
    '# written by hand: comments and YAML syntax are fine',
    'instances:',
    `  - { service: y, address: "${fleet[0]!.address}", stage: stable }`,
    `  - service: y`,
    `    address: "${canary.address}"`,
    '    stage: canary',
    '    weight: 2',
    'rules:',
    '  y: { fallback: permissive }',
    '',
  ].join('\n');

  beforeAll(async () => {
    fleet = await Promise.all([startHop('y', 'stable-1', 'stable'), startHop('y', 'canary-1', 'canary'), startHop('y', 'canary-2', 'canary')]);
    writeFileSync(file, doc(fleet[1]!));
    registry = createFileRegistry(file, { format: yamlFormat, debounceMs: 20, pollIntervalMs: 200, onError: (e) => errors.push(e) });
    registerGrayRouting({ registry, scheme: 'graylane-yaml' });
    client = routedClient('graylane-yaml:///y');
  });
  afterAll(async () => {
    await closeAll(fleet, [client]);
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes by the YAML file and follows edits; broken YAML keeps the last good state', async () => {
    expect(registry.getService('y').instances.find((i) => i.stage === 'canary')?.weight).toBe(2);
    expect(await servedBy(client, 'canary')).toBe('canary-1');
    expect(await servedBy(client, undefined)).toBe('stable-1');
    writeFileSync(file, doc(fleet[2]!));
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('canary-2'));

    const before = errors.length;
    writeFileSync(file, 'instances:\n  - { service: y, address: [unclosed\n');
    await eventually(() => expect(errors.length).toBeGreaterThan(before));
    expect(errors.at(-1)).toBeInstanceOf(GrayConfigError);
    expect(errors.at(-1)!.message).toContain('not valid YAML');
    expect(await servedBy(client, 'canary')).toBe('canary-2');
    writeFileSync(file, doc(fleet[1]!));
    await eventually(() => expect(registry.lastError).toBeUndefined());
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('canary-1'));
  });

  it('setStageDisabled writes the rule back as YAML', async () => {
    await registry.setStageDisabled('y', 'canary', true);
    const text = readFileSync(file, 'utf8');
    expect(() => JSON.parse(text)).toThrow(); // it is YAML, not JSON
    expect((YAML.parse(text) as { rules: { y: { disabledStages: string[] } } }).rules.y.disabledStages).toEqual(['canary']);
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('stable-1'));
    await registry.setStageDisabled('y', 'canary', false);
    await eventually(async () => expect(await servedBy(client, 'canary')).toBe('canary-1'));
  });

  it('refuses a .yaml / .yml path without format, and a format without functions', () => {
    const plain = join(dir, 'plain.yml');
    writeFileSync(plain, 'instances: []\n');
    expect(() => createFileRegistry(plain)).toThrow(GrayConfigError);
    expect(() => createFileRegistry(plain)).toThrow(/looks like YAML.*format/);
    expect(() => createFileRegistry(file, { format: {} as RegistryFileFormat })).toThrow(/parse\(text\) and stringify\(doc\)/);
    // JSON text is valid YAML, so a YAML format also reads a JSON file.
    const json = join(dir, 'registry.json');
    writeFileSync(json, JSON.stringify({ instances: [{ service: 'y', address: '127.0.0.1:1', stage: 'canary' }] }));
    const r = createFileRegistry(json, { format: yamlFormat, pollIntervalMs: 0 });
    expect(r.getService('y').instances).toHaveLength(1);
    void r.close();
  });
});
