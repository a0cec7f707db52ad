/**
 * forwardGrayMetadata (grpc-js) with per-call options builds its policy once per options object,
 * not once per call. Probe: option fields are getters counting how often they are read (building a
 * policy reads every field).
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { forwardGrayMetadata, type ForwardGrayMetadataOptions } from '../../src/grpc-js/index.js';

function incoming(): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('x-release-stage', 'canary');
  md.set('x-gray-user', 'u1');
  return md;
}

describe('forwardGrayMetadata (grpc-js): per-call options do not build a policy per call', () => {
  it('one options object with policy options is read once, and its policy applies on every call', () => {
    let reads = 0;
    const options: ForwardGrayMetadataOptions = { overwrite: true, get keyPrefix() { reads++; return 'x-gray-'; } };
    for (let i = 0; i < 50; i++) {
      expect(forwardGrayMetadata({ metadata: incoming() }, undefined, options).getMap()).toEqual({ 'x-release-stage': 'canary', 'x-gray-user': 'u1' });
    }
    expect(reads).toBe(1);
  });

  it('options holding no policy option (overwrite only) build no policy at all', () => {
    let reads = 0;
    // A policy build would read stageKey (here an inherited getter); forwarding must not.
    const options = Object.assign(Object.create({ get stageKey() { reads++; return undefined; } }) as ForwardGrayMetadataOptions, { overwrite: true });
    for (let i = 0; i < 50; i++) {
      expect(forwardGrayMetadata(incoming(), new grpc.Metadata(), options).getMap()).toEqual({ 'x-release-stage': 'canary' });
    }
    expect(reads).toBe(0);
  });

  it('bad options still throw GrayConfigError on every call', () => {
    const bad = { stageKey: 'Bad Key' };
    expect(() => forwardGrayMetadata(incoming(), undefined, bad)).toThrow(/not a valid metadata key/);
    expect(() => forwardGrayMetadata(incoming(), undefined, bad)).toThrow(/not a valid metadata key/);
  });
});
