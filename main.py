"""Newton Descent: gradient descent is Newton's second law in disguise.

Three modes (see `python main.py --help`):
  window     (default)             the interactive program
  --headless --frames N            the same loop offscreen; prints the fps it reached
  --headless --steps N --dump F    simulation only (never imports pygame); writes a dump
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn, Sequence

import numpy as np

PROG = "newton-descent"
DEFAULT_SIZE = (1280, 800)
DEFAULT_POTENTIAL = "himmelblau"
MAX_RECORDS_DEFAULT = 1000  # default --every keeps at most this many records (+ the last)
MAX_DUMP_BYTES = 4e9  # refuse (before the run) a dump whose arrays would pass this
TICK_WORK = 2_000_000  # ball-ticks between progress updates of a --steps run
MAX_STEPS = 10**12  # --steps beyond this could never finish (a million ticks a second: 12 days)
INSTRUMENTS = ("trails", "arrows", "field", "help", "race", "twin", "ledger", "stability", "basins", "heat",
               "controls", "timeline", "data",
               "plane", "phase", "edge", "breaks", "modified", "3d", "map+3d")
STATUS_NAMES = ("alive", "diverged", "undefined")  # by sim.particles status code
NUMERIC_PARAMS = ("lr", "beta", "beta2", "alpha", "eps", "mass", "friction", "temperature", "dt")


class UsageError(Exception):
    """Bad input from the command line: one line for stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    _argv: list[str] = []

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        self._argv = list(sys.argv[1:] if args is None else args)
        return super().parse_args(args, namespace)

    def error(self, message: str) -> NoReturn:  # one clear line, status 2 (argparse's own code)
        m = re.match(r"argument (--[\w-]+)(?:/[^:]*)?: expected one argument", message)
        if m and m.group(1) in self._argv:
            flag = m.group(1)
            i = len(self._argv) - 1 - self._argv[::-1].index(flag)
            nxt = self._argv[i + 1] if i + 1 < len(self._argv) else None
            if nxt is not None and nxt.startswith("-"):
                raise UsageError(f"{flag}: a value that starts with '-' is read as an option; "
                                 f"join it with '=': {flag}={nxt}")
        raise UsageError(message)


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number")
    return value


def _number_or_pair(text: str) -> float | tuple[float, float]:
    """--eps: one number, or A,B for a rule whose eps is a pair (adafactor's (eps1, eps2))."""
    if "," in text:
        from sim.rules.cli import parse_pair
        return parse_pair(text)
    return _number(text)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must not be negative")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"'{text}' must be from 0 to 2**63 - 1")
    return value


def _point(text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"'{text}' is not X,Y (two numbers and a comma)")
    try:
        x, y = float(parts[0]), float(parts[1])
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not X,Y (two numbers and a comma)") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite point")
    return x, y


def _angles(text: str) -> tuple[float, float]:
    from render.view3d.camera import PITCH_MAX, PITCH_MIN  # numpy only: --steps stays pygame-free

    parts = text.split(",")
    try:
        yaw, pitch = (float(t) for t in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not YAW,PITCH (two numbers in degrees and a comma)") from None
    if not (math.isfinite(yaw) and math.isfinite(pitch)):
        raise argparse.ArgumentTypeError(f"'{text}' is not two finite angles")
    if not PITCH_MIN <= pitch <= PITCH_MAX:
        raise argparse.ArgumentTypeError(f"pitch {pitch:g} is out of range ({PITCH_MIN:g} .. {PITCH_MAX:g} degrees)")
    return yaw, pitch


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(t) for t in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not WIDTHxHEIGHT, e.g. 1280x800") from None
    if not (320 <= w <= 8192 and 240 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"'{text}' is out of range (320x240 .. 8192x8192)")
    return w, h


def _rule_lines() -> str:
    """One help line per registered rule, from its spec (Tab order)."""
    from sim.rules import registry
    specs = registry.specs().values()
    width = max(len(s.name) for s in specs) + 2
    return "\n".join(f"  {s.name:<{width}}{s.summary}" for s in specs)


def _epilog() -> str:
    """The help's closing text: every landscape and rule, the exact update rules, examples,
    the dump's keys."""
    from sim.potentials import POTENTIALS
    from sim.rules import registry
    RULES = registry.names()

    return f"""potentials: {', '.join(POTENTIALS)}
dynamics:   {', '.join(RULES)}

rules (one tick, per ball; g = grad V(x)):
{_rule_lines()}

schedules (--schedule, optimizer rules, per ball from its drop; torch.optim.lr_scheduler):
  constant | step:K:G (StepLR) | cosine:T (CosineAnnealingLR, eta_min 0) | warmup:K (LinearLR 1/K -> 1)

examples:
  python main.py                                       open the window
  python main.py --potential rosenbrock --dynamics adam --lr 0.05
  python main.py --headless --potential rosenbrock --dynamics momentum --lr 1e-3 \\
      --start=-1.5,2 --steps 2000 --every 10 --dump out.json
  python main.py --headless --expr "sin(x)*cos(y) + 0.1*(x**2+y**2)" --dynamics newton \\
      --particles 100 --seed 1 --steps 500 --dump out.npz
  python main.py --headless --frames 300 --particles 100000 --screenshot shot.png
  python main.py --headless --potential linreg --data pts.csv --dynamics gd --batch 8 \\
      --particles 100 --seed 1 --steps 2000 --dump out.npz

step size: where --lr (or --dt for newton, langevin, nesterov_ode) is not given, every
mode uses the landscape's suggested step (sim/tuning.py); the dump's step_source says which
was used: "suggested" or "given" ("scene": the --scene's own).

dump keys: potential, dynamics, params, step_source, seed, steps, ticks, positions [records][particles][2],
values [records][particles], velocities (newton, langevin), status (alive|diverged|undefined:
V or grad V not finite where the ball stopped);
on data landscapes also batch, data and loss [records] (the alive balls' mean loss).
Bad input prints one line to stderr and exits with status 2."""


def build_parser() -> argparse.ArgumentParser:
    from sim.dynamics import INTEGRATORS

    p = _Parser(
        prog="main.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Newton Descent: balls rolling on a loss landscape, moved by an optimizer "
        "rule or by Newton's law.\nWith no options it opens the window.",
        epilog=_epilog(),
    )
    mode = p.add_argument_group("mode")
    mode.add_argument("--headless", action="store_true", help="no window: use with --steps or --frames")
    mode.add_argument("--steps", type=_count, metavar="N", help="simulate N ticks (no pygame) and --dump")
    mode.add_argument("--frames", type=_count, metavar="N", help="run the window loop offscreen for N frames")
    mode.add_argument("--dump", metavar="OUT", help="write the run to OUT.json or OUT.npz (with --steps)")
    mode.add_argument("--every", type=_count, metavar="K",
                      help=f"record every K ticks (default: 1, or more so at most {MAX_RECORDS_DEFAULT} records)")
    mode.add_argument("--screenshot", metavar="OUT.png", help="with --frames: save the last frame")

    land = p.add_argument_group("landscape")
    which = land.add_mutually_exclusive_group()
    which.add_argument("--potential", metavar="NAME", help=f"a built-in landscape (default {DEFAULT_POTENTIAL})")
    which.add_argument("--expr", metavar="FORMULA",
                       help="your own V(x, y): + - * / ** ( ), sin cos tan exp log sqrt tanh sinh cosh arctan abs, pi, e")
    _add_data_options(land)

    dyn = p.add_argument_group("dynamics and parameters (defaults in parentheses)")
    dyn.add_argument("--dynamics", metavar="NAME",
                     help="the rule that moves the balls (gd with --steps; momentum in the window)")
    dyn.add_argument("--integrator", metavar="NAME", help=f"for newton: {'|'.join(INTEGRATORS)} (verlet)")
    suggested = "the landscape's suggested step; 0.01 where it has none"
    defaults = {"lr": suggested, "beta": "0.9", "beta2": "0.999", "alpha": "0.99",
                "eps": "1e-10 adagrad, 1e-8 rmsprop/adam; adafactor A,B", "mass": "1", "friction": "0.5",
                "temperature": "0.1", "dt": suggested}
    for name in NUMERIC_PARAMS:
        dyn.add_argument(f"--{name}", type=_number_or_pair if name == "eps" else _number, metavar="F",
                         help=f"({defaults[name]})")
    from sim.rules.cli import add_rule_options
    add_rule_options(dyn, {*NUMERIC_PARAMS, "integrator"})
    dyn.add_argument("--schedule", metavar="SPEC",
                     help="learning-rate schedule for optimizer rules: constant|step:K:G|cosine:T|warmup:K")

    balls = p.add_argument_group("balls")
    balls.add_argument("--start", type=_point, action="append", metavar="X,Y",
                       help="a ball's start (repeat for more; write --start=-1,2 for negatives)")
    balls.add_argument("--particles", type=_count, metavar="K", help="K balls at seeded random places in the view")
    balls.add_argument("--seed", type=_seed, metavar="S", help="random seed (0)")

    win = p.add_argument_group("window, scenes, recording")
    win.add_argument("--size", type=_size, metavar="WxH", help="window size (1280x800)")
    win.add_argument("--scene", metavar="NAME|FILE", help="open a scene: a lesson by name (see --list-scenes) or a .toml file")
    win.add_argument("--list-scenes", action="store_true", help="list the lesson scenes and exit")
    win.add_argument("--play", action="store_true",
                     help="start running even if the scene starts paused (its caption stays on screen)")
    win.add_argument("--record", metavar="OUT.gif", help="with --headless --frames: record the frames to an animated GIF")
    win.add_argument("--report", metavar="OUT.json",
                     help="with --headless --frames: write every number the shown panels display at the last frame")
    win.add_argument("--view3d", type=_angles, metavar="YAW,PITCH",
                     help="the 3D view's camera, degrees (pitch 8..90; shows the 3D view unless --show map+3d)")
    win.add_argument("--show", metavar="LIST",
                     help="instruments on at start, comma-separated: " + ", ".join(INSTRUMENTS)
                     + " (3d: the 3D view in the map's place; map+3d: both side by side)")
    return p


def _add_data_options(land) -> None:
    """--data, --batch, --plane, --l2: the landscapes made from data (sim/data)."""
    land.add_argument("--data", metavar="FILE.csv",
                      help="data for linreg / logreg / mlp: a CSV (header, then x,y or x1,x2,label) "
                      "or a built-in set: line, blobs, moons, circles, xor")
    land.add_argument("--batch", type=_count, metavar="B",
                      help="minibatch size per ball and tick on data landscapes (0 = full batch)")
    land.add_argument("--plane", metavar="KIND", help="mlp: random (filter-normalized, default) or pca")
    land.add_argument("--l2", type=_number, metavar="F", help="logreg / mlp weight decay (1e-3)")


# --- building the world from arguments -----------------------------------------------------

def make_potential(args: argparse.Namespace):
    pot = _base_potential(args)
    return _data_potential(args, pot)


def _data_potential(args: argparse.Namespace, pot):
    """The landscape rebuilt on --data / --l2 / --plane when given (data landscapes only)."""
    given = [f"--{k}" for k in ("data", "l2", "plane", "batch") if getattr(args, k, None) is not None]
    if not given:
        return pot
    from sim.data import DATA_LANDSCAPES, DataError, load, make_landscape
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
        from sim.data import DataError, load
        try:
            return "linreg" if load(args.data).kind == "regression" else "logreg"
        except DataError as err:
            raise UsageError(f"--data: {err}") from None
    return args.potential or DEFAULT_POTENTIAL


def _base_potential(args: argparse.Namespace):
    if args.expr is not None:
        from sim.expression import FormulaError, expression_potential
        try:
            return expression_potential(args.expr)
        except FormulaError as err:
            raise UsageError(f"--expr: {err}") from None
    from sim.potentials import get_potential
    try:
        return get_potential(_default_potential(args))
    except ValueError as err:
        raise UsageError(f"--potential: {err}") from None


def make_rule(args: argparse.Namespace, default: str = "gd"):
    from sim.dynamics import Rule
    from sim.rules.cli import given_params
    changes: dict[str, Any] = {"name": args.dynamics or default}
    changes.update({k: v for k, v in given_params(args).items() if k != "integrator"})
    if changes["name"] == "newton_method" and args.lr is None:
        changes["lr"] = 1.0  # Newton's method: the full step
    if args.schedule is not None:
        from sim.dynamics import OPTIMIZERS
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
    from sim.tuning import suggest
    return suggest(potential, rule), "suggested"


def _check_steps(n: int, flag: str = "--steps") -> None:
    if n > MAX_STEPS:
        raise UsageError(f"{flag} {n:,} is beyond any run that could finish (at most {MAX_STEPS:,})")


def _name_max(folder: Path) -> int:
    """The longest file name (bytes) the folder's file system takes (255 where unknown)."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def _check_writable(path: str, suffixes: tuple[str, ...], flag: str) -> Path:
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

def _refuse_unused(args: argparse.Namespace, flags: tuple[str, ...], why: str) -> None:
    """An option that cannot apply in this mode is an error, never silently ignored."""
    for flag in flags:
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if value not in (None, False):
            raise UsageError(f"{flag} {why}")


def _steps_world(args: argparse.Namespace):
    """The world a --steps run simulates: the --scene's (with --dynamics and the parameters
    given overriding its rule), or one built from the landscape and ball options."""
    from sim.world import World

    if args.scene is not None:
        world = _load_scene(args)[0]
        _override_scene_rule(args, world)
        args.step_source = "given" if getattr(args, world.rule.step_name) is not None else "scene"
        if not world.n:
            raise UsageError(f"--scene: '{args.scene}' has no balls to simulate")
        return world
    potential = make_potential(args)
    rule, args.step_source = with_suggested_step(args, potential, make_rule(args))
    if args.start and args.particles is not None:
        raise UsageError("give either --start points or --particles, not both")
    if not args.start and not args.particles:
        raise UsageError("no balls: give --start=X,Y (repeatable) or --particles K (K > 0)")
    from sim.particles import MAX_PARTICLES
    if (args.particles or len(args.start or ())) > MAX_PARTICLES:
        raise UsageError(f"--particles: at most {MAX_PARTICLES:,} balls")
    world = World(potential, rule, seed=args.seed or 0)
    if args.batch is not None:
        world.set_batch(args.batch)
    try:
        if args.start:
            world.drop(np.array(args.start, dtype=np.float64))
        else:
            world.drop_random(args.particles)
    except ValueError as err:  # a rule's state would not fit (lbfgs's histories)
        raise UsageError(str(err)) from None
    return world


def run_steps(args: argparse.Namespace) -> int:
    if args.dump is None:
        raise UsageError("--steps needs --dump OUT.json or OUT.npz")
    _check_steps(args.steps)
    if args.frames is not None:
        raise UsageError("--steps and --frames are two different modes; give one")
    _refuse_unused(args, ("--screenshot", "--record", "--show", "--play", "--size", "--view3d"),
                   "goes with the window or --headless --frames N, not with --steps")
    out = _check_writable(args.dump, (".json", ".npz"), "--dump")
    world = _steps_world(args)
    potential, rule = world.potential, world.rule

    n_steps = args.steps
    every = args.every if args.every else max(1, math.ceil(n_steps / MAX_RECORDS_DEFAULT))
    if args.every == 0:
        raise UsageError("--every must be at least 1")
    n_records = n_steps // every + 1 + (1 if n_steps % every else 0)
    newtonian = any(r.newtonian for r in world.rules)  # a scene's lanes may mix rules
    per_record = world.n * 8 * (3 + (2 if newtonian else 0))  # positions, values, velocities
    if n_records * per_record > MAX_DUMP_BYTES:
        raise UsageError(f"the dump would hold {n_records * per_record / 1e9:.1f} GB "
                         f"({n_records:,} records x {world.n:,} particles); "
                         f"record less often with --every")
    record_at = list(range(0, n_steps + 1, every))
    if record_at[-1] != n_steps:
        record_at.append(n_steps)
    positions, values, velocities, losses = [], [], [], []

    def record() -> None:
        positions.append(world.particles.pos.copy())
        values.append(world.values())
        losses.append(_mean_loss(values[-1], world.particles.status))
        if newtonian:
            velocities.append(world.particles.vel.copy())

    record()
    from sim.data.base import is_data
    from sim.progress import Progress
    from sim.runtime import Runtime

    runtime = Runtime(world, seed=args.seed or 0, history_bytes=1)  # the window's runtime, (almost) no past kept
    chunk = max(1, TICK_WORK // max(world.n, 1))  # ticks between progress updates
    with Progress(n_steps, "ticks") as progress:
        done = 0
        for target in record_at[1:]:
            while done < target:  # the same ticks, in pieces (tick(a) + tick(b) == tick(a + b))
                k = min(chunk, target - done)
                runtime.tick(k)
                done += k
                progress.update(done)
            record()

    dump = {
        "potential": potential.name if args.expr is None else potential.formula,
        "dynamics": rule.name,
        "params": rule.params(),
        "step_source": args.step_source,
        "seed": world.seed,
        "steps": n_steps,
        "ticks": record_at,
        "positions": np.array(positions),
        "values": np.array(values),
        "status": np.array(STATUS_NAMES)[world.particles.status],
    }
    if newtonian:
        dump["velocities"] = np.array(velocities)
    if is_data(potential):  # a data landscape: the minibatch size and the mean loss
        dump["batch"] = world.batch
        dump["loss"] = np.array(losses)
        dump["data"] = potential.data.source
    try:
        write_dump(dump, out)
    except OSError as err:  # a full disk, a quota, a file size limit: nothing is left behind
        raise UsageError(f"--dump: cannot write '{out}': {err.strerror or err}") from None
    alive, diverged = world.counts()
    undefined = world.n_undefined()
    print(f"{n_steps} steps, {world.n} particles ({alive} alive, {diverged} diverged"
          + (f", {undefined} undefined" if undefined else "") + f") -> {out}")
    return 0


def _mean_loss(values: np.ndarray, status: np.ndarray) -> float:
    """Mean full-data loss of the alive balls (NaN when none is left)."""
    alive = values[status == 0]
    return float(alive.mean()) if len(alive) else float("nan")


def _jsonable(a: np.ndarray) -> Any:
    """Arrays to nested lists with non-finite numbers as null (strict JSON)."""
    a = np.asarray(a)
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        obj = a.astype(object)
        obj[~np.isfinite(a)] = None
        return obj.tolist()
    return a.tolist()


def write_dump(dump: dict[str, Any], out: Path) -> None:
    """Write the dump atomically (sim.files.atomic_write: over the file the user named)."""
    from sim.files import atomic_write  # a killed run's temp files are cleaned up here next time

    def write(fh) -> None:
        if out.suffix.lower() == ".json":
            doc = {k: (_jsonable(v) if isinstance(v, np.ndarray) else v) for k, v in dump.items()}
            fh.write(json.dumps(doc, allow_nan=False).encode())
        else:
            arrays = {k: (v if isinstance(v, np.ndarray) else np.array(json.dumps(v) if isinstance(v, dict) else v))
                      for k, v in dump.items()}
            np.savez_compressed(fh, **arrays)

    atomic_write(out, write)


# --- the window, live or offscreen ----------------------------------------------------------

def _instruments(args: argparse.Namespace) -> dict[str, bool]:
    if not args.show:
        return {}
    names = [s.strip() for s in args.show.split(",") if s.strip()]
    for name in names:
        if name not in INSTRUMENTS:
            raise UsageError(f"--show: unknown instrument '{name}'; choose from: {', '.join(INSTRUMENTS)}")
    return {name: True for name in names}


def _load_scene(args: argparse.Namespace):
    from sim.scene import SceneError, find_scene, load_scene
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


def _override_scene_rule(args: argparse.Namespace, world) -> None:
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
        from sim.tuning import suggest  # another family's step is not this rule's (as Tab does)
        rule = suggest(world.potential, rule)
    if rule.name != current.name:
        world.set_rule(rule)
    else:
        world.set_params(**{k: getattr(rule, k) for k in ("integrator", *NUMERIC_PARAMS)},
                         **{k: v for k, v in rule.given.items() if k not in (*NUMERIC_PARAMS, "integrator")})


def run_render(args: argparse.Namespace) -> int:
    if args.headless and args.frames is None:
        raise UsageError("--headless needs --steps N (simulation) or --frames N (rendering)")
    if args.dump is not None:
        raise UsageError("--dump goes with --steps")
    _refuse_unused(args, ("--every",), "goes with --steps (the records of a dump)")
    if args.frames is not None:
        _check_steps(args.frames, "--frames")
    screenshot = record = None
    if args.screenshot is not None:
        if args.frames is None:
            raise UsageError("--screenshot goes with --headless --frames N (in the window press S)")
        screenshot = str(_check_writable(args.screenshot, (".png",), "--screenshot"))
    if args.record is not None:
        if args.frames is None:
            raise UsageError("--record goes with --headless --frames N (in the window press F9)")
        record = str(_check_writable(args.record, (".gif", ".mp4"), "--record"))
    report = None
    if args.report is not None:
        if args.frames is None:
            raise UsageError("--report goes with --headless --frames N")
        report = str(_check_writable(args.report, (".json",), "--report"))
    instruments = _instruments(args)
    scene = None
    if args.scene is not None:
        scene = _load_scene(args)
        _override_scene_rule(args, scene[0])
        potential, rule = scene[0].potential, scene[0].rule
    else:
        potential = make_potential(args)
        rule, _source = with_suggested_step(args, potential, make_rule(args, default="momentum"))
    if args.start and args.particles is not None:
        raise UsageError("give either --start points or --particles, not both")
    from render.app import run
    return run(potential=potential, rule=rule, seed=args.seed or 0, particles=args.particles or 0,
               starts=args.start or [], frames=args.frames if args.headless else None,
               screenshot=screenshot, size=args.size or DEFAULT_SIZE, scene=scene, record=record,
               instruments=instruments, play=args.play, report=report, batch=args.batch,
               view3d=args.view3d,
               rule_given=True)  # (the suggested step is already in: with_suggested_step)


def list_scenes() -> int:
    from sim.scene import list_presets
    for name, title in list_presets():
        print(f"{name:<24} {title}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.list_scenes:
            return list_scenes()
        if args.frames is not None and not args.headless:
            raise UsageError("--frames needs --headless")
        # numbers that overflow are handled where they matter (a ball becomes diverged or
        # undefined); they never add a warning line to stderr
        with np.errstate(all="ignore"):
            if args.steps is not None:
                if not args.headless:
                    raise UsageError("--steps needs --headless")
                return run_steps(args)
            return run_render(args)
    except UsageError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        print(f"{PROG}: error: out of memory (try fewer particles or records: --every)", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: one line for users, the traceback with ND_DEBUG=1
        if os.environ.get("ND_DEBUG"):
            raise
        print(f"{PROG}: internal error: {type(err).__name__}: {err} (ND_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
