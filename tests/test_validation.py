"""Bad input never gives a silent number: one table of bad inputs, run on every public function.

Every callable in ``rankbound.__all__`` is found by introspection; its positional parameters say
which arrays it takes (``labels`` and ``scores``, or one of them) and its keyword-only parameters
say which options apply (``mask``, ``k``, ``ties``, ...). Each applicable case must raise the
expected exception type with a message of the form ``<function>: '<argument>' ... got <value>``,
and numpy must not warn on the way (warnings are errors here).
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import rankbound as rb

ARRAY_FORMS = (("labels", "scores"), ("scores",), ("labels",))


def positional(func) -> tuple[str, ...]:
    return tuple(
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    )


def keyword_only(func) -> set[str]:
    return {
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


# every public function taking (labels, scores), (scores) or (labels): found, not listed, so that
# a function added to __all__ later is checked too
FUNCTIONS = {
    name: getattr(rb, name)
    for name in rb.__all__
    if inspect.isfunction(getattr(rb, name)) and positional(getattr(rb, name)) in ARRAY_FORMS
}
# the ones this file was written against (their options all appear in the tables below)
CORE = {
    "average_precision",
    "dcg",
    "gains",
    "listnet_target",
    "log_softmax",
    "ndcg",
    "negatives_cross_entropy",
    "order",
    "precision_at_k",
    "ranks",
    "recall_at_k",
    "reciprocal_rank",
    "softmax_cross_entropy",
    "softmax_cross_entropy_gradient",
    "tied_ranks",
}
ARRAY_PARAMS = ("labels", "scores")

# binary labels, so that functions restricted to binary relevance accept the good input too
GOOD_LABELS = np.array([0.0, 1.0, 1.0, 0.0])
GOOD_SCORES = np.array([0.5, 1.5, -1.0, 2.0])


# values for keyword-only options that have no default (e.g. a cutoff some functions require)
REQUIRED_OPTIONS = {"k": 2}


def invoke(func, arrays=None, **options):
    """Call ``func`` with good arrays, some replaced by ``arrays``, and ``options``."""
    values = {"labels": GOOD_LABELS, "scores": GOOD_SCORES, **(arrays or {})}
    args = [values[name] for name in positional(func)]
    for p in inspect.signature(func).parameters.values():
        if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty:
            options.setdefault(p.name, REQUIRED_OPTIONS[p.name])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            return func(*args, **options)


def test_every_public_function_is_covered():
    assert CORE <= set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_good_input_works_without_warnings(name):
    # the control: with every argument good, no error (so below, the bad argument is the cause)
    func = FUNCTIONS[name]
    invoke(func)
    if "mask" in keyword_only(func):
        invoke(func, mask=np.array([True, True, False, True]))
    if "k" in keyword_only(func):
        invoke(func, k=np.int64(2))  # numpy integers are ints
        invoke(func, k=100)


# (case id, parameter it targets, bad value, exception type, fragments the message must contain)
ARRAY_CASES = [
    ("nan", np.array([0.5, np.nan, 1.0, 2.0]), ValueError, ["finite", "first nan"]),
    ("inf", np.array([0.5, np.inf, 1.0, 2.0]), ValueError, ["finite", "first inf"]),
    ("-inf", np.array([0.5, 1.0, -np.inf, 2.0]), ValueError, ["finite", "first -inf"]),
    ("bool", np.array([False, True, True, False]), TypeError, ["dtype bool"]),
    ("bool-list", [False, True, True, False], TypeError, ["dtype bool"]),
    ("str-dtype", np.array(["0", "1", "2", "0"]), TypeError, ["<U1"]),
    ("str-list", ["0", "1", "2", "0"], TypeError, ["<U1"]),
    ("str", "0120", TypeError, ["str"]),
    ("bytes", b"0120", TypeError, ["bytes"]),
    ("object", np.array([0.0, None, 1.0, 2.0], dtype=object), TypeError, ["dtype object"]),
    ("complex", np.array([0.0, 1j, 1.0, 2.0]), TypeError, ["complex128"]),
    ("huge-int", np.array([2**60, 0, 1, 2]), ValueError, ["2**53", "1.15292e+18"]),
    ("0-d", np.float64(1.0), ValueError, ["0-D", "()"]),
    ("0-d-int", 3, ValueError, ["0-D", "()"]),
    ("3-d", np.zeros((2, 2, 2)), ValueError, ["3-D", "(2, 2, 2)"]),
    ("empty", np.array([]), ValueError, ["empty", "(0,)"]),
    ("empty-list", [], ValueError, ["empty", "(0,)"]),
    ("no-rows", np.zeros((0, 4)), ValueError, ["empty", "(0, 4)"]),
    ("no-columns", np.zeros((2, 0)), ValueError, ["empty", "(2, 0)"]),
    ("ragged", [[0.0, 1.0], [1.0]], ValueError, ["ragged"]),
    ("none", None, TypeError, ["got"]),
]
LABEL_CASES = [
    ("negative", np.array([0.0, -1.0, 2.0, 0.0]), ValueError, [">= 0", "-1.0"]),
    ("negative-tiny", np.array([0.0, -1e-300, 2.0, 0.0]), ValueError, [">= 0", "-1e-300"]),
    ("negative-int", np.array([0, -3, 2, 0]), ValueError, [">= 0", "-3.0"]),
]


def array_cases() -> list:
    return list(_array_cases())


def _array_cases():
    for name, func in sorted(FUNCTIONS.items()):
        for param in positional(func):
            for case, value, exc, fragments in ARRAY_CASES:
                yield pytest.param(name, param, value, exc, fragments, id=f"{name}-{param}-{case}")
            if param == "labels":
                for case, value, exc, fragments in LABEL_CASES:
                    yield pytest.param(name, param, value, exc, fragments, id=f"{name}-{case}")


def check_message(excinfo, name: str, argument: str, fragments):
    message = str(excinfo.value)
    assert message.startswith(f"{name}: "), message
    assert f"'{argument}'" in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize(("name", "param", "value", "exc", "fragments"), array_cases())
def test_bad_array(name, param, value, exc, fragments):
    with pytest.raises(exc) as excinfo:
        invoke(FUNCTIONS[name], {param: value})
    assert type(excinfo.value) is exc
    check_message(excinfo, name, param, fragments)


@pytest.mark.parametrize(
    "name", sorted(n for n, f in FUNCTIONS.items() if positional(f) == ARRAY_PARAMS)
)
@pytest.mark.parametrize(
    ("labels", "scores", "shapes"),
    [
        (GOOD_LABELS, GOOD_SCORES[:3], ["(4,)", "(3,)"]),
        (GOOD_LABELS, GOOD_SCORES[None, :], ["(4,)", "(1, 4)"]),
        (np.zeros((2, 3)), np.zeros((3, 2)), ["(2, 3)", "(3, 2)"]),
    ],
    ids=["length", "1d-vs-2d", "transposed"],
)
def test_shape_mismatch(name, labels, scores, shapes):
    with pytest.raises(ValueError) as excinfo:
        invoke(FUNCTIONS[name], {"labels": labels, "scores": scores})
    check_message(excinfo, name, "labels", ["'scores'", *shapes])


MASK_CASES = [
    # (id, arrays as 2-D?, mask, exception, fragments)
    ("all-false", False, np.zeros(4, bool), ValueError, ["at least one", "the list"]),
    (
        "all-false-row",
        True,
        np.array([[True, False, True, True], [False] * 4]),
        ValueError,
        ["at least one", "row(s) [1]"],
    ),
    ("wrong-shape", False, np.ones(3, bool), ValueError, ["(4,)", "(3,)"]),
    ("wrong-ndim", False, np.ones((1, 4), bool), ValueError, ["(4,)", "(1, 4)"]),
    ("int-dtype", False, np.array([1, 1, 0, 1]), TypeError, ["dtype int64"]),
    ("float-dtype", False, np.array([1.0, 1.0, 0.0, 1.0]), TypeError, ["dtype float64"]),
    ("str", False, "1101", TypeError, ["str"]),
    ("ragged", True, [[True, True], [True]], ValueError, ["ragged"]),
]


def mask_cases() -> list:
    return list(_mask_cases())


def _mask_cases():
    for name, func in sorted(FUNCTIONS.items()):
        if "mask" in keyword_only(func):
            for case, two_d, mask, exc, fragments in MASK_CASES:
                yield pytest.param(name, two_d, mask, exc, fragments, id=f"{name}-{case}")


@pytest.mark.parametrize(("name", "two_d", "mask", "exc", "fragments"), mask_cases())
def test_bad_mask(name, two_d, mask, exc, fragments):
    arrays = {"labels": np.tile(GOOD_LABELS, (2, 1)), "scores": np.tile(GOOD_SCORES, (2, 1))}
    with pytest.raises(exc) as excinfo:
        invoke(FUNCTIONS[name], arrays if two_d else None, mask=mask)
    assert type(excinfo.value) is exc
    check_message(excinfo, name, "mask", fragments)


K_CASES = [
    ("0", 0, ValueError, ["positive int", "got 0"]),
    ("-1", -1, ValueError, ["positive int", "got -1"]),
    ("1.5", 1.5, TypeError, ["positive int", "float 1.5"]),
    ("2.0", 2.0, TypeError, ["positive int", "float 2.0"]),
    ("np-float", np.float64(2.0), TypeError, ["positive int", "2.0"]),
    ("True", True, TypeError, ["positive int", "bool True"]),
    ("np-bool", np.True_, TypeError, ["positive int", "True"]),
    ("str", "3", TypeError, ["positive int", "str '3'"]),
    ("list", [3], TypeError, ["positive int", "list [3]"]),
]

OPTION_CASES = [
    ("ties", "random"),
    ("ties", None),
    ("ties", "Stable"),
    ("gain", "square"),
    ("target", "x"),
    ("no_relevant", "skip"),
    ("method", "median"),
]

TEMPERATURE_CASES = [
    ("0", 0, ValueError, ["0.0"]),
    ("-1", -1.0, ValueError, ["-1.0"]),
    ("nan", float("nan"), ValueError, ["nan"]),
    ("inf", float("inf"), ValueError, ["inf"]),
    ("True", True, TypeError, ["bool True"]),
    ("str", "1", TypeError, ["str '1'"]),
]


def option_cases() -> list:
    return list(_option_cases())


def _option_cases():
    for name, func in sorted(FUNCTIONS.items()):
        options = keyword_only(func)
        if "k" in options:
            for case, value, exc, fragments in K_CASES:
                yield pytest.param(name, "k", value, exc, fragments, id=f"{name}-k-{case}")
        for option, value in OPTION_CASES:
            if option in options:
                yield pytest.param(
                    name,
                    option,
                    value,
                    ValueError,
                    ["must be one of", repr(value)],
                    id=f"{name}-{option}-{value}",
                )
        if "temperature" in options:
            for case, value, exc, fragments in TEMPERATURE_CASES:
                yield pytest.param(
                    name, "temperature", value, exc, fragments, id=f"{name}-temperature-{case}"
                )


@pytest.mark.parametrize(("name", "option", "value", "exc", "fragments"), option_cases())
def test_bad_option(name, option, value, exc, fragments):
    with pytest.raises(exc) as excinfo:
        invoke(FUNCTIONS[name], **{option: value})
    assert type(excinfo.value) is exc
    check_message(excinfo, name, option, fragments)


def test_every_option_is_exercised():
    # every keyword-only option of the core functions appears in some case above
    tested = {"mask", "k", "temperature", *(option for option, _ in OPTION_CASES)}
    for name in CORE:
        assert keyword_only(FUNCTIONS[name]) <= tested, name


def test_order_refuses_average():
    # "average" is a tie policy but not an order
    with pytest.raises(ValueError) as excinfo:
        invoke(rb.order, ties="average")
    check_message(excinfo, "order", "ties", ["'pessimistic', 'optimistic', 'stable'", "'average'"])


@pytest.mark.parametrize(
    "name", ["softmax_cross_entropy", "log_softmax", "negatives_cross_entropy"]
)
def test_temperature_overflow(name):
    # scores / temperature beyond float max would make every probability meaningless
    with pytest.raises(ValueError) as excinfo:
        invoke(FUNCTIONS[name], {"scores": np.array([1e308, 0.0, 1.0, 2.0])}, temperature=0.5)
    check_message(excinfo, name, "temperature", ["overflows", "1e+308", "0.5"])


@pytest.mark.parametrize("name", ["gains", "dcg", "ndcg"])
def test_exponential_gain_overflow(name):
    labels = np.array([0.0, 1.0, 2000.0, 0.0])
    with pytest.raises(ValueError) as excinfo:
        invoke(FUNCTIONS[name], {"labels": labels}, gain="exponential")
    check_message(excinfo, name, "labels", ["gain='exponential'", "2000.0"])
