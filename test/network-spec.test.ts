/** The model spec: tokens, defaults, presets, token lists, and one-line errors naming the token. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlassyError } from '../src/core/errors.js';
import { formatSpec, isSizesShorthand, networkLayout, parseSpec, PRESETS } from '../src/landscapes/network/index.js';

test('tokens parse with PyTorch defaults (stride 1, padding 0; pool stride = kernel)', () => {
  assert.deepEqual(parseSpec('conv(10,5)-maxpool(2)-relu-conv(20, 5, 2, 1)-avgpool(3,1)-flatten-dense(10)'), [
    { kind: 'conv', channels: 10, kernel: 5, stride: 1, padding: 0 },
    { kind: 'maxpool', kernel: 2, stride: 2 },
    { kind: 'relu' },
    { kind: 'conv', channels: 20, kernel: 5, stride: 2, padding: 1 },
    { kind: 'avgpool', kernel: 3, stride: 1 },
    { kind: 'flatten' },
    { kind: 'dense', units: 10 },
  ]);
  assert.equal(formatSpec(parseSpec('conv(10,5,1,0)-maxpool(2,2)-TANH-flatten-dense(10)')), 'conv(10,5)-maxpool(2)-tanh-flatten-dense(10)');
});

test('presets and token lists (YAML) give the same layers as the string', () => {
  assert.deepEqual(parseSpec('deepglass-conv1020relu'), parseSpec(PRESETS['deepglass-conv1020relu']!));
  assert.deepEqual(parseSpec(['conv(10,5)', 'relu', 'flatten', 'dense(10)']), parseSpec('conv(10,5)-relu-flatten-dense(10)'));
  const tanh = networkLayout('deepglass-conv1020tanh', [1, 28, 28]);
  assert.equal(tanh.size, 10 * 26 + 20 * 251 + 80 * 321 + 10 * 81);
  assert.equal(networkLayout('ersoy-mlp', [1, 28, 28]).size, 785 * 128 + 129 * 128 + 129 * 10);
  assert.equal(networkLayout('ersoy-cnn', [1, 4, 4]).size, 8 * 10 + 16 * 73 + 3 * 17);
});

test('the plain sizes shorthand is recognised', () => {
  assert.ok(isSizesShorthand('784-100-10'));
  assert.ok(!isSizesShorthand('dense(100)-relu-dense(10)'));
  assert.ok(!isSizesShorthand('784'));
});

test('a bad spec is one line naming the token and what was expected', () => {
  const cases: Array<[string, RegExp]> = [
    ['conv(10)-flatten-dense(10)', /token 1 "conv\(10\)": expected conv\(C,K\[,stride\[,padding\]\]\)/],
    ['conv(10,5)-maxpol(2)-flatten-dense(10)', /token 2 "maxpol\(2\)": expected one of conv/],
    ['dense(0)', /token 1 "dense\(0\)": expected the output width N as a positive integer/],
    ['conv(10,5)--dense(10)', /token 2 "": expected a layer/],
    ['relu-flatten', /at least one dense or conv layer/],
  ];
  for (const [spec, re] of cases) {
    assert.throws(() => parseSpec(spec), (e: unknown) => e instanceof GlassyError && re.test(e.message) && !e.message.includes('\n'), spec);
  }
  assert.throws(() => networkLayout('conv(10,5)-dense(10)', [1, 28, 28]), /token 2 "dense\(10\)": expected a flat input \[N\] \(put 'flatten' before it\), got input shape \[10, 24, 24\]/);
  assert.throws(() => networkLayout('conv(10,5)-flatten-dense(10)', [784]), /token 1 "conv\(10,5\)": expected an image input \[C, H, W\]/);
  assert.throws(() => networkLayout('conv(10,5)-relu', [1, 28, 28]), /a flat output/);
});
