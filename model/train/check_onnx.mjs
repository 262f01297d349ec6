// Loads a model directory with transformers.js (fp32 and q8) and compares its logits with a PyTorch
// reference: node model/train/check_onnx.mjs <model dir> <reference.json>
// reference.json: {"input_ids": [[...]], "attention_mask": [[...]], "logits": [[[p, d], ...]]}
import { AutoModelForTokenClassification, AutoTokenizer, Tensor, env } from '@huggingface/transformers';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, refFile] = process.argv.slice(2);
const ref = JSON.parse(readFileSync(refFile, 'utf8'));
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(dir)) + '/';
const name = path.basename(path.resolve(dir));
await AutoTokenizer.from_pretrained(name); // must load too
const b = ref.input_ids.length, s = ref.input_ids[0].length;
const t = (rows) => new Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [b, s]);
const result = {};
for (const dtype of ['fp32', 'q8']) {
  const model = await AutoModelForTokenClassification.from_pretrained(name, { dtype, device: 'cpu' });
  const out = await model({ input_ids: t(ref.input_ids), attention_mask: t(ref.attention_mask),
    token_type_ids: t(ref.input_ids.map((r) => r.map(() => 0))) });
  const got = out.logits.data;
  let maxErr = 0;
  const want = ref.logits.flat(2);
  const mask = ref.attention_mask.flat();
  for (let i = 0; i < want.length; i++) {
    if (!mask[Math.floor(i / 2)]) continue;
    maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
  }
  result[dtype] = { dims: out.logits.dims, maxAbsErr: maxErr };
  await model.dispose();
}
console.log(JSON.stringify(result));
