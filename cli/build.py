"""The world from the arguments: the landscape, the rule, the checks on counts and paths."""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from cli.args import DEFAULT_POTENTIAL, MAX_STEPS, NUMERIC_PARAMS, UsageError


# --- building the world from arguments -----------------------------------------------------

def make_potential(args: argparse.Namespace):
    pot = _base_potential(args)
    return _data_potential(args, pot)


def _data_potential(args: argparse.Namespace, pot):
    """The landscape rebuilt on --data / --l2 / --plane when given (data landscapes only)."""
    given = [f"--{k}" for k in ("data", "l2", "plane", "batch") if getattr(args, k, None) is not None]
    if not given:
        return pot
    from sim.data import DATA_LANDSCAPES, make_landscape
    from sim.data.sets import DataError, load
    if pot.name not in DATA_LANDSCAPES or args.expr is not None:
        raise UsageError(f"{given[0]} goes with a data landscape: --potential {' | '.join(DATA_LANDSCAPES)}")
    if args.plane is not None and pot.name != "mlp":
        raise UsageError("--plane goes with --potential mlp")
    if args.l2 is not None and pot.name == "linreg":
        raise UsageError("--l2 goes with --potential logreg or mlp")
    if args.data is None and args.l2 is None and args.plane is None:
        return pot
    data = None
    if args.data is not None:
        try:
            data = load(args.data)
        except DataError as err:
            raise UsageError(f"--data: {err}") from None
    kw = {"l2": args.l2} if args.l2 is not None else {}
    try:
        return make_landscape(pot.name, data, plane=args.plane or "random", **kw)
    except ValueError as err:
        raise UsageError(f"--data: {err}" if data is not None and "needs" in str(err) else str(err)) from None


def _default_potential(args: argparse.Namespace) -> str:
    """--data alone picks its model: linreg for x,y data, logreg for x1,x2,label."""
    if args.potential is None and args.expr is None and getattr(args, "data", None) is not None:
        from sim.data.sets import DataError, load
        try:
            return "linreg" if load(args.data).kind == "regression" else "logreg"
        except DataError as err:
            raise UsageError(f"--data: {err}") from None
    return args.potential or DEFAULT_POTENTIAL


def _base_potential(args: argparse.Namespace):
    if args.expr is not None:
        from sim.landscapes.formula.errors import FormulaError
        from sim.landscapes.formula.potential import expression_potential
        try:
            return expression_potential(args.expr)
        except FormulaError as err:
            raise UsageError(f"--expr: {err}") from None
    from sim.data.catalog import get_potential
    try:
        return get_potential(_default_potential(args))
    except ValueError as err:
        raise UsageError(f"--potential: {err}") from None


def make_rule(args: argparse.Namespace, default: str = "gd"):
    from sim.rules.dynamics import Rule
    from sim.rules.cli import given_params
    changes: dict[str, Any] = {"name": args.dynamics or default}
    changes.update({k: v for k, v in given_params(args).items() if k != "integrator"})
    if changes["name"] == "newton_method" and args.lr is None:
        changes["lr"] = 1.0  # Newton's method: the full step
    if args.schedule is not None:
        from sim.rules.dynamics import OPTIMIZERS
        if changes["name"] not in OPTIMIZERS:
            raise UsageError(f"--schedule is for the optimizer rules ({', '.join(OPTIMIZERS)}), "
                             f"not {changes['name']}")
        changes["schedule"] = args.schedule
    if args.integrator is not None:
        if changes["name"] != "newton" and args.integrator in ("verlet", "symplectic", "euler"):
            raise UsageError(f"--integrator is for --dynamics newton, not {changes['name']}")
        changes["integrator"] = args.integrator
    try:
        return Rule(**changes)
    except ValueError as err:
        raise UsageError(str(err).replace("dynamics", "--dynamics", 1)
                         if str(err).startswith("unknown dynamics") else str(err)) from None


def with_suggested_step(args: argparse.Namespace, potential, rule):
    """(rule, step_source): the rule with the landscape's suggested step where the command line
    does not give the rule's own step (--lr, or --dt for the newton family) — the same in every
    mode — and "suggested" or "given"."""
    if getattr(args, rule.step_name, None) is not None:
        return rule, "given"
    from sim.landscapes.tuning import suggest
    return suggest(potential, rule), "suggested"


def check_steps(n: int, flag: str = "--steps") -> None:
    if n > MAX_STEPS:
        raise UsageError(f"{flag} {n:,} is beyond any run that could finish (at most {MAX_STEPS:,})")


def _name_max(folder: Path) -> int:
    """The longest file name (bytes) the folder's file system takes (255 where unknown)."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def check_writable(path: str, suffixes: tuple[str, ...], flag: str) -> Path:
    if path.endswith(("/", os.sep)) or (os.altsep and path.endswith(os.altsep)):
        raise UsageError(f"{flag}: '{path}' ends in a slash, which names a folder; give a file name")
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise UsageError(f"{flag}: '{path}' must end in {' or '.join(suffixes)}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{flag}: folder '{folder}' does not exist")
    longest = _name_max(folder)
    if len(os.fsencode(out.name)) > longest:
        raise UsageError(f"{flag}: the file name is {len(os.fsencode(out.name))} bytes long; "
                         f"this folder allows at most {longest}")
    if out.is_dir():
        raise UsageError(f"{flag}: '{path}' is a folder")
    replaces = flag != "--record"  # a path the user gave is replaced (a recording never replaces)
    if replaces and out.exists() and (not os.access(out, os.W_OK) or not out.stat().st_mode & 0o222):
        raise UsageError(f"{flag}: '{path}' is read-only; not replacing it")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".nd-check-"):
            pass
    except OSError as err:
        raise UsageError(f"{flag}: cannot write in '{folder}': {err.strerror}") from None
    return out


# --- headless simulation --------------------------------------------------------------------

def refuse_unused(args: argparse.Namespace, flags: tuple[str, ...], why: str) -> None:
    """An option that cannot apply in this mode is an error, never silently ignored."""
    for flag in flags:
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if value not in (None, False):
            raise UsageError(f"{flag} {why}")


def load_scene(args: argparse.Namespace):
    from sim.scene.schema import SceneError
    from sim.scene.presets import find_scene
    from sim.scene.io import load_scene
    if args.expr is not None or args.potential is not None or args.start or args.particles is not None \
            or any(getattr(args, k) is not None for k in ("data", "batch", "plane", "l2")):
        raise UsageError("--scene brings its own landscape and balls; drop --potential/--expr/--start/--particles "
                         "(and --data/--batch/--plane/--l2)")
    if args.seed is not None:
        raise UsageError("--scene brings its own random state; drop --seed")
    try:
        return load_scene(find_scene(args.scene))
    except SceneError as err:
        raise UsageError(f"--scene: {err}") from None


def override_scene_rule(args: argparse.Namespace, world) -> None:
    """--dynamics, --integrator and the numeric parameters given override the scene's current
    rule, validated as usual (a new --dynamics puts every ball on it, as a rule key does)."""
    from sim.rules.cli import given_params
    given = given_params(args)
    if args.dynamics is None and args.integrator is None and not given:
        return
    current = world.rule
    ns = argparse.Namespace(**vars(args))
    for name, value in current.given.items():  # the scene's other options where none is given
        if name not in (*NUMERIC_PARAMS, "integrator") and getattr(ns, name, None) is None:
            setattr(ns, name, value)
    for name in NUMERIC_PARAMS:  # the scene's values where the command line gives none
        if getattr(ns, name) is None and name != "eps":
            setattr(ns, name, getattr(current, name))
    if ns.eps is None and args.dynamics is None:
        ns.eps = current.eps
    if ns.integrator is None and (args.dynamics or current.name) == "newton":
        ns.integrator = current.integrator
    rule = make_rule(ns, default=current.name)
    if rule.family != current.family and rule.step_name not in given:
        from sim.landscapes.tuning import suggest  # another family's step is not this rule's (as Tab does)
        rule = suggest(world.potential, rule)
    if rule.name != current.name:
        world.set_rule(rule)
    else:
        world.set_params(**{k: getattr(rule, k) for k in ("integrator", *NUMERIC_PARAMS)},
                         **{k: v for k, v in rule.given.items() if k not in (*NUMERIC_PARAMS, "integrator")})
