"""A scene dict as a world, every value checked with a one-line reason."""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from sim.rules.physics.newtonian import INTEGRATORS
from sim.rules.dynamics import Rule
from sim.rules.params import check_param, param_spec, rule_keys
from sim.rules import registry
from sim.data.scene_io import KEYS, data_landscape_from
from sim.landscapes.formula.errors import FormulaError
from sim.landscapes.formula.potential import expression_potential
from sim.core.particles import MAX_STEP_COUNT
from sim.landscapes.base import Potential, View
from sim.data.catalog import POTENTIALS
from sim.core.world import World
from sim.scene.decode_particles import particles_from, restore_particles
from sim.scene.schema import FORMAT, LANDSCAPE_KEYS, MAX_LANES, PARTICLES_TABLE_KEYS, RNG_GENERATORS, SCENE_KEYS, STATE_KEYS, SceneError, SceneInfo, TABLES, VIEW3D_MODES, VIEW3D_RANGES
from sim.scene.values import check_keys, get_bool, get_float, get_int, get_str, is_number, show, suggest, table, view_from


# =============================================================================================
# Scene dict -> World
# =============================================================================================

def scene_to_world(scene: dict) -> tuple[World, SceneInfo]:
    """Check a scene dict (as `loads` returns it) and build its world. Raises SceneError."""
    if not isinstance(scene, dict):
        raise SceneError("a scene must be a TOML document of tables")
    for k in scene:
        if k not in TABLES:
            raise SceneError(f"unknown table [{k}]{suggest(k, TABLES)}; expected: "
                             + ", ".join(f"[[{t}]]" if t == "lanes" else f"[{t}]" for t in TABLES))
    meta = table(scene, "scene", SCENE_KEYS, required=False)
    fmt = get_int(meta, "format", "[scene]", default=FORMAT, lo=1)
    if fmt > FORMAT:
        raise SceneError(f"[scene] format {fmt} is from a newer Newton Descent; this one reads format {FORMAT}")
    title = get_str(meta, "title", "[scene]", default="")
    caption = get_str(meta, "caption", "[scene]", default="")
    paused = get_bool(meta, "paused", "[scene]", default=False)

    potential, view = _landscape_from(table(scene, "landscape", LANDSCAPE_KEYS, required=True))
    rules = [_rule_from(table(scene, "rule", rule_keys(), required=True), "[rule]")]
    lanes = scene.get("lanes", [])
    if not isinstance(lanes, list) or not all(isinstance(t, dict) for t in lanes):
        raise SceneError("[[lanes]] must be tables: write [[lanes]] on its own line, then name = ...")
    if len(lanes) > MAX_LANES:
        raise SceneError(f"[[lanes]] at most {MAX_LANES:,}, got {len(lanes):,}")
    for i, t in enumerate(lanes, start=1):
        where = f"[[lanes]] #{i}"
        check_keys(t, rule_keys(), where)
        rules.append(_rule_from(t, where))

    instruments = _instruments_from(scene.get("instruments", {}))
    state = table(scene, "state", STATE_KEYS, required=False)
    seed = get_int(state, "seed", "[state]", default=0, lo=0, text_ok=True)
    tick_count = get_int(state, "tick_count", "[state]", default=0, lo=0)
    if tick_count > MAX_STEP_COUNT:
        raise SceneError(f"[state] tick_count must be at most 2**53 = {MAX_STEP_COUNT:,}, got {tick_count:,}")
    time_ = get_float(state, "time", "[state]", default=0.0)

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
    arrays = particles_from(table(scene, "particles", PARTICLES_TABLE_KEYS, required=False),
                             potential, rules, view, seed)
    if arrays is not None:
        restore_particles(world, arrays)
    world.tick_count = tick_count
    world.time = time_
    cached = state.get("cached_gradients", [])
    if not (isinstance(cached, list) and all(type(r) is int and 0 <= r < len(rules) for r in cached)):
        raise SceneError(f"[state] cached_gradients must be a list of rule numbers, got {show(cached)}")
    world.book.trust_cached(cached)
    info = SceneInfo(title=title, caption=caption, view=view, instruments=instruments, paused=paused,
                     view3d=_view3d_from(scene))
    return world, info


def _landscape_from(t: dict) -> tuple[Potential, View]:
    where = "[landscape]"
    has_p, has_f = "potential" in t, "formula" in t
    if has_p == has_f:
        raise SceneError(f'{where} give exactly one of potential = "NAME" or formula = "..."'
                         + (" (both are set)" if has_p else ""))
    view = view_from(t["view"], where, "view") if "view" in t else None
    if has_p:
        name = get_str(t, "potential", where, default="")
        pot = POTENTIALS.get(name)
        if pot is None:
            raise SceneError(f"{where} unknown potential '{name}'{suggest(name, POTENTIALS)}; "
                             f"choose one of: {', '.join(POTENTIALS)}")
        pot = _data_call(data_landscape_from, name, t) or pot
    else:
        _data_call(data_landscape_from, "formula", {k: v for k, v in t.items() if k in KEYS})
        text = get_str(t, "formula", where, default="")
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
    name = get_str(t, "name", where, default="")
    if name not in names:
        raise SceneError(f"{where} unknown rule '{name}'{suggest(name, names)}; choose one of: {', '.join(names)}")
    kw: dict[str, Any] = {"name": name}
    for k in rule_keys():
        if k in ("name",) or k not in t:
            continue
        v = t[k]
        if k == "batch":
            if type(v) is not int or v < 0:
                raise SceneError(f"{where} batch must be an integer >= 0 (0: full batch), got {show(v)}")
            kw[k] = v
            continue
        if k == "integrator":
            if not isinstance(v, str) or v not in INTEGRATORS:
                raise SceneError(f"{where} integrator must be one of: {', '.join(INTEGRATORS)}; got {show(v)}")
            kw[k] = v
            continue
        if k == "schedule":
            if not isinstance(v, str):
                raise SceneError(f"{where} schedule must be text like \"step:100:0.5\", got {show(v)}")
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
        if not is_number(v):
            raise SceneError(f"{where} {k} must be a number, got {show(v)}")
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
    t = table(scene, "view3d", ("mode",) + tuple(VIEW3D_RANGES), required=False)
    mode = t.get("mode", "3d")
    if mode not in VIEW3D_MODES:
        raise SceneError(f"[view3d] mode must be one of {', '.join(VIEW3D_MODES)}, got {show(mode)}")
    out: dict[str, Any] = {"mode": mode}
    defaults = {"yaw": -28.0, "pitch": 55.0, "zoom": 1.0}
    for k, (lo, hi) in VIEW3D_RANGES.items():
        v = get_float(t, k, "[view3d]", default=defaults[k])
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
            raise SceneError(f"[instruments] {k} must be true or false, got {show(v)}")
        out[str(k)] = v
    return out


def _rng_from(t: Any, where: str = "[state] rng") -> np.random.Generator:
    if not isinstance(t, dict):
        raise SceneError(f"{where} must be a table (numpy bit_generator.state)")
    name = t.get("bit_generator")
    if name not in RNG_GENERATORS:
        raise SceneError(f"{where} bit_generator must be one of: {', '.join(RNG_GENERATORS)}; got {show(name)}")

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
