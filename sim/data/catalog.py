"""Every built-in landscape by name, in number-key order: the analytic ones
(sim.landscapes.builtin.ANALYTIC), then linreg, logreg and mlp on their built-in data (the
network trains on first use). Scenes, the command line and the window choose from here."""
from __future__ import annotations

from sim.data import DATA_LANDSCAPES, make_landscape
from sim.landscapes.base import Potential
from sim.landscapes.builtin import ANALYTIC

POTENTIALS: dict[str, Potential] = {**ANALYTIC, **{name: make_landscape(name) for name in DATA_LANDSCAPES}}


def get_potential(name: str) -> Potential:
    """The built-in potential called `name` (the shared catalog instance).

    Raises ValueError naming every choice when `name` is unknown.
    """
    try:
        return POTENTIALS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown potential {name!r}; choose one of: {', '.join(POTENTIALS)}") from None
