"""What a rule declares about itself. Every instrument asks the rule; a fact a rule does not
have is None ("n/a" on screen, null in --report), never gd's.

Contract for a rule module (sim/rules/<name>.py): it defines one `RuleSpec` instance named
`SPEC` and the registry (sim/rules/registry.py) lists it. The step works on a `State`
(sim.dynamics.State: pos, vel, grad, buf_a, buf_b, steps, tmp, tmp2, dissipated, and `bufs`,
name -> [n, *shape] views of the rule's declared extra buffers) and reads its parameters with
`r.opt(name)` (the explicit value, else the spec's default).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class ParamSpec:
    """One parameter, named as torch names the keyword (command line: underscores as dashes).

    kind: float, int, bool, str or "pair" (two floats, `--etas A,B`). lo/hi bound a number
    (lo_ok: lo itself allowed; hi is exclusive unless hi_ok). choices: the allowed strings."""

    name: str
    default: Any
    kind: Any = float
    lo: float | None = None
    lo_ok: bool = True
    hi: float | None = None
    hi_ok: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class BufferSpec:
    """A per-ball state array beyond buf_a/buf_b: its trailing shape, where a str names an int
    parameter (lbfgs: ("history_size", 2)). Fresh (zero) at a drop, saved in scenes and the
    timeline with the rest of the particle state."""

    name: str
    shape: tuple[int | str, ...] = (2,)
    dtype: Any = np.float64


@dataclass(frozen=True)
class Reading:
    """The rule read as a particle law, in one sentence and its exact numbers (name -> value;
    None where the number does not exist for these parameters)."""

    sentence: str
    numbers: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSpec:
    """Everything the program knows about one rule.

    linear_map(r, lam) -> [k, k] array: the one-step map of the rule's state on V = lam x^2/2
    (a Hessian eigen-direction), whose spectral radius is the exact rate; None where the rule
    has no constant linear map (adaptive, time-dependent).
    modified_loss(r) -> c or None: the backward-error loss the iterates follow is V + c |grad V|^2.
    noise_factor(r) -> f or None: minibatch SGD's temperature is f x T_eff(lr) (gd 1, heavy
    ball 1/(1-beta)); None where no temperature exists.
    reading(r) -> Reading or None: the Newtonian reading.
    """

    name: str
    family: Any  # sim.dynamics.Family
    group: str  # the control panel's group: "gradient", "momentum", "adaptive", ...
    color: tuple[int, int, int]
    summary: str  # the help line / tooltip
    params: tuple[ParamSpec, ...]
    step: Callable[..., bool]
    buffers: tuple[BufferSpec, ...] = ()
    timed: bool = False  # a tick advances dt of simulated time (else one iteration)
    linear_map: Callable[..., np.ndarray | None] = lambda r, lam: None
    modified_loss: Callable[..., float | None] = lambda r: None
    noise_factor: Callable[..., float | None] = lambda r: None
    reading: Callable[..., Reading | None] = lambda r: None
