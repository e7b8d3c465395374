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
    """Ascending sort key: -score for real items, +inf for masked ones (they go last).

    ``0.0 - score`` rather than ``-score``: a score of 0.0 gives the key +0.0, never -0.0, so
    that equal scores have equal keys bit for bit (the codes of :func:`_order_codes` rely on it).
    """
    key = 0.0 - lists.scores
    if not lists.mask.all():
        key[~lists.mask] = np.inf
    return key


# Sorting. numpy's stable argsort of a float64 matrix costs 1.5-3x its default sort, and a
# lexicographic sort (score, then label for the pessimistic and optimistic policies) more. Sorting
# int64 *values* is several times faster than any argsort (vectorised sorting networks), so the
# order is computed as a sort of one int64 code per item:
#
#     code = [ high bits of the score's order-preserving integer | label level | index ]
#
# Distinct codes make the sort's stability irrelevant, and the index is read back from the low
# bits. Keeping only the high bits of the score can merge two scores that differ in their last
# bits (relative difference below ~2**-(52 - low bits)); such a row is then not sorted by score,
# which a check of the sorted keys detects, and that row is sorted again exactly. The result is
# always the exact order; the fast path is taken by every row without such near-collisions.

_MAX_LOW_BITS = 40  # index + label bits; beyond this, sort exactly (lexsort)
_LABEL_LEVELS = 256  # integer labels below this are packed into the code


def _order_codes(key: np.ndarray) -> np.ndarray:
    """int64 codes with ``key_a < key_b  <=>  code_a < code_b`` (finite or +inf keys, no -0.0)."""
    bits = key.view(np.int64)
    # Negative floats order backwards as integers: flip their 63 non-sign bits. (In place on
    # one new array: each temporary of a large batch costs memory traffic.)
    code = bits >> 63
    code &= np.int64(0x7FFF_FFFF_FFFF_FFFF)
    code ^= bits
    return code


def _label_levels(labels: np.ndarray, ties: str) -> np.ndarray | None:
    """Labels as small non-negative ints ordered like the tie-break, or None if they are not."""
    top = labels.max()
    if top >= _LABEL_LEVELS:
        return None
    levels = labels.astype(np.int64)
    if not np.array_equal(levels, labels):  # fractional labels
        return None
    return levels if ties == "pessimistic" else int(top) - levels


def _exact_order(key: np.ndarray, labels: np.ndarray, ties: str) -> np.ndarray:
    """The reference implementation: numpy's stable argsort or lexsort."""
    if ties == "stable":
        return np.argsort(key, axis=1, kind="stable")
    secondary = labels if ties == "pessimistic" else -labels
    return np.lexsort((secondary, key), axis=1)  # stable; sorts by the last key first


def _codes(lists: Lists, ties: str, key: np.ndarray):
    """The int64 codes of the items, their number of low (label and index) bits and the index
    bits; None when the labels or the list length do not fit (then sort exactly)."""
    n = key.shape[1]
    index_bits = max(1, (n - 1).bit_length())
    levels, label_bits = None, 0
    if ties != "stable":
        levels = _label_levels(lists.labels, ties)
        if levels is None:
            return None
        label_bits = max(1, int(levels.max()).bit_length())
    low = index_bits + label_bits
    if low > _MAX_LOW_BITS:
        return None
    code = _order_codes(key)
    code &= np.int64(-1) << low  # keep the high bits
    if levels is not None:
        code |= levels << index_bits
    code |= np.arange(n, dtype=np.int64)
    return code, low, index_bits


def _sorted_order(lists: Lists, ties: str, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each row's item indices best first, under a realisable policy, and the sorted keys.

    With ``k`` (< n), only the first ``k`` positions: the ``k`` smallest codes are selected by
    ``np.partition`` (linear time) and only they are sorted."""
    key = _sort_key(lists)
    n = key.shape[1]
    coded = _codes(lists, ties, key)
    if coded is None:
        idx = _exact_order(key, lists.labels, ties)[:, :k]
        return idx, np.take_along_axis(key, idx, axis=1)
    code, low, index_bits = coded
    partial = k is not None and k < n
    if partial:
        code.partition(k - 1, axis=1)  # in place: the k smallest codes first, unordered
        top = np.sort(code[:, :k], axis=1)
    else:
        code.sort(axis=1)
        top = code
    idx = top & np.int64((1 << index_bits) - 1)
    sorted_key = np.take_along_axis(key, idx, axis=1)
    # Exact unless two distinct scores share their high bits: then the keys along the codes'
    # order decrease somewhere, or (partial) an item left out shares the high bits of the last
    # one kept with a smaller key. Such rows are sorted again exactly.
    bad = (sorted_key[:, 1:] < sorted_key[:, :-1]).any(axis=1)
    if partial:
        same = (code[:, k:] >> low) == (top[:, -1:] >> low)
        rows, cols = np.nonzero(same)
        if rows.size:
            left_out = key[rows, code[rows, k + cols] & np.int64((1 << index_bits) - 1)]
            bad[rows[left_out < sorted_key[rows, -1]]] = True
    if bad.any():
        exact = _exact_order(key[bad], lists.labels[bad], ties)[:, : idx.shape[1]]
        idx[bad] = exact
        sorted_key[bad] = np.take_along_axis(key[bad], exact, axis=1)
    return idx, sorted_key


def _order_2d(lists: Lists, ties: str) -> np.ndarray:
    """Indices of each row's items, best first, under a realisable tie policy (2-D)."""
    return _sorted_order(lists, ties)[0]


def _group_starts(sorted_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices where a tie group starts in the (B, n) sorted keys, and the group sizes."""
    n = sorted_key.shape[1]
    flat = sorted_key.ravel()
    is_start = np.empty(flat.size, dtype=bool)
    is_start[0] = True
    np.not_equal(flat[1:], flat[:-1], out=is_start[1:])
    is_start[::n] = True  # a group never spans two rows
    starts = np.flatnonzero(is_start)
    sizes = np.empty_like(starts)
    np.subtract(starts[1:], starts[:-1], out=sizes[:-1])
    sizes[-1] = flat.size - starts[-1]
    return starts, sizes


def _row_offsets(shape: tuple[int, int]) -> np.ndarray:
    return (np.arange(shape[0]) * shape[1])[:, None]


def _tie_groups(sorted_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each sorted position: the 0-based start of its tie group and the group's size."""
    starts, sizes = _group_starts(sorted_key)
    shape = sorted_key.shape
    start = np.repeat(starts, sizes).reshape(shape) - _row_offsets(shape)
    return start, np.repeat(sizes, sizes).reshape(shape)


def _group_ends(sorted_key: np.ndarray) -> np.ndarray:
    """For each sorted position: one past the 0-based position of the last item of its tie
    group, i.e. the number of items scored at or above it (``r_i`` of the rank lemma)."""
    starts, sizes = _group_starts(sorted_key)
    shape = sorted_key.shape
    return np.repeat(starts + sizes, sizes).reshape(shape) - _row_offsets(shape)


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
        idx, sorted_key = _sorted_order(lists, "stable")
        start, size = _tie_groups(sorted_key)
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
    lists = Lists(labels=np.zeros(s2.shape), scores=s2, mask=m2, one_list=one, masked=mask is not None)
    idx, sorted_key = _sorted_order(lists, "stable")
    start, size = _tie_groups(sorted_key)
    out = np.empty(s2.shape)
    np.put_along_axis(out, idx, (start + size if method == "max" else start + 1).astype(float), axis=1)
    out[~m2] = np.nan
    return out[0] if one else out
