"""The race legend: each lane's loss and its measured rate beside the exact one."""
from __future__ import annotations

import math
from typing import Sequence

import pygame

from sim.support.text import fmt
from render.look.theme import ACCENT, DIM, RULE_COLORS, STATUS_COLORS, TEXT
from render.look.theme import PANEL_PAD as PAD
from render.look.widgets import fit_text
from sim.instruments import readouts as R
from render.panels.draw.writer import panel_writer


# ================================================================================================
# Race
# ================================================================================================

def draw_race_legend(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                     colors: Sequence[tuple[int, int, int]] | None = None,
                     twins: dict[int, int] | None = None,
                     rates: dict[int, dict[str, float]] | None = None,
                     last: dict[int, int] | None = None) -> list[dict]:
    """One row per rule that has balls: its color, name and parameters, and the current loss
    of its most recent ball (diverged balls: "diverged"); the leader is marked. `twins` maps a
    twin rule's id to the id of the lane whose balls it follows: such a rule is not a lane of
    its own but an indented "twin:" row under its lane, with a ring (as on the map). `rates`
    (sim.instruments.race_rates.lane_rates): every lane the meter follows gets a rate row (rate_text).
    `last`: ins.last_ball_per_rule(world) when the caller has it."""
    rect = pygame.Rect(rect)
    with panel_writer(surface, rect, font) as w:
        # rows are indented 14 px by their colour dot; keep room for the widest loss
        loss_col = rect.w - 2 * PAD - 14 - font.size("−0.000e−00 best")[0]
        w.row(("race", ACCENT), ("loss V", DIM), col=(loss_col + 14,))
        entries = R.race_readout(world, twins, rates, last)
        if not entries:
            w.row(("click to drop one ball per rule", DIM))
            return entries
        for e in entries:
            rid, twin = e["rule_id"], e["twin"]
            rule = world.rules[rid]
            color = tuple(colors[rid]) if colors is not None and rid < len(colors) else \
                RULE_COLORS.get(rule.name, TEXT)
            cy = w.y + w.line_h // 2
            indent = 14 if twin else 0
            dark = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2] < 100
            if twin:
                pygame.draw.circle(surface, color, (w.x0 + indent + 5, cy), 5, 2)
            else:
                pygame.draw.circle(surface, color, (w.x0 + 5, cy), 5)
            if dark:  # a dark shade: outline its dot, write its label in the text colour
                pygame.draw.circle(surface, DIM, (w.x0 + indent + 5, cy), 6, 1)
            w.x0 += 14 + indent
            loss = "diverged" if e["diverged"] else fmt(e["loss"])
            lead = e["leader"]
            tone = ACCENT if lead else (DIM if twin else TEXT) if not e["diverged"] else STATUS_COLORS["bad"]
            label = f"twin {_short_label(rule, integrator=False)}" if twin else _short_label(rule)
            label = fit_text(font, label, loss_col - indent - 6)  # never into the loss column
            w.row((label, TEXT if dark else color), (loss + (" best" if lead else ""), tone),
                  col=(loss_col - indent,))
            if e.get("rate_status"):
                w.row((rate_text(e["rate"], e["rate_theory"], e["rate_status"]), DIM))
            w.x0 -= 14 + indent
    return entries


def rate_text(rate: float, theory: float, status: str = "measured") -> str:
    """The race legend's rate row: "rate 0.99501/tick (theory 0.99501)" (1 − rate to three
    significant digits, sim.instruments.race_rates.rate_digits), "rate measuring… (theory 0.667)" until
    the measurement is stable, "no steady rate yet" or "at the rounding floor" where it cannot
    tell; the theory only where it is exact."""
    from sim.instruments.race_rates import rate_digits

    if status == "measured" and math.isfinite(rate):
        text = f"rate {rate:.{rate_digits(rate)}f}/tick"
    else:
        text = {"unsteady": "no steady rate yet", "floor": "rate: at the rounding floor"}.get(
            status, "rate measuring…")
    if math.isfinite(theory):
        text += f" (theory {theory:.{rate_digits(theory)}f})"
    return text


def race_rows(rules: Sequence[int], twins: dict[int, int] | None = None) -> list[tuple[int, bool]]:
    """The race legend's rows: (rule id, is a twin row), lanes in `rules` order, each lane's
    twin rules right under it. A twin whose lane has no balls is a lane row of its own."""
    twins = {t: b for t, b in (twins or {}).items() if t in rules and b in rules and t != b}
    out: list[tuple[int, bool]] = []
    for rid in rules:
        if rid in twins:
            continue
        out.append((rid, False))
        out.extend((t, True) for t in sorted(twins) if twins[t] == rid)
    return out


def _short_label(rule, integrator: bool = True) -> str:
    batch = f" B={rule.batch}" if rule.batch else ""  # a minibatch lane
    sched = f" {rule.schedule}" if rule.schedule != "constant" else ""
    return _rule_label(rule, integrator) + batch + sched


def _rule_label(rule, integrator: bool) -> str:
    if rule.name == "nesterov_ode":
        return f"nesterov_ode dt={fmt(rule.dt, 3)}"
    if rule.newtonian:  # lanes often differ only in mass (the overdamped limit)
        extra = (f" {rule.integrator}" if integrator and rule.name == "newton"
                 and rule.integrator != "verlet" else "")
        mass = f" m={fmt(rule.mass, 3)}" if rule.mass != 1.0 else ""
        return f"{rule.name}{extra}{mass} dt={fmt(rule.dt, 3)}"
    if rule.name in ("momentum", "nesterov"):
        return f"{rule.name} lr={fmt(rule.lr, 3)} β={fmt(rule.beta, 3)}"
    return f"{rule.name} lr={fmt(rule.lr, 3)}"
