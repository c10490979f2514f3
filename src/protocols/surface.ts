/**
 * Protocol `surface` — the loss on a two-dimensional plane of parameter space:
 * - through one trained minimum along two filter-normalised random directions (Li et al., NeurIPS
 *   2018, "Visualizing the Loss Landscape of Neural Nets", §4), α, β ∈ [−range, range];
 * - or through three minima (Garipov et al., NeurIPS 2018, Fig. 1), coordinates in parameter-space
 *   distance, with a `connect` run's Bézier curve or NEB chain projected onto the plane;
 * - for a network (loss and error on training and/or test samples) or — the same code — the
 *   spherical p-spin (energy per spin; plane points projected back onto the sphere).
 * The grid is G × G; a replica is a block of `rowsPerReplica` rows (β values), so any executor
 * spreads the grid, a killed run resumes from the last finished row, and the bytes do not depend
 * on the block size. The plane itself depends only on (config, seed): every replica rebuilds it.
 * Methods and conventions: docs/surface.md.
 */
import { GlassyError } from '../core/errors.js';
import { Rng, Stream } from '../core/rng.js';
import { gradientDescentSphere } from '../dynamics/sphere.js';
import type { ReplicaContext, ReplicaOutcomeOk, ReplicaSummary, ReplicaTask } from '../executor/replica.js';
import { PSpin, randomSpherePoint } from '../landscapes/pspin.js';
import { axis, planePoint, planeThrough, projectOntoPlane, randomPlane, type FilterLayout, type Plane } from '../observables/surface.js';
import { Run } from '../store/run.js';
import { isMlpLayout, weightRows, type AnyLayout } from '../symmetry/group.js';
import { checkReplicaIndex, openTrainSource, pathLandscapes, type NetworkSource } from '../observables/network-source.js';
import type { SurfaceConfig } from './surface/protocol.js';
import { readReplicaWeights } from '../landscapes/weights.js';

/** The rows filter normalisation scales: an MLP's units, or a layer-spec network's units and conv filters. */
function filterLayout(layout: AnyLayout): FilterLayout {
  if (isMlpLayout(layout)) return layout;
  return { layers: weightRows(layout).map((r) => ({ weight: { offset: r.offset }, out: r.rows, in: r.rowLength, bias: r.bias })) };
}

/** What the grid points are evaluated with. */
interface Evaluators {
  kind: 'network' | 'pspin';
  dim: number;
  /** loss and error (NaN for the p-spin) at x. */
  train(x: Float64Array): { loss: number; error: number };
  test: ((x: Float64Array) => { loss: number; error: number }) | null;
  sphere: boolean;
}

/** Points marked on the plane (minima, the path's control point) and the path drawn on it. */
interface Geometry {
  plane: Plane;
  alpha: Float64Array;
  beta: Float64Array;
  marks: { name: string; x: Float64Array }[];
  path: { name: string; points: Float64Array[] } | null;
  coordinates: 'random' | 'distance';
}

/** The path points a connect run stored: its Bézier (a, control, b) or its NEB chain. */
function connectPath(dir: string, source: string): { name: string; kind: 'bezier' | 'neb'; nodes: Float64Array[]; a: number; b: number } {
  const run = Run.open(dir);
  if (run.manifest.protocol !== 'connect') throw GlassyError.invalid('path', `${run.dir} (protocol ${run.manifest.protocol})`, 'a connect run');
  const cfg = run.manifest.config as { source?: string; a?: number; b?: number };
  if (cfg.source === undefined || Run.open(cfg.source).dir !== Run.open(source).dir) {
    throw GlassyError.invalid('path', run.dir, `a connect run of the same train run (${source})`);
  }
  const rows = (name: string): Float64Array[] => {
    const a = run.readArray(name);
    const d = a.shape[a.shape.length - 1]!;
    const all = Float64Array.from(a.data as ArrayLike<number>);
    return Array.from({ length: all.length / d }, (_, i) => all.slice(i * d, (i + 1) * d));
  };
  if (run.hasArray('bezier_points')) return { name: 'Bézier curve', kind: 'bezier', nodes: rows('bezier_points'), a: cfg.a ?? 0, b: cfg.b ?? 1 };
  if (run.hasArray('neb_images')) return { name: 'NEB chain', kind: 'neb', nodes: rows('neb_images'), a: cfg.a ?? 0, b: cfg.b ?? 1 };
  throw GlassyError.invalid('path', run.dir, 'a connect run with --method bezier or neb made by this version (bezier_points or neb_images in arrays/)');
}

/** Points of a quadratic Bézier curve (a, c, b) at `n` equally spaced t. */
function bezierCurve(a: Float64Array, c: Float64Array, b: Float64Array, n: number): Float64Array[] {
  return Array.from({ length: n }, (_, k) => {
    const t = k / (n - 1);
    const x = new Float64Array(a.length);
    for (let i = 0; i < a.length; i++) x[i] = (1 - t) ** 2 * a[i]! + 2 * t * (1 - t) * c[i]! + t * t * b[i]!;
    return x;
  });
}

/** The grid's [lo, hi] on one plane axis: the marked points' extent, widened by the margin. */
function span(values: number[], margin: number): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = margin * Math.max(hi - lo, 1e-12);
  return [lo - pad, hi + pad];
}

interface Setup {
  evals: Evaluators;
  geometry: Geometry;
  seed: number;
}

let cache: { key: string; setup: Setup } | null = null;

/** Everything the grid needs, rebuilt identically by every replica (cached per thread). */
export function surfaceSetup(config: SurfaceConfig, seed: number): Setup {
  const key = JSON.stringify([config, seed]);
  if (cache && cache.key === key) return cache.setup;
  const rng = Rng.stream(seed, Stream.probe, SURFACE);
  let setup: Setup;
  if (config.pspin) {
    const t = config.pspin;
    const land = new PSpin({ n: t.n, p: t.p, seed: t.seed, sample: t.sample });
    const sigma = randomSpherePoint(t.n, Rng.stream(t.seed, Stream.init, t.sample));
    if (t.gdSteps > 0) gradientDescentSphere(land, sigma, { dt: t.dt, steps: t.gdSteps });
    const plane = randomPlane(sigma, rng, { layout: null, normalisation: 'none', tangent: true });
    const G = config.grid;
    setup = {
      seed,
      evals: { kind: 'pspin', dim: t.n, sphere: true, train: (x) => ({ loss: land.energy(x) / t.n, error: NaN }), test: null },
      geometry: { plane, alpha: axis(-config.range, config.range, G), beta: axis(-config.range, config.range, G), marks: [{ name: 'σ₀ (GD minimum)', x: sigma }], path: null, coordinates: 'random' },
    };
  } else {
    const src = openTrainSource(config.source!);
    setup = networkSetup(config, src, rng, seed);
  }
  cache = { key, setup };
  return setup;
}

function networkSetup(config: SurfaceConfig, src: NetworkSource, rng: Rng, seed: number): Setup {
  const G = config.grid;
  const weights = (i: number): Float64Array => Float64Array.from(readReplicaWeights(src.run, i).theta);
  const path = config.path ? connectPath(config.path, config.source!) : null;
  const centre = config.through ? config.through[0]! : path ? path.a : config.replica;
  const land = pathLandscapes(src, centre, config.trainSamples);
  const evals: Evaluators = {
    kind: 'network',
    dim: src.layout.size,
    sphere: false,
    train: (x) => land.evalTrain.evaluate(x),
    test: (x) => land.test.evaluate(x),
  };
  let plane: Plane;
  let marks: { name: string; x: Float64Array }[];
  let drawn: Geometry['path'] = null;
  if (config.through) {
    const [a, b, c] = config.through.map(weights) as [Float64Array, Float64Array, Float64Array];
    plane = planeThrough(a, b, c);
    marks = config.through.map((i, k) => ({ name: `replica ${i}`, x: [a, b, c][k]! }));
  } else if (path) {
    const n = path.nodes;
    const first = n[0]!;
    const last = n[n.length - 1]!;
    // Bézier: its control point; NEB: the image farthest from the straight segment.
    let third = n[1]!;
    if (path.kind === 'neb') {
      const seg = planeThroughOrNull(first, last);
      let best = -1;
      for (const x of n.slice(1, -1)) {
        const d = seg ? offSegment(seg, x) : 0;
        if (d > best) { best = d; third = x; }
      }
    }
    plane = planeThrough(first, last, third);
    marks = [{ name: `replica ${path.a}`, x: first }, { name: `replica ${path.b}`, x: last }];
    if (path.kind === 'bezier') marks.push({ name: 'Bézier control point', x: third });
  } else {
    plane = randomPlane(weights(config.replica), rng, { layout: filterLayout(src.layout), normalisation: config.normalisation });
    marks = [{ name: `replica ${config.replica}`, x: plane.origin }];
  }
  if (path) {
    const pts = path.kind === 'bezier' ? bezierCurve(path.nodes[0]!, path.nodes[1]!, path.nodes[2]!, 41) : path.nodes;
    drawn = { name: path.name, points: pts };
  }
  let alpha: Float64Array;
  let beta: Float64Array;
  if (config.through || path) {
    const coords = [...marks.map((m) => m.x), ...(drawn?.points ?? [])].map((x) => projectOntoPlane(plane, x));
    const [a0, a1] = span(coords.map((c) => c.alpha), config.margin);
    const [b0, b1] = span(coords.map((c) => c.beta), config.margin);
    alpha = axis(a0, a1, G);
    beta = axis(b0, b1, G);
  } else {
    alpha = axis(-config.range, config.range, G);
    beta = axis(-config.range, config.range, G);
  }
  return { seed, evals, geometry: { plane, alpha, beta, marks, path: drawn, coordinates: config.through || path ? 'distance' : 'random' } };
}

/** Unit direction of a segment, for the distance of a point from the line through it. */
function planeThroughOrNull(a: Float64Array, b: Float64Array): { a: Float64Array; u: Float64Array } | null {
  const u = new Float64Array(a.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) { u[i] = b[i]! - a[i]!; n += u[i]! ** 2; }
  if (!(n > 0)) return null;
  n = Math.sqrt(n);
  for (let i = 0; i < u.length; i++) u[i] = u[i]! / n;
  return { a, u };
}

function offSegment(s: { a: Float64Array; u: Float64Array }, x: Float64Array): number {
  let p = 0;
  for (let i = 0; i < x.length; i++) p += (x[i]! - s.a[i]!) * s.u[i]!;
  let r = 0;
  for (let i = 0; i < x.length; i++) r += (x[i]! - s.a[i]! - p * s.u[i]!) ** 2;
  return Math.sqrt(r);
}

/** Sub-domain of Stream.probe for the random plane (connect uses 3, permute 2). */
const SURFACE = 20;

const SERIES = ['train_loss', 'train_error', 'test_loss', 'test_error'] as const;

function blockName(index: number): string {
  return `block-${String(index).padStart(4, '0')}`;
}

async function runBlock(config: SurfaceConfig, ctx: ReplicaContext): Promise<ReplicaSummary> {
  const { evals, geometry } = surfaceSetup(config, ctx.seed);
  const G = config.grid;
  const r0 = ctx.index * config.rowsPerReplica;
  const r1 = Math.min(G, r0 + config.rowsPerReplica);
  const rows = r1 - r0;
  const out: Record<(typeof SERIES)[number], Float64Array> = {
    train_loss: new Float64Array(rows * G).fill(NaN),
    train_error: new Float64Array(rows * G).fill(NaN),
    test_loss: new Float64Array(rows * G).fill(NaN),
    test_error: new Float64Array(rows * G).fill(NaN),
  };
  let done = 0;
  const cp = ctx.loadCheckpoint();
  if (cp) {
    for (const k of SERIES) out[k].set(cp.arrays[k] as Float64Array);
    done = cp.meta.step;
  }
  const x = new Float64Array(evals.dim);
  const wantTrain = config.loss !== 'test';
  const wantTest = config.loss !== 'train' && evals.test !== null;
  for (let r = done; r < rows; r++) {
    const b = geometry.beta[r0 + r]!;
    for (let j = 0; j < G; j++) {
      planePoint(geometry.plane, geometry.alpha[j]!, b, x, evals.sphere);
      if (wantTrain) {
        const e = evals.train(x);
        out.train_loss[r * G + j] = e.loss;
        out.train_error[r * G + j] = e.error;
      }
      if (wantTest) {
        const e = evals.test!(x);
        out.test_loss[r * G + j] = e.loss;
        out.test_error[r * G + j] = e.error;
      }
    }
    ctx.progress((r + 1) / rows, `row ${r0 + r + 1}/${G}`);
    ctx.saveCheckpoint({ meta: { step: r + 1 }, arrays: { ...out } });
  }
  for (const k of SERIES) ctx.run.writeArray(`per-block/${blockName(ctx.index)}/${k}`, out[k]);
  return { rows };
}

async function finalize(run: Run, outcomes: ReplicaOutcomeOk[], config: SurfaceConfig): Promise<Record<string, unknown>> {
  const { evals, geometry } = surfaceSetup(config, run.manifest.seed);
  const G = config.grid;
  const present: Record<string, boolean> = { train_loss: config.loss !== 'test', train_error: config.loss !== 'test' && evals.kind === 'network', test_loss: config.loss !== 'train' && evals.kind === 'network', test_error: config.loss !== 'train' && evals.kind === 'network' };
  const summary: Record<string, unknown> = {
    kind: evals.kind,
    plane: config.through ? `through replicas ${config.through.join(', ')} (Garipov et al. 2018)` : config.path ? `through the ${geometry.path?.name} of ${config.path} (Garipov et al. 2018)` : `random, ${evals.kind === 'pspin' ? 'tangent at σ₀, projected onto the sphere' : `${config.normalisation}-normalised`} (Li et al. 2018)`,
    coordinates: geometry.coordinates === 'distance' ? 'parameter-space distance from the first point' : 'multiples of the normalised directions',
    grid: G,
    evaluations: G * G,
  };
  for (const k of SERIES) {
    if (!present[k]) continue;
    const all = new Float64Array(G * G);
    for (const o of outcomes) {
      const r0 = o.index * config.rowsPerReplica;
      const block = run.readArray(`per-block/${blockName(o.index)}/${k}`).data as Float64Array;
      all.set(block, r0 * G);
    }
    // Rows are β (the second direction), columns α: surface[i, j] = E(o + α_j u + β_i v).
    run.writeArray(`surface_${k}`, all, [G, G]);
    let min = Infinity;
    let max = -Infinity;
    for (const v of all) if (Number.isFinite(v)) { min = Math.min(min, v); max = Math.max(max, v); }
    summary[`${k}_min`] = min;
    summary[`${k}_max`] = max;
  }
  run.writeArray('surface_alpha', geometry.alpha);
  run.writeArray('surface_beta', geometry.beta);
  const marks = geometry.marks.map((m) => {
    const p = projectOntoPlane(geometry.plane, m.x);
    const x = planePoint(geometry.plane, p.alpha, p.beta, new Float64Array(m.x.length), evals.sphere);
    return { name: m.name, alpha: p.alpha, beta: p.beta, off_plane: p.offPlane, train_loss: evals.train(x).loss };
  });
  run.writeArray('surface_marks_alpha', Float64Array.from(marks, (m) => m.alpha));
  run.writeArray('surface_marks_beta', Float64Array.from(marks, (m) => m.beta));
  summary['marks'] = marks;
  if (geometry.path) {
    const proj = geometry.path.points.map((x) => projectOntoPlane(geometry.plane, x));
    run.writeArray('surface_path_alpha', Float64Array.from(proj, (p) => p.alpha));
    run.writeArray('surface_path_beta', Float64Array.from(proj, (p) => p.beta));
    run.writeArray('surface_path_off_plane', Float64Array.from(proj, (p) => p.offPlane));
    summary['path'] = geometry.path.name;
    summary['path_max_off_plane'] = Math.max(...proj.map((p) => p.offPlane));
  }
  return summary;
}

export const task: ReplicaTask<SurfaceConfig> = {
  validate: (config) => void prepareSurface(config),
  // The source run and the connect run whose path is drawn travel to queue workers.
  inputs: (config) => [config.source, config.path].filter((p): p is string => p !== null),
  run: runBlock,
  finalize,
  estimateMemory(config: SurfaceConfig): number {
    // The source's data in float64 (MNIST-sized bound) and a few θ buffers; or the p-spin couplings.
    if (config.pspin) return 8 * config.pspin.n ** config.pspin.p + 64 * 1024 * 1024;
    return 70_000 * 784 * 12 + 64 * 1024 * 1024;
  },
};

/** Everything checked before a run directory is created: the source, the replica indices, the connect run. */
export function prepareSurface(config: SurfaceConfig): void {
  if (config.pspin) return;
  const src = openTrainSource(config.source!);
  if (config.through) config.through.forEach((i, k) => checkReplicaIndex(`through[${k}]`, i, src));
  else checkReplicaIndex('replica', config.replica, src);
  if (config.path) connectPath(config.path, config.source!);
}
