"""Independent MurmurHash3 x86_32 reference (from the published algorithm) used to
produce test/reference/murmur3.json. Run: python3 test/reference/murmur3.py"""
import json
import struct


def mm3(data: bytes, seed: int = 0) -> int:
    c1, c2, m = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF
    h, n = seed, len(data)
    for i in range(n // 4):
        k = struct.unpack("<I", data[4 * i : 4 * i + 4])[0]
        k = (k * c1) & m
        k = ((k << 15) | (k >> 17)) & m
        h ^= (k * c2) & m
        h = ((h << 13) | (h >> 19)) & m
        h = (h * 5 + 0xE6546B64) & m
    t, k = data[(n // 4) * 4 :], 0
    if len(t) >= 3:
        k ^= t[2] << 16
    if len(t) >= 2:
        k ^= t[1] << 8
    if len(t) >= 1:
        k ^= t[0]
        k = (k * c1) & m
        k = ((k << 15) | (k >> 17)) & m
        h ^= (k * c2) & m
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & m
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & m
    return h ^ (h >> 16)


inputs = ["", "a", "abc", "hello world", "user-42", "ünïcode✓", "The quick brown fox jumps over the lazy dog"]
out = [{"input": s, "seed": seed, "hash": mm3(s.encode(), seed)} for s in inputs for seed in (0, 42)]
print(json.dumps(out, ensure_ascii=False, indent=1))
