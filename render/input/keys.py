"""The one key table: key -> (command, argument, description). The help overlay is printed
from it, and the input router looks keys up in it; nothing else binds keys. A command is a
`Cmd`; the App maps each one to a method (render/app.py `App.commands`), which gets the
binding's argument and whether Shift was held.

A key is named by the character it types (".", "<", "+", "g", "1") or by a pygame key name
("space", "tab", "page up", "home", "f1", "escape", "[+]" is keypad plus); a "shift+" prefix
asks for Shift held, "ctrl+" (or "ctrl+shift+") for Ctrl. Ctrl names are tried first (so
Ctrl+S saves and never takes S's screenshot), then characters (so "<" works on any layout that
types it), then key names.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import pygame

from sim.rules import registry


class Cmd(enum.Enum):
    """Everything a key can ask for."""

    PAUSE = enum.auto()
    STEP = enum.auto()
    RULE = enum.auto()  # arg: rule name
    CYCLE_RULE = enum.auto()  # arg: +1 / -1
    POTENTIAL = enum.auto()  # arg: index into the landscape list
    CYCLE_POTENTIAL = enum.auto()
    STEP_SIZE = enum.auto()  # arg: factor
    FRICTION = enum.auto()
    TEMPERATURE = enum.auto()
    TIME_SCALE = enum.auto()
    RESTART = enum.auto()
    REWIND = enum.auto()
    CLEAR = enum.auto()
    TOGGLE = enum.auto()  # arg: "trails", "arrows", "field", "help"
    RESET_VIEW = enum.auto()
    SAVE_SCENE = enum.auto()
    NEXT_SCENE = enum.auto()  # Shift: previous
    SCENE_LIST = enum.auto()
    FORMULA = enum.auto()
    CAPTION = enum.auto()
    SCREENSHOT = enum.auto()
    RECORD = enum.auto()  # Shift: MP4
    INSTRUMENT = enum.auto()  # arg: an instrument's name
    MASS = enum.auto()  # arg: factor
    INTEGRATOR = enum.auto()
    SCHEDULE = enum.auto()
    CONTROLS = enum.auto()  # the control panel: show / hide
    LOAD_DATA = enum.auto()  # type the path of a CSV file as the data
    DATA_SET = enum.auto()  # arg: a built-in data set's name
    BATCH = enum.auto()  # arg: a minibatch size (0: full), or None: the next one (Shift: back)
    VIEW3D = enum.auto()  # the map area: map -> 3D view -> both side by side
    RESET_3D = enum.auto()  # the 3D view's camera to its start
    QUIT = enum.auto()


INSTRUMENT_CMDS = (Cmd.INSTRUMENT, Cmd.MASS, Cmd.INTEGRATOR)  # the help's own group


@dataclass(frozen=True)
class Binding:
    keys: tuple[str, ...]  # every key that triggers it (see the module docstring)
    command: Cmd
    arg: Any
    description: str
    label: str = ""  # how the help overlay writes the keys (default: keys joined by " / ")

    @property
    def keys_label(self) -> str:
        return self.label or " or ".join(_pretty(k) for k in self.keys)


def _pretty(key: str) -> str:
    """How the help writes a key: "ctrl+shift+o" -> "Ctrl+Shift+O", "page up" -> "PgUp"."""
    names = {"space": "Space", "tab": "Tab", "page up": "PgUp", "page down": "PgDn", "home": "Home",
             "escape": "Esc", "f1": "F1", "f9": "F9", "[+]": "keypad +", "[-]": "keypad −"}
    *mods, last = [key] if key in ("+", "[+]") else key.split("+")
    last = names.get(last, last.upper() if len(last) == 1 and last.isalpha() else last)
    return "+".join([m.capitalize() for m in mods] + [last])


def _potential_bindings() -> list[Binding]:
    digits = "1234567890"
    return [Binding((d,), Cmd.POTENTIAL, i, f"potential #{i + 1}") for i, d in enumerate(digits)]


KEYS: tuple[Binding, ...] = (
    Binding(("space",), Cmd.PAUSE, None, "pause / resume"),
    Binding((".",), Cmd.STEP, None, "single tick (while paused)"),
    Binding(("g",), Cmd.RULE, "gd", "rule: gradient descent"),
    Binding(("m",), Cmd.RULE, "momentum", "rule: heavy-ball momentum"),
    Binding(("n",), Cmd.RULE, "newton", "rule: Newton's law with friction"),
    Binding(("a",), Cmd.RULE, "adam", "rule: Adam"),
    Binding(("l",), Cmd.RULE, "langevin", "rule: Langevin (Newton + heat)"),
    Binding(("tab",), Cmd.CYCLE_RULE, +1, f"next rule ({len(registry.names())} in all)"),
    Binding(("shift+tab",), Cmd.CYCLE_RULE, -1, "previous rule"),
    *_potential_bindings(),
    Binding(("page down",), Cmd.CYCLE_POTENTIAL, +1, "next potential"),
    Binding(("page up",), Cmd.CYCLE_POTENTIAL, -1, "previous potential"),
    Binding(("+", "=", "[+]"), Cmd.STEP_SIZE, 1.25, "step size ×1.25 (lr, or dt for newton)",
            "+ or ="),
    Binding(("-", "[-]"), Cmd.STEP_SIZE, 1 / 1.25, "step size ÷1.25", "−"),
    Binding(("]",), Cmd.FRICTION, 1.25, "friction ×1.25"),
    Binding(("[",), Cmd.FRICTION, 1 / 1.25, "friction ÷1.25"),
    Binding(("ctrl+t",), Cmd.SCHEDULE, None, "lr schedule: constant → cosine → step → warmup"),
    Binding(("}",), Cmd.TEMPERATURE, 1.25, "temperature ×1.25 (langevin)"),
    Binding(("{",), Cmd.TEMPERATURE, 1 / 1.25, "temperature ÷1.25"),
    Binding((">", "/"), Cmd.TIME_SCALE, 2.0, "time ×2 (faster)"),
    Binding(("<", ","), Cmd.TIME_SCALE, 0.5, "time ÷2 (slower)"),
    Binding(("r",), Cmd.RESTART, None, "restart every ball from its drop point"),
    Binding(("w",), Cmd.REWIND, None, "rewind: the drop points, the same random stream (replays exactly)"),
    Binding(("c",), Cmd.CLEAR, None, "clear all balls"),
    Binding(("t",), Cmd.TOGGLE, "trails", "trails on / off"),
    Binding(("v",), Cmd.TOGGLE, "arrows", "velocity and −∇V arrows on balls"),
    Binding(("f",), Cmd.TOGGLE, "field", "−∇V field overlay"),
    Binding(("home",), Cmd.RESET_VIEW, None, "reset the view"),
    Binding(("`",), Cmd.VIEW3D, "3D", "map → 3D → side by side (balls move in the plane under −∇V, not on z = V)"),
    Binding(("shift+home",), Cmd.RESET_3D, None, "reset the 3D view's camera"),
    Binding(("ctrl+s",), Cmd.SAVE_SCENE, None, "save the scene (a new .toml in the current folder)"),
    Binding(("ctrl+o", "ctrl+shift+o"), Cmd.NEXT_SCENE, None,
            "open the next lesson / saved scene (Shift: previous)", "Ctrl+O"),
    Binding(("ctrl+l",), Cmd.SCENE_LIST, None, "choose a lesson or saved scene from a list", "Ctrl+L"),
    Binding(("e",), Cmd.FORMULA, None, "type a formula for the landscape V(x, y)"),
    Binding(("?",), Cmd.CAPTION, None, "show / hide the scene's caption"),
    Binding(("s",), Cmd.SCREENSHOT, None, "screenshot (PNG in the current folder)"),
    Binding(("f9", "shift+f9"), Cmd.RECORD, None,
            "record the window to a GIF, start / stop (Shift: MP4)", "F9"),
    Binding(("h", "f1"), Cmd.TOGGLE, "help", "this help"),
    Binding(("p",), Cmd.CONTROLS, None, "control panel on the right: show / hide"),
    # instruments; the help lists them as a group of their own
    Binding(("k",), Cmd.INSTRUMENT, "race", "race: a click drops one ball per lane"),
    Binding(("j",), Cmd.INSTRUMENT, "twin", "bridge panel; new balls bring their twin (ring)"),
    Binding((";",), Cmd.MASS, 0.5, "mass ÷2 (newton → gradient flow)"),
    Binding(("'",), Cmd.MASS, 2.0, "mass ×2"),
    Binding(("y",), Cmd.INSTRUMENT, "ledger", "energy ledger: kinetic, potential, dissipated, drift"),
    Binding(("i",), Cmd.INTEGRATOR, None, "integrator: verlet → symplectic → euler"),
    Binding(("x",), Cmd.INSTRUMENT, "stability", "stability under the cursor: lr·λ, ω·dt, ζ"),
    Binding(("b",), Cmd.INSTRUMENT, "basins", "basins of attraction (B or Esc: off)"),
    Binding(("u",), Cmd.INSTRUMENT, "heat", "heat: V histogram vs Boltzmann (langevin); SGD vs Langevin at T_eff"),
    Binding(("ctrl+g",), Cmd.INSTRUMENT, "loss", "loss against ticks: each rule's mean V − V* (log)"),
    Binding(("o",), Cmd.INSTRUMENT, "plane", "hyperparameter plane: rate per step, stable region, optimum"),
    Binding(("z",), Cmd.INSTRUMENT, "phase", "phase portrait of the chosen ball"),
    Binding(("ctrl+e",), Cmd.INSTRUMENT, "edge", "edge of stability: λmax along the path vs the limit"),
    Binding(("ctrl+b",), Cmd.INSTRUMENT, "breaks", "shade where the step is beyond its stable limit"),
    Binding(("ctrl+m",), Cmd.INSTRUMENT, "modified", "contours of the loss the rule really follows"),
    Binding(("d",), Cmd.INSTRUMENT, "data", "data pane (data landscapes): the models; click to edit"),
    Binding(("ctrl+d",), Cmd.LOAD_DATA, None, "load a CSV file as the data (or drop the file on the window)",
            "Ctrl+D"),
    Binding(("ctrl+k", "ctrl+shift+k"), Cmd.BATCH, None,
            "minibatch size: full → 1 → 2 → 4 … 64 (data landscapes; Shift: back)", "Ctrl+K"),
    Binding(("escape", "q"), Cmd.QUIT, None, "quit"),
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
    ("3D view: drag", "orbit (wheel zooms, click drops on the surface)"),
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
        if b.command is Cmd.POTENTIAL:
            if not pot_done:
                rows.append(("1 … 9, 0", "choose potential 1 … 10"))
                pot_done = True
            continue
        (group if b.command in INSTRUMENT_CMDS else rows).append((b.keys_label, b.description))
    if group:
        rows.append(("", "— instruments —"))
    return rows + group
