// The train/validation/test split of the dataset builder: a pure function of seed and doc_id.
// bucket = FNV-1a-32(`${seed}:${doc_id}`) % 10 — 0 → test, 1 → validation, 2..9 → train.

export type Split = 'train' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];
export const DEFAULT_SEED = 13;

const encoder = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function splitBucket(docId: string, seed: number = DEFAULT_SEED): number {
  return fnv1a32(`${seed}:${docId}`) % 10;
}

export function splitOf(docId: string, seed: number = DEFAULT_SEED): Split {
  const bucket = splitBucket(docId, seed);
  return bucket === 0 ? 'test' : bucket === 1 ? 'validation' : 'train';
}
