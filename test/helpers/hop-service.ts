/**
 * A grpc-js implementation of the Hop service that records the stage it sees at every point of
 * every call type (entry, after await, 'data', 'end') and, optionally, calls the same method on a
 * downstream Hop service — through grayClientInterceptor ('interceptor') or forwardGrayMetadata ('forward').
 */
import * as grpc from '@grpc/grpc-js';
import { bindGrayContext, getGrayContext, getReleaseStage } from '../../src/index.js';
import { forwardGrayMetadata } from '../../src/grpc-js/index.js';
import { collect, tick, type HopClient, type HopRecord, type HopReply, type HopRequest } from './grpc.js';

export interface Downstream { client: HopClient; mode: 'interceptor' | 'forward' }

export function record(service: string, phase: string): HopRecord {
  return { service, instance: service, stage: getReleaseStage(), explicit: getGrayContext()?.explicit ?? false, phase };
}

function outgoing(mode: Downstream['mode'], call: { metadata: grpc.Metadata }): grpc.Metadata {
  return mode === 'forward' ? forwardGrayMetadata(call) : new grpc.Metadata();
}

export function hopImpl(service: string, downstream?: Downstream): grpc.UntypedServiceImplementation {
  return {
    unary(call: grpc.ServerUnaryCall<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
      const hops = [record(service, 'entry')];
      void (async () => {
        await tick();
        hops.push(record(service, 'after-await'));
        if (downstream) {
          const md = outgoing(downstream.mode, call);
          const reply = await new Promise<HopReply>((resolve, reject) =>
            downstream.client.unary(call.request, md, (err, res) => (err ? reject(err) : resolve(res!))));
          hops.push(record(service, 'downstream-callback'), ...reply.hops);
        }
        cb(null, { id: call.request.id, hops });
      })().catch((err: grpc.ServiceError) => cb(err));
    },

    serverStream(call: grpc.ServerWritableStream<HopRequest, HopReply>) {
      const entry = record(service, 'entry');
      void (async () => {
        await tick();
        const after = record(service, 'after-await');
        if (downstream) {
          const replies = await collect<HopReply>(downstream.client.serverStream(call.request, outgoing(downstream.mode, call)));
          for (const r of replies) call.write({ id: r.id, hops: [entry, after, record(service, 'downstream-data'), ...r.hops] });
        } else {
          for (let i = 0; i < Math.max(1, call.request.count ?? 1); i++) call.write({ id: call.request.id, hops: [entry, after] });
        }
        call.end();
      })().catch((err: grpc.ServiceError) => call.destroy(err));
    },

    clientStream(call: grpc.ServerReadableStream<HopRequest, HopReply>, cb: grpc.sendUnaryData<HopReply>) {
      const hops = [record(service, 'entry')];
      let id = '';
      call.on('data', (m: HopRequest) => {
        id = m.id;
        hops.push(record(service, 'data'));
      });
      call.on('end', () => {
        hops.push(record(service, 'end'));
        void (async () => {
          await tick();
          hops.push(record(service, 'after-await'));
          if (downstream) {
            const reply = await new Promise<HopReply>((resolve, reject) => {
              const up = downstream.client.clientStream(outgoing(downstream.mode, call), (err, res) => (err ? reject(err) : resolve(res!)));
              up.write({ id });
              up.end();
            });
            hops.push(record(service, 'downstream-callback'), ...reply.hops);
          }
          cb(null, { id, hops });
        })().catch((err: grpc.ServiceError) => cb(err));
      });
    },

    bidi(call: grpc.ServerDuplexStream<HopRequest, HopReply>) {
      const entry = record(service, 'entry');
      const down = downstream?.client.bidi(outgoing(downstream.mode, call));
      // A plain grpc-js client (no grayClientInterceptor) emits stream events in whatever context opened
      // the connection; hand-written call sites bind their listeners (README caveat).
      const onData = (r: HopReply) => call.write({ id: r.id, hops: [entry, record(service, 'downstream-data'), ...r.hops] });
      down?.on('data', downstream?.mode === 'forward' ? bindGrayContext(onData) : onData);
      down?.on('end', () => call.end());
      down?.on('error', (err: grpc.ServiceError) => call.destroy(err));
      call.on('data', (m: HopRequest) => {
        const data = record(service, 'data');
        if (down) down.write(m);
        else call.write({ id: m.id, hops: [entry, data] });
      });
      call.on('end', () => {
        if (down) down.end();
        else call.end();
      });
    },
  };
}
