"""The numbers each panel shows, as plain dicts: one pure function per panel.

render/panels.py draws from these dicts and `--report` writes them, so a test of a readout is a
test of what the student sees. Never imports pygame. Floats are Python floats (nan where a
number does not apply), lists instead of arrays.

- `stability_readout(world, row, point)`: the ball at `row` under its own rule, else the world
  point under the current rule (sim.instruments.stable_regions's exact discrete region and regime).
- `bridge_readout(world, pairs)`: the current rule's twin parameters and the largest gap.
- `heat_readout(world, view, bins)`: the histogram of V over the balls at the panel's
  temperature only, how many balls are left out, and the Boltzmann prediction.
- `hud_readout(world)`, `race_readout(world, twins)`, `ledger_readout(world, rows, everyone)`.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from sim.instruments.heat import HEAT_BINS, boltzmann_histogram
from sim.instruments.stability import WARN_FRACTION, stability
from sim.instruments.bridge import bridge
from sim.instruments.race import last_ball_per_rule
from sim.instruments.ledger import ledger_total
from sim.instruments import stable_regions as stab
from sim.core.particles import ALIVE
from sim.core.world import World

HEAT_BINS = HEAT_BINS
HEAT_MIN_EXPECTED = 5.0  # bins with fewer expected balls stay out of the chi-square


def _f(x: Any) -> float:
    return float(x)


# --- stability ----------------------------------------------------------------------------------

def stability_target(world: World, row: int | None = None, point: Sequence[float] | None = None):
    """(rule, position [1, 2]) the stability panel reads, or None."""
    if row is not None and 0 <= row < world.n:
        return world.rules[int(world.particles.rule[row])], world.particles.pos[row:row + 1].copy()
    if point is not None:
        return world.rule, np.asarray(point, dtype=np.float64).reshape(1, 2)
    return None


def stability_readout(world: World, row: int | None = None,
                      point: Sequence[float] | None = None) -> dict[str, Any] | None:
    """Keys: rule, x, y, lambda_max, lambda_min, ratio_name ("lr·λ" / "ω·dt"), ratio_max,
    ratio_min, limit_lo, limit_hi (the exact stable interval of the ratio), c, c_limit
    (friction dt/m and its limit, newton family), stable_max, stable_min, verdict ("stable",
    "unstable", "n/a"), regime ("monotone", "zigzag", "rings", "n/a"), critical (ratios where
    the regime changes), status_max, status_min (the chips: ok / warn / bad / n/a)."""
    target = stability_target(world, row, point)
    if target is None:
        return None
    rule, pos = target
    m = stability(world.potential, rule, pos)
    out: dict[str, Any] = {"rule": rule.name, "x": _f(pos[0, 0]), "y": _f(pos[0, 1]),
                           "lambda_max": _f(m["lam_max"][0]), "lambda_min": _f(m["lam_min"][0]),
                           "ratio_name": m["ratio_name"], "ratio_max": _f(m["ratio_max"][0]),
                           "ratio_min": _f(m["ratio_min"][0]), "limit_lo": _f(m["lo"]),
                           "limit_hi": _f(m["hi"]), "c": _f(m["c"]), "c_limit": _f(m["c_limit"]),
                           "stable_max": str(m["stable_max"][0]), "stable_min": str(m["stable_min"][0]),
                           "verdict": str(m["verdict"][0]), "regime": str(m["regime"][0]),
                           "critical": [float(c) for c in m["critical"]]}
    for k in ("max", "min"):
        st, ratio = out[f"stable_{k}"], out[f"ratio_{k}"]
        chip = "n/a" if st == stab.NA else "bad" if st == stab.UNSTABLE else "ok"
        lo, hi = out["limit_lo"], out["limit_hi"]
        if chip == "ok" and math.isfinite(ratio) and ratio > 0 and (
                ratio > WARN_FRACTION * hi or (lo > 0 and ratio < lo + (1 - WARN_FRACTION) * (hi - lo))):
            chip = "warn"
        out[f"status_{k}"] = chip
    return out


# --- bridge -------------------------------------------------------------------------------------

def twin_gap(world: World, pairs: tuple[np.ndarray, np.ndarray] | None) -> float:
    """Largest distance between a ball and its twin over alive pairs (nan when none)."""
    if pairs is None or not len(pairs[0]) or len(pairs[0]) != len(pairs[1]):
        return math.nan
    a, t = (np.asarray(x, dtype=np.intp) for x in pairs)
    n = world.n
    ok = (a < n) & (t < n)
    a, t = a[ok], t[ok]
    p = world.particles
    alive = (p.status[a] == ALIVE) & (p.status[t] == ALIVE)
    if not alive.any():
        return math.nan
    d = p.pos[a[alive]] - p.pos[t[alive]]
    return float(np.hypot(d[:, 0], d[:, 1]).max())


def bridge_readout(world: World, pairs: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Any]:
    """Keys: rule, direction ("to_newton" / "to_momentum" / None), mass, friction, dt, lr, beta,
    integrator, exact, valid, twin (the twin's rule name or None), text, gap (max |x − x_twin|
    over `pairs`, nan without pairs), pairs (how many), reading (the rule's own Newtonian
    reading, RuleSpec.reading: its sentence, None without one) and reading_numbers."""
    b = bridge(world.rule)
    reading = world.rule.spec.reading(world.rule)
    return {"rule": world.rule.name, "direction": b["direction"], "mass": _f(b["mass"]),
            "friction": _f(b["friction"]), "dt": _f(b["dt"]), "lr": _f(b["lr"]),
            "beta": _f(b["beta"]), "integrator": b["integrator"], "exact": bool(b["exact"]),
            "valid": bool(b["valid"]), "twin": b["twin"].name if b["twin"] is not None else None,
            "text": b["text"], "gap": twin_gap(world, pairs),
            "pairs": int(len(pairs[0])) if pairs is not None else 0,
            "reading": reading.sentence if reading is not None else None,
            "reading_numbers": ({k: _f(v) for k, v in reading.numbers.items()} if reading is not None else None)}


# --- heat ---------------------------------------------------------------------------------------

def heat_temperature(world: World) -> float | None:
    """The heat panel's temperature: the current rule's when it is langevin with alive balls,
    else the first langevin rule with alive balls and T > 0, else the first with alive balls;
    None when no langevin ball is alive."""
    p = world.particles
    alive_rules = set(np.unique(p.rule[p.status == ALIVE]).tolist())
    lang = [(rid, r) for rid, r in enumerate(world.rules) if r.name == "langevin" and rid in alive_rules]
    if not lang:
        return None
    if lang[0][0] == 0:
        return lang[0][1].temperature
    hot = [r for _, r in lang if r.temperature > 0]
    return (hot or [lang[0][1]])[0].temperature


def heat_rows(world: World, temperature: float) -> tuple[np.ndarray, int]:
    """(rows of alive langevin balls at exactly this temperature [k], alive balls left out)."""
    p = world.particles
    at = np.array([r.name == "langevin" and r.temperature == temperature for r in world.rules], dtype=bool)
    alive = p.status == ALIVE
    rows = np.flatnonzero(at[p.rule.astype(np.intp)] & alive)
    return rows, int(np.count_nonzero(alive)) - len(rows)


def chi_square(observed: np.ndarray, predicted: np.ndarray, edges: np.ndarray, n: int
               ) -> tuple[float, int]:
    """(chi^2, bins used) of the observed against the predicted densities for n balls, over the
    bins where at least HEAT_MIN_EXPECTED balls are expected; (nan, 0) when none qualifies."""
    width = np.diff(edges)
    with np.errstate(all="ignore"):
        exp_ = predicted * width * n
        obs = observed * width * n
        use = np.isfinite(exp_) & np.isfinite(obs) & (exp_ >= HEAT_MIN_EXPECTED)
        if not use.any():
            return math.nan, 0
        return float(((obs[use] - exp_[use]) ** 2 / exp_[use]).sum()), int(use.sum())


def heat_readout(world: World, view: Sequence[float] | None = None,
                 bins: int | np.ndarray = HEAT_BINS) -> dict[str, Any]:
    """Keys: temperature (None without langevin balls), counted, left_out, edges [b+1],
    histogram [b] (density of V over the counted balls), prediction [b] (density of V under
    exp(−V/T)), chi2_per_bin, above (counted balls above the last edge)."""
    T = heat_temperature(world)
    if T is None:
        return {"temperature": None, "counted": 0, "left_out": int(world.counts()[0]),
                "edges": [], "histogram": [], "prediction": [], "chi2_per_bin": math.nan, "above": 0}
    rows, left_out = heat_rows(world, T)
    vals = world.potential.value(world.particles.pos[rows])
    edges, obs, pred = boltzmann_histogram(vals, world.potential, T,
                                               view or world.potential.view, bins)
    chi2, used = chi_square(obs, pred, edges, int(np.isfinite(vals).sum()))
    return {"temperature": float(T), "counted": int(len(rows)), "left_out": left_out,
            "edges": [float(e) for e in edges], "histogram": [float(o) for o in obs],
            "prediction": [float(q) for q in pred], "chi2_per_bin": chi2 / used if used else math.nan,
            "above": int(np.count_nonzero(vals > edges[-1]))}


# --- hud, race, ledger --------------------------------------------------------------------------

def hud_readout(world: World) -> dict[str, Any]:
    """Keys: rule, parameters (the rule's effective parameters, and `batch` when the rule
    trains on minibatches: what the HUD shows as B=), tick, time, alive, diverged."""
    alive, diverged = world.counts()
    params = dict(world.rule.params())
    if world.rule.batch:
        params["batch"] = int(world.rule.batch)
    return {"rule": world.rule.name, "parameters": params,
            "tick": int(world.tick_count), "time": float(world.time),
            "alive": int(alive), "diverged": int(diverged)}


def race_readout(world: World, twins: dict[int, int] | None = None,
                 rates: dict[int, dict[str, float]] | None = None,
                 last: dict[int, int] | None = None) -> list[dict[str, Any]]:
    """One entry per legend row (lanes in rule order, each lane's twin rules under it): rule
    (name), rule_id, loss (V at the lane's most recent alive ball; nan when all diverged),
    diverged (no alive ball), twin (a twin row), leader (lowest loss among two or more lanes).
    With `rates` (sim.instruments.race_rates.lane_rates): also rate (the measured contraction per tick) and
    rate_theory (the exact one on a quadratic), nan where unknown, and rate_status
    ("measured", "measuring", "unsteady", "floor"; None for a row the meter does not follow). `last`: the caller's
    ins.last_ball_per_rule(world), when it has it (a full pass over the balls)."""
    p = world.particles
    last = last_ball_per_rule(world) if last is None else last
    rules = sorted(set(int(r) for r in np.unique(p.rule)))
    twins = {t: b for t, b in (twins or {}).items() if t in rules and b in rules and t != b}
    order: list[tuple[int, bool]] = []
    for rid in rules:
        if rid in twins:
            continue
        order.append((rid, False))
        order.extend((t, True) for t in sorted(twins) if twins[t] == rid)
    rows = [last[rid] for rid, _ in order if rid in last]
    vals = world.potential.value(p.pos[rows]) if rows else np.zeros(0)
    loss = {rid: float(v) for (rid, _), v in zip([o for o in order if o[0] in last], vals)}
    lanes = [rid for rid, twin in order if not twin]
    finite = {k: loss[k] for k in lanes if k in loss and math.isfinite(loss[k])}
    leader = min(finite, key=finite.get) if finite else None
    out = [{"rule": world.rules[rid].name, "rule_id": rid, "loss": loss.get(rid, math.nan),
            "diverged": rid not in last, "twin": twin,
            "leader": rid == leader and len(lanes) > 1} for rid, twin in order]
    if rates is not None:
        for e in out:
            got = rates.get(e["rule_id"], {})
            e["rate"] = float(got.get("rate", math.nan))
            e["rate_theory"] = float(got.get("theory", math.nan))
            e["rate_status"] = got.get("status")
    return out


def ledger_readout(world: World, rows: Any = None, everyone: dict | None = None) -> dict[str, Any]:
    """Keys: all (kinetic, potential, dissipated, initial, drift, count, na over every ball),
    ball (the same for `rows`, None when no ball is selected)."""
    every = everyone if everyone is not None else ledger_total(world)
    sel = ledger_total(world, rows) if rows is not None else None
    return {"all": dict(every), "ball": dict(sel) if sel is not None else None}
