/**
 * The dashboard's rollout actions over real HTTP, on a real file registry in a temp dir: POST
 * /api/rollout refuses on a read-only dashboard and with a wrong token (the registry file byte for
 * byte unchanged), and with the token pauses, resumes and aborts (stage disabled, share 0) with one
 * write each; an action that does not apply is a 409 with no write; hostile bodies get a 4xx and the
 * server keeps serving; and a rollout changed by another process reaches the state at once, not on
 * the next scrape.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRollout, type GrayRolloutRecord } from 'graylane/rollout';
import { createFileRegistry, type FileGrayRegistry, type GrayRegistry } from 'graylane/routing';
import { startDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { fileState, PAGE_HEADERS, request, storedRollout } from './http.js';

const TOKEN = 'rollout-api-test-token-0123456789';
const NAME = 'pricing-v2';
let dir: string;
let path: string;
let registry: FileGrayRegistry;
let board: Dashboard;
let readOnly: Dashboard;
/** Changes of the rollout the dashboard's registry announced (one per write that changed it). */
let changes: Array<GrayRolloutRecord | undefined>;
let stopWatching: () => void;

const page = PAGE_HEADERS;
const withToken = { ...page, 'x-graylane-token': TOKEN };
const act = (body: unknown, headers: Record<string, string> = withToken, port = board.port): Promise<{ status: number; body: string }> =>
  request(port, 'POST', '/api/rollout', headers, typeof body === 'string' ? body : JSON.stringify(body));
const disk = (): ReturnType<typeof fileState> => fileState(path);
const stored = (): GrayRolloutRecord => storedRollout(path, NAME);
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100));

const fresh = (): void => writeFileSync(path, JSON.stringify({ instances: [
  { service: 'shop.Pricing', address: '127.0.0.1:1', stage: 'stable' }, { service: 'shop.Pricing', address: '127.0.0.1:2', stage: 'canary' },
] }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'graylane-dashboard-rollout-'));
  path = join(dir, 'registry.json');
  fresh();
  registry = createFileRegistry(path, { pollIntervalMs: 100, debounceMs: 10 });
  board = await startDashboard({ registry, port: 0, token: TOKEN, intervalMs: 60_000 });
  readOnly = await startDashboard({ registry, port: 0, intervalMs: 60_000 });
});

beforeEach(async () => {
  fresh();
  await registry.reload();
  await createRollout({ registry, name: NAME, service: 'shop.Pricing', stage: 'canary', steps: [5, 25, 100], minDwellMs: 600_000 }).start({ join: false });
  expect(stored().state).toBe('running');
  await settle();
  changes = [];
  stopWatching = registry.watchRollout(NAME, (r) => changes.push(r));
});

afterEach(() => stopWatching());

afterAll(async () => {
  await board?.close();
  await readOnly?.close();
  await registry?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard rollout actions (POST /api/rollout)', () => {
  it('refuses on a read-only dashboard (403), without or with a wrong token (401) and from outside the page, leaving the registry file untouched', async () => {
    const before = disk();
    const ro = await act({ name: NAME, action: 'abort' }, withToken, readOnly.port);
    expect(ro.status).toBe(403);
    expect(ro.body).toContain('read-only');
    expect((await act({ name: NAME, action: 'abort' }, page)).status).toBe(401);
    expect((await act({ name: NAME, action: 'abort' }, { ...page, 'x-graylane-token': `${TOKEN}x` })).status).toBe(401);
    expect((await act({ name: NAME, action: 'abort' }, { ...withToken, origin: 'http://evil.example' })).status).toBe(403);
    expect((await act({ name: NAME, action: 'abort' }, { 'content-type': 'application/json', 'x-graylane-token': TOKEN })).status).toBe(403);
    await settle();
    expect(disk()).toEqual(before);
    expect(changes).toEqual([]);
    expect(registry.getService('shop.Pricing').rules.disabledStages).toEqual([]);
  });

  it('with the token, pauses once: the record changes in one write, a second pause is a 409 with no write', async () => {
    const before = stored();
    const res = await act({ name: NAME, action: 'pause', reason: 'checking the p99 by hand' });
    expect(res.status).toBe(200);
    const { record } = JSON.parse(res.body) as { record: GrayRolloutRecord };
    expect(record).toMatchObject({ state: 'paused', percent: 5, step: 0, decision: { action: 'pause', reason: 'checking the p99 by hand' } });
    expect(stored()).toEqual(record);
    expect(record.updatedAt).toBeGreaterThan(before.updatedAt);
    await expect.poll(() => changes.length).toBe(1);

    const after = disk();
    const again = await act({ name: NAME, action: 'pause' });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body)).toEqual({ error: `cannot pause '${NAME}' while it is paused`, state: 'paused' });
    await settle();
    expect(disk()).toEqual(after);
    expect(changes).toHaveLength(1);
    expect(board.state().rollouts[0]).toMatchObject({ name: NAME, state: 'paused', actions: ['resume', 'abort'] });
  });

  it('resumes a paused rollout (default reason), and refuses to resume a running one', async () => {
    const running = disk();
    const refused = await act({ name: NAME, action: 'resume' });
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body)).toMatchObject({ state: 'running' });
    await settle();
    expect(disk()).toEqual(running);

    expect((await act({ name: NAME, action: 'pause' })).status).toBe(200);
    const res = await act({ name: NAME, action: 'resume' });
    expect(res.status).toBe(200);
    expect(stored()).toMatchObject({ state: 'running', percent: 5, decision: { action: 'resume', reason: 'resumed from the dashboard' } });
    await expect.poll(() => changes.map((c) => c?.state)).toEqual(['paused', 'running']);
  });

  it('aborts (rolls back): the stage is disabled in the service rules and the share set to 0; a second abort is a 409', async () => {
    const res = await act({ name: NAME, action: 'abort', reason: 'x'.repeat(3000) });
    expect(res.status).toBe(200);
    const record = stored();
    expect(record).toMatchObject({ state: 'aborted', percent: 0, decision: { action: 'abort' } });
    expect(record.decision!.reason).toBe('x'.repeat(200)); // capped
    expect((JSON.parse(readFileSync(path, 'utf8')) as { rules: Record<string, { disabledStages: string[] }> }).rules['shop.Pricing']!.disabledStages).toEqual(['canary']);
    await expect.poll(() => registry.getService('shop.Pricing').rules.disabledStages).toEqual(['canary']);
    await expect.poll(() => changes.length).toBe(1);

    const after = disk();
    const again = await act({ name: NAME, action: 'abort' });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body)).toMatchObject({ state: 'aborted' });
    expect((await act({ name: NAME, action: 'pause' })).status).toBe(409);
    await settle();
    expect(disk()).toEqual(after);
    expect(board.state().rollouts[0]).toMatchObject({ state: 'aborted', percent: 0, actions: [] });
  });

  it('answers an unknown rollout with a 404 naming it', async () => {
    const res = await act({ name: 'no-such-rollout', action: 'pause' });
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ error: "no rollout 'no-such-rollout' in this registry" });
  });

  it('refuses hostile bodies with a 4xx, writes nothing and keeps serving', async () => {
    const before = disk();
    const bodies: Array<[string, number]> = [
      ['not json', 400],
      ['{"name":"pricing-v2","action":"pause"', 400],
      [JSON.stringify({ name: NAME, action: 'pause', pad: 'x'.repeat(100_000) }), 413],
      [`{"__proto__":{"name":"${NAME}","action":"pause"}}`, 400],
      [`{"name":"${NAME}","action":"pause","__proto__":{"reason":1}}`, 200], // the own __proto__ key is data, never a prototype
      [JSON.stringify({ name: NAME, action: 'promote' }), 400],
      [JSON.stringify({ name: NAME, action: 'toString' }), 400],
      [JSON.stringify({ name: NAME, action: 'done' }), 400],
      [JSON.stringify({ name: 42, action: 'pause' }), 400],
      [JSON.stringify({ name: NAME, action: ['pause'] }), 400],
      [JSON.stringify({ name: NAME, action: 'pause', reason: { toString: 'x' } }), 400],
      [JSON.stringify({ name: 'x'.repeat(129), action: 'pause' }), 400],
      [JSON.stringify([NAME, 'pause']), 400],
      ['null', 400],
    ];
    for (const [body, status] of bodies.filter(([, s]) => s !== 200)) {
      const res = await act(body);
      expect([body.slice(0, 60), res.status]).toEqual([body.slice(0, 60), status]);
      expect(() => JSON.parse(res.body) as unknown).not.toThrow();
    }
    await settle();
    expect(disk()).toEqual(before);
    expect(changes).toEqual([]);
    // An own "__proto__" key is plain data: the action still reads only name/action/reason.
    const proto = bodies.find(([, s]) => s === 200)![0];
    expect((await act(proto)).status).toBe(200);
    expect(stored()).toMatchObject({ state: 'paused', decision: { reason: 'paused from the dashboard' } });
    expect(({} as Record<string, unknown>).reason).toBeUndefined();
    expect((await request(board.port, 'GET', '/state.json')).status).toBe(200);
  });

  it('answers 404 on a registry that stores no rollouts', async () => {
    const plain: GrayRegistry = {
      getService: (s) => registry.getService(s), watchService: (s, l) => registry.watchService(s, l),
      setStageDisabled: (s, st, d) => registry.setStageDisabled(s, st, d), status: 'ok', close: async () => undefined,
    };
    const other = await startDashboard({ registry: plain, port: 0, token: TOKEN, intervalMs: 60_000 });
    try {
      const res = await act({ name: NAME, action: 'pause' }, withToken, other.port);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body)).toEqual({ error: 'this registry stores no rollouts' });
      expect(stored().state).toBe('running');
    } finally {
      await other.close();
    }
  });

  it('shows a rollout changed by another process at once, not on the next scrape a minute later', async () => {
    // Started with the rollout in place; its scrape tick (the only other refresh) is a minute away.
    const watching = await startDashboard({ registry, port: 0, intervalMs: 60_000 });
    try {
      await settle();
      expect(watching.state().rollouts.map((r) => r.state)).toEqual(['running']);
      // Another process (the CLI, a controller): its own registry on the same file.
      const cli = createFileRegistry(path, { pollIntervalMs: 0 });
      try {
        await createRollout({ registry: cli, name: NAME, service: 'shop.Pricing', stage: 'canary', minDwellMs: 600_000 }).pause('from the CLI');
      } finally {
        await cli.close();
      }
      await expect.poll(() => watching.state().rollouts[0]?.state, { timeout: 5000 }).toBe('paused');
      expect(watching.state().rollouts[0]!.decision).toMatchObject({ action: 'pause', reason: 'from the CLI' });
    } finally {
      await watching.close();
    }
  });
});
