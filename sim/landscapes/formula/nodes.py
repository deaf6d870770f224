"""The expression DAG: nodes, their text, and constructors that simplify and fold constants."""
from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence

import numpy as np

from sim.landscapes.formula.errors import MAX_STR_CHARS, VARIABLES


_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}

UFUNC: dict[str, Callable] = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "pow": np.power, "neg": np.negative, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh, "sinh": np.sinh,
    "cosh": np.cosh, "arctan": np.arctan, "abs": np.abs, "sign": np.sign,
}


# ---------------------------------------------------------------------------------------------
# The expression DAG


class Expr:
    """An immutable expression node: op in {"const", "x", "y", "neg", "add", "sub", "mul",
    "div", "pow", "sign", <function names>}, args its children, value the number of a const.

    Equality is identity (trees may share subtrees; structural comparison could be exponential).
    """

    __slots__ = ("op", "args", "value")
    op: str
    args: tuple["Expr", ...]
    value: float

    def __init__(self, op: str, args: tuple["Expr", ...] = (), value: float = 0.0):
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "args", tuple(args))
        object.__setattr__(self, "value", float(value))

    def __setattr__(self, name, value):
        raise AttributeError("Expr is immutable")

    def __delattr__(self, name):
        raise AttributeError("Expr is immutable")

    def __reduce__(self):
        return (Expr, (self.op, self.args, self.value))

    def __copy__(self) -> "Expr":
        return self  # immutable

    def __deepcopy__(self, memo) -> "Expr":
        return self

    def __str__(self) -> str:
        return _to_text(self)

    def __repr__(self) -> str:
        return f"Expr({_to_text(self)!r})"


def postorder(roots: Iterable[Expr]) -> list[Expr]:
    """Every distinct node reachable from roots, children before parents (iterative)."""
    seen: set[int] = set()
    order: list[Expr] = []
    stack: list[tuple[Expr, bool]] = [(r, False) for r in reversed(list(roots))]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for a in reversed(node.args):
            if id(a) not in seen:
                stack.append((a, False))
    return order


def structure(root: Expr) -> tuple:
    """The tree below root as a flat tuple, children first: per distinct node its op, the bits
    of its value and the positions of its arguments. Two trees with the same structure compute
    the same formula, operation for operation."""
    order = postorder([root])
    at = {id(n): i for i, n in enumerate(order)}  # within this call: every node is alive
    return tuple((n.op, n.value.hex(), tuple(at[id(a)] for a in n.args)) for n in order)


def fmt_number(v: float) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)[:-2] if repr(v).endswith(".0") else repr(v)


def _to_text(root: Expr) -> str:
    text: dict[int, tuple[str, int]] = {}  # id -> (text, precedence)
    for n in postorder([root]):
        if n.op == "const":
            s = fmt_number(n.value)
            text[id(n)] = (s, 5 if n.value >= 0 or math.isnan(n.value) else 3)
            continue
        if n.op in VARIABLES:
            text[id(n)] = (n.op, 5)
            continue
        parts = [text[id(a)] for a in n.args]
        if sum(len(p[0]) for p in parts) > MAX_STR_CHARS:
            text[id(n)] = ("...", 5)
        elif n.op == "neg":
            s, p = parts[0]
            text[id(n)] = ("-" + (s if p > 3 else f"({s})"), 3)
        elif n.op in _SYMBOL:
            prec = _PRECEDENCE[n.op]
            (ls, lp), (rs, rp) = parts
            if n.op == "pow":  # right-associative; -a**b would read as -(a**b)
                ls = ls if lp > prec else f"({ls})"
                rs = rs if rp >= 3 else f"({rs})"
            else:
                ls = ls if lp >= prec else f"({ls})"
                rs = rs if rp > prec else f"({rs})"
            text[id(n)] = (f"{ls} {_SYMBOL[n.op]} {rs}" if prec == 1 else f"{ls}{_SYMBOL[n.op]}{rs}", prec)
        else:
            text[id(n)] = (f"{n.op}({parts[0][0]})", 5)
    return text[id(root)][0]


# -- smart constructors: light simplification, constant folding in float64 ------------------


def fold(op: str, *values: float) -> float:
    with np.errstate(all="ignore"):
        return float(UFUNC[op](*(np.float64(v) for v in values)))


def const(v: float) -> Expr:
    return Expr("const", (), v)


def is_number(n: Expr, v: float) -> bool:
    return n.op == "const" and n.value == v


def is_const(n: Expr) -> bool:
    return n.op == "const"


def add(a: Expr, b: Expr) -> Expr:
    if is_const(a) and is_const(b):
        return const(fold("add", a.value, b.value))
    if is_number(a, 0.0):
        return b
    if is_number(b, 0.0):
        return a
    if b.op == "neg":
        return sub(a, b.args[0])
    return Expr("add", (a, b))


def sub(a: Expr, b: Expr) -> Expr:
    if is_const(a) and is_const(b):
        return const(fold("sub", a.value, b.value))
    if is_number(b, 0.0):
        return a
    if is_number(a, 0.0):
        return neg(b)
    if b.op == "neg":
        return add(a, b.args[0])
    return Expr("sub", (a, b))


def neg(a: Expr) -> Expr:
    if is_const(a):
        return const(fold("neg", a.value))
    if a.op == "neg":
        return a.args[0]
    return Expr("neg", (a,))


def mul(a: Expr, b: Expr) -> Expr:
    if is_const(b) and not is_const(a):
        a, b = b, a  # constants to the left
    if is_const(a):
        if is_const(b):
            return const(fold("mul", a.value, b.value))
        if a.value == 0.0:
            return a
        if a.value == 1.0:
            return b
        if a.value == -1.0:
            return neg(b)
        if b.op == "mul" and is_const(b.args[0]):  # c1*(c2*u) -> (c1*c2)*u
            return mul(const(fold("mul", a.value, b.args[0].value)), b.args[1])
        if b.op == "neg":
            return mul(const(fold("neg", a.value)), b.args[0])
    if a.op == "neg" and b.op == "neg":
        return mul(a.args[0], b.args[0])
    if a.op == "neg":
        return neg(mul(a.args[0], b))
    if b.op == "neg":
        return neg(mul(a, b.args[0]))
    return Expr("mul", (a, b))


def div(a: Expr, b: Expr) -> Expr:
    if is_const(a) and is_const(b):
        return const(fold("div", a.value, b.value))
    if is_number(a, 0.0):
        return a
    if is_number(b, 1.0):
        return a
    if a.op == "neg":
        return neg(div(a.args[0], b))
    return Expr("div", (a, b))


def power(a: Expr, b: Expr) -> Expr:
    if is_const(a) and is_const(b):
        return const(fold("pow", a.value, b.value))
    if is_number(b, 0.0):
        return const(1.0)
    if is_number(b, 1.0):
        return a
    if is_number(a, 1.0):
        return a
    return Expr("pow", (a, b))


def func(name: str, a: Expr) -> Expr:
    if is_const(a):
        return const(fold(name, a.value))
    return Expr(name, (a,))


_BUILD: dict[str, Callable[..., Expr]] = {"add": add, "sub": sub, "mul": mul, "div": div, "pow": power, "neg": neg}


def _rebuild(node: Expr, args: Sequence[Expr]) -> Expr:
    if node.op in _BUILD:
        return _BUILD[node.op](*args)
    if node.op in ("const", *VARIABLES):
        return node
    return func(node.op, args[0])


def simplify(expr: Expr) -> Expr:
    """The same expression rebuilt bottom-up through the simplifying constructors."""
    new: dict[int, Expr] = {}
    for n in postorder([expr]):
        new[id(n)] = _rebuild(n, [new[id(a)] for a in n.args])
    return new[id(expr)]
