"""The one place where inputs are checked.

Every public function of :mod:`rankbound` validates its arguments through the helpers here, so
that bad input always fails the same way: a ``TypeError`` (wrong kind of object) or a
``ValueError`` (right kind, wrong value) whose message names the public function, the argument,
what was expected and what was got, e.g. ``ndcg: 'labels' must be >= 0; got min=-1.0``.

Nothing is silently coerced: booleans are not numbers, strings are not numbers, a float ``k`` is
not an int, ragged lists are not arrays, and integer scores beyond 2**53 (which would collide once
converted to float64) are refused.
"""

from __future__ import annotations

import numbers
import operator
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Lists",
    "which_lists",
    "check_lists",
    "check_scores",
    "check_k",
    "check_binary",
    "check_option",
    "check_positive_float",
    "check_int",
    "check_real",
    "check_seed",
    "check_matrix",
    "check_array",
    "check_indices",
]

_EXACT_INT_LIMIT = 2**53


def _shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _as_real_array(func: str, name: str, value) -> np.ndarray:
    """Turn ``value`` into a float64 ndarray without any lossy or surprising conversion."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{func}: {name!r} must be a real numeric array; got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(
            f"{func}: {name!r} must be a rectangular array (a list, or rows of equal length); "
            f"got a ragged sequence ({exc})"
        ) from None
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{func}: {name!r} must be a plain array, not a numpy masked array (its mask would be "
            f"dropped); pass the data and mask=~{name}.mask instead"
        )
    kind = arr.dtype.kind
    if kind == "b":
        raise TypeError(
            f"{func}: {name!r} must be a real numeric array; got dtype bool "
            f"(convert explicitly, e.g. {name}.astype(float))"
        )
    if kind not in "iuf":
        raise TypeError(f"{func}: {name!r} must be a real numeric array; got dtype {arr.dtype}")
    if kind in "iu" and arr.size:
        # compared as integers: converted to float64 first, 2**53 + 1 would pass as 2**53
        beyond = (arr > _EXACT_INT_LIMIT) | (arr < -_EXACT_INT_LIMIT)
        if beyond.any():
            raise ValueError(
                f"{func}: {name!r} integer values must be at most 2**53 in magnitude to be exact "
                f"in float64; got {int(arr[beyond].flat[0])} (~{float(arr[beyond].flat[0]):.6g})"
            )
    if kind == "f" and arr.dtype.itemsize > 8 and arr.size:  # long double
        with np.errstate(over="ignore"):
            as_double = arr.astype(np.float64)
        inexact = (as_double != arr) & np.isfinite(arr)
        if inexact.any():
            raise ValueError(
                f"{func}: {name!r} values must be exactly representable in float64; got "
                f"{np.format_float_scientific(arr[inexact].flat[0], precision=20)} "
                f"({arr.dtype}), which float64 would round"
            )
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"{func}: {name!r} must be 1-D (one list) or 2-D (a batch of lists, one per row); "
            f"got {arr.ndim}-D array of shape {_shape_str(arr.shape)}"
        )
    if arr.shape[-1] == 0 or (arr.ndim == 2 and arr.shape[0] == 0):
        raise ValueError(f"{func}: {name!r} must not be empty; got shape {_shape_str(arr.shape)}")
    return np.asarray(arr, dtype=np.float64)


def _check_finite(func: str, name: str, arr: np.ndarray) -> None:
    finite = np.isfinite(arr)
    if not finite.all():
        bad = arr[~finite]
        raise ValueError(
            f"{func}: {name!r} must be finite; got {bad.size} non-finite value(s), "
            f"first {float(bad[0])!r}"
        )


def check_scores(func: str, scores, *, name: str = "scores") -> np.ndarray:
    """A finite real 1-D or 2-D array of scores, as float64 (a new array, never a view)."""
    arr = _as_real_array(func, name, scores)
    _check_finite(func, name, arr)
    return np.array(arr, dtype=np.float64, copy=True)


def which_lists(bad: np.ndarray, one_list: bool) -> str:
    """Name the offending lists in an error message: "the list", or the first few row indices."""
    if one_list:
        return "the list"
    rows = np.flatnonzero(bad)
    return f"row(s) {rows[:5].tolist()}" + ("..." if rows.size > 5 else "")


def _check_mask(func: str, mask, shape: tuple[int, ...]) -> np.ndarray:
    if isinstance(mask, (str, bytes)):
        raise TypeError(f"{func}: 'mask' must be a boolean array; got {type(mask).__name__}")
    try:
        m = np.asarray(mask)
    except ValueError:
        raise ValueError(f"{func}: 'mask' must be a rectangular boolean array; got a ragged sequence") from None
    if m.dtype.kind != "b":
        raise TypeError(f"{func}: 'mask' must be a boolean array (True = real item); got dtype {m.dtype}")
    if m.shape != shape:
        raise ValueError(
            f"{func}: 'mask' must have the shape of 'scores' {_shape_str(shape)}; "
            f"got {_shape_str(m.shape)}"
        )
    m2 = np.atleast_2d(m)
    empty = ~m2.any(axis=1)
    if empty.any():
        where = which_lists(empty, m.ndim == 1)
        raise ValueError(f"{func}: 'mask' must keep at least one item per list; it hides every item of {where}")
    return np.array(m2, dtype=bool, copy=True)


@dataclass(frozen=True)
class Lists:
    """Validated input: always 2-D (one row per list), with the original dimensionality."""

    labels: np.ndarray  # (B, n) float64, masked entries set to 0 (read-only)
    scores: np.ndarray  # (B, n) float64, masked entries left as given (read-only; use mask)
    mask: np.ndarray  # (B, n) bool, True = real item
    one_list: bool  # the caller passed 1-D arrays and expects a float back
    masked: bool  # a mask was given (some entries may be False)

    def row_blocks(self, items: int) -> list[Lists]:
        """The batch as consecutive blocks of rows holding about ``items`` items each (views)."""
        nrow, n = self.labels.shape
        rows = max(1, items // n)
        if nrow <= rows:
            return [self]
        return [
            Lists(self.labels[i : i + rows], self.scores[i : i + rows], self.mask[i : i + rows],
                  self.one_list, self.masked)
            for i in range(0, nrow, rows)
        ]

    def unwrap(self, values: np.ndarray):
        """Return a Python float for 1-D input, else the per-row array."""
        values = np.asarray(values, dtype=np.float64)
        return float(values[0]) if self.one_list else values


def check_lists(func: str, labels, scores, mask=None) -> Lists:
    """Validate a (labels, scores[, mask]) triple and return it as 2-D float64 read-only arrays.

    Labels must be finite and >= 0; scores finite; shapes equal; mask boolean of the same shape
    keeping at least one item per list.
    """
    y = _as_real_array(func, "labels", labels)
    s = _as_real_array(func, "scores", scores)
    if y.shape != s.shape:
        raise ValueError(
            f"{func}: 'labels' and 'scores' must have the same shape; "
            f"got {_shape_str(y.shape)} and {_shape_str(s.shape)}"
        )
    _check_finite(func, "labels", y)
    _check_finite(func, "scores", s)
    if y.min() < 0:
        raise ValueError(f"{func}: 'labels' must be >= 0; got min={float(y.min())!r}")
    one = y.ndim == 1
    y2, s2 = np.atleast_2d(y), np.atleast_2d(s)
    if mask is None:
        m2 = np.ones(y2.shape, dtype=bool)
    else:
        m2 = _check_mask(func, mask, y.shape)
        y2 = np.where(m2, y2, 0.0)
    return Lists(labels=_read_only(y2), scores=_read_only(s2), mask=m2, one_list=one,
                 masked=mask is not None)


def _read_only(arr: np.ndarray) -> np.ndarray:
    """A read-only view: the arrays of :class:`Lists` may be the caller's own memory (float64
    input is not copied), so any attempt to write into them fails loudly instead."""
    view = arr.view()
    view.flags.writeable = False
    return view


def check_k(func: str, k, *, allow_none: bool = True) -> int | None:
    """``k`` is None (whole list, when allowed) or a positive int; bools and floats are refused."""
    if k is None:
        if allow_none:
            return None
        raise TypeError(f"{func}: 'k' must be a positive int; got None")
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
        raise TypeError(
            f"{func}: 'k' must be a positive int{' or None' if allow_none else ''}; "
            f"got {type(k).__name__} {k!r}"
        )
    k = operator.index(k)
    if k < 1:
        raise ValueError(f"{func}: 'k' must be a positive int; got {k}")
    return k


def check_binary(func: str, lists: Lists, *, hint: str = "") -> None:
    """Every real item's label is 0 or 1 (binary relevance); masked entries are ignored."""
    y = lists.labels[lists.mask]
    bad = (y != 0.0) & (y != 1.0)
    if bad.any():
        raise ValueError(f"{func}: 'labels' must be binary (0 or 1); got {float(y[bad][0])!r}{hint}")


def check_option(func: str, name: str, value, allowed: tuple[str, ...]) -> str:
    """``value`` must be one of the ``allowed`` strings."""
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{func}: {name!r} must be one of {choices}; got {value!r}")
    return value


def _to_float(func: str, name: str, value, expected: str) -> float:
    """``float(value)``, turning an int beyond float range into the package's ValueError."""
    try:
        return float(value)
    except OverflowError:
        text = repr(value)
        if len(text) > 20:
            text = f"{text[:12]}... ({len(text)} digits)"
        raise ValueError(
            f"{func}: {name!r} must be {expected}; got {text}, beyond float64 range"
        ) from None


def check_positive_float(func: str, name: str, value) -> float:
    """A finite real number > 0 (bools refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{func}: {name!r} must be a positive finite real number; got {type(value).__name__} {value!r}")
    v = _to_float(func, name, value, "a positive finite real number")
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{func}: {name!r} must be a positive finite real number; got {v!r}")
    return v


# --- helpers for data sets, generators and trainers ------------------------------------------



def check_int(func: str, name: str, value, *, minimum: int = 1) -> int:
    """An int >= ``minimum`` (bools and floats refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{func}: {name!r} must be an int >= {minimum}; got {type(value).__name__} {value!r}"
        )
    v = operator.index(value)
    if v < minimum:
        raise ValueError(f"{func}: {name!r} must be an int >= {minimum}; got {v}")
    return v


def check_real(
    func: str, name: str, value, *, low=None, high=None, low_open=False, high_open=False
) -> float:
    """A finite real number in the interval given by ``low``/``high`` (bools refused).

    ``low_open``/``high_open`` exclude the end point, e.g. ``check_real(f, "p", p, low=0,
    high=1, low_open=True)`` accepts ``(0, 1]``.
    """
    lo = "-inf" if low is None else f"{low!r}"
    hi = "inf" if high is None else f"{high!r}"
    left = "(" if low is None or low_open else "["
    right = ")" if high is None or high_open else "]"
    interval = f"{left}{lo}, {hi}{right}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{func}: {name!r} must be a real number in {interval}; "
            f"got {type(value).__name__} {value!r}"
        )
    v = _to_float(func, name, value, f"a finite real number in {interval}")
    ok = np.isfinite(v)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        raise ValueError(f"{func}: {name!r} must be a finite real number in {interval}; got {v!r}")
    return v


def check_seed(func: str, seed, *, name: str = "seed") -> np.random.Generator:
    """A ``numpy.random.Generator`` from an int seed >= 0 or a Generator (used as is).

    ``None`` is refused: every generator and trainer of the package is reproducible by default.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{func}: {name!r} must be an int >= 0 or a numpy.random.Generator; "
            f"got {type(seed).__name__} {seed!r}"
        )
    if seed < 0:
        raise ValueError(
            f"{func}: {name!r} must be an int >= 0 or a numpy.random.Generator; got {seed}"
        )
    return np.random.default_rng(operator.index(seed))


def check_matrix(func: str, name: str, value) -> np.ndarray:
    """A finite real 2-D array (rows = items), as a float64 copy."""
    return check_array(func, name, value, ndim=2)


def check_array(func: str, name: str, value, *, ndim: int) -> np.ndarray:
    """A finite, non-empty real array with exactly ``ndim`` dimensions, as a float64 copy."""
    if isinstance(value, (str, bytes)):
        raise TypeError(
            f"{func}: {name!r} must be a real numeric array; got {type(value).__name__}"
        )
    try:
        arr = np.asarray(value)
    except ValueError:
        raise ValueError(
            f"{func}: {name!r} must be a rectangular array; got a ragged sequence"
        ) from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{func}: {name!r} must be a real numeric array; got dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(
            f"{func}: {name!r} must be a {ndim}-D array; "
            f"got {arr.ndim}-D array of shape {_shape_str(arr.shape)}"
        )
    if arr.size == 0:
        raise ValueError(f"{func}: {name!r} must not be empty; got shape {_shape_str(arr.shape)}")
    arr = np.array(arr, dtype=np.float64, copy=True)
    _check_finite(func, name, arr)
    return arr


def check_indices(func: str, name: str, value, *, shape: tuple[int, ...], upper: int) -> np.ndarray:
    """Integers in ``[0, upper)`` of the given shape (an int for ``shape == ()``), as int64."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{func}: {name!r} must be integer index(es); got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{func}: {name!r} must be integer index(es); got dtype {arr.dtype}")
    if arr.shape != shape:
        raise ValueError(
            f"{func}: {name!r} must have shape {_shape_str(shape)}; got {_shape_str(arr.shape)}"
        )
    if arr.size and (arr.min() < 0 or arr.max() >= upper):
        bad = arr[(arr < 0) | (arr >= upper)].ravel()[0]
        raise ValueError(f"{func}: {name!r} must be in [0, {upper}); got {int(bad)}")
    return np.array(arr, dtype=np.int64, copy=True)
