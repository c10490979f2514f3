/**
 * The WebAssembly spin-flip kernels (asm/spinflip.ts) against the JavaScript ones (kernels.ts): the
 * same seed must give BIT-IDENTICAL spins, fields, energy, accepted counts and generator state, for
 * every coupling structure, rule and site order, and through parallel tempering and annealing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Rng, Stream } from '../src/core/rng.js';
import { SherringtonKirkpatrick } from '../src/landscapes/ising/sk.js';
import { EdwardsAnderson } from '../src/landscapes/ising/ea.js';
import { Hopfield } from '../src/landscapes/ising/hopfield.js';
import type { IsingModel } from '../src/landscapes/ising/model.js';
import { SpinChain } from '../src/dynamics/montecarlo/chain.js';
import { sweep, type SingleFlipRule, type SiteOrder } from '../src/dynamics/montecarlo/kernels.js';
import { ParallelTempering } from '../src/dynamics/montecarlo/tempering.js';
import { anneal, annealingSchedule } from '../src/dynamics/montecarlo/anneal.js';
import { selectSpinFlipKernel, setSpinFlipBudgets, spinFlipKernel, spinFlipMemoryInfo, spinFlipUnavailableReason } from '../src/dynamics/montecarlo/wasm.js';

after(() => selectSpinFlipKernel('auto'));

function bits(a: Float64Array): BigUint64Array {
  return new BigUint64Array(Float64Array.from(a).buffer);
}

/** Asserts two chains are identical to the last bit. */
function same(a: SpinChain, b: SpinChain, what: string): void {
  assert.deepEqual(Int8Array.from(a.spins), Int8Array.from(b.spins), `${what}: spins`);
  assert.deepEqual(bits(a.fields), bits(b.fields), `${what}: fields`);
  assert.equal(Object.is(a.energy, b.energy), true, `${what}: energy ${a.energy} vs ${b.energy}`);
}

test('the WebAssembly kernel loads and is the default', () => {
  assert.equal(selectSpinFlipKernel('auto'), 'wasm', spinFlipUnavailableReason());
});

const models: Array<[string, () => IsingModel]> = [
  ['SK N=67 gauss', () => new SherringtonKirkpatrick({ n: 67, seed: 3 })],
  ['SK N=64 pm1 h=0.3', () => new SherringtonKirkpatrick({ n: 64, couplings: 'pm1', field: 0.3, seed: 4 })],
  ['Hopfield N=50', () => new Hopfield({ n: 50, patterns: 3, seed: 5 })],
  ['EA 3D L=4 pm1 (table)', () => new EdwardsAnderson({ dimension: 3, l: 4, couplings: 'pm1', seed: 6 })],
  ['EA 2D L=6 pm1 (table)', () => new EdwardsAnderson({ dimension: 2, l: 6, couplings: 'pm1', seed: 7 })],
  ['EA 3D L=2 pm1 (multigraph)', () => new EdwardsAnderson({ dimension: 3, l: 2, couplings: 'pm1', seed: 8 })],
  ['EA 3D L=4 gauss', () => new EdwardsAnderson({ dimension: 3, l: 4, seed: 9 })],
  ['EA 2D L=5 pm1 h=0.2', () => new EdwardsAnderson({ dimension: 2, l: 5, couplings: 'pm1', field: 0.2, seed: 10 })],
];

for (const [name, make] of models) {
  test(`wasm sweeps = JS sweeps bit for bit: ${name}`, () => {
    const model = make();
    for (const rule of ['metropolis', 'heatbath'] as SingleFlipRule[]) {
      for (const order of ['sequential', 'random'] as SiteOrder[]) {
        // temperatures from frozen to hot, so both the exp band and the table are exercised
        for (const T of [0.3, 1, 3]) {
          const what = `${name} ${rule} ${order} T=${T}`;
          selectSpinFlipKernel('js');
          const rj = Rng.stream(1, Stream.monteCarlo, 2, 3);
          const cj = new SpinChain(model).randomise(rj);
          selectSpinFlipKernel('wasm');
          const rw = Rng.stream(1, Stream.monteCarlo, 2, 3);
          const cw = new SpinChain(model).randomise(rw);
          same(cj, cw, `${what} start`);
          for (let k = 0; k < 30; k++) {
            selectSpinFlipKernel('js');
            const aj = sweep(rule, cj, 1 / T, rj, order);
            selectSpinFlipKernel('wasm');
            const aw = sweep(rule, cw, 1 / T, rw, order);
            assert.equal(aw, aj, `${what} sweep ${k}: accepted`);
          }
          same(cj, cw, what);
          assert.deepEqual(rw.state(), rj.state(), `${what}: rng state`);
          assert.equal(rw.nextU32(), rj.nextU32(), `${what}: next number`);
        }
      }
    }
  });
}

test('a chain built under the JS kernel and swept by wasm (copy path) matches too', () => {
  const model = new SherringtonKirkpatrick({ n: 40, seed: 12 });
  selectSpinFlipKernel('js');
  const a = new SpinChain(model).randomise(Rng.stream(2, Stream.init));
  const b = new SpinChain(model).randomise(Rng.stream(2, Stream.init));
  const ra = Rng.stream(2, Stream.monteCarlo), rb = Rng.stream(2, Stream.monteCarlo);
  for (let k = 0; k < 20; k++) {
    selectSpinFlipKernel('js');
    sweep('metropolis', a, 1.5, ra);
    selectSpinFlipKernel('wasm');
    sweep('metropolis', b, 1.5, rb);
  }
  same(a, b, 'copy path');
  assert.equal(spinFlipKernel(), 'wasm');
});

test('parallel tempering and annealing give identical results under both kernels', () => {
  const model = new EdwardsAnderson({ dimension: 3, l: 4, couplings: 'pm1', seed: 13 });
  const sk = new SherringtonKirkpatrick({ n: 48, seed: 14 });
  const runPT = (kind: 'js' | 'wasm'): ParallelTempering => {
    selectSpinFlipKernel(kind);
    const pt = new ParallelTempering(model, [0.8, 1.1, 1.5, 2.0]);
    pt.randomise(Rng.stream(3, Stream.init));
    const rng = Rng.stream(3, Stream.monteCarlo);
    for (let s = 0; s < 200; s++) pt.step(rng);
    return pt;
  };
  const pj = runPT('js'), pw = runPT('wasm');
  assert.deepEqual(Array.from(pw.chainAt), Array.from(pj.chainAt));
  assert.deepEqual(Array.from(pw.swapAccepts), Array.from(pj.swapAccepts));
  assert.deepEqual(Array.from(pw.flipAccepts), Array.from(pj.flipAccepts));
  for (let c = 0; c < 4; c++) same(pj.chains[c]!, pw.chains[c]!, `PT chain ${c}`);
  const runAnneal = (kind: 'js' | 'wasm'): [number, number, Int8Array] => {
    selectSpinFlipKernel(kind);
    const chain = new SpinChain(sk).randomise(Rng.stream(4, Stream.init));
    const r = anneal(chain, annealingSchedule(3, 0.2, 150), Rng.stream(4, Stream.monteCarlo));
    return [r.energy, r.accepted, Int8Array.from(chain.spins)];
  };
  assert.deepEqual(runAnneal('wasm'), runAnneal('js'));
});

test('GLASSY_SPINFLIP forces a kernel; a bad value is an error naming the variable', () => {
  const mod = new URL('../src/dynamics/montecarlo/wasm.js', import.meta.url).href;
  const probe = (value: string): { out: string; err: string; status: number | null } => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e',
      `import { spinFlipKernel } from ${JSON.stringify(mod)}; try { console.log(spinFlipKernel()); } catch (e) { console.error(e.message); process.exit(3); }`],
    { encoding: 'utf8', env: { ...process.env, GLASSY_SPINFLIP: value } });
    return { out: r.stdout.trim(), err: r.stderr.trim(), status: r.status };
  };
  assert.equal(probe('js').out, 'js');
  assert.equal(probe('wasm').out, 'wasm');
  assert.equal(probe('').out, 'wasm');
  const bad = probe('gpu');
  assert.equal(bad.status, 3);
  assert.match(bad.err, /^GLASSY_SPINFLIP: got "?gpu"?, expected/);
});

test('memory stays bounded in a long synchronous run: couplings evicted LRU, chains past the budget use JS arrays', () => {
  selectSpinFlipKernel('wasm');
  // small budgets so that a few models exercise both fallbacks: 3 SK N=128 models (128 KiB each) fit
  setSpinFlipBudgets({ couplings: 3 * 128 * 128 * 8, chains: spinFlipMemoryInfo()!.chainBytes + 4 * 1024 });
  try {
    const before = spinFlipMemoryInfo()!.memoryBytes;
    for (let m = 0; m < 12; m++) {
      const model = new SherringtonKirkpatrick({ n: 128, seed: 100 + m });
      selectSpinFlipKernel('js');
      const a = new SpinChain(model).randomise(Rng.stream(m, Stream.init));
      selectSpinFlipKernel('wasm');
      const b = new SpinChain(model).randomise(Rng.stream(m, Stream.init));
      const ra = Rng.stream(m, Stream.monteCarlo), rb = Rng.stream(m, Stream.monteCarlo);
      for (let k = 0; k < 5; k++) {
        selectSpinFlipKernel('js');
        sweep('metropolis', a, 1, ra);
        selectSpinFlipKernel('wasm');
        sweep('metropolis', b, 1, rb);
      }
      same(a, b, `model ${m}`);
      const info = spinFlipMemoryInfo()!;
      assert.ok(info.couplingBytes <= 3 * 128 * 128 * 8, `resident couplings ${info.couplingBytes} bytes`);
    }
    // evicted blocks are reused: growth is bounded by the budgets, not by the 12 models seen
    assert.ok(spinFlipMemoryInfo()!.memoryBytes - before <= 2 * 1024 * 1024, `grew ${spinFlipMemoryInfo()!.memoryBytes - before} bytes`);
  } finally {
    setSpinFlipBudgets({ couplings: 512 << 20, chains: 512 << 20 });
  }
});
