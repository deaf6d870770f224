"""Arrows from the balls, in pixels: each ball's velocity (where it would be in half a second
at ×1, length eased) and the force −∇V (length by |∇V| against the field's median), and the
speed a throw in progress would give."""
from __future__ import annotations

import numpy as np

from render.map.arrows import ARROW_LENGTH, ARROW_MAX, saturate
from sim.core.clock import TICK_HZ

THROW_SECONDS = 0.5  # a thrown ball would cover its drag vector in this much time (at ×1)


def ball_arrows(world, proj, view, field) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tails, velocity tips, force tips) [k, 2] in pixels for the first ARROW_MAX visible
    balls; `field` (the −∇V overlay) gives the force scale."""
    rows = np.flatnonzero(proj.visible)[:ARROW_MAX]
    if len(rows) == 0:
        z = np.zeros((0, 2))
        return z, z, z
    p = world.particles
    tails = np.column_stack([proj.sx[rows], proj.sy[rows]])
    newt = np.array([r.newtonian for r in world.rules])[p.rule[rows]]
    tick_time = np.array([r.tick_time for r in world.rules])[p.rule[rows]]
    vel = np.where(newt[:, None], p.vel[rows], p.pos[rows] - p.prev[rows])
    # where the ball would be in half a second of real time at ×1, length eased at the top
    disp = vel * (np.where(newt, tick_time, 1.0) * TICK_HZ * 0.5)[:, None] * view.scale
    disp[:, 1] *= -1.0
    length = np.hypot(disp[:, 0], disp[:, 1])
    with np.errstate(all="ignore"):
        eased = ARROW_LENGTH * np.tanh(length / ARROW_LENGTH)
        disp *= np.where(length > 0, eased / length, 0.0)[:, None]
    disp[~np.isfinite(disp)] = 0.0
    g = world.potential.grad(p.pos[rows])
    mag = np.hypot(g[:, 0], g[:, 1])
    field.surface(view, world.potential)  # its median |∇V| sets the scale
    length = saturate(mag, field.ref, 0.75 * ARROW_LENGTH)
    with np.errstate(all="ignore"):
        u = -g / mag[:, None]
    u[~np.isfinite(u)] = 0.0
    u[:, 1] *= -1.0
    return tails, tails + disp, tails + u * length[:, None]


def throw_velocity(runtime, view, start, end) -> np.ndarray:
    """The velocity (world units per unit time) a drag from pixel start to end throws with."""
    p0 = np.array(view.pixel_to_world(*start))
    p1 = np.array(view.pixel_to_world(*end))
    return (p1 - p0) / runtime.throw_time(THROW_SECONDS)


def throw_label(runtime, view, start, end) -> str:
    """What the throw arrow says: the speed, and whether the current rule keeps it."""
    from sim.support.text import fmt

    speed = float(np.hypot(*throw_velocity(runtime, view, start, end)))
    note = "" if runtime.rule.keeps_throw else \
        "   (no momentum: kept by momentum, nesterov, newton, langevin)"
    return f"v = {fmt(speed, 3)}{note}"
