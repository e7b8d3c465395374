"""Orders and ranks of scored lists under an explicit tie policy.

A list is ranked by decreasing score. When scores tie, the order inside the tied group is not
determined by the scores, and a metric can depend on it. Every function here takes ``ties=``:

``"pessimistic"``
    inside a group of equal scores, lower labels come first (the worst realisable order);
``"optimistic"``
    higher labels first (the best realisable order);
``"stable"``
    lower array index first, as a stable sort does (and as trec_eval does when document ids are
    named in index order);
``"average"``
    the expectation over uniformly random orders of each tied group (McSherry & Najork, 2008).
    This is not an order, so :func:`order` refuses it; :func:`ranks` returns expected positions.

Within equal labels, the pessimistic and optimistic orders fall back to the stable order.
Masked items (``mask`` False) take no part: they are placed after every real item and get no rank.

The chapter *Ranking metrics* explains the policies with a picture; the chapter *Ties and cutoffs*
shows why every bound of the book holds for every realisable order.
"""

from __future__ import annotations

import numpy as np

from rankbound._validation import Lists, check_lists, check_option, check_scores, _check_mask

__all__ = ["TIE_POLICIES", "order", "ranks", "tied_ranks"]

#: The tie policies every metric and bound accepts (see the module docstring).
TIE_POLICIES = ("pessimistic", "optimistic", "stable", "average")
_ORDER_POLICIES = ("pessimistic", "optimistic", "stable")


def _sort_key(lists: Lists) -> np.ndarray:
    """Ascending sort key: -score for real items, +inf for masked ones (they go last)."""
    return np.where(lists.mask, -lists.scores, np.inf)


def _order_2d(lists: Lists, ties: str) -> np.ndarray:
    """Indices of each row's items, best first, under a realisable tie policy (2-D)."""
    key = _sort_key(lists)
    if ties == "stable":
        return np.argsort(key, axis=1, kind="stable")
    secondary = lists.labels if ties == "pessimistic" else -lists.labels
    # lexsort is stable and sorts by the last key first.
    return np.lexsort((secondary, key), axis=1)


def _tie_groups(sorted_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each sorted position: the 0-based start of its tie group and the group's size."""
    nrow, n = sorted_key.shape
    pos = np.broadcast_to(np.arange(n), (nrow, n))
    is_start = np.ones((nrow, n), dtype=bool)
    is_start[:, 1:] = sorted_key[:, 1:] != sorted_key[:, :-1]
    start = np.maximum.accumulate(np.where(is_start, pos, 0), axis=1)
    is_end = np.ones((nrow, n), dtype=bool)
    is_end[:, :-1] = is_start[:, 1:]
    end = np.minimum.accumulate(np.where(is_end, pos, n)[:, ::-1], axis=1)[:, ::-1]
    return start, end - start + 1


def _segment_sum(x: np.ndarray, start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Sum of ``x`` over each position's tie group (x, start, size all (B, n))."""
    c = np.zeros((x.shape[0], x.shape[1] + 1))
    np.cumsum(x, axis=1, out=c[:, 1:])
    return np.take_along_axis(c, start + size, axis=1) - np.take_along_axis(c, start, axis=1)


def order(labels, scores, *, ties="stable", mask=None) -> np.ndarray:
    """Indices of the items from best to worst under a realisable tie policy.

    Parameters
    ----------
    labels : array of shape (n,) or (B, n)
        Relevance labels (finite, >= 0); used only to break ties.
    scores : array of the same shape
        Finite scores; higher is better.
    ties : {"pessimistic", "optimistic", "stable"}
        How to order tied scores (see the module docstring). ``"average"`` is not an order.
    mask : bool array of the same shape, optional
        True for real items; masked items are placed last.

    Returns
    -------
    ndarray of int64, same shape as ``scores``
        ``order[..., 0]`` is the index of the top item.

    Examples
    --------
    >>> order([0, 1, 0], [2.0, 1.0, 1.0], ties="pessimistic").tolist()
    [0, 2, 1]
    >>> order([0, 1, 0], [2.0, 1.0, 1.0], ties="optimistic").tolist()
    [0, 1, 2]
    """
    func = "order"
    check_option(func, "ties", ties, _ORDER_POLICIES)
    lists = check_lists(func, labels, scores, mask)
    idx = _order_2d(lists, ties)
    return idx[0] if lists.one_list else idx


def ranks(labels, scores, *, ties="stable", mask=None) -> np.ndarray:
    """Position (1 = top) of every item under a tie policy.

    For a realisable policy this is the inverse permutation of :func:`order`, plus one. For
    ``ties="average"`` it is the expected position over random orders of each tied group:
    ``#{j : s_j > s_i} + (g_i + 1) / 2`` for a group of ``g_i`` tied items.

    Returns
    -------
    ndarray of float64, same shape as ``scores``
        Positions; NaN for masked items.

    Examples
    --------
    >>> ranks([1, 0, 1], [0.5, 0.5, 0.9], ties="pessimistic").tolist()
    [3.0, 2.0, 1.0]
    >>> ranks([1, 0, 1], [0.5, 0.5, 0.9], ties="average").tolist()
    [2.5, 2.5, 1.0]
    """
    func = "ranks"
    check_option(func, "ties", ties, TIE_POLICIES)
    lists = check_lists(func, labels, scores, mask)
    nrow, n = lists.scores.shape
    if ties == "average":
        key = _sort_key(lists)
        idx = np.argsort(key, axis=1, kind="stable")
        start, size = _tie_groups(np.take_along_axis(key, idx, axis=1))
        pos_sorted = start + (size + 1) / 2.0
    else:
        idx = _order_2d(lists, ties)
        pos_sorted = np.broadcast_to(np.arange(1.0, n + 1), (nrow, n))
    out = np.empty((nrow, n))
    np.put_along_axis(out, idx, pos_sorted, axis=1)
    out[~lists.mask] = np.nan
    return out[0] if lists.one_list else out


def tied_ranks(scores, *, method="max", mask=None) -> np.ndarray:
    """Rank of each item counting ties, with no order chosen.

    ``method="max"`` gives ``r_i = #{j : s_j >= s_i}`` (the item and everything tied with it
    or above it): the rank used by the rank lemma (:prf:ref:`thm-rank-lemma`), the largest
    position item ``i`` can take in any realisable order. ``method="min"`` gives
    ``1 + #{j : s_j > s_i}``, the smallest.

    Returns
    -------
    ndarray of float64, same shape as ``scores``; NaN for masked items.

    Examples
    --------
    >>> tied_ranks([0.5, 0.5, 0.9]).tolist()
    [3.0, 3.0, 1.0]
    >>> tied_ranks([0.5, 0.5, 0.9], method="min").tolist()
    [2.0, 2.0, 1.0]
    """
    func = "tied_ranks"
    check_option(func, "method", method, ("max", "min"))
    s = check_scores(func, scores)
    one = s.ndim == 1
    s2 = np.atleast_2d(s)
    m2 = np.ones(s2.shape, bool) if mask is None else _check_mask(func, mask, s.shape)
    key = np.where(m2, -s2, np.inf)
    idx = np.argsort(key, axis=1, kind="stable")
    start, size = _tie_groups(np.take_along_axis(key, idx, axis=1))
    out = np.empty(s2.shape)
    np.put_along_axis(out, idx, (start + size if method == "max" else start + 1).astype(float), axis=1)
    out[~m2] = np.nan
    return out[0] if one else out
