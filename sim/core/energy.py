"""The energy ledger's bookkeeping: each ball's total energy at its drop or at the last reset
(`energy0`) and the energy friction took out since (`dissipated`), the baseline the ledger
instrument and the HUD compare the current energy with. A rule that books its own energy
(the marble) gives its own; the others V + 1/2 m |v|^2 (no kinetic term without a mass)."""
from __future__ import annotations

import numpy as np

from sim.core.quantity import kinetic_energy, rule_masses


def start_energy(rule, pos: np.ndarray, vel: np.ndarray, potential) -> np.ndarray:
    """energy0 [k] of balls at pos [k, 2] with velocity vel [k, 2] under `rule`."""
    with np.errstate(all="ignore"):
        ke = kinetic_energy(vel, rule.mass) if rule.newtonian else 0.0
        own = rule.spec.energy(rule, pos, vel, potential)  # a rule's own energy
        return potential.value(pos) + ke if own is None else own[0] + own[1]


def reset_ledger(particles, rules, potential) -> None:
    """Energy accounting restarts from the current state (after any change of rules or
    landscape): nothing dissipated, energy0 the energy now."""
    p = particles
    p.dissipated[:] = 0.0
    with np.errstate(all="ignore"):
        p.energy0[:] = potential.value(p.pos) + kinetic_energy(p.vel, rule_masses(rules, p.rule))
        for rid, r in enumerate(rules):  # a rule that books its own energy (the marble)
            rows = np.flatnonzero(p.rule == rid)
            if len(rows):
                own = r.spec.energy(r, p.pos[rows], p.vel[rows], potential)
                if own is not None:
                    p.energy0[rows] = own[0] + own[1]
