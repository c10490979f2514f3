/**
 * The model spec: a network written as its layers joined by '-', in order, e.g.
 *   conv(10,5)-maxpool(2)-relu-conv(20,5)-maxpool(2)-relu-flatten-dense(80)-relu-dense(10)
 * Tokens (docs/networks.md):
 *   conv(C,K[,stride[,padding]])   nn.Conv2d(C_in, C, K, stride = 1, padding = 0)
 *   maxpool(K[,stride])            nn.MaxPool2d(K, stride = K)
 *   avgpool(K[,stride])            nn.AvgPool2d(K, stride = K)
 *   dense(N)                       nn.Linear(N_in, N)
 *   relu | tanh | sigmoid | linear nn.ReLU / nn.Tanh / nn.Sigmoid / nn.Identity
 *   flatten                        nn.Flatten()
 * The input shape is not part of the spec: it comes from the data (MNIST: [1, 28, 28]). A named
 * preset (PRESETS) may stand for the whole spec. A spec may also be given as a list of tokens (YAML).
 */
import { GlassyError } from '../../core/errors.js';
import type { Activation } from '../mlp/layout.js';

export type LayerSpec =
  | { kind: 'dense'; units: number }
  | { kind: 'conv'; channels: number; kernel: number; stride: number; padding: number }
  | { kind: 'maxpool' | 'avgpool'; kernel: number; stride: number }
  | { kind: 'flatten' }
  | { kind: Activation };

/**
 * The seed papers' networks.
 * - deepglass-conv1020relu / -conv1020tanh: Baity-Jesi et al. 2018 (DEEP-GLASS code, MNIST): conv(1→10,
 *   5×5) → max-pool 2 → ReLU → conv(10→20, 5×5) → max-pool 2 → ReLU → dense 320→80 → ReLU → dense 80→10,
 *   and its tanh twin.
 * - ersoy-mlp: Ersoy et al. (arXiv:2512.11866) MLP 784→128→128→10 with sigmoid hidden units.
 * - ersoy-cnn: Ersoy et al.'s CNN_experiments notebook (TinyCNNClassifier, on 1×4×4 images of three
 *   patterns): conv1 = Conv2d(1, 8, 3, padding=1) → ReLU → MaxPool2d(2) → conv2 = Conv2d(8, 16, 3,
 *   padding=1) → ReLU → MaxPool2d(2) → view → fc = Linear(16, 3). On other inputs the last dense layer
 *   has the data's class count, as its fc would.
 */
export const PRESETS: Readonly<Record<string, string>> = {
  'deepglass-conv1020relu': 'conv(10,5)-maxpool(2)-relu-conv(20,5)-maxpool(2)-relu-flatten-dense(80)-relu-dense(10)',
  'deepglass-conv1020tanh': 'conv(10,5)-maxpool(2)-tanh-conv(20,5)-maxpool(2)-tanh-flatten-dense(80)-tanh-dense(10)',
  'ersoy-mlp': 'flatten-dense(128)-sigmoid-dense(128)-sigmoid-dense(10)',
  'ersoy-cnn': 'conv(8,3,1,1)-relu-maxpool(2)-conv(16,3,1,1)-relu-maxpool(2)-flatten-dense(3)',
};

const ACTIVATION_NAMES = ['relu', 'tanh', 'sigmoid', 'linear'] as const;
const EXPECTED = 'conv(C,K[,stride[,padding]]), maxpool(K[,stride]), avgpool(K[,stride]), dense(N), relu, tanh, sigmoid, linear or flatten';

/** Splits on '-' outside parentheses. */
function tokens(spec: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of spec) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === '-' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim());
}

function bad(i: number, token: string, expected: string): GlassyError {
  return new GlassyError(`model: token ${i + 1} "${token}": expected ${expected}`, 'model', token, expected);
}

/** One token → its layer. */
function parseToken(raw: string, i: number): LayerSpec {
  const token = raw.replace(/\s+/g, '').toLowerCase();
  if ((ACTIVATION_NAMES as readonly string[]).includes(token)) return { kind: token as Activation };
  if (token === 'flatten') return { kind: 'flatten' };
  const m = /^([a-z]+)\((.*)\)$/.exec(token);
  if (!m) return fail();
  const name = m[1]!;
  const args = m[2]!.split(',');
  const ints = args.map((a) => (/^\d+$/.test(a) ? Number(a) : NaN));
  const positive = (j: number, what: string): number => {
    const v = ints[j]!;
    if (!(v >= 1)) throw bad(i, raw, `${what} as a positive integer in ${usage(name)}`);
    return v;
  };
  const nArgs = (lo: number, hi: number) => {
    if (args.length < lo || args.length > hi) throw bad(i, raw, usage(name));
  };
  switch (name) {
    case 'dense':
      nArgs(1, 1);
      return { kind: 'dense', units: positive(0, 'the output width N') };
    case 'conv': {
      nArgs(2, 4);
      const channels = positive(0, 'the channel count C');
      const kernel = positive(1, 'the kernel size K');
      const stride = args.length > 2 ? positive(2, 'the stride') : 1;
      const padding = args.length > 3 ? ints[3]! : 0;
      if (!(padding >= 0)) throw bad(i, raw, `the padding as an integer ≥ 0 in ${usage(name)}`);
      return { kind: 'conv', channels, kernel, stride, padding };
    }
    case 'maxpool':
    case 'avgpool': {
      nArgs(1, 2);
      const kernel = positive(0, 'the window size K');
      const stride = args.length > 1 ? positive(1, 'the stride') : kernel;
      return { kind: name, kernel, stride };
    }
    default:
      return fail();
  }
  function fail(): never {
    throw bad(i, raw, `one of ${EXPECTED}`);
  }
}

function usage(name: string): string {
  switch (name) {
    case 'dense': return 'dense(N)';
    case 'conv': return 'conv(C,K[,stride[,padding]])';
    default: return `${name}(K[,stride])`;
  }
}

/** Whether a --model value is the plain MLP shorthand of layer sizes, e.g. "784-100-10". */
export function isSizesShorthand(spec: string): boolean {
  return /^\s*\d+(\s*[-x,]\s*\d+)+\s*$/.test(spec);
}

/**
 * Parses a spec (a preset name, a '-'-joined string, or a list of tokens) into its layers. Errors name
 * the token, its position and what was expected, in one line.
 */
export function parseSpec(spec: string | readonly string[]): LayerSpec[] {
  let list: string[];
  if (typeof spec === 'string') {
    const s = spec.trim();
    const preset = PRESETS[s.toLowerCase()];
    list = tokens(preset ?? s);
  } else {
    if (!Array.isArray(spec) || spec.some((t) => typeof t !== 'string')) {
      throw GlassyError.invalid('model', spec, 'a spec string or a list of layer tokens');
    }
    list = [...spec];
  }
  if (list.length === 0 || (list.length === 1 && list[0] === '')) {
    throw GlassyError.invalid('model', spec, `a spec of layers joined by '-', e.g. conv(10,5)-relu-flatten-dense(10), or a preset (${Object.keys(PRESETS).join(', ')})`);
  }
  const layers = list.map((t, i) => {
    if (t === '') throw bad(i, t, `a layer (${EXPECTED}) between two '-'`);
    return parseToken(t, i);
  });
  if (!layers.some((l) => l.kind === 'dense' || l.kind === 'conv')) {
    throw GlassyError.invalid('model', typeof spec === 'string' ? spec : spec.join('-'), 'at least one dense or conv layer');
  }
  return layers;
}

/** The canonical string of a parsed spec (defaults written out only where they differ). */
export function formatSpec(layers: readonly LayerSpec[]): string {
  return layers.map(formatToken).join('-');
}

export function formatToken(l: LayerSpec): string {
  switch (l.kind) {
    case 'dense': return `dense(${l.units})`;
    case 'conv': {
      const tail = l.padding !== 0 ? `,${l.stride},${l.padding}` : l.stride !== 1 ? `,${l.stride}` : '';
      return `conv(${l.channels},${l.kernel}${tail})`;
    }
    case 'maxpool':
    case 'avgpool': return l.stride !== l.kernel ? `${l.kind}(${l.kernel},${l.stride})` : `${l.kind}(${l.kernel})`;
    default: return l.kind;
  }
}
