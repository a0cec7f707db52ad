/**
 * fast-check properties for the hostile inputs of the trust boundary (docs/security.md): Unicode
 * look-alikes, comma-joined values, control keys and the token header at an untrusting edge,
 * prototype names in carriers and registries, and pathological coloring regexes. Each says what a
 * hostile or sloppy sender can never achieve. Part of soak/fuzz-properties.ts's list.
 */
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import {
  CONTROL_KEYS,
  GrayConfigError,
  createColoringRules,
  createGrayPolicy,
  extractGrayContext,
  parseStage,
  recordCarrier,
} from 'graylane';
import { createStaticRegistry } from 'graylane/routing';
import { coloringInput } from '../src/core/rules/input.js';
import { createHttpEdge } from '../src/http/edge.js';

const VALID_STAGE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const ASCII = /^[\x20-\x7e\t]*$/; // printable ASCII (stages are printable)

/** One fuzz property, as soak/fuzz-properties.ts runs them. */
export interface HostileProperty {
  readonly name: string;
  readonly check: (numRuns: number, seed?: number) => void;
}

function prop<T>(arb: fc.Arbitrary<T>, predicate: (value: T) => void): (numRuns: number, seed?: number) => void {
  return (numRuns, seed) => fc.assert(fc.property(arb, predicate), { numRuns, ...(seed === undefined ? {} : { seed }) });
}

function fail(message: string): never {
  throw new Error(message);
}

// ---------------------------------------------------------------- arbitraries

/** Characters that case-fold or normalise onto ASCII letters or spaces in some engine. */
const LOOK_ALIKES = ['\u212A', '\u0131', '\u0130', '\u017F', '\uFB00', '\uFF41', '\uFF43', '\u0430', '\u0441', '\u00A0', '\u2009', '\u3000', '\u200B', '\uFEFF', '\u00E9', 'e\u0301'];
const stageChar = fc.constantFrom(...'abcdeknrsty0129.-_ABCKRS'.split(''));
const lookAlikeStage = fc
  .array(fc.oneof({ weight: 4, arbitrary: stageChar }, { weight: 1, arbitrary: fc.constantFrom(...LOOK_ALIKES) }), { minLength: 1, maxLength: 20 })
  .map((parts) => parts.join(''));
const validStage = fc.stringMatching(VALID_STAGE);
const separator = fc.constantFrom(',', ', ', ' ,', ' , ', ',,', ',\t');

const TOKEN_HEADER = 'x-gray-token';
const hostileKey = fc.oneof(
  fc.constantFrom(...CONTROL_KEYS, 'x-release-stage', 'x-canary-version', TOKEN_HEADER, '__proto__', 'constructor', 'prototype', 'x-gray-__proto__', 'x-gray-constructor', 'x-user'),
  fc.stringMatching(/^x-gray-[a-z0-9_.-]{1,8}$/),
  fc.stringMatching(/^x-[a-z0-9_.-]{1,8}$/),
);
const hostileValue = fc.oneof(fc.constantFrom('canary', '1', 'secret', 'canary, stable', '{"a":1}'), validStage, fc.string({ maxLength: 40 }));
const hostileHeaders = fc.array(fc.tuple(hostileKey, hostileValue), { maxLength: 12 }).map((pairs) => {
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of pairs) headers[k] = v;
  return headers;
});

/** Regexes with nested or overlapping quantifiers: catastrophic under a backtracking engine. */
const atom = fc.constantFrom('a', '.', '[ab]', '\\w', 'a?', '(a|aa)', '(a|a)', '(a*)', '(.*a)', '(?:a+)');
const quantifier = fc.constantFrom('+', '*', '{1,8}', '{2,}', '+?');
const pathologicalRegex = fc
  .tuple(fc.array(fc.tuple(atom, quantifier), { minLength: 1, maxLength: 4 }), fc.constantFrom('', '$', 'b', '!$', '\\d'), fc.boolean())
  .map(([parts, tail, anchored]) => `${anchored ? '^' : ''}(${parts.map(([a, q]) => `${a}${q}`).join('')})+${tail}`);
const hostileInput = fc.tuple(fc.constantFrom('a', 'ab', 'aaaaaaaaaaaaaaaaaaaa!', ' '), fc.integer({ min: 1, max: 4096 })).map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

/** A crude request for the edge's resolver: headers and a path, as node:http hands them over. */
function request(headers: Record<string, string>, url = '/'): IncomingMessage {
  return { headers, url, socket: {} } as unknown as IncomingMessage;
}

const prototypeSnapshot = (): string => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

// ---------------------------------------------------------------- the properties

/** The trust-boundary properties. */
export function hostileProperties(): HostileProperty[] {
  const untrusting = createGrayPolicy({ trustIncoming: false, keyPrefix: ['x-gray-', 'x-'], aliases: ['x-canary-version'] });
  const edges = [
    createHttpEdge({ keyPrefix: 'x-gray-', aliases: ['x-canary-version'], trust: { tokenHeader: TOKEN_HEADER, tokens: ['secret'] } }),
    createHttpEdge({ keyPrefix: 'x-', trust: { tokenHeader: TOKEN_HEADER, tokens: ['secret'] } }),
    createHttpEdge({ keyPrefix: 'x-gray-', trustIncoming: true, trust: { tokenHeader: TOKEN_HEADER, tokens: ['secret'] } }),
  ];
  const prototypeBefore = prototypeSnapshot();

  return [
    {
      name: 'hostile: Unicode look-alikes never become a stage',
      check: prop(lookAlikeStage, (raw) => {
        const parsed = parseStage(raw);
        const first = raw.split(',')[0]!;
        if (!parsed.ok) return;
        if (!ASCII.test(first)) fail(`accepted non-ASCII ${JSON.stringify(raw)} as ${parsed.stage}`);
        if (!VALID_STAGE.test(parsed.stage) || !ASCII.test(parsed.stage)) fail(`accepted ${JSON.stringify(raw)} as ${JSON.stringify(parsed.stage)}`);
      }),
    },
    {
      name: 'hostile: a comma-joined stage counts as its first value',
      check: prop(fc.tuple(validStage, separator, fc.oneof(validStage, fc.string({ maxLength: 20 }))), ([first, sep, rest]) => {
        const joined = `${first}${sep}${rest}`;
        const parsed = parseStage(joined);
        if (!parsed.ok || parsed.stage !== first) fail(`${JSON.stringify(joined)} gave ${JSON.stringify(parsed)}`);
        const ctx = extractGrayContext({ 'x-release-stage': joined }, recordCarrier);
        if (ctx.stage !== first || !ctx.explicit) fail(`extracted ${ctx.stage} from ${JSON.stringify(joined)}`);
      }),
    },
    {
      name: 'hostile: control keys, stage, aliases and the token never cross an untrusting edge',
      check: prop(fc.tuple(hostileHeaders, fc.boolean()), ([headers, withToken]) => {
        const ctx = extractGrayContext(headers, recordCarrier, untrusting);
        if (ctx.explicit || ctx.stage !== 'stable') fail(`untrusted caller set stage ${ctx.stage}`);
        for (const k of [...CONTROL_KEYS, 'x-release-stage', 'x-canary-version']) if (k in ctx.entries) fail(`untrusted ${k} reached the context`);
        if (withToken) headers[TOKEN_HEADER] = 'secret';
        for (const edge of edges) {
          const decided = edge.resolve(request(headers));
          if (decided === undefined) fail('a non-health request got no context');
          if (TOKEN_HEADER in decided.entries) fail('the token header reached the context');
          const trusted = headers[TOKEN_HEADER] === 'secret' || edge === edges[2];
          if (!trusted) {
            if (decided.explicit) fail(`an untrusted caller set stage ${decided.stage}`);
            for (const k of [...CONTROL_KEYS, edge.policy.stageKey, ...edge.policy.aliases]) if (k in decided.entries) fail(`untrusted ${k} reached the context`);
          }
        }
      }),
    },
    {
      name: 'hostile: prototype names are inert (carriers, contexts, registries)',
      check: prop(fc.tuple(hostileHeaders, fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf')), ([headers, service]) => {
        const policy = createGrayPolicy({ keyPrefix: 'x-gray-', keys: ['constructor', 'prototype'] });
        const ctx = extractGrayContext(headers, recordCarrier, policy);
        if (Object.getPrototypeOf(ctx.entries) !== null) fail('context entries have a prototype');
        try {
          const registry = createStaticRegistry([{ service, address: '127.0.0.1:50051', stage: 'stable' }]);
          registry.setRules(service, { fallback: 'strict', disabledStages: ['canary'] });
          if (['__proto__', 'constructor', 'prototype'].includes(service)) fail(`registry accepted service ${service}`);
        } catch (e) {
          if (!(e instanceof GrayConfigError)) throw e;
        }
        if (prototypeSnapshot() !== prototypeBefore) fail('Object.prototype changed');
        if (({} as Record<string, unknown>)['disabledStages'] !== undefined) fail('Object.prototype polluted');
      }),
    },
    {
      name: 'hostile: pathological coloring regexes are refused or stay fast on 4 KB input',
      check: prop(fc.tuple(pathologicalRegex, hostileInput), ([regex, input]) => {
        let rules;
        try {
          rules = createColoringRules([{ name: 'r', stage: 'canary', match: { header: 'x-u', regex } }]);
        } catch (e) {
          if (e instanceof GrayConfigError) return;
          throw e;
        }
        const started = performance.now();
        rules.resolve(coloringInput({ 'x-u': input }, recordCarrier, '/'));
        const ms = performance.now() - started;
        // A backtracking engine takes seconds to forever here; RE2 takes well under a millisecond.
        if (ms > 250) fail(`${JSON.stringify(regex)} took ${ms.toFixed(0)} ms on ${input.length} characters`);
      }),
    },
  ];
}
