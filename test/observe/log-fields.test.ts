import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { getGrayContext, runWithGrayContext, runWithStage } from '../../src/core/context.js';
import { createGrayPolicy } from '../../src/core/policy.js';
import { GrayConfigError } from '../../src/core/errors.js';
import { grayServerInterceptor } from '../../src/grpc-js/server-interceptor.js';
import { grayLogFields, grayLogFieldsFn, grayPinoMixin } from '../../src/observe/log-fields.js';
import { collect, hopClient, startServer, unary, type HopReply, type HopRequest, type RunningServer, type HopClient } from '../helpers/grpc.js';
import { stageMetadata } from './chain.js';

interface Line { msg: string; id: string; release_stage?: string; user_group?: string }

describe('pino mixin inside real grpc-js handlers', () => {
  const lines: Line[] = [];
  const logger = pino({ mixin: grayPinoMixin({ keys: { 'x-user-group': 'user_group' } }), base: undefined, timestamp: false }, {
    write(s: string) { lines.push(JSON.parse(s) as Line); },
  });
  let running: RunningServer;
  let client: HopClient;

  beforeAll(async () => {
    running = await startServer({
      async unary(call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
        logger.info({ id: call.request.id }, 'entry');
        await new Promise((r) => setTimeout(r, Number(call.request.id.split('-')[1]) % 7));
        logger.info({ id: call.request.id }, 'after-await');
        cb(null, { id: call.request.id, hops: [] });
      },
      serverStream(call: grpc.ServerWritableStream<HopRequest, HopReply>) {
        setImmediate(() => {
          logger.info({ id: call.request.id }, 'stream');
          call.write({ id: call.request.id, hops: [] });
          call.end();
        });
      },
    }, { interceptors: [grayServerInterceptor({ keys: ['x-user-group'], stages: ['stable', 'canary', 'blue'] })] });
    client = hopClient(running.address);
  });

  afterAll(async () => {
    client?.close();
    await running?.close();
  });

  it('every line carries its own call\'s stage and keys under concurrency', async () => {
    const stages = ['stable', 'canary', 'blue', undefined] as const;
    const expected = new Map<string, { stage: string; group?: string }>();
    const calls = Array.from({ length: 300 }, (_, i) => {
      const id = `u-${i}`;
      const stage = stages[i % 4];
      const group = i % 5 === 0 ? `g${i % 3}` : undefined;
      expected.set(id, { stage: stage ?? 'stable', ...(group ? { group } : {}) });
      const md = stageMetadata(stage, group ? { 'x-user-group': group } : {});
      if (i % 10 === 0) return collect(client.serverStream({ id, count: 1 }, md));
      return unary(client, { id }, md);
    });
    await Promise.all(calls);
    expect(lines.length).toBe(270 * 2 + 30);
    for (const line of lines) {
      const want = expected.get(line.id)!;
      expect(line.release_stage, `${line.id} ${line.msg}`).toBe(want.stage);
      expect(line.user_group).toBe(want.group);
    }
    expect(new Set(lines.map((l) => l.release_stage))).toEqual(new Set(['stable', 'canary', 'blue']));
  });
});

describe('grayLogFields', () => {
  it('is empty outside a request unless includeDefault', () => {
    expect(getGrayContext()).toBeUndefined();
    expect(grayLogFields()).toEqual({});
    expect(grayLogFields({ includeDefault: true })).toEqual({ release_stage: 'stable' });
    expect(grayLogFields({ includeDefault: true, policy: createGrayPolicy({ defaultStage: 'blue' }) })).toEqual({ release_stage: 'blue' });
  });

  it('maps extra keys to field names and returns a fresh object each time', () => {
    const policy = createGrayPolicy({ keys: ['x-user-group', 'x-tenant'] });
    const ctx = policy.contextFor('canary', { 'x-user-group': 'beta', 'x-tenant': 't1' });
    const fields = grayLogFieldsFn({ keys: ['x-user-group'], stageField: 'stage' });
    runWithGrayContext(ctx, () => {
      const a = fields();
      expect(a).toEqual({ stage: 'canary', x_user_group: 'beta' });
      a['mutated'] = true;
      expect(fields()).toEqual({ stage: 'canary', x_user_group: 'beta' });
    });
    runWithStage('canary', () => expect(grayLogFields()).toEqual({ release_stage: 'canary' }));
  });

  it('rejects bad options at construction', () => {
    expect(() => grayLogFieldsFn({ keys: ['Bad Key'] })).toThrow(GrayConfigError);
    expect(() => grayLogFieldsFn({ stageField: '' })).toThrow(GrayConfigError);
  });
});

describe('log fields a caller cannot forge', () => {
  it('a carried key cannot be logged under the stage field, nor two keys under one field', async () => {
    // An untrusting edge carries x-gray-* keys; a client sends x-gray-stage: canary. Mapping that key
    // onto release_stage would log the request (run as stable) as canary: refused at construction.
    expect(() => grayLogFieldsFn({ keys: { 'x-gray-stage': 'release_stage' } })).toThrow(GrayConfigError);
    expect(() => grayPinoMixin({ stageField: 'stage', keys: { 'x-gray-stage': 'stage' } })).toThrow(/stage field/);
    expect(() => grayLogFieldsFn({ keys: { 'x-a': 'group', 'x-b': 'group' } })).toThrow(GrayConfigError);
    expect(() => grayLogFieldsFn({ keys: { 'x-a': '__proto__' } })).toThrow(GrayConfigError);
  });

  it('a key named like an Object.prototype member is read from the context only', () => {
    const fields = grayLogFieldsFn({ keys: ['constructor'] });
    expect(runWithStage('canary', () => fields())).toEqual({ release_stage: 'canary' });
    const policy = createGrayPolicy({ keys: ['constructor'] });
    const ctx = policy.contextFor('canary', { constructor: 'c1' });
    expect(runWithGrayContext(ctx, () => fields())).toEqual({ release_stage: 'canary', constructor: 'c1' });
  });
});
