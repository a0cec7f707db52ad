/**
 * A RollbackGuard is recognised by a brand, not `instanceof`: a guard built by another copy of
 * graylane (its ESM and CJS builds loaded side by side, or two installed versions) is accepted by
 * every feed of this copy and works through it. The second copy here is a second module instance
 * of the same source (vi.resetModules + import), as a CJS/ESM pair is in a built package.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { GrayConfigError } from '../../src/index.js';
import { grayHttpMiddleware } from '../../src/http/index.js';
import * as first from '../../src/observe/index.js';
import { rollbackGuardClientInterceptor, rollbackGuardInterceptor } from '../../src/observe/grpc-js/index.js';
import { rollbackGuardHttpMiddleware } from '../../src/observe/http/index.js';
import { rollbackGuardClientMiddleware } from '../../src/observe/nice-grpc/index.js';
import { createStaticRegistry } from '../../src/routing/index.js';

describe('RollbackGuard across copies of graylane', () => {
  it('a guard from another module instance is accepted by every feed and is fed through it', async () => {
    vi.resetModules();
    const second = await import('../../src/observe/index.js');
    expect(second.RollbackGuard).not.toBe(first.RollbackGuard); // really another copy of the class

    const registry = createStaticRegistry([{ service: 'web', address: '127.0.0.1:1', stage: 'canary' }]);
    const guard = second.createRollbackGuard({ registry, service: 'web', minSamples: 5 });
    expect(guard instanceof first.RollbackGuard).toBe(false);
    expect(() => rollbackGuardClientInterceptor(guard)).not.toThrow();
    expect(() => rollbackGuardInterceptor(guard)).not.toThrow(); // the deprecated name
    expect(() => rollbackGuardClientMiddleware(guard)).not.toThrow();

    const edge = grayHttpMiddleware({ trustIncoming: true });
    const feed = rollbackGuardHttpMiddleware(guard);
    const server: Server = createServer((req, res) => edge(req, res, () => feed(req, res, () => {
      res.statusCode = 503;
      res.end();
    })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      for (let i = 0; i < 5; i++) await (await fetch(url, { headers: { 'x-release-stage': 'canary' } })).text();
      expect(guard.state).toBe('tripped');
      await new Promise<void>((r) => (guard.stageDisabled ? r() : guard.once('disabled', () => r())));
      expect(registry.getService('web').rules.disabledStages).toEqual(['canary']);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      await registry.close();
    }
  });

  it('still refuses what is not a guard', () => {
    const lookalike = { stage: 'canary', state: 'watching', record() {} };
    for (const bad of [{}, lookalike, null, undefined, 'canary']) {
      expect(() => rollbackGuardHttpMiddleware(bad as never)).toThrow(GrayConfigError);
      expect(() => rollbackGuardClientInterceptor(bad as never)).toThrow(GrayConfigError);
      expect(() => rollbackGuardClientMiddleware(bad as never)).toThrow(GrayConfigError);
    }
  });
});
