"""Data for the book's checks and experiments: seeded synthetic lists and two small real data sets.

* :func:`synthetic_lists` — ``(labels, scores)`` batches with a chosen share of relevant items and
  of tied scores, reproducible from a seed; the numeric checks of every chapter draw from it.
* :func:`load_mslr_sample` — two 5,000-row excerpts (train and test, 43 queries each) of Fold 1 of
  the Microsoft Learning to Rank data set MSLR-WEB10K :cite:p:`qin2013introducing`, shipped
  gzipped in the repository's ``data/`` directory (CC BY 4.0; see ``data/LICENSE-MSLR.md``).
* :func:`load_digits_retrieval` — scikit-learn's bundled 8x8 digits as a retrieval task (items of
  the same class are relevant to each other); it needs no download.

The chapters *Learning-to-rank experiment* and *Metric-learning experiment* train on the real
data with :mod:`rankbound.train`.
"""

from __future__ import annotations

import functools
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rankbound._validation import (
    _shape_str,
    check_int,
    check_matrix,
    check_option,
    check_real,
    check_seed,
)

__all__ = [
    "MSLR_N_FEATURES",
    "RankingData",
    "load_mslr_sample",
    "load_digits_retrieval",
    "synthetic_lists",
]

MSLR_N_FEATURES = 136
_SPLITS = ("train", "test")
_MSLR_FILE = "mslr-web10k-fold1-{split}-5k.txt.gz"
# The data directory sits at the repository root, next to the package directory.
_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True, eq=False)
class RankingData:
    """Rows of (query, document) pairs: features, graded labels and query ids.

    The arrays are validated, copied and made read-only on construction. Rows of one query need
    not be contiguous; grouping keeps queries in order of first appearance and rows in their
    original order inside each query.

    Attributes
    ----------
    features : ndarray of shape (N, d), float64
    labels : ndarray of shape (N,), float64, finite and >= 0
    qid : ndarray of shape (N,), int64

    Examples
    --------
    >>> data = RankingData(features=[[1.0], [2.0], [3.0]], labels=[0, 2, 1], qid=[7, 7, 9])
    >>> data.n_queries, data.query_sizes.tolist()
    (2, [2, 1])
    >>> X, y, mask = data.as_padded()
    >>> X.shape, y.tolist(), mask.tolist()
    ((2, 2, 1), [[0.0, 2.0], [1.0, 0.0]], [[True, True], [True, False]])
    """

    features: np.ndarray
    labels: np.ndarray
    qid: np.ndarray

    def __post_init__(self):
        func = "RankingData"
        x = check_matrix(func, "features", self.features)
        y = np.asarray(self.labels)
        q = np.asarray(self.qid)
        if y.dtype.kind not in "iuf":
            raise TypeError(f"{func}: 'labels' must be a real numeric array; got dtype {y.dtype}")
        if q.dtype.kind not in "iu":
            raise TypeError(f"{func}: 'qid' must be an integer array; got dtype {q.dtype}")
        for name, arr in (("labels", y), ("qid", q)):
            if arr.shape != (x.shape[0],):
                raise ValueError(
                    f"{func}: {name!r} must have shape ({x.shape[0]},) to match 'features' "
                    f"{_shape_str(x.shape)}; got {_shape_str(arr.shape)}"
                )
        y = y.astype(np.float64)
        if not np.isfinite(y).all() or y.min() < 0:
            raise ValueError(
                f"{func}: 'labels' must be finite and >= 0; got min={float(np.nanmin(y))!r}"
            )
        for name, arr in (("features", x), ("labels", y), ("qid", q.astype(np.int64))):
            arr = np.array(arr, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @functools.cached_property
    def _groups(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query ids in order of first appearance, row index table (Q, n_max) with -1 padding,
        sizes)."""
        uniq, first, inverse, sizes = np.unique(
            self.qid, return_index=True, return_inverse=True, return_counts=True
        )
        rank = np.empty(uniq.size, dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(uniq.size)
        group = rank[inverse]  # 0-based query number of each row, in order of first appearance
        rows = np.argsort(group, kind="stable")  # rows grouped by query, original order inside
        sizes = sizes[np.argsort(first, kind="stable")]
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        pos = np.arange(rows.size) - np.repeat(starts, sizes)  # position inside its query
        table = np.full((uniq.size, sizes.max()), -1, dtype=np.int64)
        table[group[rows], pos] = rows
        out = (uniq[np.argsort(first, kind="stable")], table, sizes)
        for arr in out:
            arr.setflags(write=False)
        return out

    @property
    def n_rows(self) -> int:
        return int(self.labels.size)

    @property
    def n_features(self) -> int:
        return int(self.features.shape[1])

    @property
    def n_queries(self) -> int:
        return int(self._groups[0].size)

    @property
    def query_ids(self) -> np.ndarray:
        """Query ids, in order of first appearance (the row order of :meth:`as_padded`)."""
        return self._groups[0]

    @property
    def query_sizes(self) -> np.ndarray:
        """Number of rows of each query, in the order of :attr:`query_ids`."""
        return self._groups[2]

    @property
    def padded_index(self) -> np.ndarray:
        """(Q, n_max) row numbers of each query's items, ``-1`` where padded.

        Maps batched results back to rows: ``values[mask]`` belongs to rows
        ``padded_index[mask]``.
        """
        return self._groups[1]

    def as_padded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows grouped into lists, padded to the longest query, for batched calls.

        Returns
        -------
        X : ndarray of shape (Q, n_max, d)
            Features; zeros at padded positions.
        labels : ndarray of shape (Q, n_max)
            Labels; zeros at padded positions.
        mask : ndarray of shape (Q, n_max), bool
            True at real items: pass it as ``mask=`` to every metric and loss.
        """
        table = self.padded_index
        mask = table >= 0
        safe = np.where(mask, table, 0)
        X = np.where(mask[..., None], self.features[safe], 0.0)
        y = np.where(mask, self.labels[safe], 0.0)
        return X, y, mask


@functools.lru_cache(maxsize=4)
def _read_svmlight_gz(path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_svmlight_file

    with gzip.open(path, "rb") as fh:
        X, y, qid = load_svmlight_file(fh, query_id=True, n_features=MSLR_N_FEATURES)
    out = (X.toarray(), np.asarray(y, np.float64), np.asarray(qid, np.int64))
    for arr in out:
        arr.setflags(write=False)
    return out


def load_mslr_sample(split: str = "train", *, data_dir=None) -> RankingData:
    """A 5,000-row excerpt of MSLR-WEB10K Fold 1 (``"train"`` or ``"test"``).

    Each split holds 43 queries (18 to 308 documents each), 136 features per (query, document)
    pair, and graded labels 0 (irrelevant) to 4 (perfectly relevant)
    :cite:p:`qin2013introducing`. The excerpts are the files ``msn1.fold1.{train,test}.5k.txt``
    of the ``rankeval`` 0.8.2 source distribution, byte for byte; ``data/README.md`` gives their
    provenance, regeneration commands and label histograms. Two training queries have no document
    with label >= 1 (none in the test split). The last query of each excerpt may be cut short.

    Parameters
    ----------
    split : {"train", "test"}
    data_dir : path, optional
        Directory holding ``mslr-web10k-fold1-{split}-5k.txt.gz``; by default the repository's
        ``data/`` directory next to the package.

    Returns
    -------
    RankingData

    Raises
    ------
    FileNotFoundError
        When the file is missing (e.g. when the package is installed without the repository).

    Examples
    --------
    >>> data = load_mslr_sample("test")
    >>> data.features.shape, data.n_queries, sorted(set(data.labels.tolist()))
    ((5000, 136), 43, [0.0, 1.0, 2.0, 3.0, 4.0])
    """
    func = "load_mslr_sample"
    check_option(func, "split", split, _SPLITS)
    directory = _DATA_DIR if data_dir is None else Path(data_dir)
    path = directory / _MSLR_FILE.format(split=split)
    if not path.is_file():
        raise FileNotFoundError(
            f"{func}: the MSLR sample file {str(path)!r} does not exist. It ships in the "
            f"repository's data/ directory (not in an installed wheel): run from a clone of the "
            f"repository, pass data_dir=, or regenerate it as data/README.md describes"
        )
    X, y, qid = _read_svmlight_gz(str(path.resolve()))
    return RankingData(features=X, labels=y, qid=qid)


def load_digits_retrieval() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits (1797 images, 10 classes) as a retrieval task.

    Returns standardised pixels and class labels: each column has mean 0 and variance 1, except
    the pixels that are constant over the data set, which become 0. Two images are relevant to
    each other when they share a class. The data ship inside scikit-learn, so this works offline.

    Returns
    -------
    X : ndarray of shape (1797, 64), float64
    y : ndarray of shape (1797,), int64, values 0..9

    Examples
    --------
    >>> X, y = load_digits_retrieval()
    >>> X.shape, y.shape, int(y.max())
    ((1797, 64), (1797,), 9)
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = np.asarray(digits.data, dtype=np.float64)
    mean, sd = X.mean(axis=0), X.std(axis=0)
    X = np.where(sd > 0, (X - mean) / np.where(sd > 0, sd, 1.0), 0.0)
    return X, np.asarray(digits.target, dtype=np.int64)


_RELEVANCE = ("binary", "graded")


def synthetic_lists(
    n_lists,
    n_items,
    *,
    seed=0,
    relevance="binary",
    p_relevant=0.2,
    max_label=4,
    signal=1.0,
    tie_fraction=0.0,
    score_scale=1.0,
    ensure_relevant=False,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Seeded random lists: labels, and scores that are informative about them.

    Each item is relevant with probability ``p_relevant``; a relevant item's label is 1
    (``relevance="binary"``) or uniform on ``1..max_label`` (``"graded"``). Scores are

    .. math:: s = \mathrm{score\_scale} \cdot (\mathrm{signal} \cdot y + z), \qquad z \sim N(0, 1),

    so ``signal=0`` gives scores independent of the labels. Then, in each list, a share
    ``tie_fraction`` of the items (rounded) copy the score of another random item of the same list,
    which creates tied groups; ``tie_fraction=1`` ties every item of a list.

    Parameters
    ----------
    n_lists, n_items : int >= 1
    seed : int >= 0 or numpy.random.Generator
    relevance : {"binary", "graded"}
    p_relevant : float in [0, 1]
    max_label : int >= 1
        Largest graded label (ignored for binary relevance).
    signal : float
        How strongly scores follow labels.
    tie_fraction : float in [0, 1]
    score_scale : float > 0
    ensure_relevant : bool
        If True, a list drawn without any relevant item gets one (a random item is made
        relevant), so that every list has a defined ListNet target.

    Returns
    -------
    labels, scores : ndarrays of shape (n_lists, n_items), float64

    Examples
    --------
    >>> labels, scores = synthetic_lists(3, 5, seed=1, tie_fraction=0.4)
    >>> labels.shape, scores.shape
    ((3, 5), (3, 5))
    >>> bool((synthetic_lists(3, 5, seed=1, tie_fraction=0.4)[1] == scores).all())
    True
    """
    func = "synthetic_lists"
    n_lists = check_int(func, "n_lists", n_lists)
    n_items = check_int(func, "n_items", n_items)
    rng = check_seed(func, seed)
    check_option(func, "relevance", relevance, _RELEVANCE)
    p_relevant = check_real(func, "p_relevant", p_relevant, low=0.0, high=1.0)
    max_label = check_int(func, "max_label", max_label)
    signal = check_real(func, "signal", signal)
    tie_fraction = check_real(func, "tie_fraction", tie_fraction, low=0.0, high=1.0)
    score_scale = check_real(func, "score_scale", score_scale, low=0.0, low_open=True)
    if not isinstance(ensure_relevant, (bool, np.bool_)):
        raise TypeError(
            f"{func}: 'ensure_relevant' must be a bool; got {type(ensure_relevant).__name__}"
        )

    shape = (n_lists, n_items)
    relevant = rng.random(shape) < p_relevant
    if ensure_relevant:
        empty = ~relevant.any(axis=1)
        pick = rng.integers(0, n_items, size=n_lists)
        relevant[np.flatnonzero(empty), pick[empty]] = True
    if relevance == "binary":
        grade = np.ones(shape)
    else:
        grade = rng.integers(1, max_label + 1, size=shape).astype(np.float64)
    labels = np.where(relevant, grade, 0.0)
    with np.errstate(over="ignore"):  # refused just below, with a message
        scores = score_scale * (signal * labels + rng.standard_normal(shape))
    if not np.isfinite(scores).all():
        raise ValueError(
            f"{func}: 'score_scale' * ('signal' * label + noise) overflows float64; got "
            f"score_scale={score_scale!r}, signal={signal!r}"
        )

    n_copy = int(round(tie_fraction * n_items))
    if n_copy >= n_items:
        scores[:] = scores[:, :1]
    elif n_copy > 0:
        # The first n_copy items of a random permutation copy the score of one of the others.
        perm = np.argsort(rng.random(shape), axis=1)
        src_pos = n_copy + rng.integers(0, n_items - n_copy, size=(n_lists, n_copy))
        rows = np.arange(n_lists)[:, None]
        scores[rows, perm[:, :n_copy]] = scores[rows, perm[rows, src_pos]]
    return labels, scores
