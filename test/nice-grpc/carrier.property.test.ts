/** Properties of the nice-grpc Metadata carrier and forwardGrayMetadata: never throw, forward only valid values. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Metadata } from 'nice-grpc-common';
import { createGrayPolicy, extractGrayContext, injectGrayContext } from '../../src/index.js';
import { forwardGrayMetadata, niceMetadataCarrier } from '../../src/nice-grpc/index.js';

const VALID_STAGE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const VALID_KEY = /^[a-z0-9][a-z0-9_.-]*$/;
const PRINTABLE = /^[\x20-\x7e]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

const policies = [
  createGrayPolicy(),
  createGrayPolicy({ stages: ['stable', 'canary'], aliases: ['x-canary-version'], keyPrefix: 'x-gray-', keys: ['x-user', 'x-trace-bin'] }),
  createGrayPolicy({ trustIncoming: false, keyPrefix: 'x-gray-', maxKeys: 3, maxValueLength: 16 }),
];

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const textValue = fc.oneof(printable, fc.constantFrom('canary', 'CANARY', ' stable ', '../x', 'a;b', '', 'x'.repeat(70)));
const textKey = fc.oneof(
  fc.constantFrom('x-release-stage', 'x-canary-version', 'x-user', 'x-gray-a', 'x-gray-b', 'x-other', 'X-Gray-Upper'),
  fc.stringMatching(/^x-gray-[a-z0-9_.-]{1,8}$/),
).filter((k) => !k.toLowerCase().endsWith('-bin'));
const binKey = fc.constantFrom('x-trace-bin', 'x-gray-blob-bin', 'x-release-stage-bin');
/** Incoming metadata as nice-grpc would build it: text keys with printable values, `-bin` keys with bytes. */
const incoming = fc.tuple(
  fc.array(fc.tuple(textKey, textValue), { maxLength: 12 }),
  fc.array(fc.tuple(binKey, fc.uint8Array({ maxLength: 40 })), { maxLength: 3 }),
).map(([text, bin]) => {
  const md = Metadata();
  for (const [k, v] of text) md.append(k, v);
  for (const [k, v] of bin) md.append(k, v);
  return md;
});

describe('nice-grpc carrier properties', () => {
  it('extract + forward over nice-grpc Metadata: never throws, forwards only valid values', () => {
    fc.assert(fc.property(incoming, fc.nat(policies.length - 1), (md, which) => {
      const policy = policies[which]!;
      const ctx = extractGrayContext(md, niceMetadataCarrier, policy);
      expect(ctx.stage).toMatch(VALID_STAGE);
      if (!ctx.explicit) expect(ctx.stage).toBe(policy.defaultStage);
      if (policy.stages) expect(policy.stages.has(ctx.stage)).toBe(true);
      expect(Object.keys(ctx.entries).length).toBeLessThanOrEqual(policy.maxKeys);

      const out = forwardGrayMetadata(md, undefined, { policy });
      const forwarded = [...out];
      expect(forwarded.length).toBe(Object.keys(ctx.entries).length);
      for (const [key, values] of forwarded) {
        expect(key).toMatch(VALID_KEY);
        expect(values).toHaveLength(1);
        const value = values[0]!;
        if (key.endsWith('-bin')) {
          expect(value).toBeInstanceOf(Uint8Array);
          expect(niceMetadataCarrier.get(out, key)).toBe(ctx.entries[key]);
        } else {
          expect(value).toBe(ctx.entries[key]);
          expect(value).toMatch(PRINTABLE);
          expect((value as string).length).toBeLessThanOrEqual(key === policy.stageKey ? 64 : policy.maxValueLength);
        }
      }
    }), { numRuns: 1500 });
  });

  it('set never throws and writes only keys and values nice-grpc accepts', () => {
    const anyKey = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('x-a', 'x-a-bin', 'X-Upper', ''));
    const anyValue = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), printable, fc.base64String({ maxLength: 40 }));
    fc.assert(fc.property(anyKey, anyValue, (key, value) => {
      const md = Metadata();
      niceMetadataCarrier.set(md, key, value);
      if (!md.has(key)) return;
      expect(key).toMatch(VALID_KEY);
      if (key.endsWith('-bin')) {
        expect(value).toMatch(BASE64);
        expect(md.get(key)).toBeInstanceOf(Uint8Array);
      } else {
        expect(md.get(key)).toBe(value);
        expect(value).toMatch(PRINTABLE);
      }
    }), { numRuns: 2000 });
  });

  it('inject of any context never throws, keeps keys the carrier holds, and writes only valid values', () => {
    const entries = fc.dictionary(fc.oneof(textKey, binKey, fc.string({ maxLength: 10 })), fc.oneof(textValue, fc.string({ unit: 'grapheme', maxLength: 20 })));
    fc.assert(fc.property(entries, (e) => {
      const md = Metadata({ 'x-gray-a': 'mine' });
      injectGrayContext({ stage: 'canary', explicit: true, entries: e }, md, niceMetadataCarrier);
      expect(md.get('x-gray-a')).toBe('mine');
      for (const [key, values] of md) {
        expect(key).toMatch(VALID_KEY);
        for (const v of values) if (typeof v === 'string') expect(v).toMatch(/^[\x20-\x7e]*$/);
      }
    }), { numRuns: 1000 });
  });

  it('-bin values round-trip as base64 text', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
      const md = Metadata({ 'x-trace-bin': bytes });
      const text = niceMetadataCarrier.get(md, 'x-trace-bin')!;
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      const copy = Metadata();
      niceMetadataCarrier.set(copy, 'x-trace-bin', text);
      expect(copy.get('x-trace-bin')).toEqual(bytes);
    }), { numRuns: 500 });
  });
});
