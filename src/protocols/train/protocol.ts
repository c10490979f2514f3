/**
 * The light half of protocol `train` (its task is ../train.ts): the Protocol object, whose schema —
 * what `glassy train --help` shows, with every default — is the network run's config
 * (dynamics/train-config.ts).
 */
import { checkTrainConfig, trainConfigSchema, trainUnits, type TrainConfig } from '../../dynamics/train-config.js';
import type { Protocol } from '../../executor/protocol.js';
import { trainFlags } from '../network-flags.js';

export const protocol: Protocol<TrainConfig> = {
  name: 'train',
  schema: trainConfigSchema,
  check: checkTrainConfig,
  replicas: trainUnits,
  cli: {
    description: 'train K replicas of a network (MLP or layer spec); write weights (.safetensors) and learning curves (.npy)',
    groups: ['data'],
    describeSummary: (s) => {
      const f = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(2)} %` : 'n/a');
      const k = typeof s['replicas'] === 'number' ? s['replicas'] : '?';
      return [
        `test error: mean of ${k} replicas ${f(s['final_test_error_mean'])} ± ${f(s['final_test_error_se'])} (standard error); ` +
        `ensemble (averaged prediction) ${f(s['ensemble_test_error'])}`,
      ];
    },
    flags: {
      ...trainFlags,
      evalTrainSamples: { flag: 'train-samples', value: 'n', aliases: ['eval-train-samples'] },
      measure: { value: 'how' },
      replicas: { value: 'K' },
      lockstep: { value: 'G' },
    },
  },
  task: async () => (await import('../train.js')).task,
};
