/** forwardGrayMetadata (nice-grpc): every accepted source, `into`, and bad input. */
import { describe, expect, it } from 'vitest';
import { Metadata, type CallContext } from 'nice-grpc-common';
import { createGrayPolicy, runWithStage } from '../../src/index.js';
import { forwardGrayMetadata, grayServerMiddleware } from '../../src/nice-grpc/index.js';
import { GrayConfigError } from '../../src/core/errors.js';

const policy = createGrayPolicy({ keyPrefix: 'x-gray-' });
const ctx = policy.contextFor('canary', { 'x-gray-user': 'u1' });

function callContext(md: Metadata): CallContext {
  return { metadata: md, peer: 'test', header: Metadata(), trailer: Metadata(), sendHeader: () => undefined, signal: new AbortController().signal };
}

describe('forwardGrayMetadata (nice-grpc)', () => {
  it('from a GrayContext', () => {
    expect([...forwardGrayMetadata(ctx)]).toEqual([['x-gray-user', ['u1']], ['x-release-stage', ['canary']]]);
  });

  it('from the current context, or nothing outside one', () => {
    expect(runWithStage('blue', () => forwardGrayMetadata().get('x-release-stage'))).toBe('blue');
    expect([...forwardGrayMetadata()]).toEqual([]);
  });

  it('from incoming Metadata, under the given policy', () => {
    const incoming = Metadata({ 'x-release-stage': 'Canary', 'x-gray-user': 'u2', 'x-other': 'no' });
    expect([...forwardGrayMetadata(incoming, undefined, { policy })]).toEqual([['x-release-stage', ['canary']], ['x-gray-user', ['u2']]]);
    // Default policy carries only the stage.
    expect([...forwardGrayMetadata(incoming)]).toEqual([['x-release-stage', ['canary']]]);
  });

  it('from a CallContext: its .gray when the middleware set it, else its metadata', () => {
    const incoming = Metadata({ 'x-release-stage': 'canary' });
    expect(forwardGrayMetadata(callContext(incoming)).get('x-release-stage')).toBe('canary');
    const withGray = { ...callContext(incoming), gray: policy.contextFor('blue') };
    expect(forwardGrayMetadata(withGray).get('x-release-stage')).toBe('blue');
  });

  it('adds into the given Metadata without clobbering its keys, unless overwrite', () => {
    const into = Metadata({ 'x-release-stage': 'mine', 'x-request-id': 'r' });
    expect(forwardGrayMetadata(ctx, into)).toBe(into);
    expect([...into]).toEqual([['x-release-stage', ['mine']], ['x-request-id', ['r']], ['x-gray-user', ['u1']]]);
    forwardGrayMetadata(ctx, into, { overwrite: true });
    expect(into.get('x-release-stage')).toBe('canary');
  });

  it('forwards nothing for input that is none of the accepted sources, and never throws', () => {
    for (const junk of [null, 42, 'canary', {}, { metadata: 'x' }, { stage: 1, entries: {} }] as unknown[]) {
      expect([...forwardGrayMetadata(junk as Metadata)]).toEqual([]);
    }
  });

  it('a bad policy option throws GrayConfigError saying what to fix', () => {
    expect(() => forwardGrayMetadata(Metadata(), undefined, { stageKey: 'Bad Key' })).toThrow(GrayConfigError);
    expect(() => grayServerMiddleware({ stages: [] })).toThrow(/stages is empty/);
    expect(() => grayServerMiddleware({ resolve: 'x' as never })).toThrow(/resolve must be a function/);
  });
});
