// Runs a model directory's ONNX file through transformers.js on prepared windows and prints the logits
// at the given positions: node model/train/infer_windows.mjs <model dir> <windows.json> <fp32|q8> <out.json>
// windows.json: {"ids": [[...], ...], "positions": [[...], ...]}  ->  out.json: [[[p, d], ...], ...]
import { AutoModelForTokenClassification, Tensor, env } from '@huggingface/transformers';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [dir, file, dtype, outFile] = process.argv.slice(2);
const { ids, positions } = JSON.parse(readFileSync(file, 'utf8'));
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(dir)) + '/';
const model = await AutoModelForTokenClassification.from_pretrained(path.basename(path.resolve(dir)), { dtype, device: 'cpu' });
const order = ids.map((_, i) => i).sort((a, b) => ids[a].length - ids[b].length);
const out = new Array(ids.length);
const maxBatchTokens = 8192;
let i = 0;
const t0 = Date.now();
while (i < order.length) {
  const batch = [];
  let len = 0;
  while (i < order.length && (batch.length === 0 || Math.max(len, ids[order[i]].length) * (batch.length + 1) <= maxBatchTokens)) {
    len = Math.max(len, ids[order[i]].length);
    batch.push(order[i++]);
  }
  const b = batch.length;
  const inp = new BigInt64Array(b * len);
  const att = new BigInt64Array(b * len);
  batch.forEach((w, r) => ids[w].forEach((t, c) => { inp[r * len + c] = BigInt(t); att[r * len + c] = 1n; }));
  const res = await model({ input_ids: new Tensor('int64', inp, [b, len]), attention_mask: new Tensor('int64', att, [b, len]),
    token_type_ids: new Tensor('int64', new BigInt64Array(b * len), [b, len]) });
  const data = res.logits.data;
  batch.forEach((w, r) => { out[w] = positions[w].map((p) => [data[(r * len + p) * 2], data[(r * len + p) * 2 + 1]]); });
}
writeFileSync(outFile, JSON.stringify(out));
process.stderr.write(`${ids.length} windows in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
await model.dispose();
