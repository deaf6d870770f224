"""One value of a scene checked, with a one-line reason naming its table and key (and the closest known name)."""
from __future__ import annotations

import difflib
import math
import re
from typing import Any

from sim.landscapes.base import View
from sim.scene.schema import SceneError


def suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def table(scene: dict, name: str, keys: tuple[str, ...], required: bool) -> dict:
    if name not in scene:
        if required:
            raise SceneError(f"missing table [{name}]")
        return {}
    t = scene[name]
    if not isinstance(t, dict):
        raise SceneError(f"[{name}] must be a table: write [{name}] on its own line, then key = value lines")
    check_keys(t, keys, f"[{name}]")
    return t


def check_keys(t: dict, keys: tuple[str, ...], where: str) -> None:
    for k in t:
        if k not in keys:
            raise SceneError(f"{where} unknown key '{k}'{suggest(k, keys)}; expected one of: {', '.join(keys)}")



def is_number(v: Any) -> bool:
    return type(v) in (int, float)


def get_float(t: dict, key: str, where: str, default: float) -> float:
    if key not in t:
        return default
    v = t[key]
    if not is_number(v) or not math.isfinite(v):
        raise SceneError(f"{where} {key} must be a finite number, got {show(v)}")
    return float(v)


def get_int(t: dict, key: str, where: str, default: int, lo: int | None = None,
             text_ok: bool = False) -> int:
    if key not in t:
        return default
    v = t[key]
    if text_ok and isinstance(v, str) and re.fullmatch(r"-?[0-9]+", v.strip()):
        v = int(v)
    if type(v) is not int:
        raise SceneError(f"{where} {key} must be an integer, got {show(v)}")
    if lo is not None and v < lo:
        raise SceneError(f"{where} {key} must be >= {lo}, got {v}")
    return v


def get_str(t: dict, key: str, where: str, default: str) -> str:
    if key not in t:
        return default
    v = t[key]
    if not isinstance(v, str):
        raise SceneError(f"{where} {key} must be a string in quotes, got {show(v)}")
    return v


def get_bool(t: dict, key: str, where: str, default: bool) -> bool:
    if key not in t:
        return default
    v = t[key]
    if not isinstance(v, bool):
        raise SceneError(f"{where} {key} must be true or false, got {show(v)}")
    return v


def show(v: Any) -> str:
    """A short rendering of a bad value for a message."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, dict)):
        text = repr(v)
        return (text[:40] + "...") if len(text) > 43 else text
    return repr(v) if isinstance(v, str) else str(v)


def view_from(v: Any, where: str, key: str) -> View:
    msg = f"{where} {key} must be [xmin, xmax, ymin, ymax] (four numbers), got {show(v)}"
    if not isinstance(v, list) or len(v) != 4 or not all(is_number(t) for t in v):
        raise SceneError(msg)
    x0, x1, y0, y1 = (float(t) for t in v)
    if not all(math.isfinite(t) for t in (x0, x1, y0, y1)):
        raise SceneError(f"{where} {key} must be finite, got {show(v)}")
    if not (x0 < x1 and y0 < y1):
        raise SceneError(f"{where} {key} needs xmin < xmax and ymin < ymax, got {show(v)}")
    return (x0, x1, y0, y1)
