"""rankbound.worstcase: the infimum of the ListNet loss over scores realising a ranking."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import isotonic_regression, minimize

import rankbound as rb
from rankbound import worstcase as wc


class TestAntitonicRegression:
    def test_hand(self):
        # (0, 1, 0): the first two violate the order and pool to their mean 1/2.
        assert wc.antitonic_regression([0.0, 1.0, 0.0]).tolist() == [0.5, 0.5, 0.0]
        # already non-increasing: unchanged
        assert wc.antitonic_regression([3.0, 2.0, 2.0, 1.0]).tolist() == [3.0, 2.0, 2.0, 1.0]
        # increasing: everything pools to the mean (1+2+3)/3 = 2
        assert np.allclose(wc.antitonic_regression([1.0, 2.0, 3.0]), 2.0)

    @given(st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=15))
    def test_agrees_with_scipy(self, values):
        ours = wc.antitonic_regression(values)
        ref = isotonic_regression(values, increasing=False).x
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


class TestInfimumLoss:
    def test_hand(self):
        # relevant item last of n: the best realisation ties everything, p = 1/n, loss = log n
        for n in range(1, 8):
            y = np.zeros(n)
            y[-1] = 1
            assert wc.infimum_loss(y) == pytest.approx(np.log(n), abs=1e-15)
        # relevant on top: the loss tends to 0
        assert wc.infimum_loss([1, 0, 0]) == 0.0
        # two relevant at positions 1 and 3 of 3: t = (1/2, 0, 1/2) pools to (1/2, 1/4, 1/4)
        assert wc.infimum_loss([1, 0, 1]) == pytest.approx(0.5 * np.log(2) + 0.5 * np.log(4))

    def test_order_argument_equals_reordered_labels(self):
        rng = np.random.default_rng(3)
        y = rng.integers(0, 3, (20, 6)).astype(float)
        y[:, 0] += 1
        s = rng.normal(size=y.shape)
        idx = rb.order(y, s)
        np.testing.assert_allclose(
            wc.infimum_loss(y, idx), wc.infimum_loss(np.take_along_axis(y, idx, axis=1))
        )

    @pytest.mark.parametrize("target", rb.TARGETS)
    def test_against_numerical_minimisation(self, target):
        """The closed form is below every realisable loss and numerical minimisation reaches it."""
        rng = np.random.default_rng(7)
        for _ in range(8):
            n = int(rng.integers(2, 7))
            y = rng.integers(0, 4, n).astype(float)
            y[rng.integers(n)] = 1 + y.max()
            inf = wc.infimum_loss(y, target=target)

            def loss(u):  # scores strictly decreasing along the order: s_1 = 0, gaps e^u
                s = np.concatenate([[0.0], -np.cumsum(np.exp(u))])
                g = rb.softmax_cross_entropy_gradient(y, s, target=target)
                # ds_k/du_l = -e^{u_l} for k > l
                grad = -np.exp(u) * np.cumsum(g[::-1])[::-1][1:]
                return rb.softmax_cross_entropy(y, s, target=target), grad

            best = min(
                minimize(loss, rng.normal(size=n - 1), jac=True, method="L-BFGS-B").fun
                for _ in range(2)
            )
            assert inf <= best + 1e-12
            # ties are limits (gaps -> 0), so the optimiser approaches the infimum from above
            assert best - inf < 1e-3

    @pytest.mark.parametrize("target", rb.TARGETS)
    def test_attained_by_minimizing_scores(self, target):
        rng = np.random.default_rng(11)
        y = rng.integers(0, 4, (50, 6)).astype(float)
        y[:, -1] += 1  # every entry of a linear target's antitonic fit is then > 0
        s = wc.minimizing_scores(y, target=target)
        assert np.isfinite(s).all()
        assert (np.diff(s, axis=1) <= 0).all()  # the scores realise the order (ties allowed)
        np.testing.assert_allclose(
            rb.softmax_cross_entropy(y, s, target=target), wc.infimum_loss(y, target=target),
            rtol=1e-12, atol=1e-12,
        )

    def test_no_relevant_is_nan_and_bad_order_refused(self):
        assert np.isnan(wc.infimum_loss([0.0, 0.0]))
        with pytest.raises(ValueError, match="infimum_loss: 'order' must be a permutation"):
            wc.infimum_loss([1.0, 0.0], np.array([0, 0]))
        with pytest.raises(ValueError, match="infimum_loss: 'order'"):
            wc.infimum_loss([1.0, 0.0], np.array([0.0, 1.0]))


class TestGaps:
    def test_binary_bounds_hold_exhaustively(self):
        """Binary labels: the proved bounds mean no ranking has a positive gap."""
        for metric in ("rr", "ap", "ndcg"):
            r = wc.exhaustive_gap(9, 1, metric=metric)
            assert r.sequences == 2**9 - 1
            assert r.max_gap <= 1e-12

    def test_rr_tight_at_last_position(self):
        # one relevant item last of n: -log RR = log n = infimum loss, gap exactly 0
        gap = wc.sequence_gap([0, 0, 0, 1], metric="rr")
        assert abs(gap[0]) < 1e-15

    def test_positive_gap_is_found(self):
        """The search can report a violation: AP with the exponential target on graded labels."""
        r = wc.exhaustive_gap(5, 4, metric="ap", target="exponential")
        assert r.max_gap > 0.01
        # check the reported sequence directly, independent of the search
        y = np.array(r.argmax, dtype=float)
        neg_log_ap = -np.log(rb.average_precision(y, -np.arange(5.0)))
        assert neg_log_ap - wc.infimum_loss(y, target="exponential") == pytest.approx(r.max_gap)

    def test_adversarial_finds_no_more_than_exhaustive(self):
        ex = wc.exhaustive_gap(5, 3, metric="ap", target="exponential")
        ad = wc.adversarial_gap(5, 3, metric="ap", target="exponential", population=64, rounds=60)
        assert ad.max_gap <= ex.max_gap + 1e-12
        assert ad.max_gap == pytest.approx(ex.max_gap)


def test_long_rows_use_the_linear_time_path_and_agree():
    rng = np.random.default_rng(5)
    v = rng.random((3, 200))
    ours = wc.antitonic_regression(v)
    for row, q in zip(v, ours):
        np.testing.assert_allclose(q, isotonic_regression(row, increasing=False).x, rtol=1e-12)
    # the quadratic path on a 64-item prefix agrees with the same reference
    np.testing.assert_allclose(
        wc.antitonic_regression(v[:, :64]),
        np.stack([isotonic_regression(r, increasing=False).x for r in v[:, :64]]),
        rtol=1e-12, atol=1e-15,
    )
