"""The bridge panel: heavy-ball momentum is Newton with friction, live."""
from __future__ import annotations

import numpy as np
import pygame

from sim.support.text import fmt
from render.look.theme import ACCENT, DIM, RULE_COLORS, STATUS_COLORS, TEXT
from sim.instruments import readouts as R
from render.panels.draw.writer import panel_writer


# ================================================================================================
# Bridge
# ================================================================================================

def draw_bridge_panel(surface: pygame.Surface, rect: pygame.Rect, world, font: pygame.font.Font,
                      pairs: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """The current rule's other side of the bridge, live (sim.instruments.readouts.bridge_readout):
    optimizer (lr, β) <-> Newton (dt, m, γ), a one-line explanation, and (given pairs of ball /
    twin rows) the largest gap between them. Returns the readout drawn."""
    rect = pygame.Rect(rect)
    b = R.bridge_readout(world, pairs)
    with panel_writer(surface, rect, font) as w:
        w.row(("bridge  ", ACCENT), ("optimizer = Newton with friction", DIM))
        tab = (120,)
        if b["direction"] == "to_newton":
            w.row((world.rule.name, RULE_COLORS.get(world.rule.name, TEXT)),
                  (f"lr = {fmt(b['lr'])}   β = {fmt(b['beta'])}", TEXT), col=tab)
            w.row(("newton twin", RULE_COLORS["newton"]),
                  (f"m = dt²/lr = {fmt(b['mass'])}", TEXT), col=tab)
            w.row(("", TEXT), (f"γ = (1−β)·dt/lr = {fmt(b['friction'])}", TEXT), col=tab)
            w.row(("", TEXT), (f"dt = {fmt(b['dt'])}  symplectic", TEXT), col=tab)
        elif b["direction"] == "to_momentum":
            w.row((world.rule.name, RULE_COLORS.get(world.rule.name, TEXT)),
                  (f"dt = {fmt(b['dt'])}  m = {fmt(b['mass'])}  γ = {fmt(b['friction'])}", TEXT), col=tab)
            name = b["twin"] or "momentum"
            color = RULE_COLORS.get(name, TEXT) if b["valid"] else STATUS_COLORS["bad"]
            verlet = b["integrator"] == "verlet"
            lr_f = "(1+β)·dt²/2m" if verlet else "dt²/m"
            beta_f = "exp(−γ·dt/m)" if verlet else "1 − γ·dt/m"
            w.row((f"{name} twin", color), (f"lr = {lr_f} = {fmt(b['lr'])}", TEXT), col=tab)
            w.row(("", TEXT), (f"β = {beta_f} = {fmt(b['beta'])}", TEXT), col=tab)
        else:
            w.row((world.rule.name, RULE_COLORS.get(world.rule.name, TEXT)), ("no twin", DIM), col=tab)
        if pairs is not None and len(pairs[0]) and len(pairs[0]) == len(pairs[1]):
            w.row(("twin gap", DIM), (f"max |x − x_twin| = {fmt(b['gap'], 3)}", TEXT), col=tab)
        w.space(2)
        w.wrapped(b["text"])
    return b


def twin_gap(world, pairs: tuple[np.ndarray, np.ndarray]) -> float:
    """Largest distance between a ball and its twin (alive pairs; nan when none)."""
    return R.twin_gap(world, pairs)
