// Checks that model/train/tokenizer.py encodes exactly like transformers.js.
// node model/train/verify_tokenizer.mjs <model dir> <strings.jsonl>  -> JSON lines of ids (no special tokens)
import { AutoTokenizer, env } from '@huggingface/transformers';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, file] = process.argv.slice(2);
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(dir)) + '/';
const tok = await AutoTokenizer.from_pretrained(path.basename(path.resolve(dir)));
const out = [];
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (!line) continue;
  out.push(JSON.stringify(tok.encode(JSON.parse(line), { add_special_tokens: false })));
}
process.stdout.write(out.join('\n') + '\n');
