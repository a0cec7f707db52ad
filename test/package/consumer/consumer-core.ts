// Type-level consumer of the subpaths that need no peer (none installed): public names only,
// compiled with strict TypeScript against the tarball's .d.ts.
import { createServer } from 'node:http';
import { byStage, createGrayPolicy, runWithStage, type ByStageOptions } from 'graylane';
import { grayHttpMiddleware } from 'graylane/http';
import { createRollbackGuard, grayLogFieldsFn, grayPinoMixin, readHopTrace, HOPS_TRAILER_KEY, type GrayHop, type RollbackTarget } from 'graylane/observe';
import { rollbackGuardHttpMiddleware, type GrayHttpMiddleware } from 'graylane/observe/http';

const policy = createGrayPolicy({ stages: ['stable', 'canary'] });
const options: ByStageOptions = { policy };
const db = byStage({ stable: 'stable-db', canary: 'canary-db' }, options);
const picked: string = runWithStage('canary', db);
const fields: Record<string, unknown> = grayLogFieldsFn({ keys: ['x-user-group'] })();
const mixin: () => object = grayPinoMixin();
const hops: readonly GrayHop[] = (() => {
  const t = readHopTrace({ [HOPS_TRAILER_KEY]: '0;web;web-1;canary;1' });
  return t.status === 'ok' ? t.hops : [];
})();
const target: RollbackTarget = { setStageDisabled: async () => {} };
const guard = createRollbackGuard({ registry: target, service: 'web' });
const edge = grayHttpMiddleware();
const feed: GrayHttpMiddleware = rollbackGuardHttpMiddleware(guard, { isFailure: (status: number) => status >= 500, policy });
const server = createServer((req, res) => edge(req, res, () => feed(req, res, () => res.end('ok'))));
// @ts-expect-error a rollback guard feed needs a guard (proves the declarations resolved, not `any`)
rollbackGuardHttpMiddleware();
export { picked, fields, mixin, hops, server };
