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

All functions are vectorised over the batch: one sort of the score matrix (none for RR, which is
counted), then array arithmetic, on blocks of rows sized to stay in cache.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from rankbound._validation import Lists, check_k, check_lists, check_option, which_lists
from rankbound.ranking import (
    TIE_POLICIES,
    _segment_sum,
    _sort_key,
    _sorted_order,
    _tie_groups,
)

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
_LN2 = math.log(2.0)
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
    small = (labels > 0) & (labels < 1)
    if small.any():  # exp2(y) - 1 cancels for small y (to 0 below ~1e-16): expm1(y log 2)
        g[small] = np.expm1(labels[small] * _LN2)
    return g


def _gain_exponents(func: str, labels: np.ndarray, gain: str) -> np.ndarray:
    """Per row, the binary exponent ``e`` of the largest gain: ``gain * 2**-e`` is in [0, 1).

    Gains are scaled by ``2**-e`` before they are summed, so that neither the sums (labels near
    float max) nor the products with the discounts (subnormal labels) leave the range where
    float64 is exact to rounding. A power of two scales exactly: for ordinary labels the results
    are bit for bit those of the unscaled gains.
    """
    return np.frexp(_gains(func, labels.max(axis=1), gain))[1]


def _scale_rows(x: np.ndarray, exponents: np.ndarray) -> np.ndarray:
    """``x * 2**-e`` row by row, exactly: two multiplications by powers of two, each within
    float range even for the exponents of subnormal (-1074) or huge (1024) gains."""
    half = exponents // 2
    return x * np.ldexp(1.0, -half)[:, None] * np.ldexp(1.0, half - exponents)[:, None]


def _scaled_gains(func: str, labels: np.ndarray, gain: str, exponents: np.ndarray) -> np.ndarray:
    return _scale_rows(_gains(func, labels, gain), exponents)


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
    g = np.array(_gains(func, lists.labels, gain))  # a new, writable array
    return g[0] if lists.one_list else g


@dataclass
class _Sorted:
    """Per-position quantities of each row in ranked order (realisable policy) or, for
    ``ties="average"``, their expectations over random orders of the tie groups.

    Only the first ``width`` positions are kept when a metric is cut at ``k`` (``min(k, n)``, or
    under ``"average"`` up to the end of the tie group at ``k``); masked items sort last with
    label 0, so they add nothing to any sum."""

    rel: np.ndarray  # (B, width) relevance (0/1), or its expectation r/g
    gain: np.ndarray  # (B, width) gain * 2**-gain_exp, or the group's mean of it
    gain_exp: np.ndarray  # (B,) the scale of the gains (see _gain_exponents)
    m: np.ndarray  # (B,) number of relevant items
    n: np.ndarray  # (B,) number of real items
    lists: Lists
    # only for ties="average" (full width):
    start: np.ndarray | None = None
    size: np.ndarray | None = None
    group_rel: np.ndarray | None = None


def _validated(func, labels, scores, mask, ties, gain="linear") -> Lists:
    check_option(func, "ties", ties, TIE_POLICIES)
    check_option(func, "gain", gain, _GAINS)
    return check_lists(func, labels, scores, mask)


# Rows are evaluated in blocks of about this many items: the temporaries of a block (1 MiB
# each) stay in cache, and in memory the allocator keeps, instead of paging in fresh memory for
# every large temporary (bench/README.md measures the difference).
_BLOCK_ITEMS = 2**17


def _blockwise(lists: Lists, compute) -> tuple[np.ndarray, ...]:
    """``compute(block)`` returns per-row arrays; run it on blocks of rows, concatenate.

    Every value depends only on its own row, so the blocks change the speed, not the result.
    """
    blocks = lists.row_blocks(_BLOCK_ITEMS)
    if len(blocks) == 1:
        return compute(lists)
    return tuple(np.concatenate(part) for part in zip(*map(compute, blocks), strict=True))


def _sort_lists(func, lists: Lists, ties: str, gain: str, k: int | None = None) -> _Sorted:
    """Sort a validated batch once and read labels, relevance and gains in ranked order."""
    if ties != "average":  # a metric cut at k reads only the top k positions
        idx, sorted_key = _sorted_order(lists, ties, k)
    else:
        idx, sorted_key = _sorted_order(lists, "stable")
        if k is not None and k < idx.shape[1]:
            # the top k positions and the rest of the tie group at position k, whose members
            # share its expected relevance: the columns up to the end of the longest such group
            width = int((sorted_key <= sorted_key[:, k - 1 : k]).sum(axis=1).max())
            idx, sorted_key = idx[:, :width], sorted_key[:, :width]
    y = np.take_along_axis(lists.labels, idx, axis=1)
    return _ranked_view(func, lists, y, sorted_key, ties, gain)


def _ranked_view(func, lists: Lists, y, sorted_key, ties: str, gain: str) -> _Sorted:
    """:class:`_Sorted` from labels ``y`` in ranked order (the first columns, or all of them)
    and the sorted keys (used by ``ties="average"`` for the tie groups)."""
    m = (lists.labels > 0).sum(axis=1).astype(np.float64)
    n = lists.mask.sum(axis=1).astype(np.float64)
    exps = _gain_exponents(func, lists.labels, gain)
    g = _scaled_gains(func, y, gain, exps)
    if ties != "average":
        return _Sorted(rel=(y > 0).astype(np.float64), gain=g, gain_exp=exps, m=m, n=n,
                       lists=lists)
    start, size = _tie_groups(sorted_key)
    group_rel = _segment_sum((y > 0).astype(np.float64), start, size)
    group_gain = _segment_sum(g, start, size)
    return _Sorted(rel=group_rel / size, gain=group_gain / size, gain_exp=exps, m=m, n=n,
                   lists=lists, start=start, size=size, group_rel=group_rel)


def _finish(func: str, values: np.ndarray, defined: np.ndarray, lists: Lists, no_relevant: str):
    """Apply the no-relevant-item convention and return a float (1-D input) or an array."""
    if not defined.all():
        if no_relevant == "raise":
            where = which_lists(~defined, lists.one_list)
            raise ValueError(
                f"{func}: {where} has no relevant item (label > 0), so the metric is undefined; "
                f"pass no_relevant='zero' or 'nan' to accept such lists"
            )
        values = np.where(defined, values, 0.0 if no_relevant == "zero" else np.nan)
    return lists.unwrap(values)


def _head(x: np.ndarray, k: int | None) -> np.ndarray:
    """The first ``k`` positions of a (B, n) array (all of them when k is None)."""
    return x if k is None else x[:, :k]


def _discount(ncol: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, ncol + 2, dtype=np.float64))


def _first_relevant(lists: Lists, ties: str) -> np.ndarray:
    """Reciprocal rank of each row by counting, without sorting (O(n) per list).

    The first relevant item lies in the best-scored tie group that holds a relevant item: ``a``
    items score strictly better, the group has ``g`` items of which ``r`` are relevant. Then the
    first relevant position is ``a + 1`` (optimistic), ``a + g - r + 1`` (pessimistic: the
    group's non-relevant items first), ``a + 1 + #{tied items before the first relevant index}``
    (stable), and for ``"average"`` the expectation of ``1/(a + J)`` with
    ``P(J = j) = C(g-j, r-1) / C(g, r)``. Rows with no relevant item give a finite placeholder.
    """
    key = _sort_key(lists)
    rel = lists.labels > 0  # masked items have label 0
    best = np.where(rel, key, np.inf).min(axis=1, keepdims=True)
    above = (key < best).sum(axis=1).astype(np.float64)
    tied = key == best
    if ties == "optimistic":
        return 1.0 / (above + 1.0)
    if ties == "pessimistic":
        return 1.0 / (above + (tied & ~rel).sum(axis=1) + 1.0)
    if ties == "stable":
        first = np.argmax(tied & rel, axis=1)
        before = (tied & (np.arange(key.shape[1]) < first[:, None])).sum(axis=1)
        return 1.0 / (above + before + 1.0)
    g = tied.sum(axis=1).astype(np.float64)[:, None]
    r = np.maximum((tied & rel).sum(axis=1), 1).astype(np.float64)[:, None]
    width = max(1, int((g - r).max()) + 1)
    j = np.arange(1, width + 1, dtype=np.float64)[None, :]
    possible = j <= g - r + 1
    top = np.where(possible, g - j, 0.0)
    log_w = (
        gammaln(top + 1) - gammaln(r) - gammaln(np.maximum(top - r + 2, 1.0))
        - (gammaln(g + 1) - gammaln(r + 1) - gammaln(g - r + 1))
    )
    w = np.where(possible, np.exp(np.where(possible, log_w, 0.0)), 0.0)
    return (w / (above[:, None] + j)).sum(axis=1)


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
    lists = _validated(func, labels, scores, mask, ties)
    values, defined = _blockwise(
        lists, lambda b: (_first_relevant(b, ties), (b.labels > 0).any(axis=1))
    )
    return _finish(func, values, defined, lists, no_relevant)


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
    return _binary_metric("precision_at_k", _precision_values, labels, scores, k, ties, mask,
                          no_relevant)


def _binary_metric(func, values_of, labels, scores, k, ties, mask, no_relevant):
    """The body shared by P@k, R@k and AP: validate, sort each block of rows once, compute
    ``values_of(sorted, k)``, apply the no-relevant-item convention."""
    k = check_k(func, k)
    check_option(func, "no_relevant", no_relevant, _NO_RELEVANT)
    lists = _validated(func, labels, scores, mask, ties)

    def compute(block):
        srt = _sort_lists(func, block, ties, "linear", k)
        return values_of(srt, k), srt.m > 0

    values, defined = _blockwise(lists, compute)
    return _finish(func, values, defined, lists, no_relevant)


def _precision_values(srt: _Sorted, k: int | None) -> np.ndarray:
    return _head(srt.rel, k).sum(axis=1) / (srt.n if k is None else float(k))


def recall_at_k(labels, scores, *, k=None, ties="stable", mask=None, no_relevant="zero"):
    r"""Recall at ``k``: the fraction of the relevant items found in the top ``k``.

    .. math:: \mathrm{R@}k = \frac{1}{m}\sum_{p=1}^{k} \mathrm{rel}(p)

    Examples
    --------
    >>> recall_at_k([1, 0, 1], [3.0, 2.0, 1.0], k=2)
    0.5
    """
    return _binary_metric("recall_at_k", _recall_values, labels, scores, k, ties, mask, no_relevant)


def _recall_values(srt: _Sorted, k: int | None) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return _head(srt.rel, k).sum(axis=1) / srt.m


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
    return _binary_metric("average_precision", _ap_values, labels, scores, k, ties, mask,
                          no_relevant)


def _ap_values(srt: _Sorted, k: int | None) -> np.ndarray:
    ncol = srt.rel.shape[1]
    pos = np.arange(1, ncol + 1, dtype=np.float64)[None, :]
    if srt.start is None:
        contrib = srt.rel * np.cumsum(srt.rel, axis=1) / pos
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
        contrib = _head((r / g) * (before + 1.0 + inside) / pos, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return contrib.sum(axis=1) / srt.m


def _dcg_sorted(gain: np.ndarray, k: int | None) -> np.ndarray:
    """DCG@k of gains given in ranked order, (B, width) -> (B,)."""
    gain = _head(gain, k)
    return (gain * _discount(gain.shape[1])).sum(axis=1)


def _ideal_dcg(func: str, labels: np.ndarray, gain: str, k: int | None) -> np.ndarray:
    """DCG@k of each row's labels in decreasing order (the ideal ranking), in the scale of
    :func:`_gain_exponents` (times ``2**-e`` per row)."""
    neg = 0.0 - _gains(func, labels, gain)
    if k is not None and k < neg.shape[1]:
        neg.partition(k - 1, axis=1)  # in place: the k largest gains first, unordered
        neg = neg[:, :k]
    neg.sort(axis=1)
    return _dcg_sorted(_scale_rows(-neg, _gain_exponents(func, labels, gain)), k)


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
    lists = _validated(func, labels, scores, mask, ties, gain)

    def compute(block):
        srt = _sort_lists(func, block, ties, gain, k)
        with np.errstate(over="ignore"):  # a DCG beyond float max is inf, correctly rounded
            return (np.ldexp(_dcg_sorted(srt.gain, k), srt.gain_exp),)

    return lists.unwrap(_blockwise(lists, compute)[0])


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
    lists = _validated(func, labels, scores, mask, ties, gain)
    values, idcg = _blockwise(
        lists, lambda block: _ndcg_values(func, _sort_lists(func, block, ties, gain, k), gain, k)
    )
    return _finish(func, values, idcg > 0, lists, no_relevant)


def _ndcg_values(func: str, srt: _Sorted, gain: str, k: int | None):
    """NDCG@k of each row and its ideal DCG@k (the NDCG is defined where IDCG > 0)."""
    idcg = _ideal_dcg(func, srt.lists.labels, gain, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _dcg_sorted(srt.gain, k) / idcg, idcg
