/**
 * The plain-line progress display (logs, CI, SLURM): its ETA divides by the work done in this
 * process, so a resumed run — replicas restarting from a checkpoint at 70 % — does not promise to
 * end at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProgress } from '../src/executor/progress.js';

function sink(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = { write: (s: string) => { lines.push(s.trim()); return true; }, isTTY: false } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

const etaSeconds = (line: string): number => {
  const m = /ETA (?:(\d+)m)?(\d+)s/.exec(line);
  assert.ok(m, line);
  return 60 * Number(m[1] ?? 0) + Number(m[2]);
};

test('progress lines: a resumed replica\'s checkpoint fraction is its baseline for the ETA', async () => {
  const { stream, lines } = sink();
  const p = createProgress('lines', 'train runs/x', [0], stream);
  p.update(0, 0.7); // the first report of a replica resumed at 70 %
  await sleep(400);
  p.update(0, 0.75); // 5 % in 0.4 s: 0.25 left takes about 2 s more
  p.stop();
  const last = lines.at(-1)!;
  assert.match(last, /75\.0%/);
  assert.ok(etaSeconds(last) >= 1, `an ETA from this process's 5 %, not from 75 % in 0.4 s: ${last}`);
});

test('progress lines: a finished run reads 100 % with an ETA of 0s', async () => {
  const { stream, lines } = sink();
  const p = createProgress('lines', 'train runs/y', [0, 1], stream);
  p.update(0, 0);
  p.update(1, 0);
  await sleep(300);
  p.finish(0, true);
  p.update(1, 1);
  p.finish(1, true);
  p.stop();
  assert.match(lines.at(-1)!, /100\.0% \| 2\/2 replicas done .* ETA 0s/);
});
