"""Hypothesis strategies for ranked lists, shared by the property tests.

The generators aim at the places where ranking code goes wrong: exact score ties (scores drawn
from a pool of a few values), very different magnitudes (wide floats), graded labels, lists with
no relevant item, and ragged batches (a boolean mask keeping at least one item per row).
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as xnp

from rankbound import TARGETS, TIE_POLICIES

__all__ = ["batches", "gains", "label_values", "lists", "score_values", "targets", "tie_policies"]

tie_policies = st.sampled_from(TIE_POLICIES)
targets = st.sampled_from(TARGETS)
gains = st.sampled_from(("linear", "exponential"))

#: a pool of a few values (many exact ties), dyadic so that sums and shifts of them stay exact
TIE_POOL = (-2.0, -0.5, 0.0, 0.25, 1.0, 3.0)
WIDE_BOUND = 1e6


def label_values(graded: bool) -> st.SearchStrategy[float]:
    """One label: binary 0/1, or graded 0..4 (integers stored as float)."""
    return st.integers(0, 4 if graded else 1).map(float)


def score_values(kind: str, *, bound: float = WIDE_BOUND) -> st.SearchStrategy[float]:
    """One score: ``"tied"`` draws from :data:`TIE_POOL`; ``"wide"`` any finite |s| <= bound."""
    if kind == "tied":
        return st.sampled_from(TIE_POOL)
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, allow_subnormal=False)


# Strategy objects are cached per shape: Hypothesis validates every new strategy object, which
# cost more than drawing the examples when a fresh one was built for each example.
@functools.cache
def _int_array(shape, high: int) -> st.SearchStrategy[np.ndarray]:
    return xnp.arrays(np.int8, shape, elements=st.integers(0, high))


@functools.cache
def _float_array(shape, bound: float) -> st.SearchStrategy[np.ndarray]:
    return xnp.arrays(np.float64, shape, elements=score_values("wide", bound=bound))


@functools.cache
def _bool_array(shape) -> st.SearchStrategy[np.ndarray]:
    return xnp.arrays(np.bool_, shape)


def _label_and_score_arrays(draw, shape, graded, score_kind, score_bound):
    # Small-int arrays mapped afterwards: the same examples as drawing labels or pool values
    # directly, more cheaply.
    labels = draw(_int_array(shape, 4 if graded else 1)).astype(np.float64)
    if score_kind == "tied":
        scores = np.asarray(TIE_POOL)[draw(_int_array(shape, len(TIE_POOL) - 1))]
    else:
        scores = draw(_float_array(shape, score_bound))
    return labels, scores


@st.composite
def lists(
    draw,
    *,
    min_size: int = 1,
    max_size: int = 40,
    graded: bool | None = None,
    score_kind: str | None = None,
    force_relevant: bool | None = None,
    score_bound: float = WIDE_BOUND,
):
    """``(labels, scores)``: two 1-D float64 arrays of the same length ``min_size..max_size``.

    Options left as ``None`` are drawn: binary or graded labels, tied or wide scores, and whether
    at least one item must be relevant (label > 0).
    """
    if graded is None:
        graded = draw(st.booleans())
    if score_kind is None:
        score_kind = draw(st.sampled_from(("tied", "wide")))
    if force_relevant is None:
        force_relevant = draw(st.booleans())
    n = draw(st.integers(min_size, max_size))
    labels, scores = _label_and_score_arrays(draw, n, graded, score_kind, score_bound)
    if force_relevant and not (labels > 0).any():
        labels[draw(st.integers(0, n - 1))] = float(draw(st.integers(1, 4 if graded else 1)))
    return labels, scores


@st.composite
def batches(
    draw,
    *,
    max_rows: int = 5,
    max_cols: int = 16,
    graded: bool | None = None,
    score_kind: str | None = None,
    force_relevant: bool | None = None,
    score_bound: float = WIDE_BOUND,
):
    """``(labels, scores, mask)``: 2-D arrays of one shape; ``mask`` keeps >= 1 item per row.

    With ``force_relevant`` every row has at least one relevant *real* (unmasked) item. Masked
    entries hold arbitrary labels and scores, which the functions must ignore.
    """
    if graded is None:
        graded = draw(st.booleans())
    if score_kind is None:
        score_kind = draw(st.sampled_from(("tied", "wide")))
    if force_relevant is None:
        force_relevant = draw(st.booleans())
    shape = (draw(st.integers(1, max_rows)), draw(st.integers(1, max_cols)))
    labels, scores = _label_and_score_arrays(draw, shape, graded, score_kind, score_bound)
    mask = draw(_bool_array(shape))
    for r in range(shape[0]):
        if not mask[r].any():
            mask[r, draw(st.integers(0, shape[1] - 1))] = True
        if force_relevant and not (labels[r][mask[r]] > 0).any():
            real = np.flatnonzero(mask[r])
            labels[r, real[draw(st.integers(0, real.size - 1))]] = 1.0
    return labels, scores, mask
