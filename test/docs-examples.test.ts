/**
 * The docs' shell examples run as written: every ```sh / ```bash block of the README and of every page
 * under docs/ is run with `glassy` (and `npx glassy`) → this checkout's bin, in an empty directory per
 * page (blocks of a page share it, so a later block reads the runs an earlier one wrote), and must
 * exit 0. A block that is long by nature (a full paper sweep, a SLURM script, the set-up itself) is
 * marked on the line above its fence with
 *
 *     <!-- example: not run — REASON -->
 *
 * and is skipped; the test prints how many were skipped and why. Untagged fences are synopses or
 * output, not examples.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO, 'bin', 'glassy.js');
const PAGES = ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const SKIP = /<!--\s*example:\s*not run\s*[—-]+\s*(.+?)\s*-->\s*$/;

interface Block {
  line: number;
  code: string;
  /** Why it is not run (the marker's text); undefined: it runs. */
  skip?: string;
}

/** The ```sh / ```bash blocks of a markdown page, with the not-run marker of each. */
export function shellBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash)\s*$/.test(lines[i]!)) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    assert.ok(end > i, `unclosed fence at line ${i + 1}`);
    let above = i - 1;
    while (above >= 0 && lines[above]!.trim() === '') above--;
    const skip = above >= 0 ? SKIP.exec(lines[above]!)?.[1] : undefined;
    blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), ...(skip ? { skip } : {}) });
    i = end;
  }
  return blocks;
}

const skipped: string[] = [];
let ran = 0;

for (const page of PAGES) {
  const blocks = shellBlocks(readFileSync(join(REPO, page), 'utf8'));
  if (blocks.length === 0) continue;
  test(`${page}: its shell examples run as written`, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'glassy-docs-'));
    try {
      for (const block of blocks) {
        if (block.skip !== undefined) {
          skipped.push(`${page}:${block.line}: ${block.skip}`);
          t.diagnostic(`not run: ${page}:${block.line} (${block.skip})`);
          continue;
        }
        const script = [
          'set -e',
          `glassy() { "${process.execPath}" "${BIN}" "$@"; }`,
          'npx() { if [ "$1" = glassy ]; then shift; glassy "$@"; else command npx "$@"; fi; }',
          block.code,
        ].join('\n');
        const r = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, GLASSY_PROGRESS: 'none' } });
        assert.equal(r.status, 0, `${page}:${block.line}:\n${block.code}\n${r.stderr.slice(-2000)}`);
        ran++;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('the examples that are not run each say why', () => {
  console.log(`docs examples: ${ran} run, ${skipped.length} not run:\n${skipped.map((s) => `  ${s}`).join('\n')}`);
  assert.ok(ran >= 5, `${ran} examples run`);
  for (const s of skipped) assert.match(s, /: \S.{5,}$/, `a reason: ${s}`);
});

test('the not-run marker is read from the line above the fence', () => {
  const md = 'a\n<!-- example: not run — a SLURM script -->\n```sh\nsbatch x\n```\n\n```bash\nglassy --help\n```\n';
  assert.deepEqual(shellBlocks(md), [
    { line: 3, code: 'sbatch x', skip: 'a SLURM script' },
    { line: 7, code: 'glassy --help' },
  ]);
});
