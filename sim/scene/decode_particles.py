"""A scene's particles table as arrays, every array checked, and the world's particles restored from them."""
from __future__ import annotations

from typing import Any

import numpy as np

from sim.scene import arrays as scene_arrays
from sim.rules.dynamics import Rule
from sim.rules import registry
from sim.core.particles import MAX_PARTICLES, MAX_STEP_COUNT
from sim.landscapes.base import Potential, View
from sim.core.world import World
from sim.scene.encode import default_energy0
from sim.scene.schema import PAIR_ARRAYS, RANDOM_KEYS, STATUS_NAMES, SceneError
from sim.scene.values import get_int, is_number, show, view_from


def _extra_buffers_from(t: Any, n: int) -> dict[str, np.ndarray]:
    where = "[particles.buffers]"
    if not isinstance(t, dict):
        raise SceneError(f"{where} must be a table of \"rule:buffer\" = {{shape, data}}")
    out = {}
    for k, v in t.items():
        rule, _, buf = str(k).partition(":")
        specs = registry.specs()
        if rule not in specs or buf not in [b.name for b in specs[rule].buffers]:
            raise SceneError(f"{where} unknown buffer '{k}' (expected \"rule:buffer\" of a registered rule)")
        if not isinstance(v, dict) or set(v) != {"shape", "data"}:
            raise SceneError(f"{where} {k} must be a table with shape and data")
        shape = v["shape"]
        if not isinstance(shape, list) or not all(type(d) is int and 0 < d <= 4096 for d in shape):
            raise SceneError(f"{where} {k} shape must be a list of whole numbers, got {show(shape)}")
        size = int(np.prod(shape, dtype=np.int64))
        data = v["data"]
        if not isinstance(data, list) or len(data) != n or not all(
                isinstance(row, list) and len(row) == size and all(is_number(x) for x in row) for row in data):
            raise SceneError(f"{where} {k} data must be {n} rows of {size} numbers")
        arr = np.array(data, dtype=np.float64).reshape(n, *shape)
        if not np.isfinite(arr).all():
            raise SceneError(f"{where} {k} data must be finite")
        dtype = np.dtype(next(b.dtype for b in specs[rule].buffers if b.name == buf))
        if dtype.kind in "iu":  # a count or an index (lbfgs's ring): whole numbers, its own type
            if not (arr == np.round(arr)).all():
                raise SceneError(f"{where} {k} data must be whole numbers")
            arr = arr.astype(dtype)
        out[k] = arr
    return out


def _pairs(t: dict, key: str, n: int | None) -> np.ndarray:
    """[[x, y], ...] -> float64 [n, 2], every entry a finite number."""
    v = t[key]
    if isinstance(v, np.ndarray):  # read by sim/scene_arrays.py: float64 [n, 2]
        return _finite_rows(v, key, n)
    msg = f"[particles] {key} must be a list of [x, y] pairs"
    if not isinstance(v, list):
        raise SceneError(f"{msg}, got {show(v)}")
    for i, row in enumerate(v):
        if type(row) is not list or len(row) != 2 or type(row[0]) not in (int, float) \
                or type(row[1]) not in (int, float):
            raise SceneError(f"{msg} (entry {i + 1} is {show(row)})")
    arr = np.array(v, dtype=np.float64).reshape(-1, 2)
    if not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise SceneError(f"[particles] {key} must be finite numbers (entry {i + 1} is {v[i]})")
    _check_len(key, len(arr), n)
    return arr


def _finite_rows(arr: np.ndarray, key: str, n: int | None) -> np.ndarray:
    """A fast-read array [n, 2] or [n]: every entry finite, n rows."""
    ok = np.isfinite(arr) if arr.ndim == 1 else np.isfinite(arr).all(axis=1)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise SceneError(f"[particles] {key} must be finite numbers (entry {i + 1} is {arr[i].tolist()})")
    _check_len(key, len(arr), n)
    return arr


def _scalars(t: dict, key: str, n: int | None, integer: bool) -> np.ndarray:
    v = t[key]
    if isinstance(v, np.ndarray):  # read by sim/scene_arrays.py: int64 or float64 [n]
        if integer != (v.dtype.kind == "i"):
            raise SceneError(f"[particles] {key} must be a list of {'integers' if integer else 'numbers'}")
        return _finite_rows(v, key, n)
    kind = "integers" if integer else "numbers"
    if not isinstance(v, list):
        raise SceneError(f"[particles] {key} must be a list of {kind}, got {show(v)}")
    ok = (int,) if integer else (int, float)
    for i, x in enumerate(v):
        if type(x) not in ok:
            raise SceneError(f"[particles] {key} must be a list of {kind} (entry {i + 1} is {show(x)})")
    arr = np.array(v, dtype=np.int64 if integer else np.float64).reshape(-1)
    if not integer and not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise SceneError(f"[particles] {key} must be finite numbers (entry {i + 1} is {v[i]})")
    _check_len(key, len(arr), n)
    return arr


def _check_len(key: str, got: int, n: int | None) -> None:
    if n is not None and got != n:
        raise SceneError(f"[particles] {key} has {got} entries but pos has {n}")


def particles_from(t: dict, pot: Potential, rules: list[Rule], view: View,
                    seed: int) -> dict[str, np.ndarray] | None:
    """The particle arrays a scene asks for (validated), or None for no particles."""
    if not t:
        return None
    where = "[particles]"
    n_rules = len(rules)
    if "random" in t:
        extra = [k for k in t if k not in RANDOM_KEYS]
        if extra:
            raise SceneError(f"{where} give either random = K or pos = [...], not both (found '{extra[0]}')")
        k = get_int(t, "random", where, default=0, lo=0)
        if k > MAX_PARTICLES:
            raise SceneError(f"{where} random must be at most {MAX_PARTICLES:,}, got {k:,}")
        pseed = get_int(t, "seed", where, default=seed, lo=0, text_ok=True)
        x0, x1, y0, y1 = view_from(t["area"], where, "area") if "area" in t else view
        rid = get_int(t, "rule", where, default=0, lo=0)
        if rid >= n_rules:
            raise SceneError(_rule_range_msg(rid, n_rules))
        u = np.random.default_rng(pseed).random((k, 2))
        pos = np.column_stack([x0 + (x1 - x0) * u[:, 0], y0 + (y1 - y0) * u[:, 1]])
        return _complete({"pos": pos, "rule": np.full(k, rid, dtype=np.int64)}, pot, rules)
    for k in RANDOM_KEYS[1:3]:  # seed, area belong to random
        if k in t:
            raise SceneError(f"{where} {k} only goes with random = K")
    if "pos" not in t:
        raise SceneError(f"{where} missing pos = [[x, y], ...] (or random = K)")
    pos = _pairs(t, "pos", None)
    n = len(pos)
    if n > MAX_PARTICLES:
        raise SceneError(f"{where} at most {MAX_PARTICLES:,} particles, got {n:,}")
    out: dict[str, np.ndarray] = {"pos": pos}
    for k in PAIR_ARRAYS[1:]:
        if k in t:
            out[k] = _pairs(t, k, n)
    if "rule" in t:
        if type(t["rule"]) is int:
            rid = np.full(n, t["rule"], dtype=np.int64)
        else:
            rid = _scalars(t, "rule", n, integer=True)
        bad = rid[(rid < 0) | (rid >= n_rules)]
        if len(bad):
            raise SceneError(_rule_range_msg(int(bad[0]), n_rules))
        out["rule"] = rid
    if "status" in t:
        out["status"] = _status_from(t["status"], n)
    if "steps" in t:
        steps = _scalars(t, "steps", n, integer=True)
        if (steps < 0).any() or (steps > MAX_STEP_COUNT).any():
            raise SceneError(f"{where} steps must be from 0 to 2**53 = {MAX_STEP_COUNT:,}")
        out["steps"] = steps
    for k in ("energy0", "dissipated"):
        if k in t:
            out[k] = _scalars(t, k, n, integer=False)
    if "buffers" in t:
        out.update(_extra_buffers_from(t["buffers"], n))
    return _complete(out, pot, rules)


def _rule_range_msg(rid: int, n_rules: int) -> str:
    lanes = "" if n_rules == 1 else f", 1..{n_rules - 1} = [[lanes]]"
    return f"[particles] rule {rid} is out of range: this scene has {n_rules} rule(s) (0 = [rule]{lanes})"


def _status_from(v: Any, n: int) -> np.ndarray:
    names = {name: code for code, name in STATUS_NAMES.items()}
    msg = '[particles] status must be a list of "alive" / "diverged" / "undefined"'
    if isinstance(v, np.ndarray):  # read by sim/scene_arrays.py: indexes into STATUS_WORDS
        v = np.array(scene_arrays.STATUS_WORDS, dtype=object)[v].tolist()
    if not isinstance(v, list):
        raise SceneError(f"{msg}, got {show(v)}")
    out = np.empty(len(v), dtype=np.uint8)
    for i, s in enumerate(v):
        if isinstance(s, str) and s in names:
            out[i] = names[s]
        elif type(s) is int and s in STATUS_NAMES:
            out[i] = s
        else:
            raise SceneError(f"{msg} (entry {i + 1} is {show(s)})")
    _check_len("status", len(out), n)
    return out


def _complete(a: dict[str, np.ndarray], pot: Potential, rules: list[Rule]) -> dict[str, np.ndarray]:
    """Fill every array the scene left out with what a fresh drop would hold."""
    n = len(a["pos"])
    z2 = np.zeros((n, 2))
    a.setdefault("vel", z2.copy())
    a.setdefault("origin", a["pos"].copy())
    a.setdefault("origin_vel", a["vel"].copy())
    a.setdefault("prev", a["pos"].copy())
    for k in ("grad", "buf_a", "buf_b"):
        a.setdefault(k, z2.copy())
    a.setdefault("rule", np.zeros(n, dtype=np.int64))
    a.setdefault("status", np.zeros(n, dtype=np.uint8))
    a.setdefault("steps", np.zeros(n, dtype=np.int64))
    a.setdefault("dissipated", np.zeros(n))
    if "energy0" not in a:
        a["energy0"] = default_energy0(pot, rules, a["pos"], a["vel"], a["rule"])
    return a


def restore_particles(world: World, a: dict[str, np.ndarray]) -> None:
    """Put the arrays into the world (World.load_particles: its bookkeeping follows them)."""
    if len(a["pos"]) == 0:
        return
    try:
        world.load_particles(a)
    except ValueError as e:
        raise SceneError(f"[particles] {e}") from None
