"""Tests for sim/expression.py: safe parsing, exact derivatives, robust evaluation.

References are independent: numpy written by hand for values, central finite differences for
the gradient (of V) and the Hessian (of the exact, already-checked gradient).
"""
from __future__ import annotations

import ast
import math
import signal
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.landscapes.formula.errors import MAX_DEPTH, FormulaError, format_error_caret
from sim.landscapes.formula.nodes import Expr
from sim.landscapes.formula.potential import ExprPotential, expression_potential
from sim.landscapes.formula.evaluate import Program, evaluate
from sim.landscapes.formula.derivative import differentiate
from sim.landscapes.formula.parser import parse_formula
from sim.landscapes.base import Potential

RNG_SEED = 1234
SOURCES = sorted((Path(__file__).resolve().parents[3] / "sim" / "landscapes" / "formula").glob("*.py"))


@contextmanager
def strict(seconds: int = 20):
    """Warnings are errors, and a hang becomes a failure after `seconds` (POSIX alarm)."""
    has_alarm = hasattr(signal, "SIGALRM")

    def on_alarm(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")

    if has_alarm:
        old = signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(seconds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            yield
    finally:
        if has_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)


def pot(text: str, **kw) -> ExprPotential:
    return expression_potential(text, find_minimum=False, **kw)


def random_points(n: int, lo: float = -2.0, hi: float = 2.0, seed: int = RNG_SEED) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, size=(n, 2))


# -- values against numpy written by hand -----------------------------------------------------

VALUE_CASES = [
    ("sin(x)*cos(y) + 0.1*(x**2+y**2)", lambda x, y: np.sin(x) * np.cos(y) + 0.1 * (x**2 + y**2)),
    ("(1-x)**2 + 100*(y-x**2)**2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    ("(x**2+y-11)**2 + (x+y**2-7)**2", lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2),
    ("exp(-x**2-y**2)", lambda x, y: np.exp(-(x**2) - y**2)),
    ("-x**2", lambda x, y: -(x**2)),
    ("x^2 + 3*y^2", lambda x, y: x**2 + 3 * y**2),
    ("2^3^2 * x", lambda x, y: 512.0 * x),
    ("log(1 + x**2) + ln(1 + y**2)", lambda x, y: np.log(1 + x**2) + np.log(1 + y**2)),
    ("sqrt(x**2 + y**2 + 1)", lambda x, y: np.sqrt(x**2 + y**2 + 1)),
    ("tanh(x) - sinh(y/2) + cosh(x*y/4)", lambda x, y: np.tanh(x) - np.sinh(y / 2) + np.cosh(x * y / 4)),
    ("arctan(x) + atan(y) + abs(x - y)", lambda x, y: np.arctan(x) + np.arctan(y) + np.abs(x - y)),
    ("tan(x/3) / (2 + cos(y))", lambda x, y: np.tan(x / 3) / (2 + np.cos(y))),
    ("pi*x + e*y", lambda x, y: np.pi * x + np.e * y),
    ("(x**2 + 1)**(y/2)", lambda x, y: (x**2 + 1) ** (y / 2)),
    ("+x - -y * (2 - 3) / 4", lambda x, y: x - (-y) * (2 - 3) / 4),
    ("1e-3 * x + 2.5E2 * y + 7", lambda x, y: 1e-3 * x + 250.0 * y + 7),
    ("3", lambda x, y: np.full_like(x, 3.0)),
    ("x", lambda x, y: x.copy()),
]


@pytest.mark.parametrize("text,ref", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_value_matches_numpy(text, ref):
    p = pot(text)
    pos = random_points(500)
    with strict():
        v = p.value(pos)
        grid = p.value_grid(np.linspace(-2, 2, 7), np.linspace(-1, 1, 5))
    np.testing.assert_allclose(v, ref(pos[:, 0], pos[:, 1]), rtol=1e-13, atol=1e-13)
    gx, gy = np.meshgrid(np.linspace(-2, 2, 7), np.linspace(-1, 1, 5), indexing="ij")
    assert grid.shape == (7, 5)
    np.testing.assert_allclose(grid, ref(gx, gy), rtol=1e-13, atol=1e-13)


# -- derivatives against central finite differences -------------------------------------------

DERIV_CASES = [
    "sin(x)*cos(y) + 0.1*(x**2+y**2)",
    "(1-x)**2 + 100*(y-x**2)**2",
    "x*y - x/y + y/(x**2 + 1)",
    "tan(0.3*x + 0.1*y)",
    "exp(0.5*x - y**2)",
    "log(x**2 + y**2 + 0.5)",
    "ln(2 + sin(x*y))",
    "sqrt(x**2 + 2*y**2 + 1)",
    "tanh(x*y) + sinh(x) - cosh(y/2)",
    "arctan(x**2 - y) + atan(x*y)",
    "abs(x - 0.3)*y + abs(y)**3",
    "(x**2 + 1)**(y/2)",
    "2**(x*y) + e**x - pi**(-y)",
    "(x**2 + y**2 + 1)**-1.5",
    "(x**2 + 1)**sin(y)",
    "x^3 - 3*x*y^2",
    "-(x - y)**4 / 12 + x",
    "cos(x)**2 * sin(y)**3 / (2 + cos(x*y))",
    "exp(sin(x) * cos(y)) * log(3 + x)",
    "sqrt(abs(x) + 1) * arctan(y)",
    "x",
    "y**2",
    "3",
]
H = 1e-6


def fd_check(fun, exact, pos, rtol=2e-6, atol=2e-6):
    """Compare exact [n, 2] derivative rows with central differences of fun [n] -> [n]."""
    for k in range(2):
        e = np.zeros(2)
        e[k] = H
        fd = (fun(pos + e) - fun(pos - e)) / (2 * H)
        scale = np.maximum(1.0, np.abs(fd))
        err = np.abs(exact[:, k] - fd) / scale
        assert np.all(err < rtol + atol), (k, err.max())


@pytest.mark.parametrize("text", DERIV_CASES)
def test_gradient_and_hessian_against_finite_differences(text):
    p = pot(text)
    pos = random_points(300, -1.8, 1.8)
    with strict():
        g = p.grad(pos)
        h = p.hessian(pos)
        fd_check(p.value, g, pos)
        fd_check(lambda q: p.grad(q)[:, 0], h[:, 0, :], pos)
        fd_check(lambda q: p.grad(q)[:, 1], h[:, 1, :], pos)
        # the one-pass evaluator agrees with the separate ones
        allv = p.value_grad_hessian(pos[:, 0], pos[:, 1])
    assert g.shape == (300, 2) and h.shape == (300, 2, 2)
    assert np.all(np.isfinite(g)) and np.all(np.isfinite(h))
    np.testing.assert_array_equal(allv[0], p.value(pos))
    np.testing.assert_array_equal(np.stack(allv[1:3], 1), g)
    np.testing.assert_array_equal(np.stack([allv[3], allv[4], allv[4], allv[5]], 1).reshape(-1, 2, 2), h)


def test_hessian_against_second_differences_of_value():
    p = pot("sin(x)*cos(y) + 0.1*(x**2+y**2) + x*y**3")
    pos = random_points(100)
    h, hh = 1e-4, np.zeros((100, 2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            hh[:, i, j] = (p.value(pos + ei + ej) - p.value(pos + ei - ej) - p.value(pos - ei + ej)
                           + p.value(pos - ei - ej)) / (4 * h * h)
    np.testing.assert_allclose(p.hessian(pos), hh, atol=1e-5)


def test_derivatives_are_simplified():
    assert str(differentiate(parse_formula("x**2"), "x")) == "2*x"
    assert str(differentiate(parse_formula("3*x + y"), "y")) == "1"
    assert str(differentiate(parse_formula("sin(y)"), "x")) == "0"
    assert str(differentiate(parse_formula("exp(x)"), "x")) == "exp(x)"
    assert str(parse_formula("2*3*x + 0*y + 0")) == "6*x"


def test_common_subexpressions_are_computed_once():
    prog = Program([parse_formula("sin(x) + sin(x)*cos(y) + cos(y)**2")])
    # sin(x), cos(y), mul, add, square, add
    assert len(prog) == 6


def test_expr_is_immutable():
    e = parse_formula("x + 1")
    assert isinstance(e, Expr)
    with pytest.raises(AttributeError):
        e.op = "sub"  # type: ignore[misc]


def test_potential_survives_copy_and_pickle():
    import copy
    import pickle

    p = expression_potential("sin(x)*cos(y) + 0.1*(x**2+y**2)")
    pos = random_points(10)
    for q in (copy.copy(p), copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        np.testing.assert_array_equal(q.value(pos), p.value(pos))
        np.testing.assert_array_equal(q.grad(pos), p.grad(pos))
        np.testing.assert_array_equal(q.minima, p.minima)
    e = pickle.loads(pickle.dumps(parse_formula("x**2 + exp(-y)")))
    assert str(e) == "x**2 + exp(-y)"


# -- shapes and degenerate formulas -------------------------------------------------------------

@pytest.mark.parametrize("text", ["3", "x", "y", "2*x", "pi", "sin(1) + 0*x"])
def test_constant_and_one_variable_formulas_broadcast(text):
    p = pot(text)
    pos = random_points(7)
    with strict():
        assert p.value(pos).shape == (7,)
        assert p.grad(pos).shape == (7, 2)
        assert p.hessian(pos).shape == (7, 2, 2)
        assert p.value_grid(np.zeros(4), np.zeros(3)).shape == (4, 3)
        x, y = np.zeros((4, 3)), np.ones((4, 3))
        assert all(r.shape == (4, 3) for r in p.value_grad_hessian(x, y))
        assert evaluate(parse_formula(text), x, y).shape == (4, 3)


def test_evaluate_does_not_touch_its_inputs():
    x = np.linspace(-1, 1, 11)
    y = x[::-1].copy()
    x0, y0 = x.copy(), y.copy()
    p = pot("x")
    p.value_grad_hessian(x, y)
    evaluate(parse_formula("-(x*y) + x"), x, y)
    out = p._value(x, y)
    out[:] = 99.0
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)


# -- numbers are float64: huge powers are inf at once, never a giant integer ---------------------

def test_huge_powers_are_inf_quickly_without_warnings():
    with strict(10):
        assert math.isinf(parse_formula("9**9**9**9").value)
        assert math.isinf(parse_formula("9^9^9^9").value)
        assert parse_formula("2**1000").value == 2.0**1000
        assert math.isinf(parse_formula("10**400").value)
        assert math.isinf(parse_formula("1/0").value)
        assert math.isnan(parse_formula("0/0").value)
        assert math.isinf(parse_formula("1" * 400).value)
        with pytest.raises(FormulaError, match="not a finite number anywhere"):
            pot("exp(exp(exp(x))) + 9**9**9**9*y")  # inf * y: finite nowhere, refused
        p = ExprPotential(name="expr", formula="", view=(-3, 3, -3, 3),
                          expr=parse_formula("exp(exp(exp(x))) + 9**9**9**9*y"))
        pos = np.array([[10.0, 1.0], [-10.0, 0.0], [0.0, 0.0]])
        v, g, h = p.value(pos), p.grad(pos), p.hessian(pos)
        assert np.isinf(v[0]) and np.isinf(g[0, 0])
        assert np.all(np.isinf(g[:, 1]))
        p2 = pot("exp(exp(exp(x)))")
        assert np.isinf(p2.value(np.array([[10.0, 0.0]]))[0])
        assert np.isnan(pot("log(x) * sqrt(y)").value(np.array([[-1.0, -1.0]])))[0]
        assert h.shape == (3, 2, 2)


# -- refusals -----------------------------------------------------------------------------------

# (text, expected 0-based position or None to skip, word expected in the message)
REFUSALS = [
    ("x + foo", 4, "unknown name 'foo'"),
    ("open(x)", 0, "function 'open' is not allowed"),
    ("__import__('os')", 0, "not allowed"),
    ("x.real", 1, "attributes"),
    ("(x).__class__", 3, "attributes"),
    ("sin(x, y)", 7, "takes 1 argument"),
    ("sin()", 3, "takes 1 argument"),
    ("sin(x=1)", 4, "keyword"),
    ("sin(*x)", 4, "starred"),
    ("x == 1", 2, "comparison"),
    ("x < y < 1", 2, "comparison"),
    ("x[0]", 1, "indexing"),
    ("x + 'a'", 4, "strings are not allowed"),
    ("x + \"a", 4, "strings are not allowed"),
    ("b'x'", 0, "strings are not allowed"),
    ("f'{x}'", 0, "f-strings"),
    ("lambda: x", 0, "lambda"),
    ("(z := 3)", 3, ":="),
    ("[i for i in x]", 0, "not allowed"),
    ("(i for i in x)", 0, "comprehensions"),
    ("{x}", 0, "braces"),
    ("{1: x}", 0, "braces"),
    ("[x, y]", 0, "lists"),
    ("x, y", 1, "','"),
    ("()", 0, "empty"),
    ("1 if x else 2", 2, "if"),
    ("x and y", 2, "'and'"),
    ("not x", 0, "'not'"),
    ("~x", 0, "'~'"),
    ("x % 2", 2, "'%'"),
    ("x // 2", 2, "'//'"),
    ("x @ y", 2, "'@'"),
    ("x | y", 2, "'|'"),
    ("x << 1", 2, "'<<'"),
    ("await x", 0, "await"),
    ("True + x", 0, "'True'"),
    ("None", 0, "'None'"),
    ("...", 0, "'...'"),
    ("1j * x", 0, "complex"),
    ("x(2)", 1, "not a function"),
    ("pi(2)", 2, "not a function"),
    ("sin", 0, "needs an argument"),
    ("sin + x", 0, "needs an argument"),
    ("x + 1)", 5, "unexpected ')'"),
    ("(x + 1", 0, "unclosed '('"),
    ("sin(x", 3, "unclosed '('"),
    ("(x]", 2, "unexpected ']'"),
    ("x +", 3, "ends unexpectedly"),
    ("x + * 2", 4, "unexpected '*'"),
    ("x y", 2, "unexpected 'y'"),
    ("2x", 0, "invalid number '2x'"),
    ("x = 3", 2, "unexpected '='"),
    ("x; y", 1, "unexpected ';'"),
    ("x $ y", 2, "unexpected '$'"),
    ("x \\ y", 2, "unexpected '\\'"),
    ("x # note", 2, "comments"),
    ("x\x00", 1, "not allowed"),
    ("x \u2212 y", 2, "U+2212"),
    ("\u03c0*x", 0, "use pi"),
    ("", None, "empty formula"),
    ("   \t ", None, "empty formula"),
    ("x + " * 600, None, "too long"),
    ("  x + foo", 6, "unknown name"),  # leading blanks keep columns
    ("x^2 + foo", 6, "unknown name"),  # ^ -> ** keeps columns
    ("-" * 150 + "x", MAX_DEPTH, "nests too deeply"),
    ("(" * 150 + "x" + ")" * 150, MAX_DEPTH, "nests too deeply"),
    ("sin(" * 120 + "x" + ")" * 120, None, "nests too deeply"),
    ("x" + "**x" * 150, None, "nests too deeply"),
    ("x" + ".a" * 900, 1, "attributes"),
]


@pytest.mark.parametrize("text,position,word", REFUSALS, ids=[repr(r[0][:20]) for r in REFUSALS])
def test_forbidden_constructs_are_refused(text, position, word):
    with strict(10):
        with pytest.raises(FormulaError) as info:
            parse_formula(text)
    err = info.value
    msg = str(err)
    assert isinstance(err, ValueError)
    assert word in msg
    assert "\n" not in msg and len(msg) < 300
    if position is not None:
        assert err.position == position, msg
        assert f"at column {position + 1}" in msg
    if err.position is not None:
        assert 0 <= err.position <= len(text)
    with pytest.raises(FormulaError):
        expression_potential(text)


def test_error_message_format():
    with pytest.raises(FormulaError) as info:
        parse_formula("x + foo")
    assert str(info.value).startswith("unknown name 'foo' at column 5")
    with pytest.raises(FormulaError) as info:
        parse_formula("open(x)")
    assert str(info.value).startswith("function 'open' is not allowed at column 1 (allowed: sin, cos, ")
    with pytest.raises(FormulaError) as info:
        parse_formula("sin(x)*(y)) + 1")
    assert str(info.value) == "unexpected ')' at column 11"
    with pytest.raises(FormulaError) as info:
        parse_formula("x + 'a'")
    assert str(info.value) == "strings are not allowed at column 5"
    with pytest.raises(FormulaError) as info:
        parse_formula("")
    assert str(info.value) == "empty formula" and info.value.position is None
    with pytest.raises(FormulaError) as info:
        parse_formula("-" * 200 + "x")
    assert str(info.value).startswith(f"formula nests too deeply (limit {MAX_DEPTH})")


def test_format_error_caret():
    text = "x + foo"
    with pytest.raises(FormulaError) as info:
        parse_formula(text)
    lines = format_error_caret(text, info.value).split("\n")
    assert lines == ["x + foo", "    ^"]


def test_deep_parentheses_and_long_input_give_formula_error_not_crash():
    with strict(10):
        for text in ["(" * 10000 + "x" + ")" * 10000, "(" * 10000, "-" * 1999 + "x",
                     "[" * 1000, "x" + "(1)" * 666, "not " * 499 + "x", "x" + "**x" * 666,
                     "sin(" * 399 + "x" + ")" * 399]:
            with pytest.raises(FormulaError):
                parse_formula(text)


def test_long_flat_sums_are_fine():
    # a long run of + at one level is not "deep" nesting
    text = " + ".join(f"{k}*x**{k % 5}*y" for k in range(150))
    p = pot(text)
    pos = random_points(20)
    with strict():
        ref = sum(k * pos[:, 0] ** (k % 5) * pos[:, 1] for k in range(150))
        np.testing.assert_allclose(p.value(pos), ref, rtol=1e-12)
        fd_check(p.value, p.grad(pos), pos, rtol=1e-5)


def test_source_has_no_eval_exec_or_compile_calls():
    assert len(SOURCES) >= 5
    banned = {"eval", "exec", "compile", "__import__"}
    for node in (n for src in SOURCES for n in ast.walk(ast.parse(src.read_text()))):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            assert name not in banned, f"{name}() called at line {node.lineno}"


# -- the potential ------------------------------------------------------------------------------

def test_potential_fields():
    p = expression_potential("  sin(x)*cos(y)  +\t0.1*(x**2+y**2) ")
    assert isinstance(p, Potential) and isinstance(p, ExprPotential)
    assert p.name == "expr"
    assert p.formula == "sin(x)*cos(y) + 0.1*(x**2+y**2)"
    assert p.view == (-3.0, 3.0, -3.0, 3.0)
    assert p.bounded_below is True
    assert p.log_scale is False
    assert expression_potential("x**2", view=[-1, 2, -3, 4]).view == (-1.0, 2.0, -3.0, 4.0)
    for bad in [(0, 0, 0, 1), (1, 2, 3), (0, 1, 0, float("nan")), "abcd", None.__class__]:
        with pytest.raises(ValueError):
            expression_potential("x", view=bad)


def test_log_scale_for_steep_rims():
    assert expression_potential("(1-x)**2 + 100*(y-x**2)**2").log_scale is True
    assert expression_potential("x**2 + y**2").log_scale is False


@pytest.mark.parametrize(
    "text,expected",
    [
        ("x**2 + y**2", [[0.0, 0.0]]),
        ("(x-1)**2 + 2*(y+0.5)**2 + 3", [[1.0, -0.5]]),
        ("(1-x)**2 + 100*(y-x**2)**2", [[1.0, 1.0]]),
        ("(x**2+y-11)**2 + (x+y**2-7)**2", [[3.0, 2.0], [-2.805118086952745, 3.131312518250573],
                                             [-3.779310253377747, -3.283185991286170],
                                             [3.584428340330492, -1.848126526964404]]),
    ],
)
def test_minima_found_numerically(text, expected):
    view = (-5.0, 5.0, -5.0, 5.0)
    p = expression_potential(text, view=view)
    got = sorted(map(tuple, p.minima))
    want = sorted(map(tuple, expected))
    assert len(got) == len(want), got
    np.testing.assert_allclose(got, want, atol=1e-7)
    np.testing.assert_allclose(p.minimum_values, p.value(p.minima), rtol=1e-12, atol=1e-12)


def test_minima_are_stationary_and_positive_definite():
    p = expression_potential("sin(x)*cos(y) + 0.1*(x**2+y**2)")
    assert 1 <= len(p.minima) <= 8
    assert np.all(np.linalg.norm(p.grad(p.minima), axis=1) < 1e-8)
    assert np.all(np.linalg.eigvalsh(p.hessian(p.minima)) > 0)
    assert len(expression_potential("x + y").minima) == 0
    assert len(expression_potential("-(x**2) - y**2").minima) == 0


# -- properties: never any exception but FormulaError, never a warning --------------------------

TOKENS = ["x", "y", "1.5", "2", "0", "1e308", "1e-3", "pi", "e", "+", "-", "*", "/", "**", "^", "(", ")",
          " ", ",", ".", "sin(", "cos(", "tan(", "exp(", "log(", "sqrt(", "tanh(", "sinh(", "cosh(",
          "arctan(", "abs(", "ln(", "foo", "'", "[", "]", "=", "<", "if", "lambda", ":", "x.real", "9**9**9"]
POINTS = np.array([[0.0, 0.0], [1.0, -1.0], [-2.5, 0.5], [1e300, -1e300], [np.inf, np.nan], [-0.0, 3.0]])


def check_formula(text: str) -> None:
    with strict(20):
        try:
            p = pot(text)
        except FormulaError as err:
            assert "\n" not in str(err)
            assert err.position is None or 0 <= err.position <= len(text)
            return
        v, g, h = p.value(POINTS), p.grad(POINTS), p.hessian(POINTS)
        assert v.shape == (6,) and g.shape == (6, 2) and h.shape == (6, 2, 2)
        str(p.expr), repr(p.grad_exprs[0])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_raises_formula_error(text):
    check_formula(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_token_soup_parses_or_raises_formula_error(text):
    check_formula(text)


@st.composite
def formulas(draw, depth=0):
    """Well-formed formulas from the grammar (so most of them parse)."""
    leaf = st.sampled_from(["x", "y", "pi", "e", "0", "1", "2.5", "1e-3", "1e300", "3"])
    if depth > 4 or draw(st.integers(0, 3)) == 0:
        return draw(leaf)
    kind = draw(st.integers(0, 2))
    if kind == 0:
        op = draw(st.sampled_from(["+", "-", "*", "/", "**", "^"]))
        return f"({draw(formulas(depth + 1))}){op}({draw(formulas(depth + 1))})"
    if kind == 1:
        fn = draw(st.sampled_from(["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh",
                                   "arctan", "abs", "ln", "atan"]))
        return f"{fn}({draw(formulas(depth + 1))})"
    return f"-{draw(formulas(depth + 1))}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(formulas())
def test_grammar_formulas_evaluate_without_warnings(text):
    check_formula(text)
    parse_formula(text)  # well-formed input always parses
