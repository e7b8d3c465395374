"""The theorems as functions: hand examples, a checker that can fail, random workloads,
streaming, and Hypothesis properties (extreme scales, ties, last-ulp near-ties)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import batches, lists, tie_policies

import rankbound as rb
from rankbound.ranking import _tie_groups
from rankbound import bounds
from rankbound.bounds import (
    average_precision_bound,
    check,
    graded_ndcg_bound,
    mean_bound,
    ndcg_bound,
    rank_lemma,
    recall_bound,
    reciprocal_rank_bound,
)

POLICIES = ("pessimistic", "optimistic", "stable", "average")
ALL_BINARY = (
    "rank_lemma",
    "rr",
    "ndcg",
    "ap",
    "recall@1",
    "recall@10",
    "graded_ndcg",
    "mean:rr",
    "mean:ndcg",
    "mean:ap",
)
log, log2 = math.log, math.log2


def lse(*xs):
    return log(sum(math.exp(x) for x in xs))


# --------------------------------------------------------------------------------------------
# hand examples, expected values as formulas


class TestRankLemma:
    def test_hand(self):
        out = rank_lemma([2.0, 1.0, 1.0])
        z = lse(2.0, 1.0, 1.0)
        np.testing.assert_allclose(out.log_rank, [0.0, log(3), log(3)])
        np.testing.assert_allclose(out.neg_log_prob, [z - 2, z - 1, z - 1])

    def test_equality_for_tied_lists(self):
        out = rank_lemma(np.zeros(7))
        assert out.log_rank.tolist() == out.neg_log_prob.tolist() == [log(7)] * 7

    def test_temperature_and_mask(self):
        out = rank_lemma([[4.0, 2.0, 9.0]], temperature=2.0, mask=[[True, True, False]])
        z = lse(2.0, 1.0)
        np.testing.assert_allclose(out.neg_log_prob[0, :2], [z - 2, z - 1])
        np.testing.assert_allclose(out.log_rank[0, :2], [0.0, log(2)])
        assert np.isnan(out.log_rank[0, 2]) and np.isnan(out.neg_log_prob[0, 2])

    def test_bad_input(self):
        with pytest.raises(ValueError, match="rank_lemma: 'scores' must be finite"):
            rank_lemma([0.0, np.nan])
        with pytest.raises(ValueError, match="rank_lemma: 'temperature'"):
            rank_lemma([0.0], temperature=0.0)


class TestReciprocalRankBound:
    labels, scores = [0, 1, 0, 1], [2.0, 1.0, 1.0, 0.5]

    @pytest.mark.parametrize(
        "ties, rr",
        [
            ("pessimistic", 1 / 3),
            ("optimistic", 1 / 2),
            ("stable", 1 / 2),
            ("average", (1 / 2 + 1 / 3) / 2),
        ],
    )
    def test_hand(self, ties, rr):
        b = reciprocal_rank_bound(self.labels, self.scores, ties=ties)
        z = lse(2.0, 1.0, 1.0, 0.5)
        assert b.metric == pytest.approx(rr)
        assert b.neg_log_metric == pytest.approx(-log(rr))
        assert b.middle == pytest.approx((log(3) + log(4)) / 2)
        assert b.loss == pytest.approx(((z - 1.0) + (z - 0.5)) / 2)
        assert b.defined is True
        assert b.neg_log_metric <= b.middle <= b.loss

    def test_tight_when_single_relevant_item_is_last_of_its_ties(self):
        b = reciprocal_rank_bound([0, 0, 1], [1.0, 1.0, 1.0])
        assert b.neg_log_metric == pytest.approx(b.middle) and b.middle == pytest.approx(b.loss)
        assert b.loss == pytest.approx(log(3))

    def test_batch_with_no_relevant_row_is_marked(self):
        b = reciprocal_rank_bound([[0, 1], [0, 0]], [[1.0, 0.0], [1.0, 0.0]])
        assert b.defined.tolist() == [True, False]
        assert b.neg_log_metric[0] == pytest.approx(log(2)) and np.isnan(b.neg_log_metric[1])
        assert np.isnan(b.middle[1]) and np.isnan(b.loss[1])

    @pytest.mark.parametrize("func", [reciprocal_rank_bound, ndcg_bound, average_precision_bound])
    def test_graded_labels_are_refused(self, func):
        with pytest.raises(
            ValueError, match=rf"{func.__name__}: 'labels' must be binary \(0 or 1\); got 2.0"
        ):
            func([0, 2], [0.0, 1.0])

    def test_masked_graded_label_is_ignored(self):
        b = reciprocal_rank_bound([0, 1, 5], [0.0, 1.0, 9.0], mask=[True, True, False])
        assert b.metric == 1.0

    def test_refuses_bad_tie_policy(self):
        with pytest.raises(ValueError, match="reciprocal_rank_bound: 'ties' must be one of"):
            reciprocal_rank_bound([1], [0.0], ties="random")


class TestNDCGBound:
    def test_hand(self):
        # pessimistic order: item 1 (negative, s=3), then the tied relevant items 0 and 2
        b = ndcg_bound([1, 0, 1], [0.0, 3.0, 0.0])
        idcg = 1 + 1 / log2(3)
        z = lse(0.0, 3.0, 0.0)
        assert b.metric == pytest.approx((1 / log2(3) + 1 / log2(4)) / idcg)
        assert b.log_idcg_ratio == pytest.approx(log(idcg / 2))
        assert b.middle == pytest.approx(log(idcg / 2) + log(3))
        assert b.loss == pytest.approx(z)
        assert b.shifted_loss == pytest.approx(z + log(idcg / 2))
        assert b.neg_log_metric <= b.middle <= b.shifted_loss <= b.loss

    def test_single_relevant_item_on_top_is_exactly_zero(self):
        b = ndcg_bound([1, 0, 0], [5.0, 1.0, 0.0])
        assert (b.metric, b.neg_log_metric, b.middle, b.log_idcg_ratio) == (1.0, 0.0, 0.0, 0.0)


class TestAveragePrecisionBound:
    def test_hand(self):
        b = average_precision_bound([1, 0, 1], [1.0, 1.0, 0.0])
        z = lse(1.0, 1.0, 0.0)
        assert b.metric == pytest.approx((1 / 2 + 2 / 3) / 2)
        assert b.neg_log_lower == pytest.approx(log(2))  # N = (1, 1): mean 1/(1+N) = 1/2
        assert b.middle == pytest.approx(log(2))
        assert b.loss_neg == pytest.approx((log(2) + log(1 + math.e)) / 2)
        assert b.loss == pytest.approx(((z - 1) + z) / 2)

    def test_all_relevant(self):
        b = average_precision_bound([1, 1, 1], [3.0, 1.0, 1.0])
        assert (b.metric, b.neg_log_metric, b.middle, b.loss_neg) == (1.0, 0.0, 0.0, 0.0)
        assert b.loss > 0

    def test_counting_negatives_strictly_above_would_be_false(self):
        # A tied negative goes first under the pessimistic order: precision 1/2, not 1/(1+0).
        b = average_precision_bound([1, 0], [0.0, 0.0])
        assert b.metric == 0.5 and b.middle == pytest.approx(log(2))
        assert b.neg_log_metric == pytest.approx(b.middle)


class TestRecallBound:
    def test_hand(self):
        b = recall_bound([1, 0, 0, 1], [0.0, 3.0, 2.0, 1.0], k=2)
        z = lse(0.0, 3.0, 2.0, 1.0)
        assert (b.metric, b.miss, b.miss_tied) == (0.0, 1.0, 1.0)
        assert b.middle == pytest.approx((log(4) + log(3)) / 2 / log(3))
        assert b.scaled_loss == pytest.approx(((z - 0) + (z - 1)) / 2 / log(3))
        assert b.k == 2

    def test_ties_straddling_the_cutoff(self):
        # tie group at positions 2..4 holding one negative and two relevant items, K = 2:
        # pessimistic recall 0/2 ... the negative takes position 2; r = 4 for both.
        b = recall_bound([0, 1, 0, 1], [5.0, 1.0, 1.0, 1.0], k=2)
        assert b.miss == 1.0 and b.miss_tied == 1.0
        opt = recall_bound([0, 1, 0, 1], [5.0, 1.0, 1.0, 1.0], k=2, ties="optimistic")
        assert opt.miss == 0.5 and opt.miss_tied == 1.0

    @pytest.mark.parametrize("k, exc", [(0, ValueError), (2.0, TypeError), (None, TypeError)])
    def test_bad_k(self, k, exc):
        with pytest.raises(exc, match="recall_bound: 'k'"):
            recall_bound([1], [0.0], k=k)


class TestGradedNDCGBound:
    def test_hand_linear(self):
        b = graded_ndcg_bound([2, 1, 0], [0.0, 1.0, 2.0])
        idcg, total = 2 + 1 / log2(3), 3.0
        z = lse(0.0, 1.0, 2.0)
        assert b.metric == pytest.approx((1 / log2(3) + 2 / log2(4)) / idcg)
        assert b.log_idcg_ratio == pytest.approx(log(idcg / total))
        assert b.middle == pytest.approx(log(idcg / total) + (2 / 3) * log(3) + (1 / 3) * log(2))
        assert b.loss == pytest.approx((2 / 3) * z + (1 / 3) * (z - 1))
        assert b.neg_log_metric <= b.middle <= b.shifted_loss <= b.loss

    def test_hand_exponential(self):
        b = graded_ndcg_bound([2, 1, 0], [0.0, 1.0, 2.0], gain="exponential")
        idcg, total = 3 + 1 / log2(3), 4.0  # gains 3, 1, 0
        z = lse(0.0, 1.0, 2.0)
        assert b.log_idcg_ratio == pytest.approx(log(idcg / total))
        assert b.loss == pytest.approx((3 / 4) * z + (1 / 4) * (z - 1))
        assert b.neg_log_metric <= b.middle <= b.shifted_loss <= b.loss

    def test_binary_labels_reduce_to_ndcg_bound(self):
        rng = np.random.default_rng(3)
        y = (rng.random((20, 15)) < 0.3).astype(float)
        s = rng.integers(0, 4, (20, 15)).astype(float)
        g, b = graded_ndcg_bound(y, s), ndcg_bound(y, s)
        for name in (
            "metric",
            "neg_log_metric",
            "middle",
            "shifted_loss",
            "loss",
            "log_idcg_ratio",
        ):
            np.testing.assert_allclose(getattr(g, name), getattr(b, name), rtol=1e-12)


class TestMeanBound:
    def test_hand(self):
        out = mean_bound(
            [[1, 0], [0, 1], [0, 0]], [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], metric="rr"
        )
        assert out.neg_log_mean_metric == pytest.approx(-log(0.75))
        assert out.mean_neg_log_metric == pytest.approx(log(2) / 2)
        assert out.mean_loss == pytest.approx((lse(0, -1) + lse(1, 0)) / 2)
        assert (out.lists, out.excluded, out.defined) == (2, 1, True)

    def test_nothing_defined(self):
        out = mean_bound([[0, 0]], [[1.0, 0.0]], metric="ap")
        assert out.defined is False and out.lists == 0 and math.isnan(out.mean_loss)

    def test_bad_metric(self):
        with pytest.raises(ValueError, match="mean_bound: 'metric' must be one of"):
            mean_bound([1], [0.0], metric="recall")

    def test_graded_metric_accepts_graded_labels(self):
        out = mean_bound([[3, 0, 1]], [[0.0, 1.0, 2.0]], metric="graded_ndcg")
        assert out.neg_log_mean_metric <= out.mean_neg_log_metric <= out.mean_loss


# --------------------------------------------------------------------------------------------
# the checker


def test_report_counts_exclusions_and_is_readable():
    y = np.array([[1, 0, 0], [0, 0, 0], [0, 1, 1], [0, 0, 0]], dtype=float)
    s = np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 0.0], [2.0, 1.0, 0.0], [1.0, 2.0, 3.0]])
    rep = check(y, s, bounds=("rank_lemma", "rr", "mean:ap"))
    assert rep.ok and rep.lists == 4 and rep.batches == 1
    assert rep["rank_lemma"].checked == 4 and rep["rank_lemma"].excluded == {}
    assert rep["rr"].checked == 2 and rep["rr"].excluded == {"no relevant item (label > 0)": 2}
    assert rep["mean:ap"].checked == 2 and len(rep.links("rr")) == 3
    text = str(rep)
    assert text == repr(rep) == str(check(y, s, bounds=("rank_lemma", "rr", "mean:ap")))
    assert "-log RR <= mean log r" in text and "2 lists with no relevant item" in text
    assert text.endswith("OK: no violation")
    assert "0x" not in text  # no addresses


def test_rank_lemma_slack_is_zero_on_a_tied_list():
    rep = check([[1.0, 0, 0]], [[0.5, 0.5, 0.5]], bounds=("rank_lemma",))
    assert rep["rank_lemma"].min_slack == 0.0 and rep["rank_lemma"].violations == 0


def test_checker_detects_a_false_bound(monkeypatch):
    # Replace r_i = #{s_j >= s_i} by the optimistic #{s_j > s_i} + 1: "-log RR <= mean log r"
    # becomes false under the pessimistic order wherever a relevant item ties with a negative.
    # (_Batch.rank holds r_i in sorted order, one past the end of each tie group; here the
    # group's start + 1.)
    monkeypatch.setattr(
        bounds._Batch,
        "rank",
        property(lambda b: (_tie_groups(b.sorted_key)[0] + 1).astype(np.float64)),
    )
    y = [[0, 1], [1, 0], [1, 0]]
    s = [[1.0, 1.0], [1.0, 1.0], [2.0, 1.0]]
    rep = check(y, s, bounds=("rr",))
    link = rep.links("rr")[1]
    assert link.inequality == "-log RR <= mean log r"
    assert link.violations == 2 and link.max_violation == pytest.approx(log(2))
    assert link.slack["min"] == pytest.approx(-log(2))
    assert not rep.ok and "VIOLATIONS: 2" in str(rep)


def test_checker_detects_a_halved_loss(monkeypatch):
    monkeypatch.setattr(
        bounds._Batch,
        "loss",
        property(
            lambda b: 0.5 * rb.softmax_cross_entropy(
                b.sorted.labels, b.sorted.scores, mask=b.sorted.mask, no_relevant="nan"
            )
        ),
    )
    rep = check([[0, 0, 1]], [[1.0, 1.0, 1.0]], bounds=("rr",))
    assert rep["rr"].violations == 1 and rep["rr"].max_violation == pytest.approx(log(3) / 2)


def test_tolerance_is_what_separates_rounding_from_violation():
    # The RR bound is an equality here; with zero tolerance rounding may or may not flip it,
    # but any reported excess must be within the default tolerance 4 n eps (1 + |rhs|).
    y, s = np.zeros((1, 50)), np.zeros((1, 50))
    y[0, -1] = 1
    strict = check(y, s, bounds=("rr",), atol=0.0, rtol=0.0)
    if strict["rr"].violations:
        assert strict["rr"].max_violation <= 4 * 50 * np.finfo(float).eps * (1 + log(50))
    assert check(y, s, bounds=("rr",)).ok


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"bounds": ("rr", "rr")}, ValueError, "names 'rr' twice"),
        ({"bounds": ("recall@0",)}, ValueError, "'recall@K'"),
        ({"bounds": ("mrr",)}, ValueError, "'bounds' entries must be among"),
        ({"bounds": ()}, ValueError, "at least one"),
        ({"rtol": -1.0}, ValueError, "'rtol'"),
        ({"atol": True}, TypeError, "'atol'"),
        ({"ties": "best"}, ValueError, "'ties'"),
    ],
)
def test_check_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=f"check: .*{match}"):
        check([1, 0], [0.0, 1.0], **kwargs)


def test_check_refuses_graded_labels_for_binary_bounds():
    with pytest.raises(ValueError, match="check: 'labels' must be binary .* for bound 'rr'"):
        check([2, 0], [0.0, 1.0], bounds=("graded_ndcg", "rr"))
    assert check([2, 0], [0.0, 1.0], bounds=("rank_lemma", "graded_ndcg", "mean:graded_ndcg")).ok


def test_check_bad_streams():
    with pytest.raises(TypeError, match="'scores' is missing"):
        check(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="batch 0 must be a tuple"):
        check(iter([np.zeros(2)]))
    with pytest.raises(ValueError, match="empty"):
        check(iter([]))


# --------------------------------------------------------------------------------------------
# random workloads


def _workload(seed: int, n: int, rows: int, scale: float, tie_levels: int | None):
    """Binary lists of length n: from 1 relevant item to all, some rows with none."""
    rng = np.random.default_rng(seed)
    s = rng.normal(size=(rows, n)) * scale
    if tie_levels is not None:  # heavy ties: a few distinct scores per list
        s = np.round(s / scale * tie_levels / 3) * scale * 3 / tie_levels
    m = rng.integers(0, n + 1, rows)
    m[: min(rows, 2)] = [1, n][: min(rows, 2)]  # the extremes always present
    y = (rng.random((rows, n)).argsort(axis=1) < m[:, None]).astype(float)
    return y, s


# (seed, n, rows, scale, tie levels or None, temperature): lengths 1..1000, scales 1e-3..1e3,
# heavy ties (2 levels) or none, 1..all relevant (and some rows with none).
WORKLOADS = [
    (seed, n, rows, scale, (None, 2)[seed % 2], (1.0, 0.5)[seed // 2 % 2])
    for seed, ((n, rows), scale) in enumerate(
        (nr, sc)
        for nr in [(1, 8), (2, 40), (7, 60), (60, 60), (1000, 12)]
        for sc in (1e-3, 1.0, 1e3)
    )
]
WORKLOADS += [
    (100 + seed, n, rows, scale, 2 if ties is None else None, t)
    for seed, n, rows, scale, ties, t in WORKLOADS[::2]
]


@pytest.mark.parametrize("ties", POLICIES)
def test_random_workloads_have_no_violation(ties):
    for seed, n, rows, scale, tie_levels, temperature in WORKLOADS:
        y, s = _workload(seed, n, rows, scale, tie_levels)
        rep = check(y, s, bounds=ALL_BINARY, ties=ties, temperature=temperature)
        assert rep.ok, str(rep)


def test_ragged_batch_with_mask():
    rng = np.random.default_rng(11)
    y, s = _workload(11, 30, 50, 1.0, 3)
    mask = rng.random(y.shape) < 0.7
    mask[:, 0] = True
    rep = check(y, s, mask=mask, bounds=ALL_BINARY)
    assert rep.ok
    # a masked row equals the row with its masked items removed
    row = 5
    keep = mask[row]
    one = reciprocal_rank_bound(y[row][keep], s[row][keep])
    batch = reciprocal_rank_bound(y, s, mask=mask)
    if one.defined:
        assert batch.loss[row] == pytest.approx(one.loss) and batch.middle[row] == pytest.approx(
            one.middle
        )


def test_streaming_equals_single_batch():
    parts = [
        _workload(20 + i, n, 30, scale, 2)
        for i, (n, scale) in enumerate([(5, 1.0), (40, 1e3), (40, 1e-3)])
    ]
    parts = [(y, s) for y, s in parts] + [
        (y[:, :3], s[:, :3], np.ones((30, 3), bool)) for y, s in parts[:1]
    ]
    # one batch holding everything: pad to a common width with masked items
    width = max(p[1].shape[1] for p in parts)
    ys, ss, ms = [], [], []
    for p in parts:
        y, s = p[0], p[1]
        pad = width - y.shape[1]
        ys.append(np.pad(y, ((0, 0), (0, pad))))
        ss.append(np.pad(s, ((0, 0), (0, pad))))
        ms.append(np.pad(np.ones(y.shape, bool), ((0, 0), (0, pad))))
    whole = check(np.vstack(ys), np.vstack(ss), mask=np.vstack(ms), bounds=ALL_BINARY)
    streamed = check(iter(parts), bounds=ALL_BINARY)
    assert whole.exact_quantiles and not streamed.exact_quantiles
    assert streamed.batches == 4 and streamed.lists == whole.lists == 120
    for a, b in zip(whole.rows, streamed.rows, strict=True):
        assert (a.bound, a.inequality, a.checked, a.excluded, a.violations) == (
            b.bound,
            b.inequality,
            b.checked,
            b.excluded,
            b.violations,
        )
        # Padding a list with masked items regroups the terms of its sums (numpy sums a row in
        # 8 interleaved partial sums once it has 8 or more entries), so a padded list's terms
        # may move by an ulp: compare the extremes to rounding here, and exactly below.
        for q in ("min", "max"):
            assert b.slack[q] == pytest.approx(a.slack[q], rel=1e-12, abs=1e-12)
        if a.bound.startswith("mean:"):
            continue
        for q in ("1%", "50%", "99%"):  # same histogram bin: relative error <= 2**-7
            assert abs(b.slack[q] - a.slack[q]) <= 2**-7 * abs(a.slack[q]) + 1e-12


def test_streaming_is_exact_for_the_extremes():
    # Same lists, one batch or five: counts, violations and slack extremes are identical.
    y, s = _workload(7, 40, 100, 1.0, 3)
    whole = check(y, s, bounds=ALL_BINARY)
    streamed = check(((y[i : i + 20], s[i : i + 20]) for i in range(0, 100, 20)), bounds=ALL_BINARY)
    assert streamed.batches == 5 and not streamed.exact_quantiles
    for a, b in zip(whole.rows, streamed.rows, strict=True):
        assert (a.checked, a.violations) == (b.checked, b.violations)
        if a.bound.startswith("mean:"):  # sums accumulated batch by batch: rounding only
            assert b.slack["min"] == pytest.approx(a.slack["min"], rel=1e-12, abs=1e-12)
            continue
        assert (b.slack["min"], b.slack["max"]) == (a.slack["min"], a.slack["max"])


def test_single_streamed_batch_is_exact():
    y, s = _workload(5, 20, 40, 1.0, 2)
    one, whole = check(iter([(y, s)])), check(y, s)
    assert one.exact_quantiles and str(one) == str(whole)
    assert [r.slack for r in one.rows] == [r.slack for r in whole.rows]


# --------------------------------------------------------------------------------------------
# Hypothesis: the bounds themselves as properties


# Each example runs a dozen inequalities over a whole batch; fewer examples keep the file fast.
FEW = settings(max_examples=30)


@FEW
@given(batches(graded=False), tie_policies)
def test_property_bounds_hold_on_random_batches(batch, ties):
    y, s, mask = batch
    assert check(y, s, mask=mask, bounds=ALL_BINARY, ties=ties).ok


@FEW
@given(
    lists(graded=True, force_relevant=True),
    tie_policies,
    st.sampled_from(("linear", "exponential")),
)
def test_property_graded_bound(pair, ties, gain):
    y, s = pair
    assert check(y, s, bounds=("rank_lemma", "graded_ndcg"), ties=ties, gain=gain).ok


@FEW
@given(
    lists(graded=False, force_relevant=True, score_kind="tied"),
    st.sampled_from((1e-300, 1e-8, 1.0, 1e8, 1e300)),
    tie_policies,
)
def test_property_extreme_scales(pair, scale, ties):
    y, s = pair
    assert check(y, s * scale, bounds=ALL_BINARY, ties=ties).ok


@FEW
@given(
    lists(graded=False, force_relevant=True, score_kind="tied"),
    st.lists(st.booleans(), min_size=40, max_size=40),
    st.sampled_from((1.0, 1e-5, 1e5)),
    tie_policies,
)
def test_property_near_ties_in_the_last_ulp(pair, bump, scale, ties):
    # Scores that tie or differ by one ulp: the ranks see the ulp, the softmax barely does.
    y, s = pair
    s = s * scale
    up = np.array(bump[: s.size])
    s = np.where(up, np.nextafter(s, np.inf), s)
    assert check(y, s, bounds=ALL_BINARY, ties=ties).ok
    for t in (1e-3, 1e3):
        assert check(y, s, bounds=("rank_lemma", "rr", "ap"), ties=ties, temperature=t).ok


@pytest.mark.parametrize("ties", rb.TIE_POLICIES)
def test_every_term_matches_its_definition(ties):
    # The bounds compute everything on sorted rows and at the relevant items only; here each
    # term is recomputed from its definition, in the caller's item order: the metrics and losses
    # by the public functions, r_i and N_i by comparing every pair of items.
    rng = np.random.default_rng(11)
    for n in (1, 2, 7, 40):
        y = (rng.random((150, n)) < 0.3).astype(float)
        s = rng.integers(0, 4, (150, n)) / 2.0  # heavy ties
        mask = rng.random((150, n)) < 0.85
        mask[:, 0] = True
        kw = {"ties": ties, "mask": mask, "no_relevant": "nan"}
        close = {"rtol": 1e-12, "atol": 1e-12, "equal_nan": True}
        real, rel = mask, (y > 0) & mask
        ge = (s[:, None, :] >= s[:, :, None]) & real[:, None, :]  # [b, i, j]: s_j >= s_i
        r = ge.sum(axis=2).astype(float)
        n_neg = (ge & ~rel[:, None, :]).sum(axis=2).astype(float)
        m = rel.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_log_r = np.where(rel, np.log(r), 0.0).sum(axis=1) / np.where(m > 0, m, np.nan)
            mean_log1p_n = np.where(rel, np.log1p(n_neg), 0.0).sum(axis=1) / np.where(m > 0, m, np.nan)
        loss = rb.softmax_cross_entropy(y, s, mask=mask, no_relevant="nan")

        out = rb.reciprocal_rank_bound(y, s, ties=ties, mask=mask)
        np.testing.assert_allclose(out.metric, rb.reciprocal_rank(y, s, **kw), **close)
        np.testing.assert_allclose(out.middle, mean_log_r, **close)
        np.testing.assert_allclose(out.loss, loss, **close)
        out = rb.ndcg_bound(y, s, ties=ties, mask=mask)
        np.testing.assert_allclose(out.metric, rb.ndcg(y, s, **kw), **close)
        out = rb.average_precision_bound(y, s, ties=ties, mask=mask)
        np.testing.assert_allclose(out.metric, rb.average_precision(y, s, **kw), **close)
        np.testing.assert_allclose(out.middle, mean_log1p_n, **close)
        neg = rb.negatives_cross_entropy(y, s, mask=mask, no_relevant="nan")
        np.testing.assert_allclose(out.loss_neg, neg, **close)
        for k in (1, 3):
            out = rb.recall_bound(y, s, k=k, ties=ties, mask=mask)
            np.testing.assert_allclose(out.metric, rb.recall_at_k(y, s, k=k, **kw), **close)
            with np.errstate(invalid="ignore", divide="ignore"):
                miss = np.where(rel, r > k, 0).sum(axis=1) / np.where(m > 0, m, np.nan)
            np.testing.assert_allclose(out.miss_tied, miss, **close)
        graded = np.where(mask, rng.integers(0, 4, (150, n)), 0).astype(float)
        for gain in ("linear", "exponential"):
            out = rb.graded_ndcg_bound(graded, s, gain=gain, ties=ties, mask=mask)
            np.testing.assert_allclose(
                out.metric, rb.ndcg(graded, s, gain=gain, **kw), **close
            )
            target = rb.softmax_cross_entropy(graded, s, target=gain, mask=mask, no_relevant="nan")
            np.testing.assert_allclose(out.loss, target, **close)
        lemma = rb.rank_lemma(s, mask=mask)
        np.testing.assert_allclose(lemma.log_rank, np.where(real, np.log(np.maximum(r, 1)), np.nan), **close)


def _records(report):
    # NaN != NaN: compare the records with NaN replaced by a marker
    return [
        {k: ("nan" if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        for r in report.to_records()
    ]


def _same_report(a, b, *, mean_rtol=0.0):
    """Equal records; the mean:* rows (sums accumulated block by block) to ``mean_rtol``."""
    for ra, rb_ in zip(_records(a), _records(b), strict=True):
        if ra["bound"].startswith("mean:") and mean_rtol:
            for key in ("slack_min", "slack_max"):
                assert rb_[key] == pytest.approx(ra[key], rel=mean_rtol)
            continue
        assert ra == rb_


def test_workers_and_blocks_do_not_change_the_report(monkeypatch):
    parts = [_workload(30 + i, n, 57, 1.0, 3) for i, n in enumerate((6, 40, 13, 40))]
    unsplit = check(iter(parts), bounds=ALL_BINARY, workers=1)
    # a small block size, so that every batch is split into several blocks of rows
    monkeypatch.setattr(rb.metrics, "_BLOCK_ITEMS", 100)
    split = check(iter(parts), bounds=ALL_BINARY, workers=1)
    for workers in (2, 3):  # threads change nothing, to the bit
        _same_report(check(iter(parts), bounds=ALL_BINARY, workers=workers), split)
    # blocks change nothing either, but the order in which the mean:* sums are accumulated
    _same_report(split, unsplit, mean_rtol=1e-14)
    y, s = parts[1]
    whole = check(y, s, bounds=ALL_BINARY, workers=2)  # one batch in 23 blocks
    assert whole.exact_quantiles and whole.batches == 1
    monkeypatch.setattr(rb.metrics, "_BLOCK_ITEMS", 2**19)
    _same_report(whole, check(y, s, bounds=ALL_BINARY, workers=1), mean_rtol=1e-14)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_bad_batch_in_a_stream_raises(workers):
    good = _workload(1, 10, 20, 1.0, None)

    def stream():
        yield good
        yield good
        yield good[0] * 2, good[1]  # label 2: not binary

    with pytest.raises(ValueError, match=r"check: 'labels' must be binary \(0 or 1\); got 2\.0"):
        check(stream(), bounds=("rr",), workers=workers)
    overflow = (np.array([[1.0, 0.0]]), np.array([[1e308, 0.0]]))
    with pytest.raises(ValueError, match="check: 'scores' / 'temperature' overflows"):
        check(iter([good, overflow]), bounds=("rr",), temperature=0.5, workers=workers)


@pytest.mark.parametrize(
    "workers, exc, fragment",
    [(0, ValueError, "0"), (-1, ValueError, "-1"), (1.5, TypeError, "float 1.5"),
     (True, TypeError, "bool True"), ("2", TypeError, "str '2'")],
)
def test_workers_must_be_a_positive_int(workers, exc, fragment):
    with pytest.raises(exc, match=f"check: 'workers' must be an int >= 1; got {fragment}"):
        check([[1.0, 0.0]], [[1.0, 0.0]], workers=workers)
