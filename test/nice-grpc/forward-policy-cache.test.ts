/**
 * forwardGrayMetadata (nice-grpc) with per-call options builds its policy once per options object,
 * not once per call. Probe: option fields are getters counting how often they are read (building a
 * policy reads every field).
 */
import { Metadata } from 'nice-grpc-common';
import { describe, expect, it } from 'vitest';
import { forwardGrayMetadata, type NiceForwardGrayMetadataOptions } from '../../src/nice-grpc/index.js';

const incoming = (): Metadata => Metadata({ 'x-release-stage': 'canary', 'x-gray-user': 'u1' });

describe('forwardGrayMetadata (nice-grpc): per-call options do not build a policy per call', () => {
  it('one options object with policy options is read once, and its policy applies on every call', () => {
    let reads = 0;
    const options: NiceForwardGrayMetadataOptions = { overwrite: true, get keyPrefix() { reads++; return 'x-gray-'; } };
    for (let i = 0; i < 50; i++) {
      expect([...forwardGrayMetadata({ metadata: incoming() }, undefined, options)]).toEqual([['x-release-stage', ['canary']], ['x-gray-user', ['u1']]]);
    }
    expect(reads).toBe(1);
  });

  it('options holding no policy option (overwrite only) build no policy at all', () => {
    let reads = 0;
    // A policy build would read stageKey (here an inherited getter); forwarding must not.
    const options = Object.assign(Object.create({ get stageKey() { reads++; return undefined; } }) as NiceForwardGrayMetadataOptions, { overwrite: true });
    for (let i = 0; i < 50; i++) {
      expect([...forwardGrayMetadata(incoming(), Metadata(), options)]).toEqual([['x-release-stage', ['canary']]]);
    }
    expect(reads).toBe(0);
  });
});
