#!/usr/bin/env python3
"""Reference values for the analyzer's statistics (test/unit/analyzer-stats.unit.test.ts).

Run:  python3 test/reference/analyzer_stats.py > test/reference/analyzer-stats.json

Standard library only (no scipy). Each quantity is computed independently of
the TypeScript code, by a different route where one exists:
- log-gamma: math.lgamma (C library), not Stirling's series;
- normal-mixture confidence sequence: Robbins' form on the *sum*,
  |S_t| <= sqrt((t + 1/rho^2) (ln(t rho^2 + 1) + 2 ln(1/alpha))) (Howard et al.
  2021, eq. 14), divided by t, instead of Waudby-Smith's form on the mean;
- beta-binomial count intervals: a linear scan over every count 0..n with
  math.lgamma, instead of bisection;
- quantile bounds: the sample is binned with the DDSketch mapping written out
  here and order statistics are read by expanding the sorted sample;
- SRM: the same martingale by math.lgamma, p = min(1, 1/M).
"""
import json
import math

A = 0.01  # sketch relative accuracy (contracts/sketch.ts)
GAMMA = (1 + A) / (1 - A)
MIN_VALUE = 0.01


def lbeta(a, b):
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def rho_sq(alpha, planned):
    l = -2 * math.log(alpha)
    return (l + math.log(l + 1)) / planned


def cs_radius(sigma, t, alpha, planned):
    r2 = rho_sq(alpha, planned)
    bound_on_sum = math.sqrt((t + 1 / r2) * (math.log(t * r2 + 1) + 2 * math.log(1 / alpha)))
    return sigma * bound_on_sum / t


def moments(n, s, ss, kind):
    mean = s / n
    if kind == "rate":
        p = (s + 1) / (n + 2)
        return mean, p * (1 - p)
    return mean, max(0.0, (ss - s * s / n) / (n - 1))


def two_sample(case):
    ms, vs = moments(case["stable"]["n"], case["stable"]["sum"], case["stable"]["sumSq"], case["kind"])
    mc, vc = moments(case["canary"]["n"], case["canary"]["sum"], case["canary"]["sumSq"], case["kind"])
    ns, nc = case["stable"]["n"], case["canary"]["n"]
    t = min(ns, nc)
    alpha, planned = case["alpha"], case["planned"]
    var_d = vc / nc + vs / ns
    rd = cs_radius(math.sqrt(var_d * t), t, alpha, planned)
    d = mc - ms
    var_l = vc / (nc * mc * mc) + vs / (ns * ms * ms)
    rl = cs_radius(math.sqrt(var_l * t), t, alpha, planned)
    lr = math.log(mc / ms)
    return {
        **case,
        "difference": {"estimate": d, "lower": d - rd, "upper": d + rd},
        "ratio": {"estimate": mc / ms, "lower": math.exp(lr - rl), "upper": math.exp(lr + rl)},
    }


def concentration(alpha, planned):
    return max(1.0, 1 / rho_sq(alpha, planned) - 1)


def log_m(s, n, p0, k):
    a, b = p0 * k, (1 - p0) * k
    return lbeta(a + s, b + n - s) - lbeta(a, b) - s * math.log(p0) - (n - s) * math.log(1 - p0)


def count_interval(n, p0, alpha, planned):
    k = concentration(alpha, planned)
    inside = [s for s in range(n + 1) if log_m(s, n, p0, k) < math.log(1 / alpha)]
    return {"n": n, "p0": p0, "alpha": alpha, "planned": planned, "lo": min(inside), "hi": max(inside)}


def bin_index(v):
    if not v > MIN_VALUE:
        return math.ceil(math.log(MIN_VALUE) / math.log(GAMMA))
    return math.ceil(math.log(v) / math.log(GAMMA))


def bin_value(i):
    return 2 * GAMMA**i / (GAMMA + 1)


def inv_norm(p):
    # Bisection on the error function: slow, simple and independent.
    lo, hi = -10.0, 10.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def lognormal_sample(n, median, sigma):
    """Deterministic 'sample': the (i - 0.5)/n quantiles of a log-normal."""
    return [median * math.exp(sigma * inv_norm((i - 0.5) / n)) for i in range(1, n + 1)]


def quantile_case(n, median, sigma, q, alpha, planned):
    values = sorted(bin_value(bin_index(v)) for v in lognormal_sample(n, median, sigma))
    bins = {}
    for v in lognormal_sample(n, median, sigma):
        i = bin_index(v)
        bins[i] = bins.get(i, 0) + 1
    ci = count_interval(n, q, alpha, planned)
    lo, hi = ci["lo"], ci["hi"]
    return {
        "bins": sorted([i, c] for i, c in bins.items()),
        "q": q,
        "alpha": alpha,
        "planned": planned,
        "n": n,
        "estimate": values[max(1, math.ceil(q * n)) - 1],
        "lower": values[lo - 1] / (1 + A) if lo >= 1 else 0,
        "upper": values[hi] / (1 - A) if hi + 1 <= n else None,
    }


def srm_case(stable, canary, share, alpha, planned):
    n = stable + canary
    lm = log_m(canary, n, share, concentration(alpha, planned))
    return {
        "stable": stable,
        "canary": canary,
        "share": share,
        "alpha": alpha,
        "planned": planned,
        "logEValue": lm,
        "pValue": min(1.0, math.exp(-lm)),
        "mismatch": lm >= math.log(1 / alpha),
    }


def sums(values):
    return {"n": len(values), "sum": float(sum(values)), "sumSq": float(sum(v * v for v in values))}


def main():
    out = {
        "lgamma": [{"x": x, "value": math.lgamma(x)} for x in [0.1, 0.5, 1, 1.5, 3.7, 9.99, 10, 42.5, 1e4, 123456.789, 5e6]],
        "csMultiplier": [
            {"t": t, "alpha": a, "planned": p, "value": cs_radius(1.0, t, a, p)}
            for (t, a, p) in [(10, 0.05, 1000), (1000, 0.05, 1000), (1e5, 0.05, 1000), (2000, 0.0125, 1000), (500, 0.001, 5000)]
        ],
        "twoSample": [
            two_sample({"kind": "rate", "stable": {"n": 99000, "sum": 990, "sumSq": 990}, "canary": {"n": 1000, "sum": 30, "sumSq": 30}, "alpha": 0.0125, "planned": 1000}),
            two_sample({"kind": "rate", "stable": {"n": 5000, "sum": 50, "sumSq": 50}, "canary": {"n": 5000, "sum": 55, "sumSq": 55}, "alpha": 0.05, "planned": 2000}),
            two_sample({"kind": "mean", "stable": sums([40 + (i % 17) for i in range(3000)]), "canary": sums([33 + (i % 13) for i in range(400)]), "alpha": 0.05, "planned": 1000}),
        ],
        "countInterval": [
            count_interval(n, p0, a, p)
            for (n, p0, a, p) in [(1000, 0.95, 0.05, 1000), (1000, 0.5, 0.05, 1000), (200, 0.99, 0.00625, 1000), (5000, 0.95, 0.00625, 1000), (30, 0.5, 0.05, 1000)]
        ],
        "quantile": [
            quantile_case(1000, 120.0, 0.5, 0.95, 0.05, 1000),
            quantile_case(400, 800.0, 0.3, 0.5, 0.01, 1000),
            quantile_case(150, 50.0, 0.8, 0.99, 0.05, 1000),
        ],
        "srm": [
            srm_case(99000, 1000, 0.01, 0.001, 100000),
            srm_case(9000, 1000, 0.05, 0.001, 100000),
            srm_case(50400, 49600, 0.5, 0.001, 100000),
            srm_case(49000, 51000, 0.5, 0.001, 100000),
        ],
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
