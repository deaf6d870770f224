"""The control panel on the right edge: every command a key gives, by mouse.

Play/pause, single step, restart, clear; one button per rule; sliders for the step size, β,
mass, friction, temperature and time scale (only what the current rule reads); the landscapes
and the formula editor; a toggle for every instrument. Each control shows its key on hover,
and a slider's number can be clicked to type an exact value. Controls issue the same commands
the keys do (`App.commands` and the runtime's `set_value`), so the HUD, toasts and scenes stay
consistent. Geometry is pure: `build(rect, state)` returns the widgets, tested offscreen.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any

import pygame

from render import hud
from render.keys import KEYS, Cmd
from render.rule_buttons import draw_group, draw_rule, group_of, groups, rule_rows
from sim.rules import registry
from sim.runtime import FRICTION_RANGE, MASS_RANGE, STEP_RANGE, TEMPERATURE_RANGE, TIME_SCALE_RANGE

WIDTH = 236  # pixels, the panel's width when open
TAB = 22  # pixels, the strip that stays when it is collapsed
ROW = 20  # pixels per button row
GAP = 3
SLIDER_H = 30  # label row + track
TOGGLES = (("trails", Cmd.TOGGLE), ("arrows", Cmd.TOGGLE), ("field", Cmd.TOGGLE),
           ("race", Cmd.INSTRUMENT), ("twin", Cmd.INSTRUMENT), ("ledger", Cmd.INSTRUMENT),
           ("stability", Cmd.INSTRUMENT), ("basins", Cmd.INSTRUMENT), ("heat", Cmd.INSTRUMENT),
           ("data", Cmd.INSTRUMENT), ("plane", Cmd.INSTRUMENT), ("phase", Cmd.INSTRUMENT),
           ("edge", Cmd.INSTRUMENT), ("breaks", Cmd.INSTRUMENT), ("modified", Cmd.INSTRUMENT),
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


@dataclass
class Widget:
    """A button (kind "button"), a slider ("slider"), its number ("value") or a heading."""

    kind: str
    rect: pygame.Rect
    label: str
    action: tuple[Cmd, Any] | str | None = None  # a key command, or a slider's name
    lit: bool = False
    key: str = ""  # the key that does the same (shown on hover)
    color: tuple[int, int, int] | None = None
    lo: float = 0.0
    hi: float = 1.0
    log: bool = False
    value: float = 0.0
    colors: tuple = ()  # a collapsed rule group's colour dots


@functools.lru_cache(maxsize=256)
def key_of(cmd: Cmd, arg: Any = None) -> str:
    """The key (as the help writes it) bound to this command and argument, or ""."""
    for b in KEYS:
        if b.command is cmd and (arg is None or b.arg == arg):
            return b.keys_label
    return ""


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


def to_fraction(value: float, lo: float, hi: float, log: bool) -> float:
    """Where value sits on a slider from lo to hi, 0..1 (0 for 0 on a log slider)."""
    if log:
        if value <= 0:
            return 0.0
        f = (math.log(value) - math.log(lo)) / (math.log(hi) - math.log(lo))
    else:
        f = (value - lo) / (hi - lo)
    return min(max(f, 0.0), 1.0)


def from_fraction(f: float, lo: float, hi: float, log: bool) -> float:
    f = min(max(f, 0.0), 1.0)
    if log:
        return math.exp(math.log(lo) + f * (math.log(hi) - math.log(lo)))
    return lo + f * (hi - lo)


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
    data: Any = None  # render.data_controls.DataState on data landscapes (the data section)
    open_groups: frozenset[str] | None = None  # the open rule groups (None: fitting_groups)


def panel_state(runtime, show: dict, instruments, potentials) -> State:
    """What the panel shows now, read from the runtime, the view toggles and the instruments."""
    toggles = dict(show)
    toggles.update(instruments.states())
    if getattr(runtime.world.potential, "data", None) is None:
        toggles["data"] = False  # no data pane on this landscape: the toggle is not lit
    rule = runtime.world.rule
    from render.data_controls import data_state

    return State(rule, runtime.time_scale, runtime.steps[rule.family], runtime.world.potential.name,
                 [p.name for p in potentials], toggles, runtime.paused, data_state(runtime.world))


def build(rect: pygame.Rect, st: State) -> list[Widget]:
    """Every widget of the open panel inside rect, top to bottom (open_groups None: the rule
    groups that fit rect's height, fitting_groups)."""
    if st.open_groups is None:
        st = dataclasses.replace(st, open_groups=fitting_groups(st, rect.h))
    out: list[Widget] = []
    x, w = rect.x + hud.PAD, rect.w - 2 * hud.PAD
    y = rect.y + hud.PAD
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
        from render.data_controls import data_rows
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
        return max(w.rect.bottom for w in ws) + hud.PAD <= height

    opened = frozenset({group_of(st.rule.name)})
    for g, _ in groups():
        if g not in opened and fits(opened | {g}):
            opened |= {g}
    return opened


def content_height(st: State) -> int:
    """How tall the open panel's content is (it scrolls when the window is shorter)."""
    ws = build(pygame.Rect(0, 0, WIDTH, 10_000), st)
    return max(r.rect.bottom for r in ws) + hud.PAD if ws else 0


class ControlPanel:
    """The panel between frames: open or collapsed, scrolled, a slider being dragged, a value
    being typed, the widget under the mouse. `command(cmd, arg)` runs a key's command;
    `set_value(name, value)` sets a parameter (both the App's)."""

    def __init__(self, fonts, command, set_value, is_open: bool = True) -> None:
        self.fonts = fonts
        self.command = command
        self.set_value = set_value
        self.open = is_open
        self.scroll = 0
        self.widgets: list[Widget] = []
        self.rect: pygame.Rect | None = None  # where the panel was drawn
        self.dragging: Widget | None = None
        self.typing: tuple[str, str, str] | None = None  # (slider, text, error)
        self.hover: Widget | None = None
        self._mouse: tuple[int, int] | None = None
        self._drawn: tuple[tuple, pygame.Surface] | None = None  # (what was drawn, its pixels)
        self.group_open: dict[str, bool] = {}  # rule groups the user opened or collapsed
        self._group: str | None = None  # the current rule's group when last drawn

    def width(self) -> int:
        return WIDTH if self.open else TAB

    def toggle(self) -> None:
        self.open = not self.open
        self.dragging = self.typing = None

    # -- input -----------------------------------------------------------------------------
    def claim(self, event) -> bool:
        """Events for the panel: clicks, drags and the wheel over it; keys while typing."""
        t = event.type
        if self.typing is not None and t in (pygame.KEYDOWN, pygame.TEXTINPUT, pygame.KEYUP):
            if t == pygame.KEYDOWN:
                self._type_key(event)
            return True
        if t == pygame.MOUSEMOTION:
            self._mouse = tuple(event.pos)
            if self.dragging is not None:
                self._drag_to(event.pos[0])
                return True
            return False
        if t == pygame.MOUSEBUTTONUP and self.dragging is not None:
            self.dragging = None
            return True
        inside = self.rect is not None and self.rect.collidepoint(getattr(event, "pos", (-1, -1)))
        if t == pygame.MOUSEWHEEL:
            mouse = self._mouse or pygame.mouse.get_pos()
            if self.rect is not None and self.rect.collidepoint(mouse):
                self.scroll = max(0, self.scroll - int(event.y) * 3 * ROW)
                return True
            return False
        if t == pygame.MOUSEBUTTONDOWN and inside:
            if event.button == 1:
                self._press(tuple(event.pos))
            return True
        return t == pygame.MOUSEBUTTONUP and inside

    def _press(self, pos) -> None:
        self.typing = None
        if not self.open or (self.rect is not None and pos[1] < self.rect.y + ROW and
                             pos[0] > self.rect.right - ROW - hud.PAD):
            self.toggle()
            return
        for wdg in self.widgets:
            if not wdg.rect.collidepoint(pos):
                continue
            if wdg.kind == "group":
                self.group_open[wdg.label] = not wdg.value
            elif wdg.kind == "button":
                self.command(*wdg.action)
            elif wdg.kind == "value":
                self.typing = (wdg.action, "", "")
            elif wdg.kind == "slider":
                self.dragging = wdg
                self._drag_to(pos[0])
            return

    def _drag_to(self, px: int) -> None:
        w = self.dragging
        f = (px - w.rect.x) / max(w.rect.w, 1)
        value = from_fraction(f, w.lo, w.hi, w.log)
        if w.action in ("friction", "temperature") and f <= 0.0:
            value = 0.0  # the far left of a friction or heat slider is none at all
        self.set_value(w.action, value)

    def _type_key(self, event) -> None:
        name, text, _err = self.typing
        if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            value = parse_number(text)
            if value is None:
                self.typing = (name, text, "not a number")
                return
            self.typing = None
            self.set_value(name, value)
        elif event.key == pygame.K_ESCAPE:
            self.typing = None
        elif event.key == pygame.K_BACKSPACE:
            self.typing = (name, text[:-1], "")
        else:
            ch = getattr(event, "unicode", "") or ""
            if ch and ch in "0123456789.eE+-" and len(text) < 24:
                self.typing = (name, text + ch, "")

    # -- drawing ---------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface, rect: pygame.Rect, st: State) -> None:
        self.rect = rect
        f = self.fonts
        if not self.open:
            self._frame(surface, rect)
            self.widgets = []
            label = f.text("P", f.small, hud.DIM)
            surface.blit(label, (rect.x + (rect.w - label.get_width()) // 2, rect.y + 28))
            return
        st = dataclasses.replace(st, open_groups=self.open_groups(st, rect.h))
        total = content_height(st)
        self.scroll = max(0, min(self.scroll, total - rect.h))
        inner = pygame.Rect(rect.x, rect.y - self.scroll, rect.w, max(total, rect.h))
        self.widgets = build(inner, st)
        # the widgets as drawn: the same again (most frames) blits last frame's pixels
        seen = (tuple(rect), self.typing, self.scroll,
                tuple((w.kind, w.label, w.lit, w.value, w.color, tuple(w.rect), w.lo, w.hi, w.log, w.colors)
                      for w in self.widgets))
        if self._drawn is not None and self._drawn[0] == seen:
            surface.blit(self._drawn[1], rect)
        else:
            self._frame(surface, rect)
            clip = surface.get_clip()
            surface.set_clip(rect)
            for wdg in self.widgets:
                self._draw_widget(surface, wdg)
            self._draw_scrollbar(surface, rect, total)
            surface.set_clip(clip)
            shot = pygame.Surface(rect.size)
            shot.blit(surface, (0, 0), rect)
            self._drawn = (seen, shot)
        self._draw_hover(surface, rect)

    def open_groups(self, st: State, height: int) -> frozenset[str]:
        """The rule groups shown open: the current rule's, then each other group in registry
        order while the whole panel still fits its height unscrolled; a group the user opened or
        collapsed stays so, until the current rule moves into it (Tab), which opens it."""
        group = group_of(st.rule.name)
        if group != self._group:
            self.group_open.pop(group, None)
            self._group = group
        order = [g for g, _ in groups()]
        default = fitting_groups(st, height)
        return frozenset(g for g in order if self.group_open.get(g, g in default))

    def _draw_scrollbar(self, surface: pygame.Surface, rect: pygame.Rect, total: int) -> None:
        """When the content is taller than the panel: a thin bar on the right edge, and at the
        bottom, until scrolled there, a fade with "more below (wheel)"."""
        if total <= rect.h:
            return
        track = pygame.Rect(rect.right - 4, rect.y + 2, 3, rect.h - 4)
        knob_h = max(int(track.h * rect.h / total), 16)
        knob_y = track.y + int((track.h - knob_h) * self.scroll / max(total - rect.h, 1))
        pygame.draw.rect(surface, (40, 42, 56), track)
        pygame.draw.rect(surface, hud.DIM, pygame.Rect(track.x, knob_y, track.w, knob_h))
        if self.scroll < total - rect.h:
            f = self.fonts
            label = f.text("▾ more below (wheel)", f.small, hud.ACCENT)
            band = pygame.Rect(rect.x, rect.bottom - label.get_height() - 6, rect.w - 6,
                               label.get_height() + 6)
            surface.fill((12, 13, 22), band)
            pygame.draw.line(surface, (70, 74, 92), band.topleft, band.topright)
            surface.blit(label, label.get_rect(center=band.center))

    def _frame(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """The panel's opaque background and its open/close tab."""
        surface.fill((8, 9, 14), rect)  # beside the map, not over it: nothing may show through
        surface.blit(self._background(rect.size), rect)
        f = self.fonts
        tab = f.text("›" if self.open else "‹", f.body, hud.ACCENT)
        surface.blit(tab, (rect.right - hud.PAD - tab.get_width(), rect.y + 4))

    def _background(self, size) -> pygame.Surface:
        s = pygame.Surface(size, pygame.SRCALPHA, 32)
        s.fill((12, 13, 22, 232))
        pygame.draw.line(s, (255, 255, 255, 40), (0, 0), (0, size[1]))
        return s

    def _draw_widget(self, surface: pygame.Surface, wdg: Widget) -> None:
        f = self.fonts
        r = wdg.rect
        if wdg.kind == "heading":
            surface.blit(f.text(wdg.label.upper(), f.small, hud.ACCENT), r.topleft)
        elif wdg.kind == "group":
            draw_group(surface, f, wdg, hud.ACCENT, hud.DIM, hud.TEXT)
        elif wdg.kind == "button" and wdg.action[0] is Cmd.RULE:
            draw_rule(surface, f, wdg, hud.TEXT, hud.DIM, hud.fit_text)
        elif wdg.kind == "button":
            label = hud.fit_text(f.small, wdg.label, r.w - 6)
            if wdg.lit:
                pygame.draw.rect(surface, wdg.color or hud.ACCENT, r, border_radius=5)
                text = f.text(label, f.small, (14, 14, 20))
            else:
                pygame.draw.rect(surface, (70, 74, 92), r, width=1, border_radius=5)
                text = f.text(label, f.small, hud.TEXT if wdg.color is None else wdg.color)
            surface.blit(text, text.get_rect(center=r.center))
        elif wdg.kind == "slider":
            surface.blit(f.text(wdg.label, f.small, hud.DIM), (r.x, r.y - 16))
            mid = r.centery
            pygame.draw.line(surface, (70, 74, 92), (r.x, mid), (r.right, mid), 3)
            fx = to_fraction(wdg.value, wdg.lo, wdg.hi, wdg.log)
            knob = (int(r.x + fx * r.w), mid)
            pygame.draw.line(surface, hud.ACCENT, (r.x, mid), knob, 3)
            pygame.draw.circle(surface, hud.ACCENT, knob, 6)
        elif wdg.kind == "value":
            self._draw_value(surface, wdg)

    def _draw_value(self, surface: pygame.Surface, wdg: Widget) -> None:
        f = self.fonts
        r = wdg.rect
        if self.typing is not None and self.typing[0] == wdg.action:
            _, text, err = self.typing
            pygame.draw.rect(surface, (30, 32, 48), r)
            pygame.draw.rect(surface, hud.WARN if err else hud.ACCENT, r, width=1)
            s = f.text(err or (text + "▏"), f.small, hud.WARN if err else hud.TEXT)
        else:
            v = wdg.value
            s = f.text(hud.fmt(v) if wdg.action != "time_scale" else f"×{v:g}", f.small, hud.TEXT)
        surface.blit(s, (r.right - s.get_width() - 2, r.y))

    def _draw_hover(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        """The hovered control's key (or what a click on a number does)."""
        m = self._mouse
        self.hover = None
        if m is None or not rect.collidepoint(m):
            return
        for wdg in self.widgets:
            if wdg.kind != "heading" and wdg.rect.collidepoint(m):
                self.hover = wdg
                break
        if self.hover is None:
            return
        wdg = self.hover
        tip = ("click to type a value" if wdg.kind == "value" else
               f"key: {wdg.key}" if wdg.key else "")
        if not tip:
            return
        f = self.fonts
        s = f.text(tip, f.small, hud.TEXT)
        box = pygame.Rect(0, 0, s.get_width() + 10, s.get_height() + 6)
        box.topright = (rect.x - 4, max(rect.y, min(wdg.rect.y, surface.get_height() - box.h)))
        pygame.draw.rect(surface, (12, 13, 22), box, border_radius=4)
        pygame.draw.rect(surface, (70, 74, 92), box, width=1, border_radius=4)
        surface.blit(s, (box.x + 5, box.y + 3))


def parse_number(text: str) -> float | None:
    """A typed number, or None (no eval: float() of the text, finite only)."""
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None
