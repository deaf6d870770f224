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
    potential = "ravine"           # a built-in (sim.data.catalog.POTENTIALS), or:
    # formula = "x**2 + 10*sin(y)" # the safe grammar of sim/expression.py
    view = [-4.0, 4.0, -3.0, 3.0]  # [xmin, xmax, ymin, ymax]; default: the potential's own
    # data landscapes (linreg logreg mlp) also: data, l2, plane, train_seed
    # (described in sim/data/scene_io.py)

    [rule]                         # *required*: rules[0], the current rule
    name = "gd"                    # *required*: gd momentum nesterov adagrad rmsprop adam newton langevin
    lr = 0.02                      # the rest default to sim.rules.dynamics.Rule's defaults:
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

from dataclasses import dataclass, field

import numpy as np

from sim.rules.params import rule_keys
from sim.core.particles import ALIVE, DIVERGED, MAX_PARTICLES, UNDEFINED
from sim.landscapes.base import View


FORMAT = 1  # schema version written to [scene] format
SUFFIX = ".toml"
BYTES_PER_BALL = 640  # the most a ball takes in a scene file (every array written, 17 digits)
MAX_SCENE_BYTES = MAX_PARTICLES * BYTES_PER_BALL + (1 << 20)  # the largest file the program writes
FAST_ARRAYS_FROM = 1 << 20  # files larger than this: particle arrays read by sim/scene_arrays.py
MAX_LANES = 1000  # [[lanes]] tables (a ball's rule index is a 16-bit integer)
MAX_TOML_BYTES = 32 << 20  # the most text (besides those arrays) given to the TOML parser
LINE_WIDTH = 96  # the writer wraps arrays longer than this
HEADER = "# Newton Descent scene: edit freely (the format is described in sim/scene.py)\n\n"

TABLES = ("scene", "landscape", "rule", "lanes", "instruments", "view3d", "particles", "state")
VIEW3D_MODES = ("map", "3d", "both")
VIEW3D_RANGES = {"yaw": (-1e6, 1e6), "pitch": (8.0, 90.0), "zoom": (0.25, 12.0)}
SCENE_KEYS = ("format", "title", "caption", "paused")
LANDSCAPE_KEYS = ("potential", "formula", "view", "data", "l2", "plane", "train_seed")
RULE_KEYS = rule_keys()  # at import (the live list: sim.rules.dynamics.rule_keys())
STATE_KEYS = ("seed", "tick_count", "time", "rng", "run_rng", "cached_gradients")
RANDOM_KEYS = ("random", "seed", "area", "rule")
PAIR_ARRAYS = ("pos", "vel", "origin", "origin_vel", "prev", "grad", "buf_a", "buf_b")
SCALAR_ARRAYS = ("rule", "status", "steps", "energy0", "dissipated")
PARTICLE_KEYS = PAIR_ARRAYS + SCALAR_ARRAYS
PARTICLES_TABLE_KEYS = PARTICLE_KEYS + ("buffers", "random", "seed", "area")
STATUS_NAMES = {int(ALIVE): "alive", int(DIVERGED): "diverged", int(UNDEFINED): "undefined"}
RNG_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")
LARGEST = float(np.finfo(np.float64).max)


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
