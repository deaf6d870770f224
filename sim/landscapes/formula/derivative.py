"""Exact symbolic derivatives of an expression DAG."""
from __future__ import annotations


from sim.landscapes.formula.errors import VARIABLES
from sim.landscapes.formula.nodes import Expr, add, const, div, fold, func, is_const, is_number, mul, neg, postorder, power, sub


# -- derivatives -------------------------------------------------------------------------------

_ZERO = const(0.0)
_ONE = const(1.0)


def _times(d: Expr, e: Expr) -> Expr:
    """d*e for a derivative factor d; exactly 0 when d is 0 (even if e is a constant inf/nan)."""
    return _ZERO if is_number(d, 0.0) else mul(d, e)


def _d_node(n: Expr, da: list[Expr], var: str) -> Expr:
    op = n.op
    if op == "const":
        return _ZERO
    if op in VARIABLES:
        return _ONE if op == var else _ZERO
    if op == "add":
        return add(da[0], da[1])
    if op == "sub":
        return sub(da[0], da[1])
    if op == "neg":
        return neg(da[0])
    if op == "mul":
        a, b = n.args
        return add(_times(da[0], b), _times(da[1], a))
    if op == "div":
        a, b = n.args
        t1 = _ZERO if is_number(da[0], 0.0) else div(da[0], b)
        t2 = _ZERO if is_number(da[1], 0.0) else div(mul(a, da[1]), power(b, const(2.0)))
        return sub(t1, t2)
    if op == "pow":
        u, v = n.args
        du, dv = da
        if is_const(v):  # c*u**(c-1)*u'
            if is_number(du, 0.0):
                return _ZERO
            return mul(mul(v, power(u, const(fold("sub", v.value, 1.0)))), du)
        # u**v * (v' log u + v u'/u)
        if is_number(du, 0.0) and is_number(dv, 0.0):
            return _ZERO
        t1 = _times(dv, func("log", u))
        t2 = _ZERO if is_number(du, 0.0) else div(mul(v, du), u)
        return mul(n, add(t1, t2))
    (u,), (du,) = n.args, da
    if is_number(du, 0.0):
        return _ZERO
    if op == "sin":
        outer = func("cos", u)
    elif op == "cos":
        outer = neg(func("sin", u))
    elif op == "tan":
        outer = add(_ONE, power(n, const(2.0)))
    elif op == "exp":
        outer = n
    elif op == "log":
        return div(du, u)
    elif op == "sqrt":
        return div(du, mul(const(2.0), n))
    elif op == "tanh":
        outer = sub(_ONE, power(n, const(2.0)))
    elif op == "sinh":
        outer = func("cosh", u)
    elif op == "cosh":
        outer = func("sinh", u)
    elif op == "arctan":
        return div(du, add(_ONE, power(u, const(2.0))))
    elif op == "abs":
        outer = func("sign", u)
    elif op == "sign":
        return _ZERO  # zero almost everywhere
    else:  # pragma: no cover - every op is listed above
        raise AssertionError(op)
    return mul(outer, du)


def differentiate(expr: Expr, var: str) -> Expr:
    """d expr / d var as a new DAG (sharing subtrees with expr); var is "x" or "y"."""
    if var not in VARIABLES:
        raise ValueError(f"can only differentiate by x or y, not {var!r}")
    d: dict[int, Expr] = {}
    for n in postorder([expr]):
        d[id(n)] = _d_node(n, [d[id(a)] for a in n.args], var)
    return d[id(expr)]
