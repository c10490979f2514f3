/**
 * The light half of protocol `import` (its task is ../import.ts): PyTorch state_dicts (.safetensors)
 * or ONNX graphs turned into a run with the layout of a `train` run — one replica per file — so every
 * analysis takes it as a source. The config holds train's model/data/loss fields, so a source reader
 * parses it with parseTrainConfig.
 */
import { z } from 'zod';
import { GlassyError } from '../../core/errors.js';
import { dataSpecSchema } from '../../data/spec.js';
import type { Protocol } from '../../executor/protocol.js';
import { BATCHNORM_EPS } from '../../interop/batchnorm.js';
import { onnxSpec } from '../../interop/onnx.js';
import { parseTrainConfig, type TrainConfig } from '../../dynamics/train-config.js';
import { checkModel, modelFlag, modelSchema } from '../../landscapes/model-schema.js';

export const importConfigSchema = z.object({
  files: z.array(z.string()).min(1).describe('.safetensors state_dicts or .onnx graphs, one replica each'),
  data: dataSpecSchema.default(dataSpecSchema.parse({ source: 'mnist' })),
  /** Absent for .onnx files: the spec is read from the graph. */
  model: modelSchema.optional(),
  loss: z.enum(['ce', 'mse', 'hinge']).default('ce').describe('loss the train/test figures report (ce: softmax cross-entropy, as nn.CrossEntropyLoss)'),
  precision: z.enum(['f32', 'f64']).default('f64').describe('precision of the stored weights and of the evaluation'),
  evalTrainSamples: z.number().int().positive().nullable().default(null).describe('measure the training loss on the first n training samples (none: all)'),
  batchnormEps: z.number().positive().default(BATCHNORM_EPS).describe("ε of the files' BatchNorm layers, folded into the layer before them (PyTorch's default; a state_dict does not store it)"),
});

export type ImportConfig = z.infer<typeof importConfigSchema>;

/** The model from the flag/config, or (ONNX files) the spec of the first graph, which every file must share. */
function checkImportConfig(c: ImportConfig): ImportConfig {
  const onnx = c.files.filter((f) => f.toLowerCase().endsWith('.onnx'));
  if (onnx.length > 0 && onnx.length < c.files.length) {
    throw GlassyError.invalid('files', c.files, 'all .safetensors or all .onnx files, not a mix');
  }
  if (!c.model) {
    if (onnx.length === 0) throw GlassyError.invalid('--model', undefined, 'the network of the .safetensors files: layer sizes such as 784-100-10 or a layer spec (docs/networks.md)');
    c.model = modelSchema.parse({ layers: onnxSpec(onnx[0]!) });
  }
  checkModel(c.model);
  return c;
}

/** The train config an imported run stands for (analyses rebuild its landscapes from it). */
export function importTrainConfig(c: ImportConfig): TrainConfig {
  return parseTrainConfig({ data: c.data, model: c.model, loss: c.loss, precision: c.precision, evalTrainSamples: c.evalTrainSamples });
}

export const protocol: Protocol<ImportConfig> = {
  name: 'import',
  schema: importConfigSchema,
  check: checkImportConfig,
  replicas: (c) => c.files.length,
  cli: {
    description: 'import PyTorch state_dicts (.safetensors) or ONNX graphs as a run of replicas every analysis reads; report their train/test loss and error',
    groups: ['data'],
    arguments: [{ name: 'files', field: 'files', variadic: true, description: '.safetensors or .onnx files (one replica each)' }],
    flags: {
      'model.sizes': { flag: 'model', value: 'spec', parse: modelFlag, help: 'the network of the files: layer sizes 784-100-10, a layer spec or a preset (docs/networks.md); read from the graph for .onnx' },
      'model.layers': false,
      evalTrainSamples: { flag: 'train-samples', value: 'n' },
    },
    describeSummary: (s) => {
      const f = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? v.toPrecision(6) : 'n/a');
      const p = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(2)} %` : 'n/a');
      return [`mean over ${String(s['replicas'])} replica(s): test loss ${f(s['test_loss'])}, test error ${p(s['test_error'])}; train loss ${f(s['train_loss'])}, train error ${p(s['train_error'])}`];
    },
  },
  task: async () => (await import('../import.js')).task,
};
