// `npm run docs:screens`: refreshes docs/dashboard/*.png — the dashboard in each state of a rollback
// (healthy, canary errors, guard tripped → fallback), taken in headless Chromium from the same fleet
// and guard scene as the page test (test/dashboard/guard-scene.ts). Needs Debian's chromium.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startGuardScene } from '../test/dashboard/guard-scene.js';

const out = join(import.meta.dirname, '..', 'docs', 'dashboard');
mkdirSync(out, { recursive: true });
const scene = await startGuardScene({ width: 1200, height: 800 });
try {
  const shot = async (name: string): Promise<void> => {
    // One more refresh so the rates settle on the state just reached.
    await new Promise((r) => setTimeout(r, 600));
    await scene.page.screenshot({ path: join(out, `${name}.png`) });
    console.log(`docs/dashboard/${name}.png`);
  };
  await scene.healthy();
  await shot('healthy');
  await scene.errors();
  await shot('errors');
  await scene.tripped();
  await shot('tripped');
  if (scene.pageErrors.length) throw new Error(`the page logged errors: ${scene.pageErrors.join('; ')}`);
} finally {
  await scene.close();
}
