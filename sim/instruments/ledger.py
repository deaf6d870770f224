"""The energy ledger: kinetic + potential + dissipated - initial = the integrator's drift."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.core.particles import ALIVE
from sim.core.world import World


# ================================================================================================
# Energy ledger
# ================================================================================================

def _rows(world: World, rows: Any) -> np.ndarray:
    """Normalize a row selection (None, slice, int, index array or bool mask) to indices [k]."""
    n = world.n
    if rows is None:
        return np.arange(n)
    if isinstance(rows, slice):
        return np.arange(n)[rows]
    a = np.asarray(rows)
    if a.dtype == bool:
        return np.flatnonzero(a)
    a = a.reshape(-1).astype(np.intp)
    return a[(a >= 0) & (a < n)]


LEDGER_KEYS = ("kinetic", "potential", "dissipated", "initial", "drift")


def _ledger_parts(world: World, rows: Any) -> tuple[np.ndarray | None, np.ndarray, dict | None]:
    """(selected row indices, None for all; `applies` over the selection; the five per-row
    arrays over the rows that apply, None when none do). Works on views when every ball
    applies (no copies), and evaluates V only where it applies."""
    p = world.particles
    newt = np.array([r.newtonian for r in world.rules], dtype=bool)
    mass = np.array([r.mass for r in world.rules], dtype=np.float64)
    idx = None if rows is None else _rows(world, rows)
    rid = p.rule if idx is None else p.rule[idx]
    status = p.status if idx is None else p.status[idx]
    applies = newt[rid] & (status == ALIVE)
    k = int(np.count_nonzero(applies))
    if not k:
        return idx, applies, None
    if idx is None and k == world.n:
        take: Any = slice(None)  # every row applies: work on views
    else:
        take = np.flatnonzero(applies) if idx is None else idx[applies]
    pos, vel = p.pos[take], p.vel[take]
    m = mass[p.rule[take]] if len(np.unique(mass[newt])) > 1 else float(mass[newt][0])
    with np.errstate(all="ignore"):
        kinetic = np.einsum("ij,ij->i", vel, vel)
        kinetic *= 0.5 * m
        potential = world.potential.value(pos)
        dissipated, initial = p.dissipated[take], p.energy0[take]
        # the drift row by row (summed later): the difference of the big sums would lose the
        # digits that matter when V has a large offset
        drift = kinetic + potential
        drift += dissipated
        drift -= initial
        rid_take = p.rule[take]
        for k_rule, r in enumerate(world.rules):  # rules that own their energy (per rule)
            if not newt[k_rule]:
                continue
            rows_k = np.flatnonzero(rid_take == k_rule) if len(np.unique(rid_take)) > 1 else \
                (slice(None) if int(rid_take[0]) == k_rule else np.zeros(0, np.intp))
            got = r.spec.energy(r, pos[rows_k], vel[rows_k], world.potential)
            if got is not None:
                kinetic[rows_k], potential[rows_k] = got
                drift = kinetic + potential
                drift += dissipated
                drift -= initial
    parts = dict(kinetic=kinetic, potential=potential, dissipated=dissipated, initial=initial,
                 drift=drift)
    return idx, applies, parts


def _ledger_sums(applies: np.ndarray, parts: dict | None) -> dict[str, Any]:
    k = int(np.count_nonzero(applies))
    total: dict[str, Any] = {"count": k, "na": int(len(applies) - k)}
    for key in LEDGER_KEYS:
        total[key] = float(parts[key].sum()) if parts is not None else math.nan
    return total


def ledger(world: World, rows: Any = None) -> dict[str, Any]:
    """Energy bookkeeping for the selected particles (default: all).

    Per row (arrays [k]; nan where it does not apply: optimizer balls have no mass, diverged
    balls no energy): kinetic 1/2 m |v|^2, potential V(x), dissipated (taken out by friction
    since the drop or the last ledger reset; negative when heat put energy in), initial
    (total energy then), drift = kinetic + potential + dissipated - initial. `applies` [k] bool.
    `total`: the same five sums over the rows that apply, plus `count` (how many) and `na`
    (how many selected rows are optimizer or diverged balls).
    """
    idx, applies, parts = _ledger_parts(world, rows)
    out: dict[str, Any] = dict(rows=np.arange(world.n) if idx is None else idx, applies=applies)
    for key in LEDGER_KEYS:
        a = np.full(len(applies), np.nan)
        if parts is not None:
            a[applies] = parts[key]
        out[key] = a
    out["total"] = _ledger_sums(applies, parts)
    return out


def ledger_total(world: World, rows: Any = None) -> dict[str, Any]:
    """ledger(world, rows)["total"] without the per-row arrays (no NaN-filled copies), for the
    panel and its live plot, which need only these numbers every frame."""
    _idx, applies, parts = _ledger_parts(world, rows)
    return _ledger_sums(applies, parts)
