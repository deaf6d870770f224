"""The control panel on the right edge: every command under the mouse (buttons, log sliders, typed values)."""
from __future__ import annotations

import dataclasses

import pygame

from render.look.theme import ACCENT, DIM, PAD, TEXT, WARN
from render.look.widgets import fit_text
from sim.support.text import fmt
from render.input.keys import Cmd
from render.controls.rule_buttons import draw_group, draw_rule, group_of, groups
from render.controls.sections import State, build, content_height, fitting_groups
from render.controls.widget import ROW, TAB, WIDTH, Widget, from_fraction, parse_number, to_fraction


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
                             pos[0] > self.rect.right - ROW - PAD):
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
            label = f.text("P", f.small, DIM)
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
        pygame.draw.rect(surface, DIM, pygame.Rect(track.x, knob_y, track.w, knob_h))
        if self.scroll < total - rect.h:
            f = self.fonts
            label = f.text("▾ more below (wheel)", f.small, ACCENT)
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
        tab = f.text("›" if self.open else "‹", f.body, ACCENT)
        surface.blit(tab, (rect.right - PAD - tab.get_width(), rect.y + 4))

    def _background(self, size) -> pygame.Surface:
        s = pygame.Surface(size, pygame.SRCALPHA, 32)
        s.fill((12, 13, 22, 232))
        pygame.draw.line(s, (255, 255, 255, 40), (0, 0), (0, size[1]))
        return s

    def _draw_widget(self, surface: pygame.Surface, wdg: Widget) -> None:
        f = self.fonts
        r = wdg.rect
        if wdg.kind == "heading":
            surface.blit(f.text(wdg.label.upper(), f.small, ACCENT), r.topleft)
        elif wdg.kind == "group":
            draw_group(surface, f, wdg, ACCENT, DIM, TEXT)
        elif wdg.kind == "button" and wdg.action[0] is Cmd.RULE:
            draw_rule(surface, f, wdg, TEXT, DIM, fit_text)
        elif wdg.kind == "button":
            label = fit_text(f.small, wdg.label, r.w - 6)
            if wdg.lit:
                pygame.draw.rect(surface, wdg.color or ACCENT, r, border_radius=5)
                text = f.text(label, f.small, (14, 14, 20))
            else:
                pygame.draw.rect(surface, (70, 74, 92), r, width=1, border_radius=5)
                text = f.text(label, f.small, TEXT if wdg.color is None else wdg.color)
            surface.blit(text, text.get_rect(center=r.center))
        elif wdg.kind == "slider":
            surface.blit(f.text(wdg.label, f.small, DIM), (r.x, r.y - 16))
            mid = r.centery
            pygame.draw.line(surface, (70, 74, 92), (r.x, mid), (r.right, mid), 3)
            fx = to_fraction(wdg.value, wdg.lo, wdg.hi, wdg.log)
            knob = (int(r.x + fx * r.w), mid)
            pygame.draw.line(surface, ACCENT, (r.x, mid), knob, 3)
            pygame.draw.circle(surface, ACCENT, knob, 6)
        elif wdg.kind == "value":
            self._draw_value(surface, wdg)

    def _draw_value(self, surface: pygame.Surface, wdg: Widget) -> None:
        f = self.fonts
        r = wdg.rect
        if self.typing is not None and self.typing[0] == wdg.action:
            _, text, err = self.typing
            pygame.draw.rect(surface, (30, 32, 48), r)
            pygame.draw.rect(surface, WARN if err else ACCENT, r, width=1)
            s = f.text(err or (text + "▏"), f.small, WARN if err else TEXT)
        else:
            v = wdg.value
            s = f.text(fmt(v) if wdg.action != "time_scale" else f"×{v:g}", f.small, TEXT)
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
        s = f.text(tip, f.small, TEXT)
        box = pygame.Rect(0, 0, s.get_width() + 10, s.get_height() + 6)
        box.topright = (rect.x - 4, max(rect.y, min(wdg.rect.y, surface.get_height() - box.h)))
        pygame.draw.rect(surface, (12, 13, 22), box, border_radius=4)
        pygame.draw.rect(surface, (70, 74, 92), box, width=1, border_radius=4)
        surface.blit(s, (box.x + 5, box.y + 3))
