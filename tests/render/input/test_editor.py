"""The formula editor, driven by synthetic pygame events on the dummy display."""
from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"

import pygame  # noqa: E402
import pytest  # noqa: E402

from render.input import editor as E  # noqa: E402
from render.look.theme import PANEL_PAD  # noqa: E402


@pytest.fixture(autouse=True)
def _pygame():
    pygame.init()
    pygame.display.set_mode((640, 200))
    yield
    pygame.quit()


def typed(text: str) -> pygame.event.Event:
    return pygame.event.Event(pygame.TEXTINPUT, text=text)


def key(k: int, mod: int = 0) -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode="", scancode=0)


def feed(ed: E.FormulaEditor, *events):
    out = None
    for ev in events:
        out = ed.handle_event(ev)
    return out


def type_text(ed: E.FormulaEditor, text: str):
    return feed(ed, *[typed(c) for c in text])


def test_typing_and_submit():
    ed = E.FormulaEditor()
    ed.open()
    assert ed.active and ed.text == "" and ed.error is None
    assert type_text(ed, "x**2 + y**2") is None
    assert ed.text == "x**2 + y**2" and ed.cursor == len(ed.text) and ed.error is None
    assert ed.handle_event(key(pygame.K_RETURN)) == ("submit", "x**2 + y**2")
    assert not ed.active and ed.history == ["x**2 + y**2"]


def test_cursor_movement_and_deletion():
    ed = E.FormulaEditor()
    ed.open("x+y")
    feed(ed, key(pygame.K_LEFT), key(pygame.K_LEFT))
    assert ed.cursor == 1
    type_text(ed, "*2")
    assert ed.text == "x*2+y" and ed.cursor == 3
    feed(ed, key(pygame.K_HOME))
    assert ed.cursor == 0
    feed(ed, key(pygame.K_DELETE))
    assert ed.text == "*2+y" and ed.error is not None
    feed(ed, key(pygame.K_END), key(pygame.K_BACKSPACE))
    assert ed.text == "*2+" and ed.cursor == 3
    feed(ed, key(pygame.K_RIGHT))  # already at the end
    assert ed.cursor == 3
    ed.open("sin(x) + cos(y)")
    feed(ed, key(pygame.K_BACKSPACE, pygame.KMOD_LCTRL))  # word: ")" first
    assert ed.text == "sin(x) + cos(y"
    feed(ed, key(pygame.K_BACKSPACE, pygame.KMOD_LCTRL))
    assert ed.text == "sin(x) + cos("
    feed(ed, key(pygame.K_LEFT, pygame.KMOD_LCTRL), key(pygame.K_LEFT, pygame.KMOD_LCTRL))
    assert ed.text[ed.cursor:] == "cos("
    feed(ed, key(pygame.K_u, pygame.KMOD_LCTRL))
    assert ed.text == "cos(" and ed.cursor == 0
    feed(ed, key(pygame.K_e, pygame.KMOD_LCTRL))
    assert ed.cursor == 4
    feed(ed, key(pygame.K_a, pygame.KMOD_LCTRL), key(pygame.K_k, pygame.KMOD_LCTRL))
    assert ed.text == ""


def test_live_validation_marks_the_column():
    ed = E.FormulaEditor()
    ed.open()
    type_text(ed, "x + z")
    assert ed.error is not None and "unknown name 'z' at column 5" in ed.error
    assert ed.error_pos == 4
    feed(ed, key(pygame.K_BACKSPACE))
    assert ed.error is not None and ed.error_pos is not None  # "x + " ends unexpectedly
    type_text(ed, "y")
    assert ed.error is None and ed.error_pos is None


def test_enter_on_an_error_does_not_submit():
    ed = E.FormulaEditor()
    ed.open("sin(x")
    assert ed.error is not None
    assert ed.handle_event(key(pygame.K_RETURN)) is None
    assert ed.active and ed.history == []
    ed.open("   ")
    assert ed.handle_event(key(pygame.K_KP_ENTER)) is None and ed.active


def test_escape_cancels():
    ed = E.FormulaEditor()
    ed.open("x")
    assert ed.handle_event(key(pygame.K_ESCAPE)) == ("cancel",)
    assert not ed.active
    assert ed.handle_event(typed("y")) is None and ed.text == "x"  # closed: ignores events


def test_history_up_down_and_back_to_the_draft():
    ed = E.FormulaEditor()
    for f in ("x**2", "y**2", "x*y"):
        ed.open()
        type_text(ed, f)
        assert ed.handle_event(key(pygame.K_RETURN)) == ("submit", f)
    ed.open()
    type_text(ed, "x+")
    feed(ed, key(pygame.K_UP))
    assert ed.text == "x*y" and ed.cursor == 3
    feed(ed, key(pygame.K_UP), key(pygame.K_UP), key(pygame.K_UP))
    assert ed.text == "x**2"  # stops at the oldest
    feed(ed, key(pygame.K_DOWN))
    assert ed.text == "y**2"
    feed(ed, key(pygame.K_DOWN), key(pygame.K_DOWN))
    assert ed.text == "x+" and ed.error is not None  # the draft comes back
    feed(ed, key(pygame.K_DOWN))
    assert ed.text == "x+"
    # submitting an old formula again moves it to the end, no duplicates
    feed(ed, key(pygame.K_UP), key(pygame.K_UP), key(pygame.K_RETURN))
    assert ed.history == ["x**2", "x*y", "y**2"]


def test_history_is_capped():
    ed = E.FormulaEditor(max_history=3)
    for i in range(5):
        ed.open(f"x + {i}")
        ed.handle_event(key(pygame.K_RETURN))
    assert ed.history == ["x + 2", "x + 3", "x + 4"]


def test_the_opening_key_is_swallowed_once():
    ed = E.FormulaEditor()
    ed.open("", swallow="e")
    type_text(ed, "e")
    assert ed.text == ""
    type_text(ed, "e")
    assert ed.text == "e"  # the constant e, typed on purpose
    ed.open("", swallow="e")
    type_text(ed, "x")
    assert ed.text == "x"


def test_control_characters_are_not_inserted():
    ed = E.FormulaEditor()
    ed.open()
    type_text(ed, "x\x08\x1b")
    feed(ed, typed("+\ty"))
    assert ed.text == "x+ y"


def reds(surface: pygame.Surface, rect: pygame.Rect) -> int:
    n = 0
    for x in range(rect.left, rect.right):
        for y in range(rect.top, rect.bottom):
            r, g, b, *_ = surface.get_at((x, y))
            if r > 180 and g < 120 and b < 120:
                n += 1
    return n


def test_draw_marks_the_error_in_red_under_its_column():
    font = pygame.font.Font(None, 22)
    screen = pygame.display.get_surface()
    ed = E.FormulaEditor()
    rect = pygame.Rect(0, 200 - ed.height(font), 640, ed.height(font))
    ed.open("x**2 + zz")
    ed.draw(screen, rect, font)
    line = font.get_linesize()
    prompt_w = font.size(E.PROMPT)[0]
    col_x = PANEL_PAD + prompt_w + font.size("x**2 + ")[0]
    caret_box = pygame.Rect(col_x - 4, rect.y + PANEL_PAD + line - 3, 18, line + 3)
    left_box = pygame.Rect(PANEL_PAD + prompt_w, rect.y + PANEL_PAD + line, font.size("x**2")[0], line)
    assert reds(screen, caret_box) > 5  # the caret and underline are at the column
    assert reds(screen, left_box) == 0  # and nowhere else on the caret line
    msg_box = pygame.Rect(PANEL_PAD, rect.y + PANEL_PAD + 2 * line, 300, line)
    assert reds(screen, msg_box) > 20  # the message, in red
    # fix it: no red anywhere inside the box (the border turns blue-grey)
    feed(ed, key(pygame.K_BACKSPACE), key(pygame.K_BACKSPACE))
    type_text(ed, "y")
    ed.draw(screen, rect, font)
    assert ed.error is None and reds(screen, rect) == 0


def test_draw_long_text_keeps_the_cursor_visible_and_stays_in_its_rect():
    font = pygame.font.Font(None, 22)
    screen = pygame.display.get_surface()
    screen.fill((0, 255, 0))
    ed = E.FormulaEditor()
    ed.open("+".join(f"sin({i}*x)" for i in range(60)))
    rect = pygame.Rect(20, 50, 300, ed.height(font))
    ed.draw(screen, rect, font)
    assert ed._scroll > 0
    assert tuple(screen.get_at((10, 60)))[:3] == (0, 255, 0)  # outside the rect: untouched
    assert tuple(screen.get_at((330, 60)))[:3] == (0, 255, 0)
    feed(ed, key(pygame.K_HOME))
    ed.draw(screen, rect, font)
    assert ed._scroll == 0
