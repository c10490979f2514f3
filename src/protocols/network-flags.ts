/**
 * The flags of the network-training fields (model, optimiser, flatness rule), one spelling for every
 * protocol that trains networks (train, l2sweep, aging's mlp section). A CLI description shared by
 * protocols, owned by none: the config schema itself is dynamics/train-config.ts's.
 */
import type { FlagSpec } from '../executor/protocol.js';
import { modelFlag } from '../landscapes/model-schema.js';

export const trainFlags: Readonly<Record<string, FlagSpec | false>> = {
  // One --model flag for both forms; the data flag group moves a spec string to model.layers (cli/flag-groups.ts).
  'model.sizes': { flag: 'model', value: 'spec', parse: modelFlag },
  'model.layers': false,
  'optimizer.kind': { flag: 'optimizer', value: 'name' },
  'flatten.kind': { flag: 'flatten', value: 'rule', help: 'flatness-seeking gradient: SAM (Foret et al. 2021) or Entropy-SGD (Chaudhari et al. 2017)' },
  'flatten.rho': { flag: 'sam-rho' },
  'flatten.gamma': { flag: 'esgd-gamma' },
  'flatten.scoping': { flag: 'esgd-scoping' },
  'flatten.innerSteps': { flag: 'esgd-steps' },
  'flatten.innerLr': { flag: 'esgd-lr' },
  'flatten.noise': { flag: 'esgd-noise' },
  'flatten.alpha': { flag: 'esgd-alpha' },
};
