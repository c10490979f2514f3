/**
 * The light half of protocol `aging` (its task is ../aging.ts): the schema (config.ts), K = the
 * units of work (points × disorder samples × replicas), and the command: `--landscape` selects the
 * section in use, whose flags it shares (`--n`, `--temperature`, `--dt`).
 */
import type { FlagSpec, Protocol } from '../../executor/protocol.js';
import { trainFlags } from '../network-flags.js';
import { type AgingConfig, agingConfigSchema, agingUnits, checkAgingConfig } from './config.js';

/** The network flags of `glassy train`, for the mlp section. */
const mlpFlags: Record<string, FlagSpec | false> = Object.fromEntries(Object.entries(trainFlags).map(([k, v]) => [`mlp.${k}`, v]));

const temperature: FlagSpec = {
  flag: 'temperature', value: 'list', help: 'temperature(s) of the quench, e.g. 0.5,1.0 (mlp: of the Langevin optimiser)',
  parse: (t) => t.split(',').map((x) => Number(x)),
};
const spins: FlagSpec = { flag: 'n', value: 'N', help: 'pspin/sk/flat: number of spins (degrees of freedom)' };

export const protocol: Protocol<AgingConfig> = {
  name: 'aging',
  schema: agingConfigSchema,
  check: checkAgingConfig,
  replicas: agingUnits,
  cli: {
    description: 'aging after a quench: Δ(tw,tw+t), C(tw,tw+t) and the energy for networks (SGD), the p-spin, SK (Baity-Jesi et al. 2018)',
    sectionBy: 'landscape',
    groups: ['mlp.data'],
    flags: {
      ...mlpFlags,
      'mlp.evalTrainSamples': { flag: 'train-samples', value: 'n', aliases: ['eval-train-samples'] },
      'pspin.n': spins, 'sk.n': spins, 'flat.n': spins,
      'pspin.temperatures': temperature, 'sk.temperatures': temperature, 'flat.temperatures': temperature,
      'mlp.optimizer.temperature': temperature,
      'pspin.dt': { flag: 'dt' }, 'flat.dt': { flag: 'dt' },
      'pspin.p': { value: 'p', parse: (t) => Number(t) },
    },
  },
  task: async () => (await import('../aging.js')).task,
};
