/**
 * Bugs in src/ found by the fuzzing of soak/fuzz.ts (extract + forward over header records),
 * reduced to minimal cases; fixed in 3a20333, kept as regression tests.
 */
import { Metadata } from '@grpc/grpc-js';
import { createServer, request, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createGrayPolicy, extractGrayContext, recordCarrier, runWithGrayContext } from 'graylane';
import { forwardGrayMetadata } from 'graylane/grpc-js';
import { grayHttpMiddleware } from 'graylane/http';

describe('keyPrefix carries header names that are not valid gRPC metadata keys', () => {
  // HTTP allows token characters such as ! # $ % & ' * + ^ ` | ~ in header names; gRPC metadata keys
  // allow only [0-9a-z_.-]. Before the fix, prefix-matched keys were not checked with isValidKey, so
  // such a key landed in the context and grpc-js's Metadata.set threw when the context was
  // forwarded: an exception on the request path, caused by request input.
  it('core: extract from headers, then forward to grpc-js', () => {
    const policy = createGrayPolicy({ keyPrefix: 'x-gray-' });
    const ctx = extractGrayContext({ 'x-release-stage': 'canary', 'x-gray-a!b': '1' }, recordCarrier, policy);
    expect(Object.keys(ctx.entries)).toEqual(['x-release-stage']);
    expect(() => runWithGrayContext(ctx, () => forwardGrayMetadata())).not.toThrow();
  });

  it('HTTP edge: a client header `x-gray-a!b` does not make the handler\'s downstream call throw', async () => {
    let thrown: unknown;
    let forwarded: Metadata | undefined;
    const gray = grayHttpMiddleware({ keyPrefix: 'x-gray-', trustIncoming: true });
    const server: Server = createServer((req, res) => {
      gray(req, res, () => {
        try {
          forwarded = forwardGrayMetadata();
        } catch (e) {
          thrown = e;
        }
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as { port: number };
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', headers: { 'x-release-stage': 'canary', 'x-gray-a!b': '1' } }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', reject);
        req.end();
      });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(thrown).toBeUndefined();
    expect(forwarded?.get('x-release-stage')).toEqual(['canary']);
  });
});

describe('a carried key named like an Object.prototype member', () => {
  // Extraction tested `key in entries` on a plain object, so a key listed in `keys` (or matched by a
  // prefix) named `constructor` was never carried: `'constructor' in {}` is true.
  it('keys: ["constructor"] carries the constructor header', () => {
    const policy = createGrayPolicy({ keys: ['constructor'] });
    const ctx = extractGrayContext({ constructor: 'x' } as Record<string, string>, recordCarrier, policy);
    expect(ctx.entries).toEqual({ constructor: 'x' });
  });
});
