/**
 * `glassy hessian RUN | --pspin-n N`: Hessian spectrum, density, trace and dense check at a trained
 * network replica or a spherical p-spin configuration (protocols/hessian.ts, docs/curvature.md).
 */
import { Option, type Command } from 'commander';
import { parseHessianConfig, runHessian } from '../../protocols/hessian.js';
import { nonNegativeInt, positive, positiveInt, printJson, derivedRunDir } from '../options.js';

export function register(program: Command): void {
  program
    .command('hessian')
    .description('Hessian eigenvalues (Lanczos), spectral density (SLQ), trace (Hutchinson), dense spectrum; of a network replica or a p-spin configuration')
    .argument('[run]', 'a complete train run (or use --pspin-n)')
    .option('--replica <i>', 'which replica of the run', nonNegativeInt, 0)
    .option('--subset <n>', 'training loss on the first n training samples (default: all)', positiveInt)
    .option('--regularised', "include the run's L2 term (adds 2λ to every eigenvalue)")
    .option('--top <k>', 'largest eigenvalues (0: none)', nonNegativeInt, 10)
    .option('--bottom <k>', 'smallest (most negative) eigenvalues', nonNegativeInt, 0)
    .option('--no-vectors', 'do not store the eigenvectors')
    .option('--tol <r>', 'Lanczos residual tolerance relative to ‖H‖', positive, 1e-6)
    .option('--max-iter <n>', 'most Hessian-vector products per Lanczos call', positiveInt)
    .option('--density', 'spectral density by stochastic Lanczos quadrature')
    .option('--density-runs <n>', 'SLQ random probes', positiveInt, 10)
    .option('--density-steps <m>', 'SLQ Lanczos steps per probe', positiveInt, 80)
    .option('--density-points <G>', 'density grid points', positiveInt, 1000)
    .option('--sigma <s>', 'Gaussian broadening of the density (default: PyHessian\'s rule)', positive)
    .option('--trace', "trace by Hutchinson's estimator")
    .option('--samples <n>', 'Hutchinson probe vectors', positiveInt, 100)
    .option('--dense', 'dense Hessian and its full spectrum (small P)')
    .option('--dense-max <P>', 'largest P for --dense', positiveInt, 3000)
    .option('--zero-tol <r>', '|λ| ≤ r·max|λ| counts as zero', positive, 1e-6)
    .option('--gauss-newton', 'also the generalised Gauss–Newton matrix J_fᵀ H_ℓ J_f (arrays gn_*)')
    .option('--gamma <g>', 'γ of the log-volume Σ log(1 + λ⁺/γ)', positive, 1)
    .option('--pspin-n <N>', 'spherical p-spin of N spins instead of a network run', positiveInt)
    .addOption(new Option('--p <p>', 'p-spin order').choices(['2', '3', '4']).default('3'))
    .option('--seed <S>', 'p-spin disorder and start seed', nonNegativeInt, 0)
    .option('--gd-steps <n>', 'p-spin: gradient-descent steps before measuring (0: random point)', nonNegativeInt, 0)
    .option('--dt <dt>', 'p-spin gradient-descent step', positive, 0.05)
    .option('--out <dir>', 'run directory (default: <run>-hessian, or runs/hessian-pspin-N)')
    .option('--overwrite', 'replace an existing run directory')
    .option('--json', 'print the key figures as one JSON object')
    .action((source: string | undefined, flags: Record<string, unknown>) => {
      const pspinN = flags['pspinN'] as number | undefined;
      const config = parseHessianConfig({
        source: source ?? null,
        replica: flags['replica'],
        subset: flags['subset'] ?? null,
        regularised: flags['regularised'] === true,
        pspin: pspinN === undefined ? null : { n: pspinN, p: Number(flags['p']), seed: flags['seed'], gdSteps: flags['gdSteps'], dt: flags['dt'] },
        top: flags['top'],
        bottom: flags['bottom'],
        vectors: flags['vectors'] !== false,
        tol: flags['tol'],
        maxIter: flags['maxIter'],
        density: flags['density'] === true,
        densityRuns: flags['densityRuns'],
        densitySteps: flags['densitySteps'],
        densityPoints: flags['densityPoints'],
        sigma: flags['sigma'],
        trace: flags['trace'] === true,
        samples: flags['samples'],
        dense: flags['dense'] === true,
        denseMax: flags['denseMax'],
        zeroTol: flags['zeroTol'],
        gaussNewton: flags['gaussNewton'] === true,
        gamma: flags['gamma'],
      });
      const out = (flags['out'] as string | undefined)
        ?? (source ? derivedRunDir(source, 'hessian') : `runs/hessian-pspin-${pspinN}`);
      const json = flags['json'] === true;
      const log = !json && process.stderr.isTTY ? (line: string) => process.stderr.write(`hessian: ${line}\n`) : undefined;
      const s = runHessian(config, out, { overwrite: flags['overwrite'] === true, ...(log ? { log } : {}) });
      if (json) printJson(s);
      else {
        const parts = [`hessian ${s.run}: P = ${s.dim}`];
        if (s['lambda_max'] !== undefined) parts.push(`λ_max = ${(s['lambda_max'] as number).toPrecision(6)}`);
        if (s['lambda_min'] !== undefined) parts.push(`λ_min = ${(s['lambda_min'] as number).toPrecision(6)}`);
        if (s['trace'] !== undefined) parts.push(`tr H = ${(s['trace'] as number).toPrecision(5)} ± ${(s['trace_se'] as number).toPrecision(2)}`);
        if (s['dense_negative'] !== undefined) parts.push(`dense: ${s['dense_negative']} negative, ${s['dense_near_zero']} near zero`);
        process.stdout.write(parts.join(', ') + '\n');
      }
    });
}
