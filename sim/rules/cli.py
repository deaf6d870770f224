"""The command-line options of the rules' parameters, made from the registry: every ParamSpec of
every rule becomes `--name-with-dashes` (betas stay --beta / --beta2), parsed by its kind and
validated by the rule (sim.rules.dynamics.Rule: one clear line)."""
from __future__ import annotations

import argparse
import math
from typing import Any

from sim.rules.base import ParamSpec, option

TRUE = ("true", "yes", "on", "1")
FALSE = ("false", "no", "off", "0")


def finite_float(text: str) -> float:
    """An option's value as a finite float, or argparse's one-line error (not a number / not finite)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number")
    return v


def whole_number(text: str) -> int:
    """An option's value as an int, or argparse's one-line error ('...' is not a whole number)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None


def _bool(text: str) -> bool:
    t = text.strip().lower()
    if t in TRUE:
        return True
    if t in FALSE:
        return False
    raise argparse.ArgumentTypeError(f"'{text}' is not true or false")


def parse_pair(text: str) -> tuple[float, float]:
    """A,B as two finite floats (a "pair" parameter), or argparse's one-line error."""
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"'{text}' is not A,B (two numbers and a comma)")
    return (finite_float(parts[0]), finite_float(parts[1]))


def _triple(text: str) -> tuple[float, float, float]:
    parts = text.split(",")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"'{text}' is not A,B,C (three numbers and two commas)")
    return tuple(finite_float(v) for v in parts)


def _str(default: Any):
    def parse(text: str) -> str | None:
        return None if default is None and text.lower() == "none" else text
    return parse


def _readers(name: str) -> str:
    from sim.rules import registry
    return ", ".join(s.name for s in registry.specs().values() if s.param(name) is not None)


def add_rule_options(group, taken: set[str]) -> list[str]:
    """Add an option for every registered parameter whose dest is not in `taken` (the options
    main.py declares itself); returns the dests added."""
    from sim.rules.params import all_params

    added = []
    for name, p in all_params().items():
        if name in taken:
            continue
        added.append(name)
        group.add_argument(option(name), dest=name, **_kind_kwargs(p),
                           help=f"({_show_default(p)}) {p.help}; read by {_readers(name)}".strip())
    return added


def _kind_kwargs(p: ParamSpec) -> dict:
    if p.kind is bool:
        return {"type": _bool, "nargs": "?", "const": True, "metavar": "BOOL"}
    if p.kind is int:
        return {"type": whole_number, "metavar": "N"}
    if p.kind == "pair":
        return {"type": parse_pair, "metavar": "A,B"}
    if p.kind == "triple":
        return {"type": _triple, "metavar": "A,B,C"}
    if p.kind is str:
        return {"type": _str(p.default), "metavar": "|".join(p.choices) or "TEXT"}
    return {"type": finite_float, "metavar": "F"}


def _show_default(p: ParamSpec) -> str:
    d = p.default
    if isinstance(d, tuple):
        return ",".join(f"{t:g}" for t in d)
    if isinstance(d, bool):
        return "true" if d else "false"
    return f"{d:g}" if isinstance(d, float) else str(d)


def given_params(args: argparse.Namespace) -> dict[str, Any]:
    """name -> value of every rule parameter given on the command line."""
    from sim.rules.params import all_params

    return {k: getattr(args, k) for k in all_params() if getattr(args, k, None) is not None}
