"""The command line's parser: every option, its check, and the help text."""
from __future__ import annotations

import argparse
import math
import re
import sys
from typing import NoReturn

from render.panels.registry import NAMES as INSTRUMENT_NAMES
from sim.rules.cli import finite_float, parse_pair, whole_number


PROG = "newton-descent"
DEFAULT_SIZE = (1280, 800)
DEFAULT_POTENTIAL = "himmelblau"
MAX_RECORDS_DEFAULT = 1000  # default --every keeps at most this many records (+ the last)
MAX_STEPS = 10**12  # --steps beyond this could never finish (a million ticks a second: 12 days)
# --show: the window's toggles, the instruments (render/panels/registry.py: strings only, no
# pygame) and the 3D view's modes
INSTRUMENTS = ("trails", "arrows", "field", "help", "controls", "timeline", *INSTRUMENT_NAMES, "3d", "map+3d")
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


def _number_or_pair(text: str) -> float | tuple[float, float]:
    """--eps: one number, or A,B for a rule whose eps is a pair (adafactor's (eps1, eps2))."""
    if "," in text:
        return parse_pair(text)
    return finite_float(text)


def _count(text: str) -> int:
    """A whole number >= 0 (--steps, --frames, --every, --particles, --batch)."""
    value = whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' must not be negative")
    return value


def _seed(text: str) -> int:
    """--seed: a whole number from 0 to 2**63 - 1."""
    value = whole_number(text)
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
    from sim.data.catalog import POTENTIALS
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
    from sim.rules.physics.newtonian import INTEGRATORS

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
        dyn.add_argument(f"--{name}", type=_number_or_pair if name == "eps" else finite_float, metavar="F",
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
    land.add_argument("--l2", type=finite_float, metavar="F", help="logreg / mlp weight decay (1e-3)")
