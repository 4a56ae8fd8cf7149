/**
 * MurmurHash3 (x86, 32-bit) over UTF-8 bytes: fast, synchronous and well mixed
 * in the low bits, which matters because assignment takes it modulo 10,000.
 * Not a cryptographic hash; users cannot choose their bucket in a useful way
 * because the route and release id are part of the input.
 */
const encoder = new TextEncoder();

export function murmur3(input: string, seed = 0): number {
  const bytes = encoder.encode(input);
  const len = bytes.length;
  const blocks = len >>> 2;
  let h = seed >>> 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  for (let i = 0; i < blocks; i++) {
    const o = i << 2;
    let k =
      (bytes[o] ?? 0) |
      ((bytes[o + 1] ?? 0) << 8) |
      ((bytes[o + 2] ?? 0) << 16) |
      ((bytes[o + 3] ?? 0) << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks << 2;
  const rest = len & 3;
  if (rest > 0) {
    let k = bytes[tail] ?? 0;
    if (rest > 1) k ^= (bytes[tail + 1] ?? 0) << 8;
    if (rest > 2) k ^= (bytes[tail + 2] ?? 0) << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
