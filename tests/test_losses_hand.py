"""Hand-worked values of the softmax losses, including scores near the float64 limit.

Every expected value is a formula. ``e`` is Euler's number; for scores ``s`` and target ``t`` the
ListNet loss is ``-sum_i t_i (s_i - log sum_j exp(s_j))``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import rankbound as rb

E = math.e
LOSSES = (rb.softmax_cross_entropy, rb.negatives_cross_entropy)


@pytest.fixture
def no_warnings():
    """Any warning (numpy overflow/invalid included) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


class TestLogSoftmax:
    def test_hand(self):
        expected = [i - math.log(E + E**2 + E**3) for i in (1, 2, 3)]
        np.testing.assert_allclose(rb.log_softmax([1.0, 2.0, 3.0]), expected, rtol=1e-15)

    def test_large_gap_does_not_overflow(self, no_warnings):
        # exp(1000) overflows; the shifted form gives 0 and -999 - log(1 + e^-999) = -999
        assert rb.log_softmax([1000.0, 1.0]).tolist() == [0.0, -999.0]
        assert rb.log_softmax([1e300, -1e300]).tolist() == [0.0, -2e300]

    def test_difference_beyond_float_max_is_minus_inf(self, no_warnings):
        # the true value -2e308 is below -max float: -inf is the correctly rounded result
        assert rb.log_softmax([1e308, -1e308]).tolist() == [0.0, -math.inf]

    def test_temperature(self):
        s = np.array([2.0, -1.0, 0.5])
        np.testing.assert_array_equal(rb.log_softmax(s, temperature=4.0), rb.log_softmax(s / 4.0))
        expected = [0.5 - math.log(E**0.5 + E**-0.25 + E**0.125)]
        assert rb.log_softmax(s, temperature=4.0)[0] == pytest.approx(expected[0], rel=1e-15)

    def test_mask(self):
        out = rb.log_softmax([[1.0, 50.0, 2.0]], mask=[[True, False, True]])
        expected = [1 - math.log(E + E**2), -math.inf, 2 - math.log(E + E**2)]
        np.testing.assert_allclose(out[0], expected, rtol=1e-15)


class TestSoftmaxCrossEntropy:
    @pytest.mark.parametrize("n", [1, 2, 3, 7, 100])
    @pytest.mark.parametrize("target", ["linear", "exponential"])
    def test_uniform_scores_one_relevant_is_log_n(self, n, target):
        labels = np.zeros(n)
        labels[n // 2] = 2.0
        value = rb.softmax_cross_entropy(labels, np.full(n, 0.3), target=target)
        assert value == pytest.approx(math.log(n), rel=1e-15, abs=1e-15)

    def test_two_relevant_uniform(self):
        assert rb.softmax_cross_entropy([1, 1, 0], [0.0, 0.0, 0.0]) == pytest.approx(
            math.log(3), rel=1e-15
        )

    def test_two_relevant_graded_linear(self):
        # t = (2/3, 1/3, 0), log p = (1, 0, 0) - log(e + 2)
        expected = -(2 / 3) * (1 - math.log(E + 2)) - (1 / 3) * (0 - math.log(E + 2))
        value = rb.softmax_cross_entropy([2, 1, 0], [1.0, 0.0, 0.0])
        assert value == pytest.approx(expected, rel=1e-15)

    def test_exponential_target(self):
        # t = (2^2 - 1, 2^1 - 1, 0) / 4 = (3/4, 1/4, 0)
        expected = -(3 / 4) * (1 - math.log(E + 2)) - (1 / 4) * (0 - math.log(E + 2))
        value = rb.softmax_cross_entropy([2, 1, 0], [1.0, 0.0, 0.0], target="exponential")
        assert value == pytest.approx(expected, rel=1e-15)

    def test_softmax_target(self):
        # t = (e^2, e, 1) / (e^2 + e + 1): the original ListNet target
        z = E**2 + E + 1
        t = [E**2 / z, E / z, 1 / z]
        expected = -sum(
            ti * (si - math.log(E + 2)) for ti, si in zip(t, [1.0, 0.0, 0.0], strict=True)
        )
        value = rb.softmax_cross_entropy([2, 1, 0], [1.0, 0.0, 0.0], target="softmax")
        assert value == pytest.approx(expected, rel=1e-15)

    def test_softmax_target_is_defined_without_relevant_items(self):
        # softmax(0, 0) is uniform, so no_relevant does not apply: cross-entropy log 2
        value = rb.softmax_cross_entropy([0, 0], [3.0, 3.0], target="softmax", no_relevant="raise")
        assert value == pytest.approx(math.log(2), rel=1e-15)

    def test_temperature_equals_scaled_scores(self):
        labels, s = [1, 0, 2], np.array([3.0, -1.5, 0.25])
        for temperature in (0.1, 0.5, 2.0, 7.0):
            assert rb.softmax_cross_entropy(labels, s, temperature=temperature) == (
                rb.softmax_cross_entropy(labels, s / temperature)
            )
        # labels [1, 0], scores [2, 0], T = 2: -log(e^1 / (e^1 + e^0))
        assert rb.softmax_cross_entropy([1, 0], [2.0, 0.0], temperature=2.0) == pytest.approx(
            math.log(1 + E**-1), rel=1e-15
        )

    def test_huge_scores_exact(self, no_warnings):
        assert rb.softmax_cross_entropy([1, 0], [1e300, -1e300]) == 0.0
        # the true loss 2e300 is representable, so it must come back, not inf
        assert rb.softmax_cross_entropy([0, 1], [1e300, -1e300]) == 2e300
        # -log p_0 = log(1 + e^(1e308) + e^(-1e308)) = 1e308 (to rounding): finite
        assert rb.softmax_cross_entropy([1, 0, 0], [0.0, 1e308, -1e308]) == 1e308

    def test_loss_beyond_float_max_is_inf_without_warnings(self, no_warnings):
        # true loss 2e308 > max float: inf is the correctly rounded value
        assert rb.softmax_cross_entropy([0, 1], [1e308, -1e308]) == math.inf
        # a term beyond float max, the loss (2e308 + 0) / 2 not: computed in halves
        assert rb.softmax_cross_entropy([1, 1], [1e308, -1e308]) == 1e308
        # an irrelevant item whose probability underflows to 0 costs nothing: 0 * log 0 is 0
        assert rb.softmax_cross_entropy([1, 0], [1e308, -1e308]) == 0.0

    def test_mask_adds_no_warning(self, no_warnings):
        # masked items have log p = -inf and t = 0; their term must be skipped, not 0 * -inf
        value = rb.softmax_cross_entropy([[1, 0, 5]], [[0.0, 0.0, 9.0]], mask=[[True, True, False]])
        assert value[0] == pytest.approx(math.log(2), rel=1e-15)

    def test_no_relevant(self):
        labels, scores = [0, 0, 0], [1.0, 2.0, 3.0]
        with pytest.raises(ValueError, match="no relevant item"):
            rb.softmax_cross_entropy(labels, scores)  # the default: the target is undefined
        assert math.isnan(rb.softmax_cross_entropy(labels, scores, no_relevant="nan"))
        assert rb.softmax_cross_entropy(labels, scores, no_relevant="zero") == 0.0
        batch = rb.softmax_cross_entropy([[0, 1], [0, 0]], [[0.0, 0.0]] * 2, no_relevant="nan")
        assert batch[0] == pytest.approx(math.log(2), rel=1e-15) and math.isnan(batch[1])

    def test_mask_equals_rows(self):
        labels = np.array([[0, 1, 3, 2], [1, 0, 9, 9]], float)
        scores = np.array([[0.5, 1.0, -2.0, 0.0], [2.0, 1.0, 100.0, -100.0]])
        mask = np.array([[True, True, True, True], [True, True, False, False]])
        for target in rb.TARGETS:
            for loss in (*LOSSES, rb.softmax_cross_entropy_gradient):
                batch = loss(labels, scores, mask=mask, target=target)
                for r in range(2):
                    alone = loss(labels[r, mask[r]], scores[r, mask[r]], target=target)
                    if np.ndim(batch) == 2:
                        np.testing.assert_allclose(batch[r, mask[r]], alone, rtol=1e-15)
                        assert (batch[r, ~mask[r]] == 0).all()
                    else:
                        assert batch[r] == pytest.approx(alone, rel=1e-15)
        # hand value of row 1: two items, one relevant, scores 2 and 1
        assert rb.softmax_cross_entropy(labels, scores, mask=mask)[1] == pytest.approx(
            math.log(1 + E**-1), rel=1e-15
        )


class TestGradient:
    def test_hand(self):
        # (p - t) / T with p = (e, 1, 1)/(e + 2), t = (2/3, 1/3, 0)
        p = np.array([E, 1, 1]) / (E + 2)
        t = np.array([2 / 3, 1 / 3, 0])
        got = rb.softmax_cross_entropy_gradient([2, 1, 0], [1.0, 0.0, 0.0])
        np.testing.assert_allclose(got, p - t, rtol=1e-15, atol=1e-16)
        got = rb.softmax_cross_entropy_gradient([2, 1, 0], [2.0, 0.0, 0.0], temperature=2.0)
        np.testing.assert_allclose(got, (p - t) / 2, rtol=1e-15, atol=1e-16)

    def test_huge_scores(self, no_warnings):
        np.testing.assert_array_equal(
            rb.softmax_cross_entropy_gradient([0, 1], [1e308, -1e308]), [1.0, -1.0]
        )

    def test_no_relevant(self):
        with pytest.raises(ValueError, match="no relevant item"):
            rb.softmax_cross_entropy_gradient([0, 0], [1.0, 2.0])
        assert np.isnan(
            rb.softmax_cross_entropy_gradient([0, 0], [1.0, 2.0], no_relevant="nan")
        ).all()
        assert (
            rb.softmax_cross_entropy_gradient([0, 0], [1.0, 2.0], no_relevant="zero") == 0
        ).all()


class TestNegativesCrossEntropy:
    def test_one_relevant_equals_listnet(self):
        expected = math.log(1 + E**-1 + E**-2)
        assert rb.negatives_cross_entropy([1, 0, 0], [2.0, 1.0, 0.0]) == pytest.approx(
            expected, rel=1e-15
        )
        assert rb.softmax_cross_entropy([1, 0, 0], [2.0, 1.0, 0.0]) == pytest.approx(
            expected, rel=1e-15
        )

    def test_two_relevant_compete_with_negatives_only(self):
        # t = (1/2, 1/2, 0); item 0 vs the negative: log(1 + e^(0-2)); item 1: log(1 + e^(0-1))
        expected = (math.log(1 + E**-2) + math.log(1 + E**-1)) / 2
        value = rb.negatives_cross_entropy([1, 1, 0], [2.0, 1.0, 0.0])
        assert value == pytest.approx(expected, rel=1e-15)
        listnet = math.log(E**2 + E + 1) - (2 + 1) / 2
        assert rb.softmax_cross_entropy([1, 1, 0], [2.0, 1.0, 0.0]) == pytest.approx(
            listnet, rel=1e-15
        )

    def test_all_relevant_is_zero(self):
        assert rb.negatives_cross_entropy([1, 2, 3], [5.0, -1.0, 0.0]) == 0.0

    def test_huge_scores(self, no_warnings):
        # log(1 + e^(2e300)) = 2e300 to rounding
        assert rb.negatives_cross_entropy([0, 1], [1e300, -1e300]) == 2e300
        assert rb.negatives_cross_entropy([1, 0], [1e300, -1e300]) == 0.0
        assert rb.negatives_cross_entropy([0, 1], [1e308, -1e308]) == math.inf
        # two relevant items, terms log 2 and 2e308 against the negative at 1e308: the mean
        # log(2) / 2 + 1e308 is 1e308 to rounding, although one term is beyond float max
        assert rb.negatives_cross_entropy([1, 0, 1], [1e308, 1e308, -1e308]) == 1e308
        # a negative far below the others: its own term is inf but its weight is 0
        assert rb.negatives_cross_entropy([1, 0, 0], [0.0, 1e308, -1e308]) == 1e308

    def test_large_equal_scores_keep_precision(self):
        # three equal scores of 131072 / 0.25: the relevant item against two negatives is
        # log(1 + 2) exactly as in ListNet; forming log-sum-exp at the scale of 5e5 before
        # subtracting the item's score once lost ~3e-11 and made ell_neg > ell.
        for s in (131072.0, 1e5 + 0.1, -7e5):
            value = rb.negatives_cross_entropy([1, 0, 0], [s] * 3, temperature=0.25)
            assert value == pytest.approx(math.log(3), rel=1e-15)
            assert value <= rb.softmax_cross_entropy([1, 0, 0], [s] * 3, temperature=0.25)

    def test_no_relevant(self):
        with pytest.raises(ValueError, match="no relevant item"):
            rb.negatives_cross_entropy([0, 0], [1.0, 2.0])
        assert math.isnan(rb.negatives_cross_entropy([0, 0], [1.0, 2.0], no_relevant="nan"))
        assert rb.negatives_cross_entropy([0, 0], [1.0, 2.0], no_relevant="zero") == 0.0


class TestListnetTarget:
    def test_targets(self):
        np.testing.assert_allclose(rb.listnet_target([0, 1, 3]), [0, 1 / 4, 3 / 4], rtol=1e-15)
        np.testing.assert_allclose(
            rb.listnet_target([0, 1, 3], target="exponential"), [0, 1 / 8, 7 / 8], rtol=1e-15
        )
        z = 1 + E + E**3
        np.testing.assert_allclose(
            rb.listnet_target([0, 1, 3], target="softmax"), [1 / z, E / z, E**3 / z], rtol=1e-15
        )

    def test_mask_and_no_relevant(self):
        got = rb.listnet_target(
            [[0, 1, 3], [0, 0, 4]],
            mask=[[True, True, True], [True, True, False]],
            no_relevant="nan",
        )
        np.testing.assert_allclose(got[0], [0, 1 / 4, 3 / 4], rtol=1e-15)
        assert np.isnan(got[1]).all()
        with pytest.raises(ValueError, match=r"row\(s\) \[1\]"):
            rb.listnet_target([[0, 1, 3], [0, 0, 0]])
