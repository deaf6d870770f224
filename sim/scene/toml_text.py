"""The scene as TOML text and back: a small writer (arrays wrapped) and the reader's errors with their line."""
from __future__ import annotations

import math
import re
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib
from typing import Any

import numpy as np

from sim.scene.schema import LINE_WIDTH, SceneError


# =============================================================================================
# TOML text
# =============================================================================================

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _toml_str(s: str) -> str:
    out = []
    for c in s:
        e = _ESCAPES.get(c)
        if e is not None:
            out.append(e)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        elif 0xD800 <= ord(c) <= 0xDFFF:
            raise ValueError(f"cannot write a lone surrogate (U+{ord(c):04X}) in a string")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _toml_key(k: str) -> str:
    k = str(k)
    return k if _BARE_KEY.fullmatch(k) else _toml_str(k)


def _toml_scalar(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            raise ValueError(f"cannot write {f!r}: a scene never holds nan or inf")
        return repr(f)
    if isinstance(v, str):
        return _toml_str(v)
    raise TypeError(f"cannot write a {type(v).__name__} to TOML")


class RawToml(str):
    """TOML text already written (a big particle array, see `scene_bytes`)."""


def _toml_value(v: Any, indent: str = "") -> str:
    if isinstance(v, RawToml):
        return str(v)
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return _toml_array(list(v), indent)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return _toml_scalar(v)


def _toml_array(items: list, indent: str) -> str:
    parts = [_toml_value(x, indent + "  ") for x in items]
    one_line = "[" + ", ".join(parts) + "]"
    if len(one_line) + len(indent) <= LINE_WIDTH and "\n" not in one_line:
        return one_line
    inner = indent + "  "
    if any(isinstance(x, (list, tuple, dict, np.ndarray)) for x in items):
        return "[\n" + "".join(f"{inner}{p},\n" for p in parts) + indent + "]"
    lines, line = [], ""
    for p in parts:  # scalars: fill lines up to the width
        if line and len(inner) + len(line) + len(p) + 2 > LINE_WIDTH:
            lines.append(line)
            line = ""
        line += p + ", "
    if line:
        lines.append(line)
    return "[\n" + "".join(f"{inner}{ln.rstrip()}\n" for ln in lines) + indent + "]"


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and len(v) > 0 and all(isinstance(x, dict) for x in v)


def _write_table(out: list[str], path: list[str], table: dict, header: str | None = None) -> None:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict) and not _is_table_array(v)]
    subs = [(k, v) for k, v in table.items() if isinstance(v, dict)]
    arrays = [(k, v) for k, v in table.items() if _is_table_array(v)]
    if header is None and path and (scalars or not (subs or arrays)):
        header = "[" + ".".join(_toml_key(k) for k in path) + "]"
    if header is not None:
        if out:
            out.append("")
        out.append(header)
    for k, v in scalars:
        out.append(f"{_toml_key(k)} = {_toml_value(v)}")
    for k, v in table.items():  # sub-tables and arrays of tables, in the dict's order
        if isinstance(v, dict):
            _write_table(out, path + [k], v)
        elif _is_table_array(v):
            for item in v:
                head = "[[" + ".".join(_toml_key(x) for x in path + [k]) + "]]"
                _write_table(out, path + [k], item, header=head)


def dumps(scene: dict) -> str:
    """A scene dict -> TOML text that `loads` reads back equal (floats exactly, via repr()).

    Raises ValueError for nan/inf or a value TOML cannot hold.
    """
    out: list[str] = []
    _write_table(out, [], scene)
    return "\n".join(out) + "\n"


def loads(text: str) -> dict:
    """TOML text -> a scene dict. A syntax error is a SceneError: `line N: <what is wrong>`."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e).splitlines()[0] if str(e) else "invalid TOML"
        m = _TOML_POS.search(msg)
        if m:
            msg = f"line {m.group(1)}: {msg[: m.start()]} (column {m.group(2)})"
        elif "end of document" in msg:
            msg = f"end of file: {msg.replace('(at end of document)', '').strip()}"
        raise SceneError(msg) from None
