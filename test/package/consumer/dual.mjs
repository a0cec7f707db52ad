// ESM and CommonJS copies of graylane in one process share the context store and the error brand.
import { createRequire } from 'node:module';
import { runWithStage, GrayConfigError, createGrayPolicy } from 'graylane';
const require = createRequire(import.meta.url);
const cjs = require('graylane');
const cjsGrpc = require('graylane/grpc-js');
const seen = runWithStage('canary', () => cjs.getReleaseStage());
let brand = false;
try { cjs.createGrayPolicy({ stages: [] }); } catch (e) { brand = e instanceof GrayConfigError && e.name === 'GrayConfigError'; }
const md = runWithStage('canary', () => cjsGrpc.forwardGrayMetadata().getMap());
console.log(JSON.stringify({ seen, brand, md, esmPolicy: typeof createGrayPolicy, cjsInterceptor: typeof cjsGrpc.grayServerInterceptor }));
