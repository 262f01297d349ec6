"""Sentence-level metrics (PASTED's): AUROC, TPR at FPR < x, Pearson r; temperature and thresholds."""
import math

import numpy as np


def roc_curve(y, s):
    """fpr, tpr, thresholds with sklearn's semantics (descending unique thresholds, first point (0, 0))."""
    y = np.asarray(y, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    distinct = np.where(np.diff(s))[0]
    idx = np.r_[distinct, y.size - 1]
    tps = np.cumsum(y)[idx]
    fps = (1 + idx) - tps
    P, N = y.sum(), y.size - y.sum()
    tpr = np.r_[0.0, tps / P] if P > 0 else np.r_[0.0, np.zeros_like(tps)]
    fpr = np.r_[0.0, fps / N] if N > 0 else np.r_[0.0, np.zeros_like(fps)]
    thr = np.r_[np.inf, s[idx]]
    return fpr, tpr, thr


def auroc(y, s):
    y = np.asarray(y)
    if y.min() == y.max():
        return float("nan")
    fpr, tpr, _ = roc_curve(y, s)
    return float(np.trapz(tpr, fpr))


def tpr_at(y, s, max_fpr):
    """PASTED's detection accuracy: tpr[fpr < max_fpr][-1]."""
    y = np.asarray(y)
    if y.min() == y.max():
        return float("nan")
    fpr, tpr, _ = roc_curve(y, s)
    ok = fpr < max_fpr
    return float(tpr[ok][-1]) if ok.any() else 0.0


def pearson(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size < 2 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def summary(y, s, lexical=None):
    out = {"sentences": int(len(y)), "positives": int(np.sum(y)), "auroc": auroc(y, s),
           "tpr_at_1fpr": tpr_at(y, s, 0.01), "tpr_at_5fpr": tpr_at(y, s, 0.05)}
    if lexical is not None:
        out["pearson_lexical"] = pearson(s, lexical)
    return out


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def fit_temperature(logits, y):
    """Temperature T minimising the binary NLL of sigmoid(logit / T) (golden-section search on log T)."""
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)

    def nll(logt):
        p = np.clip(_sigmoid(z / math.exp(logt)), 1e-7, 1 - 1e-7)
        return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())

    a, b = math.log(0.05), math.log(20.0)
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    for _ in range(60):
        if nll(c) < nll(d):
            b = d
        else:
            a = c
        c, d = b - g * (b - a), a + g * (b - a)
    return math.exp((a + b) / 2)


def threshold_for_fpr(y, p, target):
    """Smallest threshold t (labels: p >= t) whose FPR on (y, p) is <= target; with achieved FPR and TPR."""
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    neg = np.sort(p[y == 0])[::-1]
    pos = p[y == 1]
    n = neg.size
    k = int(math.floor(target * n))  # at most k negatives may score >= t
    if k >= n:
        t = float(neg[-1])
    else:
        # t just above the (k+1)-th highest negative score
        t = float(np.nextafter(neg[k], np.inf))
    fp = float((neg >= t).sum()) / max(1, n)
    tp = float((pos >= t).sum()) / max(1, pos.size)
    return {"target_fpr": target, "threshold": t, "achieved_fpr": fp, "tpr": tp}
