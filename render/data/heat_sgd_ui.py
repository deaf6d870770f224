"""The heat panel's SGD view: balls on minibatches at a minimum against Langevin at T_eff.

Numbers from sim/data/sgd_heat.py (the same function `--report` writes under `heat.sgd.*`):
a table of the cloud's variance along the Hessian's axes (measured; Langevin at T_eff; SGD
with the exact C at the minimum; SGD with C(x) growing away from it), then where SGD and
Langevin part (C's anisotropy, tr C across the cloud), what the predictions cover, and a plot
of the cloud with the predicted 2-sigma ellipses, in the landscape's units at equal scale.
"""
from __future__ import annotations

import math

import numpy as np
import pygame

from render.look import widgets
from render.look.theme import ACCENT, DIM, GRID, HEAT_CURVE, LINE_GAP, RULE_COLORS, TEXT
from render.look.theme import PANEL_PAD as PAD
from sim.data import sgd_heat as S
from sim.support.text import fmt

PLOT_H = 116  # pixels
TEXT_ROWS = 8  # rows above the note and the plot; one more under it (the legend)
SGD_COLOR = (120, 235, 140)  # the prediction with C at the minimum
MOVING_COLOR = (120, 210, 255)  # ... and with C(x) growing away from it
LANGEVIN_COLOR = HEAT_CURVE  # as the langevin view's exp(−V/T) curve
ELLIPSE_SIGMAS = 2.0
ELLIPSE_POINTS = 72
MAX_DOTS = 3000  # balls drawn in the plot at most (every k-th beyond)
DOT_ALPHA = 170
COLUMNS = (70, 132, 200, 262)  # x offsets of the table's four value columns
PREDICTS = {"gd": "gd: x ← (I − lr·H)x − lr·noise",
            "momentum": "momentum: the 4×4 map of (x, u)",
            "nesterov": "nesterov: the 4×4 map of (x, u)",
            "newton_method": "newton_method: x ← (1 − lr)x − lr·H⁻¹·noise"}


def sci(v: float) -> str:
    """A variance in the table: three digits, always as mantissa e exponent (−: U+2212)."""
    if not isinstance(v, (int, float)) or not math.isfinite(v):
        return "—"
    mant, exp = f"{v:.2e}".split("e")
    return f"{mant}e{int(exp)}".replace("-", "−")


def note(r: dict) -> str:
    """What the predictions cover, or why there are none."""
    if r["rule"] not in S.PREDICTED_RULES:
        return (f"{r['rule']}: no prediction (adaptive steps are not a linear map; "
                "gd, momentum, nesterov, newton_method only)")
    if not r["predicted"] and not min(r["hessian_eigenvalues"]) > 0:
        return "no stationary spread: not at a minimum (H is not positive definite)"
    if not r["predicted"]:
        return "no stationary spread: lr too large for the curvature (the map is unstable)"
    text = PREDICTS[r["rule"]] + ", discrete Lyapunov, exact"
    if not r["moving_known"]:
        text += "; C(x) needs the examples' Hessians (linreg, logreg)"
    elif r["cov_sgd_moving"] is None:
        text += "; C(x): the noise grows faster than the map contracts: no stationary spread (heavy tails)"
    else:
        text += "; C(x): to first order in x − x* (exact for linreg)"
    if r["schedule"] != "constant":
        text += "; lr schedule ignored"
    relax_var = r.get("relax_ticks_var", math.nan)
    if math.isfinite(r["relax_ticks"]) and math.isfinite(relax_var):
        text += (f"; the mean settles in a few × {fmt(r['relax_ticks'], 3)} ticks, the variance "
                 f"in a few × {fmt(relax_var, 3)}")
    elif math.isfinite(r["relax_ticks"]):
        text += f"; the mean settles in a few × {fmt(r['relax_ticks'], 3)} ticks"
    return text + tail_note(r)


def tail_note(r: dict) -> str:
    """Why the measured variance has no ± (heavy tails), or nothing."""
    fourth = r.get("fourth_moment", "unknown")
    if not fourth.startswith("infinite"):
        return ""
    if fourth == "infinite":
        why = f"E|x|⁴ = ∞ (the 4th-moment map's radius {fmt(r['rho_fourth'], 3)} ≥ 1)"
    else:
        why = f"tail index ≈ {fmt(r['tail_index'], 2)} < 4 (Hill)"
    text = (f"; heavy tails: {why}, so the balls' variance wanders and does not settle like "
            "1/√balls: no ±")
    if r["far"] and math.isfinite(r.get("far_share", math.nan)):
        text += f"; the {r['far']} far balls carry {100 * r['far_share']:.0f}% of the spread"
    return text


def spread_error(r: dict) -> str:
    """The balls count's suffix: the measured variance's distribution-free ± (from the balls'
    own fourth moment), "no ±" under heavy tails, or nothing."""
    if r["balls"] < 3:
        return ""
    if r.get("fourth_moment", "unknown").startswith("infinite"):
        return " (no ±: heavy tails)"
    se = r.get("var_measured_rel_se", math.nan)
    return f" (±{fmt(100 * se, 2)}%)" if math.isfinite(se) else ""


class SgdView:
    """sim.data.sgd_heat.sgd_heat(world) once per frame: the panel measures, then draws."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._got = None

    def get(self, world, frame: int, chosen: int | None = None):
        """(readout, positions [k, 2], near [k]) for the chosen ball's rule (else the current
        or first minibatch rule), or None when the heat panel shows its langevin view instead."""
        key = (frame, id(world), world.tick_count, world.n, id(world.potential), chosen)
        if key != self._key:
            self._key, self._got = key, S.sgd_heat(world, chosen)
        return self._got


def measure(font: pygame.font.Font, r: dict, width: int) -> int:
    """Height in pixels of the SGD view for readout r at this width."""
    lh = font.get_linesize() + LINE_GAP
    rows = TEXT_ROWS + 1 + widgets.wrapped_rows(font, note(r), width - 2 * PAD)
    return 2 * PAD + rows * lh + PLOT_H + 4


def _row(surface, font, x0: int, y: int, parts, cols=()) -> None:
    x = x0
    for i, (text, color) in enumerate(parts):
        if 0 < i <= len(cols):
            x = max(x, x0 + cols[i - 1])
        s = widgets.text(font, text, color)
        surface.blit(s, (x, y))
        x += s.get_width()


def _lines(r: dict) -> list:
    """The text rows above the plot: (pieces, column offsets)."""
    se = spread_error(r)
    who = f"{r['rule']}  lr {fmt(r['lr'], 3)}  B {r['batch']} of {r['n']}   {r['balls']} balls{se}"
    out = f"{r['far']} far " if r["far"] else ""
    out += f"{r['left_out']} left out" if r["left_out"] else ""
    where = "at the minimum" if r["center_kind"] == "minimum" else "at the cloud's median"
    lam, vm, vl, vs, vx = (r[k] for k in ("hessian_eigenvalues", "var_measured", "var_langevin", "var_sgd",
                                          "var_sgd_moving"))
    lo, hi = r["trace_c_edge_ratio"]
    return [
        ([("heat", ACCENT), ("  SGD vs Langevin at T_eff", TEXT)], ()),
        ([(who, DIM), ("   " + out if out else "", DIM)], ()),
        ([(f"T_eff = {fmt(r['t_eff'], 3)} {where}" if r["t_eff"] is not None
           else f"T_eff n/a for {r['rule']}", TEXT), (f"   tr C = {fmt(r['trace_c'], 3)}", DIM)], ()),
        ([("variance", DIM), ("balls", TEXT), ("Langevin", LANGEVIN_COLOR), ("SGD C(x*)", SGD_COLOR),
          ("C(x)", MOVING_COLOR)], COLUMNS),
        *[([(f"e{i + 1} λ {fmt(lam[i], 3)}", DIM), (sci(vm[i]), TEXT), (sci(vl[i]), LANGEVIN_COLOR),
            (sci(vs[i]), SGD_COLOR), (sci(vx[i]), MOVING_COLOR)], COLUMNS) for i in range(2)],
        ([("C not isotropic: ", ACCENT),
          (f"c1/c2 = {fmt(r['anisotropy'], 3)}, {r['c_angle_deg']:.0f}° from e1", TEXT)], ()),
        ([("nor constant: ", ACCENT), (f"tr C at 1σ = ×{fmt(lo, 3)} … ×{fmt(hi, 3)}", TEXT)], ()),
    ]


def draw_panel(surface: pygame.Surface, rect: pygame.Rect, font: pygame.font.Font, r: dict,
               pts: np.ndarray, near: np.ndarray) -> dict:
    """The SGD view as a panel in rect (background, clipped to rect). Returns r."""
    rect = pygame.Rect(rect)
    with widgets.clip(surface, rect):
        widgets.draw_panel(surface, rect)
        return draw(surface, rect, font, r, pts, near)


def draw(surface: pygame.Surface, rect: pygame.Rect, font: pygame.font.Font, r: dict,
         pts: np.ndarray, near: np.ndarray) -> dict:
    """The SGD view's rows and plot inside rect; pts [k, 2] the group's balls, near [k] those
    counted. Returns r."""
    lh = font.get_linesize() + LINE_GAP
    x0, y = rect.x + PAD, rect.y + PAD
    for parts, cols in _lines(r):
        _row(surface, font, x0, y, parts, cols)
        y += lh
    for line in widgets.wrapped_lines(font, note(r), rect.w - 2 * PAD):
        _row(surface, font, x0, y, [(line, DIM)])
        y += lh
    plot = pygame.Rect(x0, y + 2, rect.w - 2 * PAD, PLOT_H)
    _plot(surface, plot, font, r, pts[near], RULE_COLORS.get(r["rule"], TEXT))
    sig = f"{ELLIPSE_SIGMAS:.0f}σ"
    legend = [("· balls", RULE_COLORS.get(r["rule"], TEXT))]
    for key, label, color in (("cov_langevin", "Langevin", LANGEVIN_COLOR), ("cov_sgd", "C(x*)", SGD_COLOR),
                              ("cov_sgd_moving", "C(x)", MOVING_COLOR)):
        if r[key] is not None:
            legend.append((f"  ◯ {label}", color))
    if len(legend) > 1:
        legend.append((f"   {sig}", DIM))
    _row(surface, font, x0, plot.bottom + 2, legend)
    return r


def _ellipse(cov, sigmas: float = ELLIPSE_SIGMAS) -> np.ndarray | None:
    """Points [ELLIPSE_POINTS, 2] of the sigmas-ellipse of cov [2, 2] around 0; None if absent."""
    if cov is None:
        return None
    c = np.asarray(cov, dtype=np.float64)
    if not np.all(np.isfinite(c)):
        return None
    w, v = np.linalg.eigh(c)
    t = np.linspace(0.0, 2.0 * math.pi, ELLIPSE_POINTS)
    unit = np.column_stack([np.cos(t), np.sin(t)])
    return sigmas * (unit * np.sqrt(np.maximum(w, 0.0))) @ v.T


def _dots(size: tuple[int, int], xy: np.ndarray, color) -> pygame.Surface:
    """A transparent surface of `size` with a 2×2 dot of color at each pixel xy [k, 2]
    (vectorized; points outside are dropped)."""
    layer = pygame.Surface(size, pygame.SRCALPHA)
    w, h = size
    mask = np.zeros((w, h), dtype=bool)
    for dx in (0, 1):
        for dy in (0, 1):
            x, y = xy[:, 0] + dx, xy[:, 1] + dy
            ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
            mask[x[ok], y[ok]] = True
    rgb = pygame.surfarray.pixels3d(layer)
    rgb[mask] = color
    del rgb
    alpha = pygame.surfarray.pixels_alpha(layer)
    alpha[mask] = DOT_ALPHA
    del alpha
    return layer


def _plot(surface: pygame.Surface, plot: pygame.Rect, font: pygame.font.Font, r: dict,
          pts: np.ndarray, dot) -> None:
    """The cloud around the center with the predicted ellipses and H's axes, equal scales."""
    pygame.draw.rect(surface, GRID, plot, width=1)
    inner = plot.inflate(-6, -6)
    center = np.asarray(r["center"], dtype=np.float64)
    shapes = {name: _ellipse(r[f"cov_{name}"]) for name in ("langevin", "sgd", "sgd_moving", "measured")}
    reach = np.zeros(2)
    for e in shapes.values():
        if e is not None:
            reach = np.maximum(reach, np.abs(e).max(axis=0))
    if not np.all(reach > 0):
        return
    scale = min(inner.w / (2 * reach[0]), inner.h / (2 * reach[1]))
    mid = np.array([inner.centerx, inner.centery], dtype=np.float64)

    def px(d: np.ndarray) -> np.ndarray:
        return mid + np.column_stack([d[:, 0], -d[:, 1]]) * scale

    with widgets.clip(surface, inner):
        a = math.radians(r["e1_angle_deg"])
        for i, u in enumerate((np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)]))):
            ends = px(np.array([-u, u]) * 4 * reach.max())
            pygame.draw.line(surface, GRID, ends[0], ends[1])
            tip = px(u[None] * 0.42 * inner.h / scale)[0]
            surface.blit(widgets.text(font, f"e{i + 1}", DIM), (tip[0] + 2, tip[1] - font.get_linesize()))
        step = max(1, len(pts) // MAX_DOTS)
        xy = np.floor(px(pts[::step] - center) - (inner.x, inner.y)).astype(np.intp)
        surface.blit(_dots(inner.size, xy, dot), inner.topleft)
        for name, color, width in (("langevin", LANGEVIN_COLOR, 2), ("sgd", SGD_COLOR, 2),
                                   ("sgd_moving", MOVING_COLOR, 1)):
            if shapes[name] is not None:
                pygame.draw.lines(surface, color, True, px(shapes[name]).tolist(), width)
