"""Agreement with trec_eval (through pytrec_eval-terrier) on thousands of seeded random lists.

trec_eval sorts a run by score descending and breaks ties by docno *descending*. Naming item i of a
list of n items ``f"d{n-1-i:04d}"`` makes the docnos decrease with the index, so trec_eval's tie
order is index order: rankbound's ``ties="stable"``. trec_eval keeps scores as float32 in places,
so every score here is exactly representable in float32 (quarters of small integers, or float32
draws), which keeps both sides ranking the same numbers.

Conventions that match and are therefore compared directly: relevant means label >= 1 (trec_eval's
default relevance level; labels are integers), P@k divides by k even for shorter lists, recall and
AP divide by the number of relevant items in the list, NDCG uses linear gain and 1/log2(1+rank) with
the ideal built from every judged document (all items of the list are judged here), and a query
with no relevant document scores 0 on every measure (rankbound's ``no_relevant="zero"``).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import rankbound as rb

pytrec_eval = pytest.importorskip("pytrec_eval")

N_TIED = 1200
N_CONTINUOUS = 300
MAX_LEN = 300

MEASURES = {
    "recip_rank": lambda y, s, **kw: rb.reciprocal_rank(y, s, **kw),
    "P_5": lambda y, s, **kw: rb.precision_at_k(y, s, k=5, **kw),
    "P_10": lambda y, s, **kw: rb.precision_at_k(y, s, k=10, **kw),
    "recall_10": lambda y, s, **kw: rb.recall_at_k(y, s, k=10, **kw),
    "map": lambda y, s, **kw: rb.average_precision(y, s, **kw),
    "ndcg": lambda y, s, **kw: rb.ndcg(y, s, **kw),
    "ndcg_cut_10": lambda y, s, **kw: rb.ndcg(y, s, k=10, **kw),
}


def docno(i: int, n: int) -> str:
    """A docno that decreases with the index, so trec_eval's tie order is the index order."""
    return f"d{n - 1 - i:04d}"


def random_lists(seed: int, count: int, *, tied: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """Lists of length 1..MAX_LEN (many short ones) with binary or graded labels.

    Some lists have no relevant item and some are all relevant, on purpose.
    """
    rng = np.random.default_rng(seed)
    out = []
    for q in range(count):
        n = int(rng.integers(1, 21)) if q % 2 else int(rng.integers(1, MAX_LEN + 1))
        kind = q % 10
        if kind == 0:
            labels = np.zeros(n)  # nothing relevant
        elif kind == 1:
            labels = rng.integers(1, 5, n).astype(float)  # everything relevant
        elif kind < 6:
            labels = (rng.random(n) < rng.uniform(0.05, 0.6)).astype(float)  # binary
        else:
            labels = rng.choice(5, n, p=[0.55, 0.2, 0.12, 0.08, 0.05]).astype(float)  # graded
        if tied:
            scores = rng.integers(0, 20, n) / 4  # exact in float32, heavy ties
        else:
            scores = np.unique(rng.standard_normal(4 * n + 8).astype(np.float32))
            scores = rng.permutation(scores)[:n].astype(np.float64)  # distinct, float32-exact
            assert np.unique(scores).size == n
        assert np.array_equal(scores.astype(np.float32).astype(np.float64), scores)
        out.append((labels, scores))
    return out


def trec_eval(lists) -> dict[str, np.ndarray]:
    qrels, run = {}, {}
    for q, (labels, scores) in enumerate(lists):
        n = labels.size
        qrels[f"q{q}"] = {docno(i, n): int(labels[i]) for i in range(n)}
        run[f"q{q}"] = {docno(i, n): float(scores[i]) for i in range(n)}
    results = pytrec_eval.RelevanceEvaluator(qrels, set(MEASURES)).evaluate(run)
    assert len(results) == len(lists)
    return {m: np.array([results[f"q{q}"][m] for q in range(len(lists))]) for m in MEASURES}


def padded(lists):
    """The lists as one 2-D batch, padded with masked junk that ties with real scores."""
    width = max(y.size for y, _ in lists)
    labels = np.full((len(lists), width), 3.0)
    scores = np.full((len(lists), width), 2.0)  # 2.0 is also a common real score
    mask = np.zeros((len(lists), width), dtype=bool)
    for r, (y, s) in enumerate(lists):
        labels[r, : y.size], scores[r, : y.size], mask[r, : y.size] = y, s, True
    return labels, scores, mask


@functools.cache
def make_case(kind: str):
    tied = kind == "tied"
    lists = random_lists(20240601 if tied else 7, N_TIED if tied else N_CONTINUOUS, tied=tied)
    return lists, trec_eval(lists), padded(lists)


@pytest.fixture(params=["tied", "continuous"])
def case(request):
    return make_case(request.param)


def test_docno_naming_gives_index_order():
    # Five items all tied, one relevant at each index in turn: trec_eval's RR must be 1/(i+1),
    # i.e. its order is the index order.
    n = 5
    for rel in range(n):
        qrels = {"q": {docno(i, n): int(i == rel) for i in range(n)}}
        run = {"q": {docno(i, n): 1.0 for i in range(n)}}
        rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(run)["q"]["recip_rank"]
        assert rr == 1 / (rel + 1)


def test_generated_lists_cover_the_edge_cases(case):
    lists, _, _ = case
    lengths = np.array([y.size for y, _ in lists])
    assert lengths.min() == 1 and lengths.max() > 250
    assert any(not (y > 0).any() for y, _ in lists)
    assert any((y > 0).all() and y.size > 1 for y, _ in lists)
    assert any((y > 1).any() for y, _ in lists)
    has_ties = np.array([np.unique(s).size < s.size for _, s in lists])
    assert has_ties.mean() > 0.5 if len(lists) == N_TIED else not has_ties.any()


@pytest.mark.parametrize("measure", sorted(MEASURES))
def test_batched_call_matches_trec_eval(case, measure):
    lists, expected, (labels, scores, mask) = case
    got = MEASURES[measure](labels, scores, mask=mask, ties="stable")
    np.testing.assert_allclose(got, expected[measure], rtol=0, atol=1e-12)


@pytest.mark.parametrize("measure", sorted(MEASURES))
def test_per_list_calls_match_trec_eval(case, measure):
    lists, expected, _ = case
    got = np.array([MEASURES[measure](y, s, ties="stable") for y, s in lists])
    np.testing.assert_allclose(got, expected[measure], rtol=0, atol=1e-12)


def test_tie_order_matters_in_the_tied_block():
    # The agreement above is not vacuous: on the tied lists another tie order disagrees with
    # trec_eval on many lists, so ties="stable" is what makes the measures agree.
    _, expected, (labels, scores, mask) = make_case("tied")
    for measure in ("recip_rank", "map", "ndcg"):
        got = MEASURES[measure](labels, scores, mask=mask, ties="optimistic")
        assert np.sum(np.abs(got - expected[measure]) > 1e-9) > 50
