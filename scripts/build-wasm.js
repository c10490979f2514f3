#!/usr/bin/env node
// Compiles the AssemblyScript kernels in asm/ into asm/build/ (gitignored):
//   gemm.wasm          WebAssembly SIMD (f32x4 / f64x2), runs on any Node >= 16
//   gemm-relaxed.wasm  the same with relaxed-simd multiply-add (one FMA on x64), used when the
//                      engine accepts it (src/core/backends/wasm.ts decides at load time)
//   spinflip.wasm      Monte Carlo spin-flip sweeps (asm/spinflip.ts; src/dynamics/montecarlo/wasm.ts)
// All import a shared memory (env.memory) so the host can grow it without detaching the
// typed-array views it has handed out (docs/backends.md).
import { mkdirSync, renameSync, statSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const gemmSrc = join(root, 'asm', 'gemm.ts');
const convSrc = join(root, 'asm', 'conv.ts'); // imported by gemm.ts
const outDir = join(root, 'asm', 'build');
mkdirSync(outDir, { recursive: true });

let asc;
try {
  asc = (await import('assemblyscript/asc')).default;
} catch (e) {
  // A consumer install without devDependencies: the published package ships asm/build already.
  if (existsSync(join(outDir, 'gemm.wasm'))) process.exit(0);
  console.error(`glassy: cannot build the WebAssembly kernels (assemblyscript not installed: ${e.message})`);
  process.exit(1);
}

const common = [
  '-O3', '--noAssert', '--runtime', 'stub',
  '--importMemory', '--sharedMemory', '--initialMemory', '64', '--maximumMemory', '65536',
  '--enable', 'simd', '--enable', 'threads',
];
const variants = [
  { src: gemmSrc, file: 'gemm.wasm', extra: [], deps: [convSrc] },
  { src: gemmSrc, file: 'gemm-relaxed.wasm', extra: ['--enable', 'relaxed-simd'], deps: [convSrc] },
  { src: join(root, 'asm', 'spinflip.ts'), file: 'spinflip.wasm', extra: [] },
];

for (const v of variants) {
  const out = join(outDir, v.file);
  // Skip when the output is newer than the source (keeps `npm run build` fast).
  const src = v.src;
  if (existsSync(out) && [src, ...(v.deps ?? []), fileURLToPath(import.meta.url)].every((f) => statSync(out).mtimeMs > statSync(f).mtimeMs)) continue;
  const tmp = `${out}.tmp-${process.pid}`;
  let errText = '';
  const { error } = await asc.main([src, ...common, ...v.extra, '--outFile', tmp], {
    stdout: { write: () => true },
    stderr: { write: (s) => { errText += String(s); return true; } },
  });
  if (error) {
    console.error(`glassy: AssemblyScript failed on ${v.file}: ${error.message}\n${errText}`);
    process.exit(1);
  }
  renameSync(tmp, out); // atomic: a reader never sees half a module
}
