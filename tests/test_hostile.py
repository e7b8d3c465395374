"""Hostile input, part two: what ``test_validation.py`` does not reach.

``test_validation.py`` holds the table of *refused* input (wrong types, shapes, options, non-finite
values), run on every public function. This file covers input that is legal but extreme, and the
promises made about it:

1. scores at the ends of float64 (1e308, subnormals, signed zeros) give the metric of any other
   scores in the same order, the losses' closed forms, bounds that hold, and no numpy warning;
2. inputs are never modified (any dtype, memory order, stride, read-only);
3. float32 / float16 / small-int input gives exactly what the same values as float64 give;
4. long lists (n(n+1)/2 > 2**31) against closed forms, and the 2**53 limit on integers;
5. the input kinds the validation table misses (exotic dtypes, option spellings, huge ``k``);
6. Hypothesis: every bound of :data:`rankbound.BOUND_NAMES`, under every tie policy, on
   adversarial lists (extreme scales, ``s/T`` near +-700, last-ulp near-ties, all tied, a single
   relevant item), with temperatures 1e-3..1e3, and each per-function chain to the tolerance
   documented in :func:`rankbound.check` (Notes).

Expected values never come from the code under test: they are closed forms, brute-force orders,
or the same function on an order-preserving rescaled copy of the scores. (The eleven bugs this
file found when it was written are fixed; a bug found later is marked ``xfail(strict=True)``
with the input, what comes back and what should, until it is fixed.)

"No numpy warning" is checked with the warnings recorded and numpy's error state set explicitly
to warn on overflow, invalid and divide-by-zero (so the check does not depend on the caller's
``np.errstate``); underflow stays ignored, as numpy's default, because ``exp`` of a very
negative number underflowing to 0 is the correct result.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as xnp
from test_validation import FUNCTIONS, check_message, invoke, keyword_only, positional

import rankbound as rb

TIES = rb.TIE_POLICIES
EPS = float(np.finfo(np.float64).eps)
TINY = 5e-324  # smallest subnormal
MIN_NORMAL = float(np.finfo(np.float64).tiny)  # 2.2250738585072014e-308
BIG = float(np.finfo(np.float64).max)


# --------------------------------------------------------------------------------------------
# helpers


@contextlib.contextmanager
def no_numpy_warnings():
    """Fail if anything inside warns (numpy's overflow/invalid/divide set to warn explicitly)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            yield
    assert not caught, [f"{w.category.__name__}: {w.message}" for w in caught]


def strict_call(func, *args, **kwargs):
    with no_numpy_warnings():
        return func(*args, **kwargs)


def dense_ranks(values) -> np.ndarray:
    """Order-preserving small scores: 1 for the lowest distinct value, 2 for the next, ...

    Pure Python: ties are Python ``==`` (IEEE equality, so -0.0 ties with 0.0; 5e-324 does not).
    """
    vals = [float(v) for v in np.ravel(values)]
    rank = {v: float(i + 1) for i, v in enumerate(sorted(set(vals)))}
    return np.array([rank[v] for v in vals]).reshape(np.shape(values))


def same(a, b, path="result") -> None:
    """Bit-for-bit equality of results: floats, arrays, dataclasses, tuples, dicts."""
    if dataclasses.is_dataclass(a):
        assert type(a) is type(b), path
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (np.ndarray, float, np.floating)):
        a_, b_ = np.asarray(a), np.asarray(b)
        assert type(a) is type(b) and a_.dtype == b_.dtype and a_.shape == b_.shape, path
        assert a_.tobytes() == b_.tobytes(), (path, a, b)
    else:
        assert type(a) is type(b) and a == b, (path, a, b)


def arrays_in(result):
    """Every ndarray inside a result (for the aliasing check)."""
    if isinstance(result, np.ndarray):
        yield result
    elif dataclasses.is_dataclass(result):
        for f in dataclasses.fields(result):
            yield from arrays_in(getattr(result, f.name))
    elif isinstance(result, (tuple, list)):
        for x in result:
            yield from arrays_in(x)


def tied_rank(scores: np.ndarray) -> np.ndarray:
    """r_i = #{j : s_j >= s_i}, by brute force."""
    s = np.asarray(scores, dtype=np.float64)
    return (s[None, :] >= s[:, None]).sum(axis=1).astype(np.float64)


def brute_order(labels, scores, ties: str) -> list[int]:
    """Items best first under a realisable tie policy, by Python's sort."""
    y, s = list(map(float, labels)), list(map(float, scores))
    second = {"pessimistic": lambda i: y[i], "optimistic": lambda i: -y[i], "stable": lambda i: 0}
    return sorted(range(len(s)), key=lambda i: (-s[i], second[ties](i), i))


def brute_metrics(labels, scores, ties: str) -> dict[str, float]:
    """RR, AP and linear-gain NDCG of the brute-force order (labels with a relevant item)."""
    y = [float(v) for v in labels]
    order = brute_order(labels, scores, ties)
    rel = [y[i] > 0 for i in order]
    positions = [p + 1 for p, r in enumerate(rel) if r]
    ap = sum((k + 1) / p for k, p in enumerate(positions)) / len(positions)
    dcg = math.fsum(y[i] / math.log2(p + 2) for p, i in enumerate(order))
    idcg = math.fsum(g / math.log2(p + 2) for p, g in enumerate(sorted(y, reverse=True)))
    return {"rr": 1.0 / positions[0], "ap": ap, "ndcg": dcg / idcg}


# The documented tolerance (rankbound.check, Notes): lhs <= rhs holds when
# lhs - rhs <= 4 n eps (1 + S) + 4 n eps max(|lhs|, |rhs|), S = max |s| / T.
def within_tolerance(lhs: float, rhs: float, n: int, scale: float) -> bool:
    return lhs - rhs <= 4 * n * EPS * (1 + scale) + 4 * n * EPS * max(abs(lhs), abs(rhs))


# Each chain written out from the theorems (smallest term first), not read from the package.
CHAINS = {
    "reciprocal_rank_bound": ("neg_log_metric", "middle", "loss"),
    "ndcg_bound": ("neg_log_metric", "middle", "shifted_loss", "loss"),
    "average_precision_bound": ("neg_log_metric", "neg_log_lower", "middle", "loss_neg", "loss"),
    "recall_bound": ("miss", "miss_tied", "middle", "scaled_loss"),
    "graded_ndcg_bound": ("neg_log_metric", "middle", "shifted_loss", "loss"),
}


def assert_chain(name: str, out, n: int, scale: float) -> None:
    terms = [float(getattr(out, t)) for t in CHAINS[name]]
    assert all(math.isfinite(t) for t in terms), (name, out)
    pairs = list(zip(terms[:-1], terms[1:], strict=True)) + [(terms[0], terms[-1])]
    for lhs, rhs in pairs:
        assert within_tolerance(lhs, rhs, n, scale), (name, lhs, rhs, out)


def bound_call(name: str, labels, scores, *, ties, temperature=1.0, k=2):
    func = getattr(rb, name)
    kw = {"k": k} if name == "recall_bound" else {}
    return strict_call(func, labels, scores, ties=ties, temperature=temperature, **kw)


METRICS = {
    "reciprocal_rank": rb.reciprocal_rank,
    "precision_at_k": rb.precision_at_k,
    "recall_at_k": rb.recall_at_k,
    "average_precision": rb.average_precision,
    "dcg": rb.dcg,
    "ndcg": rb.ndcg,
}


def metric_variants(name: str):
    """The option sets each metric is checked with (k and gain where it takes them)."""
    opts = keyword_only(METRICS[name])
    ks = [None, 2] if "k" in opts else [None]
    gains_ = ["linear", "exponential"] if "gain" in opts else [None]
    for k in ks:
        for g in gains_:
            kw = {}
            if k is not None:
                kw["k"] = k
            if g is not None:
                kw["gain"] = g
            yield kw


# --------------------------------------------------------------------------------------------
# 1. extreme scores

# length 8, to pair with LABELS_BINARY / LABELS_GRADED
EXTREME_SCORES = {
    "huge-and-subnormal": [1e308, TINY, 0.0, -TINY, MIN_NORMAL, -1e308, 1.0, -2.5],
    "ties-at-the-extremes": [1e308, 1e308, TINY, TINY, 0.0, -0.0, -1e308, -1e308],
    "subnormals-only": [
        TINY,
        2 * TINY,
        0.0,
        MIN_NORMAL,
        np.nextafter(MIN_NORMAL, 0),
        -TINY,
        3 * TINY,
        0.0,
    ],
    "float-max": [BIG, -BIG, np.nextafter(BIG, 0), 0.0, BIG, -np.nextafter(BIG, 0), TINY, -BIG],
    "one-huge-many-ordinary": [1e308, 1.0, 2.0, 3.0, 1.0, -1.0, 2.0, 0.5],
    "ordinary-and-subnormal-ties": [0.5, TINY, 0.5, TINY, 0.0, -0.0, -TINY, 1e-320],
}
LABELS_BINARY = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0])
LABELS_GRADED = np.array([0.0, 1.0, 0.0, 3.0, 2.0, 0.0, 4.0, 1.0])


@pytest.mark.parametrize("scores", EXTREME_SCORES.values(), ids=EXTREME_SCORES)
@pytest.mark.parametrize("name", METRICS)
def test_metric_of_extreme_scores_equals_metric_of_rescaled_copy(name, scores):
    # A metric sees only the order (and the tie groups) of the scores: dense ranks 1..d keep both,
    # so every tie policy must give exactly the same value on them.
    scores = np.array(scores)
    small = dense_ranks(scores)
    for labels in (LABELS_BINARY, LABELS_GRADED):
        for ties in TIES:
            for kw in metric_variants(name):
                got = strict_call(METRICS[name], labels, scores, ties=ties, **kw)
                want = strict_call(METRICS[name], labels, small, ties=ties, **kw)
                assert got == want, (ties, kw, got, want)
                # and as one row of a batch, next to an ordinary list
                batch = strict_call(
                    METRICS[name],
                    np.vstack([labels, labels]),
                    np.vstack([scores, small]),
                    ties=ties,
                    **kw,
                )
                assert batch[0] == batch[1] == want, (ties, kw, batch)


# (higher, lower): distinct floats, the lower one adjacent or nearly so
DISTINCT_PAIRS = [
    (TINY, 0.0),
    (0.0, -TINY),
    (2 * TINY, TINY),
    (MIN_NORMAL, np.nextafter(MIN_NORMAL, 0)),
    (1e-320, 0.0),
    (np.nextafter(1e308, np.inf), 1e308),
    (BIG, np.nextafter(BIG, 0)),
    (-np.nextafter(BIG, 0), -BIG),
]


@pytest.mark.parametrize(
    ("hi", "lo"), DISTINCT_PAIRS, ids=[f"{h!r}>{lo!r}" for h, lo in DISTINCT_PAIRS]
)
def test_distinct_neighbouring_floats_are_not_a_tie(hi, lo):
    # 5e-324 > 0 is a real, different score. The relevant item is below: were the two a tie,
    # "optimistic" would put it first (RR = 1); they are not, so every policy gives RR = 1/2.
    assert hi > lo
    labels, scores = [0.0, 1.0], [hi, lo]
    for ties in TIES:
        assert strict_call(rb.reciprocal_rank, labels, scores, ties=ties) == 0.5, ties
        assert strict_call(rb.average_precision, labels, scores, ties=ties) == 0.5, ties
        assert strict_call(rb.ndcg, labels, scores, ties=ties) == pytest.approx(1 / math.log2(3))
        assert strict_call(rb.ranks, labels, scores, ties=ties).tolist() == [1.0, 2.0]
    for ties in ("pessimistic", "optimistic", "stable"):
        assert strict_call(rb.order, labels, scores, ties=ties).tolist() == [0, 1]
    assert strict_call(rb.tied_ranks, scores).tolist() == [1.0, 2.0]
    assert strict_call(rb.tied_ranks, scores, method="min").tolist() == [1.0, 2.0]
    # the bound's rank side sees two distinct ranks too: middle = log 2 for the lower item
    out = bound_call("reciprocal_rank_bound", labels, scores, ties="optimistic")
    assert out.middle == pytest.approx(math.log(2), rel=1e-15)


def test_signed_zeros_are_a_tie():
    # -0.0 == 0.0: one tie group of two, the relevant item second in index order.
    labels, scores = [0.0, 1.0], [0.0, -0.0]
    expected = {"pessimistic": 0.5, "optimistic": 1.0, "stable": 0.5, "average": 0.75}
    for ties, rr in expected.items():
        assert strict_call(rb.reciprocal_rank, labels, scores, ties=ties) == rr, ties
    assert strict_call(rb.tied_ranks, scores).tolist() == [2.0, 2.0]
    assert strict_call(rb.ranks, labels, scores, ties="average").tolist() == [1.5, 1.5]
    # the rank lemma is an equality on a tied list: log 2 on both sides
    lemma = strict_call(rb.rank_lemma, scores)
    assert lemma.log_rank.tolist() == lemma.neg_log_prob.tolist() == [math.log(2)] * 2


LOG = math.log
H = [1e308, TINY, 0.0, -1e308]  # spread 2e308: beyond float max
SUB = [TINY, 0.0, MIN_NORMAL, -TINY]  # equal to the softmax: every p_i = 1/4 to rounding


# (function, labels, scores, expected value), expected values derived by hand:
# -log p_i = (max s - s_i) + log sum_j exp(s_j - max s), with every exp(-1e308) = 0.
LOSS_CASES = [
    ("sce-top", rb.softmax_cross_entropy, [1, 0, 0, 0], H, 0.0),
    ("sce-second", rb.softmax_cross_entropy, [0, 1, 0, 0], H, 1e308),  # 1e308 - 5e-324 + log 1
    ("sce-spread-1.6e308", rb.softmax_cross_entropy, [0, 1], [8e307, -8e307], 1.6e308),
    ("sce-subnormal", rb.softmax_cross_entropy, [0, 1, 1, 0], SUB, LOG(4)),
    # a term beyond float max, the mean not: (1e308 + 2e308) / 2 and (2e308 + 0) / 2
    ("sce-two-relevant", rb.softmax_cross_entropy, [0, 1, 0, 1], H, 1.5e308),
    ("sce-relevant-at-bottom", rb.softmax_cross_entropy, [1, 1], [-1e308, 1e308], 1e308),
    ("neg-two-relevant", rb.negatives_cross_entropy, [0, 1, 0, 1], H, 1.5e308),
    ("info-nce-two-positives", rb.info_nce, [0, 1, 0, 1], [1e307, TINY, 0.0, -1e307], 1.5e308),
    ("sce-subnormal-T", rb.softmax_cross_entropy, [0, 1, 1, 0], SUB, LOG(4)),
    ("neg-top", rb.negatives_cross_entropy, [1, 0, 0, 0], H, 0.0),
    ("neg-second", rb.negatives_cross_entropy, [0, 1, 0, 0], H, 1e308),
    ("neg-subnormal", rb.negatives_cross_entropy, [0, 1, 1, 0], SUB, LOG(3)),  # vs 2 negatives
    ("info-nce-top", rb.info_nce, [1, 0, 0, 0], [1e307, TINY, 0.0, -1e307], 0.0),  # T = 0.1
    ("info-nce-second", rb.info_nce, [0, 1, 0, 0], [1e307, TINY, 0.0, -1e307], 1e308),  # T=0.1
]


@pytest.mark.parametrize(
    ("case", "func", "labels", "scores", "expected"),
    LOSS_CASES,
    ids=[c.values[0] if hasattr(c, "marks") else c[0] for c in LOSS_CASES],
)
def test_loss_closed_form_at_extreme_scores(case, func, labels, scores, expected):
    temperature = 0.1 if func is rb.info_nce else (1e-3 if case.endswith("-T") else 1.0)
    got = strict_call(func, np.array(labels, float), np.array(scores), temperature=temperature)
    assert math.isfinite(got), got
    assert got == pytest.approx(expected, rel=4 * EPS, abs=0.0)


def test_gradient_and_log_softmax_at_extreme_scores():
    # p = (1, 0, 0, 0) exactly: every other exp(s_j - max) underflows to 0
    grad = strict_call(rb.softmax_cross_entropy_gradient, [0.0, 1.0, 0.0, 1.0], H)
    assert grad.tolist() == [1.0, -0.5, 0.0, -0.5]
    grad = strict_call(rb.softmax_cross_entropy_gradient, [0.0, 1.0, 1.0, 0.0], SUB)
    np.testing.assert_allclose(grad, [0.25, -0.25, -0.25, 0.25], rtol=0, atol=4 * EPS)
    # log p = s - max s - log 1: -2e308 rounds to -inf (IEEE round-to-nearest), and numpy must
    # not warn on the way (the package subtracts under its own errstate)
    assert strict_call(rb.log_softmax, H).tolist() == [0.0, -1e308, -1e308, -np.inf]
    np.testing.assert_allclose(strict_call(rb.log_softmax, SUB), [-LOG(4)] * 4, rtol=EPS)


# bound functions, with score vectors whose spread stays below float max (the loss is finite)
FINITE_SPREAD = {
    "huge-top": [1e308, TINY, 0.0, -TINY, MIN_NORMAL, 1.0, -2.5, 1e308],
    "huge-bottom": [-1e308, 1.0, TINY, 0.0, -2.5, 1.0, -1e308, 2.0],
    "spread-1.6e308": [8e307, -8e307, 3.0, TINY, 8e307, 0.0, -8e307, -0.0],
    "subnormals": EXTREME_SCORES["subnormals-only"],
    "ordinary-and-subnormal-ties": EXTREME_SCORES["ordinary-and-subnormal-ties"],
}


@pytest.mark.parametrize("scores", FINITE_SPREAD.values(), ids=FINITE_SPREAD)
@pytest.mark.parametrize("name", CHAINS)
def test_bound_functions_at_extreme_scores(name, scores):
    scores = np.array(scores)
    labels = LABELS_GRADED if name == "graded_ndcg_bound" else LABELS_BINARY
    ranks_ = tied_rank(scores)
    rel = labels > 0
    for ties in TIES:
        out = bound_call(name, labels, scores, ties=ties)
        assert_chain(name, out, labels.size, float(np.abs(scores).max()))
        # the metric only depends on the order: same as on the dense-rank copy
        small = bound_call(name, labels, dense_ranks(scores), ties=ties)
        assert out.metric == small.metric
        if name in ("reciprocal_rank_bound", "ndcg_bound", "recall_bound"):
            # the rank side, by brute force: (1/m) sum_R log r_i (recall: divided by log(K+1))
            middle = np.log(ranks_[rel]).mean() / (math.log(3) if name == "recall_bound" else 1)
            if name == "ndcg_bound":
                middle += out.log_idcg_ratio
            assert out.middle == pytest.approx(middle, rel=1e-14, abs=1e-15)
    report = strict_call(
        rb.check, labels, scores, bounds=("rank_lemma", "graded_ndcg", "mean:graded_ndcg")
    )
    assert report.ok, str(report)


@pytest.mark.parametrize("scores", FINITE_SPREAD.values(), ids=FINITE_SPREAD)
def test_rank_lemma_and_mean_bound_at_extreme_scores(scores):
    scores = np.array(scores)
    n, scale = scores.size, float(np.abs(scores).max())
    lemma = strict_call(rb.rank_lemma, scores)
    np.testing.assert_array_equal(lemma.log_rank, np.log(tied_rank(scores)))
    assert np.isfinite(lemma.neg_log_prob).all()
    for lhs, rhs in zip(lemma.log_rank, lemma.neg_log_prob, strict=True):
        assert within_tolerance(lhs, rhs, n, scale), (lhs, rhs)
    batch_y = np.vstack([LABELS_BINARY, LABELS_BINARY[::-1], np.zeros(n)])  # last: excluded
    batch_s = np.vstack([scores, scores, scores])
    for metric in ("rr", "ndcg", "ap", "graded_ndcg"):
        for ties in TIES:
            out = strict_call(rb.mean_bound, batch_y, batch_s, metric=metric, ties=ties)
            assert (out.lists, out.excluded) == (2, 1)
            chain = [out.neg_log_mean_metric, out.mean_neg_log_metric, out.mean_loss]
            assert all(math.isfinite(v) for v in chain), out
            assert within_tolerance(chain[0], chain[1], n + 2, scale), out
            assert within_tolerance(chain[1], chain[2], n + 2, scale), out


ALL_BINARY_BOUNDS = tuple(b.replace("recall@K", "recall@3") for b in rb.BOUND_NAMES)


@pytest.mark.parametrize("scores", FINITE_SPREAD.values(), ids=FINITE_SPREAD)
def test_check_at_extreme_scores(scores):
    for ties in TIES:
        report = strict_call(
            rb.check, LABELS_BINARY, np.array(scores), bounds=ALL_BINARY_BOUNDS, ties=ties
        )
        assert report.ok, str(report)


def test_check_with_score_spread_beyond_float_max():
    # a relevant item 2e308 below the top: its term -log p_i is beyond float max, the loss
    # (1e308 + 2e308) / 2 is not; every bound still holds, and nothing warns
    for ties in TIES:
        report = strict_call(rb.check, [0.0, 1.0, 0.0, 1.0], H, bounds=ALL_BINARY_BOUNDS, ties=ties)
        assert report.ok, str(report)
    out = strict_call(rb.average_precision_bound, [0.0, 1.0, 0.0, 1.0], H)
    assert out.loss == pytest.approx(1.5e308, rel=4 * EPS) and out.loss_neg <= out.loss


TEMPERATURE_FUNCTIONS = sorted(n for n, f in FUNCTIONS.items() if "temperature" in keyword_only(f))
# test_validation.test_temperature_overflow covers these three
OVERFLOW_COVERED = {"softmax_cross_entropy", "log_softmax", "negatives_cross_entropy"}


@pytest.mark.parametrize("name", [n for n in TEMPERATURE_FUNCTIONS if n not in OVERFLOW_COVERED])
@pytest.mark.parametrize(("score", "temperature"), [(1e308, 0.5), (2.0, 5e-324)])
def test_temperature_overflow_is_reported_by_the_function_called(name, score, temperature):
    scores = np.array([score, 0.0, 1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning before the error fails the test
        with pytest.raises(ValueError) as excinfo:
            invoke(FUNCTIONS[name], {"scores": scores}, temperature=temperature)
    check_message(excinfo, name, "temperature", ["overflows", repr(temperature)])


@pytest.mark.parametrize("name", TEMPERATURE_FUNCTIONS)
def test_temperature_too_large_for_float_is_refused_clearly(name):
    with pytest.raises((ValueError, TypeError)) as excinfo:
        invoke(FUNCTIONS[name], temperature=10**400)
    check_message(excinfo, name, "temperature", ["10000"])


# labels at the ends of float64: the linear gain / target is scale invariant, so c * y must give
# what y gives (or be refused with a message naming 'labels'), without numpy warnings.
LABEL_Y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0])
LABEL_S = np.array([0.5, 2.0, 1.0, 0.5, -1.0, 3.0])
LABEL_FUNCS = {
    "ndcg": lambda y: rb.ndcg(y, LABEL_S),
    "ndcg-average": lambda y: rb.ndcg(y, LABEL_S, ties="average"),
    "average_precision-average": lambda y: rb.average_precision(y, LABEL_S, ties="average"),
    "reciprocal_rank": lambda y: rb.reciprocal_rank(y, LABEL_S),
    "listnet_target": lambda y: rb.listnet_target(y),
    "softmax_cross_entropy": lambda y: rb.softmax_cross_entropy(y, LABEL_S),
    "negatives_cross_entropy": lambda y: rb.negatives_cross_entropy(y, LABEL_S),
    "softmax_cross_entropy_gradient": lambda y: rb.softmax_cross_entropy_gradient(y, LABEL_S),
    "info_nce": lambda y: rb.info_nce(y, LABEL_S),
    "graded_ndcg_bound": lambda y: rb.graded_ndcg_bound(y, LABEL_S).middle,
    "mean_bound": lambda y: rb.mean_bound(y, LABEL_S, metric="graded_ndcg").mean_loss,
    "check": lambda y: rb.check(y, LABEL_S, bounds=("graded_ndcg",))["graded_ndcg"].min_slack,
}


def scale_invariant(name, c):
    got_error = None
    try:
        with no_numpy_warnings():
            got = LABEL_FUNCS[name](c * LABEL_Y)
    except ValueError as exc:
        got_error = str(exc)
    if got_error is not None:
        func = name.split("-")[0]
        assert got_error.startswith(f"{func}: ") and "'labels'" in got_error, got_error
        return
    want = LABEL_FUNCS[name](LABEL_Y)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", list(LABEL_FUNCS))
def test_labels_near_float_max(name):
    scale_invariant(name, 1e308)  # three relevant labels of 1e308: their sum overflows


@pytest.mark.parametrize("name", list(LABEL_FUNCS))
def test_labels_scaled_by_1e300_and_1e_minus_300(name):
    scale_invariant(name, 1e300)
    scale_invariant(name, 1e-300)


@pytest.mark.parametrize("name", ["ndcg", "ndcg-average", "graded_ndcg_bound"])
def test_subnormal_labels_keep_the_ndcg(name):
    scale_invariant(name, TINY)


def test_exponential_gain_of_a_tiny_positive_label():
    g = strict_call(rb.gains, [1e-300, 1e-17, 0.5], gain="exponential")
    np.testing.assert_allclose(g, [1e-300 * LOG(2), 1e-17 * LOG(2), math.sqrt(2) - 1], rtol=1e-14)
    value = strict_call(rb.ndcg, [1e-300, 0.0], [1.0, 2.0], gain="exponential", no_relevant="raise")
    assert value == pytest.approx(1 / math.log2(3), rel=1e-14)


# --------------------------------------------------------------------------------------------
# 2. inputs are never modified

Y2 = np.array([[0, 1, 0, 1, 0], [1, 1, 0, 0, 0], [0, 0, 0, 0, 1]], dtype=np.float64)
S2 = np.array(
    [[0.5, -0.0, 0.0, 2.0, 0.5], [1.0, 1.0, -3.0, 0.25, 7.0], [0.0, -0.0, 1e-3, 2.0, -2.0]]
)
M2 = np.array([[True, True, True, True, False], [True, False, True, True, True], [True] * 5])


def layouts():
    """(name, labels, scores, mask, the buffers they view): many memory layouts and dtypes."""

    def fresh(dtype=np.float64, order="C"):
        return (
            np.array(Y2, dtype=dtype, order=order),
            np.array(S2, dtype=dtype, order=order),
            np.array(M2, order=order),
        )

    for dtype in (np.float64, np.float32):
        for order in "CF":
            y, s, m = fresh(dtype, order)
            yield f"{np.dtype(dtype).name}-{order}", y, s, m, (y, s, m)
    # every other column of a wider array, and reversed columns (negative strides)
    wide = [np.repeat(a, 2, axis=1) for a in (Y2, S2, M2)]
    yield "strided", wide[0][:, ::2], wide[1][:, ::2], wide[2][:, ::2], tuple(wide)
    rev = [np.array(a[:, ::-1]) for a in (Y2, S2, M2)]
    yield "reversed", rev[0][:, ::-1], rev[1][:, ::-1], rev[2][:, ::-1], tuple(rev)
    # 1-D, non-contiguous: a row of a Fortran-ordered array
    y, s, m = fresh(order="F")
    yield "row-of-F", y[0], s[0], m[0], (y, s, m)
    y, s, m = fresh(order="F")
    yield "column-slice", y.T[:, 1], s.T[:, 1], m.T[:, 1], (y, s, m)
    for dtype in (np.int8, np.uint8, np.int64):
        y = np.array(Y2, dtype=dtype)
        s = np.array(np.round(S2 * 4), dtype=np.int8 if dtype == np.uint8 else dtype)
        m = np.array(M2)
        yield f"{np.dtype(dtype).name}", y, s, m, (y, s, m)
    y, s, m = fresh()
    for a in (y, s, m):
        a.flags.writeable = False
    yield "read-only", y, s, m, (y, s, m)


LAYOUT_NAMES = [lay[0] for lay in layouts()]


@pytest.mark.parametrize("layout", range(len(LAYOUT_NAMES)), ids=LAYOUT_NAMES)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_inputs_are_never_modified_nor_aliased(name, layout):
    # fresh arrays for every test: a function that did modify its input must not hide it from
    # the next test by having already "fixed" the shared arrays
    _, labels, scores, mask, buffers = list(layouts())[layout]
    func = FUNCTIONS[name]
    before = [
        (b.tobytes(order="A"), b.dtype, b.shape, b.strides, b.flags.writeable) for b in buffers
    ]
    # every row of Y2 keeps a relevant real item, so no function refuses it
    options = {"mask": mask} if "mask" in keyword_only(func) else {}
    out = invoke(func, {"labels": labels, "scores": scores}, **options)
    after = [
        (b.tobytes(order="A"), b.dtype, b.shape, b.strides, b.flags.writeable) for b in buffers
    ]
    assert after == before
    for a in arrays_in(out):
        for b in buffers:
            assert not np.shares_memory(a, b)


# --------------------------------------------------------------------------------------------
# 3. float32 / float16 / small ints give what the same values as float64 give


def graded_ok(name):
    # the binary-only functions (check and mean_bound: with their default bounds / metric)
    return name not in {
        "reciprocal_rank_bound",
        "ndcg_bound",
        "average_precision_bound",
        "recall_bound",
        "check",
        "mean_bound",
    }


F32_SCORES = np.array(
    [
        [0.1, np.float32(1e-45), 0.0, -0.0, 3.4e38, 0.1, -3.4e38, 2.5],
        [1e-3, 1e-3, 7.0, -7.0, np.float32(1.17549435e-38), 1e30, 0.1, 0.2],
    ],
    dtype=np.float32,
)
F16_SCORES = np.array([[0.1, 6e-8, 0.0, -0.0, 65504, 0.1, -65504, 2.5]] * 2, dtype=np.float16)
LABELS_2x8 = np.vstack([LABELS_BINARY, LABELS_BINARY[::-1]])
GRADED_2x8 = np.vstack([LABELS_GRADED, LABELS_GRADED[::-1]])


@pytest.mark.parametrize("scores", [F32_SCORES, F16_SCORES], ids=["float32", "float16"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_narrow_floats_equal_their_float64_values(name, scores):
    # The package converts to float64 without loss (rankbound/_validation.py), so metrics *and*
    # losses must be bit-for-bit those of the float64 values: no tolerance is documented for
    # float32 input, and none is needed. (Scores rounded to float32 from other float64 values
    # are a different input; the docs promise nothing about that difference.)
    label_sets = [LABELS_2x8] + ([GRADED_2x8] if graded_ok(name) else [])
    for labels in label_sets:
        for lab in (labels, labels.astype(scores.dtype)):
            narrow = invoke(FUNCTIONS[name], {"labels": lab, "scores": scores})
            wide = invoke(
                FUNCTIONS[name],
                {"labels": lab.astype(np.float64), "scores": scores.astype(np.float64)},
            )
            same(narrow, wide)


INT_DTYPES = (np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_integer_inputs_equal_their_float64_values(name, dtype):
    info = np.iinfo(dtype)
    raw = np.array([[0, 3, 3, 120, -5, 7, 0, 1], [127, -128, 5, 5, 5, 0, 2, 1]])
    scores = np.clip(raw, info.min, info.max).astype(dtype)
    label_sets = [LABELS_2x8] + ([GRADED_2x8] if graded_ok(name) else [])
    for labels in label_sets:
        got = invoke(FUNCTIONS[name], {"labels": labels.astype(dtype), "scores": scores})
        want = invoke(FUNCTIONS[name], {"labels": labels, "scores": scores.astype(np.float64)})
        same(got, want)


# --------------------------------------------------------------------------------------------
# 4. the 2**53 limit on integers, and long lists

LIMIT = 2**53


@pytest.mark.parametrize("dtype", [np.int64, np.uint64, "python-int"])
def test_integer_scores_at_2_53_are_exact(dtype):
    # 2**53 and 2**53 - 1 are adjacent float64 values: accepted, and not a tie
    values = [LIMIT, LIMIT - 1]
    scores = values if dtype == "python-int" else np.array(values, dtype=dtype)
    for ties in TIES:
        assert strict_call(rb.reciprocal_rank, [0, 1], scores, ties=ties) == 0.5
    np.testing.assert_array_equal(strict_call(rb.ranks, [0, 1], scores), [1.0, 2.0])
    if dtype == np.int64:
        neg = np.array([-LIMIT + 1, -LIMIT], dtype=np.int64)
        assert strict_call(rb.reciprocal_rank, [0, 1], neg, ties="optimistic") == 0.5
    labels = [LIMIT, 0] if dtype == "python-int" else np.array([LIMIT, 0], dtype=dtype)
    assert strict_call(rb.listnet_target, labels).tolist() == [1.0, 0.0]


BEYOND = [
    pytest.param(
        "scores",
        np.array([LIMIT + 1, LIMIT], dtype=np.int64),
        "9.0072e+15",
        id="int64-2**53+1",
    ),
    pytest.param(
        "scores",
        np.array([-LIMIT - 1, 0], dtype=np.int64),
        "9.0072e+15",
        id="int64-minus-2**53-1",
    ),
    pytest.param(
        "scores",
        np.array([LIMIT + 1, 0], dtype=np.uint64),
        "9.0072e+15",
        id="uint64-2**53+1",
    ),
    pytest.param("scores", [LIMIT + 1, LIMIT], "9.0072e+15", id="python-int-2**53+1"),
    pytest.param(
        "labels",
        np.array([LIMIT + 1, 0], dtype=np.int64),
        "9.0072e+15",
        id="labels-int64-2**53+1",
    ),
    pytest.param(
        "scores", np.array([LIMIT + 2, 0], dtype=np.int64), "9.0072e+15", id="int64-2**53+2"
    ),
    pytest.param(
        "scores", np.array([2**64 - 1, 0], dtype=np.uint64), "1.84467e+19", id="uint64-max"
    ),
    pytest.param("scores", np.array([np.iinfo(np.int64).min, 0]), "9.22337e+18", id="int64-min"),
]


@pytest.mark.parametrize(("param", "value", "shown"), BEYOND)
def test_integers_beyond_2_53_are_refused(param, value, shown):
    arrays = {"labels": [0, 1], "scores": [1.0, 2.0], param: value}
    for name in ("reciprocal_rank", "ndcg", "softmax_cross_entropy", "check"):
        with pytest.raises(ValueError) as excinfo:
            options = {"ties": "optimistic"} if "ties" in keyword_only(FUNCTIONS[name]) else {}
            invoke(FUNCTIONS[name], arrays, **options)
        check_message(excinfo, name, param, ["2**53", shown])


N_LONG = 70_000  # n (n + 1) / 2 = 2.45e9 > 2**31: a 32-bit count of positions would overflow
assert N_LONG * (N_LONG + 1) // 2 > 2**31


def harmonic(n: int) -> float:
    return math.fsum(1.0 / j for j in range(1, n + 1))


def discounts(lo: int, hi: int) -> float:
    """sum_{p=lo}^{hi} 1 / log2(p + 1)."""
    return math.fsum(1.0 / math.log2(p + 1) for p in range(lo, hi + 1))


@pytest.mark.parametrize("m", [1, 2, 7, N_LONG])
def test_long_all_tied_list_matches_closed_forms(m):
    n = N_LONG
    labels = np.zeros(n)
    relevant = np.linspace(0, n - 1, m).round().astype(int)  # spread out; index 0 always
    labels[relevant] = 1.0
    scores = np.full(n, 0.25)
    hn = harmonic(n)
    d_m, d_n = discounts(1, m), discounts(1, n)
    # Closed forms for one tie group of n items holding m relevant ones:
    # pessimistic: the m relevant items at positions n-m+1..n; optimistic: at 1..m; stable: in
    # index order (index 0 is relevant, so first).
    # average (expectation over the n! orders):
    #   RR: P(first relevant at j) = C(n-j, m-1) / C(n, m); m = 1 gives H_n / n, m = 2 gives
    #       sum_j (n-j) / (j C(n,2)) = 2 (n H_{n-1} - (n-1)) / (n (n-1)); m = n gives 1.
    #   AP: E[rel(p) * hits(1..p) / p] = (m/n)(1 + (p-1)(m-1)/(n-1)) / p, summed over p and
    #       divided by m: (1/n) [H_n + (m-1)/(n-1) (n - H_n)]  (not m/n: that is only its limit).
    #   DCG: each position gets the mean gain m/n: (m/n) D_n; NDCG = (m/n) D_n / D_m.
    #   P@k = (k m / n) / k = m/n, R@k = k/n.
    # RR(average) in general: sum_j P(first at j) / j, with exact integer binomials
    c_nm = math.comb(n, m)
    rr_avg = math.fsum(math.comb(n - j, m - 1) / c_nm / j for j in range(1, n - m + 2))
    short = {1: hn / n, 2: 2 * (n * harmonic(n - 1) - (n - 1)) / (n * (n - 1)), n: 1.0}
    if m in short:  # the closed forms above agree with the sum (a check of the derivation)
        assert rr_avg == pytest.approx(short[m], rel=1e-12)
    expected = {
        "pessimistic": {
            "rr": 1 / (n - m + 1),
            "ap": math.fsum(i / (n - m + i) for i in range(1, m + 1)) / m,
            "ndcg": discounts(n - m + 1, n) / d_m,
        },
        "optimistic": {"rr": 1.0, "ap": 1.0, "ndcg": 1.0},
        "stable": {
            "rr": 1.0,
            "ap": math.fsum((i + 1) / (p + 1) for i, p in enumerate(relevant)) / m,
            "ndcg": math.fsum(1 / math.log2(p + 2) for p in relevant) / d_m,
        },
        "average": {
            "rr": rr_avg,
            "ap": (hn + (m - 1) / (n - 1) * (n - hn)) / n,
            "ndcg": m / n * d_n / d_m,
        },
    }
    for ties, want in expected.items():
        got = {
            "rr": strict_call(rb.reciprocal_rank, labels, scores, ties=ties),
            "ap": strict_call(rb.average_precision, labels, scores, ties=ties),
            "ndcg": strict_call(rb.ndcg, labels, scores, ties=ties),
        }
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-10), (ties, key)
    k = 1000
    assert strict_call(rb.precision_at_k, labels, scores, k=k, ties="average") == pytest.approx(
        m / n
    )
    assert strict_call(rb.recall_at_k, labels, scores, k=k, ties="average") == pytest.approx(k / n)
    assert strict_call(rb.dcg, labels, scores, ties="average") == pytest.approx(m / n * d_n)


def test_long_lists_ranks_losses_and_bounds():
    n = N_LONG
    scores = np.full(n, -3.0)
    labels = np.zeros(n)
    labels[[5, n - 1]] = 1.0
    np.testing.assert_array_equal(strict_call(rb.tied_ranks, scores), np.full(n, float(n)))
    np.testing.assert_array_equal(strict_call(rb.tied_ranks, scores, method="min"), np.ones(n))
    np.testing.assert_array_equal(
        strict_call(rb.ranks, labels, scores, ties="average"), np.full(n, (n + 1) / 2)
    )
    pess = strict_call(rb.ranks, labels, scores, ties="pessimistic")
    assert pess[5] == n - 1 and pess[n - 1] == n and pess[0] == 1
    # all tied: p_i = 1/n, so the loss is log n for any target; the negatives-only loss pits
    # each relevant item against the n - 2 negatives: log(n - 1)
    assert strict_call(rb.softmax_cross_entropy, labels, scores) == pytest.approx(LOG(n), rel=1e-12)
    assert strict_call(rb.negatives_cross_entropy, labels, scores) == pytest.approx(
        LOG(n - 1), rel=1e-12
    )
    lemma = strict_call(rb.rank_lemma, scores)  # equality on a tied list
    np.testing.assert_allclose(lemma.neg_log_prob, LOG(n), rtol=1e-12)
    np.testing.assert_array_equal(lemma.log_rank, np.full(n, LOG(n)))
    report = strict_call(rb.check, labels, scores, bounds=ALL_BINARY_BOUNDS, ties="pessimistic")
    assert report.ok, str(report)
    # every item relevant, distinct scores: RR = AP = NDCG = 1 under every policy
    everything = np.ones(n)
    distinct = np.arange(n, 0, -1.0) * 1e-3
    for ties in TIES:
        for f in (rb.reciprocal_rank, rb.average_precision, rb.ndcg):
            assert strict_call(f, everything, distinct, ties=ties) == pytest.approx(1.0, rel=1e-12)


def test_long_masked_batch_row_equals_closed_form():
    # a (2, n) batch whose second row keeps only its first half: that row is an all-tied list of
    # n/2 items with one relevant item, RR(average) = H_{n/2} / (n/2)
    n, half = N_LONG, N_LONG // 2
    labels = np.zeros((2, n))
    labels[:, 0] = 1.0
    labels[1, half:] = 1.0  # masked away
    mask = np.ones((2, n), bool)
    mask[1, half:] = False
    scores = np.zeros((2, n))
    rr = strict_call(rb.reciprocal_rank, labels, scores, ties="average", mask=mask)
    np.testing.assert_allclose(rr, [harmonic(n) / n, harmonic(half) / half], rtol=1e-10)


# --------------------------------------------------------------------------------------------
# 5. what the validation table does not cover
#
# Audit of test_validation.py against the checklist (covered there: not repeated here):
#   empty arrays (1-D, list, 0 rows, 0 columns), 0-d (numpy scalar, Python int), 3-d, ragged
#   lists, object dtype holding None, str dtype / str / bytes, bool, complex, nan/inf, negative
#   labels, huge ints (2**60), shape mismatches, masks all False (list and one row), mask of the
#   wrong shape / ndim / dtype / ragged, k = 0, -1, 1.5, 2.0, np.float64, True, np.True_, "3",
#   [3], k beyond the length (only "works": values in test_metrics_hand for P, R, AP, DCG, NDCG),
#   unknown ties/gain/target/no_relevant/method strings, ties=None, bad temperatures, temperature
#   overflow (3 functions), exponential gain overflow.
# Added below: object dtype holding only numbers, datetime/timedelta/structured dtypes, long
#   double (lossy), numpy masked arrays, option spellings (bytes, case, whitespace, None) for
#   every string option of every function (mean_bound's 'metric' included), huge k values.

EXOTIC = [
    ("object-numbers", np.array([0.0, 1.0, 1.0, 0.0], dtype=object), TypeError, ["dtype object"]),
    ("fractions", [Fraction(i, 3) for i in range(4)], TypeError, ["dtype object"]),
    ("datetime", np.array([1, 2, 3, 4], dtype="datetime64[s]"), TypeError, ["datetime64"]),
    ("timedelta", np.array([1, 2, 3, 4], dtype="timedelta64[s]"), TypeError, ["timedelta64"]),
    ("structured", np.zeros(4, dtype=[("a", float)]), TypeError, ["dtype"]),
    ("set", {0.0, 1.0, 2.0, 3.0}, TypeError, ["dtype object"]),
    ("dict", {0: 1.0}, TypeError, ["dtype object"]),
]


@pytest.mark.parametrize(
    ("name", "param", "value", "exc", "fragments"),
    [
        pytest.param(n, p, v, e, fr, id=f"{n}-{p}-{case}")
        for n, f in sorted(FUNCTIONS.items())
        for p in positional(f)
        for case, v, e, fr in EXOTIC
    ],
)
def test_exotic_dtypes_are_refused(name, param, value, exc, fragments):
    with pytest.raises(exc) as excinfo:
        invoke(FUNCTIONS[name], {param: value})
    assert type(excinfo.value) is exc
    check_message(excinfo, name, param, fragments)


def test_a_generator_is_refused():
    with pytest.raises(TypeError) as excinfo:
        invoke(rb.ndcg, {"scores": (x for x in [0.0, 1.0, 1.0, 0.0])})
    check_message(excinfo, "ndcg", "scores", ["dtype object"])


LONGDOUBLE_IS_WIDER = np.finfo(np.longdouble).eps < EPS


@pytest.mark.skipif(not LONGDOUBLE_IS_WIDER, reason="long double is float64 on this platform")
def test_long_double_is_not_silently_rounded():
    scores = np.array([1.0, 1.0], dtype=np.longdouble)
    scores[1] += np.longdouble(2) ** -60
    assert scores[1] > scores[0]
    try:
        got = strict_call(rb.reciprocal_rank, [1.0, 0.0], scores, ties="optimistic")
    except (TypeError, ValueError) as exc:
        assert str(exc).startswith("reciprocal_rank: ") and "'scores'" in str(exc)
        return
    assert got == 0.5


@pytest.mark.skipif(not LONGDOUBLE_IS_WIDER, reason="long double is float64 on this platform")
def test_long_double_beyond_float64_range_is_named_correctly():
    scores = np.array([np.longdouble("1e4000"), 0.0], dtype=np.longdouble)
    assert np.isfinite(scores).all()
    with pytest.raises(ValueError) as excinfo:
        strict_call(rb.reciprocal_rank, [1.0, 0.0], scores)
    assert "inf" not in str(excinfo.value)
    check_message(excinfo, "reciprocal_rank", "scores", [])


def test_numpy_masked_array_is_not_silently_unmasked():
    labels = np.ma.masked_array([0.0, 1.0], mask=[False, True])
    try:
        got = strict_call(rb.reciprocal_rank, labels, [1.0, 0.0], no_relevant="nan")
    except TypeError as exc:
        assert str(exc).startswith("reciprocal_rank: ") and "'labels'" in str(exc)
        return
    assert math.isnan(got)


STRING_OPTIONS = {
    "ties": "stable",
    "gain": "linear",
    "target": "linear",
    "no_relevant": "nan",
    "method": "max",
    "metric": "ndcg",
}
SPELLINGS = [
    ("bytes", lambda v: v.encode()),
    ("upper", str.upper),
    ("trailing-space", lambda v: v + " "),
    ("none", lambda v: None),
    ("int", lambda v: 0),
]


def option_spelling_cases():
    for name, func in sorted(FUNCTIONS.items()):
        for option in sorted(keyword_only(func) & set(STRING_OPTIONS)):
            valid = STRING_OPTIONS[option]
            for case, spell in SPELLINGS:
                if option == "ties" and case == "none":
                    continue  # in test_validation
                yield pytest.param(name, option, spell(valid), id=f"{name}-{option}-{case}")


@pytest.mark.parametrize(("name", "option", "value"), list(option_spelling_cases()))
def test_option_spellings_are_refused(name, option, value):
    with pytest.raises(ValueError) as excinfo:
        invoke(FUNCTIONS[name], **{option: value})
    check_message(excinfo, name, option, ["must be one of", repr(value)])


def test_every_string_option_is_known():
    # an option whose default is a string must be in STRING_OPTIONS, so that its spellings are
    # checked above (a function gaining one later is caught here)
    for name, func in FUNCTIONS.items():
        for p in inspect.signature(func).parameters.values():
            if p.kind is inspect.Parameter.KEYWORD_ONLY and isinstance(p.default, str):
                assert p.name in STRING_OPTIONS, (name, p.name)


@pytest.mark.parametrize(
    "k",
    [9, 10**30, np.uint64(2**64 - 1), np.int64(2**62)],
    ids=["9", "10**30", "uint64-max", "int64-2**62"],
)
def test_k_beyond_the_list(k):
    # k >= n: the cutoff keeps the whole list, so R, AP, DCG, NDCG equal their k=None values and
    # P@k = hits / k (trec_eval): m / k
    labels, scores = LABELS_GRADED, np.array(EXTREME_SCORES["ordinary-and-subnormal-ties"])
    m = int((labels > 0).sum())
    for ties in TIES:
        for f in (rb.recall_at_k, rb.average_precision, rb.dcg, rb.ndcg):
            assert strict_call(f, labels, scores, k=k, ties=ties) == strict_call(
                f, labels, scores, ties=ties
            ), (f.__name__, ties)
        assert strict_call(rb.precision_at_k, labels, scores, k=k, ties=ties) == pytest.approx(
            m / float(k), rel=1e-15
        )
    miss = strict_call(rb.recall_bound, LABELS_BINARY, scores, k=k)
    assert miss.miss == miss.miss_tied == 0.0
    assert miss.scaled_loss == pytest.approx(miss.loss / math.log(float(k) + 1), rel=1e-15)


def test_k_beyond_a_masked_row():
    # row 1 has 2 real items of 5 columns; k = 4 is beyond that row but not beyond the columns
    labels = np.array([[1.0, 0, 0, 1, 0], [0, 1, 0, 0, 0]])
    scores = np.array([[5.0, 4, 3, 2, 1], [9.0, 1, 9, 9, 9]])
    mask = np.array([[True] * 5, [True, True, False, False, False]])
    p = strict_call(rb.precision_at_k, labels, scores, k=4, mask=mask)
    np.testing.assert_array_equal(p, [2 / 4, 1 / 4])  # divides by k, not by the 2 real items
    r = strict_call(rb.recall_at_k, labels, scores, k=4, mask=mask)
    np.testing.assert_array_equal(r, [1.0, 1.0])
    nd = strict_call(rb.ndcg, labels, scores, k=4, mask=mask)
    assert nd[1] == pytest.approx(1 / math.log2(3), rel=1e-15)  # relevant item second of two


# --------------------------------------------------------------------------------------------
# 6. Hypothesis: the bounds as properties on adversarial lists

TEMPERATURES = st.sampled_from([1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3]) | st.floats(1e-3, 1e3)
POOL = np.array([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0])  # a few values: exact ties
KINDS = ("scaled", "edge700", "ulps", "tied")


@st.composite
def adversarial(draw, kind: str, graded: bool):
    """(labels, scores, temperature): one list built to stress the bounds.

    Relevance: a random pattern (at least one relevant), a single relevant item, or all relevant.
    Scores, by ``kind``:

    * "scaled": tie-pool values times 1e-300, 1e300 / n, 1 or 5e-324 (extreme scales; ties
      kept, and at 5e-324 the pool rounds to a few subnormals and signed zeros);
    * "edge700": s / T within a few units of +-700 (where exp would overflow / underflow without
      the shift), or s = +-700 / T itself;
    * "ulps": a base value stepped 0..5 ulps up with np.nextafter (near-ties in the last ulp);
    * "tied": every score equal.

    Every |s| / T stays below float max (scores that overflow with T are refused: tested above).
    """
    n = draw(st.integers(1, 24))
    temperature = draw(TEMPERATURES)
    top = 4 if graded else 1
    pattern = draw(st.sampled_from(["random", "single", "all"]))
    if pattern == "single":
        labels = np.zeros(n)
        labels[draw(st.integers(0, n - 1))] = float(draw(st.integers(1, top)))
    elif pattern == "all":
        labels = draw(xnp.arrays(np.int8, n, elements=st.integers(1, top))).astype(float)
    else:
        labels = draw(xnp.arrays(np.int8, n, elements=st.integers(0, top))).astype(float)
        if not (labels > 0).any():
            labels[draw(st.integers(0, n - 1))] = 1.0
    picks = draw(xnp.arrays(np.int8, n, elements=st.integers(0, POOL.size - 1)))
    if kind == "scaled":
        factor = draw(st.sampled_from([1e-300, 1e300 / n, 1.0, TINY]))
        scores = POOL[picks] * factor
    elif kind == "edge700":
        sign = draw(st.sampled_from([1.0, -1.0]))
        base = draw(st.sampled_from([700.0 * temperature, 700.0 / temperature]))
        scores = sign * base + POOL[picks] * temperature
    elif kind == "ulps":
        base = draw(st.sampled_from([1.0, -3.5, 1e-300, TINY, 0.0, 1e300 / n, 700 * temperature]))
        steps = draw(xnp.arrays(np.int8, n, elements=st.integers(0, 5)))
        scores = np.full(n, base)
        for _ in range(5):  # np.nextafter applied repeatedly: 0..5 ulps above the base
            scores = np.where(steps > 0, np.nextafter(scores, np.inf), scores)
            steps = steps - 1
    else:
        scores = np.full(n, draw(st.sampled_from([0.0, -1e300, 1e-300, 7.5, 700 * temperature])))
    note(f"{kind}/{pattern}: labels={labels.tolist()} scores={scores.tolist()} T={temperature!r}")
    return labels, scores, temperature


# An example runs every bound under the four tie policies (check(): ~6 ms a call). 20 examples
# per kind for the check() properties and 40 for the per-function chains (480 in all) keep this
# part under ~10 s on one core.
FEW = settings(max_examples=20)
SOME = settings(max_examples=40)
GRADED_BOUNDS = tuple(
    b for b in rb.BOUND_NAMES if b in ("rank_lemma", "graded_ndcg", "mean:graded_ndcg")
)


@pytest.mark.parametrize("kind", KINDS)
@FEW
@given(data=st.data())
def test_property_check_reports_no_violation_binary(kind, data):
    labels, scores, temperature = data.draw(adversarial(kind, graded=False))
    k = data.draw(st.integers(1, 30), label="K")
    bounds = tuple(b.replace("recall@K", f"recall@{k}") for b in rb.BOUND_NAMES)
    assert bounds != rb.BOUND_NAMES and len(bounds) == 10
    for ties in TIES:
        report = strict_call(
            rb.check, labels, scores, bounds=bounds, ties=ties, temperature=temperature
        )
        assert report.ok, str(report)
        assert report["rr"].checked == 1  # the list was checked, not excluded


@pytest.mark.parametrize("kind", KINDS)
@FEW
@given(data=st.data())
def test_property_check_reports_no_violation_graded(kind, data):
    labels, scores, temperature = data.draw(adversarial(kind, graded=True))
    assert len(GRADED_BOUNDS) == 3
    for gain in ("linear", "exponential"):
        for ties in TIES:
            report = strict_call(
                rb.check,
                labels,
                scores,
                bounds=GRADED_BOUNDS,
                ties=ties,
                gain=gain,
                temperature=temperature,
            )
            assert report.ok, str(report)


@pytest.mark.parametrize("kind", KINDS)
@SOME
@given(data=st.data())
def test_property_per_function_chains_binary(kind, data):
    labels, scores, temperature = data.draw(adversarial(kind, graded=False))
    k = data.draw(st.integers(1, 30), label="K")
    n, scale = labels.size, float(np.abs(scores).max()) / temperature
    rel = labels > 0
    log_r = np.log(tied_rank(scores))  # brute force
    for ties in TIES:
        outs = {}
        for name in (
            "reciprocal_rank_bound",
            "ndcg_bound",
            "average_precision_bound",
            "recall_bound",
        ):
            outs[name] = bound_call(name, labels, scores, ties=ties, temperature=temperature, k=k)
            assert_chain(name, outs[name], n, scale)
        # the rank side, by brute force
        assert outs["reciprocal_rank_bound"].middle == pytest.approx(
            log_r[rel].mean(), rel=1e-13, abs=1e-15
        )
        assert outs["recall_bound"].miss_tied == (tied_rank(scores)[rel] > k).mean()
        if ties != "average":  # the metric side, by brute force (a realisable order)
            brute = brute_metrics(labels, scores, ties)
            assert outs["reciprocal_rank_bound"].metric == pytest.approx(brute["rr"], rel=1e-13)
            assert outs["average_precision_bound"].metric == pytest.approx(brute["ap"], rel=1e-12)
            assert outs["ndcg_bound"].metric == pytest.approx(brute["ndcg"], rel=1e-12)


@pytest.mark.parametrize("kind", KINDS)
@SOME
@given(data=st.data())
def test_property_graded_chain(kind, data):
    labels, scores, temperature = data.draw(adversarial(kind, graded=True))
    n, scale = labels.size, float(np.abs(scores).max()) / temperature
    for gain in ("linear", "exponential"):
        low = None
        for ties in ("pessimistic", "stable", "average", "optimistic"):
            out = strict_call(
                rb.graded_ndcg_bound, labels, scores, gain=gain, ties=ties, temperature=temperature
            )
            assert_chain("graded_ndcg_bound", out, n, scale)
            if gain == "linear" and ties != "average":
                brute = brute_metrics(labels, scores, ties)["ndcg"]
                assert out.metric == pytest.approx(brute, rel=1e-12)
            # the worst realisable order gives the smallest NDCG; the others are at least that
            low = out.metric if low is None else low
            assert out.metric >= low * (1 - 1e-13)
