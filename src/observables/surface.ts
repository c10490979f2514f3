/**
 * Two-dimensional slices of a landscape: E(x) on a plane x(α, β) = o + α·u + β·v.
 *
 * - Through one minimum along two random directions (Li, Xu, Taylor, Studer & Goldstein, "Visualizing
 *   the Loss Landscape of Neural Nets", NeurIPS 2018, §4): u, v ~ N(0, I) rescaled filter by filter
 *   ("filter normalisation", their eq. in §4: d_{i,j} ← d_{i,j}/‖d_{i,j}‖ · ‖θ_{i,j}‖ for filter j of
 *   layer i; for a fully connected layer a filter is one unit's row of incoming weights), biases
 *   not moved (their code's default `--xignore biasbn`). With this scaling α = 1 moves every unit by
 *   its own weight norm, so planes of networks of different scale are comparable. `layer`
 *   normalises whole layers instead, `none` scales the whole direction to ‖θ‖.
 * - Through three points (Garipov, Izmailov, Podoprikhin, Vetrov & Wilson, "Loss Surfaces, Mode
 *   Connectivity, and Fast Ensembling of DNNs", NeurIPS 2018, Fig. 1 and their plane code): u = θ_b −
 *   θ_a normalised, v = the part of θ_c − θ_a orthogonal to u, normalised; the origin is θ_a and the
 *   coordinates are distances in parameter space. A quadratic Bézier curve with control point θ_c
 *   lies in that plane exactly.
 * - On the sphere |σ|² = N (spherical p-spin) a plane point is projected back onto the sphere,
 *   σ(α, β) = √N · x/|x|: the directions are tangent at σ_0, so near σ_0 this is the exponential map
 *   to first order and the same code serves networks and glasses.
 */
import type { Rng } from '../core/rng.js';

/**
 * The weight matrices of a network as filter normalisation sees them: `out` rows (units, or conv
 * channels) of `in` weights each, from `weight.offset`, and the bias. An MLP's layout is one.
 */
export interface FilterLayout {
  layers: readonly { weight: { offset: number }; out: number; in: number; bias: { offset: number; size: number } | null }[];
}

export type Normalisation = 'filter' | 'layer' | 'none';

/** A plane o + α·u + β·v. */
export interface Plane {
  origin: Float64Array;
  u: Float64Array;
  v: Float64Array;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/**
 * Scale a random direction d in place to the weights θ of a network (Li et al. 2018, §4):
 * `filter` row by row, `layer` tensor by tensor, `none` as a whole; biases are set to 0 for filter
 * and layer (their `biasbn` default), kept and scaled with the whole vector for `none`.
 */
export function normaliseDirection(d: Float64Array, theta: Float64Array, layout: FilterLayout | null, how: Normalisation): void {
  if (how === 'none' || layout === null) {
    const c = Math.sqrt(dot(theta, theta) / dot(d, d));
    for (let i = 0; i < d.length; i++) d[i] = d[i]! * (Number.isFinite(c) ? c : 0);
    return;
  }
  for (const L of layout.layers) {
    const rows = how === 'filter' ? L.out : 1;
    const len = how === 'filter' ? L.in : L.in * L.out;
    for (let r = 0; r < rows; r++) {
      const off = L.weight.offset + r * len;
      let dn = 0;
      let tn = 0;
      for (let i = 0; i < len; i++) {
        dn += d[off + i]! ** 2;
        tn += theta[off + i]! ** 2;
      }
      // Li et al.'s code adds 1e-10 to ‖d‖; a zero row stays zero here (no direction to scale).
      const c = dn > 0 ? Math.sqrt(tn / dn) : 0;
      for (let i = 0; i < len; i++) d[off + i] = d[off + i]! * c;
    }
    if (L.bias) d.fill(0, L.bias.offset, L.bias.offset + L.bias.size);
  }
}

/**
 * Li et al.'s plane through θ: two independent Gaussian directions from `rng`, each normalised.
 * With `tangent` (the sphere) each direction is first projected onto the tangent space at θ and v
 * is made orthogonal to u, then both are scaled to |θ| (= √N), so α = 1 is a step of one radius.
 */
export function randomPlane(theta: Float64Array, rng: Rng, opts: { layout: FilterLayout | null; normalisation: Normalisation; tangent?: boolean }): Plane {
  const u = new Float64Array(theta.length);
  const v = new Float64Array(theta.length);
  rng.fillNormal(u);
  rng.fillNormal(v);
  if (opts.tangent) {
    const tt = dot(theta, theta);
    for (const d of [u, v]) {
      const c = dot(d, theta) / tt;
      for (let i = 0; i < d.length; i++) d[i] = d[i]! - c * theta[i]!;
    }
    const c = dot(v, u) / dot(u, u);
    for (let i = 0; i < v.length; i++) v[i] = v[i]! - c * u[i]!;
    normaliseDirection(u, theta, null, 'none');
    normaliseDirection(v, theta, null, 'none');
  } else {
    normaliseDirection(u, theta, opts.layout, opts.normalisation);
    normaliseDirection(v, theta, opts.layout, opts.normalisation);
  }
  return { origin: theta.slice(), u, v };
}

/**
 * Garipov et al.'s plane through a, b, c: origin a, û ∥ b − a, v̂ the unit part of c − a orthogonal
 * to û; coordinates are parameter-space distances. Throws when the three points are collinear.
 */
export function planeThrough(a: Float64Array, b: Float64Array, c: Float64Array): Plane {
  const u = new Float64Array(a.length);
  const v = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) {
    u[i] = b[i]! - a[i]!;
    v[i] = c[i]! - a[i]!;
  }
  const nu = Math.sqrt(dot(u, u));
  if (!(nu > 0)) throw new Error('the first two points coincide: no plane through them');
  for (let i = 0; i < u.length; i++) u[i] = u[i]! / nu;
  const p = dot(v, u);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! - p * u[i]!;
  const nv = Math.sqrt(dot(v, v));
  if (!(nv > 1e-12 * nu)) throw new Error('the three points are collinear: no unique plane through them');
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / nv;
  return { origin: a.slice(), u, v };
}

/**
 * Plane coordinates (α, β) of x: the least-squares solution of o + αu + βv ≈ x (exact for a point
 * of the plane), and the distance of x from the plane.
 */
export function projectOntoPlane(plane: Plane, x: Float64Array): { alpha: number; beta: number; offPlane: number } {
  const w = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) w[i] = x[i]! - plane.origin[i]!;
  const uu = dot(plane.u, plane.u);
  const vv = dot(plane.v, plane.v);
  const uv = dot(plane.u, plane.v);
  const wu = dot(w, plane.u);
  const wv = dot(w, plane.v);
  const det = uu * vv - uv * uv;
  const alpha = (wu * vv - wv * uv) / det;
  const beta = (wv * uu - wu * uv) / det;
  let r = 0;
  for (let i = 0; i < x.length; i++) r += (w[i]! - alpha * plane.u[i]! - beta * plane.v[i]!) ** 2;
  return { alpha, beta, offPlane: Math.sqrt(r) };
}

/** out = o + α·u + β·v, then (on the sphere) rescaled to |out|² = N. */
export function planePoint(plane: Plane, alpha: number, beta: number, out: Float64Array, sphere = false): Float64Array {
  const { origin: o, u, v } = plane;
  for (let i = 0; i < out.length; i++) out[i] = o[i]! + alpha * u[i]! + beta * v[i]!;
  if (sphere) {
    const n = Math.sqrt(dot(out, out));
    const c = Math.sqrt(out.length) / n;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! * c;
  }
  return out;
}

/** n equally spaced values from lo to hi (both included). */
export function axis(lo: number, hi: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1);
  return out;
}
