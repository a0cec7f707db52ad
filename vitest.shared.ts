import { fileURLToPath } from 'node:url';

/** Lets tests and examples import graylane by its public names while running from src/. */
export const graylaneAlias = [
  { find: /^graylane\/([a-z/-]+)$/, replacement: fileURLToPath(new URL('./src/$1/index.ts', import.meta.url)) },
  { find: /^graylane$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
];
