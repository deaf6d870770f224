"""What a rule declares about itself. Every instrument asks the rule; a fact a rule does not
have is None ("n/a" on screen, null in --report), never gd's.

Contract for a rule module (sim/rules/<name>.py): it defines one `RuleSpec` instance named
`SPEC` (or a tuple `SPECS` for a small family) and the registry (sim/rules/registry.py) lists
the module. The step `step(r, s, V, rng) -> bool` works on a `State` (sim.rules.dynamics.State: pos,
vel, grad, buf_a, buf_b, steps, tmp, tmp2, dissipated, same_steps, and `bufs`, name -> [n,
*shape] views of the rule's declared extra buffers), reads its parameters with `r.opt(name)`
(the value the user set, else the spec's default) and `r.lr`, and returns whether s.grad holds
grad V(s.pos) afterwards.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


class Family(enum.IntEnum):
    """Rules that share a step-size scale (the window remembers one step per family). The value
    indexes a landscape's suggested steps (sim/tuning.py)."""

    GD = 0
    HEAVY_BALL = 1
    NEWTON = 2  # steps with dt, not lr
    ADAPTIVE = 3
    NEWTON_METHOD = 4  # lr 1 on every landscape


def option(name: str) -> str:
    """The command-line option of a parameter: torch's keyword with dashes (`--weight-decay`)."""
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter, named as torch names the keyword (command line: underscores as dashes).

    kind: float, int, bool, str, "pair" (two floats, `--etas A,B`) or "triple" (three). lo/hi bound a number
    (each entry of a pair; lo_ok: lo itself allowed; hi is exclusive unless hi_ok). choices:
    the allowed strings. A default of None is a value the user may also give back (torch's
    None, e.g. lbfgs's line_search_fn)."""

    name: str
    default: Any
    kind: Any = float
    lo: float | None = None
    lo_ok: bool = True
    hi: float | None = None
    hi_ok: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""

    def check(self, value: Any) -> Any:
        """The value in its canonical type; ValueError with a one-line reason naming the option."""
        opt = option(self.name)
        if value is None and self.default is None:
            return None
        if self.kind is bool:
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{opt} must be true or false, got {value!r}")
            return bool(value)
        if self.kind is str:
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise ValueError(f"{opt} must be one of: {', '.join(self.choices)}; got {value!r}")
            return value
        if self.kind in ("pair", "triple"):
            k = 2 if self.kind == "pair" else 3
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != k:
                form = "two numbers A,B" if k == 2 else "three numbers A,B,C"
                raise ValueError(f"{opt} must be {form}, got {value!r}")
            return tuple(self._number(opt, v) for v in value)
        if self.kind is int:
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ValueError(f"{opt} must be a whole number, got {value!r}")
            return int(self._bounded(opt, int(value)))
        return self._number(opt, value)

    def _number(self, opt: str, value: Any) -> float:
        if (not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, (bool, np.bool_))
                or not math.isfinite(value)):
            raise ValueError(f"{opt} must be a finite number, got {value!r}")
        return float(self._bounded(opt, float(value)))

    def _bounded(self, opt: str, value: float) -> float:
        lo, hi = self.lo, self.hi
        if lo is not None and (value < lo or (value == lo and not self.lo_ok)):
            raise ValueError(f"{opt} must be {'>=' if self.lo_ok else '>'} {lo:g}, got {value:g}")
        if hi is not None and (value > hi or (value == hi and not self.hi_ok)):
            raise ValueError(f"{opt} must be {'at most' if self.hi_ok else 'below'} {hi:g}, got {value:g}")
        return value


@dataclass(frozen=True)
class BufferSpec:
    """A per-ball state array beyond buf_a/buf_b: its trailing shape, where a str names an int
    parameter (lbfgs: ("history_size", 2)). Fresh (zero) at a drop and at a change of rule,
    kept in the timeline and saved in scenes with the rest of the particle state."""

    name: str
    shape: tuple[int | str, ...] = (2,)
    dtype: Any = np.float64


@dataclass(frozen=True)
class Reading:
    """The rule read as a particle law, in one sentence and its exact numbers (name -> value;
    None where the number does not exist for these parameters)."""

    sentence: str
    numbers: dict[str, float | None] = field(default_factory=dict)


# kind of each vector term (a family sharing units): the step panel draws each family's arrows
# to one scale; BUFFER holds the dimensionless Adam direction
GRADIENT, BUFFER, STEP, FORCE, VELOCITY = "gradient", "buffer", "step", "force", "velocity"


@dataclass(frozen=True)
class Term:
    """One line of the readout: `symbol = formula = value`; a vector term is also an arrow."""

    key: str  # stable name ("g", "u", "dx", "force", ...)
    symbol: str  # as shown
    formula: str  # how it is computed, in the rule's symbols
    value: np.ndarray | float  # [2] for a vector, a float for a scalar
    kind: str = ""  # GRADIENT, BUFFER, STEP, FORCE, VELOCITY for arrows; "" for scalars

    @property
    def vector(self) -> bool:
        return isinstance(self.value, np.ndarray)


@dataclass(frozen=True)
class RuleSpec:
    """Everything the program knows about one rule.

    step(r, s, V, rng) -> bool: one tick for every row of s (see the module docstring).
    carry: what the rule's state means when the world switches rule ("buffer": buf_a is a
    heavy-ball momentum u, seeded by a throw; "velocity": vel is a real velocity; "fresh":
    anything else, reset at a switch). counts_steps: the step advances s.steps itself.
    schedulable: the displacement is linear in lr and the buffers do not depend on lr, so an lr
    schedule may scale the displacement (elsewhere --schedule is refused).
    linear_map(r, lam) -> [..., k, k] array: the one-step map of the rule's state on
    V = lam x^2/2 (a Hessian eigen-direction), whose spectral radius is the exact rate; None
    where the rule has no constant linear map (adaptive, time-dependent). It must broadcast:
    lam and any parameter read through r may be numpy arrays (a plane's grid: write np.exp,
    not math.exp; sim/rules/linear.py has mat1 / mat2). Every instrument derives its numbers
    from it (sim/rules/linear.py): plane, race theory, breaks, curvature limit.
    plane: the hyperparameter plane that holds the rule, or None; chip: a short label.
    modified_loss(r) -> c or None: the backward-error loss the iterates follow is V + c |grad V|^2.
    noise_factor(r) -> f or None: minibatch SGD's temperature is f x T_eff(lr) (gd 1, heavy
    ball 1/(1-beta)); None where no temperature exists.
    reading(r) -> Reading or None: the Newtonian reading.
    readout(r, before, after, V) -> list of Term or None: the terms the step
    panel spells out (None: the panel shows the step as a whole).
    """

    name: str
    family: Any  # Family
    group: str  # the control panel's group: "gradient", "momentum", "adaptive", "newton", ...
    color: tuple[int, int, int]
    summary: str  # the help line / tooltip
    params: tuple[ParamSpec, ...]
    step: Callable[..., bool]
    buffers: tuple[BufferSpec, ...] = ()
    timed: bool = False  # a tick advances dt of simulated time (else one iteration)
    newtonian: bool = False  # a particle with mass, velocity and friction (kinetic energy, ledger)
    carry: str = "fresh"
    counts_steps: bool = False
    schedulable: bool = False
    linear_map: Callable[..., np.ndarray | None] = lambda r, lam: None
    modified_loss: Callable[..., float | None] = lambda r: None
    noise_factor: Callable[..., float | None] = lambda r: None
    reading: Callable[..., Reading | None] = lambda r: None
    readout: Callable[..., list | None] = lambda r, before, after, V: None
    chip: str = ""  # a short label where the name is too long (race chips); "" = the name
    plane: str | None = None  # the hyperparameter plane that holds the rule: "momentum" (lr, beta;
    # gd is its beta = 0 row), "nesterov" (lr, beta) or "newton" (dt, friction); None: no plane
    # energy(r, pos [n, 2], vel [n, 2], V) -> (kinetic [n], potential [n]) where they are not
    # m/2 |v|^2 and V (the marble: its height's motion and m g V); None: those
    energy: Callable[..., tuple | None] = lambda r, pos, vel, V: None
    minibatch: bool = True  # may train on minibatches; False: always the full data (a Rule
    # made with a batch keeps 0: the marble's constraint needs one surface, not a fresh draw)

    def param(self, name: str) -> ParamSpec | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)
