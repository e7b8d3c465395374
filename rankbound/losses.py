"""Softmax losses over a list of scores: log-softmax, ListNet, and the negatives-only variant.

``softmax_cross_entropy`` is the ListNet loss (Cao et al., 2007) in the "top-one" form used by
Bruch et al. (2019): the cross-entropy between a target distribution ``t`` built from the labels
and the softmax of the scores,

.. math:: \\ell(y, s) = -\\sum_i t_i \\log \\frac{e^{s_i/T}}{\\sum_j e^{s_j/T}} .

Every function shifts the scores by their maximum before exponentiating, so nothing overflows, and
masks exponentials that underflow so that ``0 * log 0`` never turns into NaN.
"""

from __future__ import annotations

import numpy as np

from rankbound._validation import Lists, check_lists, check_option, check_positive_float, check_scores, _check_mask
from rankbound.metrics import _gains

__all__ = [
    "TARGETS",
    "log_softmax",
    "listnet_target",
    "softmax_cross_entropy",
    "softmax_cross_entropy_gradient",
    "negatives_cross_entropy",
]

TARGETS = ("linear", "exponential", "softmax")
_NO_RELEVANT = ("raise", "nan", "zero")


def _scaled(func: str, s: np.ndarray, temperature: float) -> np.ndarray:
    """``s / temperature``, refusing a temperature so small that the quotient overflows."""
    with np.errstate(over="ignore"):
        x = s / temperature
    if not np.isfinite(x).all():
        raise ValueError(
            f"{func}: 'scores' / 'temperature' overflows float64; got max |score|="
            f"{float(np.abs(s).max())!r} and temperature={temperature!r}"
        )
    return x


def _log_softmax_2d(s: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax over the real items; -inf at masked items."""
    x = np.where(mask, s, -np.inf)
    top = x.max(axis=1, keepdims=True)
    with np.errstate(over="ignore", under="ignore"):
        # x - top <= 0 always; it can overflow to -inf only when the true value is below
        # -1.8e308, where -inf is the correctly rounded log-probability.
        z = x - top
        lse = np.log(np.exp(z).sum(axis=1, keepdims=True))
    return z - lse


def log_softmax(scores, *, temperature=1.0, mask=None):
    """Log of the softmax of ``scores / temperature``, computed without overflow.

    ``log_softmax(s)_i = (s_i - max s) - log sum_j exp(s_j - max s)``: the shift makes the largest
    exponent 0, so the sum lies in ``[1, n]`` and its log is exact to rounding.

    Parameters
    ----------
    scores : array of shape (n,) or (B, n)
    temperature : float > 0
    mask : bool array, optional
        Masked items get ``-inf`` (probability zero) and take no part in the normaliser.

    Examples
    --------
    >>> log_softmax([1000.0, 1.0]).round(6).tolist()  # naive exp(1000) overflows
    [0.0, -999.0]
    """
    func = "log_softmax"
    temperature = check_positive_float(func, "temperature", temperature)
    s = check_scores(func, scores)
    one = s.ndim == 1
    s2 = np.atleast_2d(s)
    m2 = np.ones(s2.shape, bool) if mask is None else _check_mask(func, mask, s.shape)
    out = _log_softmax_2d(_scaled(func, s2, temperature), m2)
    return out[0] if one else out


def _target_2d(func: str, lists: Lists, target: str) -> tuple[np.ndarray, np.ndarray]:
    """Target distribution per row, and whether it is defined (some relevant item)."""
    y = lists.labels
    if target == "softmax":
        return np.exp(_log_softmax_2d(y, lists.mask)), np.ones(y.shape[0], bool)
    w = _gains(func, y, "linear" if target == "linear" else "exponential")
    total = w.sum(axis=1, keepdims=True)
    defined = total[:, 0] > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(defined[:, None], w / total, 0.0)
    return t, defined


def _undefined(func: str, defined: np.ndarray, lists: Lists, no_relevant: str, values):
    if defined.all():
        return values
    if no_relevant == "raise":
        rows = np.flatnonzero(~defined)
        where = "the list" if lists.one_list else f"row(s) {rows[:5].tolist()}" + ("..." if rows.size > 5 else "")
        raise ValueError(
            f"{func}: {where} has no relevant item (label > 0), so the target y/sum(y) is "
            f"undefined; pass no_relevant='nan' or 'zero' to accept such lists"
        )
    fill = 0.0 if no_relevant == "zero" else np.nan
    shape = (-1,) + (1,) * (np.ndim(values) - 1)
    return np.where(defined.reshape(shape), values, fill)


def listnet_target(labels, *, target="linear", mask=None, no_relevant="raise"):
    """The ListNet target distribution over the items of each list.

    ``"linear"``: ``y / sum(y)``; ``"exponential"``: ``(2**y - 1) / sum(2**y - 1)``;
    ``"softmax"``: ``softmax(y)``, the original ListNet target of Cao et al. (2007). The first two
    are undefined for a list with no relevant item (``no_relevant``).

    Examples
    --------
    >>> listnet_target([0, 1, 3]).tolist()
    [0.0, 0.25, 0.75]
    """
    func = "listnet_target"
    check_option(func, "target", target, TARGETS)
    check_option(func, "no_relevant", no_relevant, _NO_RELEVANT)
    lists = check_lists(func, labels, labels, mask)
    t, defined = _target_2d(func, lists, target)
    t = _undefined(func, defined, lists, no_relevant, t)
    return t[0] if lists.one_list else t


def _prepare(func, labels, scores, target, temperature, mask, no_relevant):
    check_option(func, "target", target, TARGETS)
    check_option(func, "no_relevant", no_relevant, _NO_RELEVANT)
    temperature = check_positive_float(func, "temperature", temperature)
    lists = check_lists(func, labels, scores, mask)
    t, defined = _target_2d(func, lists, target)
    return lists, t, defined, temperature


def softmax_cross_entropy(labels, scores, *, target="linear", temperature=1.0, mask=None, no_relevant="raise"):
    r"""The ListNet loss: cross-entropy from the label target to the softmax of the scores.

    .. math:: \ell = -\sum_i t_i \log p_i, \qquad p = \mathrm{softmax}(s / T)

    with ``t`` from :func:`listnet_target`. The loss is >= 0 (it is at least the entropy of ``t``,
    which is 0 for a single relevant item), invariant to adding a constant to every score, and
    finite for any finite scores: terms with ``t_i = 0`` are skipped, so an item whose probability
    underflows to 0 costs nothing unless it is relevant.

    With binary labels and the linear target, :prf:ref:`thm-rr-bound`, :prf:ref:`thm-ndcg-bound`
    and :prf:ref:`thm-ap-bound` bound ``-log`` of RR, NDCG and AP by this loss.

    Parameters
    ----------
    labels, scores : arrays of shape (n,) or (B, n)
    target : {"linear", "exponential", "softmax"}
    temperature : float > 0
    mask : bool array, optional
    no_relevant : {"raise", "nan", "zero"}
        What a list with no relevant item gives (its linear/exponential target is undefined).

    Examples
    --------
    >>> round(softmax_cross_entropy([1, 0], [0.0, 0.0]), 6)  # log 2
    0.693147
    >>> softmax_cross_entropy([1, 0], [1e300, -1e300])  # exact, no overflow
    0.0
    """
    func = "softmax_cross_entropy"
    lists, t, defined, temperature = _prepare(func, labels, scores, target, temperature, mask, no_relevant)
    logp = _log_softmax_2d(_scaled(func, lists.scores, temperature), lists.mask)
    values = 0.0 - np.where(t > 0, t * logp, 0.0).sum(axis=1)  # 0.0 - x: no -0.0
    return lists.unwrap(_undefined(func, defined, lists, no_relevant, values))


def softmax_cross_entropy_gradient(labels, scores, *, target="linear", temperature=1.0, mask=None, no_relevant="raise"):
    r"""Gradient of :func:`softmax_cross_entropy` with respect to the scores.

    .. math:: \frac{\partial \ell}{\partial s_i} = \frac{p_i - t_i}{T}

    (because ``sum_i t_i = 1``); zero at masked items. The chapter *Softmax and ListNet* derives
    it in SymPy.

    Returns
    -------
    ndarray, same shape as ``scores``

    Examples
    --------
    >>> softmax_cross_entropy_gradient([1, 0], [0.0, 0.0]).tolist()
    [-0.5, 0.5]
    """
    func = "softmax_cross_entropy_gradient"
    lists, t, defined, temperature = _prepare(func, labels, scores, target, temperature, mask, no_relevant)
    with np.errstate(over="ignore", under="ignore"):
        p = np.exp(_log_softmax_2d(_scaled(func, lists.scores, temperature), lists.mask))
    grad = np.where(lists.mask, (p - t) / temperature, 0.0)
    grad = _undefined(func, defined, lists, no_relevant, grad)
    return grad[0] if lists.one_list else grad


def negatives_cross_entropy(labels, scores, *, target="linear", temperature=1.0, mask=None, no_relevant="raise"):
    r"""Cross-entropy in which each relevant item competes with the non-relevant items only.

    .. math:: \ell_{\mathrm{neg}} = -\sum_{i:\,y_i>0} t_i \log
              \frac{e^{s_i/T}}{e^{s_i/T} + \sum_{j:\,y_j=0} e^{s_j/T}}

    Each term's denominator drops the other relevant items, so ``ell_neg <= softmax_cross_entropy``
    with the same target; and each term is at least ``log(1 + N_i)``, where ``N_i`` counts the
    non-relevant items scored at or above item ``i`` — the chain of :prf:ref:`thm-ap-bound`.
    A list whose items are all relevant has ``ell_neg = 0``.

    Examples
    --------
    >>> round(negatives_cross_entropy([1, 1, 0], [0.0, 0.0, 0.0]), 6)  # log 2
    0.693147
    """
    func = "negatives_cross_entropy"
    lists, t, defined, temperature = _prepare(func, labels, scores, target, temperature, mask, no_relevant)
    x = _scaled(func, lists.scores, temperature)
    neg = lists.mask & (lists.labels <= 0)
    # log sum over negatives, shifted by the row max over negatives; -inf when there are none.
    xn = np.where(neg, x, -np.inf)
    top = xn.max(axis=1, keepdims=True)
    finite_top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        lse_neg = finite_top + np.log(np.exp(xn - finite_top).sum(axis=1, keepdims=True))
        # -log(e^x / (e^x + e^lse)) = log(1 + e^(lse - x)) = logaddexp(0, lse - x)
        term = np.logaddexp(0.0, lse_neg - x)
    values = np.where((t > 0) & (lists.labels > 0), t * term, 0.0).sum(axis=1)
    return lists.unwrap(_undefined(func, defined, lists, no_relevant, values))
