import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { createGrayPolicy, extractGrayContext, recordCarrier, runWithStage } from '../../src/index.js';
import { forwardGrayMetadata } from '../../src/grpc-js/index.js';

const incoming = (entries: Record<string, string>) => {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(entries)) md.set(k, v);
  return md;
};

describe('forwardGrayMetadata (grpc-js)', () => {
  it('from the current context', () => {
    const md = runWithStage('canary', () => forwardGrayMetadata());
    expect(md.getMap()).toEqual({ 'x-release-stage': 'canary' });
    expect(forwardGrayMetadata().getMap()).toEqual({});
  });

  it('from a GrayContext', () => {
    const ctx = extractGrayContext({ 'x-release-stage': 'blue', 'x-gray-a': '1' }, recordCarrier, createGrayPolicy({ keyPrefix: 'x-gray-' }));
    expect(forwardGrayMetadata(ctx).getMap()).toEqual({ 'x-release-stage': 'blue', 'x-gray-a': '1' });
  });

  it('from incoming Metadata or a server call, validating on the way', () => {
    expect(forwardGrayMetadata(incoming({ 'x-release-stage': 'CANARY', other: 'x' })).getMap()).toEqual({ 'x-release-stage': 'canary' });
    expect(forwardGrayMetadata({ metadata: incoming({ 'x-release-stage': 'canary' }) }).getMap()).toEqual({ 'x-release-stage': 'canary' });
    expect(forwardGrayMetadata(incoming({ 'x-release-stage': 'a;b' })).getMap()).toEqual({});
    const policy = createGrayPolicy({ keyPrefix: 'x-gray-' });
    expect(forwardGrayMetadata(incoming({ 'x-release-stage': 'canary', 'x-gray-a': '1' }), undefined, { policy }).getMap())
      .toEqual({ 'x-release-stage': 'canary', 'x-gray-a': '1' });
  });

  it('with into: adds without clobbering and returns the same object', () => {
    const into = incoming({ 'x-release-stage': 'blue', authorization: 't' });
    const out = runWithStage('canary', () => forwardGrayMetadata(undefined, into));
    expect(out).toBe(into);
    expect(out.getMap()).toEqual({ 'x-release-stage': 'blue', authorization: 't' });
    runWithStage('canary', () => forwardGrayMetadata(undefined, into, { overwrite: true }));
    expect(into.get('x-release-stage')).toEqual(['canary']);
  });

  it('carries -bin keys listed by name as binary', () => {
    const md = new grpc.Metadata();
    md.set('x-trace-bin', Buffer.from([0, 1, 2, 255]));
    const out = forwardGrayMetadata(md, undefined, { keys: ['x-trace-bin'] });
    expect(out.get('x-trace-bin')).toEqual([Buffer.from([0, 1, 2, 255])]);
  });
});

describe('forwarding never throws on the request path', () => {
  it('skips entries grpc-js cannot send (only a hand-built context can hold them)', () => {
    const ctx = { stage: 'canary', explicit: true, entries: { 'x-release-stage': 'canary', 'Bad Key!': 'v', 'x-ok': 'line\nbreak' } };
    const md = forwardGrayMetadata(ctx);
    expect(md.getMap()).toEqual({ 'x-release-stage': 'canary' });
  });
});

describe('prebuilt metadata of shared contexts', () => {
  it('each forward returns its own copy: changing one never leaks into the next', () => {
    const first = runWithStage('canary', () => forwardGrayMetadata());
    first.set('x-release-stage', 'mutated');
    first.set('authorization', 'secret');
    const second = runWithStage('canary', () => forwardGrayMetadata());
    expect(second.getMap()).toEqual({ 'x-release-stage': 'canary' });
  });

  it('per-request contexts (extra keys) still forward exactly their entries', () => {
    const policy = createGrayPolicy({ keyPrefix: 'x-gray-' });
    const a = forwardGrayMetadata(incoming({ 'x-release-stage': 'canary', 'x-gray-a': '1' }), undefined, { policy });
    const b = forwardGrayMetadata(incoming({ 'x-release-stage': 'canary', 'x-gray-b': '2' }), undefined, { policy });
    expect(a.getMap()).toEqual({ 'x-release-stage': 'canary', 'x-gray-a': '1' });
    expect(b.getMap()).toEqual({ 'x-release-stage': 'canary', 'x-gray-b': '2' });
  });
});
