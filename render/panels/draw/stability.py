"""The stability panel: the curvature under the cursor against the exact stable interval."""
from __future__ import annotations

import math
from typing import Sequence

import pygame

from sim.support.text import fmt
from render.look.theme import ACCENT, DIM, STATUS_COLORS, TEXT
from sim.instruments import readouts as R
from render.panels.draw.writer import DASH, panel_writer


# ================================================================================================
# Stability
# ================================================================================================

STABILITY_ROWS = 7  # rows the stability panel writes at most (the layout reserves them)



def draw_stability_panel(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                         row: int | None = None, point: Sequence[float] | None = None) -> dict | None:
    """The exact stability of the step at the ball under the cursor (sim.instruments.readouts.
    stability_readout): λmax, λmin, the ratio in each direction against its stable interval,
    the friction number where it has a limit, the verdict and the discrete regime with its
    critical value. Returns the readout drawn (or None)."""
    rect = pygame.Rect(rect)
    with panel_writer(surface, rect, font) as w:
        r = R.stability_readout(world, row, point)
        w.row(("stability", ACCENT), (f"  {r['rule']}" if r else "", DIM))
        if r is None:
            w.row(("hover over a ball", DIM))
            return None
        name = r["ratio_name"] or "lr·λ"
        lw = font.size(f"{name} max")[0] + 20  # after the chip: a long ratio name widens the columns
        tab = (max(74, lw), max(150, lw + 76))
        lam, lam_min = r["lambda_max"], r["lambda_min"]
        w.row(("λmax", TEXT), (fmt(lam), TEXT), (f"λmin {fmt(lam_min)}", DIM),
              chip="ok" if lam > 0 else "n/a", col=tab)
        for k, lam_k in (("max", lam), ("min", lam_min)):
            if k == "min" and not lam_min >= 0:
                w.row((f"{name} min", TEXT), (DASH, TEXT), ("falls away: any step", DIM),
                      chip="n/a", col=tab)
                continue
            w.row((f"{name} {k}", TEXT), (fmt(r[f"ratio_{k}"]), TEXT),
                  (_interval_text(r["limit_lo"], r["limit_hi"]), DIM), chip=r[f"status_{k}"], col=tab)
        if math.isfinite(r["c_limit"]):
            bad = not r["c"] < r["c_limit"]
            w.row(("γ·dt/m", TEXT), (fmt(r["c"]), TEXT), (f"stable < {fmt(r['c_limit'], 3)}", DIM),
                  chip="bad" if bad else "ok", col=tab)
        verdict = r["verdict"]
        chip = {"stable": "ok", "unstable": "bad"}.get(verdict, "n/a")
        note = "adaptive: no fixed region" if verdict == "n/a" and r["rule"] in ("adagrad", "rmsprop", "adam") else ""
        w.row(("step", TEXT), (verdict, STATUS_COLORS[chip]), (note, DIM), chip=chip, col=tab)
        w.row(("regime", TEXT), (r["regime"], TEXT), (_critical_text(name, r["critical"]), DIM),
              col=tab)
        return r


def _interval_text(lo: float, hi: float) -> str:
    if not math.isfinite(hi):
        return "no fixed limit"
    if hi <= lo or hi <= 0.0:  # e.g. explicit Euler without friction
        return "unstable at any step"
    if lo > 0.0:
        return f"stable in ({fmt(lo, 3)}, {fmt(hi, 3)})"
    return f"stable < {fmt(hi, 3)}"


def _critical_text(name: str, critical: Sequence[float]) -> str:
    if not critical:
        return ""
    return "changes at " + name + " = " + ", ".join(fmt(c, 3) for c in critical)


def _limit_text(limit: float) -> str:
    if not math.isfinite(limit):
        return "no fixed limit"
    if limit <= 0.0:  # explicit Euler without friction: every step size gains energy
        return "unstable at any step"
    return f"stable < {fmt(limit, 3)}"
