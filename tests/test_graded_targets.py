"""Targets beyond listnet_target (XE-NDCG) and the infimum of the loss for any fixed target."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize

import rankbound as rb
from rankbound import losses
from rankbound import worstcase as wc


class TestInfimumLossForTarget:
    def test_hand(self):
        # (1/2, 0, 1/2): the last two pool to 1/4 each; loss = (1/2) log 2 + (1/2) log 4
        assert wc.infimum_loss_for_target([1, 0, 1]) == pytest.approx(1.5 * np.log(2), abs=1e-15)
        # non-increasing target: no pooling, the infimum is the entropy of the target
        t = np.array([0.5, 0.3, 0.2])
        assert wc.infimum_loss_for_target(t) == pytest.approx(-(t * np.log(t)).sum(), abs=1e-15)
        # increasing target: everything pools, q uniform, loss log n
        assert wc.infimum_loss_for_target([1, 2, 3, 4]) == pytest.approx(np.log(4), abs=1e-15)

    @pytest.mark.parametrize("target", rb.TARGETS)
    def test_agrees_with_infimum_loss(self, target):
        rng = np.random.default_rng(5)
        y = rng.integers(0, 5, (200, 7)).astype(float)
        y[:, 3] += 1
        t = rb.listnet_target(y, target=target)
        np.testing.assert_allclose(
            wc.infimum_loss_for_target(t), wc.infimum_loss(y, target=target), rtol=0, atol=1e-13
        )

    @given(st.lists(st.floats(0.0, 10.0), min_size=1, max_size=10), st.floats(0.01, 100.0))
    def test_weights_are_normalised(self, weights, scale):
        w = np.array(weights)
        if w.sum() <= 0:
            w[0] = 1.0
        assert wc.infimum_loss_for_target(scale * w) == pytest.approx(
            wc.infimum_loss_for_target(w), rel=1e-12, abs=1e-12
        )

    def test_batch_and_single(self):
        rows = np.array([[1.0, 0.0, 1.0], [0.0, 2.0, 1.0]])
        out = wc.infimum_loss_for_target(rows)
        assert out.shape == (2,)
        assert out[1] == wc.infimum_loss_for_target(rows[1])
        assert isinstance(wc.infimum_loss_for_target(rows[0]), float)

    def test_against_numerical_minimisation_xe_target(self):
        """A target with mass on non-relevant items: the closed form is the infimum."""
        rng = np.random.default_rng(17)
        for _ in range(6):
            n = int(rng.integers(2, 7))
            y = rng.integers(0, 4, n).astype(float)
            t = losses.xe_ndcg_target(y, rng.random(n))
            inf = wc.infimum_loss_for_target(t)

            def loss(u):  # scores non-increasing along the order: s_1 = 0, gaps e^u
                s = np.concatenate([[0.0], -np.cumsum(np.exp(u))])
                logp = rb.log_softmax(s)
                grad_s = np.exp(logp) - t
                grad = -np.exp(u) * np.cumsum(grad_s[::-1])[::-1][1:]
                return -(t * logp).sum(), grad

            best = min(
                minimize(loss, rng.normal(size=n - 1), jac=True, method="L-BFGS-B").fun
                for _ in range(3)
            )
            assert inf <= best + 1e-12
            assert best - inf < 1e-3

    def test_validation(self):
        with pytest.raises(ValueError, match="infimum_loss_for_target: 'target' must be >= 0"):
            wc.infimum_loss_for_target([1.0, -0.5])
        with pytest.raises(ValueError, match="infimum_loss_for_target: every row"):
            wc.infimum_loss_for_target([[1.0, 0.0], [0.0, 0.0]])
        with pytest.raises(ValueError, match="infimum_loss_for_target: 'target'"):
            wc.infimum_loss_for_target([1.0, np.nan])
        with pytest.raises(TypeError, match="infimum_loss_for_target: 'target'"):
            wc.infimum_loss_for_target("abc")


class TestXeNdcgTarget:
    def test_hand(self):
        # weights 2**y - gamma = (1 - 0.25, 2 - 0.5, 8 - 1) = (0.75, 1.5, 7), sum 9.25
        t = losses.xe_ndcg_target([0, 1, 3], [0.25, 0.5, 1.0])
        np.testing.assert_allclose(t, np.array([0.75, 1.5, 7.0]) / 9.25, rtol=1e-15)

    def test_gamma_one_is_exponential_target(self):
        y = np.array([[0, 2, 1, 0], [3, 0, 0, 1]], dtype=float)
        np.testing.assert_allclose(
            losses.xe_ndcg_target(y, np.ones_like(y)),
            rb.listnet_target(y, target="exponential"),
            rtol=1e-15,
        )

    def test_defined_without_relevant_items_and_mask(self):
        np.testing.assert_allclose(losses.xe_ndcg_target([0, 0], [0.0, 0.5]), [2 / 3, 1 / 3])
        t = losses.xe_ndcg_target([1, 0, 5], [0.0, 0.0, 0.0], mask=[True, True, False])
        np.testing.assert_allclose(t, [2 / 3, 1 / 3, 0.0])

    def test_validation(self):
        with pytest.raises(ValueError, match=r"xe_ndcg_target: 'gamma' must lie in \[0, 1\]"):
            losses.xe_ndcg_target([0, 1], [0.5, 1.5])
        with pytest.raises(ValueError, match="xe_ndcg_target: the weights"):
            losses.xe_ndcg_target([0, 0], [1.0, 1.0])
        with pytest.raises(ValueError, match="xe_ndcg_target: 'labels' and 'scores'"):
            losses.xe_ndcg_target([0, 1], [0.5])


class TestXeNdcgMeanTarget:
    @pytest.mark.parametrize(
        "labels", [[0, 1, 2], [0, 0, 0, 3, 1], [5, 0, 1], [1] + [0] * 19, [0, 2, 0, 2, 4, 1]]
    )
    def test_agrees_with_monte_carlo(self, labels):
        y = np.array(labels, dtype=float)
        rng = np.random.default_rng(23)
        draws = losses.xe_ndcg_target(np.tile(y, (200_000, 1)), rng.random((200_000, y.size)))
        mean, sd = draws.mean(axis=0), draws.std(axis=0)
        exact = losses.xe_ndcg_mean_target(y)
        assert (np.abs(exact - mean) <= 5 * sd / np.sqrt(200_000) + 1e-12).all()

    def test_mixture_of_uniform_and_exponential(self):
        """t = a/n + (1 - a) w with w the exponential target and 1/(G + n) <= kappa <= 1/G."""
        y = np.array([0, 3, 1, 0, 2], dtype=float)
        t = losses.xe_ndcg_mean_target(y)
        g = 2.0**y - 1
        big_g, n = g.sum(), y.size
        kappa = (t[1] - t[0]) / (g[1] - g[0])
        np.testing.assert_allclose(t, (1 - big_g * kappa) / n + g * kappa, rtol=1e-13)
        assert 1 / (big_g + n) <= kappa <= 1 / big_g
        assert t.sum() == pytest.approx(1.0, abs=1e-14)

    def test_expected_loss_is_loss_of_mean_target(self):
        y = np.array([2, 0, 1, 0], dtype=float)
        s = np.array([0.3, 1.2, -0.4, 0.0])
        rng = np.random.default_rng(29)
        t = losses.xe_ndcg_target(np.tile(y, (100_000, 1)), rng.random((100_000, 4)))
        per_draw = -(t * rb.log_softmax(s)).sum(axis=1)
        mean_loss = -(losses.xe_ndcg_mean_target(y) * rb.log_softmax(s)).sum()
        assert abs(per_draw.mean() - mean_loss) <= 5 * per_draw.std() / np.sqrt(100_000)

    def test_no_relevant_is_uniform_and_batch(self):
        assert losses.xe_ndcg_mean_target([0, 0, 0]).tolist() == [1 / 3] * 3
        rows = np.array([[0, 1, 2], [2, 1, 0]], dtype=float)
        out = losses.xe_ndcg_mean_target(rows)
        np.testing.assert_allclose(out[1], out[0][::-1], rtol=1e-14)


class TestAntitonicPrecision:
    def test_tiny_entries_after_a_large_one(self):
        """Prefix sums cancel for entries far below the first: the row is pooled exactly."""
        t = rb.listnet_target([40.0, 0.0, 1.0], target="softmax")  # (1, 4e-18, 1.2e-17)
        q = wc.antitonic_regression(t)
        assert (q > 0).all()
        np.testing.assert_allclose(q[1:], (t[1] + t[2]) / 2, rtol=1e-14)
        # closed form: -t1 log t1 - (t2 + t3) log((t2 + t3)/2), with -t1 log t1 ~ t2 + t3
        tail = t[1] + t[2]
        expected = tail - tail * np.log(tail / 2)
        assert wc.infimum_loss([40.0, 0.0, 1.0], target="softmax") == pytest.approx(
            expected, rel=0.05
        )

    def test_pooling_loop_agrees_with_vectorised(self):
        rng = np.random.default_rng(31)
        v = rng.random((500, 8)) * (rng.random((500, 8)) < 0.6)
        loop = np.array([wc._pool_adjacent_violators(row) for row in v])
        np.testing.assert_allclose(loop, wc.antitonic_regression(v), rtol=0, atol=1e-15)


class TestGapsWithCallableTargets:
    def test_callable_equals_named_target(self):
        def exponential(labels):
            return rb.listnet_target(labels, target="exponential")

        named = wc.exhaustive_gap(3, 6, metric="ndcg", target="exponential")
        called = wc.exhaustive_gap(3, 6, metric="ndcg", target=exponential)
        assert called.max_gap == named.max_gap and called.argmax == named.argmax
        assert called.target == "exponential"

    def test_xe_mean_target_fails_linear_ndcg(self):
        r = wc.exhaustive_gap(3, 11, metric="ndcg", target=losses.xe_ndcg_mean_target)
        assert r.max_gap > 0 and r.argmax == (11, 0, 2)

    def test_rows_without_relevant_items_are_nan(self):
        gap = wc.sequence_gap([[0, 0], [0, 1]], metric="rr", target=losses.xe_ndcg_mean_target)
        assert np.isnan(gap[0]) and gap[1] == pytest.approx(0.0, abs=1e-15)


class TestAdversarialRatio:
    def test_ratio_objective(self):
        r = wc.adversarial_gap(4, 3, metric="ndcg", target="linear", objective="ratio",
                               population=32, rounds=40)
        assert r.ratio is not None and 0 < r.ratio < 1
        y = np.array(r.argmax, dtype=float)
        inf = wc.infimum_loss(y)
        assert r.ratio == pytest.approx((r.max_gap + inf) / inf)
        assert "max ratio" in str(r)

    def test_ratio_above_one_is_a_violation(self):
        r = wc.adversarial_gap(3, 12, metric="ap", target="exponential", objective="ratio",
                               population=64, rounds=80)
        assert r.ratio > 1 and r.max_gap > 0

    def test_objective_validated(self):
        with pytest.raises(ValueError, match="adversarial_gap: 'objective'"):
            wc.adversarial_gap(3, 2, objective="slack")
