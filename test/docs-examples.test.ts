/**
 * The docs' shell examples run as written: every ```sh block of the pages listed below is run with
 * `glassy` → this checkout's bin, in an empty directory, and must exit 0. A page joins the list when
 * its examples are short (seconds, synthetic data); pages whose examples train on MNIST for minutes
 * are left out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'bin', 'glassy.js');
const PAGES = ['docs/surface.md'];

/** The ```sh blocks of a markdown page. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

for (const page of PAGES) {
  test(`${page}: its shell examples run as written`, () => {
    const blocks = shellBlocks(readFileSync(join(REPO, page), 'utf8'));
    assert.ok(blocks.length > 0, `${page} has no shell example`);
    const dir = mkdtempSync(join(tmpdir(), 'glassy-docs-'));
    try {
      for (const block of blocks) {
        const script = `set -e\nglassy() { "${process.execPath}" "${BIN}" "$@"; }\n${block}`;
        const r = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, GLASSY_PROGRESS: 'none' } });
        assert.equal(r.status, 0, `${page}:\n${block}\n${r.stderr.slice(-2000)}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
