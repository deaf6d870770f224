"""What the HUD says, in the words the rest of the program uses: "tick" (the timeline strip
and --report say tick; the HUD said "iteration"), the minibatch it shows (B=4) in
hud.parameters, and long messages wrapped inside the window (they were cut at both ends)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pygame
import pytest

from render.hud.basics import Fonts, toast_lines
from render.hud.hud import Hud
from render.look.theme import MARGIN, PAD, TEXT
from render.hud.plots import info_lines
from sim.rules.dynamics import Rule
from sim.data.catalog import get_potential
from sim.runtime.runtime import Runtime
from sim.core.world import World

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.usefixtures("display")


def text_of(lines) -> str:
    return " | ".join(t for line in lines for t, _, _ in line.parts)


@pytest.mark.parametrize("rule", ["gd", "adam", "newton"])
def test_the_hud_counts_ticks(rule):
    w = World(get_potential("bowl"), Rule(rule), seed=1)
    w.drop(np.array([[1.0, 1.0]]))
    rt = Runtime(w)
    rt.tick(12)
    text = text_of(info_lines(rt, None))
    assert "tick 12" in text and "iteration" not in text, text


def test_report_lists_the_batch_the_hud_shows(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--frames", "2", "--potential",
                        "linreg", "--batch", "4", "--particles", "3", "--report", "r.json"],
                       capture_output=True, text=True, cwd=tmp_path, timeout=300,
                       env={**os.environ, "SDL_VIDEODRIVER": "dummy"})
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["hud.parameters.batch"] == 4 and rep["hud.rule"] == "momentum"


LONG = ("something went wrong (ValueError: cannot convert float NaN to integer); the program goes on; "
        "world saved to /home/someone/.local/share/newton-descent/newton-descent-recovery-20261207-092847.toml; "
        "details in /home/someone/.local/share/newton-descent/newton-descent-errors.log")


@pytest.mark.parametrize("width", [640, 1280])
def test_a_long_message_wraps_inside_the_window(width):
    h = Hud(Fonts())
    s = pygame.Surface((width, 400), 0, 32)
    s.fill((0, 0, 0))
    rect = h.toast(s, LONG, 0.0, 5.0, TEXT)
    px = pygame.surfarray.array3d(s)
    drawn = np.flatnonzero(px.any(axis=2).any(axis=1))  # columns with anything drawn
    assert drawn.min() >= MARGIN and drawn.max() < width - MARGIN, (drawn.min(), drawn.max())
    assert rect is not None and rect.h > h.toast_height()  # more than one line
    lines = toast_lines(LONG, h.fonts.toast, width - 2 * MARGIN - 2 * PAD - 8)
    assert "".join(lines).replace(" ", "") == LONG.replace(" ", "")  # nothing cut
    assert all(h.fonts.toast.size(line)[0] <= width - 2 * MARGIN for line in lines)


def test_a_short_toast_is_one_line_as_before():
    h = Hud(Fonts())
    s = pygame.Surface((1280, 400), 0, 32)
    rect = h.toast(s, "lr = 0.01", 0.0, 2.0)
    assert rect.h == h.toast_height()
