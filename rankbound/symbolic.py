r"""SymPy derivations of the lemmas of the book, as checks that raise instead of print.

Two helpers establish single statements:

* :func:`assert_identity` proves ``lhs = rhs`` (the difference simplifies to 0) or refutes it with
  an exact counterexample;
* :func:`assert_nonnegative` proves ``expr >= 0`` for every value the symbols can take (their
  declared assumptions, plus an optional interval per symbol), or refutes it with an exact
  counterexample.

Both raise :class:`SymbolicCheckError` with ``verdict`` ``"refuted"`` (a counterexample was found)
or ``"undecided"`` (no proof and no counterexample): a statement is never passed on a hunch. Both
refuse floating-point input (any ``Float`` atom) with a ``TypeError``: write ``sp.Rational(1, 2)``,
not ``0.5``. Counterexamples are exact rationals; their sign is decided by SymPy's guarded
evaluation (``is_negative`` / ``is_zero``), which answers ``None`` rather than guess.

The derivations (:func:`rank_lemma`, :func:`am_gm_jensen`, :func:`log2_bound`, :func:`idcg_bound`,
:func:`ap_inequality`, :func:`recall_bound`, :func:`listnet_gradient`) run every step through the
two helpers and return a :class:`Derivation`, a small record of the steps that the book displays.
A step that cannot be established raises.

Soundness notes. The calculus methods of :func:`assert_nonnegative` (a boundary value plus the
sign of a derivative, or concavity plus both boundary values) are used only when SymPy's
``continuous_domain`` confirms that the expression is continuous on the whole interval. A proof
"on an interval" treats the symbol as real there, which is stronger than needed for integer
symbols.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp
from sympy.calculus.util import continuous_domain

__all__ = [
    "SymbolicCheckError",
    "Step",
    "Derivation",
    "assert_identity",
    "assert_nonnegative",
    "rank_lemma",
    "am_gm_jensen",
    "log2_bound",
    "idcg_bound",
    "ap_inequality",
    "recall_bound",
    "listnet_gradient",
]


class SymbolicCheckError(Exception):
    """A symbolic statement could not be established.

    Attributes
    ----------
    verdict : {"refuted", "undecided"}
        ``"refuted"``: an exact counterexample was found (in ``counterexample``);
        ``"undecided"``: neither a proof nor a counterexample was found.
    counterexample : dict or None
        Symbol -> exact value at which the statement fails.
    """

    def __init__(self, verdict: str, message: str, counterexample: dict | None = None):
        super().__init__(f"{verdict}: {message}")
        self.verdict = verdict
        self.counterexample = counterexample


# --------------------------------------------------------------------------------------------
# input checks


def _exact(func: str, name: str, value) -> sp.Expr:
    """``value`` as a SymPy expression with no Float atom (ints become Integers)."""
    if isinstance(value, bool) or isinstance(value, (str, bytes)):
        raise TypeError(
            f"{func}: {name!r} must be a SymPy expression or an int; got {type(value).__name__}"
        )
    if isinstance(value, float):
        raise TypeError(
            f"{func}: {name!r} must be exact; got the float {value!r} "
            f"(use sp.Rational or sp.Integer)"
        )
    if not isinstance(value, (int, sp.Basic)):
        raise TypeError(
            f"{func}: {name!r} must be a SymPy expression or an int; got {type(value).__name__}"
        )
    expr = sp.sympify(value)
    floats = expr.atoms(sp.Float)
    if floats:
        raise TypeError(
            f"{func}: {name!r} must be exact; it contains the Float {sorted(floats, key=str)[0]} "
            f"(use sp.Rational or sp.Integer)"
        )
    return expr


def _domain(func: str, domain) -> dict[sp.Symbol, sp.Interval]:
    if domain is None:
        return {}
    if not isinstance(domain, Mapping):
        raise TypeError(
            f"{func}: 'domain' must be a mapping Symbol -> sp.Interval; got {type(domain).__name__}"
        )
    out = {}
    for sym, interval in domain.items():
        if not isinstance(sym, sp.Symbol):
            raise TypeError(
                f"{func}: 'domain' keys must be Symbols; got {type(sym).__name__} {sym!r}"
            )
        if not isinstance(interval, sp.Interval):
            raise TypeError(
                f"{func}: 'domain[{sym}]' must be an sp.Interval; got {type(interval).__name__}"
            )
        _exact(func, f"domain[{sym}]", interval)
        out[sym] = interval
    return out


# --------------------------------------------------------------------------------------------
# candidate points for counterexamples

_BASE_POINTS = tuple(
    sp.Rational(p, q)
    for p, q in [
        (1, 2),
        (-1, 1),
        (1, 1),
        (-1, 2),
        (2, 1),
        (0, 1),
        (3, 1),
        (-2, 1),
        (1, 3),
        (3, 2),
        (2, 3),
        (-3, 2),
        (5, 1),
        (1, 10),
        (-5, 1),
        (10, 1),
        (7, 3),
        (-10, 1),
        (100, 1),
    ]
)


def _respects_assumptions(sym: sp.Symbol, value: sp.Rational) -> bool:
    for key, wanted in sym.assumptions0.items():
        got = getattr(value, f"is_{key}", None)
        if got is not wanted:
            return False
    return True


def _points_for(sym: sp.Symbol, interval: sp.Interval | None, limit: int) -> list[sp.Rational]:
    pts: list[sp.Rational] = []
    if interval is not None:
        a, b = interval.start, interval.end
        if a.is_finite and b.is_finite:
            pts += [a + (b - a) * sp.Rational(j, 8) for j in (4, 2, 6, 1, 7)]
        elif a.is_finite:
            pts += [a + sp.Rational(p, q) for p, q in ((1, 2), (1, 8), (1, 1), (2, 1), (10, 1))]
        elif b.is_finite:
            pts += [b - sp.Rational(p, q) for p, q in ((1, 2), (1, 8), (1, 1), (2, 1), (10, 1))]
        pts += [e for e in (a, b) if e.is_finite]
    pts += list(_BASE_POINTS)
    out: list[sp.Rational] = []
    for p in pts:
        if p in out:  # Rationals compare structurally; this is a membership test, not a proof
            continue
        if interval is not None and interval.contains(p) is not sp.true:
            continue
        if _respects_assumptions(sym, p):
            out.append(p)
        if len(out) >= limit:
            break
    return out


def _candidate_points(expr: sp.Expr, domain: dict, max_points: int = 64):
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    if not syms:
        return [{}]
    per = max(2, int(round(max_points ** (1.0 / len(syms)))))
    lists = [_points_for(s, domain.get(s), per) for s in syms]
    if any(not pts for pts in lists):
        return []
    return [
        dict(zip(syms, combo, strict=True))
        for combo in itertools.islice(itertools.product(*lists), max_points)
    ]


def _value_at(expr: sp.Expr, point: dict):
    v = expr.xreplace(point) if point else expr
    if v.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or v.free_symbols:
        return None
    return v


def _find_counterexample(expr: sp.Expr, domain: dict, bad) -> dict | None:
    for point in _candidate_points(expr, domain):
        v = _value_at(expr, point)
        if v is not None and bad(v):
            return point
    return None


# --------------------------------------------------------------------------------------------
# assert_identity


def _rewrites(expr: sp.Expr, *, cheap: bool = False):
    """Equivalent forms of ``expr`` in which SymPy's sign/zero logic may succeed."""
    yield expr
    yield sp.expand_log(expr, force=False)
    yield sp.together(expr)
    yield sp.cancel(sp.together(expr))
    yield sp.factor(expr)
    if not cheap:
        yield sp.simplify(expr)
        yield sp.simplify(sp.expand_log(expr, force=False))


def assert_identity(lhs, rhs, *, domain=None) -> str:
    r"""Prove ``lhs = rhs`` for all values of the symbols, or raise.

    The difference ``lhs - rhs`` is proved zero when SymPy's assumption system, one of a few
    rewrites (``expand_log``, ``together``/``cancel``, ``factor``, ``simplify``) or
    ``Expr.equals`` (only its ``True`` answer, which is a proof) reduces it to ``0``. Otherwise
    exact rational points allowed by the symbols' assumptions (and ``domain``) are tried: a
    point where the difference is provably nonzero refutes the identity.

    Parameters
    ----------
    lhs, rhs : SymPy expressions (or ints); no ``Float`` atoms.
    domain : mapping Symbol -> sp.Interval, optional
        Restricts the points searched for a counterexample.

    Returns
    -------
    str
        How the identity was established (for the derivation record).

    Raises
    ------
    TypeError
        On a float or a ``Float`` atom.
    SymbolicCheckError
        ``"refuted"`` with a counterexample, or ``"undecided"``.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> assert_identity((x + 1)**2, x**2 + 2*x + 1)
    'simplify'
    >>> assert_identity(x**2, x)
    Traceback (most recent call last):
    ...
    rankbound.symbolic.SymbolicCheckError: refuted: x**2 = x fails at {x: 1/2}: difference -1/4
    """
    func = "assert_identity"
    lhs, rhs = _exact(func, "lhs", lhs), _exact(func, "rhs", rhs)
    dom = _domain(func, domain)
    diff = lhs - rhs
    if diff.is_zero is True:
        return "assumptions"
    for form in _rewrites(diff):
        if form.is_zero is True:
            return "simplify"
    if diff.equals(0) is True:
        return "equals"
    point = _find_counterexample(diff, dom, lambda v: v.is_zero is False)
    if point is not None:
        value = sp.simplify(diff.xreplace(point))
        raise SymbolicCheckError(
            "refuted", f"{lhs} = {rhs} fails at {point}: difference {value}", point
        )
    raise SymbolicCheckError(
        "undecided", f"could not prove {lhs} = {rhs}, and found no counterexample"
    )


# --------------------------------------------------------------------------------------------
# assert_nonnegative

_MAX_DEPTH = 3


def _nonneg_by_assumptions(expr: sp.Expr, cheap: bool) -> bool:
    return any(form.is_nonnegative is True for form in _rewrites(expr, cheap=cheap))


def _substituted(expr: sp.Expr, domain: dict) -> tuple[sp.Expr, list[tuple[sp.Symbol, sp.Expr]]]:
    """Replace each domain symbol by a map of a fresh assumption-carrying symbol onto its
    interval's interior, plus the closed endpoints to check separately."""
    reps, ends = {}, []
    for k, (sym, iv) in enumerate(sorted(domain.items(), key=lambda kv: kv[0].name)):
        a, b = iv.start, iv.end
        if a.is_finite and b.is_finite:
            t = sp.Symbol(f"_t{k}", positive=True)
            reps[sym] = a + (b - a) * t / (1 + t)
            ends += [(sym, e) for e, open_ in ((a, iv.left_open), (b, iv.right_open)) if not open_]
        elif a.is_finite:
            t = (
                sp.Symbol(f"_t{k}", positive=True)
                if iv.left_open
                else sp.Symbol(f"_t{k}", nonnegative=True)
            )
            reps[sym] = a + t
        elif b.is_finite:
            t = (
                sp.Symbol(f"_t{k}", positive=True)
                if iv.right_open
                else sp.Symbol(f"_t{k}", nonnegative=True)
            )
            reps[sym] = b - t
        else:
            reps[sym] = sp.Symbol(f"_t{k}", real=True)
    return expr.xreplace(reps), ends


def _prove_nonneg(
    expr: sp.Expr, domain: dict, depth: int, cheap: bool = False, calculus: bool = True
) -> str | None:
    """A proof method name, or None; never raises on failure. ``cheap``: no ``simplify``;
    ``calculus``: allow the derivative methods (the first attempts use neither, then no
    ``simplify``, which is the costly part)."""
    domain = {s: iv for s, iv in domain.items() if s in expr.free_symbols}
    if not domain:
        return "assumptions" if _nonneg_by_assumptions(expr, cheap) else None
    sub, ends = _substituted(expr, domain)
    if _nonneg_by_assumptions(sub, cheap):
        ok = True
        for sym, e in ends:
            rest = {s: iv for s, iv in domain.items() if s != sym}
            if _prove_nonneg(expr.xreplace({sym: e}), rest, depth + 1, cheap, calculus) is None:
                ok = False
                break
        if ok:
            return "substitution"
    if not calculus or depth >= _MAX_DEPTH or len(domain) != 1:
        return None
    ((x, iv),) = domain.items()
    if not iv.is_subset(continuous_domain(expr, x, iv)):
        return None
    a, b = iv.start, iv.end

    def at(point):
        v = expr.xreplace({x: point})
        if v.has(sp.nan, sp.zoo):
            v = sp.limit(expr, x, point, "+" if point is a else "-")
        return v

    def nonneg(e, dom):
        return _prove_nonneg(e, dom, depth + 1, cheap, calculus) is not None

    d1 = sp.diff(expr, x)
    if a.is_finite and nonneg(at(a), {}) and nonneg(d1, {x: iv}):
        return "increasing from a nonnegative left end"
    if b.is_finite and nonneg(at(b), {}) and nonneg(-d1, {x: iv}):
        return "decreasing to a nonnegative right end"
    if a.is_finite and b.is_finite and nonneg(at(a), {}) and nonneg(at(b), {}):
        if nonneg(-sp.diff(d1, x), {x: iv}):
            return "concave with nonnegative ends"
    return None


def assert_nonnegative(expr, *, domain=None) -> str:
    r"""Prove ``expr >= 0`` for all values of its symbols, or raise.

    The symbols range over their declared assumptions (``positive=True``, ``integer=True``, ...)
    and, for the symbols in ``domain``, over the given interval. Methods, in order:

    1. SymPy's assumption system on the expression or a rewrite of it (``together``, ``factor``,
       ``cancel``, ``simplify``, ``expand_log``);
    2. the same after mapping each interval onto a fresh symbol (``[a, oo) -> a + t``, ``t >= 0``;
       ``(a, b) -> a + (b - a) t / (1 + t)``, ``t > 0``; closed ends checked separately);
    3. for one interval symbol ``x``, when ``expr`` is continuous on the interval: a nonnegative
       left end and ``expr' >= 0``; or a nonnegative right end and ``expr' <= 0``; or nonnegative
       ends and ``expr'' <= 0`` (concave) — the derivative claims proved recursively (depth 3).

    After a quick attempt (methods 1-2 without ``simplify``), exact rational points are searched
    for a provably negative value: a counterexample refutes the statement and spares a slow
    failed proof search.

    Parameters
    ----------
    expr : SymPy expression (or int); no ``Float`` atoms.
    domain : mapping Symbol -> sp.Interval, optional
        Intervals with exact endpoints, e.g. ``{r: sp.Interval(1, sp.oo)}``.

    Returns
    -------
    str
        The method that established the statement.

    Raises
    ------
    TypeError
        On a float or a ``Float`` atom.
    SymbolicCheckError
        ``"refuted"`` (with an exact counterexample) or ``"undecided"``.

    Examples
    --------
    >>> import sympy as sp
    >>> r = sp.Symbol("r", positive=True)
    >>> assert_nonnegative(r - sp.log(1 + r, 2), domain={r: sp.Interval(1, sp.oo)})
    'increasing from a nonnegative left end'
    >>> assert_nonnegative(r - sp.log(1 + r, 2), domain={r: sp.Interval.open(0, 1)})
    Traceback (most recent call last):
    ...
    rankbound.symbolic.SymbolicCheckError: refuted: r - log(r + 1)/log(2) >= 0 fails at {r: 1/2}...
    """
    func = "assert_nonnegative"
    expr = _exact(func, "expr", expr)
    dom = _domain(func, domain)
    method = _prove_nonneg(expr, dom, 0, cheap=True, calculus=False)
    if method is not None:
        return method
    # A counterexample rules out every proof, and is much cheaper to find than a failed proof.
    point = _find_counterexample(expr, dom, lambda v: v.is_negative is True)
    if point is not None:
        value = expr.xreplace(point)
        raise SymbolicCheckError(
            "refuted", f"{expr} >= 0 fails at {point}: value {value} < 0", point
        )
    method = _prove_nonneg(expr, dom, 0, cheap=True) or _prove_nonneg(expr, dom, 0)
    if method is not None:
        return method
    where = f" on {dom}" if dom else ""
    raise SymbolicCheckError(
        "undecided", f"could not prove {expr} >= 0{where}, and found no counterexample"
    )


# --------------------------------------------------------------------------------------------
# derivation records


@dataclass(frozen=True)
class Step:
    """One established step: a claim in words, the statement, and how it was established."""

    claim: str
    statement: sp.Basic
    method: str

    def __str__(self) -> str:
        return f"{self.claim}: {self.statement}  [{self.method}]"


@dataclass(frozen=True)
class Derivation:
    """The steps of a derivation, each established by :func:`assert_identity` or
    :func:`assert_nonnegative` (or, when marked ``refuted``, shown false as intended)."""

    name: str
    label: str
    steps: tuple[Step, ...]

    def __str__(self) -> str:
        lines = [f"{self.name} ({self.label})"]
        lines += [f"  {k}. {step}" for k, step in enumerate(self.steps, 1)]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        rows = [f"**{self.name}** (`{self.label}`)", ""]
        rows += [
            f"{k}. {step.claim}: ${sp.latex(step.statement)}$ — *{step.method}*"
            for k, step in enumerate(self.steps, 1)
        ]
        return "\n".join(rows)


class _Steps:
    """Collects steps; every ``le``/``eq`` call proves its statement or raises."""

    def __init__(self):
        self.steps: list[Step] = []

    def eq(self, claim, lhs, rhs, *, domain=None):
        method = assert_identity(lhs, rhs, domain=domain)
        self.steps.append(Step(claim, sp.Eq(lhs, rhs, evaluate=False), method))

    def le(self, claim, lhs, rhs, *, domain=None):
        method = assert_nonnegative(rhs - lhs, domain=domain)
        self.steps.append(Step(claim, sp.Le(lhs, rhs, evaluate=False), method + _on(domain)))

    def refuted_le(self, claim, lhs, rhs, *, domain=None):
        """Record that ``lhs <= rhs`` is FALSE: raise if it cannot be refuted."""
        try:
            assert_nonnegative(rhs - lhs, domain=domain)
        except SymbolicCheckError as err:
            if err.verdict != "refuted":
                raise
            self.steps.append(
                Step(claim, sp.Le(lhs, rhs, evaluate=False), f"refuted at {err.counterexample}")
            )
            return err.counterexample
        raise SymbolicCheckError(
            "refuted", f"expected {lhs} <= {rhs} to be false{_on(domain)}, but it was proved"
        )

    def note(self, claim, statement, method):
        """A step that follows from earlier steps by a rule stated in ``method``."""
        self.steps.append(Step(claim, statement, method))

    def record(self, name, label) -> Derivation:
        return Derivation(name, label, tuple(self.steps))


def _on(domain) -> str:
    if not domain:
        return ""
    return " on " + ", ".join(f"{s} in {iv}" for s, iv in domain.items())


# --------------------------------------------------------------------------------------------
# derivations


def rank_lemma() -> Derivation:
    r"""The rank lemma (:prf:ref:`thm-rank-lemma`): ``p_i <= 1/r_i``, so ``log r_i <= -log p_i``.

    Item ``i`` has score ``s``; the ``r - 1`` other items with ``s_j >= s`` contribute
    ``(r - 1) e^s + delta`` to the softmax normaliser with ``delta >= 0`` (each
    ``e^{s_j} >= e^s``), and the remaining items a ``rest >= 0``:

    .. math:: p_i = \frac{e^{s}}{(r-1)e^{s} + \delta + e^{s} + \text{rest}} \le \frac{1}{r}.

    Equality holds when ``delta = rest = 0`` (the items above are tied with ``i`` and the rest has
    no mass).

    Examples
    --------
    >>> print(rank_lemma().steps[0].claim)
    a score at least s has at least the exponential of s
    """
    s = sp.Symbol("s", real=True)
    d = sp.Symbol("d", real=True)
    r = sp.Symbol("r", positive=True, integer=True)
    delta, rest = sp.symbols("delta rest", nonnegative=True)
    q = sp.Symbol("q", positive=True)
    st = _Steps()
    st.le(
        "a score at least s has at least the exponential of s",
        sp.exp(s),
        sp.exp(s + d),
        domain={d: sp.Interval(0, sp.oo)},
    )
    p = sp.exp(s) / ((r - 1) * sp.exp(s) + delta + sp.exp(s) + rest)
    st.le("p_i <= 1/r (delta, rest >= 0)", p, 1 / r)
    st.eq("equality when delta = rest = 0", p.xreplace({delta: 0, rest: 0}), 1 / r)
    st.le(
        "-log is >= 0 on (0, 1], applied to q = r p_i",
        0,
        -sp.log(q),
        domain={q: sp.Interval.Lopen(0, 1)},
    )
    st.eq(
        "so log r <= -log p_i, as -log p_i - log r = -log q with p_i = q/r",
        -sp.log(q / r) - sp.log(r),
        -sp.log(q),
    )
    return st.record("rank lemma", "thm-rank-lemma")


def am_gm_jensen(*, sizes=(2, 3)) -> Derivation:
    r"""Jensen for the logarithm: ``-log(sum_i w_i x_i) <= sum_i w_i (-log x_i)``.

    For weights ``w_i >= 0`` summing to 1 and ``x_i > 0``. It is the AM–GM inequality in log form
    (equal weights ``1/m``: the mean of ``-log`` bounds ``-log`` of the mean), used by
    :prf:ref:`thm-ndcg-bound`, :prf:ref:`thm-ap-bound`, :prf:ref:`thm-graded-ndcg-bound` and
    :prf:ref:`thm-mean-bound`. Steps: ``log`` is concave (second derivative ``-1/x^2``); its
    tangent line at ``mu`` lies above it, ``log x <= log mu + x/mu - 1`` (that is
    ``u - 1 - log u >= 0`` with ``u = x/mu``); summing the tangent inequalities with weights
    ``w_i`` at ``mu = sum w_i x_i`` gives the claim. SymPy states the sum for each ``n`` in
    ``sizes`` (a symbolic ``n`` would need the tangent step inside a ``Sum``).

    Examples
    --------
    >>> len(am_gm_jensen(sizes=(2,)).steps) > 3
    True
    """
    x, mu, u = sp.symbols("x mu u", positive=True)
    st = _Steps()
    st.eq("second derivative of log", sp.diff(sp.log(x), x, 2), -1 / x**2)
    st.le("log is concave", sp.diff(sp.log(x), x, 2), 0)
    gap = u - 1 - sp.log(u)
    st.le("tangent gap u - 1 - log u >= 0 on (0, 1]", 0, gap, domain={u: sp.Interval.Lopen(0, 1)})
    st.le("tangent gap u - 1 - log u >= 0 on [1, oo)", 0, gap, domain={u: sp.Interval(1, sp.oo)})
    st.eq(
        "tangent line of log at mu, with u = x/mu",
        sp.log(mu) + x / mu - 1 - sp.log(x),
        gap.xreplace({u: x / mu}),
    )
    for n in sizes:
        xs = sp.symbols(f"x1:{n + 1}", positive=True)
        # Weights w_i = a_i / sum(a) with a_i > 0: nonnegative and summing to one by construction,
        # so SymPy's assumptions carry both facts into the steps below.
        a_s = sp.symbols(f"a1:{n + 1}", positive=True)
        ws = [ai / sum(a_s) for ai in a_s]
        st.eq(f"n={n}: the weights sum to one", sum(ws), 1)
        m = sum(w * xi for w, xi in zip(ws, xs, strict=True))
        hs = sp.symbols(f"h1:{n + 1}", nonnegative=True)  # the tangent gaps at x_i, each >= 0
        st.eq(
            f"n={n}: log(mean) - mean(log) = sum of weighted tangent terms",
            sp.log(m) - sum(w * sp.log(xi) for w, xi in zip(ws, xs, strict=True)),
            sum(w * (sp.log(m) + xi / m - 1 - sp.log(xi)) for w, xi in zip(ws, xs, strict=True)),
        )
        st.le(
            f"n={n}: the weighted sum of tangent gaps (each h_i >= 0 by the tangent step) is >= 0",
            0,
            sum(w * h for w, h in zip(ws, hs, strict=True)),
        )
        st.note(
            f"n={n}: hence -log(sum w x) <= sum w (-log x)",
            sp.Le(
                -sp.log(m),
                -sum(w * sp.log(xi) for w, xi in zip(ws, xs, strict=True)),
                evaluate=False,
            ),
            "previous two steps",
        )
    return st.record("Jensen / AM-GM for log", "thm-mean-bound")


def log2_bound() -> Derivation:
    r"""``log2(1 + r) <= r`` for ``r >= 1``, and its failure on ``(0, 1)``.

    ``f(r) = r - log2(1 + r)`` has ``f(1) = 0`` and ``f'(r) = 1 - 1/((1 + r) ln 2) >= 0`` for
    ``r >= 1``. On ``(0, 1)`` the inequality is false: ``f(1/2) = 1/2 - log2(3/2) < 0``. This is
    the step ``1/log2(1 + pi) >= 1/pi`` of :prf:ref:`thm-ndcg-bound` (positions are >= 1).

    Examples
    --------
    >>> print(log2_bound().steps[-1].method)
    refuted at {r: 1/2}
    """
    r = sp.Symbol("r", positive=True)
    f = r - sp.log(1 + r, 2)
    st = _Steps()
    st.eq("f(1) = 0", f.xreplace({r: 1}), 0)
    st.le("f'(r) >= 0 for r >= 1", 0, sp.diff(f, r), domain={r: sp.Interval(1, sp.oo)})
    st.le("log2(1 + r) <= r for r >= 1", sp.log(1 + r, 2), r, domain={r: sp.Interval(1, sp.oo)})
    half = sp.Rational(1, 2)
    if not f.xreplace({r: half}).is_negative:
        raise SymbolicCheckError("undecided", "could not show f(1/2) < 0")
    st.note(
        "f(1/2) = 1/2 - log2(3/2) < 0",
        sp.Lt(f.xreplace({r: half}), 0, evaluate=False),
        "sign of a number",
    )
    st.refuted_le(
        "log2(1 + r) <= r is false on (0, 1)",
        sp.log(1 + r, 2),
        r,
        domain={r: sp.Interval.open(0, 1)},
    )
    return st.record("log2(1+r) <= r", "thm-ndcg-bound")


def idcg_bound(*, check_m: int = 8) -> Derivation:
    r"""``IDCG_m = sum_{p=1}^{m} 1/log2(1 + p) <= m``, and ``IDCG <= sum of gains`` (graded).

    Termwise: ``log2(1 + p) >= 1`` for ``p >= 1``, so each discount ``1/log2(1 + p) <= 1``; a
    gain ``g >= 0`` times a discount is at most ``g``. The sum for ``m = 1..check_m`` is also
    checked exactly, with equality at ``m = 1``. Used by :prf:ref:`thm-ndcg-bound` and
    :prf:ref:`thm-graded-ndcg-bound`.

    Examples
    --------
    >>> idcg_bound(check_m=3).label
    'thm-ndcg-bound'
    """
    p = sp.Symbol("p", positive=True, integer=True)
    L = sp.Symbol("L", positive=True)
    g = sp.Symbol("g", nonnegative=True)
    h = sp.Symbol("h", nonnegative=True)
    st = _Steps()
    st.le("log2(1 + p) >= 1 for p >= 1", 1, sp.log(1 + p, 2), domain={p: sp.Interval(1, sp.oo)})
    st.le("a discount 1/L with L >= 1 is <= 1", 1 / L, 1, domain={L: sp.Interval(1, sp.oo)})
    st.le("graded: g/L <= g for g >= 0, L >= 1 (g (1 - 1/L) = g h, h >= 0)", 0, g * h)
    idcg = sp.Integer(0)
    for m in range(1, check_m + 1):
        idcg += 1 / sp.log(1 + m, 2)
        st.le(f"IDCG_{m} <= {m}", idcg, m)
    st.eq("IDCG_1 = 1 (equality)", 1 / sp.log(2, 2), 1)
    return st.record("IDCG_m <= m", "thm-ndcg-bound")


def ap_inequality() -> Derivation:
    r"""The steps of :prf:ref:`thm-ap-bound`: ``-log AP <= (1/m) sum_i log(1 + N_i) <= l_neg <= l``.

    ``N_i`` counts the non-relevant items with score ``>= s_i`` (ties included). In any
    realisable order, the relevant item ``i`` has ``A >= 1`` relevant items at or above it and
    ``B <= N_i`` non-relevant ones above it, so its precision is

    .. math:: \frac{A}{A + B} \ge \frac{1}{1 + N_i}.

    AM–GM (:func:`am_gm_jensen`) turns ``AP = (1/m) sum prec_i >= (1/m) sum 1/(1 + N_i)`` into the
    log-mean. The rank lemma on the sublist ``{i} + negatives`` gives
    ``log(1 + N_i) <= -log p^neg_i``, and dropping the other relevant items from a normaliser can
    only raise a probability, so ``l_neg <= l``. Counting only negatives *strictly* above ``i``
    is false under the pessimistic order (a tied negative goes first): refuted with
    ``A = B = 1``, ``N_strict = 0``.

    Examples
    --------
    >>> ap_inequality().label
    'thm-ap-bound'
    """
    a, B, c = sp.symbols("a B c", nonnegative=True)
    N = sp.Symbol("N", nonnegative=True, integer=True)
    s = sp.Symbol("s", real=True)
    delta, rest, Q = sp.symbols("delta rest Q", nonnegative=True)
    D = sp.Symbol("D", positive=True)
    st = _Steps()
    A, Ni = 1 + a, B + c  # A >= 1 relevant at or above; N_i = B + c >= B negatives
    st.le("precision at a relevant item >= 1/(1 + N_i)", 1 / (1 + Ni), A / (A + B))
    st.note(
        "AP >= (1/m) sum 1/(1+N_i); AM-GM: -log AP <= (1/m) sum log(1 + N_i)",
        sp.Le(sp.Symbol("-log AP"), sp.Symbol("(1/m) sum log(1+N_i)"), evaluate=False),
        "am_gm_jensen with weights 1/m",
    )
    p_neg = sp.exp(s) / (N * sp.exp(s) + delta + sp.exp(s) + rest)
    st.le("rank lemma on {i} + negatives: p_neg <= 1/(1 + N_i)", p_neg, 1 / (1 + N))
    st.le(
        "dropping relevant mass Q >= 0 raises the probability: p <= p_neg",
        sp.exp(s) / (D + Q),
        sp.exp(s) / D,
    )
    st.refuted_le(
        "counting only strictly higher negatives is false: 1/(1+0) <= 1/(1+1)",
        sp.Integer(1) / (1 + 0),
        sp.Integer(1) / (1 + 1),
    )
    return st.record("AP inequality", "thm-ap-bound")


def recall_bound() -> Derivation:
    r"""The steps of :prf:ref:`thm-recall-bound`: ``1 - Recall@K <= l / log(K + 1)``.

    In any realisable order, a relevant item outside the top ``K`` has position ``>= K + 1`` and
    so ``r_i >= K + 1``. For every ``r >= 1``, ``[r > K] <= log r / log(K + 1)``: for
    ``r >= K + 1`` the ratio is ``>= 1``, and it is ``>= 0`` always. Averaging over the ``m``
    relevant items and applying the rank lemma:

    .. math:: 1 - \mathrm{R@}K \le \frac{\#\{i \in R: r_i > K\}}{m}
              \le \frac{1}{m \log(K+1)} \sum_{i \in R} \log r_i \le \frac{\ell}{\log(K+1)}.

    Examples
    --------
    >>> recall_bound().label
    'thm-recall-bound'
    """
    K = sp.Symbol("K", positive=True, integer=True)
    u = sp.Symbol("u", nonnegative=True)
    r = sp.Symbol("r", positive=True)
    st = _Steps()
    st.le("log(K + 1) > 0 for K >= 1", 0, sp.log(K + 1))
    st.le(
        "log r >= log(K + 1) when r = K + 1 + u, u >= 0",
        sp.log(K + 1),
        sp.log(K + 1 + u),
        domain={u: sp.Interval(0, sp.oo)},
    )
    st.le("log r >= 0 when r >= 1", 0, sp.log(r), domain={r: sp.Interval(1, sp.oo)})
    st.note(
        "so [r > K] <= log r / log(K + 1) for every r >= 1",
        sp.Le(sp.Symbol("[r > K]"), sp.log(r) / sp.log(K + 1), evaluate=False),
        "previous three steps",
    )
    return st.record("recall bound", "thm-recall-bound")


def listnet_gradient(*, sizes=(2, 3)) -> Derivation:
    r"""``d/ds_i [-sum_j t_j log softmax(s/T)_j] = (p_i - t_i) / T`` when ``sum_j t_j = 1``.

    Checked for each list length in ``sizes`` with symbolic scores, temperature and targets
    (the last target is ``1 - sum`` of the others). This is
    :func:`rankbound.softmax_cross_entropy_gradient`.

    Examples
    --------
    >>> print(listnet_gradient(sizes=(2,)).steps[0].claim)
    n=2: dl/ds_i = (p_i - t_i)/T for i = 1..2
    """
    T = sp.Symbol("T", positive=True)
    st = _Steps()
    for n in sizes:
        s = sp.symbols(f"s1:{n + 1}", real=True)
        t = list(sp.symbols(f"t1:{n}", real=True))
        t.append(1 - sum(t))
        z = sum(sp.exp(sj / T) for sj in s)
        loss = -sum(tj * sp.log(sp.exp(sj / T) / z) for tj, sj in zip(t, s, strict=True))
        for i in range(n):
            p_i = sp.exp(s[i] / T) / z
            method = assert_identity(sp.diff(loss, s[i]), (p_i - t[i]) / T)
        st.steps.append(
            Step(
                f"n={n}: dl/ds_i = (p_i - t_i)/T for i = 1..{n}",
                sp.Eq(
                    sp.Symbol("dl/ds_i"), (sp.Symbol("p_i") - sp.Symbol("t_i")) / T, evaluate=False
                ),
                method,
            )
        )
    return st.record("ListNet gradient", "eq-listnet")
