"""Margin logits (NormFace, CosFace, ArcFace) and InfoNCE: hand values written as formulas.

NormFace z_j = s cos(theta_j); CosFace z_y = s (cos(theta_y) - m); ArcFace z_y = s cos(theta_y + m),
with the fallback s (cos(theta_y) - m sin m) once theta_y + m > pi. InfoNCE / SupCon is
-(1/|P|) sum_p log softmax(s / tau)_p, computed here directly from the definition.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import rankbound as rb

COS = np.array([0.6, 0.2, -0.3])  # cosines to three class proxies, class 0 the target


class TestMarginLogits:
    def test_normface(self):
        z = rb.margin_logits(COS, 0, kind="normface", scale=10.0)
        np.testing.assert_allclose(z, [6.0, 2.0, -3.0], rtol=1e-15)

    def test_cosface(self):
        z = rb.margin_logits(COS, 0, kind="cosface", scale=10.0, margin=0.35)
        np.testing.assert_allclose(z, [10 * (0.6 - 0.35), 2.0, -3.0], rtol=1e-15)

    def test_arcface(self):
        m = 0.5
        z = rb.margin_logits(COS, 0, kind="arcface", scale=10.0, margin=m)
        # cos(theta + m) = cos(theta) cos(m) - sin(theta) sin(m), sin(theta) = sqrt(1 - 0.36) = 0.8
        expected = 10 * (0.6 * math.cos(m) - 0.8 * math.sin(m))
        np.testing.assert_allclose(z, [expected, 2.0, -3.0], rtol=1e-14)
        np.testing.assert_allclose(z[0], 10 * math.cos(math.acos(0.6) + m), rtol=1e-14)

    def test_arcface_right_angle(self):
        # theta_y = 60 degrees, m = 30 degrees: cos(90 degrees) = 0
        z = rb.margin_logits([0.5, 0.1], 0, kind="arcface", scale=4.0, margin=math.pi / 6)
        np.testing.assert_allclose(z, [0.0, 0.4], atol=1e-15)

    def test_arcface_fallback_beyond_pi(self):
        # theta_y = acos(-0.95) > pi - 0.5, i.e. -0.95 < -cos(0.5) = -0.8776: the linear fallback
        m = 0.5
        z = rb.margin_logits([-0.95, 0.2], 0, kind="arcface", scale=10.0, margin=m)
        np.testing.assert_allclose(z, [10 * (-0.95 - m * math.sin(m)), 2.0], rtol=1e-15)

    def test_arcface_at_pi(self):
        # theta_y + m = pi exactly: cos(pi) = -1 (the arc branch includes the end point)
        m = 0.5
        z = rb.margin_logits([-math.cos(m), 0.0], 0, kind="arcface", scale=10.0, margin=m)
        np.testing.assert_allclose(z[0], -10.0, rtol=1e-14)

    def test_arcface_target_decreases_with_the_angle(self):
        theta = np.linspace(0.0, math.pi, 2001)
        for m in (0.1, 0.5, 1.0):
            cos = np.stack([np.cos(theta), np.zeros_like(theta)], axis=1)
            z = rb.margin_logits(
                cos, np.zeros(theta.size, dtype=int), kind="arcface", scale=1.0, margin=m
            )
            assert (np.diff(z[:, 0]) <= 1e-15).all()
            assert (z[:, 0] <= cos[:, 0] + 1e-15).all()  # a margin never raises the target logit

    @pytest.mark.parametrize("kind", ["cosface", "arcface"])
    def test_margin_zero_is_normface(self, kind):
        rng = np.random.default_rng(0)
        cos = rng.uniform(-1, 1, size=(20, 6))
        cos[0, 2] = 1.0
        cos[1, 3] = -1.0  # the ends of the range
        target = rng.integers(0, 6, size=20)
        target[:2] = [2, 3]
        np.testing.assert_allclose(
            rb.margin_logits(cos, target, kind=kind, scale=7.0, margin=0.0),
            rb.margin_logits(cos, target, kind="normface", scale=7.0),
            rtol=1e-15,
            atol=1e-15,
        )

    def test_default_margins(self):
        np.testing.assert_allclose(
            rb.margin_logits(COS, 0, kind="cosface", scale=1.0)[0], 0.6 - 0.35, rtol=1e-15
        )
        np.testing.assert_allclose(
            rb.margin_logits(COS, 0, kind="arcface", scale=1.0)[0],
            math.cos(math.acos(0.6) + 0.5),
            rtol=1e-14,
        )
        np.testing.assert_allclose(
            rb.margin_logits(COS, 0)[0], 16 * 0.6, rtol=1e-15
        )  # normface, s=16

    def test_batch_equals_rows(self):
        rng = np.random.default_rng(1)
        cos = rng.uniform(-1, 1, size=(5, 4))
        target = np.array([0, 3, 1, 1, 2])
        batch = rb.margin_logits(cos, target, kind="arcface", scale=3.0, margin=0.4)
        assert batch.shape == (5, 4)
        for r in range(5):
            np.testing.assert_array_equal(
                batch[r],
                rb.margin_logits(cos[r], int(target[r]), kind="arcface", scale=3.0, margin=0.4),
            )

    @pytest.mark.parametrize("kind", ["normface", "cosface", "arcface"])
    def test_loss_bounds_the_proxy_rank(self, kind):
        # the margin loss is a ListNet loss with one relevant item: -log RR <= loss, and the
        # margin only raises it above NormFace
        rng = np.random.default_rng(2)
        cos = rng.uniform(-1, 1, size=(200, 8))
        target = rng.integers(0, 8, size=200)
        onehot = np.eye(8)[target]
        loss = rb.softmax_cross_entropy(onehot, rb.margin_logits(cos, target, kind=kind, scale=5.0))
        normface = rb.softmax_cross_entropy(
            onehot, rb.margin_logits(cos, target, kind="normface", scale=5.0)
        )
        assert (loss >= normface - 1e-12).all()
        rr = rb.reciprocal_rank(onehot, cos, ties="pessimistic")
        assert (-np.log(rr) <= loss + 1e-12).all()

    @pytest.mark.parametrize(
        "args, kwargs, exc, fragment",
        [
            (
                ([1.2, 0.0], 0),
                {},
                ValueError,
                "'cosines' must lie in [-1, 1]; got min=0.0, max=1.2",
            ),
            (([0.5, np.nan], 0), {}, ValueError, "'cosines' must be finite"),
            (([0.5, 0.1], 2), {}, ValueError, "'target_index' must be in [0, 2); got 2"),
            (([0.5, 0.1], -1), {}, ValueError, "'target_index' must be in [0, 2); got -1"),
            (
                ([0.5, 0.1], 0.0),
                {},
                TypeError,
                "'target_index' must be integer index(es); got dtype float64",
            ),
            (
                ([[0.5, 0.1]], [0, 1]),
                {},
                ValueError,
                "'target_index' must have shape (1,); got (2,)",
            ),
            (
                ([0.5, 0.1], 0),
                {"kind": "sphereface"},
                ValueError,
                "'kind' must be one of 'normface', 'cosface', 'arcface'",
            ),
            (
                ([0.5, 0.1], 0),
                {"margin": 0.2},
                ValueError,
                "'margin' must be a finite real number in [0.0, 0.0]; got 0.2",
            ),
            (
                ([0.5, 0.1], 0),
                {"kind": "cosface", "margin": -0.1},
                ValueError,
                "'margin' must be a finite real number in [0.0, inf)",
            ),
            (
                ([0.5, 0.1], 0),
                {"kind": "arcface", "margin": 4.0},
                ValueError,
                "'margin' must be a finite real number in [0.0, 3.14159",
            ),
            (
                ([0.5, 0.1], 0),
                {"scale": 0.0},
                ValueError,
                "'scale' must be a positive finite real number; got 0.0",
            ),
        ],
    )
    def test_validation(self, args, kwargs, exc, fragment):
        with pytest.raises(exc) as info:
            rb.margin_logits(*args, **kwargs)
        msg = str(info.value)
        assert msg.startswith("margin_logits: ") and fragment in msg


def direct_info_nce(positive, sims, tau, keep=None):
    """-(1/|P|) sum_{p in P} log(exp(s_p/tau) / sum_{j kept} exp(s_j/tau)), term by term."""
    keep = np.ones(len(sims), bool) if keep is None else np.asarray(keep)
    denom = sum(math.exp(s / tau) for s, k in zip(sims, keep, strict=True) if k)
    terms = [
        math.log(math.exp(s / tau) / denom)
        for s, p, k in zip(sims, positive, keep, strict=True)
        if p and k
    ]
    return -sum(terms) / len(terms)


class TestInfoNCE:
    def test_one_positive(self):
        sims = [0.9, 0.1, -0.2, 0.4]
        value = rb.info_nce([1, 0, 0, 0], sims, temperature=0.5)
        np.testing.assert_allclose(value, direct_info_nce([1, 0, 0, 0], sims, 0.5), rtol=1e-14)
        assert type(value) is float

    def test_several_positives_supcon_out(self):
        sims = [0.9, 0.1, -0.2, 0.4, 0.7]
        positive = [1, 0, 1, 0, 1]
        np.testing.assert_allclose(
            rb.info_nce(positive, sims, temperature=0.1),
            direct_info_nce(positive, sims, 0.1),
            rtol=1e-13,
        )

    def test_anchor_masked_out(self):
        # a batch of 4 embeddings with classes [0, 0, 1, 0]: row i ranks the others
        rng = np.random.default_rng(0)
        e = rng.normal(size=(4, 3))
        e /= np.linalg.norm(e, axis=1, keepdims=True)
        sims = e @ e.T
        classes = np.array([0, 0, 1, 0])
        others = ~np.eye(4, dtype=bool)
        labels = np.where(others, classes[:, None] == classes[None, :], False).astype(float)
        rows = [0, 1, 3]  # row 2 has no positive among the others
        values = rb.info_nce(labels[rows], sims[rows], temperature=0.2, mask=others[rows])
        for v, r in zip(values, rows, strict=True):
            np.testing.assert_allclose(
                v, direct_info_nce(labels[r], sims[r], 0.2, others[r]), rtol=1e-13
            )

    def test_equals_listnet_with_linear_target(self):
        labels, scores = rb.synthetic_lists(30, 12, seed=4, ensure_relevant=True)
        np.testing.assert_array_equal(
            rb.info_nce(labels, scores, temperature=0.3),
            rb.softmax_cross_entropy(labels, scores, target="linear", temperature=0.3),
        )

    def test_graded_labels_are_binarised(self):
        sims = [0.3, -0.1, 0.8]
        assert rb.info_nce([0, 3, 1], sims) == rb.info_nce([0, 1, 1], sims)

    def test_no_positive(self):
        with pytest.raises(ValueError) as info:
            rb.info_nce([[0, 0, 0], [1, 0, 0]], [[0.1, 0.2, 0.3]] * 2)
        assert str(info.value).startswith("info_nce: row(s) [0] has no positive")
        values = rb.info_nce([[0, 0, 0], [1, 0, 0]], [[0.1, 0.2, 0.3]] * 2, no_relevant="nan")
        assert np.isnan(values[0]) and np.isfinite(values[1])
        assert rb.info_nce([0, 0], [0.1, 0.2], no_relevant="zero") == 0.0

    @pytest.mark.parametrize(
        "kwargs, fragment",
        [
            ({"temperature": 0.0}, "'temperature' must be a positive finite real number; got 0.0"),
            (
                {"no_relevant": "skip"},
                "'no_relevant' must be one of 'raise', 'nan', 'zero'; got 'skip'",
            ),
            ({"labels": [0, -1]}, "'labels' must be >= 0; got min=-1.0"),
        ],
    )
    def test_validation(self, kwargs, fragment):
        labels = kwargs.pop("labels", [1, 0])
        with pytest.raises(ValueError) as info:
            rb.info_nce(labels, [0.1, 0.2], **kwargs)
        msg = str(info.value)
        assert msg.startswith("info_nce: ") and fragment in msg
