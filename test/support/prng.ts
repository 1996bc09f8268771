/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same run, so a fuzz
 * failure reproduces with FUZZ_SEED. Returns floats in [0, 1).
 */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a fuzz run: FUZZ_SEED when set, else the suite's fixed one. */
export const fuzzSeed = (fallback: number): number => Number(process.env.FUZZ_SEED ?? fallback);
