r"""How small can the loss be for a given ranking? Exact infima and exhaustive worst cases.

A ranking (an order of the items, best first) is realised by every score vector that is
non-increasing along it; ties are allowed, since a tied block can be ordered either way. Over all
such scores, the ListNet loss :math:`\ell = -\sum_i t_i \log p_i` has an infimum with a closed form:
the softmax :math:`p` ranges over the probability vectors that are non-increasing along the order,
and the minimiser is the *antitonic regression* of the target :math:`t` along the order (the
non-increasing sequence closest to :math:`t` in least squares), computed by pooling adjacent
violators (Robertson, Wright & Dykstra, 1988). So

.. math:: \inf_{s \text{ realising } \pi} \ell(t, s) = -\sum_i t_{\pi(i)} \log q_i,
          \qquad q = \operatorname{antitonic}(t_{\pi(1)}, \dots, t_{\pi(n)}).

The chapter *Ties and cutoffs* proves it; the tests check it against direct numerical minimisation.

With the infimum in hand, the question "can ``-log metric`` exceed the loss for this order?" is a
finite computation for each label sequence: :func:`exhaustive_gap` enumerates every sequence of
labels in rank order (which covers every label vector with every order), and
:func:`adversarial_gap` searches larger ones.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from rankbound._validation import _as_real_array, _check_finite, check_k, check_lists, check_option
from rankbound.losses import TARGETS, _target_2d
from rankbound.metrics import average_precision, ndcg, reciprocal_rank

__all__ = [
    "antitonic_regression",
    "infimum_loss",
    "infimum_loss_for_target",
    "minimizing_scores",
    "GapResult",
    "WORSTCASE_METRICS",
    "sequence_gap",
    "exhaustive_gap",
    "adversarial_gap",
]

WORSTCASE_METRICS = ("rr", "ap", "ndcg", "ndcg_exp")


def antitonic_regression(values) -> np.ndarray:
    r"""Least-squares non-increasing fit of each row of ``values`` (pool adjacent violators).

    Short rows (``n <= 64``, the exhaustive searches) use the min–max formula
    :math:`q_i = \min_{j \le i} \max_{k \ge i} \bar v_{j..k}`, vectorised over rows at
    :math:`O(n^2)` time and memory per row; longer rows go one by one through SciPy's
    :math:`O(n)` ``isotonic_regression``, where the quadratic memory would dominate.
    Row sums are preserved.

    Examples
    --------
    >>> antitonic_regression([0.0, 1.0, 0.0]).tolist()
    [0.5, 0.5, 0.0]
    """
    v = np.asarray(values, dtype=np.float64)
    one = v.ndim == 1
    v2 = np.atleast_2d(v)
    nrow, n = v2.shape
    if n > 64:
        from scipy.optimize import isotonic_regression

        q = np.stack([isotonic_regression(row, increasing=False).x for row in v2])
        return q[0] if one else q
    c = np.zeros((nrow, n + 1))
    np.cumsum(v2, axis=1, out=c[:, 1:])
    j = np.arange(n)[:, None]
    k = np.arange(n)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = (c[:, None, 1:] - c[:, :n, None]) / (k - j + 1)  # avg[r, j, k] = mean v[j..k]
    avg = np.where(k >= j, avg, -np.inf)
    # M[r, j, i] = max_{k >= i} avg[r, j, k]: reversed cumulative max along k.
    m = np.maximum.accumulate(avg[:, :, ::-1], axis=2)[:, :, ::-1]
    m = np.where(k >= j, m, np.inf)  # only j <= i takes part
    q = m.min(axis=1)
    # Window sums as differences of prefix sums cancel when tiny values follow large ones
    # (a softmax target of labels (40, 0, 1) has entries 1 and 4e-18): a positive entry can come
    # out with q <= 0. Such rows are redone by pooling adjacent violators on the values
    # themselves, which adds only the entries of each block.
    bad = ((v2 > 0) & (q <= 0)).any(axis=1) & (v2 >= 0).all(axis=1)
    for r in np.flatnonzero(bad):
        q[r] = _pool_adjacent_violators(v2[r])
    return q[0] if one else q


def _pool_adjacent_violators(v: np.ndarray) -> np.ndarray:
    """Antitonic regression of one row by pooling adjacent violators (a Python loop, O(n))."""
    sums: list[float] = []
    counts: list[int] = []
    for x in v:
        sums.append(float(x))
        counts.append(1)
        # the last block's mean exceeds the previous one's: pool them
        while len(sums) > 1 and sums[-2] * counts[-1] < sums[-1] * counts[-2]:
            s, c = sums.pop(), counts.pop()
            sums[-1] += s
            counts[-1] += c
    return np.repeat(np.array(sums) / np.array(counts), counts)


def _ordered(func, labels, order, mask):
    lists = check_lists(func, labels, labels, mask)
    y = lists.labels
    msk = lists.mask
    if order is not None:
        idx = np.asarray(order)
        if idx.dtype.kind not in "iu" or idx.shape != np.shape(labels):
            raise ValueError(
                f"{func}: 'order' must be an integer index array of the shape of 'labels' "
                f"{np.shape(labels)}; got dtype {idx.dtype} and shape {idx.shape}"
            )
        idx2 = np.atleast_2d(idx)
        if not (np.sort(idx2, axis=1) == np.arange(y.shape[1])).all():
            raise ValueError(f"{func}: 'order' must be a permutation of 0..n-1 in every row")
        y = np.take_along_axis(y, idx2, axis=1)
        msk = np.take_along_axis(msk, idx2, axis=1)
    if not (np.diff(msk.astype(np.int8), axis=1) <= 0).all():
        raise ValueError(f"{func}: masked items must come after the real items of the ranked list")
    return lists, y, msk


def infimum_loss(labels, order=None, *, target="linear", mask=None):
    r"""Infimum of the ListNet loss over all scores that realise a ranking (ties allowed).

    Parameters
    ----------
    labels : array (n,) or (B, n)
        Labels; in rank order (best first) when ``order`` is None.
    order : int array, optional
        ``order[..., p]`` is the index of the item at position ``p`` (as from
        :func:`rankbound.order`).
    target : {"linear", "exponential", "softmax"}
    mask : bool array, optional
        In rank order, masked items must be last.

    Returns
    -------
    float or ndarray
        :math:`-\sum_i t_i \log q_i` with :math:`q` the antitonic regression of the target along
        the ranking; NaN for a list with no relevant item (linear/exponential targets).

    Examples
    --------
    >>> round(infimum_loss([0, 1]), 6)  # best: tie the two scores, p = (1/2, 1/2)
    0.693147
    >>> infimum_loss([1, 0])  # the relevant item on top: the loss can be made as small as we like
    0.0
    """
    func = "infimum_loss"
    check_option(func, "target", target, TARGETS)
    lists, y, msk = _ordered(func, labels, order, mask)
    from rankbound._validation import Lists

    ordered = Lists(labels=y, scores=y, mask=msk, one_list=lists.one_list, masked=lists.masked)
    t, defined = _target_2d(func, ordered, target)
    t = np.where(msk, t, 0.0)
    values = np.where(defined, _infimum(t), np.nan)
    return lists.unwrap(values)


def _infimum(t: np.ndarray) -> np.ndarray:
    """``-sum_i t_i log q_i`` per row, ``q`` the antitonic fit of ``t`` (rows in rank order)."""
    q = antitonic_regression(t)
    with np.errstate(divide="ignore"):
        logq = np.where(t > 0, np.log(np.where(t > 0, q, 1.0)), 0.0)
    return 0.0 - (t * logq).sum(axis=1)


def infimum_loss_for_target(target):
    r"""Infimum of the cross-entropy from a given target over all scores that realise a ranking.

    :func:`infimum_loss` builds the target from the labels; this function takes any target
    distribution, already in rank order (best first): the closed form
    :math:`-\sum_i t_i \log q_i`, :math:`q = \operatorname{antitonic}(t)`, holds for every fixed
    target, because the set of softmax vectors non-increasing along the ranking does not depend
    on it. The chapter *Graded relevance* uses it for targets that put mass on non-relevant items
    (the XE-NDCG target of :func:`rankbound.losses.xe_ndcg_target`).

    Parameters
    ----------
    target : array of shape (n,) or (B, n)
        Non-negative weights in rank order; each row is divided by its sum, which must be > 0.

    Returns
    -------
    float or ndarray of shape (B,)

    Raises
    ------
    ValueError
        Negative or non-finite weights, or a row whose weights sum to 0.

    Examples
    --------
    >>> round(infimum_loss_for_target([1, 0, 1]), 6)  # (1/2, 0, 1/2) pools to (1/2, 1/4, 1/4)
    1.039721
    >>> bool(infimum_loss_for_target([0, 2, 1]) == infimum_loss([0, 2, 1]))
    True
    """
    func = "infimum_loss_for_target"
    w = _as_real_array(func, "target", target)
    _check_finite(func, "target", w)
    if w.min() < 0:
        raise ValueError(f"{func}: 'target' must be >= 0; got min={float(w.min())!r}")
    w2 = np.atleast_2d(w)
    total = w2.sum(axis=1, keepdims=True)
    if (total <= 0).any():
        rows = np.flatnonzero(total[:, 0] <= 0)
        raise ValueError(
            f"{func}: every row of 'target' must have a positive sum; got sum 0 in row(s) "
            f"{rows[:5].tolist()}"
        )
    values = _infimum(w2 / total)
    return float(values[0]) if w.ndim == 1 else values


def minimizing_scores(labels, *, target="linear"):
    """Scores (in rank order) that attain the infimum: ``log q``; ``-inf`` where ``q = 0``.

    Where ``q`` has zeros the infimum is approached, not attained, by finite scores.

    Examples
    --------
    >>> minimizing_scores([0, 1]).round(6).tolist()
    [-0.693147, -0.693147]
    """
    func = "minimizing_scores"
    check_option(func, "target", target, TARGETS)
    lists = check_lists(func, labels, labels)
    t, defined = _target_2d(func, lists, target)
    if not defined.all():
        raise ValueError(f"{func}: 'labels' has a list with no relevant item; the target is undefined")
    with np.errstate(divide="ignore"):
        s = np.log(antitonic_regression(t))
    return s[0] if lists.one_list else s


def _metric_in_order(metric: str, y: np.ndarray, k: int | None) -> np.ndarray:
    """The metric of label rows taken as already ranked (positions 1..n)."""
    scores = np.broadcast_to(-np.arange(y.shape[1], dtype=np.float64), y.shape)
    kw = dict(no_relevant="nan")
    if metric == "rr":
        return reciprocal_rank(y, scores, **kw)
    if metric == "ap":
        return average_precision(y, scores, k=k, **kw)
    gain = "exponential" if metric == "ndcg_exp" else "linear"
    return ndcg(y, scores, k=k, gain=gain, **kw)


def _check_target(func: str, target):
    """A target name of :data:`rankbound.TARGETS`, or a callable (label rows -> target rows)."""
    if callable(target):
        return target
    return check_option(func, "target", target, TARGETS)


def _target_name(target) -> str:
    return target if isinstance(target, str) else getattr(target, "__name__", repr(target))


def sequence_gap(labels, *, metric="ndcg", target="linear", k=None) -> np.ndarray:
    r"""``-log metric(order) - inf loss(order)`` for label rows given in rank order.

    A positive value is a ranking whose metric is *not* bounded by the loss of any scores that
    realise it. NaN for rows with no relevant item.

    ``target`` is a name of :data:`rankbound.TARGETS`, or a callable that maps label rows
    (2-D, in rank order) to target rows of the same shape, such as
    :func:`rankbound.losses.xe_ndcg_mean_target`; the infimum is then
    :func:`infimum_loss_for_target` of its output. The callable is given only the rows that
    have a relevant item.

    Examples
    --------
    >>> sequence_gap([[0, 0, 1], [0, 1, 2]], metric="rr").round(6).tolist()  # log 3 - log 3, log 2 - log 3
    [0.0, -0.405465]
    """
    func = "sequence_gap"
    check_option(func, "metric", metric, WORSTCASE_METRICS)
    target = _check_target(func, target)
    k = check_k(func, k)
    y = np.atleast_2d(np.asarray(labels, dtype=np.float64))
    with np.errstate(divide="ignore"):
        neg_log = -np.log(_metric_in_order(metric, y, k))
    if isinstance(target, str):
        return neg_log - np.atleast_1d(infimum_loss(y, target=target))
    inf = np.full(y.shape[0], np.nan)
    has = (y > 0).any(axis=1)
    if has.any():
        inf[has] = np.atleast_1d(infimum_loss_for_target(np.atleast_2d(target(y[has]))))
    return neg_log - inf


@dataclass(frozen=True)
class GapResult:
    """The largest gap found, where, and how much was searched."""

    metric: str
    target: str  # a name of TARGETS, or the __name__ of a callable target
    n: int
    max_label: int
    sequences: int  # label sequences examined (each stands for every (labels, order) pair)
    max_gap: float
    argmax: tuple  # a label sequence (in rank order) attaining max_gap
    exhaustive: bool
    ratio: float | None = None  # -log metric / inf loss at argmax (adversarial_gap, "ratio")

    def __str__(self) -> str:
        how = "all" if self.exhaustive else "searched"
        text = (
            f"{self.metric:>8} target={self.target:<11} n={self.n} labels 0..{self.max_label}: "
            f"{how} {self.sequences} sequences, max gap {self.max_gap:+.6f} at {list(self.argmax)}"
        )
        if self.ratio is not None:
            text = text.replace("max gap", f"max ratio {self.ratio:.6f}, gap")
        return text


def exhaustive_gap(n, max_label, *, metric="ndcg", target="linear", k=None, chunk=200_000) -> GapResult:
    """Largest ``-log metric - inf loss`` over every label sequence of length ``n``.

    Every pair (label vector, order) is one label sequence read in rank order, so enumerating the
    ``(max_label + 1) ** n`` sequences covers all of them. Sequences are processed in chunks of
    ``chunk`` rows (memory ``O(chunk * n**2)``). ``target`` is a name or a callable, as in
    :func:`sequence_gap`.

    Examples
    --------
    >>> print(exhaustive_gap(3, 1, metric="rr"))  # binary labels: the RR bound holds, tight at 0
          rr target=linear      n=3 labels 0..1: all 7 sequences, max gap +0.000000 at [0, 0, 1]
    """
    func = "exhaustive_gap"
    check_option(func, "metric", metric, WORSTCASE_METRICS)
    target = _check_target(func, target)
    n = check_k(func, n, allow_none=False)
    max_label = check_k(func, max_label, allow_none=False)
    best, arg, count = -np.inf, None, 0
    levels = np.arange(max_label + 1, dtype=np.float64)
    total = (max_label + 1) ** n
    for lo in range(0, total, chunk):
        codes = np.arange(lo, min(total, lo + chunk))
        # base-(max_label+1) digits, most significant first
        digits = (codes[:, None] // (max_label + 1) ** np.arange(n - 1, -1, -1)) % (max_label + 1)
        y = levels[digits]
        y = y[(y > 0).any(axis=1)]
        if y.size == 0:
            continue
        gap = sequence_gap(y, metric=metric, target=target, k=k)
        count += y.shape[0]
        i = int(np.nanargmax(gap))
        if gap[i] > best:
            best, arg = float(gap[i]), tuple(int(v) for v in y[i])
    return GapResult(metric, _target_name(target), n, max_label, count, best, arg, True)


def adversarial_gap(
    n,
    max_label,
    *,
    metric="ndcg",
    target="linear",
    k=None,
    population=256,
    rounds=200,
    seed=0,
    objective="gap",
) -> GapResult:
    """Search label sequences of length ``n`` for a large gap: random starts, then hill climbing.

    Each round mutates every sequence of the population (one label changed or two positions
    swapped) and keeps the change where the objective does not decrease. A lower bound on the
    true maximum, exact only when it matches :func:`exhaustive_gap`.

    ``objective="gap"`` climbs ``-log metric - inf loss``. Its easy optimum, 0, is any ranking
    with a single relevant item on top, and the climb tends to settle there.
    ``objective="ratio"`` climbs ``-log metric / inf loss`` instead (rankings with zero infimum
    are skipped), which rewards rankings where the metric is poor relative to the loss whatever
    their size; a ratio above 1 is a positive gap. The result then also reports the ratio.
    """
    func = "adversarial_gap"
    check_option(func, "metric", metric, WORSTCASE_METRICS)
    target = _check_target(func, target)
    n = check_k(func, n, allow_none=False)
    max_label = check_k(func, max_label, allow_none=False)
    population = check_k(func, population, allow_none=False)
    rounds = check_k(func, rounds, allow_none=False)
    check_option(func, "objective", objective, ("gap", "ratio"))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, max_label + 1, size=(population, n)).astype(np.float64)
    y[:, 0] = np.maximum(y[:, 0], 1.0)  # at least one relevant item

    def score(rows):
        g = sequence_gap(rows, metric=metric, target=target, k=k)
        if objective == "ratio":
            inf = g.copy()
            has = (rows > 0).any(axis=1)
            if isinstance(target, str):
                inf[has] = np.atleast_1d(infimum_loss(rows[has], target=target))
            elif has.any():
                inf[has] = np.atleast_1d(infimum_loss_for_target(np.atleast_2d(target(rows[has]))))
            with np.errstate(divide="ignore", invalid="ignore"):
                g = np.where(inf > 0, (g + inf) / np.where(inf > 0, inf, 1.0), np.nan)
        return np.where(np.isnan(g), -np.inf, g)

    value = score(y)
    rows = np.arange(population)
    for _ in range(rounds):
        cand = y.copy()
        swap = rng.random(population) < 0.5
        i = rng.integers(0, n, population)
        j = rng.integers(0, n, population)
        vi, vj = cand[rows, i].copy(), cand[rows, j].copy()
        cand[rows[swap], i[swap]] = vj[swap]
        cand[rows[swap], j[swap]] = vi[swap]
        new = rng.integers(0, max_label + 1, population).astype(np.float64)
        cand[rows[~swap], i[~swap]] = new[~swap]
        cvalue = score(cand)
        keep = cvalue >= value
        y[keep], value[keep] = cand[keep], cvalue[keep]
    b = int(np.argmax(value))
    best = y[b]
    gap = float(sequence_gap(best, metric=metric, target=target, k=k)[0])
    ratio = float(value[b]) if objective == "ratio" else None
    return GapResult(metric, _target_name(target), n, max_label, population * (rounds + 1), gap,
                     tuple(int(v) for v in best), False, ratio)


def _all_orders(n: int):
    """Every permutation of range(n) (for tests and small demonstrations)."""
    return np.array(list(itertools.permutations(range(n))))
