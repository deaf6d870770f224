"""The instruments, one line each, in panel order: who holds whether it is on, the class of its
panel and the --report prefix of what the panel draws.

The window's instrument list, the initial states, the panels it makes, the control panel's
instrument buttons, the --show choices and the report's keys are read from `INSTRUMENTS`;
each one's key and help line is its binding in render/input/keys.py. Strings only (no pygame):
the command line checks --show against it before a window exists. A panel that only shows
(owner WINDOW, a `panel` class) needs nothing else: a class with `name`, `measure(ctx)` and
`draw(surface, rect, ctx)` returning the numbers it drew (a dict, or None), and optionally
`after_ticks(runtime, frames)` (a sample after the world ran) and `restart()` (a new world).
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

BALLS = "balls"  # a toggle of the runtime's balls: it changes what a drop adds (race, twin)
WINDOW = "window"  # the window's Instruments.on holds it
MAPS = "maps"  # a map of why (render/why/maps_ui.py) holds it


@dataclass(frozen=True)
class Instrument:
    """One instrument: its name (--show, Cmd.INSTRUMENT's argument, the control panel's
    button, a scene's [instruments] key), where its on/off state lives, its panel class as
    "module:Class" ("" where the panel is not its own: basins, the maps), the --report prefix
    of what the panel draws ("": nothing of its own) and whether it is on at start."""

    name: str
    owner: str
    panel: str = ""
    report: str = ""
    on: bool = False

    def panel_class(self) -> type:
        """The panel's class, imported where it is defined."""
        module, _, cls = self.panel.partition(":")
        return getattr(import_module(module), cls)


INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("race", BALLS, "render.panels.instrument_panels:RacePanel"),
    Instrument("twin", BALLS, "render.panels.instrument_panels:BridgePanel", report="bridge"),
    Instrument("ledger", WINDOW, "render.panels.instrument_panels:LedgerPanel", report="ledger"),
    Instrument("stability", WINDOW, "render.panels.instrument_panels:StabilityPanel", report="stability"),
    Instrument("basins", WINDOW),  # on the map: render/panels/basins_ui.py
    Instrument("heat", WINDOW, "render.panels.instrument_panels:HeatPanel", report="heat"),
    Instrument("loss", WINDOW, "render.panels.loss_panel:LossPanel", report="loss"),
    Instrument("data", WINDOW, "render.data.pane_ui:DataPaneView", report="data", on=True),
    Instrument("plane", MAPS),
    Instrument("phase", MAPS),
    Instrument("edge", MAPS),
    Instrument("breaks", MAPS),
    Instrument("modified", MAPS),
)
NAMES: tuple[str, ...] = tuple(i.name for i in INSTRUMENTS)
MAP_NAMES: tuple[str, ...] = tuple(i.name for i in INSTRUMENTS if i.owner == MAPS)
REPORT_KEYS: dict[str, str] = {i.name: i.report for i in INSTRUMENTS if i.report}


def instrument(name: str) -> Instrument:
    """The instrument called `name` (KeyError naming the choices when there is none)."""
    for i in INSTRUMENTS:
        if i.name == name:
            return i
    raise KeyError(f"unknown instrument '{name}'; choose from: {', '.join(NAMES)}")
