"""Data landscapes in scene files: what [landscape] holds beyond the potential's name.

    [landscape]
    potential = "mlp"
    l2 = 0.001                 # logreg, mlp
    plane = "random"           # mlp: random | pca
    train_seed = 0             # mlp: seeds the initial weights and the random directions
    [landscape.data]           # one of:
    builtin = "moons"          #   a built-in set
    # file = "/abs/pts.csv"    #   a CSV file and its SHA-256 (a changed file is refused)
    # sha256 = "..."
    # x = [[0.1, 2.0], ...]    #   the points inline ([n, 1] or [n, 2]) with y = [...] and
    # y = [0.0, 1.0, ...]      #   kind = "regression" | "classification"
    # kind = "classification"

Errors are ValueError with one line (sim.scene wraps them with the file name).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from sim.data import DATA_LANDSCAPES, make_landscape
from sim.data.base import DataPotential
from sim.data.sets import (BUILTIN_SEEDS, CLASSIFICATION, MAX_VALUE, REGRESSION, DataError, Dataset, builtin,
                           file_sha256, read_csv, too_large)

KEYS = ("data", "l2", "plane", "train_seed")
DATA_KEYS = ("builtin", "file", "sha256", "x", "y", "kind")
INLINE_MAX = 100_000


def landscape_extra(pot: DataPotential) -> dict[str, Any]:
    """The [landscape] keys that rebuild `pot` (its data and settings). A file is named with
    its SHA-256 taken now, and only while it still holds the world's points; else (changed,
    gone, unreadable) the points are written inline."""
    out: dict[str, Any] = dict(pot.config())
    d = pot.data
    digest = file_digest_holding(d) if d.sha256 else None
    if d.builtin:
        out["data"] = {"builtin": d.source}
    elif digest is not None:
        out["data"] = {"file": str(Path(d.source).resolve()), "sha256": digest}
    else:
        out["data"] = {"x": d.x.tolist(), "y": d.y.tolist(), "kind": d.kind}
    return out


def file_digest_holding(d: Dataset) -> str | None:
    """The SHA-256 of d's file as it is now when the file holds exactly d's points (the digest
    taken when it was read, or a rewrite with the same numbers), else None."""
    try:
        if not Path(d.source).is_file():
            return None
        if file_sha256(d.source) == d.sha256:
            return d.sha256
        now = read_csv(d.source)
    except (OSError, DataError):
        return None
    same = now.kind == d.kind and now.x.shape == d.x.shape and now.y.shape == d.y.shape
    return now.sha256 if same and np.array_equal(now.x, d.x) and np.array_equal(now.y, d.y) else None


def data_landscape_from(name: str, t: dict) -> DataPotential | None:
    """The data landscape a [landscape] table describes, or None when it uses none of KEYS
    (the registry's own instance will do). ValueError: one line."""
    extra = [k for k in ("data", "l2", "plane", "train_seed") if k in t]
    if name not in DATA_LANDSCAPES:
        if extra:
            raise ValueError(f"{extra[0]} goes with a data landscape "
                             f"({', '.join(DATA_LANDSCAPES)}), not '{name}'")
        return None
    if not extra:
        return None
    data = _data_from(t["data"]) if "data" in t else None
    kw: dict[str, Any] = {}
    if "l2" in t:
        v = t["l2"]
        if type(v) not in (int, float) or not math.isfinite(v) or v < 0:
            raise ValueError(f"l2 must be a finite number >= 0, got {v!r}")
        kw["l2"] = float(v)
    if "plane" in t:
        kw["plane"] = t["plane"] if isinstance(t["plane"], str) else repr(t["plane"])
    if "train_seed" in t:
        v = t["train_seed"]
        if type(v) is not int or v < 0:
            raise ValueError(f"train_seed must be an integer >= 0, got {v!r}")
        kw["train_seed"] = v
    if name == "linreg" and ("l2" in kw or "plane" in kw or "train_seed" in kw):
        raise ValueError("linreg takes no l2, plane or train_seed")
    if name == "logreg" and ("plane" in kw or "train_seed" in kw):
        raise ValueError("logreg takes no plane or train_seed")
    return make_landscape(name, data, **kw)


def _data_from(t: Any) -> Dataset:
    where = "[landscape.data]"
    if not isinstance(t, dict):
        raise ValueError(f"{where} must be a table: builtin = NAME, or file + sha256, or x, y, kind")
    for k in t:
        if k not in DATA_KEYS:
            raise ValueError(f"{where} unknown key '{k}'; expected one of: {', '.join(DATA_KEYS)}")
    if "builtin" in t:
        if t["builtin"] not in BUILTIN_SEEDS:
            raise ValueError(f"{where} builtin must be one of: {', '.join(BUILTIN_SEEDS)}; got {t['builtin']!r}")
        return builtin(t["builtin"])
    if "file" in t:
        if not isinstance(t["file"], str) or not isinstance(t.get("sha256"), str):
            raise ValueError(f"{where} file and sha256 must both be strings")
        try:
            d = read_csv(t["file"])
        except DataError as e:
            raise ValueError(f"{where} {e}") from None
        if d.sha256 != t["sha256"].lower():
            raise ValueError(f"{where} {Path(t['file']).name} has changed since the scene was saved "
                             f"(SHA-256 {d.sha256[:12]}..., the scene expects {t['sha256'][:12]}...)")
        return d
    return _inline(t, where)


def _inline(t: dict, where: str) -> Dataset:
    if "x" not in t or "y" not in t or t.get("kind") not in (REGRESSION, CLASSIFICATION):
        raise ValueError(f"{where} needs builtin = NAME, or file + sha256, or x, y and "
                         f'kind = "{REGRESSION}" | "{CLASSIFICATION}"')
    kind = t["kind"]
    cols = 1 if kind == REGRESSION else 2
    x, y = t["x"], t["y"]
    ok = isinstance(x, list) and isinstance(y, list) and len(x) == len(y) and 2 <= len(y) <= INLINE_MAX
    ok = ok and all(isinstance(r, list) and len(r) == cols and all(type(v) in (int, float) for v in r) for r in x)
    ok = ok and all(type(v) in (int, float) for v in y)
    if not ok:
        raise ValueError(f"{where} x must be {2}..{INLINE_MAX:,} rows of {cols} numbers, y as many numbers")
    xa, ya = np.array(x, dtype=np.float64).reshape(-1, cols), np.array(y, dtype=np.float64)
    if not (np.isfinite(xa).all() and np.isfinite(ya).all()):
        raise ValueError(f"{where} x and y must be finite numbers")
    big = np.flatnonzero((np.abs(xa) > MAX_VALUE).any(axis=1) | (np.abs(ya) > MAX_VALUE))
    if len(big):
        raise ValueError(f"{where} row {int(big[0]) + 1} of x, y is too large: {too_large()}")
    if kind == CLASSIFICATION and not np.isin(ya, (0.0, 1.0)).all():
        raise ValueError(f"{where} labels (y) must be 0 or 1")
    names = ("x", "y") if kind == REGRESSION else ("x1", "x2", "label")
    return Dataset(xa, ya, kind, "inline", "", names)
