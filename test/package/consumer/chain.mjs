// A consumer written from the README alone, against the installed tarball: a 3-hop chain
// (client → A → B → C) over all four call types; A→B via grayClientInterceptor, B→C via forwardGrayMetadata.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { getReleaseStage, bindGrayContext } from 'graylane';
import { grayServerInterceptor, grayClientInterceptor, forwardGrayMetadata } from 'graylane/grpc-js';

const file = createRequire(import.meta.url).resolve('graylane/protos/graylane/hop/v1/hop.proto');
const Hop = grpc.loadPackageDefinition(protoLoader.loadSync(file)).graylane.hop.v1.Hop;
const insecure = grpc.credentials.createInsecure();
const servers = [];

async function serve(name, next, mode) {
  const client = next && new Hop(next, insecure, mode === 'interceptor' ? { interceptors: [grayClientInterceptor()] } : {});
  const md = (call) => (mode === 'forward' ? forwardGrayMetadata(call) : new grpc.Metadata());
  const me = () => ({ service: name, stage: getReleaseStage() });
  const server = new grpc.Server({ interceptors: [grayServerInterceptor()] });
  server.addService(Hop.service, {
    Unary(call, cb) {
      const hop = me();
      if (!client) return cb(null, { id: call.request.id, hops: [hop] });
      client.Unary(call.request, md(call), bindGrayContext((e, r) => (e ? cb(e) : cb(null, { id: r.id, hops: [hop, me(), ...r.hops] }))));
    },
    ServerStream(call) {
      const hop = me();
      if (!client) { call.write({ id: call.request.id, hops: [hop] }); return call.end(); }
      const s = client.ServerStream(call.request, md(call));
      s.on('data', bindGrayContext((r) => call.write({ id: r.id, hops: [hop, me(), ...r.hops] })));
      s.on('end', () => call.end());
    },
    ClientStream(call, cb) {
      const hops = [me()];
      let id = '';
      call.on('data', (m) => { id = m.id; hops.push(me()); });
      call.on('end', () => {
        if (!client) return cb(null, { id, hops });
        const up = client.ClientStream(md(call), bindGrayContext((e, r) => (e ? cb(e) : cb(null, { id, hops: [...hops, me(), ...r.hops] }))));
        up.write({ id });
        up.end();
      });
    },
    Bidi(call) {
      const hop = me();
      const down = client?.Bidi(md(call));
      down?.on('data', bindGrayContext((r) => call.write({ id: r.id, hops: [hop, me(), ...r.hops] })));
      down?.on('end', () => call.end());
      call.on('data', (m) => (down ? down.write(m) : call.write({ id: m.id, hops: [hop, me()] })));
      call.on('end', () => (down ? down.end() : call.end()));
    },
  });
  const port = await new Promise((ok, fail) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
  servers.push({ server, client });
  return `127.0.0.1:${port}`;
}

const c = await serve('C');
const b = await serve('B', c, 'forward');
const a = await serve('A', b, 'interceptor');
const entry = new Hop(a, insecure);
const tag = (s) => { const m = new grpc.Metadata(); m.set('x-release-stage', s); return m; };
const read = (stream) => new Promise((ok, fail) => { const out = []; stream.on('data', (d) => out.push(d)); stream.on('error', fail); stream.on('end', () => ok(out)); });

const calls = [];
for (let i = 0; i < 50; i++) {
  calls.push(new Promise((ok, fail) => entry.Unary({ id: `u${i}` }, tag(`u-${i}`), (e, r) => (e ? fail(e) : ok([`u-${i}`, [r]])))));
  calls.push(read(entry.ServerStream({ id: `s${i}` }, tag(`s-${i}`))).then((r) => [`s-${i}`, r]));
  calls.push(new Promise((ok, fail) => { const w = entry.ClientStream(tag(`c-${i}`), (e, r) => (e ? fail(e) : ok([`c-${i}`, [r]]))); w.write({ id: `c${i}` }); w.end(); }));
  const d = entry.Bidi(tag(`d-${i}`)); const got = read(d); d.write({ id: `d${i}` }); d.end();
  calls.push(got.then((r) => [`d-${i}`, r]));
}
let checked = 0, bad = 0;
for (const [stage, replies] of await Promise.all(calls)) {
  for (const r of replies) for (const h of r.hops) { checked++; if (h.stage !== stage) bad++; }
  if (!replies.every((r) => new Set(r.hops.map((h) => h.service)).size === 3)) bad++;
}
entry.close();
for (const s of servers) { s.client?.close(); s.server.forceShutdown(); }
console.log(JSON.stringify({ checked, bad }));
process.exit(bad === 0 && checked > 0 ? 0 : 1);
