"""The loss against ticks, rule by rule: the training curve a practitioner reads.

A rule's loss is the mean over its alive balls of V − V*, V* the lowest known minimum of the
landscape (Potential.minimum_values): the gap to the best value, whose slope on a log scale is
the rate of convergence (gd on a quadratic: log10 of (1 − lr λ)² per tick). Where no minimum
is known, or V is not bounded below, it is the mean of V itself, on a linear scale. Diverged
and undefined balls are not alive: they leave the mean (the readout counts who is left).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.core.particles import ALIVE
from sim.core.world import World

GAP, VALUE = "V − V*", "V"  # what is plotted


def floor_value(potential) -> float | None:
    """V*: the lowest known minimum value, None where none is known or V is unbounded below."""
    v = np.asarray(potential.minimum_values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not potential.bounded_below or not len(v):
        return None
    return float(v.min())


def rule_losses(world: World, floor: float | None) -> tuple[np.ndarray, np.ndarray]:
    """(loss [k], alive [k]) for the world's k rules: the mean of V − floor (of V when floor is
    None) over each rule's alive balls, nan for a rule with none. Vectorized over balls."""
    p, k = world.particles, len(world.rules)
    rows = np.flatnonzero(p.status[: world.n] == ALIVE)
    alive = np.bincount(p.rule[rows], minlength=k)[:k]
    with np.errstate(all="ignore"):
        v = world.potential.value(p.pos[rows]) - (0.0 if floor is None else floor)
        ok = np.isfinite(v)
        total = np.bincount(p.rule[rows][ok], weights=v[ok], minlength=k)[:k]
        count = np.bincount(p.rule[rows][ok], minlength=k)[:k]
        loss = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return loss, alive


def loss_readout(world: World, losses: tuple | None = None) -> dict[str, Any]:
    """Keys: quantity (GAP or VALUE), floor (V*, None), log (plotted on a log scale), tick, and
    lanes: per rule {rule (its name), label, alive, loss (nan with no ball left)}. `losses`:
    rule_losses(world, floor) when the caller has them for this very state."""
    floor = floor_value(world.potential)
    loss, alive = rule_losses(world, floor) if losses is None else losses
    lanes = [{"rule": r.name, "label": r.label(), "alive": int(alive[i]), "loss": float(loss[i])}
             for i, r in enumerate(world.rules)]
    return {"quantity": VALUE if floor is None else GAP, "floor": floor, "log": floor is not None,
            "tick": int(world.tick_count), "lanes": lanes}


def log_loss(loss: np.ndarray) -> np.ndarray:
    """log10 of the losses, nan where a loss is not positive (a ball exactly at V*, or below a
    minimum that is only the lowest known)."""
    with np.errstate(all="ignore"):
        return np.where(loss > 0, np.log10(np.where(loss > 0, loss, 1.0)), math.nan)
