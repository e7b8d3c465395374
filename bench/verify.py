"""Benchmark: stream the bound checks over many random lists with bounded memory.

    .venv/bin/python bench/verify.py [--lists 10000000] [--items 100] [--chunk 10000]

``rankbound.bounds.check`` accepts an iterable of ``(labels, scores)`` batches and merges the
per-batch reports (exact counts, minima and maxima; histogram quantiles), so memory depends on the
chunk, not on the total. This script feeds it a generator of seeded batches from
``rankbound.datasets.synthetic_lists``, then prints the report, the throughput (lists per second,
items per second) and the peak resident memory of the process. Generating the batches is timed
apart, so the rate is that of the checks.
"""

from __future__ import annotations

import argparse
import resource
import time

import rankbound as rb
from rankbound.datasets import synthetic_lists


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=float, default=1e7, help="total number of lists")
    parser.add_argument("--items", type=int, default=100, help="items per list")
    parser.add_argument("--chunk", type=int, default=10_000, help="lists per batch")
    parser.add_argument("--bounds", default=",".join(rb.bounds.DEFAULT_BOUNDS))
    args = parser.parse_args()
    total, chunk = int(args.lists), args.chunk
    generation = 0.0

    def batches():
        nonlocal generation
        for i, start in enumerate(range(0, total, chunk)):
            t0 = time.perf_counter()
            batch = synthetic_lists(min(chunk, total - start), args.items, seed=i,
                                    p_relevant=0.1, tie_fraction=0.3, ensure_relevant=True)
            generation += time.perf_counter() - t0
            yield batch

    t0 = time.perf_counter()
    report = rb.check(batches(), bounds=tuple(args.bounds.split(",")))
    elapsed = time.perf_counter() - t0 - generation
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(report)
    print()
    print(f"lists checked     {total:,} x {args.items} items, batches of {chunk:,}")
    print(f"checking time     {elapsed:.1f} s (batch generation, {generation:.1f} s, excluded)")
    print(f"throughput        {total / elapsed:,.0f} lists/s, {total * args.items / elapsed:,.0f} items/s")
    print(f"peak RSS          {peak_mib:,.0f} MiB")
    print(f"violations        {report.violations}")


if __name__ == "__main__":
    main()
