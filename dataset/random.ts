// Seeded randomness for the dataset builder. Each corpus row gets its own generator, seeded from the
// build seed and the row's id, so a row's records do not depend on the order rows are read in.
import { fnv1a32 } from './split.ts';

export type Random = () => number;

/** mulberry32: a small, fast 32-bit generator; returns floats in [0, 1). */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function rngFor(seed: number, key: string): Random {
  return mulberry32(fnv1a32(`${seed}#${key}`));
}

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}
