"""Data in the window: the data section of the control panel (built-in sets, a CSV file, the
minibatch size), the one-line field where a CSV path is typed (Ctrl+D or the panel's button)
and files dropped on the window.

The commands are sim/data/commands.py's: a bad file is a message on screen (the reader's line:
file, row, column) and nothing changes; a good one rebuilds the landscape with the balls and
rules kept, and the view fits the new map. The section is shown on data landscapes only; a
dropped file or a typed path works on any landscape (x,y -> linreg, x1,x2,label -> logreg).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pygame

from render.input.editor import FormulaEditor
from render.input.keys import Cmd
from sim.data.commands import BATCH_CHOICES, data_label, load_file, sets_for, task_of, use_builtin

BATCH_PER_ROW = 4


@dataclass(frozen=True)
class DataState:
    """What the data section shows: the sets the landscape's task can use, which one is in use
    ('' for a file or edited data), the data's label, the minibatch size and the data's size."""

    sets: tuple[str, ...]
    current: str
    label: str
    batch: int
    n: int


def data_state(world) -> DataState | None:
    """The data section's state, or None when the landscape is not made from data."""
    pot = world.potential
    if task_of(pot) is None:
        return None
    d = pot.data
    return DataState(sets_for(pot), d.source if d.builtin else "", data_label(d), world.batch, d.n)


def batch_lit(choice: int, st: DataState) -> bool:
    """Whether the panel lights this minibatch button (0: full batch, as is any B >= n)."""
    full = st.batch == 0 or st.batch >= st.n
    return full if choice == 0 else (choice == st.batch and not full)


def data_rows(out: list, x: int, y: int, w: int, st: DataState) -> int:
    """The data section's widgets (render.controls.widget.Widget) appended to `out` from height y in a
    column x..x+w; returns the height below them."""
    from render.controls.widget import GAP, ROW, Widget, key_of

    # the heading is upper-cased: a file's name (case matters) is in the data pane, not here
    out.append(Widget("heading", pygame.Rect(x, y, w, 14), f"data · {st.n:,} rows"))
    y += 15
    k = max(len(st.sets), 1)
    bw = (w - (k - 1) * GAP) // k
    for i, name in enumerate(st.sets):
        out.append(Widget("button", pygame.Rect(x + i * (bw + GAP), y, bw, ROW - 2), name,
                          (Cmd.DATA_SET, name), st.current == name))
    y += ROW - 2 + GAP
    out.append(Widget("button", pygame.Rect(x, y, w, ROW - 2), "load data (CSV file) …",
                      (Cmd.LOAD_DATA, None), key=key_of(Cmd.LOAD_DATA)))
    y += ROW - 2 + GAP + 1
    out.append(Widget("heading", pygame.Rect(x, y, w, 14), "minibatch B (per ball and tick)"))
    y += 15
    bw = (w - (BATCH_PER_ROW - 1) * GAP) // BATCH_PER_ROW
    for i, b in enumerate(BATCH_CHOICES):
        if i and i % BATCH_PER_ROW == 0:
            y += ROW - 2 + GAP
        col = i % BATCH_PER_ROW
        out.append(Widget("button", pygame.Rect(x + col * (bw + GAP), y, bw, ROW - 2),
                          "full" if b == 0 else str(b), (Cmd.BATCH, b), batch_lit(b, st),
                          key_of(Cmd.BATCH)))
    return y + ROW - 2 + GAP + 1


class PathEntry(FormulaEditor):
    """The formula editor's one-line field, for the path of a CSV file (no formula check)."""

    prompt = "CSV file: "
    hint_empty = "the path of a CSV file (header x,y or x1,x2,label); or drop a file on the window"
    hint_ok = "Enter: load    Esc: cancel    Up/Down: earlier paths"
    parses = False


class DataUI:
    """Files dropped on the window and the path field; `loaded()` is called after a good file
    or data set (the App fits the view to the new map)."""

    def __init__(self, runtime, loaded: Callable[[], None], retrain: Callable | None = None) -> None:
        self.runtime = runtime
        self.loaded = loaded
        self.retrain = retrain  # retrain(old, new): a landscape that trains, over the next frames
        self.entry = PathEntry()
        self.last_error: str | None = None  # the last file's message (None: it loaded)

    def open_entry(self) -> None:
        self.entry.open("")

    def load(self, path: str) -> str | None:
        """Load a file as the data; None when it loaded, else its one-line message."""
        self.last_error = load_file(self.runtime, path, self.retrain)
        if self.last_error is None:
            self.loaded()
        return self.last_error

    def use_builtin(self, name: str) -> None:
        if use_builtin(self.runtime, name, self.retrain) is None:
            self.loaded()

    def claim(self, event) -> bool:
        """A dropped file; the keys while the path field is open (Enter loads: a bad file keeps
        the field open with the message under the path)."""
        t = event.type
        if t == pygame.DROPFILE:
            self.load(getattr(event, "file", "") or "")
            return True
        if not self.entry.active or t not in (pygame.KEYDOWN, pygame.TEXTINPUT, pygame.KEYUP,
                                              pygame.TEXTEDITING):
            return False
        result = self.entry.handle_event(event)
        if result and result[0] == "submit":
            err = self.load(result[1])
            if err is not None:  # stay open on the typed path, the reader's line under it
                self.entry.open(result[1])
                self.entry.error = err
        elif result and result[0] == "cancel":
            self.runtime.say("load data: cancelled")
        return True

    def draw(self, surface: pygame.Surface, font_of: Callable[[], pygame.font.Font], margin: int) -> None:
        """The path field along the bottom of the map while it is open (font_of: its font)."""
        if not self.entry.active:
            return
        font = font_of()
        w, h = surface.get_size()
        eh = self.entry.height(font)
        self.entry.draw(surface, pygame.Rect(margin, h - margin - eh, w - 2 * margin, eh), font)
