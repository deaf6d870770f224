"""A formula that cannot be read: the error with its column, and the limits on a formula."""
from __future__ import annotations

import math


MAX_LENGTH = 2000  # characters in a formula
MAX_DEPTH = 100  # nesting levels of the syntax tree
MAX_STR_CHARS = 4000  # str(Expr) stops spelling subtrees out beyond this

VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "arctan", "abs")
ALIASES = {"ln": "log", "atan": "arctan"}


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
