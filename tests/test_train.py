"""Trainers: analytic gradients against finite differences, determinism, learning, and the bounds
holding at every logged epoch. Runs are short (tens of epochs, small data) to keep the suite fast.
"""

from __future__ import annotations

import numpy as np
import pytest

import rankbound as rb
from rankbound.train import embedding_objective, listnet_linear_objective

# Central differences with step H have truncation error O(H^2) and rounding error O(eps/H).
H = 1e-6


def numeric_gradient(f, x):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = H
        g[idx] = (f(x + step) - f(x - step)) / (2 * H)
    return g


@pytest.fixture(scope="module")
def mslr():
    return rb.load_mslr_sample("train"), rb.load_mslr_sample("test")


@pytest.fixture(scope="module")
def digits():
    X, y = rb.load_digits_retrieval()
    return X[:400], y[:400]


class TestListNetObjective:
    @pytest.mark.parametrize("target", ["linear", "exponential", "softmax"])
    def test_gradient_matches_finite_differences(self, target):
        rng = np.random.default_rng(0)
        labels, _ = rb.synthetic_lists(
            4, 6, seed=1, relevance="graded", p_relevant=0.5, ensure_relevant=True
        )
        mask = np.ones(labels.shape, bool)
        mask[1, 4:] = False  # a ragged batch
        X = rng.normal(size=(4, 6, 5))
        w = rng.normal(size=5)
        value, grad = listnet_linear_objective(w, X, labels, mask, target=target, l2=0.3)
        numeric = numeric_gradient(
            lambda v: listnet_linear_objective(v, X, labels, mask, target=target, l2=0.3)[0], w
        )
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)
        loss = rb.softmax_cross_entropy(labels, X @ w, target=target, mask=mask)
        np.testing.assert_allclose(value, loss.mean() + 0.15 * w @ w, rtol=1e-14)


class TestTrainListNetLinear:
    def test_loss_decreases_and_metrics_improve(self, mslr):
        log = rb.train_listnet_linear(*mslr, relevance="binary1", epochs=30)
        assert log["train_loss"][-1] < log["train_loss"][0]
        assert log["train_rr"][-1] > log["train_rr"][0]
        assert log["epoch"].tolist() == list(range(31))

    def test_deterministic_with_a_seed(self, mslr):
        a = rb.train_listnet_linear(*mslr, epochs=5, seed=7)
        b = rb.train_listnet_linear(*mslr, epochs=5, seed=7)
        c = rb.train_listnet_linear(*mslr, epochs=5, seed=8)
        assert a.keys == b.keys
        for key in a.keys:
            np.testing.assert_array_equal(a[key], b[key])
        np.testing.assert_array_equal(a.params["w"], b.params["w"])
        assert not np.array_equal(a.params["w"], c.params["w"])

    @pytest.mark.parametrize("relevance", ["binary1", "binary2"])
    def test_bounds_hold_at_every_epoch(self, mslr, relevance):
        # Theorems 2-4 per list, then Jensen: -log(mean metric) <= mean loss (linear target)
        log = rb.train_listnet_linear(*mslr, relevance=relevance, epochs=20, lr=0.05)
        for split in ("train", "test"):
            for metric in ("rr", "ndcg", "ap"):
                bound = log[f"{split}_neglog_{metric}"]
                np.testing.assert_allclose(bound, -np.log(log[f"{split}_{metric}"]), rtol=1e-15)
                assert (bound <= log[f"{split}_loss"]).all(), (split, metric)

    def test_skipped_lists_are_counted(self, mslr):
        info = rb.train_listnet_linear(*mslr, relevance="binary2", epochs=0).info
        assert (info["n_skipped_train"], info["n_skipped_test"]) == (5, 2)
        assert (info["n_lists_train"], info["n_lists_test"]) == (38, 41)
        info = rb.train_listnet_linear(*mslr, relevance="graded", epochs=0).info
        assert (info["n_skipped_train"], info["n_skipped_test"]) == (2, 0)

    def test_log_shapes_and_records(self, mslr):
        log = rb.train_listnet_linear(*mslr, epochs=3)
        expected = {"epoch"} | {
            f"{split}_{name}"
            for split in ("train", "test")
            for name in (
                "loss",
                "rr",
                "ndcg",
                "ndcg@10",
                "ap",
                "neglog_rr",
                "neglog_ndcg",
                "neglog_ndcg@10",
                "neglog_ap",
            )
        }
        assert set(log.keys) == expected
        assert all(log[k].shape == (4,) for k in log.keys)
        assert log.records()[2]["epoch"] == 2.0 and log.final() == log.records()[-1]

    @pytest.mark.parametrize(
        "kwargs, exc, fragment",
        [
            (
                {"relevance": "binary3"},
                ValueError,
                "'relevance' must be one of 'graded', 'binary1', 'binary2'; got 'binary3'",
            ),
            (
                {"target": "log"},
                ValueError,
                "'target' must be one of 'linear', 'exponential', 'softmax'; got 'log'",
            ),
            ({"epochs": -1}, ValueError, "'epochs' must be an int >= 0; got -1"),
            ({"lr": 0}, ValueError, "'lr' must be a positive finite real number; got 0.0"),
            ({"l2": -1.0}, ValueError, "'l2' must be a finite real number in [0.0, inf); got -1.0"),
            (
                {"seed": 1.5},
                TypeError,
                "'seed' must be an int >= 0 or a numpy.random.Generator; got float 1.5",
            ),
        ],
    )
    def test_validation(self, mslr, kwargs, exc, fragment):
        with pytest.raises(exc) as info:
            rb.train_listnet_linear(*mslr, **kwargs)
        msg = str(info.value)
        assert msg.startswith("train_listnet_linear: ") and fragment in msg

    def test_refuses_other_data(self, mslr):
        with pytest.raises(
            TypeError, match="train_listnet_linear: 'data_test' must be a RankingData; got tuple"
        ):
            rb.train_listnet_linear(mslr[0], mslr[0].as_padded())


class TestEmbeddingObjective:
    @pytest.mark.parametrize(
        "loss, margin",
        [
            ("normface", None),
            ("cosface", 0.35),
            ("arcface", 0.5),
            ("arcface", 1.2),
            ("infonce", None),
        ],
    )
    def test_gradients_match_finite_differences(self, loss, margin):
        rng = np.random.default_rng(3)
        X = rng.normal(size=(12, 5))
        y = np.arange(12) % 3
        W = rng.normal(size=(4, 5))
        P = rng.normal(size=(3, 4))
        kw = {"loss": loss, "scale": 3.0, "margin": margin}
        value, gW, gP = embedding_objective(W, P, X, y, **kw)
        assert np.isfinite(value) and value > 0
        np.testing.assert_allclose(
            gW,
            numeric_gradient(lambda v: embedding_objective(v, P, X, y, **kw)[0], W),
            rtol=1e-5,
            atol=1e-8,
        )
        np.testing.assert_allclose(
            gP,
            numeric_gradient(lambda v: embedding_objective(W, v, X, y, **kw)[0], P),
            rtol=1e-5,
            atol=1e-8,
        )
        if loss == "infonce":
            assert (gP == 0).all()

    def test_arcface_case_covers_both_branches(self):
        # the margin 1.2 case above must exercise the fallback (theta_y + m > pi) and the arc
        rng = np.random.default_rng(3)
        X, y = rng.normal(size=(12, 5)), np.arange(12) % 3
        W, P = rng.normal(size=(4, 5)), rng.normal(size=(3, 4))
        E = X @ W.T
        E /= np.linalg.norm(E, axis=1, keepdims=True)
        Q = P / np.linalg.norm(P, axis=1, keepdims=True)
        cos_y = (E @ Q.T)[np.arange(12), y]
        beyond = cos_y < -np.cos(1.2)
        assert beyond.any() and (~beyond).any()

    def test_value_is_the_mean_margin_loss(self):
        rng = np.random.default_rng(4)
        X, y = rng.normal(size=(6, 3)), np.array([0, 1, 1, 0, 1, 0])
        W, P = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
        value, _, _ = embedding_objective(W, P, X, y, loss="cosface", scale=5.0, margin=0.2)
        E = X @ W.T
        E /= np.linalg.norm(E, axis=1, keepdims=True)
        cos = E @ (P / np.linalg.norm(P, axis=1, keepdims=True)).T
        z = rb.margin_logits(cos, y, kind="cosface", scale=5.0, margin=0.2)
        np.testing.assert_allclose(
            value, rb.softmax_cross_entropy(np.eye(2)[y], z).mean(), rtol=1e-14
        )


class TestTrainEmbedding:
    @pytest.mark.parametrize("loss", ["normface", "cosface", "arcface", "infonce"])
    def test_learns_and_bounds_hold(self, digits, loss):
        log = rb.train_embedding(*digits, loss=loss, epochs=10, eval_queries=50)
        assert log["loss"][-1] < log["loss"][0]
        assert log["test_proxy_rr"][-1] > log["test_proxy_rr"][0]
        if loss == "infonce":
            assert (log["train_neglog_rr"] <= log["train_query_loss"]).all()
        else:
            assert (log["train_neglog_proxy_rr"] <= log["loss"]).all()

    def test_deterministic_with_a_seed(self, digits):
        a = rb.train_embedding(*digits, loss="arcface", epochs=3, eval_queries=30, seed=1)
        b = rb.train_embedding(*digits, loss="arcface", epochs=3, eval_queries=30, seed=1)
        c = rb.train_embedding(*digits, loss="arcface", epochs=3, eval_queries=30, seed=2)
        for key in a.keys:
            np.testing.assert_array_equal(a[key], b[key])
        np.testing.assert_array_equal(a.params["W"], b.params["W"])
        assert not np.array_equal(a.params["W"], c.params["W"])

    def test_split_is_stratified(self, digits):
        X, y = digits
        info = rb.train_embedding(X, y, epochs=0, test_fraction=0.25, eval_queries=10).info
        train, test = info["train_index"], info["test_index"]
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(y.size))
        counts = np.bincount(y, minlength=10)
        np.testing.assert_array_equal(np.bincount(y[test], minlength=10), np.round(0.25 * counts))

    @pytest.mark.parametrize(
        "kwargs, exc, fragment",
        [
            (
                {"loss": "triplet"},
                ValueError,
                "'loss' must be one of 'normface', 'cosface', 'arcface', 'infonce'; got 'triplet'",
            ),
            (
                {"loss": "infonce", "margin": 0.3},
                ValueError,
                "'margin' must be None for loss='infonce'; got 0.3",
            ),
            (
                {"loss": "normface", "margin": 0.3},
                ValueError,
                "'margin' must be a finite real number in [0.0, 0.0]; got 0.3",
            ),
            ({"dim": 0}, ValueError, "'dim' must be an int >= 1; got 0"),
            (
                {"test_fraction": 1.0},
                ValueError,
                "'test_fraction' must be a finite real number in (0.0, 1.0); got 1.0",
            ),
            ({"eval_queries": 0}, ValueError, "'eval_queries' must be an int >= 1; got 0"),
        ],
    )
    def test_validation(self, digits, kwargs, exc, fragment):
        with pytest.raises(exc) as info:
            rb.train_embedding(*digits, **kwargs)
        msg = str(info.value)
        assert msg.startswith("train_embedding: ") and fragment in msg

    def test_refuses_float_classes(self, digits):
        X, y = digits
        with pytest.raises(
            TypeError,
            match="train_embedding: 'y' must be an integer array of class labels; "
            "got dtype float64",
        ):
            rb.train_embedding(X, y.astype(float))


class TestObjectiveValidation:
    def test_listnet_objective(self):
        labels, mask = np.array([[1.0, 0.0, 0.0]]), np.ones((1, 3), bool)
        X, w = np.zeros((1, 3, 2)), np.zeros(2)
        with pytest.raises(
            ValueError,
            match=r"listnet_linear_objective: 'X' must have shape "
            r"\(lists, items, features\) = \(1, 3, 2\)",
        ):
            listnet_linear_objective(w, X[:, :2], labels, mask)
        with pytest.raises(
            ValueError,
            match=r"listnet_linear_objective: 'X' must be a 3-D array; "
            r"got 2-D array of shape \(3, 2\)",
        ):
            listnet_linear_objective(w, X[0], labels, mask)
        with pytest.raises(ValueError, match="listnet_linear_objective: 'w' must be finite"):
            listnet_linear_objective(np.array([np.nan, 0.0]), X, labels, mask)
        with pytest.raises(ValueError, match="listnet_linear_objective: 'labels' must be >= 0"):
            listnet_linear_objective(w, X, -labels, mask)

    def test_embedding_objective(self):
        X, y, W, P = np.ones((4, 3)), np.array([0, 1, 0, 1]), np.ones((2, 3)), np.eye(2)
        with pytest.raises(
            ValueError, match=r"embedding_objective: shapes must chain as X \(N, d\), W \(dim, d\)"
        ):
            embedding_objective(W.T, P, X, y)
        with pytest.raises(
            ValueError, match=r"embedding_objective: 'y' must be in \[0, 2\); got 2"
        ):
            embedding_objective(W, P, X, y + 1)
        with pytest.raises(ValueError, match="embedding_objective: 'loss' must be one of"):
            embedding_objective(W, P, X, y, loss="softmax")
        with pytest.raises(
            ValueError, match="embedding_objective: 'margin' must be None for loss='infonce'"
        ):
            embedding_objective(W, P, X, y, loss="infonce", margin=0.1)
