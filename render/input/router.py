"""Input routing: an event goes to the first modal part that claims it (scene list, formula
editor, caption card, instrument panels), then to the mouse gestures, then to the key table.

Gestures turn presses, drags and the wheel into calls: a click or a drag with the left button
drops (or throws), a right click removes, a middle or right drag pans, the wheel zooms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

import pygame

from render.input import keys
from render.look.camera import ZOOM_STEP

CLICK_SLOP = 4  # pixels a press may move and still be a click


@dataclass
class Drag:
    button: int
    start: tuple[int, int]
    last: tuple[int, int]
    shift: bool = False
    moved: bool = False


class GestureTarget(Protocol):
    """What the gestures drive (the App)."""

    def drop_at(self, start: tuple[int, int], end: tuple[int, int] | None, cloud: bool) -> Any: ...

    def click(self, pos: tuple[int, int], shift: bool) -> Any: ...

    def remove_at(self, pix: tuple[int, int]) -> int: ...

    def pan(self, dx: int, dy: int) -> None: ...

    def zoom(self, pix: tuple[int, int], factor: float) -> None: ...


class Gestures:
    """The mouse: where it is, and the press in progress."""

    def __init__(self, target: GestureTarget) -> None:
        self.target = target
        self.mouse: tuple[int, int] | None = None
        self.drag: Drag | None = None

    def motion(self, pos) -> None:
        pos = tuple(int(v) for v in pos)
        self.mouse = pos
        d = self.drag
        if d is None:
            return
        if not d.moved and max(abs(pos[0] - d.start[0]), abs(pos[1] - d.start[1])) > CLICK_SLOP:
            d.moved = True
        if d.moved and d.button in (2, 3):
            self.target.pan(pos[0] - d.last[0], pos[1] - d.last[1])
        d.last = pos

    def press(self, event) -> None:
        self.mouse = tuple(event.pos)
        if event.button in (1, 2, 3):
            mods = getattr(event, "mod", None)
            if mods is None:
                mods = pygame.key.get_mods()
            self.drag = Drag(event.button, tuple(event.pos), tuple(event.pos),
                             shift=bool(mods & pygame.KMOD_SHIFT))

    def release(self, event) -> None:
        self.mouse = tuple(event.pos)
        d = self.drag
        if d is None or d.button != event.button:
            return
        self.motion(event.pos)
        self.drag = None
        pos = tuple(event.pos)
        if d.button == 1 and d.moved:
            self.target.drop_at(d.start, pos, d.shift)
        elif d.button == 1:
            self.target.click(d.start, d.shift)
        elif d.button == 3 and not d.moved:
            self.target.remove_at(pos)

    def wheel(self, event) -> None:
        y = getattr(event, "precise_y", None)
        y = float(event.y if y is None or y == 0 else y)
        if self.mouse is None:
            self.mouse = pygame.mouse.get_pos()
        if y:
            self.target.zoom(self.mouse, ZOOM_STEP ** y)


Claimant = Callable[[Any], bool]
Handler = Callable[[Any, bool], None]  # (the binding's argument, Shift held)


class InputRouter:
    """claimants first (in order), then the gestures and the key table (`commands`)."""

    def __init__(self, claimants: list[Claimant], gestures: Gestures,
                 commands: dict[keys.Cmd, Handler], on_quit: Callable[[], None]) -> None:
        self.claimants = claimants
        self.gestures = gestures
        self.commands = commands
        self.on_quit = on_quit
        self.last_key_text = ""  # what the key that gave the last command types

    def handle(self, event) -> None:
        t = event.type
        if t == pygame.KEYDOWN:
            self.last_key_text = getattr(event, "unicode", "") or ""
        for claim in self.claimants:
            if claim(event):
                return
        g = self.gestures
        if t == pygame.QUIT:
            self.on_quit()
        elif t == pygame.KEYDOWN:
            b = keys.lookup(event)
            if b is not None:
                shift = bool(getattr(event, "mod", 0) & pygame.KMOD_SHIFT)
                self.commands[b.command](b.arg, shift)
        elif t == pygame.MOUSEMOTION:
            g.motion(event.pos)
        elif t == pygame.MOUSEBUTTONDOWN:
            g.press(event)
        elif t == pygame.MOUSEBUTTONUP:
            g.release(event)
        elif t == pygame.MOUSEWHEEL:
            g.wheel(event)
