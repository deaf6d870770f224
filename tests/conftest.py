"""Shared test set-up: run from the project root, offscreen SDL for anything that imports pygame."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
# what the program keeps per user (the window's error log, recovery scenes) goes to a scratch
# folder, never the real ~/.local/share (subprocesses inherit it)
os.environ["XDG_DATA_HOME"] = __import__("tempfile").mkdtemp(prefix="nd-test-data-")

import pytest  # noqa: E402

from tests.support import x11  # noqa: E402


@pytest.fixture(scope="module")
def display():
    """An offscreen pygame display and fonts for one test module (SDL's dummy driver)."""
    import pygame

    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode((8, 8))
    yield
    pygame.display.quit()


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """The test runs in its tmp_path (what the program writes to the working folder lands there)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def xserver():
    """A private Xvfb for one test (tests/support/x11.py); its display, ":N"."""
    with x11.xvfb() as display:
        yield display
