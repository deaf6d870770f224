"""Physical quantities computed one way everywhere (panels, ledger, scenes, tests)."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from sim.rules.dynamics import Rule


def rule_masses(rules: Sequence[Rule], rule_ids: np.ndarray) -> np.ndarray:
    """The mass of each particle [n] from its rule id: the rule's mass for the newton family,
    0 for optimizer rules (they have no mass, hence no kinetic energy)."""
    table = np.array([r.mass if r.newtonian else 0.0 for r in rules], dtype=np.float64)
    return table[np.asarray(rule_ids, dtype=np.intp)]


def kinetic_energy(vel: np.ndarray, mass: np.ndarray | float) -> np.ndarray:
    """1/2 m |v|^2 per row: vel [n, 2] (world units per unit time), mass [n] or a number -> [n]."""
    return 0.5 * mass * np.einsum("ij,ij->i", vel, vel)


def mean_loss_energy(world, sample: int) -> tuple[float, float] | None:
    """(mean V, mean total energy V + KE) over the alive balls, over an even stride of at most
    `sample` of them; None when no ball is alive. Optimizer balls count with KE = 0."""
    from sim.core.particles import ALIVE

    p = world.particles
    n = p.n
    if n == 0:
        return None
    stride = max(1, math.ceil(n / sample))
    alive = p.status[::stride] == ALIVE
    if not alive.any():
        return None
    pos = p.pos[::stride][alive]
    v = world.potential.value(pos)
    masses = rule_masses(world.rules, p.rule[::stride][alive])
    ke = kinetic_energy(p.vel[::stride][alive], masses)
    with np.errstate(all="ignore"):
        return float(np.mean(v)), float(np.mean(v + ke))
