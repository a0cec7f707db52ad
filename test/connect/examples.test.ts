/** The runnable examples examples/connect/main.ts and examples/hono/main.ts do what their comments say. */
import { describe, expect, it } from 'vitest';
import { main as connectMain } from '../../examples/connect/main.js';
import { main as honoMain } from '../../examples/hono/main.js';

describe('examples', () => {
  it('examples/connect: a spoofed stage is ignored, a rule and a token color the whole chain', async () => {
    expect(await connectMain()).toEqual([
      'spoofed stage, no token: front=stable → inventory=stable',
      'beta tester (rule): front=canary → inventory=canary',
      'QA with token: front=canary → inventory=canary',
    ]);
  });

  it('examples/hono: the gateway\'s decision reaches a streamed Connect call', async () => {
    expect(await honoMain()).toEqual([
      'spoofed (echo stable): gateway=stable backend=stable | gateway=stable backend=stable',
      'beta tester (echo canary): gateway=canary backend=canary | gateway=canary backend=canary',
      'QA with token (echo canary): gateway=canary backend=canary | gateway=canary backend=canary',
    ]);
  });
});
