"""The window's data commands, pygame-free: load a CSV file as the data of the landscape,
choose a built-in data set, set the minibatch size. They run on a `Runtime` (sim/runtime.py)
through its public commands and say one line each (a bad file: the reader's line, and nothing
changes).

Which landscape a data set goes to: the current one when it is a data landscape that takes its
kind (linreg: x,y; logreg and mlp: x1,x2,label); otherwise the one that fits the file's columns
(x,y -> linreg, x1,x2,label -> logreg), as `--data` alone picks on the command line.
"""
from __future__ import annotations

import os
from collections.abc import Callable

from sim.data import DATA_LANDSCAPES, make_landscape
from sim.data.sets import DataError, Dataset, builtin, read_csv
from sim.data.base import is_data
from sim.data.sets import BUILTIN_SEEDS, CLASSIFICATION, REGRESSION

BATCH_CHOICES = (0, 1, 2, 4, 8, 16, 32, 64)  # 0: full batch; what the panel and Ctrl+K offer
SETS_FOR = {REGRESSION: ("line",), CLASSIFICATION: ("blobs", "moons", "circles", "xor")}
MODEL_FOR = {REGRESSION: "linreg", CLASSIFICATION: "logreg"}  # when the current one cannot take it
TAKES = {"linreg": REGRESSION, "logreg": CLASSIFICATION, "mlp": CLASSIFICATION}


def task_of(potential) -> str | None:
    """regression / classification for a data landscape, None for any other."""
    return TAKES.get(potential.name) if is_data(potential) else None


def sets_for(potential) -> tuple[str, ...]:
    """The built-in data sets this landscape can be made from (none off data landscapes)."""
    task = task_of(potential)
    return SETS_FOR[task] if task else ()


def data_label(data: Dataset) -> str:
    """What the data are, in a few words: 'moons, 64 rows' or 'pts.csv, 40 rows'."""
    name = data.source if data.builtin else os.path.basename(data.source) if data.sha256 else data.source
    return f"{name or 'data'}, {data.n:,} rows"


def resolve_path(text: str) -> str:
    """A typed or dropped path: surrounding quotes and spaces gone, ~ expanded, made absolute
    (so a scene saved later names the file wherever it is opened)."""
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        t = t[1:-1]
    return os.path.abspath(os.path.expanduser(t)) if t else ""


def use_data(rt, data: Dataset, retrain: Callable | None = None) -> str | None:
    """Make the landscape from `data`: the current data landscape when it takes this kind of
    data (balls, rules and steps stay, as after a data edit), else linreg / logreg (balls stay,
    steps retuned, as a landscape key does). A landscape that trains (mlp) is handed to
    `retrain(old, new)` when given (trained over the next frames, as after an edit in the
    pane). Returns None, or the one-line error (nothing changed)."""
    from sim.data.retrain import trains

    pot = rt.world.potential
    same = task_of(pot) == data.kind
    name = pot.name if same else MODEL_FOR[data.kind]
    try:
        new = make_landscape(name, data, **(pot.config() if same else {}))
    except (ValueError, ArithmeticError, MemoryError) as e:
        return f"data not loaded: {e}"
    if same and retrain is not None and trains(new):
        retrain(pot, new)
    elif same:
        rt.switch.replace_landscape(new)
    else:
        rt.switch.set_potential(new)
    return None


def step_note(rt) -> str:
    """A hint when gd's lr is beyond the stable 2/λmax of the new map at its minimum and the
    balls (a data set of another scale can make the kept step diverge at once): '' otherwise."""
    from sim.rules.base import Family
    from sim.instruments.curvature import lam_max
    from sim.support.text import fmt
    from sim.landscapes.tuning import suggestions

    r = rt.world.rule
    lam = lam_max(rt.world)
    if r.family is not Family.GD or not lam > 0 or r.lr * lam < 2.0:
        return ""
    good = suggestions(rt.world.potential)[r.family]
    return f"   (lr {fmt(r.lr, 3)} is beyond the stable 2/λmax = {fmt(2.0 / lam, 3)} here: try {fmt(good, 3)})"


def load_file(rt, text: str, retrain: Callable | None = None) -> str | None:
    """A CSV file (a typed or dropped path) as the data. None when loaded; else the one-line
    message (the reader's: file, row and column), said as a warning, and nothing changed."""
    path = resolve_path(text)
    data = None
    if not path:
        err = "no file named: type the path of a CSV file (header x,y or x1,x2,label)"
    else:
        try:
            data = read_csv(path)
            err = use_data(rt, data, retrain)
        except DataError as e:
            err = str(e)
        except (OSError, ValueError) as e:  # a path the system refuses (too long, a NUL ...)
            err = f"{os.path.basename(path)}: cannot read: {e}"
    if err is not None:
        rt.say(err, warn=True, long=True)
        return err
    rt.say(_loaded(rt, data, retrain is not None), long=True)
    return None


def _loaded(rt, data: Dataset, retrains: bool) -> str:
    """What a good load says: the data, the landscape, and a retrain or a step hint."""
    from sim.data.retrain import trains

    pot = rt.world.potential
    if retrains and trains(pot):  # handed to the retrain (only mlp trains; it keeps mlp)
        return f"data: {data_label(data)}  →  {pot.name}: retraining the network …"
    return f"data: {data_label(data)}  →  {pot.name}{step_note(rt)}"


def use_builtin(rt, name: str, retrain: Callable | None = None) -> str | None:
    """The built-in data set `name` (line, blobs, moons, circles, xor) as the data; None, or
    the one-line error (nothing changed)."""
    data = None
    if name not in BUILTIN_SEEDS:
        err: str | None = f"unknown data set '{name}'; built-ins: {', '.join(BUILTIN_SEEDS)}"
    else:
        data = builtin(name)
        err = use_data(rt, data, retrain)
    if err is not None:
        rt.say(err, warn=True)
        return err
    rt.say(_loaded(rt, data, retrain is not None))
    return None


def set_batch(rt, batch: int) -> None:
    """Every rule trains on minibatches of `batch` examples per ball and tick (0 or >= n: full
    batch), from the next tick. The world counts it as an edit and the timeline records it at
    once (scrubbing back before it gives the old batch, after it the new)."""
    pot = rt.world.potential
    if task_of(pot) is None:
        rt.say(f"minibatches are for the data landscapes ({', '.join(DATA_LANDSCAPES)})", warn=True)
        return
    try:
        rt.world.set_batch(int(batch))
    except (ValueError, TypeError) as e:
        rt.say(str(e), warn=True)
        return
    rt.balls.sync()
    rt.timeline.record(rt.world)  # a keyframe at the change: every tick after it can be scrubbed to
    n = pot.data.n
    b = rt.world.batch
    full_only = sorted({r.name for r in rt.world.rules if not r.spec.minibatch})
    if batch and full_only:  # the marble: one surface to roll on, never a fresh draw
        others = next((r.batch for r in rt.world.rules if r.spec.minibatch), 0)
        rt.say(f"{', '.join(full_only)} rolls on the full data: no minibatches"
               + (f"; the others: batch = {others} of {n:,}" if others and others < n else ""))
    elif b == 0 or b >= n:
        rt.say(f"batch: full ({n:,} examples): exact gradients")
    else:
        rt.say(f"batch = {b} of {n:,}: each ball its own minibatch each tick (SGD noise; "
               "choose a ball for T_eff)")


def cycle_batch(rt, direction: int) -> None:
    """Ctrl+K: the next minibatch size in BATCH_CHOICES (full, 1, 2, 4 ... 64; Shift: back)."""
    b = rt.world.batch
    n = rt.world.potential.data.n if task_of(rt.world.potential) else 0
    choices = [c for c in BATCH_CHOICES if c == 0 or c < n] or [0]
    cur = 0 if b >= n else b
    i = choices.index(cur) if cur in choices else min(range(len(choices)), key=lambda k: abs(choices[k] - cur))
    set_batch(rt, choices[(i + direction) % len(choices)])
