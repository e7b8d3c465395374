"""Data sets: the committed MSLR sample, the digits retrieval task, the seeded list generator.

The MSLR numbers (43 queries, the label histograms, 2 training queries without a label >= 1) are
the ones ``data/README.md`` states; a change to the data files must change both.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import rankbound as rb
from rankbound.datasets import RankingData

# label -> number of rows, per split (data/README.md)
HISTOGRAM = {
    "train": {0: 2792, 1: 1458, 2: 665, 3: 55, 4: 30},
    "test": {0: 2847, 1: 1442, 2: 579, 3: 98, 4: 34},
}


@pytest.fixture(scope="module", params=["train", "test"])
def mslr(request):
    return request.param, rb.load_mslr_sample(request.param)


class TestLoadMslrSample:
    def test_shapes_and_dtypes(self, mslr):
        _, data = mslr
        assert data.features.shape == (5000, 136) and data.features.dtype == np.float64
        assert data.labels.shape == (5000,) and data.labels.dtype == np.float64
        assert data.qid.shape == (5000,) and data.qid.dtype == np.int64
        assert np.isfinite(data.features).all()

    def test_43_queries(self, mslr):
        _, data = mslr
        assert data.n_queries == 43
        assert data.query_sizes.sum() == 5000
        assert len(np.unique(data.qid)) == 43

    def test_labels_0_to_4_with_the_documented_histogram(self, mslr):
        split, data = mslr
        values, counts = np.unique(data.labels, return_counts=True)
        assert values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
        assert (
            dict(zip(values.astype(int).tolist(), counts.tolist(), strict=True)) == HISTOGRAM[split]
        )

    def test_queries_without_relevant_item(self, mslr):
        split, data = mslr
        _, y, mask = data.as_padded()
        no_rel = {t: int((~((y >= t) & mask).any(axis=1)).sum()) for t in (1, 2)}
        assert no_rel == {"train": {1: 2, 2: 5}, "test": {1: 0, 2: 2}}[split]

    def test_arrays_are_read_only(self, mslr):
        _, data = mslr
        with pytest.raises(ValueError, match="read-only"):
            data.labels[0] = 3.0

    @pytest.mark.parametrize("split", ["valid", "Train", "", None, 0])
    def test_bad_split(self, split):
        with pytest.raises(ValueError) as info:
            rb.load_mslr_sample(split)
        msg = str(info.value)
        assert msg.startswith("load_mslr_sample: 'split' must be one of 'train', 'test'")
        assert msg.endswith(f"got {split!r}")

    def test_missing_file(self, tmp_path):
        with pytest.raises(FileNotFoundError) as info:
            rb.load_mslr_sample("train", data_dir=tmp_path)
        msg = str(info.value)
        assert msg.startswith("load_mslr_sample:")
        assert "mslr-web10k-fold1-train-5k.txt.gz" in msg and str(tmp_path) in msg
        assert "data/README.md" in msg


class TestRankingData:
    def test_padding_round_trip(self, mslr):
        _, data = mslr
        X, y, mask = data.as_padded()
        assert X.shape == (43, data.query_sizes.max(), 136)
        assert y.shape == mask.shape == X.shape[:2] and mask.dtype == bool
        assert mask.sum(axis=1).tolist() == data.query_sizes.tolist()
        rows = data.padded_index[mask]
        assert np.array_equal(np.sort(rows), np.arange(5000))  # every row exactly once
        assert np.array_equal(X[mask], data.features[rows])
        assert np.array_equal(y[mask], data.labels[rows])
        assert (X[~mask] == 0).all() and (y[~mask] == 0).all()
        # rows of one query share its id, in the order of query_ids
        qid_table = np.where(mask, data.qid[np.where(mask, data.padded_index, 0)], -1)
        assert (qid_table[mask] == np.repeat(data.query_ids, data.query_sizes)).all()

    def test_padded_batch_feeds_the_metrics(self, mslr):
        _, data = mslr
        X, y, mask = data.as_padded()
        scores = X[..., 0]
        batch = rb.ndcg(y, scores, mask=mask)
        first = data.padded_index[0][mask[0]]
        np.testing.assert_allclose(
            batch[0], rb.ndcg(data.labels[first], data.features[first, 0]), rtol=1e-14
        )

    def test_non_contiguous_queries(self):
        # query 9 appears first, query 7 is split in two runs: order of first appearance,
        # original order inside a query
        data = RankingData(
            features=[[0.0], [1.0], [2.0], [3.0], [4.0]],
            labels=[1, 0, 2, 0, 3],
            qid=[9, 7, 9, 5, 7],
        )
        assert data.query_ids.tolist() == [9, 7, 5]
        assert data.query_sizes.tolist() == [2, 2, 1]
        assert data.padded_index.tolist() == [[0, 2], [1, 4], [3, -1]]
        X, y, mask = data.as_padded()
        assert X[..., 0].tolist() == [[0.0, 2.0], [1.0, 4.0], [3.0, 0.0]]
        assert y.tolist() == [[1.0, 2.0], [0.0, 3.0], [0.0, 0.0]]
        assert mask.tolist() == [[True, True], [True, True], [True, False]]

    def test_frozen_and_copied(self):
        features = np.zeros((2, 3))
        data = RankingData(features=features, labels=[0, 1], qid=[1, 1])
        features[0, 0] = 5.0
        assert data.features[0, 0] == 0.0
        with pytest.raises(dataclasses.FrozenInstanceError):
            data.labels = np.ones(2)

    @pytest.mark.parametrize(
        "kwargs, exc, fragments",
        [
            ({"labels": [0, -1]}, ValueError, ["'labels' must be finite and >= 0", "-1.0"]),
            ({"labels": [0, np.nan]}, ValueError, ["'labels' must be finite"]),
            ({"labels": [0, 1, 2]}, ValueError, ["'labels' must have shape (2,)", "(3,)"]),
            ({"qid": [1.0, 2.0]}, TypeError, ["'qid' must be an integer array", "float64"]),
            ({"qid": [1]}, ValueError, ["'qid' must have shape (2,)", "(1,)"]),
            ({"features": [1.0, 2.0]}, ValueError, ["'features' must be a 2-D array", "(2,)"]),
            ({"features": [[1.0], [np.inf]]}, ValueError, ["'features' must be finite", "inf"]),
        ],
    )
    def test_validation(self, kwargs, exc, fragments):
        args = {"features": [[1.0], [2.0]], "labels": [0, 1], "qid": [1, 1], **kwargs}
        with pytest.raises(exc) as info:
            RankingData(**args)
        msg = str(info.value)
        assert msg.startswith("RankingData: ")
        for f in fragments:
            assert f in msg


class TestDigitsRetrieval:
    def test_shape_and_scaling(self):
        X, y = rb.load_digits_retrieval()
        assert X.shape == (1797, 64) and X.dtype == np.float64
        assert y.shape == (1797,) and y.dtype == np.int64
        assert sorted(set(y.tolist())) == list(range(10))
        np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)
        sd = X.std(axis=0)
        constant = sd < 1e-12
        assert constant.any()  # a few border pixels are always blank
        assert (X[:, constant] == 0).all()
        np.testing.assert_allclose(sd[~constant], 1.0, rtol=1e-12)


class TestSyntheticLists:
    def test_shapes_and_types(self):
        labels, scores = rb.synthetic_lists(4, 7)
        assert labels.shape == scores.shape == (4, 7)
        assert labels.dtype == scores.dtype == np.float64

    def test_reproducible_by_seed(self):
        a = rb.synthetic_lists(5, 9, seed=3, relevance="graded", tie_fraction=0.3)
        b = rb.synthetic_lists(5, 9, seed=3, relevance="graded", tie_fraction=0.3)
        c = rb.synthetic_lists(5, 9, seed=4, relevance="graded", tie_fraction=0.3)
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
        assert not np.array_equal(a[1], c[1])
        # a Generator is used as is, so two draws from one generator differ
        rng = np.random.default_rng(3)
        first, second = rb.synthetic_lists(5, 9, seed=rng), rb.synthetic_lists(5, 9, seed=rng)
        assert not np.array_equal(first[1], second[1])

    def test_label_values(self):
        binary, _ = rb.synthetic_lists(50, 20, seed=1, p_relevant=0.5)
        assert set(np.unique(binary).tolist()) == {0.0, 1.0}
        graded, _ = rb.synthetic_lists(
            50, 20, seed=1, relevance="graded", p_relevant=0.5, max_label=3
        )
        assert set(np.unique(graded).tolist()) == {0.0, 1.0, 2.0, 3.0}
        none, _ = rb.synthetic_lists(3, 4, p_relevant=0.0)
        assert (none == 0).all()
        every, _ = rb.synthetic_lists(3, 4, p_relevant=1.0)
        assert (every == 1).all()

    def test_ensure_relevant(self):
        labels, _ = rb.synthetic_lists(200, 5, seed=2, p_relevant=0.05, ensure_relevant=True)
        assert (labels > 0).any(axis=1).all()

    @pytest.mark.parametrize(
        "tie_fraction, n_distinct", [(0.0, 10), (0.3, 7), (0.5, 5), (0.9, 1), (1.0, 1)]
    )
    def test_tie_fraction(self, tie_fraction, n_distinct):
        # round(0.9 * 10) = 9 copies from the 1 remaining item: one tied group
        _, scores = rb.synthetic_lists(6, 10, seed=5, tie_fraction=tie_fraction)
        assert [len(np.unique(row)) for row in scores] == [n_distinct] * 6

    def test_signal_and_scale(self):
        labels, scores = rb.synthetic_lists(2000, 10, seed=0, signal=3.0, score_scale=2.0)
        # s = 2 * (3 y + z): relevant items average 6 higher
        gap = scores[labels > 0].mean() - scores[labels == 0].mean()
        assert abs(gap - 6.0) < 0.2

    @pytest.mark.parametrize(
        "kwargs, exc, fragment",
        [
            ({"n_lists": 0}, ValueError, "'n_lists' must be an int >= 1; got 0"),
            ({"n_items": 2.0}, TypeError, "'n_items' must be an int >= 1; got float 2.0"),
            ({"n_items": True}, TypeError, "'n_items' must be an int >= 1; got bool True"),
            (
                {"seed": -1},
                ValueError,
                "'seed' must be an int >= 0 or a numpy.random.Generator; got -1",
            ),
            (
                {"seed": None},
                TypeError,
                "'seed' must be an int >= 0 or a numpy.random.Generator; got NoneType",
            ),
            (
                {"relevance": "ternary"},
                ValueError,
                "'relevance' must be one of 'binary', 'graded'; got 'ternary'",
            ),
            (
                {"p_relevant": 1.5},
                ValueError,
                "'p_relevant' must be a finite real number in [0.0, 1.0]; got 1.5",
            ),
            (
                {"tie_fraction": np.nan},
                ValueError,
                "'tie_fraction' must be a finite real number in [0.0, 1.0]; got nan",
            ),
            (
                {"score_scale": 0},
                ValueError,
                "'score_scale' must be a finite real number in (0.0, inf); got 0.0",
            ),
            ({"max_label": 0}, ValueError, "'max_label' must be an int >= 1; got 0"),
            ({"ensure_relevant": 1}, TypeError, "'ensure_relevant' must be a bool; got int"),
            ({"signal": 1e308, "score_scale": 1e10}, ValueError, "overflows float64"),
        ],
    )
    def test_validation(self, kwargs, exc, fragment):
        args = {"n_lists": 2, "n_items": 3, **kwargs}
        n_lists, n_items = args.pop("n_lists"), args.pop("n_items")
        with pytest.raises(exc) as info:
            rb.synthetic_lists(n_lists, n_items, p_relevant=args.pop("p_relevant", 1.0), **args)
        msg = str(info.value)
        assert msg.startswith("synthetic_lists: ") and fragment in msg
