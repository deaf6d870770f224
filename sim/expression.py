"""A user's formula V(x, y) -> a Potential with exact gradient and Hessian, parsed safely.

The text is parsed with `ast.parse(text, mode="eval")` and the syntax tree is walked against a
whitelist into a small immutable expression DAG (`Expr`); nothing the user typed is ever
compiled into code or run. Derivatives are taken symbolically on that DAG; evaluation runs a
flat list of numpy ufunc calls (one per distinct subexpression) under np.errstate(all="ignore"),
so results may hold inf/nan but never raise or warn.

Grammar: variables x, y; numbers (every number is float64: `9**9**9**9` is inf, at once);
+ - * / ** and unary -, +; parentheses; one-argument calls to sin cos tan exp log sqrt tanh
sinh cosh arctan abs (aliases: ln = log, atan = arctan); constants pi and e.
`^` is accepted as an alias for `**` (users type it), with the same precedence and
right-associativity as `**`.

Errors raise FormulaError: one line, "WHAT at column N (hint)" with N 1-based for people, and
`.position` the 0-based column into the text as typed (None when there is no single place).
Limits: MAX_LENGTH characters, MAX_DEPTH levels of nesting (a run of + - or * / at one level,
such as a long polynomial, counts as one level).
"""
from __future__ import annotations

import ast
import math
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from sim.potential_base import Potential, View

MAX_LENGTH = 2000  # characters in a formula
MAX_DEPTH = 100  # nesting levels of the syntax tree
MAX_STR_CHARS = 4000  # str(Expr) stops spelling subtrees out beyond this
DEFAULT_VIEW: View = (-3.0, 3.0, -3.0, 3.0)
LOG_SCALE_DECADES = 2.5  # log shading when max(V - Vmin) / its 5th percentile spans more decades
MINIMA_GRID = 12  # starts per axis for the minimum search
MINIMA_ITERS = 60
MINIMA_BUDGET_S = 0.04  # wall-clock budget of the minimum search
MINIMA_MAX = 8
MINIMA_GRAD_TOL = 1e-8

VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "arctan", "abs")
ALIASES = {"ln": "log", "atan": "arctan"}
_ALLOWED_TEXT = ", ".join(FUNCTIONS)

_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}

_UFUNC: dict[str, Callable] = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "pow": np.power, "neg": np.negative, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh, "sinh": np.sinh,
    "cosh": np.cosh, "arctan": np.arctan, "abs": np.abs, "sign": np.sign,
}

_UNICODE_HINTS = {
    "\u2212": "use -", "\u2013": "use -", "\u00d7": "use *", "\u00b7": "use *", "\u22c5": "use *",
    "\u00f7": "use /", "\u03c0": "use pi", "\u00b2": "use **2", "\u00b3": "use **3",
}


class FormulaError(ValueError):
    """A formula was refused: `str(err)` is one line, `.position` a 0-based column or None."""

    def __init__(self, reason: str, position: int | None = None, hint: str | None = None):
        self.reason = reason
        self.position = position
        self.hint = hint
        text = reason if position is None else f"{reason} at column {position + 1}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


def format_error_caret(text: str, err: FormulaError) -> str:
    """Two lines for a monospace UI: the formula and a caret under the error's column."""
    line = "".join(" " if c in "\t\n\r\x0b\x0c" else c for c in text)
    if err.position is None:
        return line + "\n"
    return line + "\n" + " " * min(err.position, len(line)) + "^"


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


def _postorder(roots: Iterable[Expr]) -> list[Expr]:
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


def _structure(root: Expr) -> tuple:
    """The tree below root as a flat tuple, children first: per distinct node its op, the bits
    of its value and the positions of its arguments. Two trees with the same structure compute
    the same formula, operation for operation."""
    order = _postorder([root])
    at = {id(n): i for i, n in enumerate(order)}  # within this call: every node is alive
    return tuple((n.op, n.value.hex(), tuple(at[id(a)] for a in n.args)) for n in order)


def _fmt_number(v: float) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)[:-2] if repr(v).endswith(".0") else repr(v)


def _to_text(root: Expr) -> str:
    text: dict[int, tuple[str, int]] = {}  # id -> (text, precedence)
    for n in _postorder([root]):
        if n.op == "const":
            s = _fmt_number(n.value)
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


def _fold(op: str, *values: float) -> float:
    with np.errstate(all="ignore"):
        return float(_UFUNC[op](*(np.float64(v) for v in values)))


def const(v: float) -> Expr:
    return Expr("const", (), v)


def _is(n: Expr, v: float) -> bool:
    return n.op == "const" and n.value == v


def _c(n: Expr) -> bool:
    return n.op == "const"


def add(a: Expr, b: Expr) -> Expr:
    if _c(a) and _c(b):
        return const(_fold("add", a.value, b.value))
    if _is(a, 0.0):
        return b
    if _is(b, 0.0):
        return a
    if b.op == "neg":
        return sub(a, b.args[0])
    return Expr("add", (a, b))


def sub(a: Expr, b: Expr) -> Expr:
    if _c(a) and _c(b):
        return const(_fold("sub", a.value, b.value))
    if _is(b, 0.0):
        return a
    if _is(a, 0.0):
        return neg(b)
    if b.op == "neg":
        return add(a, b.args[0])
    return Expr("sub", (a, b))


def neg(a: Expr) -> Expr:
    if _c(a):
        return const(_fold("neg", a.value))
    if a.op == "neg":
        return a.args[0]
    return Expr("neg", (a,))


def mul(a: Expr, b: Expr) -> Expr:
    if _c(b) and not _c(a):
        a, b = b, a  # constants to the left
    if _c(a):
        if _c(b):
            return const(_fold("mul", a.value, b.value))
        if a.value == 0.0:
            return a
        if a.value == 1.0:
            return b
        if a.value == -1.0:
            return neg(b)
        if b.op == "mul" and _c(b.args[0]):  # c1*(c2*u) -> (c1*c2)*u
            return mul(const(_fold("mul", a.value, b.args[0].value)), b.args[1])
        if b.op == "neg":
            return mul(const(_fold("neg", a.value)), b.args[0])
    if a.op == "neg" and b.op == "neg":
        return mul(a.args[0], b.args[0])
    if a.op == "neg":
        return neg(mul(a.args[0], b))
    if b.op == "neg":
        return neg(mul(a, b.args[0]))
    return Expr("mul", (a, b))


def div(a: Expr, b: Expr) -> Expr:
    if _c(a) and _c(b):
        return const(_fold("div", a.value, b.value))
    if _is(a, 0.0):
        return a
    if _is(b, 1.0):
        return a
    if a.op == "neg":
        return neg(div(a.args[0], b))
    return Expr("div", (a, b))


def power(a: Expr, b: Expr) -> Expr:
    if _c(a) and _c(b):
        return const(_fold("pow", a.value, b.value))
    if _is(b, 0.0):
        return const(1.0)
    if _is(b, 1.0):
        return a
    if _is(a, 1.0):
        return a
    return Expr("pow", (a, b))


def func(name: str, a: Expr) -> Expr:
    if _c(a):
        return const(_fold(name, a.value))
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
    for n in _postorder([expr]):
        new[id(n)] = _rebuild(n, [new[id(a)] for a in n.args])
    return new[id(expr)]


# -- derivatives -------------------------------------------------------------------------------

_ZERO = const(0.0)
_ONE = const(1.0)


def _times(d: Expr, e: Expr) -> Expr:
    """d*e for a derivative factor d; exactly 0 when d is 0 (even if e is a constant inf/nan)."""
    return _ZERO if _is(d, 0.0) else mul(d, e)


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
        t1 = _ZERO if _is(da[0], 0.0) else div(da[0], b)
        t2 = _ZERO if _is(da[1], 0.0) else div(mul(a, da[1]), power(b, const(2.0)))
        return sub(t1, t2)
    if op == "pow":
        u, v = n.args
        du, dv = da
        if _c(v):  # c*u**(c-1)*u'
            if _is(du, 0.0):
                return _ZERO
            return mul(mul(v, power(u, const(_fold("sub", v.value, 1.0)))), du)
        # u**v * (v' log u + v u'/u)
        if _is(du, 0.0) and _is(dv, 0.0):
            return _ZERO
        t1 = _times(dv, func("log", u))
        t2 = _ZERO if _is(du, 0.0) else div(mul(v, du), u)
        return mul(n, add(t1, t2))
    (u,), (du,) = n.args, da
    if _is(du, 0.0):
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
    for n in _postorder([expr]):
        d[id(n)] = _d_node(n, [d[id(a)] for a in n.args], var)
    return d[id(expr)]


# -- evaluation ---------------------------------------------------------------------------------


class Program:
    """Several expressions compiled together into one flat list of numpy calls.

    Identical subexpressions (structurally, across all roots) are computed once; temporaries
    are dropped after their last use and reused in place (ufunc `out=`), so 1e6 points cost
    a handful of full-array passes per distinct node.
    """

    def __init__(self, roots: Sequence[Expr]):
        slot_of_key: dict[tuple, int] = {}
        slot_of_node: dict[int, int] = {}
        init: list = [None, None]  # slots 0, 1: x, y
        code: list[tuple[int, Callable, tuple[int, ...]]] = []
        slot_of_key[("x",)] = 0
        slot_of_key[("y",)] = 1
        for n in _postorder(roots):
            if n.op == "const":
                key: tuple = ("const", float.hex(n.value))
            elif n.op in VARIABLES:
                key = (n.op,)
            else:
                args = tuple(slot_of_node[id(a)] for a in n.args)
                fn = _UFUNC[n.op]
                if n.op == "pow" and n.args[1].op == "const":
                    c = n.args[1].value
                    special = {2.0: np.square, 0.5: np.sqrt, -1.0: np.reciprocal}.get(c)
                    if special is not None:
                        fn, args = special, args[:1]
                key = (fn, *(sorted(args) if n.op in ("add", "mul") else args))
            slot = slot_of_key.get(key)
            if slot is None:
                slot = len(init)
                slot_of_key[key] = slot
                if n.op == "const":
                    init.append(np.float64(n.value))
                else:
                    init.append(None)
                    code.append((slot, key[0], args))
            slot_of_node[id(n)] = slot
        self.root_slots = tuple(slot_of_node[id(r)] for r in roots)
        last_use: dict[int, int] = {}
        for i, (_, _, args) in enumerate(code):
            for a in args:
                last_use[a] = i
        keep = set(self.root_slots) | {0, 1}
        frees: list[list[int]] = [[] for _ in code]
        for s, i in last_use.items():
            if s not in keep and init[s] is None:
                frees[i].append(s)
        self._init = init
        self._code = [(dst, fn, args, tuple(frees[i])) for i, (dst, fn, args) in enumerate(code)]

    def __len__(self) -> int:
        return len(self._code)

    def __call__(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """Evaluate every root at x, y (arrays of one shape); each result has that shape."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        shape = np.broadcast_shapes(x.shape, y.shape)
        vals = list(self._init)
        vals[0], vals[1] = x, y
        owned = [False] * len(vals)
        with np.errstate(all="ignore"):
            for dst, fn, args, frees in self._code:
                out = None
                for s in frees:
                    if owned[s]:
                        out = vals[s]
                        break
                if out is not None:
                    r = fn(*(vals[a] for a in args), out=out)
                else:
                    r = fn(*(vals[a] for a in args))
                vals[dst] = r
                owned[dst] = isinstance(r, np.ndarray) and r.shape == shape
                for s in frees:
                    vals[s] = None
                    owned[s] = False
            results = []
            for s in self.root_slots:
                r = vals[s]
                if owned[s]:
                    results.append(r)
                else:
                    results.append(np.array(np.broadcast_to(np.asarray(r, dtype=np.float64), shape)))
        return tuple(results)


def evaluate(expr: Expr, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """expr at x, y (arrays of one shape) -> array of that shape. May hold inf/nan; never warns."""
    return Program([expr])(x, y)[0]


# ---------------------------------------------------------------------------------------------
# Parsing


def _prepare(text: str) -> tuple[str, list[int]]:
    """Check characters, strip, turn ^ into **. Returns (source, colmap source col -> text col)."""
    if not isinstance(text, str):
        raise FormulaError(f"formula must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"formula is too long ({len(text)} characters, limit {MAX_LENGTH})")
    for i, c in enumerate(text):
        if c in "\t\n\r\x0b\x0c":
            continue
        if c == "#":
            raise FormulaError("comments ('#') are not allowed", i)
        if not (" " <= c <= "~"):
            what = f"character {c!r} (U+{ord(c):04X}) is not allowed" if c.isprintable() else \
                f"character {ascii(c)} is not allowed"
            raise FormulaError(what, i, _UNICODE_HINTS.get(c))
    if not text.strip():
        raise FormulaError("empty formula")
    src_chars: list[str] = []
    colmap: list[int] = []
    start = len(text) - len(text.lstrip())
    for i in range(start, len(text)):
        c = text[i]
        if c == "^":
            src_chars += ["*", "*"]
            colmap += [i, i]
        else:
            src_chars.append(" " if c in "\t\n\r\x0b\x0c" else c)
            colmap.append(i)
    colmap.append(len(text))
    src = "".join(src_chars)
    # nesting that would be deep before the parser sees it: runs of signs, open brackets
    depth = run = 0
    for j, c in enumerate(src):
        if c in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise FormulaError(f"formula nests too deeply (limit {MAX_DEPTH})", colmap[j])
        elif c in ")]}":
            depth = max(depth - 1, 0)
        if c in "+-~":
            run += 1
            if run > MAX_DEPTH:
                raise FormulaError(f"formula nests too deeply (limit {MAX_DEPTH})", colmap[j])
        elif c != " ":
            run = 0
    return src, colmap


def _token_at(src: str, i: int) -> str:
    if i >= len(src):
        return ""
    if src[i].isalnum() or src[i] in "_.":
        m = re.match(r"[A-Za-z0-9_.]+", src[i:])
        return m.group(0) if m else src[i]
    two = src[i:i + 2]
    if two in ("**", "//", "==", "!=", "<=", ">=", ":=", "<<", ">>", "->"):
        return two
    return src[i]


def _syntax_error(err: SyntaxError, src: str, colmap: list[int]) -> FormulaError:
    msg = (err.msg or "invalid syntax").split("(detected")[0].strip()
    off = err.offset
    at_end = off is None or off < 1 or off > len(src) or (err.lineno or 1) > 1
    i = len(src) if at_end else off - 1
    while i < len(src) and src[i] == " " and not at_end:
        i += 1
    pos = colmap[min(i, len(src))]
    if "string" in msg:
        return FormulaError("strings are not allowed", pos)
    if "was never closed" in msg:
        return FormulaError(f"unclosed '{src[i] if i < len(src) else '('}'", pos)
    if "too many nested" in msg:
        return FormulaError(f"formula nests too deeply (limit {MAX_DEPTH})", pos)
    if "literal" in msg:
        j = i
        while j > 0 and (src[j - 1].isalnum() or src[j - 1] in "_."):
            j -= 1
        tok = _token_at(src, j)
        hint = None
        m = re.match(r"^([0-9][0-9.]*(?:[eE][0-9]+)?)([A-Za-z_]\w*)$", tok)
        if m and m.group(2) in (*VARIABLES, *CONSTANTS, *FUNCTIONS, *ALIASES):
            hint = f"write {m.group(1)}*{m.group(2)} for a product"
        return FormulaError(f"invalid number '{tok}'", colmap[j], hint)
    if "line continuation" in msg:
        j = src.find("\\")
        return FormulaError("unexpected '\\'", colmap[j if j >= 0 else i])
    if i >= len(src) or i >= len(src.rstrip()):
        return FormulaError("formula ends unexpectedly", colmap[len(src.rstrip())])
    tok = _token_at(src, i)
    if tok in ("'", '"'):
        return FormulaError("strings are not allowed", pos)
    if msg.startswith("invalid syntax") or msg.startswith("unmatched") or "does not match" in msg:
        hint = "missing operator?" if tok[:1].isalnum() or tok[:1] in "_.(" else None
        if tok == "=":
            hint = "assignments are not allowed"
        return FormulaError(f"unexpected '{tok}'", pos, hint)
    return FormulaError(msg, pos)


class _Converter:
    """Whitelist walk of a Python syntax tree into raw Expr nodes (no evaluation at all)."""

    def __init__(self, src: str, colmap: list[int]):
        self.src = src
        self.colmap = colmap

    def pos(self, col: int | None) -> int | None:
        if col is None:
            return None
        return self.colmap[max(0, min(col, len(self.src)))]

    def after(self, node: ast.AST) -> int | None:
        """Position of the first non-blank character after node (an operator, '.', '[' ...)."""
        col = getattr(node, "end_col_offset", None)
        if col is None:
            return None
        while col < len(self.src) and self.src[col] in " ()":
            if self.src[col] == "(":
                break
            col += 1
        return self.pos(col)

    def fail(self, reason: str, node: ast.AST | int | None, hint: str | None = None) -> FormulaError:
        if isinstance(node, ast.AST):
            return FormulaError(reason, self.pos(getattr(node, "col_offset", None)), hint)
        return FormulaError(reason, node, hint)

    def convert(self, node: ast.AST, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise self.fail(f"formula nests too deeply (limit {MAX_DEPTH})", node)
        if isinstance(node, ast.Expression):
            return self.convert(node.body, depth)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return Expr("neg", (self.convert(node.operand, depth + 1),))
            if isinstance(node.op, ast.UAdd):
                return self.convert(node.operand, depth + 1)
            word = "'not'" if isinstance(node.op, ast.Not) else "operator '~'"
            raise self.fail(f"{word} is not allowed", node)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.refuse(node)

    def constant(self, node: ast.Constant) -> Expr:
        v = node.value
        if isinstance(v, bool) or v is None or v is Ellipsis:
            raise self.fail(f"'{self.src[node.col_offset:node.end_col_offset]}' is not allowed", node,
                            "use numbers, x, y, pi, e")
        if isinstance(v, (str, bytes)):
            raise self.fail("strings are not allowed", node)
        if isinstance(v, complex):
            raise self.fail("complex numbers are not allowed", node)
        if isinstance(v, int):
            try:
                return Expr("const", (), float(v))
            except OverflowError:
                return Expr("const", (), math.inf)
        if isinstance(v, float):
            return Expr("const", (), v)
        raise self.fail(f"constant {type(v).__name__} is not allowed", node)  # pragma: no cover

    def name(self, node: ast.Name) -> Expr:
        n = node.id
        if n in VARIABLES:
            return Expr(n)
        if n in CONSTANTS:
            return Expr("const", (), CONSTANTS[n])
        if n in FUNCTIONS or n in ALIASES:
            raise self.fail(f"function '{n}' needs an argument", node, f"write {n}(...)")
        raise self.fail(f"unknown name '{n}'", node, f"use x, y, pi, e and functions {_ALLOWED_TEXT}")

    def binop(self, node: ast.BinOp, depth: int) -> Expr:
        ops = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
        if type(node.op) not in ops:
            sym = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<",
                   ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}.get(type(node.op), "?")
            hint = "use / for division" if sym == "//" else None
            raise self.fail(f"operator '{sym}' is not allowed", self.after(node.left), hint)
        op = ops[type(node.op)]
        if op == "pow":
            return Expr("pow", (self.convert(node.left, depth + 1), self.convert(node.right, depth + 1)))
        # a left-leaning run of + - (or * /) is one level: walk it with a loop, not recursion
        family = (ast.Add, ast.Sub) if op in ("add", "sub") else (ast.Mult, ast.Div)
        chain: list[ast.BinOp] = []
        cur: ast.AST = node
        while isinstance(cur, ast.BinOp) and isinstance(cur.op, family):
            chain.append(cur)
            cur = cur.left
        acc = self.convert(cur, depth + 1)
        for b in reversed(chain):
            acc = Expr(ops[type(b.op)], (acc, self.convert(b.right, depth + 1)))
        return acc

    def call(self, node: ast.Call, depth: int) -> Expr:
        f = node.func
        if isinstance(f, ast.Attribute):
            raise self.refuse(f)
        if not isinstance(f, ast.Name):
            raise self.fail("only the named functions can be called", f, f"allowed: {_ALLOWED_TEXT}")
        name = ALIASES.get(f.id, f.id)
        if name not in FUNCTIONS:
            if f.id in VARIABLES or f.id in CONSTANTS:
                raise self.fail(f"'{f.id}' is not a function", self.after(f),
                                f"write {f.id}*(...) for a product")
            raise self.fail(f"function '{f.id}' is not allowed", f, f"allowed: {_ALLOWED_TEXT}")
        if node.keywords:
            raise self.fail("keyword arguments are not allowed", node.keywords[0])
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.fail("starred arguments are not allowed", a)
        if len(node.args) != 1:
            where = node.args[1] if len(node.args) > 1 else self.after(f)
            raise self.fail(f"function '{f.id}' takes 1 argument, not {len(node.args)}", where)
        return Expr(name, (self.convert(node.args[0], depth + 1),))

    def refuse(self, node: ast.AST) -> FormulaError:
        """The error for any syntax outside the whitelist, pointing at its telling character."""
        if isinstance(node, ast.Attribute):
            while isinstance(node.value, ast.Attribute):  # report the first '.' of a chain
                node = node.value
            return self.fail(f"attributes are not allowed ('.{node.attr}')", self.after(node.value))
        if isinstance(node, ast.Compare):
            return self.fail("comparisons are not allowed", self.after(node.left))
        if isinstance(node, ast.BoolOp):
            word = "and" if isinstance(node.op, ast.And) else "or"
            return self.fail(f"'{word}' is not allowed", self.after(node.values[0]))
        if isinstance(node, ast.IfExp):
            return self.fail("'if ... else' is not allowed", self.after(node.body))
        if isinstance(node, ast.Subscript):
            return self.fail("indexing with [...] is not allowed", self.after(node.value))
        if isinstance(node, ast.Tuple):
            if not node.elts:
                return self.fail("empty parentheses", node)
            return self.fail("unexpected ','", self.after(node.elts[0]), "functions take one argument")
        if isinstance(node, (ast.List, ast.ListComp)):
            return self.fail("lists [...] are not allowed", node, "use ( ) for grouping")
        if isinstance(node, (ast.Set, ast.Dict, ast.SetComp, ast.DictComp)):
            return self.fail("braces {...} are not allowed", node, "use ( ) for grouping")
        if isinstance(node, ast.GeneratorExp):
            return self.fail("comprehensions are not allowed", node)
        if isinstance(node, ast.Lambda):
            return self.fail("'lambda' is not allowed", node)
        if isinstance(node, ast.NamedExpr):
            return self.fail("assignment ':=' is not allowed", self.after(node.target))
        if isinstance(node, ast.JoinedStr):
            return self.fail("f-strings are not allowed", node)
        if isinstance(node, ast.Await):
            return self.fail("'await' is not allowed", node)
        if isinstance(node, ast.Starred):
            return self.fail("'*' unpacking is not allowed", node)
        return self.fail(f"{type(node).__name__.lower()} expressions are not allowed", node)


def _parse_raw(text: str) -> Expr:
    src, colmap = _prepare(text)
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as err:  # includes IndentationError
        raise _syntax_error(err, src, colmap) from None
    except RecursionError:
        raise FormulaError(f"formula nests too deeply (limit {MAX_DEPTH})") from None
    except MemoryError:
        raise FormulaError("formula is too complex") from None
    except (ValueError, TypeError, OverflowError) as err:
        raise FormulaError(f"formula could not be read: {str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
    return _Converter(src, colmap).convert(tree, 0)


def parse_formula(text: str) -> Expr:
    """Text -> a simplified expression DAG in x, y. Raises FormulaError; evaluates nothing."""
    return simplify(_parse_raw(text))


def normalize_formula(text: str) -> str:
    """The formula as typed, with runs of whitespace collapsed to one space."""
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------------
# The potential


@dataclass
class ExprPotential(Potential):
    """A Potential from a parsed formula: exact gradient and Hessian by symbolic derivatives."""

    expr: Expr = field(default_factory=lambda: const(0.0), repr=False, compare=False)
    grad_exprs: tuple[Expr, Expr] = field(init=False, repr=False, compare=False)
    hessian_exprs: tuple[Expr, Expr, Expr] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        gx = differentiate(self.expr, "x")
        gy = differentiate(self.expr, "y")
        self.grad_exprs = (gx, gy)
        self.hessian_exprs = (differentiate(gx, "x"), differentiate(gx, "y"), differentiate(gy, "y"))
        self._value_prog = Program([self.expr])
        self._grad_prog = Program(self.grad_exprs)
        self._hess_prog = Program(self.hessian_exprs)
        self._all_prog = Program([self.expr, *self.grad_exprs, *self.hessian_exprs])
        self._expr_structure = _structure(self.expr)

    def _key_parts(self) -> tuple:
        """Potential's key parts (name, formula text, view, minima, flags) and the parsed tree
        itself, so that two different formulas never share a cache key."""
        return super()._key_parts() + (("expr", self._expr_structure),)

    def _value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._value_prog(x, y)[0]

    def _grad(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._grad_prog(x, y)  # type: ignore[return-value]

    def _hessian(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._hess_prog(x, y)  # type: ignore[return-value]

    def value_grad_hessian(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        """(V, Vx, Vy, Vxx, Vxy, Vyy) at x, y in one pass sharing every subexpression."""
        return self._all_prog(x, y)


def _check_view(view) -> View:
    try:
        v = tuple(float(t) for t in view)
    except (TypeError, ValueError):
        raise ValueError(f"view must be four numbers (xmin, xmax, ymin, ymax), got {view!r}") from None
    if len(v) != 4 or not all(math.isfinite(t) for t in v) or not (v[0] < v[1] and v[2] < v[3]):
        raise ValueError(f"view must be four finite numbers with xmin < xmax, ymin < ymax, got {view!r}")
    return v  # type: ignore[return-value]


def _wants_log_scale(pot: ExprPotential, view: View, n: int = 64) -> bool:
    """True when max(V - Vmin) over an n x n grid is more than LOG_SCALE_DECADES decades above
    the 5th percentile of V - Vmin (a steep rim around a flat floor: Rosenbrock, quartics)."""
    v = pot.value_grid(np.linspace(view[0], view[1], n), np.linspace(view[2], view[3], n))
    v = v[np.isfinite(v)]
    if v.size < 2:
        return False
    d = v - v.min()
    pos = d[d > 0]
    if pos.size == 0:
        return False
    with np.errstate(all="ignore"):
        spread = np.log10(pos.max() / np.percentile(pos, 5))
    return bool(np.isfinite(spread) and spread > LOG_SCALE_DECADES)


def find_minima(pot: ExprPotential, view: View, budget_s: float = MINIMA_BUDGET_S) -> tuple[np.ndarray, np.ndarray]:
    """Local minima inside view by a vectorized Levenberg-Marquardt (damped Newton) search from
    a grid of starts. Keeps points with |grad| < MINIMA_GRAD_TOL and a positive-definite Hessian,
    deduplicated, lowest first, at most MINIMA_MAX. Returns (points [k, 2], values [k])."""
    t0 = time.perf_counter()
    xmin, xmax, ymin, ymax = view
    size = max(xmax - xmin, ymax - ymin)
    fr = (np.arange(MINIMA_GRID) + 0.5) / MINIMA_GRID
    px, py = np.meshgrid(xmin + fr * (xmax - xmin), ymin + fr * (ymax - ymin), indexing="ij")
    px, py = px.ravel(), py.ravel()
    mu = np.full(px.shape, 1.0)
    with np.errstate(all="ignore"):
        v, gx, gy, hxx, hxy, hyy = pot.value_grad_hessian(px, py)
        for _ in range(MINIMA_ITERS):
            if time.perf_counter() - t0 > budget_s:
                break
            # shift the Hessian to positive definite, plus damping mu
            half_tr = 0.5 * (hxx + hyy)
            lam_min = half_tr - np.sqrt((0.5 * (hxx - hyy)) ** 2 + hxy ** 2)
            shift = np.maximum(0.0, -lam_min) + mu * (1.0 + np.abs(half_tr))
            a, d, b = hxx + shift, hyy + shift, hxy
            det = a * d - b * b
            sx = -(d * gx - b * gy) / det
            sy = -(a * gy - b * gx) / det
            norm = np.hypot(sx, sy)
            cap = 0.25 * size
            scale = np.where(norm > cap, cap / norm, 1.0)
            nx, ny = px + sx * scale, py + sy * scale
            nv, ngx, ngy, nhxx, nhxy, nhyy = pot.value_grad_hessian(nx, ny)
            ok = np.isfinite(nv) & np.isfinite(ngx) & np.isfinite(ngy) & (nv <= v + 1e-12 * (1.0 + np.abs(v)))
            px, py = np.where(ok, nx, px), np.where(ok, ny, py)
            v, gx, gy = np.where(ok, nv, v), np.where(ok, ngx, gx), np.where(ok, ngy, gy)
            hxx, hxy, hyy = np.where(ok, nhxx, hxx), np.where(ok, nhxy, hxy), np.where(ok, nhyy, hyy)
            mu = np.where(ok, mu * 0.2, np.minimum(mu * 5.0, 1e12))
            mu = np.where(mu < 1e-12, 0.0, mu)
            if np.all(np.hypot(gx, gy) < MINIMA_GRAD_TOL * 1e-2):
                break
        good = (np.isfinite(v) & (np.hypot(gx, gy) < MINIMA_GRAD_TOL) & (hxx > 0) & (hxx * hyy - hxy * hxy > 0)
                & (px >= xmin) & (px <= xmax) & (py >= ymin) & (py <= ymax))
    idx = np.flatnonzero(good)
    idx = idx[np.argsort(v[idx], kind="stable")]
    kept: list[int] = []
    tol = 1e-5 * size
    for i in idx:
        if all(math.hypot(px[i] - px[j], py[i] - py[j]) > tol for j in kept):
            kept.append(int(i))
            if len(kept) == MINIMA_MAX:
                break
    pts = np.stack([px[kept], py[kept]], axis=1) if kept else np.zeros((0, 2))
    return pts, np.asarray(v[kept], dtype=np.float64)


_PARTIAL_OPS = ("log", "sqrt", "tan", "div")  # may give nan or inf at a finite point


def is_partial(expr: Expr) -> bool:
    """Whether V may be nan or inf at some finite (x, y): a log, sqrt, tan or division, a power
    other than a whole non-negative constant, or a constant that is not finite."""
    for n in _postorder([expr]):
        if n.op in _PARTIAL_OPS or (n.op == "const" and not math.isfinite(n.value)):
            return True
        if n.op == "pow":
            b = n.args[1]
            if not (b.op == "const" and b.value >= 0 and float(b.value).is_integer()):
                return True
    return False


def _check_finite_somewhere(pot: ExprPotential, view: View, n: int = 64) -> None:
    """FormulaError when V is nan or inf at every point of an n x n grid over the view."""
    v = pot.value_grid(np.linspace(view[0], view[1], n), np.linspace(view[2], view[3], n))
    if not np.isfinite(v).any():
        x0, x1, y0, y1 = (_fmt_number(t) for t in view)
        raise FormulaError(f"V is not a finite number anywhere in the view x {x0}..{x1}, y {y0}..{y1}",
                           hint="e.g. 0/0, 1e999, sqrt(-1) or log of a negative number")


def expression_potential(text: str, view: Sequence[float] | None = None, *, find_minimum: bool = True) -> ExprPotential:
    """A Potential for a user's formula in x and y. Raises FormulaError for a bad formula and
    ValueError for a bad view. Minima are found numerically unless find_minimum is False."""
    expr = parse_formula(text)
    v = DEFAULT_VIEW if view is None else _check_view(view)
    pot = ExprPotential(name="expr", formula=normalize_formula(text), view=v, expr=expr)
    _check_finite_somewhere(pot, v)
    pot.partial = is_partial(expr)
    pot.log_scale = _wants_log_scale(pot, v)
    if find_minimum:
        pot.minima, pot.minimum_values = find_minima(pot, v)
    return pot
