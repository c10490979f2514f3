/** Small CIFAR-10/100 folders in the exact binary format of the distribution, for tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes `dir` as cifar-10-batches-bin (5 training batches of `perBatch` records + test_batch.bin;
 * record = label byte + 3072 pixels) or cifar-100-binary (train.bin, test.bin; record = coarse byte,
 * fine byte, 3072 pixels). Labels are i mod classes (CIFAR-100 coarse = fine mod 20); pixels come
 * from a fixed LCG, with a per-class brightness so the classes are learnable.
 */
export function writeCifar(dir: string, kind: 'cifar10' | 'cifar100', opts: { perBatch: number; test: number; seed: number }): void {
  mkdirSync(dir, { recursive: true });
  let s = opts.seed >>> 0;
  const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s >>> 24; };
  const classes = kind === 'cifar10' ? 10 : 100;
  const labelBytes = kind === 'cifar10' ? 1 : 2;
  const records = (n: number, start: number): Buffer => {
    const b = Buffer.alloc(n * (labelBytes + 3072));
    for (let i = 0; i < n; i++) {
      const fine = (start + i) % classes;
      const o = i * (labelBytes + 3072);
      if (kind === 'cifar10') b[o] = fine;
      else { b[o] = fine % 20; b[o + 1] = fine; }
      for (let p = 0; p < 3072; p++) b[o + labelBytes + p] = (next() >> 1) + (fine % 10) * 12;
    }
    return b;
  };
  if (kind === 'cifar10') {
    for (let k = 1; k <= 5; k++) writeFileSync(join(dir, `data_batch_${k}.bin`), records(opts.perBatch, (k - 1) * opts.perBatch));
    writeFileSync(join(dir, 'test_batch.bin'), records(opts.test, 7));
  } else {
    writeFileSync(join(dir, 'train.bin'), records(5 * opts.perBatch, 0));
    writeFileSync(join(dir, 'test.bin'), records(opts.test, 7));
  }
}
