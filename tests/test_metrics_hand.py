"""Hand-worked examples for every ranking metric, the expected value written as a formula.

Each class holds one metric: plain examples, every tie policy on a small tied list (the
``ties="average"`` value is worked out by enumerating the orders of the tied group in the
comment), ``k`` beyond the list length, the no-relevant-item convention, exponential gain, the
return types (1-D -> Python float, 2-D -> one value per row) and masks (a masked batch equals
evaluating each row's real items on their own).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import rankbound as rb

L2 = np.log2

# A ragged batch: row r's real items are ROWS[r]; masked slots hold junk (high labels, scores that
# tie with and beat real items) which must not matter.
ROWS = [
    ([0, 1, 1, 0, 2], [2.0, 1.0, 1.0, 1.0, 0.5]),
    ([3, 0, 1], [0.5, 0.5, 0.5]),
    ([0, 0, 1, 4, 1, 0, 2], [1.0, 3.0, 3.0, 1.0, -1.0, 0.0, 1.0]),
    ([1], [7.0]),
    ([0, 0], [1.0, 2.0]),  # no relevant item
]


def ragged_batch():
    """ROWS padded to a common width with masked junk, real items not all at the front."""
    width = max(len(y) for y, _ in ROWS) + 2
    labels = np.full((len(ROWS), width), 4.0)
    scores = np.full((len(ROWS), width), 1.0)
    mask = np.zeros((len(ROWS), width), dtype=bool)
    for r, (y, s) in enumerate(ROWS):
        cols = np.arange(len(y)) * (width // len(y)) if len(y) > 1 else np.array([width - 1])
        cols = np.sort(np.unique(cols))[: len(y)]
        assert cols.size == len(y)
        labels[r, cols], scores[r, cols], mask[r, cols] = y, s, True
        scores[r, ~mask[r]] = 99.0 if r % 2 else 0.5
    return labels, scores, mask


def check_mask_equals_rows(metric, **kw):
    labels, scores, mask = ragged_batch()
    batch = metric(labels, scores, mask=mask, **kw)
    assert isinstance(batch, np.ndarray) and batch.shape == (len(ROWS),)
    for r, (y, s) in enumerate(ROWS):
        alone = metric(np.array(y, float), np.array(s, float), **kw)
        np.testing.assert_allclose(batch[r], alone, rtol=1e-14, atol=1e-15, equal_nan=True)


def check_return_types(metric, **kw):
    one = metric([0.0, 1.0, 2.0], [3.0, 1.0, 2.0], **kw)
    assert type(one) is float
    two = metric([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0]], [[3.0, 1.0, 2.0], [0.0, 1.0, 2.0]], **kw)
    assert isinstance(two, np.ndarray) and two.shape == (2,) and two.dtype == np.float64
    # a (1, n) batch stays an array
    assert metric([[0.0, 1.0]], [[1.0, 2.0]], **kw).shape == (1,)


def check_no_relevant(metric, **kw):
    labels, scores = [0, 0, 0], [1.0, 2.0, 3.0]
    assert metric(labels, scores, no_relevant="zero", **kw) == 0.0
    assert math.isnan(metric(labels, scores, no_relevant="nan", **kw))
    with pytest.raises(ValueError, match="no relevant item"):
        metric(labels, scores, no_relevant="raise", **kw)
    # in a batch only the empty row is affected, and "raise" names it
    both = metric([[0, 1, 0], [0, 0, 0]], [[1.0, 2.0, 3.0]] * 2, no_relevant="nan", **kw)
    assert not math.isnan(both[0]) and math.isnan(both[1])
    with pytest.raises(ValueError, match=r"row\(s\) \[1\]"):
        metric([[0, 1, 0], [0, 0, 0]], [[1.0, 2.0, 3.0]] * 2, no_relevant="raise", **kw)
    # the default is "zero", as trec_eval
    assert metric(labels, scores, **kw) == 0.0


class TestReciprocalRank:
    def test_first_relevant_position(self):
        assert rb.reciprocal_rank([0, 0, 1, 0], [4.0, 3.0, 2.0, 1.0]) == 1 / 3
        assert rb.reciprocal_rank([1, 0, 1], [0.1, 0.2, 0.3]) == 1 / 1
        assert rb.reciprocal_rank([0, 2, 0], [0.3, 0.2, 0.1]) == 1 / 2  # graded: label > 0

    # labels [0, 1, 1, 0, 0], scores [5, 2, 2, 2, 1]: item 0 on top, then a tied group at
    # positions 2..4 holding items 1, 2 (relevant) and 3 (not).
    # average: the 3! = 6 orders of the group put item 3 first in 2 of them (RR = 1/3) and a
    # relevant item first in the other 4 (RR = 1/2).
    @pytest.mark.parametrize(
        ("ties", "expected"),
        [
            ("pessimistic", 1 / 3),
            ("optimistic", 1 / 2),
            ("stable", 1 / 2),
            ("average", (2 * (1 / 3) + 4 * (1 / 2)) / 6),
        ],
    )
    def test_ties(self, ties, expected):
        value = rb.reciprocal_rank([0, 1, 1, 0, 0], [5.0, 2.0, 2.0, 2.0, 1.0], ties=ties)
        assert value == pytest.approx(expected, rel=1e-14)

    # all three tied, one relevant: it is equally likely at positions 1, 2, 3.
    @pytest.mark.parametrize(
        ("ties", "expected"),
        [
            ("pessimistic", 1 / 3),
            ("optimistic", 1.0),
            ("stable", 1 / 2),
            ("average", (1 + 1 / 2 + 1 / 3) / 3),
        ],
    )
    def test_all_tied(self, ties, expected):
        assert rb.reciprocal_rank([0, 1, 0], [1.0, 1.0, 1.0], ties=ties) == pytest.approx(
            expected, rel=1e-14
        )

    def test_no_relevant(self):
        check_no_relevant(rb.reciprocal_rank)

    def test_return_types(self):
        check_return_types(rb.reciprocal_rank)

    @pytest.mark.parametrize("ties", rb.TIE_POLICIES)
    def test_mask_equals_rows(self, ties):
        check_mask_equals_rows(rb.reciprocal_rank, ties=ties, no_relevant="nan")


class TestPrecisionAtK:
    LABELS, SCORES = [1, 0, 1, 1, 0], [5.0, 4.0, 3.0, 2.0, 1.0]

    @pytest.mark.parametrize(
        ("k", "expected"), [(1, 1 / 1), (2, 1 / 2), (3, 2 / 3), (4, 3 / 4), (None, 3 / 5)]
    )
    def test_hand(self, k, expected):
        assert rb.precision_at_k(self.LABELS, self.SCORES, k=k) == pytest.approx(
            expected, rel=1e-15
        )

    def test_k_larger_than_list_divides_by_k(self):
        assert rb.precision_at_k([1, 0, 1], [3.0, 2.0, 1.0], k=10) == 2 / 10
        assert rb.precision_at_k([1, 0, 1], [3.0, 2.0, 1.0], k=3) == 2 / 3

    # labels [0, 1, 1, 0], scores [2, 1, 1, 1], k = 2: position 2 is the first of the tied group
    # (items 1, 2 relevant, 3 not). average: of the 6 orders of the group, 2 put item 3 at
    # position 2 (P@2 = 0/2), the other 4 a relevant item (P@2 = 1/2).
    @pytest.mark.parametrize(
        ("ties", "expected"),
        [
            ("pessimistic", 0 / 2),
            ("optimistic", 1 / 2),
            ("stable", 1 / 2),
            ("average", (4 * (1 / 2) + 2 * 0) / 6),
        ],
    )
    def test_ties(self, ties, expected):
        value = rb.precision_at_k([0, 1, 1, 0], [2.0, 1.0, 1.0, 1.0], k=2, ties=ties)
        assert value == pytest.approx(expected, rel=1e-14, abs=1e-15)

    def test_graded_labels_count_as_relevant(self):
        assert rb.precision_at_k([4, 0, 2], [3.0, 2.0, 1.0], k=3) == 2 / 3

    def test_no_relevant(self):
        check_no_relevant(rb.precision_at_k, k=2)

    def test_return_types(self):
        check_return_types(rb.precision_at_k, k=2)

    @pytest.mark.parametrize("ties", rb.TIE_POLICIES)
    @pytest.mark.parametrize("k", [None, 1, 3, 20])
    def test_mask_equals_rows(self, ties, k):
        check_mask_equals_rows(rb.precision_at_k, k=k, ties=ties, no_relevant="nan")


class TestRecallAtK:
    LABELS, SCORES = [1, 0, 1, 1, 0], [5.0, 4.0, 3.0, 2.0, 1.0]

    @pytest.mark.parametrize(
        ("k", "expected"), [(1, 1 / 3), (2, 1 / 3), (3, 2 / 3), (4, 3 / 3), (None, 3 / 3)]
    )
    def test_hand(self, k, expected):
        assert rb.recall_at_k(self.LABELS, self.SCORES, k=k) == pytest.approx(expected, rel=1e-15)

    def test_k_larger_than_list(self):
        assert rb.recall_at_k([1, 0, 1], [1.0, 2.0, 3.0], k=10) == 1.0

    # the tied example of TestPrecisionAtK, m = 2: position 2 is relevant in 4 of 6 orders.
    @pytest.mark.parametrize(
        ("ties", "expected"),
        [
            ("pessimistic", 0 / 2),
            ("optimistic", 1 / 2),
            ("stable", 1 / 2),
            ("average", (4 * (1 / 2) + 2 * 0) / 6),
        ],
    )
    def test_ties(self, ties, expected):
        value = rb.recall_at_k([0, 1, 1, 0], [2.0, 1.0, 1.0, 1.0], k=2, ties=ties)
        assert value == pytest.approx(expected, rel=1e-14, abs=1e-15)

    def test_no_relevant(self):
        check_no_relevant(rb.recall_at_k, k=2)

    def test_return_types(self):
        check_return_types(rb.recall_at_k, k=2)

    @pytest.mark.parametrize("ties", rb.TIE_POLICIES)
    @pytest.mark.parametrize("k", [None, 1, 3, 20])
    def test_mask_equals_rows(self, ties, k):
        check_mask_equals_rows(rb.recall_at_k, k=k, ties=ties, no_relevant="nan")


class TestAveragePrecision:
    def test_hand(self):
        # relevant at positions 1, 3, 4
        value = rb.average_precision([1, 0, 1, 1, 0], [5.0, 4.0, 3.0, 2.0, 1.0])
        assert value == pytest.approx((1 / 1 + 2 / 3 + 3 / 4) / 3, rel=1e-15)
        # graded labels count as relevant; relevant at positions 2 and 3
        value = rb.average_precision([0, 3, 1], [3.0, 2.0, 1.0])
        assert value == pytest.approx((1 / 2 + 2 / 3) / 2, rel=1e-15)

    def test_cutoff_still_divides_by_m(self):
        labels, scores = [1, 0, 1, 1, 0], [5.0, 4.0, 3.0, 2.0, 1.0]
        assert rb.average_precision(labels, scores, k=2) == pytest.approx((1 / 1) / 3, rel=1e-15)
        assert rb.average_precision(labels, scores, k=3) == pytest.approx(
            (1 / 1 + 2 / 3) / 3, rel=1e-15
        )

    def test_k_larger_than_list(self):
        labels, scores = [0, 1, 1], [3.0, 2.0, 1.0]
        expected = (1 / 2 + 2 / 3) / 2
        assert rb.average_precision(labels, scores, k=50) == pytest.approx(expected, rel=1e-15)

    # labels [1, 0, 1], all scores tied. pessimistic order: item 1 (label 0) first -> relevant at
    # 2, 3; optimistic: relevant at 1, 2; stable: index order -> relevant at 1, 3.
    # average: the non-relevant item is equally likely at position 1, 2 or 3 (each relevant
    # pair of positions in 2 of the 6 orders):
    #   at 1 -> (1/2 + 2/3)/2;  at 2 -> (1/1 + 2/3)/2;  at 3 -> (1/1 + 2/2)/2.
    @pytest.mark.parametrize(
        ("ties", "expected"),
        [
            ("pessimistic", (1 / 2 + 2 / 3) / 2),
            ("optimistic", (1 / 1 + 2 / 2) / 2),
            ("stable", (1 / 1 + 2 / 3) / 2),
            ("average", ((1 / 2 + 2 / 3) / 2 + (1 / 1 + 2 / 3) / 2 + (1 / 1 + 2 / 2) / 2) / 3),
        ],
    )
    def test_ties(self, ties, expected):
        value = rb.average_precision([1, 0, 1], [1.0, 1.0, 1.0], ties=ties)
        assert value == pytest.approx(expected, rel=1e-14)

    # labels [1, 0, 0, 1], scores [3, 2, 2, 2]: item 0 on top, then a group of 3 (items 1, 2
    # non-relevant, item 3 relevant) after R = 1 relevant item. Item 3 is equally likely at
    # positions 2, 3, 4 -> AP = (1 + 2/p) / 2; with k = 3 position 4 is cut off.
    def test_ties_after_relevant_and_cutoff(self):
        labels, scores = [1, 0, 0, 1], [3.0, 2.0, 2.0, 2.0]
        full = ((1 + 2 / 2) / 2 + (1 + 2 / 3) / 2 + (1 + 2 / 4) / 2) / 3
        cut3 = ((1 + 2 / 2) / 2 + (1 + 2 / 3) / 2 + (1 + 0) / 2) / 3
        assert rb.average_precision(labels, scores, ties="average") == pytest.approx(
            full, rel=1e-14
        )
        assert rb.average_precision(labels, scores, ties="average", k=3) == pytest.approx(
            cut3, rel=1e-14
        )

    def test_no_relevant(self):
        check_no_relevant(rb.average_precision)
        check_no_relevant(rb.average_precision, k=2)

    def test_return_types(self):
        check_return_types(rb.average_precision)

    @pytest.mark.parametrize("ties", rb.TIE_POLICIES)
    @pytest.mark.parametrize("k", [None, 2, 20])
    def test_mask_equals_rows(self, ties, k):
        check_mask_equals_rows(rb.average_precision, k=k, ties=ties, no_relevant="nan")


class TestDCG:
    LABELS, SCORES = [3, 2, 0, 1], [4.0, 3.0, 2.0, 1.0]

    def test_linear(self):
        expected = 3 / L2(2) + 2 / L2(3) + 0 / L2(4) + 1 / L2(5)
        assert rb.dcg(self.LABELS, self.SCORES) == pytest.approx(expected, rel=1e-15)

    def test_cutoff(self):
        assert rb.dcg(self.LABELS, self.SCORES, k=2) == pytest.approx(
            3 / L2(2) + 2 / L2(3), rel=1e-15
        )

    def test_exponential(self):
        expected = (2**3 - 1) / L2(2) + (2**2 - 1) / L2(3) + 0 / L2(4) + (2**1 - 1) / L2(5)
        assert rb.dcg(self.LABELS, self.SCORES, gain="exponential") == pytest.approx(
            expected, rel=1e-15
        )

    def test_k_larger_than_list(self):
        full = rb.dcg(self.LABELS, self.SCORES)
        expected = 3 / L2(2) + 2 / L2(3) + 0 / L2(4) + 1 / L2(5)
        assert rb.dcg(self.LABELS, self.SCORES, k=100) == pytest.approx(expected, rel=1e-15)
        assert rb.dcg(self.LABELS, self.SCORES, k=100) == full

    # labels [2, 0, 1], all tied. pessimistic: gains ascending 0, 1, 2; optimistic: 2, 1, 0;
    # stable: 2, 0, 1. average: over the 6 orders each label sits at each position twice, so each
    # position's expected gain is (2 + 0 + 1)/3.
    @pytest.mark.parametrize(
        ("ties", "expected"),
        [
            ("pessimistic", 0 / L2(2) + 1 / L2(3) + 2 / L2(4)),
            ("optimistic", 2 / L2(2) + 1 / L2(3) + 0 / L2(4)),
            ("stable", 2 / L2(2) + 0 / L2(3) + 1 / L2(4)),
            ("average", (2 + 0 + 1) / 3 * (1 / L2(2) + 1 / L2(3) + 1 / L2(4))),
        ],
    )
    def test_ties(self, ties, expected):
        assert rb.dcg([2, 0, 1], [1.0, 1.0, 1.0], ties=ties) == pytest.approx(expected, rel=1e-14)

    # a tied group straddling the cutoff: labels [1, 3, 0], scores [5, 1, 1], k = 2. Position 2
    # holds label 3 or 0 with probability 1/2 each.
    def test_average_tie_across_cutoff(self):
        expected = 1 / L2(2) + (3 + 0) / 2 / L2(3)
        assert rb.dcg([1, 3, 0], [5.0, 1.0, 1.0], k=2, ties="average") == pytest.approx(
            expected, rel=1e-14
        )

    def test_no_relevant_is_zero(self):
        assert rb.dcg([0, 0], [1.0, 2.0]) == 0.0

    def test_return_types(self):
        check_return_types(rb.dcg)

    @pytest.mark.parametrize("ties", rb.TIE_POLICIES)
    @pytest.mark.parametrize("gain", ["linear", "exponential"])
    @pytest.mark.parametrize("k", [None, 2])
    def test_mask_equals_rows(self, ties, gain, k):
        check_mask_equals_rows(rb.dcg, ties=ties, gain=gain, k=k)


class TestNDCG:
    LABELS, SCORES = [3, 2, 0, 1], [1.0, 2.0, 3.0, 4.0]  # the worst order of these labels

    def test_linear(self):
        dcg = 1 / L2(2) + 0 / L2(3) + 2 / L2(4) + 3 / L2(5)
        idcg = 3 / L2(2) + 2 / L2(3) + 1 / L2(4) + 0 / L2(5)
        assert rb.ndcg(self.LABELS, self.SCORES) == pytest.approx(dcg / idcg, rel=1e-15)

    def test_cutoff_truncates_ideal_too(self):
        dcg = 1 / L2(2) + 0 / L2(3)
        idcg = 3 / L2(2) + 2 / L2(3)
        assert rb.ndcg(self.LABELS, self.SCORES, k=2) == pytest.approx(dcg / idcg, rel=1e-15)

    def test_exponential(self):
        dcg = (2**1 - 1) / L2(2) + 0 / L2(3) + (2**2 - 1) / L2(4) + (2**3 - 1) / L2(5)
        idcg = (2**3 - 1) / L2(2) + (2**2 - 1) / L2(3) + (2**1 - 1) / L2(4)
        value = rb.ndcg(self.LABELS, self.SCORES, gain="exponential")
        assert value == pytest.approx(dcg / idcg, rel=1e-15)

    def test_perfect_and_k_larger_than_list(self):
        assert rb.ndcg([3, 2, 1], [3.0, 2.0, 1.0]) == pytest.approx(1.0, rel=1e-15)
        dcg = 1 / L2(2) + 0 / L2(3) + 2 / L2(4) + 3 / L2(5)
        idcg = 3 / L2(2) + 2 / L2(3) + 1 / L2(4)
        assert rb.ndcg(self.LABELS, self.SCORES, k=9) == pytest.approx(dcg / idcg, rel=1e-15)

    # the tied example of TestDCG, divided by IDCG = 2/log2(2) + 1/log2(3) (ties do not change it)
    @pytest.mark.parametrize(
        ("ties", "dcg"),
        [
            ("pessimistic", 0 / L2(2) + 1 / L2(3) + 2 / L2(4)),
            ("optimistic", 2 / L2(2) + 1 / L2(3) + 0 / L2(4)),
            ("stable", 2 / L2(2) + 0 / L2(3) + 1 / L2(4)),
            ("average", (2 + 0 + 1) / 3 * (1 / L2(2) + 1 / L2(3) + 1 / L2(4))),
        ],
    )
    def test_ties(self, ties, dcg):
        idcg = 2 / L2(2) + 1 / L2(3)
        value = rb.ndcg([2, 0, 1], [1.0, 1.0, 1.0], ties=ties)
        assert value == pytest.approx(dcg / idcg, rel=1e-14)

    def test_no_relevant(self):
        check_no_relevant(rb.ndcg)
        check_no_relevant(rb.ndcg, gain="exponential", k=1)

    def test_return_types(self):
        check_return_types(rb.ndcg)

    @pytest.mark.parametrize("ties", rb.TIE_POLICIES)
    @pytest.mark.parametrize("gain", ["linear", "exponential"])
    @pytest.mark.parametrize("k", [None, 2])
    def test_mask_equals_rows(self, ties, gain, k):
        check_mask_equals_rows(rb.ndcg, ties=ties, gain=gain, k=k, no_relevant="nan")


@pytest.mark.parametrize("ties", rb.TIE_POLICIES)
def test_blocks_of_rows_change_nothing(monkeypatch, ties):
    # Large batches are evaluated in blocks of rows; every value depends on its own row only.
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, (97, 30)).astype(float)
    s = rng.integers(0, 6, (97, 30)) / 2.0
    mask = rng.random((97, 30)) < 0.9
    mask[:, 0] = True
    calls = [
        lambda: rb.reciprocal_rank(y, s, ties=ties, mask=mask),
        lambda: rb.precision_at_k(y, s, k=5, ties=ties, mask=mask),
        lambda: rb.recall_at_k(y, s, k=5, ties=ties, mask=mask),
        lambda: rb.average_precision(y, s, ties=ties, mask=mask),
        lambda: rb.average_precision(y, s, k=4, ties=ties, mask=mask),
        lambda: rb.dcg(y, s, k=7, ties=ties, mask=mask, gain="exponential"),
        lambda: rb.ndcg(y, s, ties=ties, mask=mask),
        lambda: rb.ndcg(y, s, k=3, ties=ties, mask=mask),
    ]
    whole = [f() for f in calls]
    monkeypatch.setattr(rb.metrics, "_BLOCK_ITEMS", 64)  # blocks of 2 rows
    for f, expected in zip(calls, whole, strict=True):
        got = f()
        if ties == "average":  # per-row sums may be regrouped by the padding of a block
            np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
        else:
            np.testing.assert_array_equal(got, expected)


def test_fast_order_equals_numpys_stable_sorts():
    # rankbound.ranking sorts int64 codes holding the high bits of each score (and a partial
    # selection for a cutoff k), with a check that sends rows with merged near-equal scores to
    # numpy's stable argsort / lexsort. Here: scores at the ends of float64 and scores a few ulps
    # apart (which merge), for every realisable policy, full orders and prefixes.
    from rankbound._validation import check_lists
    from rankbound.ranking import _exact_order, _sort_key, _sorted_order

    rng = np.random.default_rng(1)
    base = 1.0 + rng.integers(0, 3, (12, 40)) * 1e-15
    kinds = [
        lambda b, n: rng.integers(0, 5, (b, n)).astype(float),
        lambda b, n: rng.normal(size=(b, n)),
        lambda b, n: 1.0 + rng.integers(-3, 4, (b, n)) * 2.0**-52,
        lambda b, n: rng.choice([0.0, -0.0, 5e-324, -5e-324, 1e308, -1e308, 2.2e-308], (b, n)),
        lambda b, n: rng.normal(size=(b, n)) * 10.0 ** rng.integers(-300, 300),
        lambda b, n: base[:b, :n] + rng.integers(0, 2, (b, n)) * 2.0**-52,
    ]
    for trial in range(240):
        b, n = int(rng.integers(1, 12)), int(rng.integers(1, 40))
        s = kinds[trial % len(kinds)](b, n)
        y = rng.integers(0, 4, (b, n)).astype(float) if trial % 2 else rng.random((b, n)) * 3
        mask = rng.random((b, n)) < 0.9
        mask[:, 0] = True
        lists = check_lists("t", y, s, mask if trial % 3 == 0 else None)
        key = _sort_key(lists)
        for ties in ("stable", "pessimistic", "optimistic"):
            exact = _exact_order(key, lists.labels, ties)
            for k in (None, 1, 2, 5, n - 1, n + 2):
                if k is not None and k < 1:
                    continue
                idx, sorted_key = _sorted_order(lists, ties, k)
                np.testing.assert_array_equal(idx, exact[:, :k])
                np.testing.assert_array_equal(sorted_key, np.take_along_axis(key, idx, axis=1))
