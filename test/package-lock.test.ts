/**
 * A fresh clone installed as the README says must leave package-lock.json as committed (otherwise every
 * run's provenance reads "uncommitted changes" on a clean checkout). npm 11 writes an entry for every
 * optional dependency of every locked package, whatever the platform; a lock missing one is rewritten
 * by `npm install` and refused by `npm ci`. The README and CI install the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();

test('package-lock.json lists every optional dependency of every locked package', () => {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { optionalDependencies?: Record<string, string> }> };
  const missing: string[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) {
      if (!lock.packages[`node_modules/${dep}`] && !lock.packages[`${path}/node_modules/${dep}`]) missing.push(`${path || '(root)'} → ${dep}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the README and CI install with the same command (npm ci)', () => {
  assert.match(readFileSync(join(root, 'README.md'), 'utf8'), /setup-system\.sh && npm ci && npx glassy demo/);
  assert.match(readFileSync(join(root, '.ci/run'), 'utf8'), /^npm ci /m);
});
