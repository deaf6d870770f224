"""A world as a scene dict: the landscape, rules, lanes, instruments, particles and the random state."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.rules.params import LEGACY_DEFAULTS, param_spec, rule_keys
from sim.rules.dynamics import Rule
from sim.data.base import DataPotential
from sim.data.scene_io import landscape_extra
from sim.landscapes.formula.potential import ExprPotential
from sim.core.particles import ALIVE, FIELDS, MAX_STEP_COUNT
from sim.landscapes.base import Potential, View
from sim.data.catalog import POTENTIALS
from sim.core.quantity import kinetic_energy, rule_masses
from sim.core.world import World
from sim.scene.schema import FORMAT, LARGEST, STATUS_NAMES, SceneError, VIEW3D_RANGES


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
    if any(r.batch for r in world.rules) and world.book.cached_rules(world.particles):  # a minibatch gradient cannot be recomputed
        scene["state"]["cached_gradients"] = world.book.cached_rules(world.particles)
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


def default_energy0(pot: Potential, rules: list[Rule], pos: np.ndarray, vel: np.ndarray,
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
            np.clip(arr, -LARGEST, LARGEST, out=arr)
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
        "energy0": default_energy0(world.potential, world.rules, a["pos"], a["vel"], a["rule"]),
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
            np.clip(arr, -LARGEST, LARGEST, out=arr)
        out[k] = {"shape": [int(d) for d in extras[k].shape[1:]], "data": arr.tolist()}
    return out
