"""Scenes: a world saved to, and read from, a human-editable TOML file. Never imports pygame.

A scene holds the landscape, the view, the rule and every parameter, extra rules (race lanes,
twins), the instruments that are on, the particles (positions, velocities, drop points, rule,
status and, for an exact continuation, every optimizer buffer), the clock and the random
generator's state. Saving a world and loading it back gives a world that continues *exactly*
as the saved one would have, bit for bit, thermal noise included.

Reading: `find_scene(name_or_path)` finds a preset lesson or a file, `load_scene(path)` gives
(world, info) with the caption, view, pause flag and instruments in `info`; `list_presets()`
names the lessons. Writing: `save_new_scene(world, path, ...)` never replaces a file. Every
failure is a `SceneError` with one line to show.

Schema (tables; every key optional unless marked *required*):

    [scene]                        # about the file; optional
    format = 1                     # schema version (files from a newer program are refused)
    title = "Gradient descent vs momentum"
    caption = "What will happen? Press Space to see."   # the "predict, then run" text
    paused = true                  # start paused (lessons do); default false

    [landscape]                    # *required*: exactly one of potential / formula
    potential = "ravine"           # a built-in (sim.potentials.POTENTIALS), or:
    # formula = "x**2 + 10*sin(y)" # the safe grammar of sim/expression.py
    view = [-4.0, 4.0, -3.0, 3.0]  # [xmin, xmax, ymin, ymax]; default: the potential's own
    # data landscapes (linreg logreg mlp) also: data, l2, plane, train_seed
    # (described in sim/data/scene_io.py)

    [rule]                         # *required*: rules[0], the current rule
    name = "gd"                    # *required*: gd momentum nesterov adagrad rmsprop adam newton langevin
    lr = 0.02                      # the rest default to sim.dynamics.Rule's defaults:
    # beta, beta2, alpha, eps, mass, friction, temperature, dt, integrator = "verlet"|"symplectic"|"euler"
    # batch = 8                    # minibatch size on data landscapes (default 0: full batch)

    [[lanes]]                      # extra rules (race lanes, twins): rules[1], rules[2], ...
    name = "momentum"              # each one a table like [rule]
    lr = 0.02

    [instruments]                  # name = true/false; the window decides which names it knows
    race = true                    # (trails arrows field race twin ledger stability basins heat)
    trails = true

    [particles]                    # either a seeded random cloud ...
    random = 200                   #   K particles uniform in `area` (default: the view)
    seed = 7                       #   placement seed (default: [state] seed)
    rule = 0                       #   every one on this rule (0 = [rule], 1.. = [[lanes]])
    # ... or explicit arrays, one row per particle (pos required, the rest optional):
    # pos = [[-3.5, 1.2], [-3.5, 1.2]]       [n, 2]
    # rule = [0, 1]                           [n] (or one integer for all)
    # vel = [[0.0, 0.0], ...]                 [n, 2], default 0
    # origin, origin_vel                      [n, 2] drop point and velocity, default pos, vel
    # status = ["alive", "diverged"]          [n], default alive
    # prev, grad, buf_a, buf_b                [n, 2] optimizer state, default pos / 0 / 0 / 0
    # steps                                   [n] integers, default 0
    # energy0, dissipated                     [n] energy ledger, default V + kinetic / 0

    [view3d]                       # the window's 3D view; optional (without it the view is left as it is)
    mode = "3d"                    # "map", "3d" or "both" (side by side); --show / --view3d override
    yaw = -28.0                    # degrees, any; pitch 8 ... 90 (90: straight above); zoom 0.25 ... 12
    pitch = 55.0
    zoom = 1.0

    [state]                        # the clock and the random generator; optional
    seed = 0                       # World seed (default 0)
    tick_count = 0
    time = 0.0
    [state.rng]                    # numpy bit_generator.state; big integers as decimal strings
    bit_generator = "PCG64"
    has_uint32 = 0
    uinteger = 0
    [state.rng.state]
    state = "35399562948360463058890781895381311971"
    inc = "87136372517582989555478159403783844777"
    # [state.run_rng]              # optional, the same form as [state.rng]: the generator at
                                   # the run's first tick, so a rewind (W) replays the same noise

Every mistake is a `SceneError` (a ValueError) with one line naming the table, the field and the
problem, e.g. `scene.toml: [rule] lr must be > 0, got -1`. Floats are written with repr() so
they read back exactly; nan and inf are never written (a diverged particle keeps its last
finite position; a non-finite optimizer buffer, which can only matter to a frozen particle,
is written as 0, or as the largest float for an alive one).
"""
from __future__ import annotations

import difflib
import errno
import math
import os
import re
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from sim import scene_arrays
from sim.dynamics import INTEGRATORS, LEGACY_DEFAULTS, Rule, check_param, param_spec, rule_keys
from sim.rules import registry
from sim.data import DataPotential
from sim.data.scene_io import KEYS, data_landscape_from, landscape_extra
from sim.expression import ExprPotential, FormulaError, expression_potential
from sim.files import atomic_write
from sim.particles import ALIVE, DIVERGED, FIELDS, MAX_PARTICLES, MAX_STEP_COUNT, UNDEFINED
from sim.potential_base import Potential, View
from sim.potentials import POTENTIALS
from sim.quantity import kinetic_energy, rule_masses
from sim.world import World

FORMAT = 1  # schema version written to [scene] format
SCENES_DIR = Path(__file__).resolve().parent.parent / "assets" / "scenes"
SUFFIX = ".toml"
BYTES_PER_BALL = 640  # the most a ball takes in a scene file (every array written, 17 digits)
MAX_SCENE_BYTES = MAX_PARTICLES * BYTES_PER_BALL + (1 << 20)  # the largest file the program writes
FAST_ARRAYS_FROM = 1 << 20  # files larger than this: particle arrays read by sim/scene_arrays.py
MAX_LANES = 1000  # [[lanes]] tables (a ball's rule index is a 16-bit integer)
MAX_TOML_BYTES = 32 << 20  # the most text (besides those arrays) given to the TOML parser
LINE_WIDTH = 96  # the writer wraps arrays longer than this
# the lessons in teaching order (Ctrl+O cycles in this order; other presets follow by name)
LESSON_ORDER = (
    "ravine_gd_vs_momentum",
    "momentum_is_newton",
    "overdamped_limit",
    "adam_rosenbrock",
    "heat_escape",
    "euler_vs_verlet",
    "himmelblau_basins",
    "force_not_momentum",
    "condition_number",
    "energy_never_rises",
    "escape_rate",
    "adam_never_settles",
    "lbfgs_few_costly_ticks",
    "newtons_method_vs_newtons_law",
    "fit_a_line",
    "sgd_is_hot",
    "network_slice",
    "marble_on_the_wall",
    "adamw_vs_l2",
    "lion_constant_speed",
    "sam_flat_minimum",
)
HEADER = "# Newton Descent scene: edit freely (the format is described in sim/scene.py)\n\n"

TABLES = ("scene", "landscape", "rule", "lanes", "instruments", "view3d", "particles", "state")
VIEW3D_MODES = ("map", "3d", "both")
VIEW3D_RANGES = {"yaw": (-1e6, 1e6), "pitch": (8.0, 90.0), "zoom": (0.25, 12.0)}
SCENE_KEYS = ("format", "title", "caption", "paused")
LANDSCAPE_KEYS = ("potential", "formula", "view", "data", "l2", "plane", "train_seed")
RULE_KEYS = rule_keys()  # at import (the live list: sim.dynamics.rule_keys())
STATE_KEYS = ("seed", "tick_count", "time", "rng", "run_rng", "cached_gradients")
RANDOM_KEYS = ("random", "seed", "area", "rule")
PAIR_ARRAYS = ("pos", "vel", "origin", "origin_vel", "prev", "grad", "buf_a", "buf_b")
SCALAR_ARRAYS = ("rule", "status", "steps", "energy0", "dissipated")
PARTICLE_KEYS = PAIR_ARRAYS + SCALAR_ARRAYS
PARTICLES_TABLE_KEYS = PARTICLE_KEYS + ("buffers", "random", "seed", "area")
STATUS_NAMES = {int(ALIVE): "alive", int(DIVERGED): "diverged", int(UNDEFINED): "undefined"}
RNG_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")
_LARGEST = float(np.finfo(np.float64).max)


class SceneError(ValueError):
    """A scene could not be read, checked or written. `str(err)` is one line."""


@dataclass
class SceneInfo:
    """What a scene says beyond the world itself: for the window to show and set."""

    title: str = ""
    caption: str = ""
    view: View = (-4.0, 4.0, -3.0, 3.0)
    instruments: dict[str, bool] = field(default_factory=dict)
    paused: bool = False
    view3d: dict | None = None  # {"mode", "yaw", "pitch", "zoom"} when the scene has [view3d]


# =============================================================================================
# World -> scene dict
# =============================================================================================

def world_to_scene(world: World, *, title: str = "", caption: str = "", view: View | None = None,
                   instruments: dict[str, bool] | None = None, paused: bool = False,
                   arrays: bool = False, view3d: dict | None = None) -> dict:
    """The scene dict (plain Python values, ready for `dumps`) that gives back `world` exactly.
    arrays=True: the particle arrays stay numpy arrays (for `scene_bytes`)."""
    scene: dict[str, Any] = {
        "scene": {"format": FORMAT, "title": str(title), "caption": str(caption), "paused": bool(paused)},
        "landscape": _landscape_to_dict(world.potential, view),
        "rule": _rule_to_dict(world.rules[0]),
    }
    if isinstance(world.potential, DataPotential):  # the data and the model's settings
        scene["landscape"].update(landscape_extra(world.potential))
    if len(world.rules) > 1:
        scene["lanes"] = [_rule_to_dict(r) for r in world.rules[1:]]
    if instruments:
        scene["instruments"] = {str(k): bool(v) for k, v in instruments.items()}
    if view3d:
        scene["view3d"] = {"mode": str(view3d["mode"]),
                           **{k: float(view3d[k]) for k in VIEW3D_RANGES}}
    if world.n:
        scene["particles"] = _particles_to_dict(world, arrays)
    scene["state"] = {
        "seed": _int_or_text(world.seed),
        "tick_count": min(int(world.tick_count), MAX_STEP_COUNT),
        "time": float(world.time),
        "rng": _rng_to_dict(world.rng.bit_generator.state),
    }
    if world.tick_count and getattr(world, "run_rng", None) is not None:  # what rewind replays
        scene["state"]["run_rng"] = _rng_to_dict(world.run_rng)
    if any(r.batch for r in world.rules) and world.cached_gradients():  # a minibatch gradient cannot be recomputed
        scene["state"]["cached_gradients"] = world.cached_gradients()
    return scene


def _landscape_to_dict(pot: Potential, view: View | None) -> dict:
    builtin = POTENTIALS.get(pot.name)
    if builtin is pot:
        out: dict[str, Any] = {"potential": pot.name}
    elif isinstance(pot, ExprPotential):
        out = {"formula": pot.formula}
    elif builtin is not None and type(builtin) is type(pot) and builtin.formula == pot.formula:
        out = {"potential": pot.name}  # a copy of a built-in (e.g. with another view)
    else:
        raise SceneError(f"[landscape] cannot save potential '{pot.name}': neither built in nor a formula")
    v = tuple(float(t) for t in (view if view is not None else pot.view))
    if not all(math.isfinite(t) for t in v) or len(v) != 4:
        raise SceneError(f"[landscape] view must be four finite numbers, got {view!r}")
    out["view"] = list(v)
    return out


def _rule_to_dict(r: Rule) -> dict:
    """Every parameter (a later switch of rule keeps them); the ones this rule reads first;
    another rule's parameters only where the user set them."""
    out: dict[str, Any] = {}
    own = r.spec.param_names
    for k in ("name", *own, *rule_keys()):
        if k in out:
            continue
        if k not in ("name", "schedule", "batch") and k not in own and k not in LEGACY_DEFAULTS \
                and not r.is_set(k):
            continue
        v = getattr(r, k)
        if v is None or (k == "schedule" and v == "constant") or (k == "batch" and not v):
            continue  # eps: torch's default; a constant schedule; full batch
        if k == "batch":
            out[k] = int(v)
            continue
        if isinstance(v, (str, bool)):
            out[k] = v
        elif isinstance(v, tuple):
            out[k] = [float(t) for t in v]
        elif isinstance(v, int) and (p := param_spec(k, r.name)) is not None and p.kind is int:
            out[k] = int(v)
        else:
            out[k] = float(v)
    return out


def _int_or_text(v: int) -> int | str:
    """TOML integers are 64-bit: larger ones are written as decimal strings."""
    v = int(v)
    return v if -(2**63) <= v < 2**63 else str(v)


def _rng_to_dict(state: Any, depth: int = 0) -> Any:
    """numpy's bit_generator.state; the generator's own integers (one table down: PCG64's
    128-bit state and inc) as decimal strings, the small bookkeeping ones as integers."""
    if isinstance(state, dict):
        return {str(k): _rng_to_dict(v, depth + 1) for k, v in state.items()}
    if isinstance(state, np.ndarray):
        return [str(int(t)) for t in state.ravel()]
    if isinstance(state, (bool, np.bool_)):
        return bool(state)
    if isinstance(state, (int, np.integer)):
        return str(int(state)) if depth > 1 else _int_or_text(int(state))
    if isinstance(state, (float, np.floating)):
        return float(state)
    return str(state)


def _bits_equal(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()


def _default_energy0(pot: Potential, rules: list[Rule], pos: np.ndarray, vel: np.ndarray,
                     rule: np.ndarray) -> np.ndarray:
    """Energy at drop, as World.drop computes it: V(pos) + 1/2 m |vel|^2 (m = 0 for optimizers)."""
    with np.errstate(all="ignore"):
        return pot.value(pos) + kinetic_energy(vel, rule_masses(rules, rule))


def _particles_to_dict(world: World, arrays: bool = False) -> dict:
    """Every per-particle array that differs from what loading would assume (bit for bit)."""
    p = world.particles
    a = {k: getattr(p, k).copy() for k in FIELDS}
    # a step count beyond MAX_STEP_COUNT (2**53 ticks: never in practice) is saved as the
    # limit, so every file the program writes is one it reads (Adam's bias correction is
    # exactly 1 long before; a schedule has long reached its end)
    np.minimum(a["steps"], MAX_STEP_COUNT, out=a["steps"])
    diverged = a["status"] != ALIVE
    for k in ("pos", "vel", "origin", "origin_vel", "prev", "grad", "buf_a", "buf_b",
              "energy0", "dissipated"):
        arr = a[k]
        bad = ~np.isfinite(arr)
        if bad.any():  # frozen particles' buffers are never read again; clamp the rest
            rows = diverged[:, None] if arr.ndim == 2 else diverged
            arr[bad & np.broadcast_to(rows, arr.shape)] = 0.0
            arr[np.isnan(arr)] = 0.0
            np.clip(arr, -_LARGEST, _LARGEST, out=arr)
    out: dict[str, Any] = {"pos": a["pos"] if arrays else a["pos"].tolist()}
    defaults = {
        "rule": np.zeros_like(a["rule"]),
        "vel": np.zeros_like(a["vel"]),
        "origin": a["pos"],
        "origin_vel": a["vel"],
        "status": np.zeros_like(a["status"]),
        "prev": a["pos"],
        "grad": np.zeros_like(a["grad"]),
        "buf_a": np.zeros_like(a["buf_a"]),
        "buf_b": np.zeros_like(a["buf_b"]),
        "steps": np.zeros_like(a["steps"]),
        "energy0": _default_energy0(world.potential, world.rules, a["pos"], a["vel"], a["rule"]),
        "dissipated": np.zeros_like(a["dissipated"]),
    }
    for k in ("rule", "vel", "origin", "origin_vel", "status", "prev", "grad", "buf_a", "buf_b",
              "steps", "energy0", "dissipated"):
        if _bits_equal(a[k], defaults[k]):
            continue
        if k == "status":
            names = np.array([STATUS_NAMES.get(i, "diverged") for i in range(256)], dtype=object)
            out[k] = names[a[k]].tolist()
        else:
            out[k] = a[k] if arrays else a[k].tolist()
    bufs = _extra_buffers_to_dict(p, diverged)
    if bufs:
        out["buffers"] = bufs
    return out


def _extra_buffers_to_dict(p: Any, diverged: np.ndarray) -> dict:
    """The rules' extra buffers ("<rule>:<buffer>" -> {shape, data [n][prod(shape)]}), those
    not all zero (a fresh buffer is zero)."""
    if hasattr(p, "extra_names"):
        extras = {k: p.full(k)[: p.n] for k in p.extra_names()}
    else:  # a snapshot (sim/scene_save.py)
        extras = getattr(p, "extras", {})
    out = {}
    for k, arr in extras.items():
        if not arr.any():
            continue
        arr = np.array(arr, dtype=np.float64).reshape(len(arr), -1)
        bad = ~np.isfinite(arr)
        if bad.any():  # as the other buffers: frozen rows never read again; clamp the rest
            arr[bad & diverged[:, None]] = 0.0
            arr[np.isnan(arr)] = 0.0
            np.clip(arr, -_LARGEST, _LARGEST, out=arr)
        out[k] = {"shape": [int(d) for d in extras[k].shape[1:]], "data": arr.tolist()}
    return out


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
            raise SceneError(f"{where} {k} shape must be a list of whole numbers, got {_show(shape)}")
        size = int(np.prod(shape, dtype=np.int64))
        data = v["data"]
        if not isinstance(data, list) or len(data) != n or not all(
                isinstance(row, list) and len(row) == size and all(_is_number(x) for x in row) for row in data):
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


# =============================================================================================
# Scene dict -> World
# =============================================================================================

def scene_to_world(scene: dict) -> tuple[World, SceneInfo]:
    """Check a scene dict (as `loads` returns it) and build its world. Raises SceneError."""
    if not isinstance(scene, dict):
        raise SceneError("a scene must be a TOML document of tables")
    for k in scene:
        if k not in TABLES:
            raise SceneError(f"unknown table [{k}]{_suggest(k, TABLES)}; expected: "
                             + ", ".join(f"[[{t}]]" if t == "lanes" else f"[{t}]" for t in TABLES))
    meta = _table(scene, "scene", SCENE_KEYS, required=False)
    fmt = _get_int(meta, "format", "[scene]", default=FORMAT, lo=1)
    if fmt > FORMAT:
        raise SceneError(f"[scene] format {fmt} is from a newer Newton Descent; this one reads format {FORMAT}")
    title = _get_str(meta, "title", "[scene]", default="")
    caption = _get_str(meta, "caption", "[scene]", default="")
    paused = _get_bool(meta, "paused", "[scene]", default=False)

    potential, view = _landscape_from(_table(scene, "landscape", LANDSCAPE_KEYS, required=True))
    rules = [_rule_from(_table(scene, "rule", rule_keys(), required=True), "[rule]")]
    lanes = scene.get("lanes", [])
    if not isinstance(lanes, list) or not all(isinstance(t, dict) for t in lanes):
        raise SceneError("[[lanes]] must be tables: write [[lanes]] on its own line, then name = ...")
    if len(lanes) > MAX_LANES:
        raise SceneError(f"[[lanes]] at most {MAX_LANES:,}, got {len(lanes):,}")
    for i, t in enumerate(lanes, start=1):
        where = f"[[lanes]] #{i}"
        _check_keys(t, rule_keys(), where)
        rules.append(_rule_from(t, where))

    instruments = _instruments_from(scene.get("instruments", {}))
    state = _table(scene, "state", STATE_KEYS, required=False)
    seed = _get_int(state, "seed", "[state]", default=0, lo=0, text_ok=True)
    tick_count = _get_int(state, "tick_count", "[state]", default=0, lo=0)
    if tick_count > MAX_STEP_COUNT:
        raise SceneError(f"[state] tick_count must be at most 2**53 = {MAX_STEP_COUNT:,}, got {tick_count:,}")
    time_ = _get_float(state, "time", "[state]", default=0.0)

    world = World(potential, rules[0], seed=seed)
    for r in rules[1:]:
        world.add_rule(r)
    if "rng" in state:
        world.rng = _rng_from(state["rng"])
    if "run_rng" in state:  # the stream at the run's first tick: rewind replays the same noise
        run = _rng_from(state["run_rng"], "[state] run_rng").bit_generator.state
        if run["bit_generator"] != world.rng.bit_generator.state["bit_generator"]:
            raise SceneError(f"[state] run_rng bit_generator must be the rng's, "
                             f"{world.rng.bit_generator.state['bit_generator']}; got {run['bit_generator']}")
        world.run_rng = run
    arrays = _particles_from(_table(scene, "particles", PARTICLES_TABLE_KEYS, required=False),
                             potential, rules, view, seed)
    if arrays is not None:
        _restore_particles(world, arrays)
    world.tick_count = tick_count
    world.time = time_
    cached = state.get("cached_gradients", [])
    if not (isinstance(cached, list) and all(type(r) is int and 0 <= r < len(rules) for r in cached)):
        raise SceneError(f"[state] cached_gradients must be a list of rule numbers, got {_show(cached)}")
    world.restore_cached_gradients(cached)
    info = SceneInfo(title=title, caption=caption, view=view, instruments=instruments, paused=paused,
                     view3d=_view3d_from(scene))
    return world, info


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _table(scene: dict, name: str, keys: tuple[str, ...], required: bool) -> dict:
    if name not in scene:
        if required:
            raise SceneError(f"missing table [{name}]")
        return {}
    t = scene[name]
    if not isinstance(t, dict):
        raise SceneError(f"[{name}] must be a table: write [{name}] on its own line, then key = value lines")
    _check_keys(t, keys, f"[{name}]")
    return t


def _check_keys(t: dict, keys: tuple[str, ...], where: str) -> None:
    for k in t:
        if k not in keys:
            raise SceneError(f"{where} unknown key '{k}'{_suggest(k, keys)}; expected one of: {', '.join(keys)}")



def _is_number(v: Any) -> bool:
    return type(v) in (int, float)


def _get_float(t: dict, key: str, where: str, default: float) -> float:
    if key not in t:
        return default
    v = t[key]
    if not _is_number(v) or not math.isfinite(v):
        raise SceneError(f"{where} {key} must be a finite number, got {_show(v)}")
    return float(v)


def _get_int(t: dict, key: str, where: str, default: int, lo: int | None = None,
             text_ok: bool = False) -> int:
    if key not in t:
        return default
    v = t[key]
    if text_ok and isinstance(v, str) and re.fullmatch(r"-?[0-9]+", v.strip()):
        v = int(v)
    if type(v) is not int:
        raise SceneError(f"{where} {key} must be an integer, got {_show(v)}")
    if lo is not None and v < lo:
        raise SceneError(f"{where} {key} must be >= {lo}, got {v}")
    return v


def _get_str(t: dict, key: str, where: str, default: str) -> str:
    if key not in t:
        return default
    v = t[key]
    if not isinstance(v, str):
        raise SceneError(f"{where} {key} must be a string in quotes, got {_show(v)}")
    return v


def _get_bool(t: dict, key: str, where: str, default: bool) -> bool:
    if key not in t:
        return default
    v = t[key]
    if not isinstance(v, bool):
        raise SceneError(f"{where} {key} must be true or false, got {_show(v)}")
    return v


def _show(v: Any) -> str:
    """A short rendering of a bad value for a message."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, dict)):
        text = repr(v)
        return (text[:40] + "...") if len(text) > 43 else text
    return repr(v) if isinstance(v, str) else str(v)


def _view_from(v: Any, where: str, key: str) -> View:
    msg = f"{where} {key} must be [xmin, xmax, ymin, ymax] (four numbers), got {_show(v)}"
    if not isinstance(v, list) or len(v) != 4 or not all(_is_number(t) for t in v):
        raise SceneError(msg)
    x0, x1, y0, y1 = (float(t) for t in v)
    if not all(math.isfinite(t) for t in (x0, x1, y0, y1)):
        raise SceneError(f"{where} {key} must be finite, got {_show(v)}")
    if not (x0 < x1 and y0 < y1):
        raise SceneError(f"{where} {key} needs xmin < xmax and ymin < ymax, got {_show(v)}")
    return (x0, x1, y0, y1)


def _landscape_from(t: dict) -> tuple[Potential, View]:
    where = "[landscape]"
    has_p, has_f = "potential" in t, "formula" in t
    if has_p == has_f:
        raise SceneError(f'{where} give exactly one of potential = "NAME" or formula = "..."'
                         + (" (both are set)" if has_p else ""))
    view = _view_from(t["view"], where, "view") if "view" in t else None
    if has_p:
        name = _get_str(t, "potential", where, default="")
        pot = POTENTIALS.get(name)
        if pot is None:
            raise SceneError(f"{where} unknown potential '{name}'{_suggest(name, POTENTIALS)}; "
                             f"choose one of: {', '.join(POTENTIALS)}")
        pot = _data_call(data_landscape_from, name, t) or pot
    else:
        _data_call(data_landscape_from, "formula", {k: v for k, v in t.items() if k in KEYS})
        text = _get_str(t, "formula", where, default="")
        try:
            pot = expression_potential(text, view)
        except FormulaError as e:
            raise SceneError(f"{where} formula: {e}") from None
        except ValueError as e:
            raise SceneError(f"{where} {e}") from None
    return pot, (view if view is not None else tuple(float(v) for v in pot.view))


def _data_call(f, *args):
    """A sim.data.scene_io reader; its ValueError becomes a SceneError on [landscape]."""
    try:
        return f(*args)
    except ValueError as e:
        msg = str(e)
        raise SceneError(msg if msg.startswith("[landscape") else f"[landscape] {msg}") from None


def _rule_from(t: dict, where: str) -> Rule:
    names = registry.names()
    if "name" not in t:
        raise SceneError(f"{where} missing required key 'name' (one of: {', '.join(names)})")
    name = _get_str(t, "name", where, default="")
    if name not in names:
        raise SceneError(f"{where} unknown rule '{name}'{_suggest(name, names)}; choose one of: {', '.join(names)}")
    kw: dict[str, Any] = {"name": name}
    for k in rule_keys():
        if k in ("name",) or k not in t:
            continue
        v = t[k]
        if k == "batch":
            if type(v) is not int or v < 0:
                raise SceneError(f"{where} batch must be an integer >= 0 (0: full batch), got {_show(v)}")
            kw[k] = v
            continue
        if k == "integrator":
            if not isinstance(v, str) or v not in INTEGRATORS:
                raise SceneError(f"{where} integrator must be one of: {', '.join(INTEGRATORS)}; got {_show(v)}")
            kw[k] = v
            continue
        if k == "schedule":
            if not isinstance(v, str):
                raise SceneError(f"{where} schedule must be text like \"step:100:0.5\", got {_show(v)}")
            kw[k] = v
            continue
        spec = param_spec(k, name)
        if spec is not None and spec.kind is not float:
            try:
                kw[k] = spec.check(tuple(v) if isinstance(v, list) else v)
            except ValueError as e:
                msg = str(e).split(" ", 1)[1] if str(e).startswith("--") else str(e)
                raise SceneError(f"{where} {k} {msg}") from None
            continue
        if not _is_number(v):
            raise SceneError(f"{where} {k} must be a number, got {_show(v)}")
        try:
            kw[k] = check_param(k, float(v), name)
        except ValueError as e:
            msg = str(e)
            pre = f"--{k.replace('_', '-')} "
            msg = msg[len(pre):] if msg.startswith(pre) else msg
            raise SceneError(f"{where} {k} {msg}") from None
    try:
        return Rule(**kw)
    except ValueError as e:
        raise SceneError(f"{where} {e}") from None


def _view3d_from(scene: dict) -> dict | None:
    """[view3d]: the mode and the camera, checked; None without the table."""
    if "view3d" not in scene:
        return None
    t = _table(scene, "view3d", ("mode",) + tuple(VIEW3D_RANGES), required=False)
    mode = t.get("mode", "3d")
    if mode not in VIEW3D_MODES:
        raise SceneError(f"[view3d] mode must be one of {', '.join(VIEW3D_MODES)}, got {_show(mode)}")
    out: dict[str, Any] = {"mode": mode}
    defaults = {"yaw": -28.0, "pitch": 55.0, "zoom": 1.0}
    for k, (lo, hi) in VIEW3D_RANGES.items():
        v = _get_float(t, k, "[view3d]", default=defaults[k])
        if not lo <= v <= hi:
            raise SceneError(f"[view3d] {k} must be in [{lo:g}, {hi:g}], got {v:g}")
        out[k] = v
    return out


def _instruments_from(t: Any) -> dict[str, bool]:
    if not isinstance(t, dict):
        raise SceneError("[instruments] must be a table of name = true/false")
    out = {}
    for k, v in t.items():
        if not isinstance(v, bool):
            raise SceneError(f"[instruments] {k} must be true or false, got {_show(v)}")
        out[str(k)] = v
    return out


def _rng_from(t: Any, where: str = "[state] rng") -> np.random.Generator:
    if not isinstance(t, dict):
        raise SceneError(f"{where} must be a table (numpy bit_generator.state)")
    name = t.get("bit_generator")
    if name not in RNG_GENERATORS:
        raise SceneError(f"{where} bit_generator must be one of: {', '.join(RNG_GENERATORS)}; got {_show(name)}")

    def ints(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: ints(x) for k, x in v.items()}
        if isinstance(v, list):
            return np.array([ints(x) for x in v], dtype=np.uint32 if name == "MT19937" else np.uint64)
        if isinstance(v, str) and re.fullmatch(r"-?[0-9]+", v):
            return int(v)
        return v

    bg = getattr(np.random, name)()
    try:
        bg.state = ints(t)
    except (ValueError, TypeError, KeyError, OverflowError) as e:
        raise SceneError(f"{where}: not a valid {name} state ({type(e).__name__}: {e})".splitlines()[0]) from None
    return np.random.Generator(bg)


def _pairs(t: dict, key: str, n: int | None) -> np.ndarray:
    """[[x, y], ...] -> float64 [n, 2], every entry a finite number."""
    v = t[key]
    if isinstance(v, np.ndarray):  # read by sim/scene_arrays.py: float64 [n, 2]
        return _finite_rows(v, key, n)
    msg = f"[particles] {key} must be a list of [x, y] pairs"
    if not isinstance(v, list):
        raise SceneError(f"{msg}, got {_show(v)}")
    for i, row in enumerate(v):
        if type(row) is not list or len(row) != 2 or type(row[0]) not in (int, float) \
                or type(row[1]) not in (int, float):
            raise SceneError(f"{msg} (entry {i + 1} is {_show(row)})")
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
        raise SceneError(f"[particles] {key} must be a list of {kind}, got {_show(v)}")
    ok = (int,) if integer else (int, float)
    for i, x in enumerate(v):
        if type(x) not in ok:
            raise SceneError(f"[particles] {key} must be a list of {kind} (entry {i + 1} is {_show(x)})")
    arr = np.array(v, dtype=np.int64 if integer else np.float64).reshape(-1)
    if not integer and not np.isfinite(arr).all():
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise SceneError(f"[particles] {key} must be finite numbers (entry {i + 1} is {v[i]})")
    _check_len(key, len(arr), n)
    return arr


def _check_len(key: str, got: int, n: int | None) -> None:
    if n is not None and got != n:
        raise SceneError(f"[particles] {key} has {got} entries but pos has {n}")


def _particles_from(t: dict, pot: Potential, rules: list[Rule], view: View,
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
        k = _get_int(t, "random", where, default=0, lo=0)
        if k > MAX_PARTICLES:
            raise SceneError(f"{where} random must be at most {MAX_PARTICLES:,}, got {k:,}")
        pseed = _get_int(t, "seed", where, default=seed, lo=0, text_ok=True)
        x0, x1, y0, y1 = _view_from(t["area"], where, "area") if "area" in t else view
        rid = _get_int(t, "rule", where, default=0, lo=0)
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
        raise SceneError(f"{msg}, got {_show(v)}")
    out = np.empty(len(v), dtype=np.uint8)
    for i, s in enumerate(v):
        if isinstance(s, str) and s in names:
            out[i] = names[s]
        elif type(s) is int and s in STATUS_NAMES:
            out[i] = s
        else:
            raise SceneError(f"{msg} (entry {i + 1} is {_show(s)})")
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
        a["energy0"] = _default_energy0(pot, rules, a["pos"], a["vel"], a["rule"])
    return a


def _restore_particles(world: World, a: dict[str, np.ndarray]) -> None:
    """Put the arrays into the world (World.load_particles: its bookkeeping follows them)."""
    if len(a["pos"]) == 0:
        return
    try:
        world.load_particles(a)
    except ValueError as e:
        raise SceneError(f"[particles] {e}") from None


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


class _RawToml(str):
    """TOML text already written (a big particle array, see `scene_bytes`)."""


def _toml_value(v: Any, indent: str = "") -> str:
    if isinstance(v, _RawToml):
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


# =============================================================================================
# Files
# =============================================================================================

def load_scene(path: str | os.PathLike) -> tuple[World, SceneInfo]:
    """Read, check and build a scene file. Raises SceneError: `<file name>: <problem>`."""
    path = Path(path)
    name = path.name or str(path)
    try:
        if path.stat().st_size > MAX_SCENE_BYTES:
            raise SceneError(f"{name}: larger than {MAX_SCENE_BYTES // 2**20:,} MiB "
                             f"(a scene of {MAX_PARTICLES:,} balls is smaller); not a scene file")
        data = path.read_bytes()
    except OSError as e:
        raise SceneError(f"{name}: cannot read: {e.strerror or e}") from None
    try:
        return scene_to_world(_parse_file(data))
    except SceneError as e:
        raise SceneError(f"{name}: {e}") from None


def _parse_file(data: bytes) -> dict:
    """A scene file's bytes -> the scene dict; big particle arrays as numpy arrays."""
    arrays: dict[str, np.ndarray] = {}
    if len(data) > FAST_ARRAYS_FROM:
        try:
            data, arrays = scene_arrays.extract(data)
        except scene_arrays.ArrayError as e:
            raise SceneError(f"[particles] {e}") from None
    if len(data) > MAX_TOML_BYTES:
        raise SceneError(f"{len(data) / 2**20:,.0f} MiB of TOML besides the particle arrays read "
                         f"fast (at most {MAX_TOML_BYTES // 2**20} MiB): write big arrays in [particles] "
                         f"as saved scenes do, one [x, y] per line, no comments inside")
    if data.startswith(b"\xef\xbb\xbf"):
        raise SceneError("the file starts with a byte order mark (BOM), which TOML does not allow: "
                         "save it as UTF-8 without BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SceneError(f"not UTF-8 text (bad byte at offset {e.start})") from None
    scene = loads(text)
    if arrays:
        t = scene.get("particles")
        if not isinstance(t, dict):
            raise SceneError("[particles] must be a table")
        for k, v in arrays.items():
            if k in t:
                raise SceneError(f"[particles] {k} is given twice")
            t[k] = v
    return scene


def save_scene(world: World, path: str | os.PathLike, *, title: str = "", caption: str = "",
               view: View | None = None, instruments: dict[str, bool] | None = None,
               paused: bool = False, view3d: dict | None = None) -> Path:
    """Write `world` to `path` atomically (temp file in the same folder, fsync, rename).

    On any failure the old file (if any) is intact, no temp file is left, and a SceneError
    says `<file name>: cannot save: <reason>`. Returns the path written.
    """
    path = Path(path)
    data = scene_bytes(world, path, title=title, caption=caption, view=view,
                       instruments=instruments, paused=paused, view3d=view3d)
    _atomic_write(path, data)
    return path


def save_new_scene(world: World, path: str | os.PathLike, *, title: str = "", caption: str = "",
                   view: View | None = None, instruments: dict[str, bool] | None = None,
                   paused: bool = False, view3d: dict | None = None) -> Path:
    """Like `save_scene`, but never replaces a file: the scene goes to `path`, or to the first
    free `stem-1.toml`, `stem-2.toml`, ... (decided at the moment of publishing, so two savers
    never take the same name). Returns the path written; SceneError on failure (nothing left)."""
    data = scene_bytes(world, Path(path), title=title, caption=caption, view=view,
                       instruments=instruments, paused=paused, view3d=view3d)
    return write_new_scene(path, data)


def scene_bytes(world: World, path: Path, *, progress: Callable[[float], None] | None = None,
                **meta: Any) -> bytes:
    """The file `save_scene` writes for `world` (or a snapshot of it, see sim/scene_save.py),
    as bytes. `meta`: world_to_scene's title, caption, view, instruments, paused. `progress`
    gets the fraction done (0..1) as the particle arrays are written. SceneError on failure."""
    name = path.name or str(path)
    try:
        scene = world_to_scene(world, arrays=True, **meta)
        parts = scene.get("particles", {})
        total = max(1, sum(len(v) for v in parts.values()))
        done = [0]

        def rows(k: int) -> None:
            done[0] += k
            if progress is not None:
                progress(min(1.0, done[0] / total))

        for k, v in parts.items():
            if k == "buffers":  # the rules' extra buffers: plain lists, written as TOML
                continue
            if isinstance(v, np.ndarray) and v.ndim == 2:
                parts[k] = _RawToml(scene_arrays.pairs_text(v, rows))
            elif isinstance(v, np.ndarray):
                parts[k] = _RawToml(scene_arrays.scalars_text(v, rows))
            else:  # status: a list of names
                parts[k] = _RawToml(scene_arrays.words_text(v))
                rows(len(v))
        return (HEADER + dumps(scene)).encode("utf-8")
    except (ValueError, TypeError) as e:  # SceneError is a ValueError
        msg = str(e)
        raise SceneError(msg if msg.startswith(f"{name}: ") else f"{name}: cannot save: {msg}") from None


def write_new_scene(path: str | os.PathLike, data: bytes) -> Path:
    """Write a scene file's bytes as `save_new_scene` does (never over a file). Returns the path."""
    return _atomic_write(Path(path), data, replace=False)


def _atomic_write(path: Path, data: bytes, replace: bool = True) -> Path:
    try:
        return atomic_write(path, data, replace=replace)
    except OSError as e:
        raise SceneError(f"{path.name}: cannot save: {e.strerror or e}") from None


# =============================================================================================
# Presets
# =============================================================================================

def _preset_files() -> list[Path]:
    files = sorted(SCENES_DIR.glob(f"*{SUFFIX}")) if SCENES_DIR.is_dir() else []
    rank = {name: i for i, name in enumerate(LESSON_ORDER)}
    return sorted(files, key=lambda f: (rank.get(f.stem, len(rank)), f.stem))


def list_presets() -> list[tuple[str, str]]:
    """(name, title) of every preset in assets/scenes, lessons first in teaching order."""
    out = []
    for f in _preset_files():
        try:
            title = tomllib.loads(f.read_text(encoding="utf-8")).get("scene", {}).get("title", "")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
            title = "(unreadable)"
        out.append((f.stem, str(title)))
    return out


def _broken_link(p: Path) -> str:
    """Why a symbolic link leads to no file: a loop, or a target that is not there."""
    try:
        p.resolve(strict=True)
    except RuntimeError:  # Python < 3.13: "Symlink loop"
        return "loops back on itself"
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "loops back on itself"
        return f"points to {os.readlink(p)!r}, which does not exist"
    return "leads to no file"


def find_scene(name_or_path: str | os.PathLike) -> Path:
    """A scene file: the path itself if it exists, else the preset of that name. SceneError if neither."""
    text = os.fspath(name_or_path)
    p = Path(text).expanduser()
    if p.is_file():
        return p
    stem = text[: -len(SUFFIX)] if text.endswith(SUFFIX) else text
    if stem and "/" not in stem and os.sep not in stem:
        cand = SCENES_DIR / f"{stem}{SUFFIX}"
        if cand.is_file():
            return cand
    names = [f.stem for f in _preset_files()]
    if p.exists():
        raise SceneError(f"{text}: not a scene file (a folder?)")
    if p.is_symlink():
        why = _broken_link(p)
        raise SceneError(f"{text}: a symbolic link that {why}")
    raise SceneError(f"no scene file or preset named '{text}'{_suggest(stem, names)}; "
                     f"presets: {', '.join(names) or '(none found)'}")
