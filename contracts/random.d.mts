/** Types of `random.mjs`: a seeded generator of floats in [0, 1). */
export declare function mulberry32(seed: number): () => number;
