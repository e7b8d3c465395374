"""Benchmark: NDCG@10, AP and RR over a batch of lists, rankbound against its peers and the floor.

Run from the repository root (see bench/README.md for the one-off install of the peers):

    .venv/bin/python bench/metrics.py [--repeats 3] [--quick]

Workloads: 10,000 lists x 100 items and 1,000 x 1,000; graded labels 0-4, every list with at least
one relevant item, scores on a grid of eighths (many exact ties, float32-exact so trec_eval sees the
same values). For each tool the same three measures are computed and checked for agreement where
the conventions match:

* rankbound, one 2-D call per measure, ``ties="stable"`` (= trec_eval with docnos in index order);
* trec_eval through pytrec-eval-terrier: building its dicts is timed apart from evaluating;
* ranx (after a warm-up call that triggers its numba JIT compilation), from the same dicts;
* scikit-learn's batched ``ndcg_score`` (tie-averaged), compared with ``ties="average"``;
* the floor: ``np.argsort`` of the score matrix, which any sort-based evaluation must pay.

Times are medians over ``--repeats`` runs; ratios are to rankbound's time for the same measure set.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import rankbound as rb


def workload(n_lists: int, n_items: int, seed: int):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 5, (n_lists, n_items)).astype(np.float64)
    labels[labels.max(axis=1) == 0, 0] = 1.0
    scores = rng.integers(0, 160, (n_lists, n_items)) / 8.0  # exact in float32; heavy ties
    return labels, scores


def timed(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def run_rankbound(labels, scores, ties="stable"):
    return {
        "ndcg@10": rb.ndcg(labels, scores, k=10, ties=ties),
        "ap": rb.average_precision(labels, scores, ties=ties),
        "rr": rb.reciprocal_rank(labels, scores, ties=ties),
    }


def trec_dicts(labels, scores, *, descending=True):
    n = labels.shape[1]
    width = len(str(n))
    # trec_eval breaks ties by docno descending, ranx by docno ascending: name doc i so that
    # the tool's tie order is index order (rankbound's ties="stable").
    docs = [f"d{(n - 1 - i) if descending else i:0{width}d}" for i in range(n)]
    qrels, run = {}, {}
    for q in range(labels.shape[0]):
        qid = f"q{q}"
        qrels[qid] = dict(zip(docs, labels[q].astype(int).tolist()))
        run[qid] = dict(zip(docs, scores[q].tolist()))
    return qrels, run


def run_trec_eval(qrels, run):
    import pytrec_eval

    res = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut_10", "map", "recip_rank"}).evaluate(run)
    keys = sorted(res, key=lambda q: int(q[1:]))
    return {
        "ndcg@10": np.array([res[q]["ndcg_cut_10"] for q in keys]),
        "ap": np.array([res[q]["map"] for q in keys]),
        "rr": np.array([res[q]["recip_rank"] for q in keys]),
    }


def run_ranx(qrels, run):
    import warnings

    from ranx import Qrels, Run, evaluate

    # ranx's compiled NDCG casts its uint64 counters to int64 and numba says so at every JIT
    # compilation; the values are checked against rankbound below.
    warnings.filterwarnings("ignore", message="unsafe cast from uint64 to int64")

    qr, rn = Qrels(qrels), Run(run)
    out = evaluate(qr, rn, ["ndcg@10", "map", "mrr"], return_mean=False)
    # ranx returns one value per query in its own (sorted) query order: put them back in ours.
    pos = np.argsort([int(q[1:]) for q in rn.keys()])
    return {"ndcg@10": np.asarray(out["ndcg@10"])[pos], "ap": np.asarray(out["map"])[pos],
            "rr": np.asarray(out["mrr"])[pos]}


def max_diff(a: dict, b: dict) -> str:
    return ", ".join(f"{k} {np.max(np.abs(a[k] - b[k])):.1e}" for k in a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller workloads (a smoke test)")
    args = parser.parse_args()
    shapes = [(1000, 100), (100, 1000)] if args.quick else [(10_000, 100), (1_000, 1_000)]
    rows = []
    for n_lists, n_items in shapes:
        labels, scores = workload(n_lists, n_items, seed=n_lists + n_items)
        name = f"{n_lists}x{n_items}"
        t_floor, _ = timed(lambda: np.argsort(scores, axis=1), args.repeats)
        t_rb, ours = timed(lambda: run_rankbound(labels, scores), args.repeats)
        t_dict, (qrels, run) = timed(lambda: trec_dicts(labels, scores), 1)
        t_trec, trec = timed(lambda: run_trec_eval(qrels, run), args.repeats)
        print(f"[{name}] rankbound vs trec_eval max |diff|: {max_diff(ours, trec)}")
        per_measure = [
            (f"rankbound {m} only", timed(lambda f=f, kw=kw: f(labels, scores, **kw), args.repeats)[0])
            for m, f, kw in [("NDCG@10", rb.ndcg, {"k": 10}), ("AP", rb.average_precision, {}),
                             ("RR", rb.reciprocal_rank, {})]
        ]
        entries = [("floor: np.argsort", t_floor), ("rankbound, all three (stable ties)", t_rb),
                   *per_measure,
                   ("trec_eval: build dicts", t_dict), ("trec_eval: evaluate", t_trec),
                   ("trec_eval: end to end", t_dict + t_trec)]
        try:
            qrels_a, run_a = trec_dicts(labels, scores, descending=False)
            run_ranx(*trec_dicts(labels[:2], scores[:2], descending=False))  # JIT warm-up
            t_ranx, rx = timed(lambda: run_ranx(qrels_a, run_a), args.repeats)
            # ranx orders ties by an unstable quicksort (utils.descending_sort), so it matches no
            # fixed tie policy: check agreement on the same shape with continuous (tie-free) scores.
            rng = np.random.default_rng(1)
            cont = rng.random(scores.shape)
            rx_c = run_ranx(*trec_dicts(labels, cont, descending=False))
            print(f"[{name}] rankbound vs ranx, tie-free scores, max |diff|: "
                  f"{max_diff(run_rankbound(labels, cont), rx_c)}; with ties ranx differs by "
                  f"up to {max_diff(ours, rx)}")
            entries += [("ranx: evaluate", t_ranx), ("ranx: end to end", t_dict + t_ranx)]
        except ImportError:
            print(f"[{name}] ranx not installed: skipped (see bench/README.md)")
        from sklearn.metrics import ndcg_score

        t_sk, sk = timed(lambda: ndcg_score(labels, scores, k=10), args.repeats)
        t_rb_avg, ours_avg = timed(lambda: rb.ndcg(labels, scores, k=10, ties="average"), args.repeats)
        print(f"[{name}] mean NDCG@10 tie-averaged: rankbound {ours_avg.mean():.12f} "
              f"sklearn {sk:.12f}")
        entries += [("rankbound NDCG@10 only, average ties", t_rb_avg),
                    ("sklearn ndcg_score@10 (average ties)", t_sk)]
        for what, t in entries:
            rows.append((name, what, t, t / t_rb, t / t_floor))
    print()
    print(f"{'workload':<10} {'what':<38} {'seconds':>9} {'x rankbound':>12} {'x floor':>9}")
    for name, what, t, r_rb, r_fl in rows:
        print(f"{name:<10} {what:<38} {t:>9.3f} {r_rb:>12.2f} {r_fl:>9.2f}")


if __name__ == "__main__":
    main()
