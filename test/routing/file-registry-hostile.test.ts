/**
 * The file registry against hostile or sloppy input and concurrent writers, on the real file
 * system: prototype names, registry content that must not leak into errors, symlinked files
 * (Kubernetes ConfigMap layout), concurrent `setStageDisabled` calls in one process and across two
 * real Node processes, non-regular and oversized files.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { GrayConfigError } from 'graylane';
import { createFileRegistry, createStaticRegistry, type FileGrayRegistry, type RegistryFileFormat } from 'graylane/routing';
import { eventually } from './hop-fleet.js';

const yamlFormat: RegistryFileFormat = { name: 'YAML', parse: (t) => YAML.parse(t) as unknown, stringify: (d) => YAML.stringify(d) };
const SECRET = 'root:$6$S3CRET-HASH-do-not-leak:19000:0:99999:7:::';

interface Doc {
  instances: unknown[];
  rules: Record<string, { disabledStages?: string[]; fallback?: string }>;
}

describe('file registry: hostile names, content and writers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'graylane-hostile-'));
  const registries: FileGrayRegistry[] = [];
  let n = 0;
  const newFile = (doc: object = { instances: [{ service: 'svc', address: '127.0.0.1:1', stage: 'stable' }], rules: {} }): string => {
    const file = join(dir, `registry-${++n}.json`);
    writeFileSync(file, JSON.stringify(doc, null, 2));
    return file;
  };
  const open = (file: string, options: Parameters<typeof createFileRegistry>[1] = {}): FileGrayRegistry => {
    const r = createFileRegistry(file, { pollIntervalMs: 0, ...options });
    registries.push(r);
    return r;
  };
  const read = (file: string): Doc => JSON.parse(readFileSync(file, 'utf8')) as Doc;
  afterAll(async () => {
    await Promise.all(registries.map((r) => r.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses __proto__ / constructor / prototype as service names and never touches Object.prototype', async () => {
    const file = newFile();
    const before = readFileSync(file, 'utf8');
    const registry = open(file);
    const stat = createStaticRegistry();
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      await expect(registry.setStageDisabled(name, 'canary', true)).rejects.toThrow(GrayConfigError);
      await expect(registry.setStageDisabled(name, 'canary', true)).rejects.toThrow(/reserved/);
      await expect(stat.setStageDisabled(name, 'canary', true)).rejects.toThrow(GrayConfigError);
      expect(() => stat.setRules(name, { fallback: 'strict' })).toThrow(GrayConfigError);
      expect(() => createStaticRegistry([{ service: name, address: '127.0.0.1:1', stage: 'stable' }])).toThrow(GrayConfigError);
    }
    expect(({} as { disabledStages?: unknown }).disabledStages).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'disabledStages')).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('a service named like an Object.prototype member (toString, hasOwnProperty) is plain data: the rollback really happens', async () => {
    const file = newFile();
    const registry = open(file);
    await registry.setStageDisabled('toString', 'canary', true);
    await registry.setStageDisabled('hasOwnProperty', 'canary', true);
    const rules = new Map(Object.entries(read(file).rules));
    expect(rules.get('toString')?.disabledStages).toEqual(['canary']);
    expect(rules.get('hasOwnProperty')?.disabledStages).toEqual(['canary']);
    expect(registry.getService('toString').rules.disabledStages).toEqual(['canary']);
    expect((Object.prototype.toString as unknown as { disabledStages?: unknown }).disabledStages).toBeUndefined();
    // Another process (a second registry) reads the same rule back.
    expect(open(file).getService('hasOwnProperty').rules.disabledStages).toEqual(['canary']);
  });

  it('a registry file with a __proto__ key is refused at start, and on reload keeps the last good state', async () => {
    const hostile = '{ "instances": [], "rules": { "__proto__": { "disabledStages": ["canary"] } } }';
    const bad = newFile();
    writeFileSync(bad, hostile);
    expect(() => createFileRegistry(bad)).toThrow(GrayConfigError);
    const yamlFile = join(dir, 'proto.yaml');
    writeFileSync(yamlFile, 'instances:\n  - { service: __proto__, address: "127.0.0.1:1", stage: stable }\n');
    expect(() => createFileRegistry(yamlFile, { format: yamlFormat })).toThrow(/reserved/);

    const file = newFile({ instances: [{ service: 'svc', address: '127.0.0.1:1', stage: 'stable' }], rules: { svc: { disabledStages: ['canary'] } } });
    const errors: Error[] = [];
    const registry = open(file, { onError: (e) => errors.push(e) });
    writeFileSync(file, hostile);
    expect(await registry.reload()).toBe(false);
    expect(errors.at(-1)?.message).toMatch(/reserved/);
    expect(registry.getService('svc').rules.disabledStages).toEqual(['canary']);
    expect(registry.getService('__proto__').rules.disabledStages).toEqual([]);
    expect(({} as { disabledStages?: unknown }).disabledStages).toBeUndefined();
  });

  it('instance meta is held in a null-prototype object', () => {
    const file = newFile({ instances: [{ service: 'svc', address: '127.0.0.1:1', stage: 'stable', meta: { __proto__: 'x', build: '1' } }] });
    // JSON.stringify above dropped the literal's __proto__; write it as JSON text instead.
    writeFileSync(file, '{ "instances": [ { "service": "svc", "address": "127.0.0.1:1", "stage": "stable", "meta": { "__proto__": "x", "build": "1" } } ] }');
    const meta = open(file).getService('svc').instances[0]!.meta!;
    expect(Object.getPrototypeOf(meta)).toBe(null);
    expect(meta.build).toBe('1');
    expect(meta.__proto__).toBe('x');
  });

  it('4 concurrent setStageDisabled calls in one process keep all 4 changes (and 2 services keep both)', async () => {
    const file = newFile();
    const registry = open(file);
    await Promise.all(['a', 'b', 'c', 'd'].map((s) => registry.setStageDisabled('svc', s, true)));
    expect(read(file).rules.svc!.disabledStages!.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect([...registry.getService('svc').rules.disabledStages].sort()).toEqual(['a', 'b', 'c', 'd']);
    // Two registries on the same file in one process (two modules), different services.
    const other = open(file);
    await Promise.all([registry.setStageDisabled('one', 'canary', true), other.setStageDisabled('two', 'canary', true)]);
    const doc = read(file);
    expect(doc.rules.one?.disabledStages).toEqual(['canary']);
    expect(doc.rules.two?.disabledStages).toEqual(['canary']);
    // Enable and disable interleaved: the last call per stage wins, none is lost.
    await Promise.all([registry.setStageDisabled('svc', 'a', false), registry.setStageDisabled('svc', 'e', true), registry.setStageDisabled('svc', 'b', false)]);
    expect(read(file).rules.svc!.disabledStages!.sort()).toEqual(['c', 'd', 'e']);
  });

  it('two real Node processes toggling stages of one file concurrently end with every change on disk', async () => {
    const file = newFile();
    const go = join(dir, `go-${n}`);
    const moduleUrl = pathToFileURL(resolve('src/routing/index.ts')).href;
    const script = `
      import { existsSync } from 'node:fs';
      const { createFileRegistry } = await import(process.env.GL_MODULE);
      const registry = createFileRegistry(process.env.GL_FILE, { pollIntervalMs: 0 });
      process.stdout.write('ready\\n');
      while (!existsSync(process.env.GL_GO)) await new Promise((r) => setTimeout(r, 2));
      for (let i = 0; i < 15; i++) {
        await registry.setStageDisabled('svc', process.env.GL_TAG + i, true);
        await registry.setStageDisabled(process.env.GL_TAG + '-svc', 's' + i, true);
      }
      await registry.close();
    `;
    const child = (tag: string): { ready: Promise<void>; done: Promise<void> } => {
      const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        env: { ...process.env, GL_MODULE: moduleUrl, GL_FILE: file, GL_GO: go, GL_TAG: tag },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const ready = new Promise<void>((r) => proc.stdout.once('data', () => r()));
      const done = new Promise<void>((res, rej) =>
        proc.on('exit', (code) => (code === 0 ? res() : rej(new Error(`child ${tag} exited ${code}: ${stderr}`)))),
      );
      return { ready, done };
    };
    const a = child('a');
    const b = child('b');
    await Promise.all([a.ready, b.ready]);
    writeFileSync(go, '');
    await Promise.all([a.done, b.done]);
    const doc = read(file);
    const expected = (tag: string): string[] => Array.from({ length: 15 }, (_, i) => `${tag}${i}`);
    expect(doc.rules.svc!.disabledStages!.sort()).toEqual([...expected('a'), ...expected('b')].sort());
    expect(doc.rules['a-svc']!.disabledStages!.sort()).toEqual(expected('s').sort());
    expect(doc.rules['b-svc']!.disabledStages!.sort()).toEqual(expected('s').sort());
    expect(doc.instances).toHaveLength(1);
  }, 60_000);

  it('a lock file left by a crashed writer does not block setStageDisabled', async () => {
    const file = newFile();
    const registry = open(file);
    // Left by a process of this host that is gone: broken at once.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(`${file}.lock`, `${hostname()} ${dead}\n`);
    await registry.setStageDisabled('svc', 'a', true);
    // Left by another host, 11 s ago: broken as stale.
    writeFileSync(`${file}.lock`, 'elsewhere 1\n');
    const old = new Date(Date.now() - 11_000);
    utimesSync(`${file}.lock`, old, old);
    await registry.setStageDisabled('svc', 'b', true);
    expect(read(file).rules.svc!.disabledStages).toEqual(['a', 'b']);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('never quotes the content of an unparseable file in errors (a path symlinked to a secret file)', async () => {
    const secretDir = mkdtempSync(join(dir, 'etc-'));
    const secret = join(secretDir, 'shadow');
    writeFileSync(secret, `${SECRET}\ndaemon:*:19000:0:99999:7:::\n`);
    const link = join(dir, 'leaky.json');
    symlinkSync(secret, link);
    const messages = (e: unknown): string => {
      let text = '';
      for (let cur = e as { message?: string; cause?: unknown } | undefined; cur; cur = cur.cause as typeof cur) text += ` ${String(cur.message)}`;
      return text;
    };
    let thrown: unknown;
    try {
      createFileRegistry(link);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(GrayConfigError);
    expect(messages(thrown)).toMatch(/not valid JSON/);
    expect(messages(thrown)).not.toMatch(/S3CRET|root|daemon/);
    const yamlLink = join(dir, 'leaky.yaml');
    symlinkSync(secret, yamlLink);
    writeFileSync(secret, `instances: [${SECRET}\n`);
    let yamlThrown: unknown;
    try {
      createFileRegistry(yamlLink, { format: yamlFormat });
    } catch (e) {
      yamlThrown = e;
    }
    expect(messages(yamlThrown)).toMatch(/not valid YAML/);
    expect(messages(yamlThrown)).not.toMatch(/S3CRET|root/);
    // The same on a hot reload: the error passed to onError does not quote the file either.
    const file = newFile();
    const errors: Error[] = [];
    const registry = open(file, { onError: (e) => errors.push(e) });
    writeFileSync(file, `${SECRET}\n`);
    expect(await registry.reload()).toBe(false);
    expect(messages(errors.at(-1))).toMatch(/not valid JSON/);
    expect(messages(errors.at(-1))).not.toMatch(/S3CRET|root/);
    expect(messages(registry.lastError)).not.toMatch(/S3CRET/);
  });

  it('writes back through a symlink: the link stays a link and its target gets the change (ConfigMap layout)', async () => {
    // Kubernetes: registry.json -> ..data/registry.json, ..data -> ..2026_12_01_v1/
    const mount = mkdtempSync(join(dir, 'configmap-'));
    const version = join(mount, '..2026_12_01_v1');
    mkdirSync(version);
    writeFileSync(join(version, 'registry.json'), JSON.stringify({ instances: [{ service: 'svc', address: '127.0.0.1:1', stage: 'stable' }] }));
    symlinkSync('..2026_12_01_v1', join(mount, '..data'));
    symlinkSync('..data/registry.json', join(mount, 'registry.json'));
    chmodSync(join(version, 'registry.json'), 0o640);
    const registry = open(join(mount, 'registry.json'));
    await registry.setStageDisabled('svc', 'canary', true);
    expect(lstatSync(join(mount, 'registry.json')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(mount, '..data')).isSymbolicLink()).toBe(true);
    expect(read(join(version, 'registry.json')).rules.svc!.disabledStages).toEqual(['canary']);
    expect(statSync(join(version, 'registry.json')).mode & 0o777).toBe(0o640);
    // A plain symlink to a file in another directory.
    const target = newFile();
    chmodSync(target, 0o600);
    const link = join(mkdtempSync(join(dir, 'links-')), 'registry.json');
    symlinkSync(target, link);
    const viaLink = open(link);
    await viaLink.setStageDisabled('svc', 'beta', true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(read(target).rules.svc!.disabledStages).toEqual(['beta']);
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it('refuses a path that is not a regular file or is oversized, without reading it', async () => {
    const huge = newFile();
    truncateSync(huge, 64 * 1024 * 1024); // sparse: 64 MiB of NULs
    expect(() => createFileRegistry(huge)).toThrow(/larger than/);
    // A device never ends: reading it would fill the memory.
    const endless = join(dir, 'zero.json');
    symlinkSync('/dev/zero', endless);
    expect(() => createFileRegistry(endless)).toThrow(/not a regular file/);
    // At run time an oversized file is reported and the last good state kept.
    const file = newFile();
    const errors: Error[] = [];
    const registry = open(file, { onError: (e) => errors.push(e) });
    truncateSync(file, 64 * 1024 * 1024);
    expect(await registry.reload()).toBe(false);
    await eventually(() => expect(errors.at(-1)?.message).toMatch(/larger than/));
    expect(registry.getService('svc').instances).toHaveLength(1);
  });
});

describe('registry content that routes wrongly is refused', () => {
  it('an address listed twice for one service (same or another stage) is refused, naming both entries', () => {
    const a = { service: 'svc', address: '127.0.0.1:7001', stage: 'stable' };
    expect(() => createStaticRegistry([a, { ...a, stage: 'canary' }])).toThrow(/instances\[1\].*instances\[0\]/);
    expect(() => createStaticRegistry([a, { ...a, weight: 5 }])).toThrow(GrayConfigError);
    // The same address for two different services is fine.
    expect(createStaticRegistry([a, { ...a, service: 'other' }]).getService('other').instances).toHaveLength(1);
    const dir = mkdtempSync(join(tmpdir(), 'graylane-dup-'));
    try {
      const file = join(dir, 'registry.json');
      writeFileSync(file, JSON.stringify({ instances: [a, { ...a, stage: 'canary' }] }));
      expect(() => createFileRegistry(file, { pollIntervalMs: 0 })).toThrow(/already lists address/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('addresses that are not host:port are refused (bad IPv6 literals, empty labels, NaN/Infinity/negative weights)', () => {
    const reg = (address: string, weight?: unknown): unknown =>
      createStaticRegistry([{ service: 'svc', address, stage: 'stable', ...(weight === undefined ? {} : { weight: weight as number }) }]);
    for (const address of ['[:]:1', '[.]:80', '[::::::::::]:80', '[1:2:3:4:5:6:7:8:9]:80', '..:80', '.host:80', 'host-:80', 'a..b:80', '-:80', `${'a'.repeat(254)}:80`]) {
      expect(() => reg(address), address).toThrow(/host:port/);
    }
    for (const address of ['[::1]:50051', '[fe80::1]:1', '[::ffff:127.0.0.1]:80', 'my-host.svc.cluster.local:50051', 'localhost:1', '127.0.0.1:65535']) {
      expect(() => reg(address), address).not.toThrow();
    }
    for (const weight of [Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1.5, 1001, '2']) expect(() => reg('127.0.0.1:1', weight)).toThrow(/weight/);
  });

  it('a huge value is not echoed whole in the error message', () => {
    const huge = 'x'.repeat(100_000);
    let message = '';
    try {
      createStaticRegistry([{ service: huge, address: '127.0.0.1:1', stage: 'stable' }]);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/service "x+…" is not valid/);
    expect(message.length).toBeLessThan(400);
  });
});
