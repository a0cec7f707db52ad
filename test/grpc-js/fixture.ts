/** One graylane server (Hop service, no downstream) and a plain client, per test file. */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll } from 'vitest';
import { grayServerInterceptor } from '../../src/grpc-js/index.js';
import { hopClient, startServer, type HopClient, type HopRecord, type RunningServer } from '../helpers/grpc.js';
import { hopImpl } from '../helpers/hop-service.js';

export function useHopServer(options: Parameters<typeof grayServerInterceptor>[0] = {}): { client: () => HopClient } {
  let server: RunningServer;
  let client: HopClient;
  beforeAll(async () => {
    server = await startServer(hopImpl('svc'), { interceptors: [grayServerInterceptor(options)] });
    client = hopClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });
  return { client: () => client };
}

export function withStage(stage: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (stage !== undefined) md.set('x-release-stage', stage);
  return md;
}

/** The distinct stages seen across a reply's records. */
export function stagesOf(hops: readonly HopRecord[]): string[] {
  return [...new Set(hops.map((h) => h.stage))];
}
