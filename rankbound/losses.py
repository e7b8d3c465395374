"""Softmax losses over a list of scores: log-softmax, ListNet, and the negatives-only variant.

``softmax_cross_entropy`` is the ListNet loss (Cao et al., 2007) in the "top-one" form used by
Bruch et al. (2019): the cross-entropy between a target distribution ``t`` built from the labels
and the softmax of the scores,

.. math:: \\ell(y, s) = -\\sum_i t_i \\log \\frac{e^{s_i/T}}{\\sum_j e^{s_j/T}} .

Every function shifts the scores by their maximum before exponentiating, so nothing overflows, and
masks exponentials that underflow so that ``0 * log 0`` never turns into NaN.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from rankbound._validation import (
    Lists,
    _check_mask,
    _shape_str,
    check_array,
    check_indices,
    check_int,
    check_lists,
    check_option,
    check_positive_float,
    check_real,
    check_scores,
    which_lists,
)
from rankbound.metrics import _gain_exponents, _scaled_gains

__all__ = [
    "TARGETS",
    "log_softmax",
    "listnet_target",
    "xe_ndcg_target",
    "xe_ndcg_mean_target",
    "softmax_cross_entropy",
    "softmax_cross_entropy_gradient",
    "negatives_cross_entropy",
    "sampled_softmax_cross_entropy",
    "MARGIN_KINDS",
    "margin_logits",
    "info_nce",
]

#: The ListNet targets, ``"linear"`` y/Σy, ``"exponential"`` (2^y − 1)/Σ(2^y − 1), ``"softmax"`` softmax(y).
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
    gain = "linear" if target == "linear" else "exponential"
    w = _scaled_gains(func, y, gain, _gain_exponents(func, y, gain))  # sums cannot overflow
    total = w.sum(axis=1, keepdims=True)
    defined = total[:, 0] > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(defined[:, None], w / total, 0.0)
    return t, defined


def _undefined(func: str, defined: np.ndarray, lists: Lists, no_relevant: str, values):
    if defined.all():
        return values
    if no_relevant == "raise":
        where = which_lists(~defined, lists.one_list)
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


def xe_ndcg_target(labels, gamma, *, mask=None):
    r"""The target of the XE-NDCG loss (Bruch, 2021) for one draw of ``gamma``.

    .. math:: t_i = \frac{2^{y_i} - \gamma_i}{\sum_j (2^{y_j} - \gamma_j)},
              \qquad \gamma_i \in [0, 1]

    XE-NDCG is the cross-entropy from this target to the softmax of the scores, with a fresh
    ``gamma_i ~ U(0, 1)`` drawn for every item at every step of training (as in LightGBM's
    ``rank_xendcg`` objective). Unlike the targets of :func:`listnet_target`, it puts mass
    ``1 - gamma_i`` on non-relevant items, and it is defined for lists with no relevant item.
    ``gamma = 1`` everywhere gives the exponential target. The chapter *Graded relevance* shows
    which metrics it bounds.

    Parameters
    ----------
    labels : array of shape (n,) or (B, n)
    gamma : array of the same shape, values in [0, 1]
    mask : bool array, optional
        Masked items get target 0 and take no part in the normaliser.

    Returns
    -------
    ndarray of the shape of ``labels``

    Raises
    ------
    ValueError
        ``gamma`` outside [0, 1] or of another shape, or a list whose weights all vanish
        (every label 0 and every ``gamma_i = 1``).

    Examples
    --------
    >>> xe_ndcg_target([0, 1, 2], [0.5, 0.5, 0.5]).round(4).tolist()  # (0.5, 1.5, 3.5) / 5.5
    [0.0909, 0.2727, 0.6364]
    >>> exp_target = listnet_target([0, 1, 2], target="exponential")
    >>> bool((xe_ndcg_target([0, 1, 2], [1.0, 1.0, 1.0]) == exp_target).all())  # gamma = 1
    True
    """
    func = "xe_ndcg_target"
    lists = check_lists(func, labels, gamma, mask)
    g = lists.scores
    if g.min() < 0 or g.max() > 1:
        raise ValueError(
            f"{func}: 'gamma' must lie in [0, 1]; "
            f"got min={float(g.min())!r}, max={float(g.max())!r}"
        )
    with np.errstate(over="ignore"):
        w = np.where(lists.mask, np.exp2(lists.labels) - g, 0.0)
    if not np.isfinite(w).all():
        raise ValueError(
            f"{func}: 2**labels overflows float64; got max label {float(lists.labels.max())!r}"
        )
    total = w.sum(axis=1, keepdims=True)
    if (total <= 0).any():
        rows = np.flatnonzero(total[:, 0] <= 0)
        raise ValueError(
            f"{func}: the weights 2**y - gamma of row(s) {rows[:5].tolist()} sum to 0 "
            f"(no relevant item and gamma = 1 everywhere); the target is undefined"
        )
    t = w / total
    return t[0] if lists.one_list else t


def _xe_kappa(total_gain: np.ndarray, n: int) -> np.ndarray:
    """``E[1 / (G + U)]`` for each ``G > 0`` of ``total_gain``, ``U`` the sum of ``n`` independent
    U(0, 1) variables (Irwin–Hall).

    From ``1/a = int_0^inf exp(-a x) dx`` and ``E exp(-x U) = ((1 - e^{-x}) / x)^n``; the
    substitution ``x = y / G`` makes the integrand ``e^{-y}`` times a smooth factor in ``(0, 1]``,
    integrated adaptively for all ``G`` at once (relative error about 1e-13).
    """
    from scipy.integrate import quad_vec

    g = np.asarray(total_gain, dtype=np.float64)

    def integrand(y):
        x = y / g
        safe = np.where(x > 0, x, 1.0)
        phi = np.where(x > 0, -np.expm1(-x) / safe, 1.0)
        return np.exp(-y) * phi**n

    value, _ = quad_vec(integrand, 0.0, np.inf, epsabs=0.0, epsrel=1e-13, norm="max", limit=2000)
    return value / g


def xe_ndcg_mean_target(labels, *, mask=None):
    r"""The XE-NDCG target averaged over ``gamma_i ~ U(0, 1)`` independent (:func:`xe_ndcg_target`).

    The cross-entropy is linear in the target, so the expected XE-NDCG loss over ``gamma`` is the
    cross-entropy from this mean target. With gains ``g_i = 2**y_i - 1``, ``G = sum_i g_i``,
    ``u_i = 1 - gamma_i`` and ``U = sum_j u_j`` (``n`` real items),

    .. math:: \bar t_i = \mathbb{E}\,\frac{g_i + u_i}{G + U}
              = \frac{1 - G\kappa}{n} + g_i \kappa, \qquad \kappa = \mathbb{E}\,\frac{1}{G + U},

    because ``E[u_i / (G + U)]`` is the same for every item (the ``u_i`` are exchangeable) and
    these ``n`` terms sum to ``1 - G kappa``. So the mean target mixes the uniform distribution,
    with weight ``1 - G kappa``, and the exponential target. ``kappa`` is computed by quadrature
    (relative error about 1e-13); a list with no relevant item gets the uniform target.

    Parameters
    ----------
    labels : array of shape (n,) or (B, n)
    mask : bool array, optional

    Returns
    -------
    ndarray of the shape of ``labels``

    Examples
    --------
    >>> t = xe_ndcg_mean_target([0, 1, 2])
    >>> round(float(t.sum()), 12), bool(t[0] < t[1] < t[2])
    (1.0, True)
    >>> xe_ndcg_mean_target([0, 0]).tolist()
    [0.5, 0.5]
    """
    func = "xe_ndcg_mean_target"
    lists = check_lists(func, labels, labels, mask)
    with np.errstate(over="ignore"):
        g = np.where(lists.mask, np.exp2(lists.labels) - 1.0, 0.0)
    if not np.isfinite(g).all():
        raise ValueError(
            f"{func}: 2**labels overflows float64; got max label {float(lists.labels.max())!r}"
        )
    total = g.sum(axis=1)
    n = lists.mask.sum(axis=1)
    kappa = np.zeros(total.shape)
    for size in np.unique(n):
        rows = (n == size) & (total > 0)
        if rows.any():
            gains_, inverse = np.unique(total[rows], return_inverse=True)
            kappa[rows] = _xe_kappa(gains_, int(size))[inverse]
    # a list with no relevant item (G = 0): uniform target, which the formula gives with kappa = 0
    t = (1.0 - total * kappa)[:, None] / n[:, None] + g * kappa[:, None]
    t = np.where(lists.mask, t, 0.0)
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
    underflows to 0 costs nothing unless it is relevant. The result is inf only when the loss
    itself exceeds float max (a relevant item ~1.8e308 below the top).

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
    x = _scaled(func, lists.scores, temperature)
    logp = _log_softmax_2d(x, lists.mask)
    values = _cross_entropy(t, logp, x, lists.mask)
    return lists.unwrap(_undefined(func, defined, lists, no_relevant, values))


def _cross_entropy(t: np.ndarray, logp: np.ndarray, x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``-sum_i t_i log p_i`` per row, from the log-probabilities of the scaled scores ``x``."""
    # Terms with t_i = 0 are skipped before multiplying: 0 * log p_i would be 0 * -inf = NaN (and a
    # RuntimeWarning) at masked items and wherever p_i underflows to 0.
    values = 0.0 - (t * np.where(t > 0, logp, 0.0)).sum(axis=1)  # 0.0 - x: no -0.0
    return _beyond_float_max(values, t, x, mask)


def _beyond_float_max(values, t, x, mask):
    """Recompute the rows whose loss came out inf because a term overflowed.

    ``-log p_i = (top - x_i) + lse`` overflows when a relevant item is more than float max below
    the top score, although the weighted mean may be representable (e.g. (1e308 + 2e308) / 2).
    With ``sum_i t_i = 1`` the loss is ``2 sum_i t_i (top/2 - x_i/2) + lse``, whose halves cannot
    overflow; the result is inf only if the loss itself exceeds float max.
    """
    bad = np.isinf(values)
    if not bad.any():
        return values
    xb, tb, mb = x[bad], t[bad], mask[bad]
    top = np.where(mb, xb, -np.inf).max(axis=1, keepdims=True)
    half_gap = np.where(tb > 0, top * 0.5 - xb * 0.5, 0.0)
    with np.errstate(over="ignore", under="ignore"):
        lse = np.log(np.exp(np.where(mb, xb - top, -np.inf)).sum(axis=1))
        values[bad] = 2.0 * (tb * half_gap).sum(axis=1) + lse
    return values


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
    values = _negatives_cross_entropy(x, t, lists)
    return lists.unwrap(_undefined(func, defined, lists, no_relevant, values))


def _negatives_cross_entropy(x: np.ndarray, t: np.ndarray, lists: Lists) -> np.ndarray:
    """``-sum_{i relevant} t_i log(e^x_i / (e^x_i + sum_{j non-relevant} e^x_j))`` per row."""
    top, log_sum = _negatives_log_normaliser(x, lists.mask & (lists.labels <= 0))
    # Only at the relevant items (t > 0): elsewhere the term is unused, and may be inf.
    rows, cols = np.nonzero((t > 0) & (lists.labels > 0))
    return _negatives_sum(rows, x[rows, cols], t[rows, cols], top, log_sum)


def _negatives_log_normaliser(x: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log sum_{j in neg} e^x_j`` of each row as ``top + log_sum``: the largest negative
    (0 when there is none) and the log of the shifted sum (-inf when there is none)."""
    xn = np.where(neg, x, -np.inf)
    top = xn.max(axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        log_sum = np.log(np.exp(xn - top[:, None]).sum(axis=1))
    return top, log_sum


def _negatives_sum(rows, x_rel, t_rel, top, log_sum) -> np.ndarray:
    """``sum_i t_i log(1 + e^(lse - x_i))`` per row over the relevant items ``i`` (given by row,
    score and target), ``lse = top + log_sum`` the negatives' log normaliser."""
    with np.errstate(over="ignore", under="ignore"):
        # -log(e^x / (e^x + e^lse)) = log(1 + e^(lse - x)) = logaddexp(0, lse - x), with lse - x
        # formed as (top - x) + log_sum: forming top + log_sum first would round it at the scale of
        # |top| (an error of ~1e-11 at |s| = 1e5, enough to break ell_neg <= ListNet loss).
        gap = top[rows] - x_rel
        weighted = t_rel * np.logaddexp(0.0, gap + log_sum[rows])
        over = np.isinf(gap)  # more than float max apart: log(1 + e^y) = y, computed in halves
        if over.any():
            half_gap = top[rows][over] * 0.5 - x_rel[over] * 0.5
            weighted[over] = 2.0 * (t_rel[over] * half_gap) + t_rel[over] * log_sum[rows][over]
        return np.bincount(rows, weights=weighted, minlength=top.shape[0])


# --- margin logits (NormFace / CosFace / ArcFace) and InfoNCE ----------------------------------

MARGIN_KINDS = ("normface", "cosface", "arcface")
_DEFAULT_MARGIN = {"normface": 0.0, "cosface": 0.35, "arcface": 0.5}


def _check_margin_args(func, cosines, target_index, kind, scale, margin):
    check_option(func, "kind", kind, MARGIN_KINDS)
    scale = check_positive_float(func, "scale", scale)
    if margin is None:
        margin = _DEFAULT_MARGIN[kind]
    elif kind == "normface":
        margin = check_real(func, "margin", margin, low=0.0, high=0.0)  # NormFace has no margin
    elif kind == "arcface":
        margin = check_real(func, "margin", margin, low=0.0, high=np.pi, high_open=True)
    else:
        margin = check_real(func, "margin", margin, low=0.0)
    c = check_scores(func, cosines, name="cosines")
    if c.min() < -1.0 or c.max() > 1.0:
        raise ValueError(
            f"{func}: 'cosines' must lie in [-1, 1]; "
            f"got min={float(c.min())!r}, max={float(c.max())!r}"
        )
    one = c.ndim == 1
    c2 = np.atleast_2d(c)
    target = check_indices(
        func, "target_index", target_index, shape=() if one else (c2.shape[0],), upper=c2.shape[1]
    )
    return c2, np.atleast_1d(target), one, scale, margin


def _arcface_target(c: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """ArcFace's target cosine ``cos(theta + m)`` and its derivative in ``cos(theta)``.

    Beyond ``theta + m > pi`` (``cos(theta) < -cos(m)``) the linear fallback
    ``cos(theta) - m sin(m)`` of the authors' reference implementation (insightface) is used.
    """
    sin_theta = np.sqrt(np.maximum((1.0 - c) * (1.0 + c), 0.0))
    inside = c >= -np.cos(margin)  # theta + m <= pi
    value = np.where(
        inside, c * np.cos(margin) - sin_theta * np.sin(margin), c - margin * np.sin(margin)
    )
    # d cos(theta + m) / d cos(theta) = cos m + sin m cos(theta) / sin(theta): infinite at theta = 0
    # when m > 0; the floor keeps it finite (only reached when an embedding equals its proxy).
    with np.errstate(divide="ignore"):
        slope = np.cos(margin) + np.sin(margin) * c / np.maximum(sin_theta, 1e-12)
    return value, np.where(inside, slope, 1.0)


def _margin_logits_2d(c2, target, kind, scale, margin) -> tuple[np.ndarray, np.ndarray]:
    """Logits (B, C) and the derivative of each row's target logit in its target cosine (B,)."""
    rows = np.arange(c2.shape[0])
    ct = c2[rows, target]
    if kind == "arcface":
        t_value, t_slope = _arcface_target(ct, margin)
    else:
        t_value, t_slope = ct - margin, np.ones_like(ct)  # NormFace: margin 0
    logits = scale * c2
    logits[rows, target] = scale * t_value
    return logits, scale * t_slope


def margin_logits(cosines, target_index, *, kind="normface", scale=16.0, margin=None):
    r"""Logits of the normalised-softmax family: NormFace, CosFace and ArcFace.

    With ``cosines[j] = cos(theta_j)`` between an L2-normalised embedding and the normalised proxy
    of class ``j``, and ``y = target_index``:

    .. math::

        z_j = s \cos\theta_j \ (j \ne y), \qquad
        z_y = \begin{cases}
            s \cos\theta_y & \text{NormFace} \\
            s (\cos\theta_y - m) & \text{CosFace} \\
            s \cos(\theta_y + m) & \text{ArcFace}
        \end{cases}

    :cite:p:`wang2017normface,wang2018cosface,deng2019arcface`. The loss is then the softmax
    cross-entropy with a one-hot target, ``softmax_cross_entropy(onehot(y), z)``: a ListNet loss
    with one relevant item, so :prf:ref:`thm-rr-bound` bounds ``-log`` of the reciprocal rank of
    the true class among the proxies (ranked by cosine) by it. A margin only lowers the target
    logit, so the CosFace and ArcFace losses are at least the NormFace loss, and the bound holds
    for them too.

    ArcFace when ``theta_y + m > pi``: ``cos(theta_y + m)`` would start to *increase* with
    ``theta_y``. The choice here follows the authors' reference implementation (insightface) and
    its common ports: for ``cos(theta_y) < cos(pi - m)`` the target logit is
    ``s (cos(theta_y) - m sin m)``. It keeps the target logit decreasing in ``theta_y`` and below
    ``s cos(theta_y)``; at the switch it drops from ``-s`` to ``-s (cos m + m sin m) <= -s``.

    Parameters
    ----------
    cosines : array of shape (C,) or (B, C), values in [-1, 1]
    target_index : int, or int array of shape (B,)
        The true class of each row.
    kind : {"normface", "cosface", "arcface"}
    scale : float > 0
        ``s``; the papers use 64 with thousands of classes.
    margin : float >= 0, optional
        ``m``; by default 0.35 (CosFace) or 0.5 (ArcFace), the papers' values. NormFace accepts
        only ``None`` or 0. ArcFace needs ``m < pi``.

    Returns
    -------
    ndarray of the shape of ``cosines``

    Examples
    --------
    >>> margin_logits([0.5, 0.1], 0, kind="cosface", scale=10.0, margin=0.2).round(6).tolist()
    [3.0, 1.0]
    >>> c = np.cos(np.pi / 3)  # theta_y = 60 degrees; ArcFace adds 60 more: cos(120 deg) = -0.5
    >>> margin_logits([c, 0.1], 0, kind="arcface", scale=10.0, margin=np.pi / 3).round(6).tolist()
    [-5.0, 1.0]
    """
    func = "margin_logits"
    c2, target, one, scale, margin = _check_margin_args(
        func, cosines, target_index, kind, scale, margin
    )
    logits, _ = _margin_logits_2d(c2, target, kind, scale, margin)
    return logits[0] if one else logits


def info_nce(labels, scores, *, temperature=0.1, mask=None, no_relevant="raise"):
    r"""InfoNCE / supervised-contrastive loss of each anchor over its in-batch candidates.

    For an anchor whose candidates have scores ``s_j`` (similarities, e.g. cosines of normalised
    embeddings) and positives ``P = {j : labels_j > 0}``:

    .. math:: \ell = -\frac{1}{|P|} \sum_{p \in P} \log \frac{e^{s_p/\tau}}{\sum_{j} e^{s_j/\tau}}

    With one positive this is InfoNCE :cite:p:`oord2018representation`; with several it is the
    ``L_out`` form of the supervised contrastive loss :cite:p:`khosla2020supervised`, which averages
    the log-probabilities over the positives. It is exactly :func:`softmax_cross_entropy` with the
    linear target on the binary labels ``labels > 0`` and temperature ``tau`` — so every bound of
    the book applies to it, with the anchor's candidates as the ranked list. Graded labels are
    binarised (each positive weighs ``1/|P|``).

    The anchor itself is not a candidate: in a batch similarity matrix pass
    ``mask=~np.eye(n, dtype=bool)`` (and the same-class matrix without its diagonal as labels).

    Parameters
    ----------
    labels : array of shape (n,) or (B, n)
        Positives (> 0) and negatives (0) of each anchor.
    scores : array of the same shape
        The anchor's similarity to each candidate.
    temperature : float > 0
    mask : bool array, optional
        False at items that are not candidates (the anchor itself, padding).
    no_relevant : {"raise", "nan", "zero"}
        What an anchor without any positive gives.

    Examples
    --------
    >>> sims = np.array([0.9, 0.1, -0.2])
    >>> direct = -np.log(np.exp(sims[0] / 0.5) / np.exp(sims / 0.5).sum())
    >>> bool(np.isclose(info_nce([1, 0, 0], sims, temperature=0.5), direct))
    True
    """
    func = "info_nce"
    check_option(func, "no_relevant", no_relevant, _NO_RELEVANT)
    temperature = check_positive_float(func, "temperature", temperature)
    lists = check_lists(func, labels, scores, mask)
    positives = dataclasses.replace(lists, labels=(lists.labels > 0).astype(np.float64))
    t, defined = _target_2d(func, positives, "linear")
    x = _scaled(func, lists.scores, temperature)
    logp = _log_softmax_2d(x, lists.mask)
    values = _cross_entropy(t, logp, x, lists.mask)
    if no_relevant == "raise" and not defined.all():
        where = which_lists(~defined, lists.one_list)
        raise ValueError(
            f"{func}: {where} has no positive (label > 0), so the loss is undefined; "
            f"pass no_relevant='nan' or 'zero' to accept such anchors"
        )
    return lists.unwrap(_undefined(func, defined, lists, no_relevant, values))


# --- sampled softmax -----------------------------------------------------------------------------


def sampled_softmax_cross_entropy(
    positive_scores, negative_scores, *, catalogue_size=None, temperature=1.0, mask=None
):
    r"""Sampled softmax cross-entropy: one positive against ``K`` sampled negatives.

    .. math:: \ell_K = -\log \frac{e^{s_+/T}}{e^{s_+/T} + w \sum_{j \in S} e^{s_j/T}}
              = \log\Big(1 + w \sum_{j \in S} e^{(s_j - s_+)/T}\Big)

    where ``S`` holds the ``K`` negatives of a row (its unmasked entries). With
    ``catalogue_size=None``, ``w = 1``: the plain sampled softmax, which is
    :func:`softmax_cross_entropy` on the list ``[positive, negatives]`` with the positive as the
    only relevant item. With ``catalogue_size=N``, ``w = N / K``: the logQ correction for negatives
    drawn uniformly without replacement from ``N``, i.e. every negative logit shifted by
    ``-log(K / N)``, minus the log of its inclusion probability. Then
    ``w sum_S e^{s_j/T}`` is an unbiased estimate of the negatives' full partition sum.

    What each form bounds (chapter *Sampled softmax: what the bound sees*):

    * plain: ``log(1 + rho_K) <= l_K``, with ``rho_K`` the number of sampled negatives scored at
      or above the positive (:prf:ref:`thm-sampled-rank-bound`): the rank among the sample, not
      in the catalogue (:prf:ref:`thm-sampled-full-failure`);
    * corrected: ``E_S[exp(l_K)]`` equals the exponential of the full-catalogue loss, but
      ``E_S[l_K]`` is at most the full loss, and can be below ``-log`` of the full reciprocal
      rank (:prf:ref:`thm-sampled-correction`).

    Parameters
    ----------
    positive_scores : float, or array of shape (B,)
        The positive's score: a number for one list (1-D ``negative_scores``), one per row for a
        batch.
    negative_scores : array of shape (K,) or (B, K)
        Scores of the sampled negatives.
    catalogue_size : int, optional
        ``N``, the number of negatives the sample was drawn from (uniformly, without
        replacement); it must be at least ``K``. None (default): no correction.
    temperature : float > 0
    mask : bool array of the shape of ``negative_scores``, optional
        False at padding; ``K`` is then the number of real negatives of each row (at least one).

    Returns
    -------
    float or ndarray of shape (B,)

    Raises
    ------
    ValueError
        ``catalogue_size`` below ``K``, shapes that do not match, non-finite scores, a row whose
        mask hides every negative, or scores that overflow when divided by the temperature.
    TypeError
        A non-numeric score, an array positive for a single list, or a non-int
        ``catalogue_size``.

    Notes
    -----
    Computed as ``logaddexp(0, (m - s_+/T) + log sum_S e^{s_j/T - m} + log w)`` with
    ``m = max_S s_j/T``: no exponential overflows, and the result is exact to rounding even when
    the positive is far above or below the negatives.

    Examples
    --------
    >>> round(sampled_softmax_cross_entropy(0.0, [0.0]), 6)  # one tied negative: log 2
    0.693147
    >>> round(sampled_softmax_cross_entropy(0.0, [0.0], catalogue_size=4), 6)  # log(1 + 4)
    1.609438
    >>> sampled_softmax_cross_entropy([1e300, 0.0], [[-1e300, 0.0], [0.0, 0.0]]).round(6).tolist()
    [0.0, 1.098612]
    """
    func = "sampled_softmax_cross_entropy"
    temperature = check_positive_float(func, "temperature", temperature)
    neg = check_scores(func, negative_scores, name="negative_scores")
    one = neg.ndim == 1
    neg2 = np.atleast_2d(neg)
    if one:
        if isinstance(positive_scores, np.ndarray) and positive_scores.ndim == 0:
            positive_scores = positive_scores.item()
        pos = np.array([check_real(func, "positive_scores", positive_scores)])
    else:
        pos = check_array(func, "positive_scores", positive_scores, ndim=1)
        if pos.shape != (neg2.shape[0],):
            raise ValueError(
                f"{func}: 'positive_scores' must hold one score per row of 'negative_scores', "
                f"shape {_shape_str((neg2.shape[0],))}; got {_shape_str(pos.shape)}"
            )
    if mask is None:
        m2 = np.ones(neg2.shape, dtype=bool)
    else:
        if isinstance(mask, np.ndarray) and mask.shape != neg.shape:
            raise ValueError(
                f"{func}: 'mask' must have the shape of 'negative_scores' "
                f"{_shape_str(neg.shape)}; got {_shape_str(mask.shape)}"
            )
        m2 = _check_mask(func, mask, neg.shape)
    k = m2.sum(axis=1)
    if catalogue_size is None:
        log_w = np.zeros(k.shape)
    else:
        n = check_int(func, "catalogue_size", catalogue_size)
        if n < k.max():
            raise ValueError(
                f"{func}: 'catalogue_size' must be at least the number of sampled negatives K; "
                f"got catalogue_size={n} and K={int(k.max())}"
            )
        log_w = np.log(n) - np.log(k)
    xn = np.where(m2, _scaled(func, neg2, temperature), -np.inf)
    xp = _scaled(func, pos, temperature)
    top = xn.max(axis=1)  # finite: every row keeps a negative
    with np.errstate(over="ignore", under="ignore"):
        log_sum = np.log(np.exp(xn - top[:, None]).sum(axis=1))  # in [0, log K]
        # (top - xp) first, as in negatives_cross_entropy: forming top + log_sum first would
        # round at the scale of |top|. An overflow to inf is the correctly rounded value.
        values = np.logaddexp(0.0, (top - xp) + log_sum + log_w)
    return float(values[0]) if one else values
