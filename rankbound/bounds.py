r"""The theorems of the book as functions: both sides of each inequality, and a checker.

Notation (binary labels unless said): ``p = softmax(s / T)``; ``r_i = #{j : s_j >= s_i}``
(:func:`rankbound.tied_ranks`, ``method="max"``: the item, its ties and everything above it);
``R`` the relevant items (label 1), ``m = |R|``; ``l`` the ListNet loss
:func:`rankbound.softmax_cross_entropy` with the linear target ``y / sum(y)``; ``log`` is natural.

Each function returns every term of its theorem's chain of inequalities, smallest first, one
value per list (a float for 1-D input), so that a reader can see where the slack goes. A list
with no relevant item has no ListNet target: its terms are NaN and ``defined`` is False.

* :func:`rank_lemma` (:prf:ref:`thm-rank-lemma`): ``log r_i <= -log p_i``;
* :func:`reciprocal_rank_bound` (:prf:ref:`thm-rr-bound`):
  ``-log RR <= (1/m) sum_R log r_i <= l``;
* :func:`ndcg_bound` (:prf:ref:`thm-ndcg-bound`):
  ``-log NDCG <= log(IDCG/m) + (1/m) sum_R log r_i <= l + log(IDCG/m) <= l``;
* :func:`average_precision_bound` (:prf:ref:`thm-ap-bound`):
  ``-log AP <= -log((1/m) sum_R 1/(1+N_i)) <= (1/m) sum_R log(1+N_i) <= l_neg <= l``;
* :func:`recall_bound` (:prf:ref:`thm-recall-bound`):
  ``1 - R@K <= #{i in R: r_i > K}/m <= (1/m) sum_R log r_i / log(K+1) <= l / log(K+1)``;
* :func:`mean_bound` (:prf:ref:`thm-mean-bound`): ``-log mean M <= mean(-log M) <= mean l``;
* :func:`graded_ndcg_bound` (:prf:ref:`thm-graded-ndcg-bound`):
  ``-log NDCG <= log(IDCG/G) + sum_i w_i log r_i <= l_w + log(IDCG/G) <= l_w``.

Every bound holds for every tie policy of :mod:`rankbound.ranking`: a realisable order puts item
``i`` at a position ``pi_i <= r_i``, the pessimistic order gives the smallest metric of all
realisable orders, and ``ties="average"`` is an average of realisable orders' metrics, hence at
least the pessimistic one.

:func:`check` evaluates any of the bounds on a batch, or on a stream of batches, and returns a
:class:`BoundReport` (lists checked and excluded, violations, slack quantiles) with an explicit
floating-point tolerance.
"""

from __future__ import annotations

import math
import numbers
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import ClassVar

import numpy as np

from rankbound._validation import (
    Lists,
    _check_mask,
    check_binary,
    check_int,
    check_k,
    check_lists,
    check_option,
    check_positive_float,
    check_scores,
)
from rankbound.losses import (
    _log_softmax_2d,
    _negatives_log_normaliser,
    _negatives_sum,
    _beyond_float_max,
    _scaled,
)
import rankbound.metrics as _metrics
from rankbound.metrics import (
    _ap_values,
    _discount,
    _first_relevant,
    _gain_exponents,
    _gains,
    _ndcg_values,
    _recall_values,
    _scale_rows,
    _ranked_view,
    _Sorted,
)
from rankbound.ranking import TIE_POLICIES, _group_ends, _sorted_order

__all__ = [
    "BOUND_NAMES",
    "RankLemma",
    "ReciprocalRankBound",
    "NDCGBound",
    "AveragePrecisionBound",
    "RecallBound",
    "MeanBound",
    "GradedNDCGBound",
    "BoundStats",
    "BoundReport",
    "rank_lemma",
    "reciprocal_rank_bound",
    "ndcg_bound",
    "average_precision_bound",
    "recall_bound",
    "mean_bound",
    "graded_ndcg_bound",
    "check",
]

#: bound names accepted by :func:`check` (``recall@K`` with any positive int ``K``)
BOUND_NAMES = (
    "rank_lemma",
    "rr",
    "ndcg",
    "ap",
    "recall@K",
    "graded_ndcg",
    "mean:rr",
    "mean:ndcg",
    "mean:ap",
    "mean:graded_ndcg",
)
_BINARY_HINT = " (graded labels: use graded_ndcg_bound)"
_GAINS = ("linear", "exponential")
_MEAN_METRICS = ("rr", "ndcg", "ap", "graded_ndcg")


# --------------------------------------------------------------------------------------------
# shared per-batch quantities


class _Batch:
    """A validated batch and the quantities several bounds share, each computed once.

    Each row is sorted once, under the tie policy (the stable order for ``"average"``, whose
    metrics come from the tie groups), and everything else is computed on the sorted rows
    (``sorted``). Every term of a bound is either a per-item comparison (the rank lemma) or a
    sum over the relevant items of a list, so the relevant items are gathered once, row by row
    (``r_row``, ``r_pos``: their row and their position in the ranking), and each sum over them
    is one ``np.bincount``. Under a realisable policy the metrics of binary relevance come from
    the same positions: RR from the first, AP from the j-th at position p (precision j/p), DCG
    from the discounts at the positions.
    """

    def __init__(self, func: str, lists: Lists, ties: str, temperature: float, gain="linear"):
        self.func, self.lists, self.ties, self.temperature, self.gain = (
            func, lists, ties, temperature, gain
        )
        self.order, self.sorted_key = _sorted_order(
            lists, "stable" if ties == "average" else ties
        )
        real = np.isfinite(self.sorted_key)  # masked items sort last, with key +inf
        self.sorted = Lists(
            labels=np.take_along_axis(lists.labels, self.order, axis=1),
            scores=np.where(real, 0.0 - self.sorted_key, 0.0),  # the key is -score: exact
            mask=real,
            one_list=lists.one_list,
            masked=lists.masked,
        )
        self.x = _scaled(func, self.sorted.scores, temperature)  # refuses an overflowing T
        nrow = self.x.shape[0]
        self.n = real.sum(axis=1).astype(np.float64)
        # largest |s_i / T| of each list, the absolute rounding scale of the loss terms: the
        # rows are sorted, so it is at the first or the last real item
        last = self.n.astype(np.intp) - 1
        self.scale = np.maximum(np.abs(self.x[:, 0]), np.abs(self.x[np.arange(nrow), last]))
        # the relevant items, row by row (np.nonzero is row-major); masked items have label 0
        self.r_row, self.r_pos = np.nonzero(self.sorted.labels > 0)
        self.m = self.sum_rel(1.0)
        self.defined = self.m > 0

    def sum_rel(self, values) -> np.ndarray:
        """``sum_{i in R} values_i`` per row, ``values`` given at the relevant items."""
        weights = np.broadcast_to(values, self.r_row.shape)
        return np.bincount(self.r_row, weights=weights, minlength=self.x.shape[0])

    def mean_rel(self, values) -> np.ndarray:
        """``(1/m) sum_{i in R} values_i`` per row; NaN where m = 0."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sum_rel(values) / np.where(self.defined, self.m, np.nan)

    def at_rel(self, values: np.ndarray) -> np.ndarray:
        """A (B, n) array read at the relevant items."""
        return values[self.r_row, self.r_pos]

    def to_items(self, values: np.ndarray) -> np.ndarray:
        """Per-item values from sorted order back to the caller's order (NaN at masked items)."""
        out = np.empty(values.shape)
        np.put_along_axis(out, self.order, np.where(self.sorted.mask, values, np.nan), axis=1)
        return out

    @cached_property
    def rank(self) -> np.ndarray:
        """``r_i = #{j : s_j >= s_i}`` of every item: one past the end of its tie group."""
        return _group_ends(self.sorted_key).astype(np.float64)

    @cached_property
    def rank_rel(self) -> np.ndarray:
        return self.at_rel(self.rank)

    @cached_property
    def mean_log_rank(self) -> np.ndarray:
        return self.mean_rel(np.log(self.rank_rel))

    @cached_property
    def first_in_row(self) -> np.ndarray:
        """Index into ``r_row``/``r_pos`` of each row's first relevant item (0 where none)."""
        start = np.cumsum(self.m) - self.m
        return np.where(self.defined, start, 0).astype(np.intp)

    @cached_property
    def realisable(self) -> bool:
        return self.ties != "average"

    def sorted_metrics(self, gain: str = "linear") -> _Sorted:
        """The metrics' view of the batch: relevance and gains by position (no new sort)."""
        cache = self.__dict__.setdefault("_sorted_metrics", {})
        if gain not in cache:
            cache[gain] = _ranked_view(
                self.func, self.sorted, self.sorted.labels, self.sorted_key, self.ties, gain
            )
        return cache[gain]

    @cached_property
    def log_prob(self) -> np.ndarray:
        return _log_softmax_2d(self.x, self.sorted.mask)

    @cached_property
    def loss(self) -> np.ndarray:
        return self.loss_for("linear")

    def target_rel(self, target: str) -> np.ndarray:
        """The ListNet target ``g_i / sum_j g_j`` at the relevant items (``gain`` g)."""
        g = self.gains_rel(target)
        return g / self.sum_rel(g)[self.r_row]

    def gains_rel(self, gain: str) -> np.ndarray:
        """Gains at the relevant items, scaled per row as in the metrics (_gain_exponents)."""
        exps = _gain_exponents(self.func, self.sorted.labels, gain)[self.r_row]
        g = _gains(self.func, self.at_rel(self.sorted.labels), gain)
        return _scale_rows(g[:, None], exps)[:, 0]

    def loss_for(self, target: str) -> np.ndarray:
        """ListNet loss with the linear or exponential target; NaN for lists without one."""
        loss = 0.0 - self.sum_rel(self.target_rel(target) * self.at_rel(self.log_prob))
        if np.isinf(loss).any():  # a term overflowed: recompute those rows in halves
            t = np.zeros(self.x.shape)
            t[self.r_row, self.r_pos] = self.target_rel(target)
            loss = _beyond_float_max(loss, t, self.x, self.sorted.mask)
        return np.where(self.defined, loss, np.nan)

    def undefined_to_nan(self, values: np.ndarray) -> np.ndarray:
        return np.where(self.defined, values, np.nan)


def _neg_log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.0 - np.log(x)  # 0.0 - x: no -0.0 when x = 1


def _prepare(
    func, labels, scores, mask, ties, temperature, *, binary=True, gain="linear"
) -> _Batch:
    check_option(func, "ties", ties, TIE_POLICIES)
    check_option(func, "gain", gain, _GAINS)
    temperature = check_positive_float(func, "temperature", temperature)
    lists = check_lists(func, labels, scores, mask)
    if binary:
        check_binary(func, lists, hint=_BINARY_HINT)
    return _Batch(func, lists, ties, temperature, gain)


def _unwrap(result, one_list: bool):
    """Per-row arrays -> Python floats/bools for 1-D input."""
    if not one_list:
        return result
    out = {}
    for f in fields(result):
        v = getattr(result, f.name)
        if isinstance(v, np.ndarray) and v.shape == (1,):
            v = bool(v[0]) if v.dtype == bool else float(v[0])
        out[f.name] = v
    return replace(result, **out)


# --------------------------------------------------------------------------------------------
# result records


@dataclass(frozen=True)
class RankLemma:
    """Both sides of the rank lemma per item (NaN at masked items)."""

    log_rank: np.ndarray
    neg_log_prob: np.ndarray


@dataclass(frozen=True)
class ReciprocalRankBound:
    """Terms of :prf:ref:`thm-rr-bound`, per list: ``neg_log_metric <= middle <= loss``."""

    metric: np.ndarray  #: RR under the tie policy
    neg_log_metric: np.ndarray  #: -log RR
    middle: np.ndarray  #: (1/m) sum_R log r_i
    loss: np.ndarray  #: ListNet loss
    defined: np.ndarray  #: the list has a relevant item
    LINKS: ClassVar = (
        ("-log RR <= loss", "neg_log_metric", "loss"),
        ("-log RR <= mean log r", "neg_log_metric", "middle"),
        ("mean log r <= loss", "middle", "loss"),
    )


@dataclass(frozen=True)
class NDCGBound:
    """Terms of :prf:ref:`thm-ndcg-bound`: ``neg_log_metric <= middle <= shifted_loss <= loss``."""

    metric: np.ndarray  #: NDCG under the tie policy
    neg_log_metric: np.ndarray  #: -log NDCG
    middle: np.ndarray  #: log(IDCG/m) + (1/m) sum_R log r_i
    shifted_loss: np.ndarray  #: loss + log(IDCG/m)
    loss: np.ndarray  #: ListNet loss
    log_idcg_ratio: np.ndarray  #: log(IDCG_m / m) <= 0
    defined: np.ndarray
    LINKS: ClassVar = (
        ("-log NDCG <= loss", "neg_log_metric", "loss"),
        ("-log NDCG <= log(IDCG/m) + mean log r", "neg_log_metric", "middle"),
        ("log(IDCG/m) + mean log r <= loss + log(IDCG/m)", "middle", "shifted_loss"),
        ("loss + log(IDCG/m) <= loss", "shifted_loss", "loss"),
    )


@dataclass(frozen=True)
class AveragePrecisionBound:
    """Terms of :prf:ref:`thm-ap-bound`:
    ``neg_log_metric <= neg_log_lower <= middle <= loss_neg <= loss``."""

    metric: np.ndarray  #: AP under the tie policy
    neg_log_metric: np.ndarray  #: -log AP
    neg_log_lower: np.ndarray  #: -log((1/m) sum_R 1/(1+N_i))
    middle: np.ndarray  #: (1/m) sum_R log(1+N_i)
    loss_neg: np.ndarray  #: negatives-only cross-entropy
    loss: np.ndarray  #: ListNet loss
    defined: np.ndarray
    LINKS: ClassVar = (
        ("-log AP <= loss", "neg_log_metric", "loss"),
        ("-log AP <= -log mean 1/(1+N)", "neg_log_metric", "neg_log_lower"),
        ("-log mean 1/(1+N) <= mean log(1+N)", "neg_log_lower", "middle"),
        ("mean log(1+N) <= loss_neg", "middle", "loss_neg"),
        ("loss_neg <= loss", "loss_neg", "loss"),
    )


@dataclass(frozen=True)
class RecallBound:
    """Terms of :prf:ref:`thm-recall-bound`: ``miss <= miss_tied <= middle <= scaled_loss``."""

    metric: np.ndarray  #: Recall@K under the tie policy
    miss: np.ndarray  #: 1 - Recall@K
    miss_tied: np.ndarray  #: the share of relevant items with r_i > K, #{i in R with r_i > K} / m
    middle: np.ndarray  #: (1/m) sum_R log r_i / log(K+1)
    scaled_loss: np.ndarray  #: loss / log(K+1)
    loss: np.ndarray  #: ListNet loss
    defined: np.ndarray
    k: int  #: the cutoff K
    LINKS: ClassVar = (
        ("1 - R@K <= loss/log(K+1)", "miss", "scaled_loss"),
        ("1 - R@K <= #{r > K}/m", "miss", "miss_tied"),
        ("#{r > K}/m <= mean log r/log(K+1)", "miss_tied", "middle"),
        ("mean log r/log(K+1) <= loss/log(K+1)", "middle", "scaled_loss"),
    )


@dataclass(frozen=True)
class GradedNDCGBound:
    """Terms of :prf:ref:`thm-graded-ndcg-bound`:
    ``neg_log_metric <= middle <= shifted_loss <= loss``."""

    metric: np.ndarray  #: graded NDCG under the tie policy
    neg_log_metric: np.ndarray  #: -log NDCG
    middle: np.ndarray  #: log(IDCG/G) + sum_i w_i log r_i
    shifted_loss: np.ndarray  #: loss_w + log(IDCG/G)
    loss: np.ndarray  #: cross-entropy with target w = g / G
    log_idcg_ratio: np.ndarray  #: log(IDCG / G) <= 0, G = sum of gains
    defined: np.ndarray
    LINKS: ClassVar = (
        ("-log NDCG <= loss_w", "neg_log_metric", "loss"),
        ("-log NDCG <= log(IDCG/G) + sum w log r", "neg_log_metric", "middle"),
        ("log(IDCG/G) + sum w log r <= loss_w + log(IDCG/G)", "middle", "shifted_loss"),
        ("loss_w + log(IDCG/G) <= loss_w", "shifted_loss", "loss"),
    )


@dataclass(frozen=True)
class MeanBound:
    """Terms of :prf:ref:`thm-mean-bound` over the lists that have a relevant item."""

    metric: str
    neg_log_mean_metric: float  #: -log(mean M)
    mean_neg_log_metric: float  #: mean(-log M)
    mean_loss: float  #: mean of the loss that bounds -log M
    lists: int  #: lists in the means
    excluded: int  #: lists without a relevant item
    defined: bool
    LINKS: ClassVar = (
        ("-log mean M <= mean loss", "neg_log_mean_metric", "mean_loss"),
        ("-log mean M <= mean -log M", "neg_log_mean_metric", "mean_neg_log_metric"),
        ("mean -log M <= mean loss", "mean_neg_log_metric", "mean_loss"),
    )


# --------------------------------------------------------------------------------------------
# the theorems


def _rank_lemma(b: _Batch) -> RankLemma:
    """Both sides per item, in item order (NaN at masked items)."""
    return RankLemma(log_rank=b.to_items(np.log(b.rank)), neg_log_prob=b.to_items(0.0 - b.log_prob))


def rank_lemma(scores, *, temperature=1.0, mask=None) -> RankLemma:
    r"""Both sides of the rank lemma (:prf:ref:`thm-rank-lemma`) for every item.

    .. math:: p_i = \frac{e^{s_i/T}}{\sum_j e^{s_j/T}} \le \frac{1}{r_i},
              \qquad \log r_i \le -\log p_i, \qquad r_i = \#\{j : s_j \ge s_i\}

    because each of the ``r_i`` items with ``s_j >= s_i`` (``i`` included) puts at least
    ``e^{s_i/T}`` into the normaliser. Equality holds when the items above ``i`` are all tied
    with it and the others carry no mass. No labels and no tie policy are involved; ``r_i`` is the
    largest position ``i`` can take in any order of the ties.

    Parameters
    ----------
    scores : array of shape (n,) or (B, n)
    temperature : float > 0
    mask : bool array of the same shape, optional (True = real item)

    Returns
    -------
    RankLemma
        ``log_rank`` (``log r_i``) and ``neg_log_prob`` (``-log p_i``), arrays of the shape of
        ``scores``; NaN at masked items.

    Examples
    --------
    >>> out = rank_lemma([2.0, 1.0, 1.0])
    >>> out.log_rank.round(4).tolist()  # log 1, log 3, log 3
    [0.0, 1.0986, 1.0986]
    >>> bool((out.log_rank <= out.neg_log_prob).all())
    True
    >>> rank_lemma([0.0, 0.0]).neg_log_prob.round(4).tolist()  # equality: log 2 both sides
    [0.6931, 0.6931]
    """
    func = "rank_lemma"
    temperature = check_positive_float(func, "temperature", temperature)
    s = check_scores(func, scores)
    s2 = np.atleast_2d(s)
    m2 = np.ones(s2.shape, bool) if mask is None else _check_mask(func, mask, s.shape)
    lists = Lists(
        labels=np.zeros(s2.shape), scores=s2, mask=m2, one_list=s.ndim == 1, masked=mask is not None
    )
    out = _rank_lemma(_Batch(func, lists, "stable", temperature))
    if lists.one_list:
        return RankLemma(out.log_rank[0], out.neg_log_prob[0])
    return out


def _rr(b: _Batch) -> ReciprocalRankBound:
    if b.realisable:  # the first relevant position
        metric = 1.0 / (b.r_pos[b.first_in_row] + 1.0) if b.r_pos.size else np.ones(b.m.shape)
    else:
        metric = _first_relevant(b.sorted, "average")
    metric = b.undefined_to_nan(metric)
    return ReciprocalRankBound(
        metric=metric,
        neg_log_metric=_neg_log(metric),
        middle=b.mean_log_rank,
        loss=b.loss,
        defined=b.defined,
    )


def reciprocal_rank_bound(labels, scores, *, ties="pessimistic", temperature=1.0, mask=None):
    r"""Reciprocal rank bound (:prf:ref:`thm-rr-bound`), every term per list.

    .. math:: -\log \mathrm{RR} \le \frac{1}{m}\sum_{i \in R} \log r_i \le \ell

    The first relevant item is at a position ``<= pi_i <= r_i`` for every relevant ``i``, so
    ``log(1/RR)`` is at most the least, hence the mean, ``log r_i``; the rank lemma bounds each
    ``log r_i`` by ``-log p_i``, whose mean over ``R`` is ``l`` (target ``1/m`` on ``R``).

    Parameters
    ----------
    labels : array of shape (n,) or (B, n)
        Binary labels (0 or 1).
    scores : array of the same shape
    ties : {"pessimistic", "optimistic", "stable", "average"}
        Tie policy of the metric (the bound holds for all).
    temperature : float > 0
        Temperature of the softmax in the loss.
    mask : bool array, optional

    Returns
    -------
    ReciprocalRankBound
        ``metric``, ``neg_log_metric``, ``middle``, ``loss``, ``defined``: floats for 1-D input,
        else arrays of shape (B,); NaN (and ``defined`` False) for lists with no relevant item.

    Raises
    ------
    ValueError
        Non-binary labels, or any invalid input (every message names the function, the argument and the value).

    Examples
    --------
    >>> b = reciprocal_rank_bound([0, 1, 0, 1], [2.0, 1.0, 1.0, 0.5])
    >>> round(b.neg_log_metric, 4)  # pessimistic: the tied negative goes first, RR = 1/3
    1.0986
    >>> round(b.middle, 4)  # (log 3 + log 4) / 2
    1.2425
    >>> bool(b.neg_log_metric <= b.middle <= b.loss)
    True
    """
    func = "reciprocal_rank_bound"
    b = _prepare(func, labels, scores, mask, ties, temperature)
    return _unwrap(_rr(b), b.lists.one_list)


def _cumulative_discount(n: int) -> np.ndarray:
    """``IDCG_m = sum_{p=1}^m 1/log2(1+p)`` for m = 0..n."""
    return np.concatenate([[0.0], np.cumsum(_discount(n))])


def _ndcg(b: _Batch) -> NDCGBound:
    idcg = _cumulative_discount(b.x.shape[1])[b.m.astype(np.intp)]  # binary: m gains of 1
    with np.errstate(divide="ignore", invalid="ignore"):
        if b.realisable:
            metric = b.sum_rel(_discount(b.x.shape[1])[b.r_pos]) / idcg
        else:
            metric = _ndcg_values(b.func, b.sorted_metrics(), "linear", None)[0]
        metric = b.undefined_to_nan(metric)
        ratio = np.where(b.defined, np.log(idcg / b.m), np.nan)
    return NDCGBound(
        metric=metric,
        neg_log_metric=_neg_log(metric),
        middle=ratio + b.mean_log_rank,
        shifted_loss=b.loss + ratio,
        loss=b.loss,
        log_idcg_ratio=ratio,
        defined=b.defined,
    )


def ndcg_bound(labels, scores, *, ties="pessimistic", temperature=1.0, mask=None):
    r"""NDCG bound for binary labels (:prf:ref:`thm-ndcg-bound`), every term per list.

    .. math:: -\log \mathrm{NDCG} \le \log\frac{\mathrm{IDCG}_m}{m}
              + \frac{1}{m}\sum_{i\in R}\log r_i
              \le \ell + \log\frac{\mathrm{IDCG}_m}{m} \le \ell

    with ``IDCG_m = sum_{p=1}^m 1/log2(1+p) <= m``. Proof: ``log2(1+pi) <= pi`` for
    ``pi >= 1`` gives ``NDCG >= (1/IDCG) sum_R 1/pi_i``; AM–GM gives
    ``>= (m/IDCG) (prod_R 1/pi_i)^(1/m)``; then ``pi_i <= r_i`` and the rank lemma.
    For binary labels linear and exponential gains coincide.

    Parameters
    ----------
    labels, scores, ties, temperature, mask
        As in :func:`reciprocal_rank_bound`.

    Returns
    -------
    NDCGBound
        ``metric``, ``neg_log_metric``, ``middle``, ``shifted_loss``, ``loss``,
        ``log_idcg_ratio`` (``log(IDCG_m/m)``), ``defined``.

    Examples
    --------
    >>> b = ndcg_bound([1, 0], [0.0, 3.0])  # NDCG = 1/log2(3)
    >>> round(b.neg_log_metric, 4), round(b.middle, 4), b.log_idcg_ratio  # log log2 3, log 2, 0
    (0.4606, 0.6931, 0.0)
    >>> bool(b.neg_log_metric <= b.middle <= b.shifted_loss <= b.loss)
    True
    """
    func = "ndcg_bound"
    b = _prepare(func, labels, scores, mask, ties, temperature)
    return _unwrap(_ndcg(b), b.lists.one_list)


def _ap(b: _Batch) -> AveragePrecisionBound:
    if b.realisable:  # the j-th relevant item of a row, at position p, has precision j/p
        j = np.arange(1.0, b.r_row.size + 1.0) - b.first_in_row[b.r_row]
        metric = b.mean_rel(j / (b.r_pos + 1.0))
    else:
        metric = _ap_values(b.sorted_metrics(), None)
    metric = b.undefined_to_nan(metric)
    # N_i = #{j non-relevant : s_j >= s_i}: the items up to the end of i's tie group (r_i of
    # them, all real) minus the relevant ones among them.
    relevant_before = np.cumsum(b.sorted.labels > 0, axis=1)
    ends = b.rank_rel.astype(np.intp) - 1
    n_neg = b.rank_rel - relevant_before[b.r_row, ends]
    neg = b.sorted.mask & (b.sorted.labels <= 0)
    loss_neg = _negatives_sum(
        b.r_row, b.at_rel(b.x), b.target_rel("linear"), *_negatives_log_normaliser(b.x, neg)
    )
    return AveragePrecisionBound(
        metric=metric,
        neg_log_metric=_neg_log(metric),
        neg_log_lower=_neg_log(b.mean_rel(1.0 / (1.0 + n_neg))),
        middle=b.mean_rel(np.log1p(n_neg)),
        loss_neg=b.undefined_to_nan(loss_neg),
        loss=b.loss,
        defined=b.defined,
    )


def average_precision_bound(labels, scores, *, ties="pessimistic", temperature=1.0, mask=None):
    r"""Average precision bound (:prf:ref:`thm-ap-bound`), every term per list.

    .. math:: -\log \mathrm{AP} \le -\log\Big(\frac{1}{m}\sum_{i\in R}\frac{1}{1+N_i}\Big)
              \le \frac{1}{m}\sum_{i\in R}\log(1+N_i) \le \ell_{\mathrm{neg}} \le \ell

    where ``N_i = #{j : y_j = 0, s_j >= s_i}`` counts the non-relevant items scored at or above
    ``i`` (ties included: with strict ``>`` the first step is false under the pessimistic
    order), and ``l_neg`` is :func:`rankbound.negatives_cross_entropy`. Proof: in any realisable
    order, ``i`` has ``A >= 1`` relevant items at or above it and ``B <= N_i`` non-relevant items
    above it, so its precision ``A/(A+B) >= 1/(1+N_i)``; AM–GM gives the second step; the rank
    lemma on the sublist ``{i}`` + non-relevant items gives ``log(1+N_i) <= -log p^neg_i``; and
    removing the other relevant items from a normaliser raises each probability, so
    ``l_neg <= l``. A list whose items are all relevant has every term 0.

    Parameters
    ----------
    labels, scores, ties, temperature, mask
        As in :func:`reciprocal_rank_bound`.

    Returns
    -------
    AveragePrecisionBound
        ``metric``, ``neg_log_metric``, ``neg_log_lower``, ``middle``, ``loss_neg``, ``loss``,
        ``defined``.

    Examples
    --------
    >>> b = average_precision_bound([1, 0, 1], [1.0, 1.0, 0.0])
    >>> round(b.metric, 4)  # pessimistic order: 0 1 1 -> (1/2 + 2/3) / 2
    0.5833
    >>> round(b.middle, 4)  # N = (1, 1): (log 2 + log 2) / 2
    0.6931
    >>> bool(b.neg_log_metric <= b.neg_log_lower <= b.middle <= b.loss_neg <= b.loss)
    True
    """
    func = "average_precision_bound"
    b = _prepare(func, labels, scores, mask, ties, temperature)
    return _unwrap(_ap(b), b.lists.one_list)


def _recall(b: _Batch, k: int) -> RecallBound:
    if b.realisable:
        metric = b.mean_rel((b.r_pos < k).astype(np.float64))
    else:
        metric = _recall_values(b.sorted_metrics(), k)
    metric = b.undefined_to_nan(metric)
    log_k1 = math.log(k + 1.0)
    return RecallBound(
        metric=metric,
        miss=1.0 - metric,
        miss_tied=b.mean_rel((b.rank_rel > k).astype(np.float64)),
        middle=b.mean_log_rank / log_k1,
        scaled_loss=b.loss / log_k1,
        loss=b.loss,
        defined=b.defined,
        k=k,
    )


def recall_bound(labels, scores, *, k, ties="pessimistic", temperature=1.0, mask=None):
    r"""Recall bound (:prf:ref:`thm-recall-bound`), every term per list.

    .. math:: 1 - \mathrm{R@}K \le \frac{\#\{i\in R : r_i > K\}}{m}
              \le \frac{1}{m\log(K+1)}\sum_{i\in R}\log r_i \le \frac{\ell}{\log(K+1)}

    In any realisable order a relevant item outside the top ``K`` has position ``>= K+1``, so
    ``r_i >= K+1`` (first step); ``[r > K] <= log r / log(K+1)`` for every ``r >= 1`` (second);
    the rank lemma (third). Under ``ties="average"`` the recall is an average over realisable
    orders, so the bound holds too.

    Parameters
    ----------
    labels, scores, ties, temperature, mask
        As in :func:`reciprocal_rank_bound`.
    k : int >= 1
        The cutoff ``K``.

    Returns
    -------
    RecallBound
        ``metric`` (Recall@K), ``miss`` (``1 - R@K``), ``miss_tied``, ``middle``,
        ``scaled_loss`` (``l / log(K+1)``), ``loss``, ``defined``, ``k``.

    Examples
    --------
    >>> b = recall_bound([1, 0, 0, 1], [0.0, 3.0, 2.0, 1.0], k=2)
    >>> b.miss, b.miss_tied  # both relevant items are below position 2
    (1.0, 1.0)
    >>> round(b.middle, 4)  # (log 3 + log 4) / (2 log 3)
    1.1309
    >>> bool(b.miss <= b.scaled_loss)
    True
    """
    func = "recall_bound"
    k = check_k(func, k, allow_none=False)
    b = _prepare(func, labels, scores, mask, ties, temperature)
    return _unwrap(_recall(b, k), b.lists.one_list)


def _graded(b: _Batch) -> GradedNDCGBound:
    metric, idcg = _ndcg_values(b.func, b.sorted_metrics(b.gain), b.gain, None)
    metric = b.undefined_to_nan(metric)  # the relevant items are those with a gain > 0
    loss = b.loss_for(b.gain)
    w = b.target_rel(b.gain)  # g_i / G at the relevant items
    total = b.sum_rel(b.gains_rel(b.gain))  # scaled as the IDCG
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(b.defined, np.log(idcg / total), np.nan)
    rank_term = b.sum_rel(w * np.log(b.rank_rel))
    return GradedNDCGBound(
        metric=metric,
        neg_log_metric=_neg_log(metric),
        middle=np.where(b.defined, ratio + rank_term, np.nan),
        shifted_loss=loss + ratio,
        loss=loss,
        log_idcg_ratio=ratio,
        defined=b.defined,
    )


def graded_ndcg_bound(
    labels, scores, *, gain="linear", ties="pessimistic", temperature=1.0, mask=None
):
    r"""Graded NDCG bound (:prf:ref:`thm-graded-ndcg-bound`), every term per list.

    With gains ``g_i`` (``gain="linear"``: the label; ``"exponential"``: ``2**label - 1``),
    ``G = sum_i g_i``, weights ``w = g / G`` and ``l_w`` the cross-entropy with target ``w``
    (:func:`rankbound.softmax_cross_entropy` with ``target=gain``):

    .. math:: -\log \mathrm{NDCG} \le \log\frac{\mathrm{IDCG}}{G} + \sum_i w_i \log r_i
              \le \ell_w + \log\frac{\mathrm{IDCG}}{G} \le \ell_w

    Proof: ``DCG = sum_i g_i/log2(1+pi_i) >= G sum_i w_i/pi_i >= G prod_i pi_i^(-w_i)``
    (``log2(1+pi) <= pi``, then weighted AM–GM), so
    ``-log NDCG <= log(IDCG/G) + sum_i w_i log pi_i``; then ``pi_i <= r_i`` and the rank lemma
    term by term. ``IDCG = sum_p g_(p)/log2(1+p) <= G`` because every discount is ``<= 1``, so
    ``log(IDCG/G) <= 0``. With binary labels this is :func:`ndcg_bound` (``G = m``).

    Parameters
    ----------
    labels : array of shape (n,) or (B, n)
        Graded labels (finite, >= 0).
    scores, ties, temperature, mask
        As in :func:`reciprocal_rank_bound`.
    gain : {"linear", "exponential"}

    Returns
    -------
    GradedNDCGBound
        ``metric``, ``neg_log_metric``, ``middle``, ``shifted_loss``, ``loss`` (``l_w``),
        ``log_idcg_ratio`` (``log(IDCG/G)``), ``defined``.

    Examples
    --------
    >>> b = graded_ndcg_bound([2, 1, 0], [0.0, 1.0, 2.0])
    >>> round(b.log_idcg_ratio, 4)  # log((2 + 1/log2(3)) / 3)
    -0.1313
    >>> bool(b.neg_log_metric <= b.middle <= b.shifted_loss <= b.loss)
    True
    """
    func = "graded_ndcg_bound"
    b = _prepare(func, labels, scores, mask, ties, temperature, binary=False, gain=gain)
    return _unwrap(_graded(b), b.lists.one_list)


_PER_LIST = {"rr": _rr, "ndcg": _ndcg, "ap": _ap, "graded_ndcg": _graded}
_METRIC_SYMBOL = {"rr": "RR", "ndcg": "NDCG", "ap": "AP", "graded_ndcg": "NDCG_g"}


def _mean_terms(out) -> tuple[float, float, float, int, int]:
    """Sums over the defined lists: metric, -log metric, loss; and the two counts."""
    d = np.atleast_1d(out.defined)
    metric, nlm, loss = (
        np.atleast_1d(getattr(out, f))[d] for f in ("metric", "neg_log_metric", "loss")
    )
    return float(metric.sum()), float(nlm.sum()), float(loss.sum()), int(d.sum()), int((~d).sum())


def _mean_from_sums(metric: str, sums) -> MeanBound:
    s_metric, s_nlm, s_loss, count, excluded = sums
    if count == 0:
        nan = float("nan")
        return MeanBound(metric, nan, nan, nan, 0, excluded, False)
    return MeanBound(
        metric,
        0.0 - math.log(s_metric / count),
        s_nlm / count,
        s_loss / count,
        count,
        excluded,
        True,
    )


def mean_bound(
    labels, scores, *, metric="ndcg", ties="pessimistic", gain="linear", temperature=1.0, mask=None
) -> MeanBound:
    r"""Bound on the mean of a metric over queries (:prf:ref:`thm-mean-bound`).

    .. math:: -\log\Big(\frac{1}{Q}\sum_q M_q\Big) \le \frac{1}{Q}\sum_q -\log M_q
              \le \frac{1}{Q}\sum_q \ell_q

    The first step is Jensen (``-log`` is convex; AM–GM), the second the per-list theorem
    averaged. The means run over the ``Q`` lists that have a relevant item; the others are
    counted in ``excluded``.

    Parameters
    ----------
    labels, scores : arrays of shape (B, n) (a 1-D list is one query)
    metric : {"rr", "ndcg", "ap", "graded_ndcg"}
        ``"graded_ndcg"`` accepts graded labels and uses ``l_w`` with the target of ``gain``;
        the others need binary labels and use ``l``.
    ties, gain, temperature, mask
        As in the per-list functions.

    Returns
    -------
    MeanBound
        ``neg_log_mean_metric <= mean_neg_log_metric <= mean_loss`` (floats), ``lists``,
        ``excluded``, ``defined`` (False when no list has a relevant item: the terms are NaN).

    Examples
    --------
    >>> labels = [[1, 0], [0, 1], [0, 0]]
    >>> out = mean_bound(labels, [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], metric="rr")
    >>> round(out.neg_log_mean_metric, 4), round(out.mean_neg_log_metric, 4)  # -log 0.75, log(2)/2
    (0.2877, 0.3466)
    >>> out.lists, out.excluded
    (2, 1)
    """
    func = "mean_bound"
    check_option(func, "metric", metric, _MEAN_METRICS)
    b = _prepare(
        func, labels, scores, mask, ties, temperature, binary=metric != "graded_ndcg", gain=gain
    )
    return _mean_from_sums(metric, _mean_terms(_PER_LIST[metric](b)))


# --------------------------------------------------------------------------------------------
# the checker

_QUANTILES = (0.0, 0.01, 0.5, 0.99, 1.0)
_QUANTILE_NAMES = ("min", "1%", "50%", "99%", "max")
_TOL_FACTOR = 4.0
_EPS = float(np.finfo(np.float64).eps)
# Histogram bins for streamed slack values: floats sharing sign, exponent and the top 7 mantissa
# bits (the float64 bit pattern, made monotone, shifted right by 52 - 7 bits).
_MANTISSA_BITS = 7
_SHIFT = 52 - _MANTISSA_BITS
_SIGN = np.int64(np.iinfo(np.int64).min)


def _bins(x: np.ndarray) -> np.ndarray:
    bits = np.ascontiguousarray(x, dtype=np.float64).view(np.int64)
    ordered = np.where(bits < 0, -(bits & np.int64(np.iinfo(np.int64).max)), bits)
    return ordered >> _SHIFT


def _bin_value(k: np.int64) -> float:
    """A float inside bin ``k``: 0 for the bin holding 0, else its midpoint in bit pattern."""
    if k == 0:
        return 0.0
    mid = (np.int64(k) << _SHIFT) + np.int64(1 << (_SHIFT - 1))
    bits = (-mid) | _SIGN if mid < 0 else mid
    return float(np.array(bits, dtype=np.int64).view(np.float64))


class _LinkAcc:
    """Running statistics of one inequality: counts, exact extremes, slack distribution."""

    def __init__(self, bound: str, text: str):
        self.bound, self.text = bound, text
        self.checked = self.violations = self.batches = 0
        self.max_violation = -np.inf
        self.smin, self.smax = np.inf, -np.inf
        self.values: np.ndarray | None = np.empty(0)
        self.keys = np.empty(0, dtype=np.int64)
        self.counts = np.empty(0, dtype=np.int64)

    def add(self, slack: np.ndarray, violated: np.ndarray, excess: np.ndarray) -> None:
        self.batches += 1
        self.checked += slack.size
        self.violations += int(violated.sum())
        if violated.any():
            self.max_violation = max(self.max_violation, float(excess[violated].max()))
        if slack.size:
            self.smin, self.smax = (
                min(self.smin, float(slack.min())),
                max(self.smax, float(slack.max())),
            )
        # Exact values are kept for the first batch only; from the second on, a histogram.
        if self.batches == 1:
            self.values = slack.copy()
            return
        if self.values is not None:
            self._histogram(self.values)
            self.values = None
        self._histogram(slack)

    def _histogram(self, slack: np.ndarray) -> None:
        k, c = np.unique(_bins(slack), return_counts=True)
        uniq, inv = np.unique(np.concatenate([self.keys, k]), return_inverse=True)
        self.counts = np.bincount(
            inv, weights=np.concatenate([self.counts, c]), minlength=uniq.size
        ).astype(np.int64)
        self.keys = uniq

    def quantiles(self) -> dict[str, float]:
        if self.checked == 0:
            return {name: float("nan") for name in _QUANTILE_NAMES}
        if self.values is not None:
            qs = np.quantile(self.values, _QUANTILES, method="inverted_cdf")
            return {name: float(q) for name, q in zip(_QUANTILE_NAMES, qs, strict=True)}
        cum = np.cumsum(self.counts)
        out = {}
        for name, q in zip(_QUANTILE_NAMES, _QUANTILES, strict=True):
            if q == 0.0:
                out[name] = self.smin
            elif q == 1.0:
                out[name] = self.smax
            else:
                rank = max(1, math.ceil(q * self.checked))
                k = self.keys[np.searchsorted(cum, rank)]
                out[name] = min(max(_bin_value(k), self.smin), self.smax)
        return out

    def stats(self, excluded: dict[str, int]) -> BoundStats:
        return BoundStats(
            bound=self.bound,
            inequality=self.text,
            checked=self.checked,
            excluded=dict(excluded),
            violations=self.violations,
            max_violation=float(self.max_violation) if self.violations else float("nan"),
            slack=self.quantiles(),
            exact_quantiles=self.values is not None,
        )


@dataclass(frozen=True)
class BoundStats:
    """The check of one inequality over all lists.

    ``slack`` is ``rhs - lhs`` per list (for the rank lemma, the smallest over the list's items),
    summarised by its quantiles ``min, 1%, 50%, 99%, max`` (``inverted_cdf``: each is one of the
    observed values; approximate when ``exact_quantiles`` is False, see :func:`check`).
    ``max_violation`` is the largest ``lhs - rhs`` among the violations (NaN when none).
    """

    bound: str
    inequality: str
    checked: int
    excluded: dict[str, int]
    violations: int
    max_violation: float
    slack: dict[str, float]
    exact_quantiles: bool

    @property
    def min_slack(self) -> float:
        return self.slack["min"]


def _fmt(x: float) -> str:
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if x != x:
        return "-"
    if x == 0:
        return "0"
    return f"{x:.3g}"


@dataclass(frozen=True)
class BoundReport:
    """The result of :func:`check`: one :class:`BoundStats` per inequality.

    The first row of each bound is its theorem (``lhs <= rhs`` end to end); the following rows
    are the links of its chain. ``report["rr"]`` is the theorem row of a bound,
    ``report.links("rr")`` all its rows; ``report.ok`` is True when nothing was violated.
    """

    rows: tuple[BoundStats, ...]
    lists: int
    batches: int
    ties: str
    temperature: float
    tolerance: str
    exact_quantiles: bool

    @property
    def violations(self) -> int:
        return sum(r.violations for r in self.rows)

    @property
    def ok(self) -> bool:
        return self.violations == 0

    @property
    def bounds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.bound for r in self.rows))

    def links(self, bound: str) -> tuple[BoundStats, ...]:
        rows = tuple(r for r in self.rows if r.bound == bound)
        if not rows:
            raise KeyError(f"BoundReport: no bound {bound!r}; checked {', '.join(self.bounds)}")
        return rows

    def __getitem__(self, bound: str) -> BoundStats:
        return self.links(bound)[0]

    def to_records(self) -> list[dict]:
        """One flat dict per row (e.g. for ``pandas.DataFrame``)."""
        out = []
        for r in self.rows:
            rec = {
                "bound": r.bound,
                "inequality": r.inequality,
                "checked": r.checked,
                "excluded": sum(r.excluded.values()),
                "violations": r.violations,
                "max_violation": r.max_violation,
            }
            rec.update({f"slack_{k}": v for k, v in r.slack.items()})
            out.append(rec)
        return out

    def __str__(self) -> str:
        head = [
            "bound",
            "inequality",
            "checked",
            "excl",
            "viol",
            "max viol",
            *(f"slack {q}" if q == "min" else q for q in _QUANTILE_NAMES),
        ]
        body = [
            [
                r.bound if k == 0 or r.bound != self.rows[i - 1].bound else "",
                ("" if k == 0 else "  ") + r.inequality,
                _fmt(r.checked),
                _fmt(sum(r.excluded.values())),
                _fmt(r.violations),
                _fmt(r.max_violation),
                *(_fmt(r.slack[q]) for q in _QUANTILE_NAMES),
            ]
            for i, r in enumerate(self.rows)
            for k in [0 if i == 0 or r.bound != self.rows[i - 1].bound else 1]
        ]
        widths = [max(len(row[c]) for row in [head, *body]) for c in range(len(head))]
        left = {0, 1}

        def line(row):
            return "  ".join(
                cell.ljust(w) if c in left else cell.rjust(w)
                for c, (cell, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()

        quant = (
            "exact"
            if self.exact_quantiles
            else f"approximate (histogram, relative error <= 2^-{_MANTISSA_BITS})"
        )
        lines = [
            f"BoundReport: {self.lists} lists in {self.batches} "
            f"batch{'es' if self.batches != 1 else ''}, "
            f"ties={self.ties!r}, temperature={_fmt(self.temperature)}",
            f"violation: lhs - rhs > {self.tolerance}; slack = rhs - lhs; quantiles {quant}",
            line(head),
            line(["-" * w for w in widths]),
            *map(line, body),
        ]
        reasons: dict[tuple[str, int], list[str]] = {}
        for b in self.bounds:
            for reason, count in self[b].excluded.items():
                if count:
                    reasons.setdefault((reason, count), []).append(b)
        for (reason, count), bs in reasons.items():
            lines.append(
                f"excluded ({', '.join(bs)}): {count} list{'s' if count != 1 else ''} with {reason}"
            )
        lines.append("OK: no violation" if self.ok else f"VIOLATIONS: {self.violations}")
        return "\n".join(lines)

    __repr__ = __str__


@dataclass
class _Spec:
    name: str  # as given, e.g. "recall@10"
    kind: str  # rank_lemma | rr | ndcg | ap | recall | graded_ndcg | mean
    binary: bool
    k: int | None = None
    metric: str | None = None  # for mean
    links: list = field(default_factory=list)
    excluded: int = 0
    sums: list = field(default_factory=lambda: [0.0, 0.0, 0.0, 0, 0])
    n_max: int = 0
    scale_max: float = 0.0


def _parse_bounds(func: str, bounds) -> list[_Spec]:
    if isinstance(bounds, str):
        bounds = (bounds,)
    try:
        names = list(bounds)
    except TypeError:
        raise TypeError(
            f"{func}: 'bounds' must be a sequence of bound names; got {type(bounds).__name__}"
        ) from None
    if not names:
        raise ValueError(f"{func}: 'bounds' must name at least one bound; got none")
    specs, seen = [], set()
    for name in names:
        if not isinstance(name, str):
            raise TypeError(
                f"{func}: 'bounds' entries must be str; got {type(name).__name__} {name!r}"
            )
        if name in seen:
            raise ValueError(f"{func}: 'bounds' names {name!r} twice")
        seen.add(name)
        if name.startswith("recall@"):
            tail = name[len("recall@") :]
            if not tail.isdigit() or int(tail) < 1:
                raise ValueError(
                    f"{func}: 'bounds' entry {name!r} must be 'recall@K' with K a positive int"
                )
            specs.append(_Spec(name, "recall", True, k=int(tail)))
        elif name.startswith("mean:") and name[5:] in _MEAN_METRICS:
            specs.append(_Spec(name, "mean", name[5:] != "graded_ndcg", metric=name[5:]))
        elif name in ("rank_lemma", "rr", "ndcg", "ap", "graded_ndcg"):
            specs.append(_Spec(name, name, name not in ("rank_lemma", "graded_ndcg")))
        else:
            allowed = ", ".join(repr(b) for b in BOUND_NAMES)
            raise ValueError(f"{func}: 'bounds' entries must be among {allowed}; got {name!r}")
    return specs


def _tolerance_terms(n, scale, atol, rtol):
    """The absolute and relative tolerance of each list (see :func:`check`, Notes)."""
    a = _TOL_FACTOR * n * _EPS * (1.0 + scale) if atol is None else np.full(np.shape(n), atol)
    r = _TOL_FACTOR * n * _EPS if rtol is None else np.full(np.shape(n), rtol)
    return a, r


def _tolerances(lhs, rhs, n, scale, atol, rtol):
    a, r = _tolerance_terms(n, scale, atol, rtol)
    return a + r * np.maximum(np.abs(lhs), np.abs(rhs))


def _check_tol(func: str, name: str, value):
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{func}: {name!r} must be None or a real number >= 0; "
            f"got {type(value).__name__} {value!r}"
        )
    v = float(value)
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{func}: {name!r} must be None or a finite real number >= 0; got {v!r}")
    return v


_NO_RELEVANT_REASON = "no relevant item (label > 0)"


class _Checker:
    def __init__(self, specs, ties, temperature, gain, atol, rtol):
        self.specs, self.ties, self.temperature, self.gain = specs, ties, temperature, gain
        self.atol, self.rtol = atol, rtol
        self.lists = self.batches = 0
        for spec in specs:
            if spec.kind == "rank_lemma":
                spec.links = [_LinkAcc(spec.name, "log r_i <= -log p_i (each item)")]
                continue
            cls = {
                "rr": ReciprocalRankBound,
                "ndcg": NDCGBound,
                "ap": AveragePrecisionBound,
                "recall": RecallBound,
                "graded_ndcg": GradedNDCGBound,
                "mean": MeanBound,
            }[spec.kind]
            spec.links = [
                (_LinkAcc(spec.name, self._text(spec, text)), lhs, rhs)
                for text, lhs, rhs in cls.LINKS
            ]

    @staticmethod
    def _text(spec: _Spec, text: str) -> str:
        if spec.kind == "recall":
            return text.replace("K+1", str(spec.k + 1)).replace("K", str(spec.k))
        if spec.kind == "mean":
            return text.replace(" M", " " + _METRIC_SYMBOL[spec.metric])
        return text

    def validate(self, func, labels, scores, mask) -> Lists:
        lists = check_lists(func, labels, scores, mask)
        binary = [spec.name for spec in self.specs if spec.binary]
        if binary:
            check_binary(
                func, lists, hint=f" for bound {binary[0]!r} (graded labels: use 'graded_ndcg')"
            )
        return lists

    def evaluate(self, func, lists: Lists) -> list:
        """Every spec's per-list results on a block of rows. Reads no mutable state, so blocks
        can be evaluated in parallel threads; :meth:`merge` then adds them up in order."""
        b = _Batch(func, lists, self.ties, self.temperature, self.gain)
        per_list = {}  # each theorem evaluated once per block, e.g. for "ndcg" and "mean:ndcg"
        parts = []
        for spec in self.specs:
            if spec.kind == "rank_lemma":
                parts.append(self._rank_lemma_part(b))
                continue
            if spec.kind == "recall":
                out = _recall(b, spec.k)
            else:
                name = spec.metric if spec.kind == "mean" else spec.kind
                if name not in per_list:
                    per_list[name] = _PER_LIST[name](b)
                out = per_list[name]
            d = out.defined
            excluded = int((~d).sum())
            if spec.kind == "mean":
                parts.append((list(_mean_terms(out)), int(b.n.max()), float(b.scale.max()), excluded))
                continue
            links = []
            for _, lhs_name, rhs_name in spec.links:
                lhs, rhs = getattr(out, lhs_name)[d], getattr(out, rhs_name)[d]
                tol = _tolerances(lhs, rhs, b.n[d], b.scale[d], self.atol, self.rtol)
                with np.errstate(invalid="ignore"):  # inf - inf: a loss beyond float max twice
                    excess = np.where(lhs == rhs, 0.0, lhs - rhs)
                links.append((0.0 - excess, excess > tol, excess))
            parts.append((links, excluded))
        return parts

    def _rank_lemma_part(self, b: _Batch):
        # Per item, in sorted order; a list counts once, with its smallest slack. Both sides are
        # >= 0, so an item can only violate "excess > atol + rtol max(lhs, rhs)" if its excess
        # passes atol: the full test runs on the rows where the largest excess does.
        lhs, rhs = np.log(b.rank), 0.0 - b.log_prob  # rhs = +inf at masked items
        excess = lhs - rhs
        worst = excess.max(axis=1)
        atol, rtol = _tolerance_terms(b.n, b.scale, self.atol, self.rtol)
        violated = worst > atol
        rows = np.flatnonzero(violated)
        if rows.size:
            tol = atol[rows, None] + rtol[rows, None] * np.maximum(lhs[rows], rhs[rows])
            violated[rows] = ((excess[rows] > tol) & b.sorted.mask[rows]).any(axis=1)
        return 0.0 - worst, violated, worst

    def merge(self, blocks: list[list], rows: int) -> None:
        """Add one batch, given the results of its blocks of rows in order."""
        self.lists += rows
        self.batches += 1
        for j, spec in enumerate(self.specs):
            parts = [block[j] for block in blocks]
            if spec.kind == "rank_lemma":
                spec.links[0].add(*(np.concatenate(col) for col in zip(*parts, strict=True)))
                continue
            if spec.kind == "mean":
                for sums, n_max, scale_max, excluded in parts:
                    for i, v in enumerate(sums):
                        spec.sums[i] += v
                    spec.n_max = max(spec.n_max, n_max)
                    spec.scale_max = max(spec.scale_max, scale_max)
                    spec.excluded += excluded
                continue
            spec.excluded += sum(excluded for _, excluded in parts)
            for i, (acc, _, _) in enumerate(spec.links):
                acc.add(*(np.concatenate(col) for col in zip(*(p[0][i] for p in parts), strict=True)))

    def report(self, tolerance: str) -> BoundReport:
        rows = []
        for spec in self.specs:
            if spec.kind == "rank_lemma":
                rows.append(spec.links[0].stats({}))
                continue
            excluded = {_NO_RELEVANT_REASON: spec.excluded}
            if spec.kind == "mean":
                out = _mean_from_sums(spec.metric, spec.sums)
                n_terms = spec.n_max + out.lists
                for acc, lhs_name, rhs_name in spec.links:
                    if out.defined:
                        lhs, rhs = (
                            np.array([getattr(out, lhs_name)]),
                            np.array([getattr(out, rhs_name)]),
                        )
                        tol = _tolerances(lhs, rhs, n_terms, spec.scale_max, self.atol, self.rtol)
                        acc.add(rhs - lhs, lhs - rhs > tol, lhs - rhs)
                        acc.checked = out.lists  # one aggregate inequality over these lists
                    rows.append(acc.stats(excluded))
                continue
            rows += [acc.stats(excluded) for acc, _, _ in spec.links]
        exact = all(r.exact_quantiles for r in rows)
        return BoundReport(
            rows=tuple(rows),
            lists=self.lists,
            batches=self.batches,
            ties=self.ties,
            temperature=self.temperature,
            tolerance=tolerance,
            exact_quantiles=exact,
        )


def _validated_batches(func: str, checker: _Checker, stream) -> Iterator[Lists]:
    for i, batch in enumerate(stream):
        if not isinstance(batch, tuple) or len(batch) not in (2, 3):
            raise TypeError(
                f"{func}: batch {i} must be a tuple (labels, scores) or (labels, scores, mask); "
                f"got {type(batch).__name__}"
            )
        yield checker.validate(func, batch[0], batch[1], batch[2] if len(batch) == 3 else None)


def _run(checker: _Checker, func: str, batches: Iterator[Lists], workers: int) -> None:
    """Evaluate every block of every batch, on ``workers`` threads, and merge them in order.

    At most ``2 * workers`` blocks are in flight beyond the batch being read, so memory is
    bounded by the batch size, not by the length of the stream."""
    if workers == 1:
        for lists in batches:
            blocks = lists.row_blocks(_metrics._BLOCK_ITEMS)
            checker.merge([checker.evaluate(func, b) for b in blocks], len(lists.labels))
        return
    pending: deque = deque()  # (rows, futures of its blocks) per batch, in stream order
    in_flight = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for lists in batches:
                blocks = lists.row_blocks(_metrics._BLOCK_ITEMS)
                futures = [pool.submit(checker.evaluate, func, b) for b in blocks]
                pending.append((len(lists.labels), futures))
                in_flight += len(futures)
                while in_flight > 2 * workers:
                    rows, futures = pending.popleft()
                    checker.merge([f.result() for f in futures], rows)
                    in_flight -= len(futures)
            while pending:
                rows, futures = pending.popleft()
                checker.merge([f.result() for f in futures], rows)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


DEFAULT_BOUNDS = ("rank_lemma", "rr", "ndcg", "ap", "recall@10", "mean:ndcg")


def check(
    labels,
    scores=None,
    *,
    bounds=DEFAULT_BOUNDS,
    ties="pessimistic",
    gain="linear",
    temperature=1.0,
    mask=None,
    rtol=None,
    atol=None,
    workers=None,
) -> BoundReport:
    r"""Evaluate theorems on data and count violations, with an explicit tolerance.

    Parameters
    ----------
    labels, scores : arrays of shape (n,) or (B, n)
        One batch. Or pass an iterable of batches as ``labels`` and leave ``scores`` (and
        ``mask``) out: each item is ``(labels, scores)`` or ``(labels, scores, mask)``; batches
        may have different list lengths. The stream is read once, with memory bounded by the
        largest batch (plus at most ``2**19`` histogram bins per inequality).
    bounds : sequence of str
        Among ``"rank_lemma"``, ``"rr"``, ``"ndcg"``, ``"ap"``, ``"recall@K"`` (any ``K >= 1``),
        ``"graded_ndcg"``, ``"mean:rr"``, ``"mean:ndcg"``, ``"mean:ap"``,
        ``"mean:graded_ndcg"``. All but the rank lemma and the graded ones need binary labels.
    ties : {"pessimistic", "optimistic", "stable", "average"}
        Tie policy of the metrics (default: the worst realisable order).
    gain : {"linear", "exponential"}
        Gain of the graded NDCG bounds.
    temperature : float > 0
    mask : bool array, optional
    rtol, atol : float >= 0 or None
        Tolerances of the comparison; None (default) means ``rtol = 4 n eps`` and
        ``atol = 4 n eps (1 + S)``, with ``n`` the number of real items of the list,
        ``S = max_i |s_i| / T`` its score scale and ``eps = 2**-52`` (see Notes).
    workers : int >= 1 or None
        Threads evaluating blocks of rows at once (numpy releases the GIL while it sorts and
        computes); None means ``min(4, os.cpu_count())``. The report does not depend on it:
        blocks are merged in their order.

    Returns
    -------
    BoundReport
        Per inequality (the theorem, then each link of its chain): lists checked, lists excluded
        and why, violations, the largest violation, and slack quantiles.

    Notes
    -----
    **Tolerance.** A list violates ``lhs <= rhs`` when

    .. math:: \mathrm{lhs} - \mathrm{rhs} > \mathrm{atol}
              + \mathrm{rtol}\,\max(|\mathrm{lhs}|, |\mathrm{rhs}|),
              \qquad \mathrm{atol} = 4 n \varepsilon (1 + S), \; \mathrm{rtol} = 4 n \varepsilon .

    Justification (``u = eps/2`` the unit roundoff, ``x = s/T``). Each side is computed from
    at most ``n`` terms, each to a few ulps:

    * the loss ``-log p_i = (max x - x_i) + log sum_j e^{x_j - max x}``: rounding ``s/T``
      moves each ``x_i`` by ``u |x_i| <= u S``, which moves ``-log p_i`` by up to ``2 u S``; the
      sum of ``n`` positive exponentials is exact to ``(n + 1) u`` relative, which the log turns
      into ``(n + 1) u`` absolute; the last additions and the average with ``m <= n`` weights add
      ``(m + 3) u`` relative. :func:`rankbound.negatives_cross_entropy` forms
      ``max x + log sum`` before subtracting ``x_i``, which costs another ``u S`` absolute (this
      is what a tie at ``|x| = 3000`` exposes: ``l_neg = l = log 3`` computed ``1e-13`` apart);
    * the metric side (cumulative sums over ``<= n`` positions, ``1/pi``, ``1/log2``, ``log``)
      and the rank side (``log`` of an integer, a mean over ``m``) carry ``<= (n + 2) u``
      relative error.

    So each side is within ``(2n + 4) u (1 + S + |value|) <= 2 n eps (1 + S + |value|)`` of the
    exact value for the rounded inputs (``n >= 4``); twice that covers both sides. The
    tolerance matters only where a bound is tight: the rank lemma is an equality on tied lists,
    the RR bound when the only relevant item is last in its tie group (``-log(fl(1/pi))`` and
    ``log(pi)`` may differ by an ulp), ``l_neg = l`` when ``m = 1``. For the ``mean:*`` rows ``n``
    is the longest list plus the number of lists (one more rounding per list in the sums) and
    ``S`` the largest scale of all lists.

    **Per-list slack.** ``rhs - lhs`` of each list that has a relevant item (the rank lemma:
    every list, slack the smallest over its items; a list counts once as violated when any item
    is). A ``mean:*`` row is one inequality over all its lists: ``checked`` is the number of
    lists in the means and the quantiles are its single slack.

    **Streaming.** Counts, violations, the largest violation and the minimum and maximum slack
    are exact whatever the number of batches. With one batch the other quantiles are exact
    (``inverted_cdf``: an observed value). From the second batch on they come from a histogram
    of slacks binned by sign, binary exponent and the top 7 mantissa bits, so a reported
    quantile lies in the same bin as the exact one: relative error at most ``2**-7``
    (``exact_quantiles`` is then False).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> labels = (rng.random((50, 20)) < 0.2).astype(float)
    >>> scores = rng.normal(size=(50, 20)).round(1)  # rounding makes ties
    >>> report = check(labels, scores, bounds=("rr", "ap"))
    >>> report.ok, report["rr"].checked + sum(report["rr"].excluded.values())
    (True, 50)
    >>> batches = ((labels[i:i + 10], scores[i:i + 10]) for i in range(0, 50, 10))
    >>> streamed = check(batches, bounds=("rr", "ap"))
    >>> streamed["ap"].min_slack == report["ap"].min_slack, streamed.exact_quantiles
    (True, False)
    """
    func = "check"
    specs = _parse_bounds(func, bounds)
    check_option(func, "ties", ties, TIE_POLICIES)
    check_option(func, "gain", gain, _GAINS)
    temperature = check_positive_float(func, "temperature", temperature)
    atol, rtol = _check_tol(func, "atol", atol), _check_tol(func, "rtol", rtol)
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    workers = check_int(func, "workers", workers)
    checker = _Checker(specs, ties, temperature, gain, atol, rtol)
    if scores is not None:
        lists = checker.validate(func, labels, scores, mask)
        blocks = len(lists.row_blocks(_metrics._BLOCK_ITEMS))
        _run(checker, func, iter([lists]), min(workers, blocks))  # no threads for one block
    else:
        if mask is not None:
            raise TypeError(
                f"{func}: with a stream of batches, give each batch's mask in its tuple; got mask="
            )
        if isinstance(labels, (np.ndarray, str, bytes)) or not isinstance(labels, Iterable):
            raise TypeError(
                f"{func}: 'scores' is missing; pass (labels, scores) arrays, or an iterable of "
                f"(labels, scores[, mask]) batches as the first argument; "
                f"got {type(labels).__name__}"
            )
        _run(checker, func, _validated_batches(func, checker, labels), workers)
        if checker.batches == 0:
            raise ValueError(f"{func}: the iterable of batches is empty")
    a = "4 n eps (1 + max|s|/T)" if atol is None else _fmt(atol)
    r = "4 n eps" if rtol is None else _fmt(rtol)
    tolerance = f"{a} + {r} * max(|lhs|, |rhs|)"
    return checker.report(tolerance)
