"""Symbolic derivations pass; false, float and undecidable statements are refused."""

import pytest
import sympy as sp

from rankbound import symbolic
from rankbound.symbolic import SymbolicCheckError, assert_identity, assert_nonnegative

x = sp.Symbol("x", real=True)
r = sp.Symbol("r", positive=True)
f = sp.Function("f")


class TestAssertIdentity:
    def test_expanded_square_is_proved(self):
        assert assert_identity((x + 1) ** 2, x**2 + 2 * x + 1) == "simplify"

    def test_log_identity_needs_positive_symbols(self):
        a, b = sp.symbols("a b", positive=True)
        assert_identity(sp.log(a * b), sp.log(a) + sp.log(b))

    def test_false_identity_is_refuted_with_exact_counterexample(self):
        with pytest.raises(SymbolicCheckError, match="refuted") as err:
            assert_identity(x**2, x)
        assert err.value.verdict == "refuted"
        point = err.value.counterexample
        assert all(isinstance(v, sp.Rational) for v in point.values())
        assert (point[x] ** 2 - point[x]).is_zero is False

    def test_log_of_product_is_refuted_for_real_symbols(self):
        a, b = sp.symbols("a b", real=True)  # a = b = -1: log(1) = 0 but 2 log(-1) = 2 i pi
        with pytest.raises(SymbolicCheckError, match="refuted") as err:
            assert_identity(sp.log(a * b), sp.log(a) + sp.log(b))
        point = err.value.counterexample
        assert point[a].is_negative or point[b].is_negative

    def test_unknown_function_is_undecided(self):
        with pytest.raises(SymbolicCheckError, match="^undecided") as err:
            assert_identity(f(x + 1), f(x) + 1)
        assert err.value.counterexample is None

    @pytest.mark.parametrize("bad", [0.5, sp.Float("0.5") * x])
    def test_floats_are_refused(self, bad):
        with pytest.raises(TypeError, match="assert_identity: 'lhs' must be exact"):
            assert_identity(bad, x / 2)

    def test_strings_are_refused(self):
        with pytest.raises(TypeError, match="'rhs'"):
            assert_identity(x, "x")


class TestAssertNonnegative:
    def test_log2_bound_on_one_to_infinity(self):
        assert_nonnegative(r - sp.log(1 + r, 2), domain={r: sp.Interval(1, sp.oo)})

    def test_log2_bound_is_refuted_on_unit_interval(self):
        # r - log2(1 + r) >= 0, i.e. log2(1 + r) <= r, is false on (0, 1): r = 1/2.
        with pytest.raises(SymbolicCheckError, match="refuted") as err:
            assert_nonnegative(r - sp.log(1 + r, 2), domain={r: sp.Interval.open(0, 1)})
        assert err.value.counterexample == {r: sp.Rational(1, 2)}

    def test_reverse_inequality_holds_on_unit_interval(self):
        # log2(1 + r) - r >= 0 on (0, 1) is TRUE (concave, zero at both ends): it must pass.
        assert assert_nonnegative(sp.log(1 + r, 2) - r, domain={r: sp.Interval.open(0, 1)}) == (
            "concave with nonnegative ends"
        )

    def test_assumptions(self):
        assert assert_nonnegative((x - 1) ** 2) == "assumptions"

    def test_false_on_interval_is_refuted(self):
        with pytest.raises(SymbolicCheckError, match="refuted"):
            assert_nonnegative(x**3, domain={x: sp.Interval(-1, 1)})

    def test_unknown_function_is_undecided(self):
        with pytest.raises(SymbolicCheckError, match="^undecided"):
            assert_nonnegative(f(x))

    def test_true_but_beyond_the_methods_is_undecided_not_passed(self):
        # exp(x) >= 1 + x holds, but neither monotone piece starts at a boundary here.
        with pytest.raises(SymbolicCheckError, match="^undecided"):
            assert_nonnegative(sp.exp(x) - 1 - x)

    def test_floats_are_refused(self):
        with pytest.raises(TypeError, match="assert_nonnegative: 'expr' must be exact"):
            assert_nonnegative(x**2 + sp.Float(1) / 10)
        with pytest.raises(TypeError, match="domain"):
            assert_nonnegative(x, domain={x: sp.Interval(sp.Float(0.5), 1)})

    def test_domain_must_map_symbols_to_intervals(self):
        with pytest.raises(TypeError, match="sp.Interval"):
            assert_nonnegative(x, domain={x: (0, 1)})


DERIVATIONS = [
    (symbolic.rank_lemma, "thm-rank-lemma"),
    (symbolic.am_gm_jensen, "thm-mean-bound"),
    (symbolic.log2_bound, "thm-ndcg-bound"),
    (symbolic.idcg_bound, "thm-ndcg-bound"),
    (symbolic.ap_inequality, "thm-ap-bound"),
    (symbolic.recall_bound, "thm-recall-bound"),
    (symbolic.listnet_gradient, "eq-listnet"),
]


class TestDerivations:
    @pytest.mark.parametrize("derive, label", DERIVATIONS, ids=[d.__name__ for d, _ in DERIVATIONS])
    def test_every_step_is_established(self, derive, label):
        out = derive()
        assert out.label == label
        assert out.steps
        assert all(step.method for step in out.steps)
        assert str(out).startswith(out.name)
        assert out.name in out._repr_markdown_()

    def test_log2_bound_records_the_counterexample(self):
        steps = symbolic.log2_bound().steps
        assert steps[-1].method == "refuted at {r: 1/2}"

    def test_ap_inequality_refutes_strict_negative_count(self):
        assert symbolic.ap_inequality().steps[-1].method.startswith("refuted")

    def test_a_failing_step_raises(self, monkeypatch):
        # If the helper could not establish a step, the derivation must raise, not record it.
        def refuse(*args, **kwargs):
            raise SymbolicCheckError("undecided", "forced")

        monkeypatch.setattr(symbolic, "assert_nonnegative", refuse)
        with pytest.raises(SymbolicCheckError, match="undecided"):
            symbolic.recall_bound()

    def test_a_refutation_that_proves_raises(self, monkeypatch):
        monkeypatch.setattr(symbolic, "assert_nonnegative", lambda *a, **k: "forced")
        with pytest.raises(SymbolicCheckError, match="expected .* to be false"):
            symbolic.log2_bound()
