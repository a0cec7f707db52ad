import { defineConfig } from 'tsup';

// One entry per public subpath; ESM and CJS share chunks so each copy of the core exists once per format.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'grpc-js/index': 'src/grpc-js/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  outDir: 'dist',
  treeshake: true,
});
