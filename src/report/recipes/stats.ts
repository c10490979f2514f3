/**
 * Display statistics only: the mean ± standard error across replicas drawn over their thin traces,
 * and the same for a column of samples. (Physics observables come from the run, never from here.)
 */

/** Column-wise mean and standard error (n − 1 in the variance) of a rows × cols matrix, NaN-aware. */
export function columnMeanSe(m: { data: Float64Array; rows: number; cols: number }): { mean: Float64Array; se: Float64Array } {
  const mean = new Float64Array(m.cols);
  const se = new Float64Array(m.cols);
  for (let c = 0; c < m.cols; c++) {
    let n = 0;
    let s = 0;
    for (let r = 0; r < m.rows; r++) {
      const v = m.data[r * m.cols + c] as number;
      if (Number.isFinite(v)) {
        n++;
        s += v;
      }
    }
    const mu = n > 0 ? s / n : NaN;
    let ss = 0;
    for (let r = 0; r < m.rows; r++) {
      const v = m.data[r * m.cols + c] as number;
      if (Number.isFinite(v)) ss += (v - mu) * (v - mu);
    }
    mean[c] = mu;
    se[c] = n >= 2 ? Math.sqrt(ss / (n - 1) / n) : NaN;
  }
  return { mean, se };
}

/** Mean and standard error of the finite values of a sample. */
export function meanSe(values: ArrayLike<number>): { mean: number; se: number; n: number } {
  const r = columnMeanSe({ data: Float64Array.from(values), rows: values.length, cols: 1 });
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i] as number)) n++;
  return { mean: r.mean[0] as number, se: r.se[0] as number, n };
}
