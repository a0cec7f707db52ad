import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Metadata } from '@grpc/grpc-js';
import { createGrayPolicy, extractGrayContext, injectGrayContext, parseStage, recordCarrier } from '../../src/index.js';
import { grpcMetadataCarrier } from '../../src/grpc-js/index.js';

const VALID_STAGE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const policies = [
  createGrayPolicy(),
  createGrayPolicy({ stages: ['stable', 'canary'], aliases: ['x-canary-version'], keyPrefix: 'x-gray-', keys: ['x-user'] }),
  createGrayPolicy({ trustIncoming: false, keyPrefix: 'x-gray-', maxKeys: 3 }),
];
const PRINTABLE = /^[\x20-\x7e]+$/;

const rawValue = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('canary', 'CANARY', ' stable ', '../x', 'a;b', ''), fc.string({ minLength: 60, maxLength: 80 }));
const headerKey = fc.oneof(fc.constantFrom('x-release-stage', 'x-canary-version', 'x-user', 'x-gray-a', 'x-gray-b', 'x-gray-c', 'x-gray-d'), fc.stringMatching(/^x-gray-[a-z]{1,6}$/));

describe('properties', () => {
  it('parseStage never throws and returns a valid stage or a reason', () => {
    fc.assert(fc.property(rawValue, (raw) => {
      const parsed = parseStage(raw);
      if (parsed.ok) expect(parsed.stage).toMatch(VALID_STAGE);
      else expect(typeof parsed.reason).toBe('string');
    }), { numRuns: 2000 });
  });

  it('extract over plain headers: never throws, stage valid or default, only valid values forwarded', () => {
    fc.assert(fc.property(fc.dictionary(headerKey, rawValue), fc.nat(policies.length - 1), (headers, which) => {
      const policy = policies[which]!;
      const ctx = extractGrayContext(headers, recordCarrier, policy);
      expect(ctx.stage).toMatch(VALID_STAGE);
      if (!ctx.explicit) expect(ctx.stage).toBe(policy.defaultStage);
      if (policy.stages) expect(policy.stages.has(ctx.stage)).toBe(true);
      expect(Object.keys(ctx.entries).length).toBeLessThanOrEqual(policy.maxKeys);
      for (const [key, value] of Object.entries(ctx.entries)) {
        if (key === policy.stageKey) expect(value).toBe(ctx.stage);
        else expect(value).toMatch(PRINTABLE);
        expect(value.length).toBeLessThanOrEqual(policy.maxValueLength);
      }
      if (!policy.trustIncoming) expect(ctx.explicit).toBe(false);
    }), { numRuns: 2000 });
  });

  it('grpc-js Metadata round trip: what is injected is extracted unchanged', () => {
    fc.assert(fc.property(fc.dictionary(headerKey, rawValue), (headers) => {
      const policy = policies[1]!;
      const incoming = new Metadata();
      for (const [k, v] of Object.entries(headers)) {
        try { incoming.set(k, v); } catch { /* grpc-js rejects some values itself */ }
      }
      const ctx = extractGrayContext(incoming, grpcMetadataCarrier, policy);
      const outgoing = injectGrayContext(ctx, new Metadata(), grpcMetadataCarrier);
      expect(extractGrayContext(outgoing, grpcMetadataCarrier, policy)).toEqual(ctx);
    }), { numRuns: 1000 });
  });
});
