// `npm run demo`: the shop demo as a script (the `graylane demo` command runs the same code).
import { runDemo } from './demo.js';

process.exitCode = await runDemo(process.argv.slice(2));
