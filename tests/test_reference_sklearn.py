"""Agreement with scikit-learn's ``ndcg_score`` and ``average_precision_score``.

Conventions, checked before comparing:

* ``ndcg_score(..., ignore_ties=False)`` averages the DCG over the orders of each tied group
  (McSherry & Najork, 2008), exactly rankbound's ``ties="average"``. Its gain is the label itself
  (rankbound's ``gain="linear"``); passing ``2**y - 1`` as ``y_true`` gives rankbound's
  ``gain="exponential"``. The ideal DCG is truncated at ``k`` on both sides.
* A row whose labels are all zero has IDCG = 0; scikit-learn scores it 0 (see
  :func:`test_sklearn_scores_all_zero_rows_as_zero`), which is rankbound's ``no_relevant="zero"``,
  so such rows are compared too.
* scikit-learn refuses lists of one item ("only meaningful when there is more than 1 document"),
  so lists here have at least two items.
* ``ignore_ties=True`` orders by ``argsort``, whose order inside a tied group is an implementation
  detail, so it is compared with rankbound only on lists without ties (where every policy agrees),
  and on tied lists only through the bounds pessimistic <= value <= optimistic.
* ``average_precision_score`` treats a tied block of scores as a single threshold step: every
  relevant item in the block gets the precision at the block's end. That is not the AP of any
  order of the list, so AP is compared on lists without ties only, and the difference on a tied
  list is pinned in :func:`test_average_precision_tied_block_differs_from_every_order`.
"""

from __future__ import annotations

import numpy as np
import pytest

import rankbound as rb

sk = pytest.importorskip("sklearn.metrics")

N_LISTS = 150  # per parameter combination; scikit-learn's validation costs ~1 ms a call


def tied_lists(seed, count, *, graded=True, real_labels=False):
    rng = np.random.default_rng(seed)
    out = []
    for q in range(count):
        n = int(rng.integers(2, 40))
        if real_labels:
            labels = rng.exponential(1.0, n) * (rng.random(n) < 0.5)
        elif q % 8 == 0:
            labels = np.zeros(n)
        else:
            labels = rng.integers(0, 5 if graded else 2, n).astype(float)
        scores = rng.integers(0, int(rng.integers(1, 8)), n) / 2  # 1..7 distinct values: heavy ties
        out.append((labels, scores))
    return out


def untied_lists(seed, count):
    rng = np.random.default_rng(seed)
    out = []
    for q in range(count):
        n = int(rng.integers(2, 40))
        labels = (rng.random(n) < rng.uniform(0.1, 0.7)).astype(float)
        if q % 5 == 0:
            labels = rng.integers(0, 5, n).astype(float)
        if not (labels > 0).any():
            labels[rng.integers(n)] = 1.0
        scores = rng.permutation(n) + rng.standard_normal(n) * 0.1  # distinct
        assert np.unique(scores).size == n
        out.append((labels, scores))
    return out


def sk_ndcg(labels, scores, **kw):
    return sk.ndcg_score(labels[None, :], scores[None, :], **kw)


def test_sklearn_scores_all_zero_rows_as_zero():
    assert sk.ndcg_score([[0, 0, 0]], [[1, 2, 3]]) == 0.0
    assert rb.ndcg([0, 0, 0], [1, 2, 3]) == 0.0  # rankbound's default no_relevant="zero"


@pytest.mark.parametrize("k", [None, 1, 3, 10])
@pytest.mark.parametrize("labels_kind", ["graded", "binary", "real"])
def test_ndcg_average_ties_matches_sklearn(k, labels_kind):
    lists = tied_lists(
        {"graded": 1, "binary": 2, "real": 3}[labels_kind] * 100 + (k or 0),
        N_LISTS,
        graded=labels_kind == "graded",
        real_labels=labels_kind == "real",
    )
    assert sum(np.unique(s).size < s.size for _, s in lists) > 0.9 * len(lists)
    got = np.array([rb.ndcg(y, s, k=k, ties="average") for y, s in lists])
    expected = np.array([sk_ndcg(y, s, k=k, ignore_ties=False) for y, s in lists])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("k", [None, 5])
def test_ndcg_exponential_gain_is_sklearn_on_transformed_labels(k):
    lists = tied_lists(11 + (k or 0), N_LISTS // 2)
    got = np.array([rb.ndcg(y, s, k=k, ties="average", gain="exponential") for y, s in lists])
    expected = np.array([sk_ndcg(2.0**y - 1, s, k=k, ignore_ties=False) for y, s in lists])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("k", [None, 4])
def test_ndcg_without_ties_matches_sklearn_for_every_policy(k):
    lists = untied_lists(5 + (k or 0), N_LISTS)
    for ignore_ties in (True, False):
        expected = np.array([sk_ndcg(y, s, k=k, ignore_ties=ignore_ties) for y, s in lists])
        for ties in rb.TIE_POLICIES:
            got = np.array([rb.ndcg(y, s, k=k, ties=ties) for y, s in lists])
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("k", [None, 3])
def test_sklearn_ignore_ties_is_some_realisable_order(k):
    # sklearn's ignore_ties=True picks *an* order of each tied group, so its value lies between
    # the pessimistic and optimistic NDCG; it need not equal ties="stable".
    lists = tied_lists(21 + (k or 0), N_LISTS // 2)
    for y, s in lists:
        value = sk_ndcg(y, s, k=k, ignore_ties=True)
        low = rb.ndcg(y, s, k=k, ties="pessimistic")
        high = rb.ndcg(y, s, k=k, ties="optimistic")
        assert low - 1e-12 <= value <= high + 1e-12


def test_ndcg_batched_with_mask_matches_sklearn():
    lists = tied_lists(31, N_LISTS)
    width = max(y.size for y, _ in lists)
    labels = np.zeros((len(lists), width))
    scores = np.full((len(lists), width), 1.5)  # ties with real scores; must be ignored
    mask = np.zeros((len(lists), width), bool)
    for r, (y, s) in enumerate(lists):
        labels[r, : y.size], scores[r, : y.size], mask[r, : y.size] = y, s, True
    got = rb.ndcg(labels, scores, mask=mask, ties="average", k=5)
    expected = np.array([sk_ndcg(y, s, k=5, ignore_ties=False) for y, s in lists])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_average_precision_without_ties_matches_sklearn():
    lists = [(np.minimum(y, 1.0), s) for y, s in untied_lists(41, 2 * N_LISTS)]
    expected = np.array([sk.average_precision_score(y, s) for y, s in lists])
    for ties in rb.TIE_POLICIES:
        got = np.array([rb.average_precision(y, s, ties=ties) for y, s in lists])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_average_precision_tied_block_differs_from_every_order():
    # labels [0, 1, 1], scores [1, 0, 0]: the two relevant items tie with each other only, so
    # every order of the list has them at positions 2 and 3: AP = (1/2 + 2/3) / 2 under every
    # policy. sklearn treats the tied block as one step and gives both the precision at the
    # block's end, 2/3: AP = (2/3 + 2/3) / 2, which no order of the list realises.
    labels, scores = [0, 1, 1], [1.0, 0.0, 0.0]
    for ties in rb.TIE_POLICIES:
        assert rb.average_precision(labels, scores, ties=ties) == pytest.approx(
            (1 / 2 + 2 / 3) / 2, rel=1e-15
        )
    assert sk.average_precision_score(labels, scores) == pytest.approx(
        (2 / 3 + 2 / 3) / 2, rel=1e-15
    )

    # labels [1, 0, 1], all tied: sklearn gives 2/3; the orders give (1/2 + 2/3)/2 (pessimistic),
    # (1 + 2/3)/2 (stable), 1 (optimistic) and their mean over the three positions of the
    # non-relevant item (average). sklearn's value is none of them.
    labels, scores = [1, 0, 1], [1.0, 1.0, 1.0]
    sk_value = sk.average_precision_score(labels, scores)
    assert sk_value == pytest.approx(2 / 3, rel=1e-15)
    for ties in rb.TIE_POLICIES:
        assert abs(rb.average_precision(labels, scores, ties=ties) - sk_value) > 0.05
