"""Parameter lookups over the registry: a parameter's ParamSpec (the rule's own, else the first
registered rule's that declares it), validation, and every key a [rule] table may hold."""
from __future__ import annotations

from typing import Any

from sim.rules import registry
from sim.rules.base import ParamSpec, RuleSpec, option

# the parameters every Rule has had from the start, with the values they read when neither the
# user nor the rule's spec sets them (a switch of rule keeps what the user set)
LEGACY_DEFAULTS: dict[str, Any] = {
    "lr": 0.01, "beta": 0.9, "beta2": 0.999, "alpha": 0.99, "eps": None, "mass": 1.0,
    "friction": 0.5, "temperature": 0.1, "dt": 0.01, "integrator": "verlet",
}


def spec_of(name: str) -> RuleSpec:
    """The registered spec of rule `name`; ValueError naming the choices for another name."""
    specs = registry.specs()
    if name not in specs:
        raise ValueError(f"unknown dynamics '{name}'; choose one of: {', '.join(specs)}")
    return specs[name]


def param_spec(name: str, rule: str | None = None) -> ParamSpec | None:
    """The ParamSpec of parameter `name`: the rule's own if it has one, else the first
    registered rule's that declares it (None: no rule has such a parameter)."""
    specs = registry.specs()
    if rule in specs and (p := specs[rule].param(name)) is not None:
        return p
    for s in specs.values():
        if (p := s.param(name)) is not None:
            return p
    return None


def all_params() -> dict[str, ParamSpec]:
    """Every parameter of every registered rule: name -> its first ParamSpec (Tab order)."""
    out: dict[str, ParamSpec] = {}
    for s in registry.specs().values():
        for p in s.params:
            out.setdefault(p.name, p)
    return out


def rule_keys() -> tuple[str, ...]:
    """Every key a [rule] table may hold: name, each parameter, schedule, batch."""
    names = list(LEGACY_DEFAULTS)
    names += [k for k in all_params() if k not in LEGACY_DEFAULTS]
    return ("name", *names, "schedule", "batch")


def check_param(name: str, value: Any, rule: str | None = None) -> Any:
    """Validate one parameter against its ParamSpec; raises ValueError with a one-line reason."""
    p = param_spec(name, rule)
    if p is None:
        raise ValueError(f"unknown option {option(name)}")
    return p.check(value)


def _check_given(name: str, value: Any, rule: str) -> Any:
    """A parameter the user set: checked by the rule's own spec, or (a parameter the rule does
    not read, kept for a later switch) accepted by some registered rule's spec."""
    specs = registry.specs()
    own = specs[rule].param(name)
    if own is not None:
        return own.check(value)
    first_err = None
    for s in specs.values():
        p = s.param(name)
        if p is None:
            continue
        try:
            return p.check(value)
        except ValueError as err:
            first_err = first_err or err
    if first_err is not None:
        raise first_err
    raise ValueError(f"unknown option {option(name)}")
