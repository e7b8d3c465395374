"""Ranking metrics: reciprocal rank, precision, recall, average precision, DCG and NDCG.

Conventions (shared by every function, and matching trec_eval where trec_eval has the metric):

* ``f(labels, scores, *, ...)``: 1-D input is one list and gives a float; 2-D input is a batch of
  lists (rows) and gives one value per row. ``mask`` (True = real item) handles ragged batches.
* An item is relevant when its label is > 0. ``gain="linear"`` uses the label as gain,
  ``gain="exponential"`` uses ``2**label - 1``.
* ``k=None`` is the whole list. ``P@k`` divides by ``k`` even when the list is shorter. AP divides
  by the number ``m`` of relevant items in the list. The ideal DCG comes from the same list's
  labels, truncated at ``k`` like the DCG.
* ``ties`` chooses the order inside groups of equal scores (see :mod:`rankbound.ranking`);
  ``"average"`` is the exact expectation over random orders of the tied groups, in closed form.
* A list with no relevant item gives ``0.0`` (``no_relevant="zero"``, as trec_eval), ``nan``
  (``"nan"``) or an error (``"raise"``).

All functions are vectorised over the batch: one sort of the score matrix, then array arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from rankbound._validation import Lists, check_k, check_lists, check_option, which_lists
from rankbound.ranking import TIE_POLICIES, _order_2d, _segment_sum, _sort_key, _tie_groups

__all__ = [
    "reciprocal_rank",
    "precision_at_k",
    "recall_at_k",
    "average_precision",
    "dcg",
    "ndcg",
    "gains",
]

_NO_RELEVANT = ("zero", "nan", "raise")
_GAINS = ("linear", "exponential")


def _gains(func: str, labels: np.ndarray, gain: str) -> np.ndarray:
    if gain == "linear":
        return labels
    with np.errstate(over="ignore"):
        g = np.exp2(labels) - 1.0  # exact for integer labels
    if not np.isfinite(g).all():
        raise ValueError(
            f"{func}: 'labels' too large for gain='exponential' (2**label - 1 overflows float64); "
            f"got max={float(labels.max())!r}"
        )
    return g


def gains(labels, *, gain="linear") -> np.ndarray:
    """The gain of each label: ``label`` (linear) or ``2**label - 1`` (exponential).

    Examples
    --------
    >>> gains([0, 1, 3], gain="exponential").tolist()
    [0.0, 1.0, 7.0]
    """
    func = "gains"
    check_option(func, "gain", gain, _GAINS)
    lists = check_lists(func, labels, labels)
    g = _gains(func, lists.labels, gain)
    return g[0] if lists.one_list else g


@dataclass
class _Sorted:
    """Per-position quantities of each row in ranked order (realisable policy) or, for
    ``ties="average"``, their expectations over random orders of the tie groups."""

    rel: np.ndarray  # (B, n) relevance (0/1), or its expectation r/g
    gain: np.ndarray  # (B, n) gain, or the group's mean gain
    m: np.ndarray  # (B,) number of relevant items
    n: np.ndarray  # (B,) number of real items
    lists: Lists
    # only for ties="average":
    start: np.ndarray | None = None
    size: np.ndarray | None = None
    group_rel: np.ndarray | None = None


def _prepare(func, labels, scores, mask, ties, gain="linear") -> _Sorted:
    check_option(func, "ties", ties, TIE_POLICIES)
    check_option(func, "gain", gain, _GAINS)
    lists = check_lists(func, labels, scores, mask)
    g_all = _gains(func, lists.labels, gain)
    rel_all = (lists.labels > 0).astype(np.float64)
    m = rel_all.sum(axis=1)
    n = lists.mask.sum(axis=1).astype(np.float64)
    if ties != "average":
        idx = _order_2d(lists, ties)
        return _Sorted(
            rel=np.take_along_axis(rel_all, idx, axis=1),
            gain=np.take_along_axis(g_all, idx, axis=1),
            m=m,
            n=n,
            lists=lists,
        )
    key = _sort_key(lists)
    idx = np.argsort(key, axis=1, kind="stable")
    start, size = _tie_groups(np.take_along_axis(key, idx, axis=1))
    group_rel = _segment_sum(np.take_along_axis(rel_all, idx, axis=1), start, size)
    group_gain = _segment_sum(np.take_along_axis(g_all, idx, axis=1), start, size)
    return _Sorted(
        rel=group_rel / size,
        gain=group_gain / size,
        m=m,
        n=n,
        lists=lists,
        start=start,
        size=size,
        group_rel=group_rel,
    )


def _finish(func: str, values: np.ndarray, defined: np.ndarray, srt: _Sorted, no_relevant: str):
    """Apply the no-relevant-item convention and return a float (1-D input) or an array."""
    if not defined.all():
        if no_relevant == "raise":
            where = which_lists(~defined, srt.lists.one_list)
            raise ValueError(
                f"{func}: {where} has no relevant item (label > 0), so the metric is undefined; "
                f"pass no_relevant='zero' or 'nan' to accept such lists"
            )
        values = np.where(defined, values, 0.0 if no_relevant == "zero" else np.nan)
    return srt.lists.unwrap(values)


def _cut(srt: _Sorted, k: int | None) -> np.ndarray:
    """Boolean (B, n): positions 1..k of the ranking (all real positions when k is None)."""
    nrow, ncol = srt.rel.shape
    pos = np.arange(1, ncol + 1)
    limit = srt.n[:, None] if k is None else k
    return np.broadcast_to(pos, (nrow, ncol)) <= limit


def _discount(ncol: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, ncol + 2, dtype=np.float64))


def reciprocal_rank(labels, scores, *, ties="stable", mask=None, no_relevant="zero"):
    r"""Reciprocal rank: one over the position of the first relevant item.

    .. math:: \mathrm{RR} = 1 / \min\{\pi(i) : y_i > 0\}

    With ``ties="average"`` the expectation over random orders of the first tied group that holds
    a relevant item: a group at positions ``a+1 .. a+g`` with ``r`` relevant items puts its first
    relevant item at ``a+j`` with probability ``C(g-j, r-1) / C(g, r)``.

    The book bounds it by :prf:ref:`thm-rr-bound`: ``-log RR <= ListNet loss``.

    Examples
    --------
    >>> reciprocal_rank([0, 0, 1], [3.0, 2.0, 1.0])
    0.3333333333333333
    >>> reciprocal_rank([0, 1], [1.0, 1.0], ties="average")  # (1/1 + 1/2) / 2
    0.75
    """
    func = "reciprocal_rank"
    check_option(func, "no_relevant", no_relevant, _NO_RELEVANT)
    srt = _prepare(func, labels, scores, mask, ties)
    defined = srt.m > 0
    ncol = srt.rel.shape[1]
    if ties != "average":
        first = np.argmax(srt.rel > 0, axis=1)
        values = 1.0 / (first + 1.0)
    else:
        # The first group with a relevant item; every position in it, at offset j = 1..g.
        has_rel = srt.group_rel > 0
        first_pos = np.argmax(has_rel, axis=1)
        a = np.take_along_axis(srt.start, first_pos[:, None], axis=1)
        g = np.take_along_axis(srt.size, first_pos[:, None], axis=1).astype(np.float64)
        r = np.take_along_axis(srt.group_rel, first_pos[:, None], axis=1)
        r = np.maximum(r, 1.0)  # rows with no relevant item are discarded by _finish
        j = np.arange(1, ncol + 1)[None, :].astype(np.float64)
        possible = j <= g - r + 1
        with np.errstate(invalid="ignore"):
            top = np.where(possible, g - j, 0.0)
            log_w = (
                gammaln(top + 1) - gammaln(r) - gammaln(np.maximum(top - r + 2, 1.0))
                - (gammaln(g + 1) - gammaln(r + 1) - gammaln(g - r + 1))
            )
        w = np.where(possible, np.exp(log_w), 0.0)
        values = (w / (a + j)).sum(axis=1)
    return _finish(func, values, defined, srt, no_relevant)


def precision_at_k(labels, scores, *, k=None, ties="stable", mask=None, no_relevant="zero"):
    r"""Precision at ``k``: relevant items among the top ``k``, divided by ``k``.

    .. math:: \mathrm{P@}k = \frac{1}{k}\sum_{p=1}^{k} \mathrm{rel}(p)

    ``k`` is divided by even when the list is shorter (as trec_eval); ``k=None`` is the whole
    list (``m / n``). A list with no relevant item has P@k = 0 in fact; ``no_relevant`` lets a
    caller mark such lists as ``nan`` or refuse them, consistently with the other metrics.

    Examples
    --------
    >>> precision_at_k([1, 0, 1], [3.0, 2.0, 1.0], k=2)
    0.5
    >>> precision_at_k([1], [0.0], k=5)  # divides by k, not by the list length
    0.2
    """
    func = "precision_at_k"
    k = check_k(func, k)
    check_option(func, "no_relevant", no_relevant, _NO_RELEVANT)
    srt = _prepare(func, labels, scores, mask, ties)
    hits = np.where(_cut(srt, k), srt.rel, 0.0).sum(axis=1)
    denom = srt.n if k is None else float(k)
    return _finish(func, hits / denom, srt.m > 0, srt, no_relevant)


def recall_at_k(labels, scores, *, k=None, ties="stable", mask=None, no_relevant="zero"):
    r"""Recall at ``k``: the fraction of the relevant items found in the top ``k``.

    .. math:: \mathrm{R@}k = \frac{1}{m}\sum_{p=1}^{k} \mathrm{rel}(p)

    Examples
    --------
    >>> recall_at_k([1, 0, 1], [3.0, 2.0, 1.0], k=2)
    0.5
    """
    func = "recall_at_k"
    k = check_k(func, k)
    check_option(func, "no_relevant", no_relevant, _NO_RELEVANT)
    srt = _prepare(func, labels, scores, mask, ties)
    hits = np.where(_cut(srt, k), srt.rel, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = hits / srt.m
    return _finish(func, values, srt.m > 0, srt, no_relevant)


def average_precision(labels, scores, *, k=None, ties="stable", mask=None, no_relevant="zero"):
    r"""Average precision: the mean, over relevant items, of the precision at their positions.

    .. math:: \mathrm{AP} = \frac{1}{m}\sum_{p:\,\mathrm{rel}(p)=1} \frac{\#\{q \le p : \mathrm{rel}(q)=1\}}{p}

    With ``k`` only positions ``p <= k`` contribute, still divided by ``m`` (trec_eval's
    ``map_cut``). With ``ties="average"``, a tied group at positions ``a+1..a+g`` holding ``r``
    relevant items, after ``R`` relevant items above it, contributes, at position ``p = a+j``,
    ``(r/g) (R + 1 + (j-1)(r-1)/(g-1)) / p`` (McSherry & Najork, 2008).

    Examples
    --------
    >>> average_precision([1, 0, 1], [3.0, 2.0, 1.0])  # (1/1 + 2/3) / 2
    0.8333333333333333
    """
    func = "average_precision"
    k = check_k(func, k)
    check_option(func, "no_relevant", no_relevant, _NO_RELEVANT)
    srt = _prepare(func, labels, scores, mask, ties)
    ncol = srt.rel.shape[1]
    pos = np.arange(1, ncol + 1, dtype=np.float64)[None, :]
    if ties != "average":
        prec = np.cumsum(srt.rel, axis=1) / pos
        contrib = srt.rel * prec
    else:
        # Relevant items strictly above each group: cumulative relevance before the group start.
        c = np.zeros((srt.rel.shape[0], ncol + 1))
        np.cumsum(srt.rel, axis=1, out=c[:, 1:])  # expected relevance sums to r over a group
        before = np.take_along_axis(c, srt.start, axis=1)
        g = srt.size.astype(np.float64)
        r = srt.group_rel
        j = pos - srt.start  # offset inside the group, 1..g
        with np.errstate(invalid="ignore", divide="ignore"):
            inside = np.where(g > 1, (j - 1) * (r - 1) / (g - 1), 0.0)
        contrib = (r / g) * (before + 1.0 + inside) / pos
    contrib = np.where(_cut(srt, k), contrib, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = contrib.sum(axis=1) / srt.m
    return _finish(func, values, srt.m > 0, srt, no_relevant)


def _dcg_sorted(srt: _Sorted, k: int | None) -> np.ndarray:
    ncol = srt.rel.shape[1]
    return np.where(_cut(srt, k), srt.gain * _discount(ncol), 0.0).sum(axis=1)


def dcg(labels, scores, *, k=None, ties="stable", gain="linear", mask=None):
    r"""Discounted cumulative gain (Järvelin & Kekäläinen, 2002).

    .. math:: \mathrm{DCG@}k = \sum_{p=1}^{k} \frac{g(p)}{\log_2(p+1)}

    With ``ties="average"`` each position of a tied group receives the group's mean gain, which is
    the exact expectation over random orders of the group.

    Examples
    --------
    >>> round(dcg([3, 2, 0], [3.0, 2.0, 1.0]), 6)  # 3/log2(2) + 2/log2(3)
    4.26186
    """
    func = "dcg"
    k = check_k(func, k)
    srt = _prepare(func, labels, scores, mask, ties, gain)
    return srt.lists.unwrap(_dcg_sorted(srt, k))


def ndcg(labels, scores, *, k=None, ties="stable", gain="linear", mask=None, no_relevant="zero"):
    r"""Normalised DCG: DCG over the ideal DCG of the same list, both truncated at ``k``.

    .. math:: \mathrm{NDCG@}k = \mathrm{DCG@}k / \mathrm{IDCG@}k

    The ideal DCG sorts the same list's labels in decreasing order. A list with no relevant item
    has ``IDCG = 0`` and follows ``no_relevant``. With ``ties="average"`` the value is the
    expectation over random tie orders (the DCG is averaged; the IDCG does not depend on ties),
    as in scikit-learn's ``ndcg_score(..., ignore_ties=False)``.

    The book bounds it by :prf:ref:`thm-ndcg-bound`: ``-log NDCG <= ListNet loss``.

    Examples
    --------
    >>> round(ndcg([0, 1], [2.0, 1.0]), 6)  # (1/log2(3)) / (1/log2(2))
    0.63093
    """
    func = "ndcg"
    k = check_k(func, k)
    check_option(func, "no_relevant", no_relevant, _NO_RELEVANT)
    srt = _prepare(func, labels, scores, mask, ties, gain)
    ideal_gain = -np.sort(-_gains(func, srt.lists.labels, gain), axis=1)
    ideal = _Sorted(rel=srt.rel, gain=ideal_gain, m=srt.m, n=srt.n, lists=srt.lists)
    idcg = _dcg_sorted(ideal, k)
    defined = idcg > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        values = _dcg_sorted(srt, k) / idcg
    return _finish(func, values, defined, srt, no_relevant)
