"""Benchmark: stream the bound checks over many random lists with bounded memory.

    .venv/bin/python bench/verify.py [--lists 10000000] [--items 100] [--chunk 10000] [--workers N]

``rankbound.check`` accepts an iterable of ``(labels, scores)`` batches and merges the per-batch
reports (exact counts, minima and maxima; histogram quantiles), so memory depends on the chunk,
not on the total. This script feeds it a generator of seeded random batches and prints the
report, the throughput (lists and items per second) and the peak resident memory.

The batches: binary labels, each item relevant with probability 0.1 and every list with at least
one relevant item; standard normal scores, rounded to halves in 30% of the lists (heavy ties) and
scaled by 10**u, u uniform in [-3, 3], per list. ``check`` evaluates blocks of rows on worker
threads while the main thread makes the next batch, so the rate printed is end to end, batch
generation included; the generation alone is timed on a sample and printed for reference.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

import rankbound as rb


def batches(total: int, n: int, chunk: int, seed: int = 0):
    for i, start in enumerate(range(0, total, chunk)):
        rng = np.random.default_rng([seed, i])
        rows = min(chunk, total - start)
        labels = (rng.random((rows, n)) < 0.1).astype(np.float64)
        labels[np.arange(rows), rng.integers(0, n, rows)] = 1.0
        scores = rng.normal(size=(rows, n))
        tied = rng.random(rows) < 0.3
        scores[tied] = np.round(scores[tied] * 2.0) / 2.0
        scores *= 10.0 ** rng.uniform(-3.0, 3.0, (rows, 1))
        yield labels, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=float, default=1e7, help="total number of lists")
    parser.add_argument("--items", type=int, default=100, help="items per list")
    parser.add_argument("--chunk", type=int, default=10_000, help="lists per batch")
    parser.add_argument("--workers", type=int, default=None, help="threads (default: check's)")
    parser.add_argument("--bounds", default=",".join(rb.bounds.DEFAULT_BOUNDS))
    args = parser.parse_args()
    total, chunk = int(args.lists), args.chunk

    sample = min(total, 20 * chunk)
    t0 = time.perf_counter()
    for _ in batches(sample, args.items, chunk, seed=1):
        pass
    generation_rate = sample / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    report = rb.check(
        batches(total, args.items, chunk), bounds=tuple(args.bounds.split(",")),
        workers=args.workers,
    )
    elapsed = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(report)
    print()
    print(f"lists checked     {total:,} x {args.items} items, batches of {chunk:,}")
    print(f"elapsed           {elapsed:.1f} s, batch generation included")
    print(f"throughput        {total / elapsed:,.0f} lists/s, {total * args.items / elapsed:,.0f} items/s")
    print(f"generation alone  {generation_rate:,.0f} lists/s (measured on {sample:,} lists)")
    print(f"peak RSS          {peak_mib:,.0f} MiB")
    print(f"violations        {report.violations}")


if __name__ == "__main__":
    main()
