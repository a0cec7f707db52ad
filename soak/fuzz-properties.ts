/**
 * fast-check properties over every parser and carrier on graylane's request path: stage values,
 * policy key lists and prefixes, carriers (records, grpc-js and nice-grpc Metadata), coloring
 * rules, registry content (static and file), and hop-trace trailers. Each says: never an
 * exception on the request path, never an invalid value forwarded. Run by soak/fuzz.ts and
 * test/soak/fuzz-quick.test.ts.
 */
import { Metadata as GrpcMetadata } from '@grpc/grpc-js';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata as NiceMetadata } from 'nice-grpc-common';
import {
  GrayConfigError,
  coloringInput,
  coloringResolver,
  createColoringRules,
  createGrayPolicy,
  extractGrayContext,
  injectGrayContext,
  parseStage,
  recordCarrier,
  runWithGrayContext,
  type GrayContext,
  type GrayPolicy,
  type GrayPolicyOptions,
} from 'graylane';
import { forwardGrayMetadata, grpcMetadataCarrier } from 'graylane/grpc-js';
import { niceMetadataCarrier } from 'graylane/nice-grpc';
import { readHopTrace, type GrayHop, type HopTrace } from 'graylane/observe';
// The hop-trace wire codec is internal (not a public export): the fuzzer exercises it directly.
import { encodeHops, parseHops } from '../src/observe/hop-trace.js';
import { hostileProperties } from './fuzz-hostile.js';
import { createFileRegistry, createStaticRegistry, type GrayInstance, type GrayServiceRules, type GrayServiceSnapshot } from 'graylane/routing';

export const VALID_STAGE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** A gRPC metadata key (what grpc-js accepts); also a valid HTTP header name. */
const GRPC_KEY = /^[a-z0-9_.-]{1,128}$/;
const PRINTABLE = /^[\x20-\x7e]*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const HOP_NAME = /^[A-Za-z0-9._:@/-]{1,128}$/;

// ---------------------------------------------------------------- arbitraries

const validStage = fc.stringMatching(VALID_STAGE);
/** Stage-ish raw values: valid ones, near misses (case, spaces, bad characters), junk, long. */
const rawStage = fc.oneof(
  validStage,
  validStage.map((s) => ` ${s.toUpperCase()}\t`),
  fc.constantFrom('', ' ', 'canary', 'CANARY', ' stable ', '../x', 'a;b', 'ca nary', '-x', '.x', 'ü', 'a'.repeat(64), 'a'.repeat(65), '\u0000', 'canary\r\n'),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ minLength: 60, maxLength: 300 }),
);
/** Header names as HTTP allows them (RFC 9110 token characters), which is wider than gRPC keys. */
const httpToken = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
const carrierKey = fc.oneof(
  fc.constantFrom('x-release-stage', 'x-canary-version', 'x-user', 'x-user-bin', 'x-gray-a', 'x-gray-b', 'x-gray-c-bin', 'x-gray-trace', 'cookie', 'constructor'),
  fc.stringMatching(/^x-gray-[a-z0-9_.-]{1,8}$/),
  fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,12}$/),
);
const rawValue = fc.oneof(rawStage, fc.string({ maxLength: 300 }), fc.base64String({ maxLength: 40 }), fc.constantFrom('', '1', 'qa', 'uid=1; beta=1'));
const keyOption = fc.oneof(carrierKey, httpToken, fc.string({ maxLength: 10 }), fc.constant('x-release-stage'));
const keyList = fc.oneof(fc.constant(undefined), fc.array(keyOption, { maxLength: 4 }));

/** Policy options: mostly plausible, sometimes junk (which must give GrayConfigError). */
const policyOptions: fc.Arbitrary<GrayPolicyOptions> = fc.record(
  {
    stageKey: fc.oneof(fc.constant('x-release-stage'), keyOption),
    aliases: keyList,
    forwardAliases: fc.boolean(),
    defaultStage: fc.oneof(fc.constantFrom('stable', 'canary'), rawStage),
    stages: fc.oneof(fc.constant(undefined), fc.array(fc.oneof(fc.constantFrom('stable', 'canary', 'beta'), rawStage), { maxLength: 4 })),
    keys: keyList,
    keyPrefix: fc.oneof(fc.constant(undefined), fc.constantFrom('x-gray-', 'x-', 'c'), keyOption, fc.array(keyOption, { maxLength: 3 })),
    maxValueLength: fc.oneof(fc.constant(undefined), fc.integer({ min: -2, max: 9000 })),
    maxKeys: fc.oneof(fc.constant(undefined), fc.integer({ min: -1, max: 300 })),
    trustIncoming: fc.boolean(),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<GrayPolicyOptions>;

/** Options that build a policy; junk options are covered by the `policy options` property. */
const plausibleOptions: fc.Arbitrary<GrayPolicyOptions> = fc
  .record({
    aliases: fc.subarray(['x-canary-version', 'x-lane']),
    forwardAliases: fc.boolean(),
    stages: fc.oneof(fc.constant(undefined), fc.constant(['stable', 'canary']), fc.array(validStage, { maxLength: 3 }).map((s) => ['stable', ...s])),
    keys: fc.subarray(['x-user', 'x-user-bin', 'constructor', 'cookie']),
    keyPrefix: fc.oneof(fc.constant(undefined), fc.constantFrom('x-gray-', 'x-', 'c'), fc.constant(['x-gray-', 'x-user'])),
    maxValueLength: fc.constantFrom(undefined, 1, 16, 256),
    maxKeys: fc.constantFrom(undefined, 1, 2, 32),
    trustIncoming: fc.boolean(),
  })
  .map((o) => o as GrayPolicyOptions);

const headerRecord = fc.dictionary(fc.oneof(carrierKey, httpToken, httpToken.map((t) => `x-gray-${t}`)), fc.oneof(rawValue, fc.array(rawValue, { minLength: 1, maxLength: 3 })), { maxKeys: 12 });
const entries = fc.array(fc.tuple(carrierKey, rawValue), { maxLength: 12 });

function grpcMetadata(list: ReadonlyArray<readonly [string, string]>): GrpcMetadata {
  const md = new GrpcMetadata();
  for (const [k, v] of list) {
    try {
      md.add(k, k.endsWith('-bin') ? Buffer.from(v) : v);
    } catch {
      // grpc-js refuses some keys / values itself; the wire never carries them.
    }
  }
  return md;
}

function niceMetadata(list: ReadonlyArray<readonly [string, string]>): NiceMetadata {
  const md = new NiceMetadata();
  for (const [k, v] of list) {
    try {
      if (k.endsWith('-bin')) md.append(k, new Uint8Array(Buffer.from(v)));
      else md.append(k, v);
    } catch {
      // idem
    }
  }
  return md;
}

// ---------------------------------------------------------------- checks

function fail(message: string): never {
  throw new Error(message);
}

/** A context is forwardable: valid stage, valid keys and values, within the policy's limits. */
export function checkContext(ctx: GrayContext, policy: GrayPolicy): void {
  if (!VALID_STAGE.test(ctx.stage)) fail(`invalid stage ${JSON.stringify(ctx.stage)}`);
  if (policy.stages !== undefined && !policy.stages.has(ctx.stage)) fail(`stage ${ctx.stage} not allowed`);
  if (!ctx.explicit && ctx.stage !== policy.defaultStage) fail('implicit context with a non-default stage');
  if (ctx.explicit && ctx.entries[policy.stageKey] !== ctx.stage) fail('explicit stage not carried under the stage key');
  if (!ctx.explicit && policy.stageKey in ctx.entries) fail('implicit stage forwarded');
  const extra = policy.forwardAliases ? policy.aliases.length : 0;
  if (Object.keys(ctx.entries).length > policy.maxKeys + extra) fail('more keys than maxKeys');
  for (const [key, value] of Object.entries(ctx.entries)) {
    if (!GRPC_KEY.test(key)) fail(`forwarded key ${JSON.stringify(key)} is not a valid metadata key`);
    if (key === policy.stageKey || policy.aliases.includes(key)) {
      if (value !== ctx.stage) fail(`stage key ${key} carries ${value}`);
      continue;
    }
    if (value.length === 0 || value.length > policy.maxValueLength) fail(`value of ${key} has length ${value.length}`);
    if (!(key.endsWith('-bin') ? BASE64 : PRINTABLE).test(value)) fail(`value of ${key} has bad characters`);
  }
}

/** Forwarding `ctx` through every adapter never throws and writes exactly its entries. */
function checkForward(ctx: GrayContext, policy: GrayPolicy): void {
  const md = runWithGrayContext(ctx, () => forwardGrayMetadata());
  const back = extractGrayContext(md, grpcMetadataCarrier, policy);
  if (ctx.explicit && policy.trustIncoming && back.stage !== ctx.stage) fail(`stage ${ctx.stage} came back as ${back.stage}`);
  const nice = injectGrayContext(ctx, new NiceMetadata(), niceMetadataCarrier);
  for (const key of Object.keys(ctx.entries)) if (!nice.has(key)) fail(`nice-grpc carrier dropped ${key}`);
  injectGrayContext(ctx, {}, recordCarrier);
}

function checkHopTrace(trace: HopTrace): void {
  if (trace.status === 'absent') return;
  if (trace.status === 'invalid') {
    if (typeof trace.reason !== 'string' || trace.reason.length === 0) fail('invalid trace without a reason');
    return;
  }
  if (trace.status !== 'ok' || typeof trace.incomplete !== 'boolean') fail('unknown trace status');
  trace.hops.forEach((hop, i) => {
    if (!Number.isInteger(hop.depth) || hop.depth < 0 || hop.depth >= 64) fail(`bad depth ${hop.depth}`);
    if (i === 0 && hop.depth !== 0) fail('first depth not 0');
    if (i > 0 && (hop.depth < 1 || hop.depth > trace.hops[i - 1]!.depth + 1)) fail('depths out of order');
    if (!HOP_NAME.test(hop.service) || !HOP_NAME.test(hop.instance)) fail('bad hop name');
    if (!VALID_STAGE.test(hop.stage)) fail('bad hop stage');
    if (typeof hop.explicit !== 'boolean') fail('bad explicit flag');
  });
}

function checkSnapshot(s: GrayServiceSnapshot): void {
  for (const inst of s.instances) {
    if (inst.service !== s.service) fail('instance of another service');
    if (!VALID_STAGE.test(inst.stage)) fail(`instance stage ${inst.stage}`);
    if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$/.test(inst.address)) fail(`instance address ${inst.address}`);
    const port = Number(inst.address.slice(inst.address.lastIndexOf(':') + 1));
    if (port < 1 || port > 65535) fail(`port ${port}`);
    if (!Number.isInteger(inst.weight ?? 1) || (inst.weight ?? 1) < 1 || (inst.weight ?? 1) > 1000) fail(`weight ${inst.weight}`);
  }
  const r = s.rules;
  if (r.fallback !== 'permissive' && r.fallback !== 'strict') fail(`fallback ${String(r.fallback)}`);
  for (const st of [...r.strictStages, ...r.disabledStages]) if (!VALID_STAGE.test(st)) fail(`rule stage ${st}`);
}

const expectConfigError = (e: unknown): void => {
  if (!(e instanceof GrayConfigError)) throw e;
};

// ---------------------------------------------------------------- rule-shaped JSON

const conditionShape = fc.record(
  {
    header: fc.oneof(fc.constantFrom('x-user-group', 'X-User-Group', 'x-app-version'), fc.string({ maxLength: 8 }), fc.constant(null)),
    cookie: fc.oneof(fc.constantFrom('beta', 'uid'), fc.string({ maxLength: 8 })),
    query: fc.oneof(fc.constantFrom('lane'), fc.string({ maxLength: 8 })),
    pathPrefix: fc.oneof(fc.constantFrom('/api/', '/shop.Cart/', 'api'), fc.string({ maxLength: 8 })),
    equals: fc.oneof(fc.constantFrom('qa', '1', 'canary'), fc.string({ maxLength: 8 }), fc.integer()),
    oneOf: fc.oneof(fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), fc.constant('qa')),
    // Simple patterns only: rules are operator config, and a catastrophic regex is out of scope here.
    regex: fc.oneof(fc.constantFrom('^2\\.', 'qa|staff', '(', '[a-z]+$', '', '\\d{2,}'), fc.stringMatching(/^[a-z^$.|]{0,8}$/)),
    ignoreCase: fc.oneof(fc.boolean(), fc.constant('yes')),
    mach: fc.constant(1),
  },
  { requiredKeys: [] },
);
const ruleShape = fc.record(
  {
    stage: fc.oneof(fc.constantFrom('canary', 'beta', 'stable'), rawStage, fc.integer()),
    name: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
    match: fc.oneof(conditionShape, fc.array(conditionShape, { maxLength: 3 }), fc.constant(null), fc.string({ maxLength: 4 })),
    rollout: fc.oneof(
      fc.record(
        {
          percent: fc.oneof(fc.double({ min: -10, max: 110, noNaN: true }), fc.constantFrom(0, 10, 50, 100), fc.string({ maxLength: 3 })),
          header: fc.oneof(fc.constantFrom('x-user-id'), fc.string({ maxLength: 6 })),
          cookie: fc.constantFrom('uid', ''),
          salt: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()),
        },
        { requiredKeys: [] },
      ),
      fc.constant(7),
    ),
    mach: fc.constant({}),
  },
  { requiredKeys: [] },
);
/** Rule lists mixing shaped rules and arbitrary JSON. */
const ruleList = fc.oneof(
  { weight: 4, arbitrary: fc.array(ruleShape, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const requestInput = fc.record({
  headers: headerRecord,
  url: fc.oneof(fc.constant(undefined), fc.constantFrom('/api/x?lane=canary', '/shop.Cart/Add', '/healthz', '/%zz?%', '?&=&'), fc.string({ maxLength: 40 })),
  cookie: fc.oneof(fc.constantFrom('beta=1; uid=42', 'uid="%E0%A4%A"', '=;;=x', 'beta=%zz'), fc.string({ maxLength: 40 })),
});

// ---------------------------------------------------------------- registry-shaped JSON

const instanceShape = fc.record(
  {
    service: fc.oneof(fc.constantFrom('k', 'shop.Price'), fc.string({ maxLength: 8 })),
    address: fc.oneof(
      fc.constantFrom('127.0.0.1:50051', '[::1]:50051', 'host:0', 'host:65536', 'host:99999', 'a b:1', '[zz]:1', ':1', 'h:', '[:]:1', '[.]:80', 'localhost:007'),
      fc.tuple(fc.string({ maxLength: 6 }), fc.integer({ min: -1, max: 70000 })).map(([h, p]) => `${h}:${p}`),
      fc.string({ maxLength: 12 }),
    ),
    stage: fc.oneof(fc.constantFrom('stable', 'canary'), rawStage),
    weight: fc.oneof(fc.integer({ min: -1, max: 1001 }), fc.double(), fc.constant('2')),
    meta: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })), fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })), fc.constant(null)),
  },
  { requiredKeys: [] },
);
const rulesShape = fc.record(
  {
    fallback: fc.oneof(fc.constantFrom('permissive', 'strict', 'Strict'), fc.jsonValue({ maxDepth: 1 })),
    strictStages: fc.oneof(fc.array(rawStage, { maxLength: 3 }), fc.constant('canary')),
    disabledStages: fc.oneof(fc.array(fc.constantFrom('canary', 'stable', 'Canary'), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
  },
  { requiredKeys: [] },
);
const ruleMap = fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('k', 'shop.Price'), fc.string({ maxLength: 6 })), fc.oneof(rulesShape, fc.jsonValue({ maxDepth: 1 })), { maxKeys: 3 }), fc.jsonValue({ maxDepth: 1 }));
const registryDoc = fc.oneof(
  { weight: 4, arbitrary: fc.record({ instances: fc.oneof(fc.array(instanceShape, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })), rules: ruleMap }, { requiredKeys: [] }).map((d) => JSON.stringify(d)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((d) => JSON.stringify(d)) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('', '{', '{"instances": [', 'null', '[]', '{"instances": {}}', '\u0000')) },
);
const SERVICES = ['k', 'shop.Price', '', 'nope', '__proto__'];

// ---------------------------------------------------------------- hop traces

const hopShape: fc.Arbitrary<GrayHop> = fc.record({
  depth: fc.integer({ min: 0, max: 63 }),
  service: fc.stringMatching(/^[A-Za-z0-9._:@/-]{1,20}$/),
  instance: fc.stringMatching(/^[A-Za-z0-9._:@/-]{1,20}$/),
  stage: validStage,
  explicit: fc.boolean(),
});
/** Trailer values: real encodings, encodings with one field mangled, and junk. */
const trailerValue = fc.oneof(
  fc.tuple(fc.array(hopShape, { maxLength: 70 }), fc.boolean()).map(([hops, inc]) => encodeHops(hops, inc)),
  fc.tuple(fc.array(hopShape, { minLength: 1, maxLength: 6 }), fc.nat(40), fc.constantFrom('', ';', ',', '...', '9', '-', 'A', ' ', '\n', '99', ';;;;', 'ü')).map(([hops, at, junk]) => {
    const text = encodeHops(hops.map((h, i) => ({ ...h, depth: Math.min(i, 63) })), false);
    const i = at % (text.length + 1);
    return text.slice(0, i) + junk + text.slice(i);
  }),
  fc.string({ maxLength: 80 }),
  fc.string({ minLength: 8000, maxLength: 8300 }),
  fc.constantFrom('', '...', '...,...', '0;a;b;canary;1,...', '0;a;b;CANARY;1', '00;a;b;c;1', '0;a;b;c;2', '0;a;b;c;1,2;a;b;c;1', '1;a;b;c;1'),
);

// ---------------------------------------------------------------- the properties

/** One fuzz property: `check(runs, seed)` throws (fast-check's report) when a counterexample is found. */
export interface FuzzProperty {
  readonly name: string;
  readonly check: (numRuns: number, seed?: number) => void | Promise<void>;
}

function prop<T>(arb: fc.Arbitrary<T>, predicate: (value: T) => void): (numRuns: number, seed?: number) => void {
  return (numRuns, seed) => fc.assert(fc.property(arb, predicate), { numRuns, ...(seed === undefined ? {} : { seed }) });
}

/** Builds the properties; `dispose()` removes the temp files of the file-registry property. */
export function fuzzProperties(): { properties: FuzzProperty[]; dispose(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'graylane-fuzz-'));
  const file = join(dir, 'registry.json');
  const good = { instances: [{ service: 'k', address: '127.0.0.1:50051', stage: 'stable' }, { service: 'k', address: '127.0.0.1:50052', stage: 'canary' }], rules: { k: { fallback: 'strict' } } };
  writeFileSync(file, JSON.stringify(good));
  const errors: Error[] = [];
  // No watcher-driven reloads in the middle of a run: the property calls reload() itself.
  const fileRegistry = createFileRegistry(file, { debounceMs: 1_000_000, pollIntervalMs: 0, onError: (e) => errors.push(e) });

  const properties: FuzzProperty[] = [
    {
      name: 'stage values: parseStage',
      check: prop(rawStage, (raw) => {
        const parsed = parseStage(raw);
        if (parsed.ok) {
          if (!VALID_STAGE.test(parsed.stage) || parsed.stage !== raw.split(',')[0]!.trim().toLowerCase()) fail(`accepted ${JSON.stringify(raw)} as ${parsed.stage}`);
        } else if (!['empty', 'too-long', 'bad-characters'].includes(parsed.reason)) fail(`reason ${parsed.reason}`);
      }),
    },
    {
      name: 'policy options (key lists, prefixes, stages, limits)',
      check: prop(policyOptions, (options) => {
        let policy: GrayPolicy;
        try {
          policy = createGrayPolicy(options);
        } catch (e) {
          return expectConfigError(e);
        }
        for (const k of [policy.stageKey, ...policy.aliases, ...policy.keys, ...policy.keyPrefixes]) if (!GRPC_KEY.test(k)) fail(`policy accepted key ${JSON.stringify(k)}`);
        if (!VALID_STAGE.test(policy.defaultStage)) fail('bad default stage');
        if (policy.stages !== undefined && !policy.stages.has(policy.defaultStage)) fail('default stage not allowed');
        if (policy.aliases.includes(policy.stageKey) || policy.keys.includes(policy.stageKey)) fail('stage key listed twice');
      }),
    },
    {
      name: 'extract + forward over header records',
      check: prop(fc.tuple(plausibleOptions, headerRecord), ([options, headers]) => {
        const policy = createGrayPolicy(options);
        const ctx = extractGrayContext(headers, recordCarrier, policy);
        checkContext(ctx, policy);
        checkForward(ctx, policy);
      }),
    },
    {
      // The same with header names limited to gRPC key characters: written to isolate the keyPrefix
      // bug (fixed in 3a20333; test/soak/fuzz-regressions.test.ts); kept as a denser variant.
      name: 'extract + forward over header records (gRPC-valid names only)',
      check: prop(fc.tuple(plausibleOptions, fc.dictionary(carrierKey, fc.oneof(rawValue, fc.array(rawValue, { minLength: 1, maxLength: 3 })), { maxKeys: 12 })), ([options, headers]) => {
        const policy = createGrayPolicy(options);
        const ctx = extractGrayContext(headers, recordCarrier, policy);
        checkContext(ctx, policy);
        checkForward(ctx, policy);
      }),
    },
    {
      name: 'extract + forward over grpc-js Metadata',
      check: prop(fc.tuple(plausibleOptions, entries), ([options, list]) => {
        const policy = createGrayPolicy(options);
        const md = grpcMetadata(list);
        const ctx = extractGrayContext(md, grpcMetadataCarrier, policy);
        checkContext(ctx, policy);
        checkForward(ctx, policy);
        // forwardGrayMetadata(call) reads the call's metadata itself and never touches the caller's `into` keys.
        const into = new GrpcMetadata();
        into.set('x-own', 'kept');
        const out = forwardGrayMetadata({ metadata: md }, into, { policy });
        if (out.get('x-own')[0] !== 'kept') fail('caller key overwritten');
      }),
    },
    {
      name: 'extract + forward over nice-grpc Metadata',
      check: prop(fc.tuple(plausibleOptions, entries), ([options, list]) => {
        const policy = createGrayPolicy(options);
        const ctx = extractGrayContext(niceMetadata(list), niceMetadataCarrier, policy);
        checkContext(ctx, policy);
        checkForward(ctx, policy);
      }),
    },
    {
      name: 'coloring rules (arbitrary rule-shaped JSON)',
      check: prop(fc.tuple(ruleList, requestInput, fc.boolean(), ruleList), ([rules, req, withPolicy, next]) => {
        const policy = withPolicy ? createGrayPolicy({ stages: ['stable', 'canary', 'beta'] }) : undefined;
        let set: ReturnType<typeof createColoringRules>;
        try {
          set = createColoringRules(rules as never, policy === undefined ? {} : { policy });
        } catch (e) {
          return expectConfigError(e);
        }
        const headers = { ...req.headers, cookie: req.cookie };
        const resolveAndCheck = (): void => {
          const stage = set.resolve(coloringInput(headers, recordCarrier, req.url));
          if (stage !== undefined && !VALID_STAGE.test(stage)) fail(`rule resolved to ${JSON.stringify(stage)}`);
          if (stage !== undefined && policy?.stages !== undefined && !policy.stages.has(stage)) fail('rule resolved to a stage outside the allowlist');
          const p = policy ?? createGrayPolicy();
          const colored = coloringResolver(set, recordCarrier, p)(p.defaultContext, headers, req.url);
          checkContext(colored, p);
        };
        resolveAndCheck();
        // Hot swap: valid rules replace the set; invalid ones throw GrayConfigError and keep it.
        const before = set.version;
        try {
          set.setRules(next as never);
          if (set.version !== before + 1) fail('version not bumped');
        } catch (e) {
          expectConfigError(e);
          if (set.version !== before) fail('failed swap changed the version');
        }
        resolveAndCheck();
      }),
    },
    {
      name: 'registry content (static registry)',
      check: prop(fc.tuple(fc.oneof(fc.array(instanceShape, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })), ruleMap), ([instances, rules]) => {
        let reg: ReturnType<typeof createStaticRegistry>;
        try {
          reg = createStaticRegistry(instances as GrayInstance[], rules as Record<string, GrayServiceRules>);
        } catch (e) {
          return expectConfigError(e);
        }
        for (const s of SERVICES) checkSnapshot(reg.getService(s));
        void reg.close();
      }),
    },
    {
      name: 'registry files (file registry reload: error reported, last good kept)',
      check: (numRuns, seed) =>
        fc.assert(
          fc.asyncProperty(registryDoc, fc.nat(3), async (text, reset) => {
            const before = SERVICES.map((s) => fileRegistry.getService(s));
            const errorsBefore = errors.length;
            const lastBefore = fileRegistry.lastError;
            writeFileSync(file, text);
            const applied = await fileRegistry.reload();
            const after = SERVICES.map((s) => fileRegistry.getService(s));
            after.forEach(checkSnapshot);
            if (applied) {
              if (fileRegistry.lastError !== undefined) fail('applied but lastError set');
            } else {
              if (!(fileRegistry.lastError instanceof GrayConfigError)) fail('rejected without a GrayConfigError');
              // Reported through onError (once per distinct broken content).
              if (errors.length === errorsBefore && lastBefore?.message !== fileRegistry.lastError.message) fail('broken file not reported');
              if (JSON.stringify(before) !== JSON.stringify(after)) fail('last good state not kept');
            }
            // Back to a known good file every 4th run, so "last good kept" is checked against real content.
            if (reset === 0) {
              writeFileSync(file, JSON.stringify(good));
              if (!(await fileRegistry.reload())) fail('good file refused');
            }
          }),
          { numRuns, ...(seed === undefined ? {} : { seed }) },
        ),
    },
    {
      name: 'hop-trace trailers: parseHops / readHopTrace',
      check: prop(fc.tuple(trailerValue, fc.constantFrom('string', 'metadata', 'status', 'record', 'array')), ([value, shape]) => {
        checkHopTrace(parseHops(value));
        let source: Parameters<typeof readHopTrace>[0];
        if (shape === 'string') source = value;
        else if (shape === 'record') source = { 'x-gray-hops': value };
        else if (shape === 'array') source = { 'x-gray-hops': [value, value] };
        else {
          const md = new GrpcMetadata();
          try {
            md.set('x-gray-hops', value);
          } catch {
            // not a legal metadata value
          }
          source = shape === 'metadata' ? md : { metadata: md };
        }
        checkHopTrace(readHopTrace(source));
      }),
    },
    {
      name: 'hop-trace round trip: encodeHops -> parseHops',
      // At least one hop: a server always reports itself (encodeHops([], false) is '', which parseHops calls invalid).
      check: prop(fc.tuple(fc.array(hopShape, { minLength: 1, maxLength: 80 }), fc.boolean()), ([raw, incomplete]) => {
        // Make the depths a valid call tree: 0 first, then each at most one deeper than the previous.
        const hops: GrayHop[] = [];
        for (const h of raw) hops.push({ ...h, depth: hops.length === 0 ? 0 : Math.max(1, Math.min(h.depth, hops[hops.length - 1]!.depth + 1)) });
        const trace = parseHops(encodeHops(hops, incomplete));
        if (trace.status !== 'ok') fail(`own encoding refused: ${JSON.stringify(trace)}`);
        checkHopTrace(trace);
        const n = trace.hops.length;
        if (JSON.stringify(trace.hops) !== JSON.stringify(hops.slice(0, n))) fail('hops changed in the round trip');
        if (trace.incomplete !== (incomplete || n < hops.length)) fail('incomplete flag wrong');
      }),
    },
  ];
  return {
    properties: [...properties, ...hostileProperties()],
    async dispose() {
      await fileRegistry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
