"""The sampled softmax loss: hand values, agreement with the full-list losses, the bounds of the
chapter *Sampled softmax: what the bound sees*, exact expectations over every sample, and
validation.

``w_j = exp(s_j - s_+)``; the plain loss is ``log(1 + sum_S w_j)``, the corrected one
``log(1 + (N/K) sum_S w_j)``.
"""

from __future__ import annotations

import math
import warnings
from itertools import combinations

import numpy as np
import pytest

import rankbound as rb

f = rb.sampled_softmax_cross_entropy


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


class TestHandValues:
    def test_one_tied_negative_is_log_2(self):
        assert f(0.0, [0.0]) == pytest.approx(math.log(2), rel=1e-15)

    def test_formula(self):
        s_pos, negs = 0.5, [1.5, -1.0, 0.5]
        expected = math.log(1 + math.exp(1.0) + math.exp(-1.5) + 1.0)
        assert f(s_pos, negs) == pytest.approx(expected, rel=1e-15)

    def test_corrected_formula(self):
        s_pos, negs, n = 0.5, [1.5, -1.0, 0.5], 10
        expected = math.log(1 + n / 3 * (math.exp(1.0) + math.exp(-1.5) + 1.0))
        assert f(s_pos, negs, catalogue_size=n) == pytest.approx(expected, rel=1e-15)

    def test_corrected_with_whole_catalogue_is_plain(self):
        negs = [0.3, -2.0, 1.0]
        assert f(0.0, negs, catalogue_size=3) == f(0.0, negs)

    def test_temperature(self):
        negs = np.array([1.0, -2.0])
        assert f(0.5, negs, temperature=2.0) == pytest.approx(f(0.25, negs / 2.0), rel=1e-15)

    def test_extreme_scores_do_not_overflow(self, no_warnings):
        assert f(1e300, [-1e300]) == 0.0
        assert f(-1e300, [1e300, 0.0]) == 2e300
        assert f(0.0, [1000.0, 1000.0]) == pytest.approx(1000.0 + math.log(2), rel=1e-15)

    def test_mask_counts_k_per_row(self):
        negs = np.array([[0.0, 0.0, 9.0], [0.0, 0.0, 0.0]])
        mask = np.array([[True, True, False], [True, True, True]])
        out = f(np.zeros(2), negs, mask=mask, catalogue_size=6)
        np.testing.assert_allclose(out, [math.log(1 + 6 / 2 * 2), math.log(1 + 6 / 3 * 3)])


class TestAgreement:
    def test_plain_is_listnet_on_the_sampled_list(self):
        rng = np.random.default_rng(0)
        pos = rng.normal(size=200)
        negs = rng.normal(size=(200, 7)).round(1)
        mask = rng.random((200, 7)) < 0.8
        mask[:, 0] = True
        labels = np.zeros((200, 8))
        labels[:, 0] = 1.0
        scores = np.concatenate([pos[:, None], negs], axis=1)
        full_mask = np.concatenate([np.ones((200, 1), bool), mask], axis=1)
        for temperature in (0.1, 1.0, 30.0):
            ours = f(pos, negs, mask=mask, temperature=temperature)
            listnet = rb.softmax_cross_entropy(
                labels, scores, mask=full_mask, temperature=temperature
            )
            neg_only = rb.negatives_cross_entropy(
                labels, scores, mask=full_mask, temperature=temperature
            )
            np.testing.assert_allclose(ours, listnet, rtol=1e-13, atol=1e-14)
            np.testing.assert_allclose(ours, neg_only, rtol=1e-14, atol=1e-15)

    def test_corrected_is_plain_with_shifted_logits(self):
        rng = np.random.default_rng(1)
        pos, negs, n = rng.normal(size=50), rng.normal(size=(50, 4)), 40
        shifted = f(pos, negs + math.log(n / 4))
        np.testing.assert_allclose(f(pos, negs, catalogue_size=n), shifted, rtol=1e-13)


class TestBounds:
    """thm-sampled-rank-bound and thm-sampled-correction on random tied catalogues."""

    @pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
    def test_sampled_rank_bound_and_full_loss(self, scale):
        rng = np.random.default_rng(2)
        for _ in range(50):
            catalogue = rng.normal(size=30).round(1) * scale
            s_pos = rng.normal() * scale
            s_pos = catalogue[0] if rng.random() < 0.3 else s_pos
            sample = catalogue[rng.choice(30, size=8, replace=False)]
            r_k = int((sample >= s_pos).sum())
            loss = f(s_pos, sample)
            full = f(s_pos, catalogue)
            tol = 1e-12 * (1 + abs(loss))
            assert math.log1p(r_k) <= loss + tol
            assert loss <= full + tol
            assert -math.log(rb.reciprocal_rank([1] + [0] * 8, [s_pos, *sample],
                                                ties="pessimistic")) == pytest.approx(
                math.log1p(r_k), abs=1e-12)

    @pytest.mark.parametrize("n, k", [(7, 1), (7, 3), (9, 4), (6, 6)])
    def test_exact_expectations_over_every_sample(self, n, k):
        # E_S[exp(l_hat)] = exp(l_full) (the correction is unbiased), E_S[l_hat] <= l_full
        # (Jensen), and the sampled rank is hypergeometric with mean K R / N.
        rng = np.random.default_rng(3)
        subsets = np.array(list(combinations(range(n), k)))
        for _ in range(20):
            catalogue = rng.normal(size=n).round(1)
            s_pos = float(rng.choice(catalogue)) if rng.random() < 0.5 else rng.normal()
            full = f(s_pos, catalogue)
            samples = catalogue[subsets]
            corrected = f(np.full(len(subsets), s_pos), samples, catalogue_size=n)
            mean_exp = np.exp(corrected).mean()
            assert mean_exp == pytest.approx(math.exp(full), rel=1e-12)
            assert corrected.mean() <= full + 1e-12
            r = int((catalogue >= s_pos).sum())
            r_k = (samples >= s_pos).sum(axis=1)
            assert r_k.mean() == pytest.approx(k * r / n, rel=1e-12, abs=1e-12)
            counts = np.bincount(r_k, minlength=k + 1)
            expected = [math.comb(r, j) * math.comb(n - r, k - j) for j in range(k + 1)]
            assert counts.tolist() == expected
            assert (np.log1p(n / k * r_k) <= corrected + 1e-12).all()

    def test_corrected_loss_is_below_log_full_rank_in_expectation(self):
        # N = 2, K = 1, one negative tied with the positive and one far below: full rank 1,
        # E[l_hat] -> (log 3 + log 1) / 2 < log 2.
        corrected = [f(0.0, [x], catalogue_size=2) for x in (0.0, -50.0)]
        assert np.mean(corrected) < math.log(2)
        assert np.mean(corrected) == pytest.approx(math.log(3) / 2, rel=1e-15)


class TestValidation:
    def test_catalogue_smaller_than_sample(self):
        with pytest.raises(ValueError, match=r"sampled_softmax_cross_entropy: 'catalogue_size' "
                                             r"must be at least .* got catalogue_size=2 and K=3"):
            f(0.0, [0.0, 1.0, 2.0], catalogue_size=2)

    @pytest.mark.parametrize("bad", [True, 2.0, "3"])
    def test_catalogue_size_type(self, bad):
        with pytest.raises(TypeError, match="'catalogue_size' must be an int"):
            f(0.0, [0.0], catalogue_size=bad)

    def test_positive_shape(self):
        with pytest.raises(ValueError, match=r"'positive_scores' must hold one score per row"):
            f([0.0, 1.0, 2.0], [[0.0], [1.0]])

    def test_array_positive_for_one_list(self):
        with pytest.raises(TypeError, match="'positive_scores' must be a real number"):
            f([0.0], [0.0, 1.0])

    def test_non_finite(self):
        with pytest.raises(ValueError, match="'negative_scores' must be finite"):
            f(0.0, [0.0, np.nan])
        with pytest.raises(ValueError, match="'positive_scores' must be a finite real number"):
            f(np.inf, [0.0])

    def test_mask(self):
        with pytest.raises(ValueError, match="'mask' must have the shape of 'negative_scores'"):
            f(np.zeros(2), np.zeros((2, 3)), mask=np.ones((2, 2), bool))
        with pytest.raises(ValueError, match="'mask' must keep at least one item"):
            f(np.zeros(2), np.zeros((2, 3)), mask=np.array([[True] * 3, [False] * 3]))

    def test_temperature_overflow(self):
        with pytest.raises(ValueError, match="overflows float64"):
            f(0.0, [1e300], temperature=1e-300)
