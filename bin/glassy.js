#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in dist/ (built by `npm install` / `npm run build`).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`error: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
