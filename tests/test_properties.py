"""Hypothesis properties of the metrics, the tie policies and the losses.

Strategies come from ``tests/strategies.py``; profiles (a derandomized ``ci`` default) from
``tests/conftest.py``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, note, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from strategies import batches, gains, lists, targets, tie_policies

import rankbound as rb

ks = st.one_of(st.none(), st.integers(1, 45))
temperatures = st.sampled_from([0.25, 0.5, 1.0, 2.0, 3.0])

# name -> (function, keyword arguments it takes besides ties/mask)
BOUNDED = {
    "reciprocal_rank": (rb.reciprocal_rank, ()),
    "precision_at_k": (rb.precision_at_k, ("k",)),
    "recall_at_k": (rb.recall_at_k, ("k",)),
    "average_precision": (rb.average_precision, ("k",)),
    "ndcg": (rb.ndcg, ("k", "gain")),
}
ALL_METRICS = {**BOUNDED, "dcg": (rb.dcg, ("k", "gain"))}


def call(name, labels, scores, options, **kw):
    func, accepted = ALL_METRICS[name]
    kw.update({key: options[key] for key in accepted})
    if name != "dcg":
        kw.setdefault("no_relevant", "nan")
    return func(labels, scores, **kw)


metric_options = st.fixed_dictionaries({"k": ks, "gain": gains})
# One metric per example (rather than all six) keeps the suite fast; with 200 examples every
# metric still gets dozens.
metric_names = st.sampled_from(sorted(ALL_METRICS))
# the policies that do not look at array positions
# a permutation comes from a seeded generator: one draw instead of one per item
seeds = st.integers(0, 2**32 - 1)
symmetric_policies = st.sampled_from(["pessimistic", "optimistic", "average"])


def strict_scores_for(order: np.ndarray) -> np.ndarray:
    """Strictly decreasing scores realising ``order`` (item indices, best first)."""
    s = np.empty(order.size)
    s[order] = np.arange(order.size, 0, -1.0)
    return s


class TestMetricProperties:
    @given(lists(), tie_policies, metric_options)
    def test_ranges(self, data, ties, options):
        labels, scores = data
        for name in BOUNDED:
            value = call(name, labels, scores, options, ties=ties)
            assert np.isnan(value) == (not (labels > 0).any())
            assert np.isnan(value) or 0.0 <= value <= 1.0 + 1e-15, name
        assert call("dcg", labels, scores, options, ties=ties) >= 0.0

    @given(lists(), metric_names, metric_options)
    def test_pessimistic_le_average_le_optimistic(self, data, name, options):
        labels, scores = data
        low, mean, high, stable = (
            call(name, labels, scores, options, ties=t)
            for t in ("pessimistic", "average", "optimistic", "stable")
        )
        if np.isnan(mean):
            assert np.isnan([low, high, stable]).all()
            return
        tol = 1e-12 * max(1.0, abs(high))
        assert low - tol <= mean <= high + tol
        assert low - tol <= stable <= high + tol
        if np.unique(scores).size == scores.size:  # no ties: every policy agrees
            assert abs(high - low) <= tol and abs(mean - stable) <= tol

    @given(lists(), seeds, metric_names, symmetric_policies, metric_options)
    def test_invariant_to_permuting_items(self, data, seed, name, ties, options):
        labels, scores = data
        perm = np.random.default_rng(seed).permutation(labels.size)
        a = call(name, labels, scores, options, ties=ties)
        b = call(name, labels[perm], scores[perm], options, ties=ties)
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15, equal_nan=True)

    @given(batches(), seeds, metric_names, symmetric_policies, metric_options)
    def test_invariant_to_permuting_batch_columns_with_mask(self, data, seed, name, ties, options):
        labels, scores, mask = data
        perm = np.random.default_rng(seed).permutation(labels.shape[1])
        a = call(name, labels, scores, options, ties=ties, mask=mask)
        b = call(name, labels[:, perm], scores[:, perm], options, ties=ties, mask=mask[:, perm])
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15, equal_nan=True)

    @given(lists(), metric_names, metric_options)
    def test_stable_is_the_stable_argsort_order(self, data, name, options):
        # "stable" depends on index order, so it is not permutation invariant; it is the order of
        # a stable sort by decreasing score.
        labels, scores = data
        expected_order = np.argsort(-scores, kind="stable")
        np.testing.assert_array_equal(rb.order(labels, scores, ties="stable"), expected_order)
        strict = strict_scores_for(expected_order)
        a = call(name, labels, scores, options, ties="stable")
        b = call(name, labels, strict, options, ties="pessimistic")
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15, equal_nan=True)

    @given(batches(), metric_names, tie_policies, metric_options)
    def test_batch_equals_rows(self, data, name, ties, options):
        labels, scores, mask = data
        batch = call(name, labels, scores, options, ties=ties, mask=mask)
        assert batch.shape == (labels.shape[0],)
        for r in range(labels.shape[0]):
            m = mask[r]
            alone = call(name, labels[r, m], scores[r, m], options, ties=ties)
            np.testing.assert_allclose(batch[r], alone, rtol=1e-13, atol=1e-15, equal_nan=True)


class TestRankProperties:
    @given(lists(), st.sampled_from(["pessimistic", "optimistic", "stable"]))
    def test_realisable_ranks_invert_order(self, data, ties):
        labels, scores = data
        order = rb.order(labels, scores, ties=ties)
        r = rb.ranks(labels, scores, ties=ties)
        np.testing.assert_array_equal(np.sort(order), np.arange(labels.size))
        np.testing.assert_array_equal(r[order], np.arange(1.0, labels.size + 1))
        # a realised order never puts a lower score above a higher one
        assert (np.diff(scores[order]) <= 0).all()

    @given(lists())
    def test_rank_bounds(self, data):
        labels, scores = data
        low = rb.tied_ranks(scores, method="min")
        high = rb.tied_ranks(scores, method="max")
        np.testing.assert_array_equal(high, [(scores >= s).sum() for s in scores])
        np.testing.assert_array_equal(low, [1 + (scores > s).sum() for s in scores])
        for ties in rb.TIE_POLICIES:
            r = rb.ranks(labels, scores, ties=ties)
            assert (low <= r).all() and (r <= high).all()
        np.testing.assert_array_equal(rb.ranks(labels, scores, ties="average"), (low + high) / 2)

    @given(batches(), tie_policies)
    def test_masked_ranks_equal_rows(self, data, ties):
        labels, scores, mask = data
        r = rb.ranks(labels, scores, ties=ties, mask=mask)
        high = rb.tied_ranks(scores, mask=mask)
        assert np.isnan(r[~mask]).all() and np.isnan(high[~mask]).all()
        if ties != "average":
            order = rb.order(labels, scores, ties=ties, mask=mask)
        for row in range(labels.shape[0]):
            m = mask[row]
            alone = rb.ranks(labels[row, m], scores[row, m], ties=ties)
            np.testing.assert_array_equal(r[row, m], alone)
            np.testing.assert_array_equal(high[row, m], rb.tied_ranks(scores[row, m]))
            if ties != "average":
                # masked items go last; the real ones keep the order they have on their own
                real = np.flatnonzero(m)
                np.testing.assert_array_equal(
                    order[row, : real.size],
                    real[rb.order(labels[row, m], scores[row, m], ties=ties)],
                )


def entropy(t: np.ndarray) -> float:
    return float(-np.sum(np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0)))


LOSSES = (rb.softmax_cross_entropy, rb.negatives_cross_entropy)


class TestLossProperties:
    @given(lists(force_relevant=True), targets, temperatures)
    def test_cross_entropy_at_least_entropy_of_target(self, data, target, temperature):
        labels, scores = data
        loss = rb.softmax_cross_entropy(labels, scores, target=target, temperature=temperature)
        t = rb.listnet_target(labels, target=target)
        note(f"loss={loss!r}, entropy={entropy(t)!r}")
        assert loss >= 0.0
        # loss = H(t) + KL(t || p) >= H(t), up to the rounding of the log-softmax of scores
        # as large as 1e6 / 0.25 (|loss| * 1e-15)
        assert loss >= entropy(t) - 1e-12 - 1e-14 * loss

    @given(lists(force_relevant=True), targets, st.integers(-1000, 1000).map(float))
    def test_shift_invariance(self, data, target, c):
        labels, scores = data
        # s + c rounds each score by at most ulp(1e6 + 1e3) / 2 ~ 6e-11; the loss is 2-Lipschitz
        # in the max-norm (sum |p_i - t_i| <= 2), hence atol 1e-9; rtol for the loss's own rounding.
        for loss in LOSSES:
            a = loss(labels, scores, target=target)
            b = loss(labels, scores + c, target=target)
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)

    @given(lists(max_size=12, force_relevant=True, score_bound=5.0), targets, temperatures)
    def test_gradient_matches_central_differences(self, data, target, temperature):
        labels, scores = data
        grad = rb.softmax_cross_entropy_gradient(
            labels, scores, target=target, temperature=temperature
        )
        h = 1e-5
        fd = np.empty_like(scores)
        for i in range(scores.size):
            up, down = scores.copy(), scores.copy()
            up[i] += h
            down[i] -= h
            fd[i] = (
                rb.softmax_cross_entropy(labels, up, target=target, temperature=temperature)
                - rb.softmax_cross_entropy(labels, down, target=target, temperature=temperature)
            ) / (2 * h)
        # |s| <= 5, T >= 1/4: the loss is <= ~45 and its third derivative <= ~1/T^3 = 64.
        # Truncation error h^2/6 * 64 ~ 1e-9; rounding error eps * 45 / h ~ 1e-9. Both far below
        # 1e-6, while a wrong gradient (e.g. missing 1/T, or p and t swapped) is off by >= 1e-2.
        np.testing.assert_allclose(grad, fd, rtol=0, atol=1e-6)

    @given(batches(force_relevant=True), targets, temperatures)
    def test_gradient_sums_to_zero_over_real_items(self, data, target, temperature):
        labels, scores, mask = data
        grad = rb.softmax_cross_entropy_gradient(
            labels, scores, target=target, temperature=temperature, mask=mask
        )
        assert (grad[~mask] == 0).all()
        # sum(p) = sum(t) = 1, each to ~n eps; divided by T >= 1/4
        np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-13)

    @given(batches(force_relevant=True), targets, temperatures)
    def test_negatives_loss_between_zero_and_listnet(self, data, target, temperature):
        labels, scores, mask = data
        neg = rb.negatives_cross_entropy(
            labels, scores, target=target, temperature=temperature, mask=mask
        )
        full = rb.softmax_cross_entropy(
            labels, scores, target=target, temperature=temperature, mask=mask
        )
        assert (neg >= 0).all()
        assert (neg <= full * (1 + 1e-14) + 1e-12).all()

    @given(batches(), temperatures)
    def test_log_softmax_normalised(self, data, temperature):
        _, scores, mask = data
        out = rb.log_softmax(scores, temperature=temperature, mask=mask)
        assert (out[~mask] == -np.inf).all()
        assert (out[mask] <= 1e-15).all()
        np.testing.assert_allclose(logsumexp(out, axis=1), 0.0, atol=1e-12)

    @given(batches(force_relevant=True), seeds, targets)
    def test_losses_invariant_to_permuting_items(self, data, seed, target):
        labels, scores, mask = data
        perm = np.random.default_rng(seed).permutation(labels.shape[1])
        for loss in (*LOSSES, rb.softmax_cross_entropy_gradient):
            a = loss(labels, scores, target=target, mask=mask)
            b = loss(labels[:, perm], scores[:, perm], target=target, mask=mask[:, perm])
            if a.ndim == 2:
                b = b[:, np.argsort(perm)]
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def every_call(labels, scores, mask):
    """Call every public function once on the arrays (any outcome but mutation is fine)."""
    y1, s1, m1 = labels[0], scores[0], mask[0]
    calls = []
    for y, s, m in ((labels, scores, mask), (y1, s1, m1)):
        for func in (
            rb.reciprocal_rank,
            rb.precision_at_k,
            rb.recall_at_k,
            rb.average_precision,
            rb.ndcg,
        ):
            for ties in rb.TIE_POLICIES:
                calls.append(
                    lambda f=func, t=ties, y=y, s=s, m=m: f(y, s, ties=t, mask=m, no_relevant="nan")
                )
        calls += [
            lambda y=y, s=s, m=m: rb.dcg(y, s, ties="average", mask=m),
            lambda y=y, s=s, m=m: rb.order(y, s, ties="pessimistic", mask=m),
            lambda y=y, s=s, m=m: rb.ranks(y, s, ties="average", mask=m),
            lambda s=s, m=m: rb.tied_ranks(s, mask=m),
            lambda s=s, m=m: rb.log_softmax(s, mask=m),
            lambda y=y: rb.gains(y, gain="exponential"),
            lambda y=y, m=m: rb.listnet_target(y, mask=m, no_relevant="nan"),
        ]
        for loss in (*LOSSES, rb.softmax_cross_entropy_gradient):
            calls.append(lambda f=loss, y=y, s=s, m=m: f(y, s, mask=m, no_relevant="nan"))
    return calls


# Each example makes ~60 calls through the same copy-on-validate path; 30 examples cover the
# shapes (1-D/2-D, masked/unmasked) without spending seconds.
@settings(max_examples=30)
@given(batches())
def test_inputs_never_modified_and_never_aliased(data):
    labels, scores, mask = data
    before = [a.copy() for a in (labels, scores, mask)]
    for f in every_call(labels, scores, mask):
        out = f()
        for a in (labels, scores, mask):
            assert not np.shares_memory(out, a)
    for a, b in zip((labels, scores, mask), before, strict=True):
        np.testing.assert_array_equal(a, b)
