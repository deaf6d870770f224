"""A formula parsed into an expression DAG (never eval-ed), with error carets."""
from __future__ import annotations

import ast
import math
import re

from sim.landscapes.formula.errors import ALIASES, CONSTANTS, FUNCTIONS, FormulaError, MAX_DEPTH, MAX_LENGTH, VARIABLES
from sim.landscapes.formula.nodes import Expr, simplify


_ALLOWED_TEXT = ", ".join(FUNCTIONS)

_UNICODE_HINTS = {
    "\u2212": "use -", "\u2013": "use -", "\u00d7": "use *", "\u00b7": "use *", "\u22c5": "use *",
    "\u00f7": "use /", "\u03c0": "use pi", "\u00b2": "use **2", "\u00b3": "use **3",
}


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
