// @ts-check
/**
 * mulberry32, the one seeded generator of the repository: the simulated
 * origins (sim/, plain Node) and the analyzer's simulations and tests
 * (analyzer/sim/prng.ts) both draw from it. JavaScript so that both can
 * import it; `random.d.mts` types it for TypeScript.
 */

/**
 * A 32-bit state generator, fast and well mixed for simulations and fault
 * injection: the same seed always yields the same sequence.
 *
 * @example
 *   const rand = mulberry32(42);
 *   rand(); // same float in [0, 1) on every run
 *
 * @param {number} seed
 * @returns {() => number} floats in [0, 1)
 */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
