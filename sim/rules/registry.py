"""The registered rules in Tab order: one line per rule module (sim/rules/<name>.py, defining
`SPEC`, or `SPECS` for a small family). Adding a rule is one new module and one line here."""
from __future__ import annotations

import importlib

from sim.rules.base import RuleSpec

MODULES = (
    "classic.gd",
    "classic.heavy_ball",  # momentum, nesterov
    "classic.adaptive",  # adagrad, rmsprop, adam
    "physics.newtonian",  # newton, langevin
    "classic.newton_method",
    "physics.nesterov_ode",
    "physics.marble",
    "torch_optim.adamw",
    "torch_optim.nadam",
    "torch_optim.radam",
    "torch_optim.adamax",
    "torch_optim.adadelta",
    "torch_optim.rprop",
    "torch_optim.asgd",
    "torch_optim.adafactor",
    "torch_optim.lbfgs",
    "torch_optim.muon",
    "beyond.lion",
    "beyond.sam",
    "beyond.sgd_schedulefree",
    "beyond.adamw_schedulefree",
)

_SPECS: dict[str, RuleSpec] = {}


def specs() -> dict[str, RuleSpec]:
    """name -> RuleSpec in Tab order (the live table: a test may add a rule to it)."""
    if not _SPECS:
        for module in MODULES:
            mod = importlib.import_module(f"sim.rules.{module}")
            found = getattr(mod, "SPECS", None) or (mod.SPEC,)
            for spec in found:
                if spec.name in _SPECS:
                    raise RuntimeError(f"rule '{spec.name}' is registered twice")
                _SPECS[spec.name] = spec
    return _SPECS


def names() -> tuple[str, ...]:
    return tuple(specs())


def get(name: str) -> RuleSpec:
    """The spec of a registered rule; KeyError for another name."""
    return specs()[name]
