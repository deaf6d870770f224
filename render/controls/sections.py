"""What the control panel shows: its sections (rules, sliders, landscapes, instruments, files) laid out as widgets."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pygame

from render.look.theme import PAD
from render.input.keys import Cmd
from render.controls.rule_buttons import group_of, groups, rule_rows
from sim.runtime.params import FRICTION_RANGE, MASS_RANGE, STEP_RANGE, TEMPERATURE_RANGE
from sim.runtime.runtime import TIME_SCALE_RANGE
from render.controls.widget import GAP, ROW, SLIDER_H, WIDTH, Widget, key_of
from render.panels.registry import NAMES as INSTRUMENT_NAMES


TOGGLES = (("trails", Cmd.TOGGLE), ("arrows", Cmd.TOGGLE), ("field", Cmd.TOGGLE),
           *((name, Cmd.INSTRUMENT) for name in INSTRUMENT_NAMES),  # render/panels/registry.py
           ("help", Cmd.TOGGLE), ("3D", Cmd.VIEW3D))
# slider name -> (label, range, logarithmic); "step" is lr or dt
SLIDERS: dict[str, tuple[str, tuple[float, float], bool]] = {
    "step": ("step", STEP_RANGE, True),
    "beta": ("β", (0.0, 0.999), False),
    "mass": ("mass", MASS_RANGE, True),
    "friction": ("friction γ", FRICTION_RANGE, True),
    "temperature": ("temperature T", TEMPERATURE_RANGE, True),
    "time_scale": ("time", TIME_SCALE_RANGE, True),
}
MORE = (("integrator", Cmd.INTEGRATOR), ("lr schedule", Cmd.SCHEDULE), ("home view", Cmd.RESET_VIEW), ("save scene", Cmd.SAVE_SCENE),
        ("scenes …", Cmd.SCENE_LIST), ("next scene", Cmd.NEXT_SCENE), ("caption", Cmd.CAPTION),
        ("screenshot", Cmd.SCREENSHOT), ("record GIF", Cmd.RECORD), ("3D reset", Cmd.RESET_3D))
STEP_SPAN = 1e4  # the step slider spans the remembered step ÷ and × this (its range is huge)


def slider_names(rule) -> list[str]:
    """The sliders the current rule reads (time scale always)."""
    names = ["step"]
    own = rule.spec.param_names
    names += [k for k in ("beta", "mass", "friction", "temperature") if k in own]
    return names + ["time_scale"]


def slider_value(name: str, rule, time_scale: float) -> float:
    if name == "step":
        return rule.step_size
    if name == "time_scale":
        return time_scale
    return float(getattr(rule, name))


@dataclass
class State:
    """What the panel shows: the current rule, time scale, landscape, toggles."""

    rule: Any
    time_scale: float
    step_memory: float  # the family's remembered step (the step slider centres on it)
    potential: str
    potentials: list[str]
    toggles: dict[str, bool]
    paused: bool
    data: Any = None  # render.controls.data_controls.DataState on data landscapes (the data section)
    open_groups: frozenset[str] | None = None  # the open rule groups (None: fitting_groups)


def panel_state(runtime, show: dict, instruments, potentials) -> State:
    """What the panel shows now, read from the runtime, the view toggles and the instruments."""
    toggles = dict(show)
    toggles.update(instruments.states())
    if getattr(runtime.world.potential, "data", None) is None:
        toggles["data"] = False  # no data pane on this landscape: the toggle is not lit
    rule = runtime.world.rule
    from render.controls.data_controls import data_state

    return State(rule, runtime.time_scale, runtime.params.steps[rule.family], runtime.world.potential.name,
                 [p.name for p in potentials], toggles, runtime.paused, data_state(runtime.world))


def build(rect: pygame.Rect, st: State) -> list[Widget]:
    """Every widget of the open panel inside rect, top to bottom (open_groups None: the rule
    groups that fit rect's height, fitting_groups)."""
    if st.open_groups is None:
        st = dataclasses.replace(st, open_groups=fitting_groups(st, rect.h))
    out: list[Widget] = []
    x, w = rect.x + PAD, rect.w - 2 * PAD
    y = rect.y + PAD
    half = (w - GAP) // 2

    def button(bx, bw, label, action, lit=False, key="", color=None):
        out.append(Widget("button", pygame.Rect(bx, y, bw, ROW), label, action, lit, key, color))

    def heading(text):
        nonlocal y
        out.append(Widget("heading", pygame.Rect(x, y, w, 14), text))
        y += 15

    heading("run")
    third = (w - 2 * GAP) // 3
    for i, (label, cmd) in enumerate((("run" if st.paused else "pause", Cmd.PAUSE),
                                      ("step", Cmd.STEP), ("rewind", Cmd.REWIND),
                                      ("restart", Cmd.RESTART), ("clear", Cmd.CLEAR))):
        if i == 3:
            y += ROW + GAP
        button(x + (i % 3) * (third + GAP), third, label, (cmd, None), key=key_of(cmd),
               lit=(cmd is Cmd.PAUSE and st.paused))
    y += ROW + GAP + 1
    heading("rule · Tab / Shift+Tab")
    y = rule_rows(out, _rule_widget, x, y, w, st.rule.name, st.open_groups, key_of) + 1
    heading("parameters")
    for name in slider_names(st.rule):
        label, (lo, hi), log = SLIDERS[name]
        if name == "step":
            label = st.rule.step_name
            lo = max(STEP_RANGE[0], st.step_memory / STEP_SPAN)
            hi = min(STEP_RANGE[1], st.step_memory * STEP_SPAN)
        value = slider_value(name, st.rule, st.time_scale)
        keys = {"step": key_of(Cmd.STEP_SIZE), "friction": key_of(Cmd.FRICTION),
                "temperature": key_of(Cmd.TEMPERATURE), "time_scale": key_of(Cmd.TIME_SCALE),
                "mass": key_of(Cmd.MASS)}.get(name, "")
        track = pygame.Rect(x, y + 16, w, 12)
        out.append(Widget("slider", track, label, name, key=keys, lo=lo, hi=hi, log=log, value=value))
        out.append(Widget("value", pygame.Rect(x + w - 90, y, 90, 16), label, name, value=value))
        y += SLIDER_H
    y += 4
    heading("landscape")
    for i, name in enumerate(st.potentials):
        col = i % 2
        if col == 0 and i:
            y += ROW - 3
        out.append(Widget("button", pygame.Rect(x + col * (half + GAP), y, half, ROW - 4), name,
                          (Cmd.POTENTIAL, i), st.potential == name, key_of(Cmd.POTENTIAL, i)))
    y += ROW - 4 + GAP - 2
    button(x, w, "type a formula V(x, y) …", (Cmd.FORMULA, None), key=key_of(Cmd.FORMULA))
    y += ROW + GAP + 1
    if st.data is not None:  # a data landscape: its data set, a CSV file, the minibatch size
        from render.controls.data_controls import data_rows
        y = data_rows(out, x, y, w, st.data)
    heading("instruments")
    third = (w - 2 * GAP) // 3
    for i, (name, cmd) in enumerate(TOGGLES):
        y += ROW + GAP if i and i % 3 == 0 else 0
        button(x + (i % 3) * (third + GAP), third, name, (cmd, name), lit=st.toggles.get(name, False),
               key=key_of(cmd, name))
    y += ROW + GAP + 1
    heading("scenes and files")
    for i, (label, cmd) in enumerate(MORE):
        y += ROW + GAP if i and i % 3 == 0 else 0
        button(x + (i % 3) * (third + GAP), third, label, (cmd, None), key=key_of(cmd))
    return out


def _rule_widget(kind, rect, label, action, lit, key, color, colors=(), is_open=False, count=0) -> Widget:
    """A rule button ("rule": a button whose action is its Cmd.RULE) or a group heading
    ("group": value 1 when open, hi its number of rules)."""
    return Widget("button" if kind == "rule" else kind, rect, label, action, lit, key, color,
                  hi=count if kind == "group" else 1.0, value=float(is_open), colors=colors)


def fitting_groups(st: State, height: int) -> frozenset[str]:
    """The rule groups open by default: the current rule's, then each other group in registry
    order while the whole panel still fits `height` pixels unscrolled."""
    def fits(opened: frozenset[str]) -> bool:
        ws = build(pygame.Rect(0, 0, WIDTH, 10_000), dataclasses.replace(st, open_groups=opened))
        return max(w.rect.bottom for w in ws) + PAD <= height

    opened = frozenset({group_of(st.rule.name)})
    for g, _ in groups():
        if g not in opened and fits(opened | {g}):
            opened |= {g}
    return opened


def content_height(st: State) -> int:
    """How tall the open panel's content is (it scrolls when the window is shorter)."""
    ws = build(pygame.Rect(0, 0, WIDTH, 10_000), st)
    return max(r.rect.bottom for r in ws) + PAD if ws else 0
