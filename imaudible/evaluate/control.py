"""Controls that give a score meaning: shuffled pairs, a permutation test, correlation, paired tests.

A pairing score (CLAP similarity of clip i with prompt i, or mood agreement of music i with image i) means
little alone: the shuffled control scores every clip against every *other* artwork's text or image. The margin
is true minus shuffled; the permutation test asks how often a random re-pairing scores at least as well.
"""
from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np

PERMUTATIONS = 2000


@dataclass(frozen=True)
class PairedControl:
    true_mean: float
    shuffled_mean: float
    margin: float
    p_value: float | None        # None with fewer than 3 pairs: no meaningful re-pairing exists
    pairs: int
    permutations: int
    exact: bool = False          # every re-pairing was scored (small galleries), not a random sample

    def to_dict(self) -> dict:
        def num(v):
            return None if v is None or not math.isfinite(v) else round(float(v), 4)
        return {"true_mean": num(self.true_mean), "shuffled_mean": num(self.shuffled_mean), "margin": num(self.margin),
                "p_value": num(self.p_value), "pairs": self.pairs, "permutations": self.permutations,
                "exact": self.exact}


def shuffled_control(scores: np.ndarray, permutations: int = PERMUTATIONS, seed: int = 0) -> PairedControl:
    """`scores[i, j]`: how well clip i fits artwork j (higher is better); the diagonal holds the true pairs.

    Shuffled mean: the mean over every mismatched pair (i != j). p-value, one-sided: when the n! re-pairings
    number at most `permutations` (n <= 6), the exact share of all of them (the true one included) whose mean
    matched score >= the true mean, so never under the 1/n! a gallery that small can reach; otherwise
    (1 + #{such random permutations}) / (1 + permutations).
    """
    s = np.asarray(scores, np.float64)
    n = s.shape[0]
    if s.ndim != 2 or s.shape[1] != n or n == 0:
        raise ValueError(f"shuffled control: expected a square score matrix, got shape {s.shape}")
    true_mean = float(np.trace(s) / n)
    if n < 2:
        return PairedControl(true_mean, math.nan, math.nan, None, n, 0)
    shuffled = float((s.sum() - np.trace(s)) / (n * (n - 1)))
    if n < 3:
        return PairedControl(true_mean, shuffled, true_mean - shuffled, None, n, 0)
    exact = math.factorial(n) <= permutations
    if exact:
        perms = np.array(list(itertools.permutations(range(n))))
    else:
        perms = np.argsort(np.random.default_rng(seed).random((permutations, n)), axis=1)
    means = s[np.arange(n)[None, :], perms].mean(axis=1)
    at_least = int(np.sum(means >= true_mean - 1e-12))  # a tolerance: ties (e.g. identical clips) count as "at least as good"
    p_value = at_least / len(perms) if exact else (1 + at_least) / (1 + permutations)
    return PairedControl(true_mean, shuffled, true_mean - shuffled, float(p_value), n, len(perms), exact)


def mood_fit_matrix(music: np.ndarray, image: np.ndarray) -> np.ndarray:
    """`[i, j]` = minus the valence-arousal distance between music i and image j (higher is a better fit)."""
    m, g = np.asarray(music, np.float64), np.asarray(image, np.float64)
    return -np.linalg.norm(m[:, None, :] - g[None, :, :], axis=2)


def correlation(a, b) -> dict:
    """Pearson r and its p-value over the gallery (None when undefined: fewer than 3 points or no spread).

    Fewer than 3 distinct (a, b) points (e.g. two copies of one image beside a third artwork) lie on a line
    whatever the fit: r = +-1 with p = 0 would be an artefact, so r is undefined and `distinct` says why."""
    from scipy.stats import pearsonr   # scipy.stats is imported anyway: the report's p-values are adjusted with it

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    n = len(a)
    if n < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return {"r": None, "p_value": None, "n": int(n)}
    distinct = len(set(zip(a.tolist(), b.tolist())))
    if distinct < 3:
        return {"r": None, "p_value": None, "n": int(n), "distinct": distinct}
    with warnings.catch_warnings():   # a nearly constant measure warns on stderr; its r is reported as found
        warnings.simplefilter("ignore")
        found = pearsonr(a, b)
    r, p = float(found.statistic), float(found.pvalue)
    return {"r": round(r, 4), "p_value": round(p, 4), "n": int(n)}


def paired_test(current, variant) -> dict:
    """Variant minus current, per artwork: mean difference and the Wilcoxon signed-rank p-value (two-sided)."""
    from scipy import stats

    a, b = np.asarray(current, np.float64), np.asarray(variant, np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    diff = b - a
    out = {"n": int(len(diff)), "mean_current": _round(a.mean() if len(a) else math.nan),
           "mean_variant": _round(b.mean() if len(b) else math.nan),
           "mean_difference": _round(diff.mean() if len(diff) else math.nan), "test": "Wilcoxon signed-rank",
           "p_value": None}
    if len(diff) >= 2 and np.any(diff != 0):
        out["p_value"] = _round(float(stats.wilcoxon(b, a, zero_method="zsplit").pvalue))
    elif len(diff) >= 2:
        out["p_value"] = 1.0
    return out


ADJUSTMENT = "Benjamini-Hochberg"   # what `adjust_p_values` controls: the false discovery rate of a family


def adjust_p_values(tests: list[dict]) -> int:
    """Add `p_adjusted` to each test of one family (the measures one report states together) that has a
    p-value: a report of six tests finds one p < 0.05 by chance a quarter of the time. Returns how many
    tests the family holds; a lone test is left as it is."""
    tested = [t for t in tests if t and t.get("p_value") is not None]
    if len(tested) < 2:
        return len(tested)
    from scipy.stats import false_discovery_control   # scipy.stats costs ~0.5 s to import: only when needed

    adjusted = false_discovery_control([t["p_value"] for t in tested], method="bh")
    for test, p in zip(tested, adjusted):
        test["p_adjusted"] = _round(float(p))
    return len(tested)


def _round(v: float):
    return None if v is None or not math.isfinite(v) else round(float(v), 4)
