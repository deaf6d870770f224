"""The one key table: key -> (command, argument, description). The help overlay is printed
from it, and the input handler looks keys up in it; nothing else binds keys.

A key is named by the character it types (".", "<", "+", "g", "1") or by a pygame key name
("space", "tab", "page up", "home", "f1", "escape", "[+]" is keypad plus); a "shift+" prefix
asks for Shift held, "ctrl+" (or "ctrl+shift+") for Ctrl. Ctrl names are tried first (so
Ctrl+S saves and never takes S's screenshot), then characters (so "<" works on any layout that
types it), then key names.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pygame

from sim.dynamics import RULES


@dataclass(frozen=True)
class Binding:
    keys: tuple[str, ...]  # every key that triggers it (see the module docstring)
    command: str  # a method name on the controller: "cmd_" + command
    arg: Any
    description: str
    label: str = ""  # how the help overlay writes the keys (default: keys joined by " / ")

    @property
    def keys_label(self) -> str:
        return self.label or " or ".join(_pretty(k) for k in self.keys)


def _pretty(key: str) -> str:
    names = {"space": "Space", "tab": "Tab", "shift+tab": "Shift+Tab", "page up": "PgUp",
             "page down": "PgDn", "home": "Home", "escape": "Esc", "f1": "F1", "f9": "F9",
             "shift+f9": "Shift+F9", "ctrl+s": "Ctrl+S", "ctrl+o": "Ctrl+O",
             "ctrl+shift+o": "Ctrl+Shift+O",
             "[+]": "keypad +", "[-]": "keypad −"}
    return names.get(key, key.upper() if len(key) == 1 and key.isalpha() else key)


def _potential_bindings() -> list[Binding]:
    digits = "1234567890"
    return [Binding((d,), "potential", i, f"potential #{i + 1}") for i, d in enumerate(digits)]


KEYS: tuple[Binding, ...] = (
    Binding(("space",), "pause", None, "pause / resume"),
    Binding((".",), "step", None, "single tick (while paused)"),
    Binding(("g",), "rule", "gd", "rule: gradient descent"),
    Binding(("m",), "rule", "momentum", "rule: heavy-ball momentum"),
    Binding(("n",), "rule", "newton", "rule: Newton's law with friction"),
    Binding(("a",), "rule", "adam", "rule: Adam"),
    Binding(("l",), "rule", "langevin", "rule: Langevin (Newton + heat)"),
    Binding(("tab",), "cycle_rule", +1, f"next rule ({len(RULES)} in all)"),
    Binding(("shift+tab",), "cycle_rule", -1, "previous rule"),
    *_potential_bindings(),
    Binding(("page down",), "cycle_potential", +1, "next potential"),
    Binding(("page up",), "cycle_potential", -1, "previous potential"),
    Binding(("+", "=", "[+]"), "step_size", 1.25, "step size ×1.25 (lr, or dt for newton)",
            "+ or ="),
    Binding(("-", "[-]"), "step_size", 1 / 1.25, "step size ÷1.25", "−"),
    Binding(("]",), "friction", 1.25, "friction ×1.25"),
    Binding(("[",), "friction", 1 / 1.25, "friction ÷1.25"),
    Binding(("}",), "temperature", 1.25, "temperature ×1.25 (langevin)"),
    Binding(("{",), "temperature", 1 / 1.25, "temperature ÷1.25"),
    Binding((">", "/"), "time_scale", 2.0, "time ×2 (faster)"),
    Binding(("<", ","), "time_scale", 0.5, "time ÷2 (slower)"),
    Binding(("r",), "restart", None, "restart every ball from its drop point"),
    Binding(("c",), "clear", None, "clear all balls"),
    Binding(("t",), "toggle", "trails", "trails on / off"),
    Binding(("v",), "toggle", "arrows", "velocity and −∇V arrows on balls"),
    Binding(("f",), "toggle", "field", "−∇V field overlay"),
    Binding(("home",), "reset_view", None, "reset the view"),
    Binding(("ctrl+s",), "scene", "save", "save the scene (a new .toml in the current folder)"),
    Binding(("ctrl+o", "ctrl+shift+o"), "scene", "next",
            "open the next lesson / saved scene (Shift: previous)", "Ctrl+O"),
    Binding(("ctrl+l",), "scene", "list", "choose a lesson or saved scene from a list", "Ctrl+L"),
    Binding(("e",), "scene", "formula", "type a formula for the landscape V(x, y)"),
    Binding(("?",), "scene", "caption", "show / hide the scene's caption"),
    Binding(("s",), "screenshot", None, "screenshot (PNG in the current folder)"),
    Binding(("f9", "shift+f9"), "scene", "record",
            "record the window to a GIF, start / stop (Shift: MP4)", "F9"),
    Binding(("h", "f1"), "toggle", "help", "this help"),
    # instruments (render/instruments_ui.py); the help lists them as a group of their own
    Binding(("k",), "instrument", "race", "race: a click drops one ball per lane"),
    Binding(("j",), "instrument", "twin", "bridge panel; new balls bring their twin (ring)"),
    Binding((";",), "instrument", ("mass", 0.5), "mass ÷2 (newton → gradient flow)"),
    Binding(("'",), "instrument", ("mass", 2.0), "mass ×2"),
    Binding(("y",), "instrument", "ledger", "energy ledger: kinetic, potential, dissipated, drift"),
    Binding(("i",), "instrument", "integrator", "integrator: verlet → symplectic → euler"),
    Binding(("x",), "instrument", "stability", "stability under the cursor: lr·λ, ω·dt, ζ"),
    Binding(("b",), "instrument", "basins", "basins of attraction (B or Esc: off)"),
    Binding(("u",), "instrument", "heat", "heat: V histogram vs Boltzmann (langevin)"),
    Binding(("escape", "q"), "quit", None, "quit"),
)

# the mouse is not a key, but the help lists it the same way
MOUSE: tuple[tuple[str, str], ...] = (
    ("left click", "drop a ball"),
    ("left drag", "throw a ball (drag sets its velocity)"),
    ("Shift + click", "drop a cloud of 200 balls"),
    ("right click", "remove balls near the cursor"),
    ("wheel", "zoom about the cursor"),
    ("middle / right drag", "pan"),
    ("click a race chip", "add / remove that rule's lane"),
)

# US layout: what Shift turns a key into (fallback when an event carries no text)
_SHIFTED = {",": "<", ".": ">", "/": "?", "=": "+", "-": "_", "[": "{", "]": "}",
            ";": ":", "'": '"', "`": "~", "1": "!", "2": "@", "3": "#", "4": "$", "5": "%",
            "6": "^", "7": "&", "8": "*", "9": "(", "0": ")"}


def _table() -> dict[str, Binding]:
    out: dict[str, Binding] = {}
    for b in KEYS:
        for k in b.keys:
            if k in out:
                raise ValueError(f"key {k!r} bound twice")
            out[k] = b
    return out


TABLE: dict[str, Binding] = _table()


def event_names(event: Any) -> list[str]:
    """The names a KEYDOWN event may go by, most specific first."""
    mods = getattr(event, "mod", 0)
    shift = bool(mods & pygame.KMOD_SHIFT)
    names: list[str] = []
    keyname = pygame.key.name(event.key) if getattr(event, "key", None) is not None else ""
    text = getattr(event, "unicode", "") or ""
    if mods & pygame.KMOD_CTRL and keyname:  # Ctrl+S before S: checked first
        named = "space" if keyname == " " else keyname.lower()
        if shift:
            names.append("ctrl+shift+" + named)
        names.append("ctrl+" + named)
    if len(keyname) > 1 or keyname == " ":  # a named key (space, tab, page up, [+], f1 ...)
        named = "space" if keyname == " " else keyname
        if shift:
            names.append("shift+" + named)
        names.append(named)
    if text and text.isprintable() and text != " ":
        names.append(text.lower() if text.isalpha() else text)
    elif len(keyname) == 1:
        names.append(_SHIFTED.get(keyname, keyname.upper()) if shift else keyname)
        if shift and keyname.isalpha():
            names[-1] = keyname
    return names


def lookup(event: Any) -> Binding | None:
    """The binding for a KEYDOWN event, or None."""
    for name in event_names(event):
        b = TABLE.get(name)
        if b is not None:
            return b
    return None


def help_lines() -> list[tuple[str, str]]:
    """(keys, description) rows for the help overlay: every binding in table order, the ten
    potential keys folded into one row (the overlay lists the potentials by number), the
    instrument keys last under a heading of their own."""
    rows: list[tuple[str, str]] = []
    group: list[tuple[str, str]] = []
    pot_done = False
    for b in KEYS:
        if b.command == "potential":
            if not pot_done:
                rows.append(("1 … 9, 0", "choose potential 1 … 10"))
                pot_done = True
            continue
        (group if b.command == "instrument" else rows).append((b.keys_label, b.description))
    if group:
        rows.append(("", "— instruments —"))
    return rows + group
