"""The formula editor: a one-line text input for V(x, y) with live validation and history.

`open(initial, swallow)` starts editing (`swallow`: the character of the key that opened it,
dropped when it arrives next as text); `handle_event(event)` takes keys and text and returns
("submit", text), ("cancel",) or None; `draw(surface, rect, font)` draws it into a rect at
least `height(font)` pixels high.

Enter on a formula with an error does not submit: the error stays on screen, in red, with a
caret under the column it points at. Up/Down walk through earlier formulas (and back to what
was being typed); Home/End, Left/Right (Ctrl: by word), Backspace/Delete (Ctrl: a word),
Ctrl+A/E/U/K as in a shell, Ctrl+V pastes where the platform allows.
"""
from __future__ import annotations

import pygame

from render.look import widgets
from render.look.theme import EDITOR_BG as BG, EDITOR_BORDER as BORDER
from render.look.theme import EDITOR_BORDER_ERROR as BORDER_ERROR, EDITOR_CURSOR as CURSOR_COLOR
from render.look.theme import EDITOR_ERROR as ERROR_COLOR, EDITOR_HINT as HINT_COLOR
from render.look.theme import EDITOR_PROMPT as PROMPT_COLOR, EDITOR_TEXT as TEXT_COLOR
from render.look.theme import PANEL_PAD as PAD
from render.look.widgets import clip, fit_text
from sim.landscapes.formula.errors import FormulaError
from sim.landscapes.formula.parser import parse_formula

PROMPT = "V(x, y) = "
HINT_EMPTY = "type a formula in x and y, e.g.  x**2 + 3*y**2 + sin(x*y)"
HINT_OK = "Enter: apply    Esc: cancel    Up/Down: earlier formulas"
MAX_HISTORY = 50
MAX_CHARS = 2000  # the expression parser's own limit
BLINK_MS = 530

_WORD_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")


class FormulaEditor:
    """One-line input. `active`, `text`, `cursor` (0..len(text)), `error` (one line or None)
    and `error_pos` (0-based column or None) are public for the HUD and tests. A subclass may
    change the prompt, the hints and `parses` (False: any text is fine until it is submitted)."""

    prompt, hint_empty, hint_ok = PROMPT, HINT_EMPTY, HINT_OK
    parses = True  # check the text as a formula while it is typed

    def __init__(self, history: list[str] | None = None, max_history: int = MAX_HISTORY) -> None:
        self.active = False
        self.text = ""
        self.cursor = 0
        self.history: list[str] = list(history or [])[-max_history:]
        self.max_history = max_history
        self.error: str | None = None
        self.error_pos: int | None = None
        self._hist_index: int | None = None  # None: editing the draft, not a history entry
        self._draft = ""
        self._swallow: str | None = None
        self._scroll = 0  # pixels of text hidden to the left

    # -- opening and closing ---------------------------------------------------------------
    def open(self, initial: str = "", swallow: str | None = None) -> None:
        """Start editing `initial`. `swallow`: the character of the key that opened the
        editor, dropped if it arrives next as a TEXTINPUT event."""
        self.active = True
        self.text = initial[:MAX_CHARS]
        self.cursor = len(self.text)
        self._hist_index = None
        self._draft = self.text
        self._swallow = swallow or None
        self._scroll = 0
        self._validate()
        try:  # on by default on desktops; harmless to ask again
            pygame.key.start_text_input()
        except pygame.error:
            pass

    def close(self) -> None:
        self.active = False
        self._swallow = None

    # -- events ----------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> None | tuple[str, str] | tuple[str]:
        """Apply one event; returns ("submit", text), ("cancel",) or None (keep editing)."""
        if not self.active:
            return None
        if event.type == pygame.TEXTINPUT:
            text = event.text
            if self._swallow is not None:
                swallow, self._swallow = self._swallow, None
                if text == swallow:
                    return None
            self._insert(text)
            return None
        if event.type != pygame.KEYDOWN:
            return None
        self._swallow = None
        key = event.key
        ctrl = bool(getattr(event, "mod", 0) & pygame.KMOD_CTRL)
        if key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            return self._submit()
        if key == pygame.K_ESCAPE:
            self.close()
            return ("cancel",)
        if key == pygame.K_BACKSPACE:
            start = self._word_left() if ctrl else max(0, self.cursor - 1)
            self._edit(self.text[:start] + self.text[self.cursor:], start)
        elif key == pygame.K_DELETE:
            end = self._word_right() if ctrl else min(len(self.text), self.cursor + 1)
            self._edit(self.text[: self.cursor] + self.text[end:], self.cursor)
        elif key == pygame.K_LEFT:
            self.cursor = self._word_left() if ctrl else max(0, self.cursor - 1)
        elif key == pygame.K_RIGHT:
            self.cursor = self._word_right() if ctrl else min(len(self.text), self.cursor + 1)
        elif key == pygame.K_HOME or (ctrl and key == pygame.K_a):
            self.cursor = 0
        elif key == pygame.K_END or (ctrl and key == pygame.K_e):
            self.cursor = len(self.text)
        elif ctrl and key == pygame.K_u:
            self._edit(self.text[self.cursor:], 0)
        elif ctrl and key == pygame.K_k:
            self._edit(self.text[: self.cursor], self.cursor)
        elif ctrl and key == pygame.K_v:
            self._insert(_clipboard_text())
        elif key == pygame.K_UP:
            self._recall(-1)
        elif key == pygame.K_DOWN:
            self._recall(+1)
        return None

    def _insert(self, s: str) -> None:
        s = "".join(" " if c in "\t\n\r" else c for c in s if c >= " " or c in "\t\n\r")
        s = s[: max(0, MAX_CHARS - len(self.text))]
        if s:
            self._edit(self.text[: self.cursor] + s + self.text[self.cursor:], self.cursor + len(s))

    def _edit(self, text: str, cursor: int) -> None:
        self.text = text
        self.cursor = max(0, min(cursor, len(text)))
        self._hist_index = None
        self._draft = text
        self._validate()

    def _submit(self) -> None | tuple[str, str]:
        text = self.text.strip()
        if not text or self.error is not None:
            return None
        if text in self.history:
            self.history.remove(text)
        self.history.append(text)
        del self.history[: -self.max_history]
        self.close()
        return ("submit", text)

    def _recall(self, direction: int) -> None:
        if not self.history:
            return
        if self._hist_index is None:
            if direction > 0:
                return
            self._draft = self.text
            idx = len(self.history) - 1
        else:
            idx = self._hist_index + direction
        if idx < 0:
            idx = 0
        if idx >= len(self.history):
            self._hist_index = None
            self.text = self._draft
        else:
            self._hist_index = idx
            self.text = self.history[idx]
        self.cursor = len(self.text)
        self._validate()

    def _word_left(self) -> int:
        i = self.cursor
        while i > 0 and self.text[i - 1] == " ":
            i -= 1
        if i > 0 and self.text[i - 1] in _WORD_CHARS:
            while i > 0 and self.text[i - 1] in _WORD_CHARS:
                i -= 1
        elif i > 0:
            i -= 1
        return i

    def _word_right(self) -> int:
        i, n = self.cursor, len(self.text)
        while i < n and self.text[i] == " ":
            i += 1
        if i < n and self.text[i] in _WORD_CHARS:
            while i < n and self.text[i] in _WORD_CHARS:
                i += 1
        elif i < n:
            i += 1
        return i

    def _validate(self) -> None:
        """Parse (never evaluate) the text; keep the one-line error and its column."""
        if not self.text.strip() or not self.parses:
            self.error, self.error_pos = None, None
            return
        try:
            parse_formula(self.text)
        except FormulaError as e:
            self.error = str(e)
            self.error_pos = e.position
        except (ValueError, RecursionError, MemoryError) as e:  # the parser should not, but never crash the window
            self.error = f"formula could not be read: {type(e).__name__}"
            self.error_pos = None
        else:
            self.error, self.error_pos = None, None

    # -- drawing ---------------------------------------------------------------------------
    @staticmethod
    def height(font: pygame.font.Font) -> int:
        """Pixels the editor needs: the input line, the caret line and the message line."""
        return 3 * font.get_linesize() + 2 * PAD

    def draw(self, surface: pygame.Surface, rect: pygame.Rect | tuple, font: pygame.font.Font) -> None:
        """Draw the input box into rect: prompt, text, cursor; a red caret under the error
        column and the error message, or a grey hint when the formula is fine."""
        rect = pygame.Rect(rect)
        with clip(surface, rect):
            self._draw(surface, rect, font)

    def _draw(self, surface: pygame.Surface, rect: pygame.Rect, font: pygame.font.Font) -> None:
        surface.fill(BG, rect)
        pygame.draw.rect(surface, BORDER_ERROR if self.error else BORDER, rect, 1)
        line = font.get_linesize()
        x0, y0 = rect.x + PAD, rect.y + PAD
        prompt = widgets.text(font, self.prompt, PROMPT_COLOR)
        surface.blit(prompt, (x0, y0))
        tx = x0 + prompt.get_width()
        avail = max(10, rect.right - PAD - tx)
        with clip(surface, pygame.Rect(tx, y0, avail, 2 * line)):
            self._draw_input(surface, pygame.Rect(tx, y0, avail, line), font)
        if self.error:
            msg, color = self.error, ERROR_COLOR
        else:
            msg, color = (self.hint_ok if self.text.strip() else self.hint_empty), HINT_COLOR
        surface.blit(widgets.text(font, fit_text(font, msg, rect.w - 2 * PAD), color), (x0, y0 + 2 * line))

    def _draw_input(self, surface: pygame.Surface, field: pygame.Rect, font: pygame.font.Font) -> None:
        """The typed text scrolled to keep the cursor in `field` (one line high), the error's
        underline and caret below it, and the blinking cursor."""
        tx, y0, avail, line = field.x, field.y, field.w, field.h

        def x_at(i: int) -> int:
            return font.size(self.text[:i])[0]

        # keep the cursor (and a little context) visible
        cx = x_at(self.cursor)
        if cx - self._scroll > avail - 4:
            self._scroll = cx - avail + 4
        elif cx - self._scroll < 0:
            self._scroll = max(0, cx - avail // 3)
        if font.size(self.text)[0] <= avail:
            self._scroll = 0
        if self.text:
            surface.blit(widgets.text(font, self.text, TEXT_COLOR), (tx - self._scroll, y0))
        if self.error_pos is not None:
            p = min(self.error_pos, len(self.text))
            ex = tx - self._scroll + x_at(p)
            w = max(font.size(self.text[p: p + 1] or " ")[0], 6)
            pygame.draw.line(surface, ERROR_COLOR, (ex, y0 + line - 2), (ex + w, y0 + line - 2), 2)
            caret = widgets.text(font, "^", ERROR_COLOR)
            surface.blit(caret, (ex + w // 2 - caret.get_width() // 2, y0 + line))
        if (pygame.time.get_ticks() // BLINK_MS) % 2 == 0:
            x = tx - self._scroll + cx
            pygame.draw.line(surface, CURSOR_COLOR, (x, y0 + 1), (x, y0 + line - 3), 1)


def _clipboard_text() -> str:
    """Text on the clipboard, or "" where the platform (or a dummy display) has none."""
    try:
        get_text = getattr(pygame.scrap, "get_text", None)
        if get_text is not None:
            return get_text() or ""
        if not pygame.scrap.get_init():
            pygame.scrap.init()
        raw = pygame.scrap.get(pygame.SCRAP_TEXT)
        if not raw:
            return ""
        return raw.decode("utf-8", "ignore").rstrip("\x00")
    except Exception:  # noqa: BLE001 - no clipboard is not an error worth showing
        return ""
