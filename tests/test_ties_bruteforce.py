"""Tie policies against brute force: enumerate every order the scores allow.

For each small list (n <= 7, heavy ties, graded labels) every order consistent with the scores is
enumerated: the items sorted by decreasing score, each tied group in every permutation. Each
realised order is evaluated by giving it strictly decreasing scores (so no tie policy is involved).
Then, for every metric:

* ``ties="average"`` is the mean over the realised orders (each equally likely), to 1e-12;
* ``ties="pessimistic"`` is their minimum and ``ties="optimistic"`` their maximum;
* ``ties="stable"`` is the realised order that keeps each tied group in index order.

Min/max being exactly the pessimistic/optimistic order holds for *every* metric here, not only
the binary ones: DCG, NDCG and P@k/R@k are sums over positions of a non-increasing positional
weight (``1/log2(1+p)``, cut to 0 after ``k``) times a non-decreasing function of the label, so by
the rearrangement inequality sorting each tied group by label (ascending/descending) minimises/
maximises them; RR and AP only see relevance (label > 0) and never decrease when a relevant item
moves above an adjacent non-relevant one. The tests below verify this rather than assume it.

``ranks(..., ties="average")`` is the mean position of each item over the realised orders, and
``tied_ranks`` (max/min) its largest/smallest position.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

import rankbound as rb

N_LISTS = 400
MAX_N = 7

METRICS = {
    "RR": lambda y, s, **kw: rb.reciprocal_rank(y, s, **kw),
    "P@1": lambda y, s, **kw: rb.precision_at_k(y, s, k=1, **kw),
    "P@3": lambda y, s, **kw: rb.precision_at_k(y, s, k=3, **kw),
    "P": lambda y, s, **kw: rb.precision_at_k(y, s, **kw),
    "R@2": lambda y, s, **kw: rb.recall_at_k(y, s, k=2, **kw),
    "R@4": lambda y, s, **kw: rb.recall_at_k(y, s, k=4, **kw),
    "AP": lambda y, s, **kw: rb.average_precision(y, s, **kw),
    "AP@3": lambda y, s, **kw: rb.average_precision(y, s, k=3, **kw),
    "DCG": lambda y, s, **kw: rb.dcg(y, s, **kw),
    "DCG@3": lambda y, s, **kw: rb.dcg(y, s, k=3, **kw),
    "DCG-exp": lambda y, s, **kw: rb.dcg(y, s, gain="exponential", **kw),
    "DCG@2-exp": lambda y, s, **kw: rb.dcg(y, s, k=2, gain="exponential", **kw),
    "NDCG": lambda y, s, **kw: rb.ndcg(y, s, **kw),
    "NDCG@3": lambda y, s, **kw: rb.ndcg(y, s, k=3, **kw),
    "NDCG-exp": lambda y, s, **kw: rb.ndcg(y, s, gain="exponential", **kw),
    "NDCG@2-exp": lambda y, s, **kw: rb.ndcg(y, s, k=2, gain="exponential", **kw),
}


def realised_orders(scores: np.ndarray) -> np.ndarray:
    """Every order (rows of item indices, best first) consistent with the scores.

    The first row keeps each tied group in index order (the stable order).
    """
    groups = [np.flatnonzero(scores == v) for v in np.unique(scores)[::-1]]
    # each group's permutations as rows; itertools yields the sorted (index) order first
    blocks = [np.array(list(itertools.permutations(g))) for g in groups]
    # every combination of one permutation per group; np.indices puts (0, ..., 0) first
    choice = np.indices([b.shape[0] for b in blocks]).reshape(len(blocks), -1)
    return np.concatenate([b[c] for b, c in zip(blocks, choice, strict=True)], axis=1)


def random_lists(seed: int):
    rng = np.random.default_rng(seed)
    out = []
    for q in range(N_LISTS):
        n = int(rng.integers(1, MAX_N + 1))
        distinct = int(rng.integers(1, min(n, 3) + 1))  # 1..3 score values: heavy ties
        scores = rng.integers(0, distinct, n) * 0.5 - 0.25
        labels = rng.integers(0, 5 if q % 3 else 2, n).astype(float)
        out.append((labels, scores))
    return out


@functools.cache
def cases():
    """Per list length n: the lists, and every realised order of each (as strict scores)."""
    by_n = {}
    for labels, scores in random_lists(2024):
        by_n.setdefault(labels.size, []).append((labels, scores))
    out = {}
    for n, lists in sorted(by_n.items()):
        y = np.array([lab for lab, _ in lists])
        s = np.array([sc for _, sc in lists])
        real_y, real_s, real_pos, owner = [], [], [], []
        for q, (labels, scores) in enumerate(lists):
            perms = realised_orders(scores)
            rows = perms.shape[0]
            strict = np.empty((rows, n))
            # the top item gets the largest score; positions 1..n follow the order
            np.put_along_axis(strict, perms, np.broadcast_to(np.arange(n, 0, -1.0), (rows, n)), 1)
            pos = np.empty((rows, n))
            np.put_along_axis(pos, perms, np.broadcast_to(np.arange(1.0, n + 1), (rows, n)), 1)
            real_y.append(np.broadcast_to(labels, (rows, n)))
            real_s.append(strict)
            real_pos.append(pos)
            owner.append(np.full(rows, q))
        owner = np.concatenate(owner)
        first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])  # stable order of each list
        out[n] = dict(
            y=y,
            s=s,
            real_y=np.concatenate(real_y),
            real_s=np.concatenate(real_s),
            real_pos=np.concatenate(real_pos),
            owner=owner,
            first=first,
        )
    return out


def test_the_lists_have_heavy_ties():
    all_cases = cases()
    assert sum(c["y"].shape[0] for c in all_cases.values()) == N_LISTS >= 300
    assert max(all_cases) == MAX_N
    orders = np.concatenate([np.bincount(c["owner"]) for c in all_cases.values()])
    assert (orders > 1).mean() > 0.8 and orders.max() == 5040  # a fully tied list of 7
    labels = np.concatenate([c["y"].ravel() for c in all_cases.values()])
    assert set(np.unique(labels)) == {0.0, 1.0, 2.0, 3.0, 4.0}


@pytest.mark.parametrize("name", sorted(METRICS))
def test_policies_are_mean_min_max_of_realised_orders(name):
    metric = METRICS[name]
    for n, c in cases().items():
        per_order = metric(c["real_y"], c["real_s"], ties="stable")
        count = np.bincount(c["owner"])
        mean = np.bincount(c["owner"], weights=per_order) / count
        low = np.minimum.reduceat(per_order, c["first"])
        high = np.maximum.reduceat(per_order, c["first"])
        y, s = c["y"], c["s"]
        # atol 1e-12 for the metrics in [0, 1]; DCG grows to ~20, where summing thousands of
        # orders costs ~1e-12 relative, hence rtol too.
        np.testing.assert_allclose(
            metric(y, s, ties="average"),
            mean,
            rtol=1e-12,
            atol=1e-12,
            err_msg=f"{name}, n={n}, average",
        )
        np.testing.assert_allclose(
            metric(y, s, ties="pessimistic"),
            low,
            rtol=0,
            atol=1e-12,
            err_msg=f"{name}, n={n}, pessimistic",
        )
        np.testing.assert_allclose(
            metric(y, s, ties="optimistic"),
            high,
            rtol=0,
            atol=1e-12,
            err_msg=f"{name}, n={n}, optimistic",
        )
        np.testing.assert_allclose(
            metric(y, s, ties="stable"),
            per_order[c["first"]],
            rtol=0,
            atol=1e-12,
            err_msg=f"{name}, n={n}, stable",
        )


@pytest.mark.parametrize("name", sorted(METRICS))
def test_single_list_calls_agree_with_the_batch(name):
    # The checks above use batched calls; one-list calls must give the same numbers.
    metric = METRICS[name]
    for c in cases().values():
        for policy in rb.TIE_POLICIES:
            batch = metric(c["y"], c["s"], ties=policy)
            single = [
                metric(y, s, ties=policy) for y, s in zip(c["y"][:3], c["s"][:3], strict=True)
            ]
            np.testing.assert_allclose(single, batch[:3], rtol=1e-15, atol=1e-15)


def test_average_ranks_are_mean_positions():
    for n, c in cases().items():
        count = np.bincount(c["owner"])[:, None]
        total = np.zeros((count.shape[0], n))
        np.add.at(total, c["owner"], c["real_pos"])
        np.testing.assert_allclose(
            rb.ranks(c["y"], c["s"], ties="average"), total / count, rtol=0, atol=1e-12
        )


def test_tied_ranks_are_extreme_positions():
    for c in cases().values():
        high = np.maximum.reduceat(c["real_pos"], c["first"], axis=0)
        low = np.minimum.reduceat(c["real_pos"], c["first"], axis=0)
        np.testing.assert_array_equal(rb.tied_ranks(c["s"], method="max"), high)
        np.testing.assert_array_equal(rb.tied_ranks(c["s"], method="min"), low)


@pytest.mark.parametrize("policy", ["pessimistic", "optimistic", "stable"])
def test_realisable_ranks_are_one_of_the_realised_orders(policy):
    for c in cases().values():
        got = rb.ranks(c["y"], c["s"], ties=policy)
        for q in range(c["y"].shape[0]):
            rows = c["real_pos"][c["owner"] == q]
            assert (rows == got[q]).all(axis=1).any()
