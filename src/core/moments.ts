/**
 * The centred second moments of paired samples (x_i, y_i): the means and S_xx, S_xy, S_yy, each a
 * sum in index order. The one reduction under Pearson's correlation and a least-squares line, used
 * by the observables (output correlation, power-law fits) and by the report's scatter fits alike.
 */
export interface PairMoments {
  n: number;
  mx: number;
  my: number;
  /** Σ (x_i − x̄)². */
  sxx: number;
  /** Σ (x_i − x̄)(y_i − ȳ). */
  sxy: number;
  /** Σ (y_i − ȳ)². */
  syy: number;
}

/** Means and centred sums of squares and products of x and y (same length, the caller checks). */
export function pairMoments(x: ArrayLike<number>, y: ArrayLike<number>): PairMoments {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  return { n, mx, my, sxx, sxy, syy };
}
