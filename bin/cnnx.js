#!/usr/bin/env node
// Entry point of the `cnnx` command line; the code is compiled to dist/ by `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('cnnx: dist/ is missing; run `npm ci && npm run build` in the repository first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main();
