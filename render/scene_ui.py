"""Scenes, lessons, the formula editor and recording in the window: one controller the App owns.

The App calls four things (render/app.py):
- `handle(event) -> bool` first for every event: True means the event was used here (the
  formula editor is open and takes every key; the caption card takes Space, Esc and clicks).
- `command(name)` for the key table's "scene" bindings: "formula" (E), "save" (Ctrl+S),
  "next" (Ctrl+O; with Shift: previous), "record" (F9; with Shift: MP4), "caption" (?).
- `draw(surface)` after the HUD (caption card or scene title, formula editor), and
  `after_frame(surface)` once the frame is complete: the recorder takes the frame, then the red
  REC dot is drawn (so it is on screen, never in the file, nor in a screenshot).
- `close(status)` when the loop ends: a recording in progress is finished and saved.

Scenes (sim/scene.py) come in through `open_scene(world, info, origin)`: the world replaces the
App's, with the scene's view, paused state, title, caption and instruments. Saving (Ctrl+S)
writes the current state to a new file in the current folder, never over an existing one.
Every failure to read or write is a message on screen; the world on screen stays as it was.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pygame

from render import hud
from render.editor import FormulaEditor
from render.picker import Row, ScenePicker
from render.recorder import DOT_COLOR, DOT_RADIUS, Recorder, RecorderError, auto_path
from render.saving import SceneSaves

from sim.particles import MAX_PARTICLES as WINDOW_MAX_BALLS  # noqa: E402 (the one ball limit)
VIEW_KEYS = ("trails", "arrows", "field")  # instruments the App draws itself (App.show)
DEFAULT_SHOW = {"trails": True, "arrows": False, "field": False}
# instruments drawn elsewhere (render/instruments_ui.py), switched through App.set_instrument
OTHER_INSTRUMENTS = ("race", "twin", "ledger", "stability", "basins", "heat")
CARD_MAX_WIDTH = 640  # pixels
CARD_MIN_WIDTH = 420  # narrower than this beside the panels: the card goes below them
CARD_PAD = 14
CARD_GAP = 12  # pixels kept free between the card and the panels beside it
SCENE_GLOB = "newton-descent-*.toml"  # scenes saved with Ctrl+S join the Ctrl+O cycle
EDITOR_FONTS = ("dejavusansmono", "notosansmono", "liberationmono", "couriernew")
EDITOR_FONT_SIZE = 16


def cap_message(limit: int) -> str:
    return (f"ball limit reached: this window holds at most {limit:,} balls "
            "(C clears, right click removes)")


def wrap(text: str, font: pygame.font.Font, width: int) -> list[str]:
    """Words of text in lines no wider than width pixels (paragraphs kept; long words alone)."""
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        words = para.split()
        if not words:
            lines.append("")
            continue
        cur = words[0]
        for w in words[1:]:
            trial = f"{cur} {w}"
            if font.size(trial)[0] <= width:
                cur = trial
            else:
                lines.append(cur)
                cur = w
        lines.append(cur)
    return lines


def save_view(view) -> tuple[float, float, float, float]:
    """The world rect that View.fit turns back into this exact view at the same window size
    (the visible rect less the fit margin on the tighter axis, both axes alike)."""
    from render.view import FIT_MARGIN

    k = (1.0 - 2.0 * FIT_MARGIN) / view.scale
    dx, dy = 0.5 * view.w * k, 0.5 * view.h * k
    return (view.cx - dx, view.cx + dx, view.cy - dy, view.cy + dy)


class SceneUI:
    """The App's scene controls. Public for the HUD and tests: `editor`, `recorder`, `title`,
    `caption`, `caption_open`, `card_rect` (where the caption card was last drawn), `origin`
    (preset name or file of the scene on screen), `max_balls`."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.editor = FormulaEditor()
        self.picker = ScenePicker()
        self._picker_files: list[Path] = []  # what the picker's rows are
        self.recorder = Recorder()
        self.saves = SceneSaves()  # Ctrl+S writes in the background
        self.title = ""
        self.caption = ""
        self.caption_open = False
        self.origin: str | None = None
        self.max_balls = WINDOW_MAX_BALLS
        self.card_rect: pygame.Rect | None = None
        self.title_rect: pygame.Rect | None = None
        self._last_key_text = ""
        self._last_key_shift = False  # Shift on the key that gave the command: the other way
        self._cycle: Path | None = None  # the scene file Ctrl+O last opened (or tried)
        self._editor_font: pygame.font.Font | None = None
        self._panels: dict[tuple[int, int], pygame.Surface] = {}
        self._span: tuple[int, int, int] | None = None  # free stretch along the top, this frame
        self._scene_potential = None  # the landscape the title and caption were written for

    # -- start and end of a run (render.app.run) --------------------------------------------
    def start(self, scene=None, instruments: dict[str, bool] | None = None, play: bool = False,
              record: str | os.PathLike | None = None, **_other) -> str | None:
        """Apply run()'s keywords: a scene (world, info), instruments on, play (run even if the
        scene starts paused), a recording from the first frame. Returns a one-line problem
        (the run should stop with status 2) or None."""
        if scene:
            world, info = scene
            self.open_scene(world, info, _preset_of(info))
        if instruments:
            self.apply_instruments(instruments)
        if play:
            self.app.paused = False
        if record is not None:
            try:
                self.recorder.start(record)
            except RecorderError as e:
                return f"newton-descent: error: {e}"
        return None

    # -- events ----------------------------------------------------------------------------
    def handle(self, event) -> bool:
        """Take the events that belong here; True when the App should not see this one."""
        t = event.type
        if self.picker.active:
            if t in (pygame.KEYDOWN, pygame.MOUSEWHEEL, pygame.MOUSEBUTTONDOWN):
                result = self.picker.handle_event(event)
                if result and result[0] == "open":
                    self.open_file(self._picker_files[result[1]], result[1], len(self._picker_files))
                return True
            return t in (pygame.TEXTINPUT, pygame.KEYUP, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION)
        if self.editor.active:
            if t in (pygame.KEYDOWN, pygame.TEXTINPUT, pygame.KEYUP, pygame.TEXTEDITING):
                result = self.editor.handle_event(event)
                if result and result[0] == "submit":
                    self.apply_formula(result[1])
                elif result and result[0] == "cancel":
                    self.app.say("formula: cancelled")
                return True
            return False
        if t == pygame.KEYDOWN:
            self._last_key_text = getattr(event, "unicode", "") or ""
            self._last_key_shift = bool(getattr(event, "mod", 0) & pygame.KMOD_SHIFT)
            if self.caption_open and not self.app.show.get("help"):
                if event.key == pygame.K_ESCAPE:
                    self.caption_open = False
                    return True
                if event.key == pygame.K_SPACE and not event.mod & (pygame.KMOD_CTRL | pygame.KMOD_ALT):
                    self.caption_open = False
                    return not self.app.paused  # paused: Space also runs (the App's pause key)
            return False
        if t == pygame.MOUSEBUTTONDOWN and event.button == 1:
            pos = tuple(event.pos)
            if self.caption_open and self.card_rect is not None and self.card_rect.collidepoint(pos):
                self.caption_open = False
                return True
            if (not self.caption_open and self.caption and self.title_rect is not None
                    and self.title_rect.collidepoint(pos)):
                self.caption_open = True
                return True
        return False

    def command(self, name: str) -> None:
        """A key-table command: formula, save, next, previous, record, record_mp4, caption.
        With Shift held on the key, next goes back and record starts an MP4."""
        shift, self._last_key_shift = self._last_key_shift, False
        if name == "formula":
            self.open_editor()
        elif name == "save":
            self.save()
        elif name in ("next", "previous"):
            self.cycle(+1 if (name == "next") != shift else -1)
        elif name == "list":
            self.open_picker()
        elif name in ("record", "record_mp4"):
            self.toggle_recording(mp4=(name == "record_mp4") or shift)
        elif name == "caption":
            if self.caption:
                self.caption_open = not self.caption_open
            else:
                self.app.say("this scene has no caption")
        else:
            raise ValueError(f"unknown scene command {name!r}")

    # -- the formula editor ----------------------------------------------------------------
    def open_editor(self) -> None:
        pot = self.app.world.potential
        from sim.expression import ExprPotential

        current = pot.formula if isinstance(pot, ExprPotential) else ""
        self.editor.open(current, swallow=self._last_key_text or None)

    def apply_formula(self, text: str) -> bool:
        """Replace the landscape with V = text (view fitted to it, balls kept). False (and a
        message) when the formula cannot be built."""
        from sim.expression import FormulaError, expression_potential

        try:
            pot = expression_potential(text)
        except (FormulaError, ValueError, ArithmeticError, RecursionError, MemoryError) as e:
            self.app.tell(f"formula not applied: {e}", hud.WARN)
            return False
        # as a landscape key does: the balls, lanes and twins stay (the instruments follow the
        # new landscape by themselves: the ledger and basins restart, twin rules re-derive)
        self.app.set_potential(pot)
        self.app.tell(f"V = {pot.formula}")
        return True

    # -- scenes ----------------------------------------------------------------------------
    def open_scene(self, world, info, origin: str | os.PathLike | None = None) -> None:
        """Put a loaded scene on screen: its world, view, paused state, title, caption and
        instruments (the ones this window knows; the rest are ignored)."""
        from render.tuning import family, suggestions
        from render.view import View

        app = self.app
        world.keep_prev = True
        app.world = world
        app.steps = list(suggestions(world.potential))
        fam = family(world.rule.name)
        app.steps[fam] = world.rule.dt if fam == 2 else world.rule.lr
        app.home_rect = info.view  # Home comes back to the scene's view
        app.home = View.fit(app.home_rect, (app.view.w, app.view.h))
        app._set_view(app.home, interactive=False)
        app.paused = bool(info.paused)
        app.acc = 0.0
        app.alpha = 1.0
        app.frame_ticks = 0
        app.last_dropped = None
        app.trails.reset()
        app._after_population_change()
        app.history.clear()
        app._sample_stats()
        self.title = info.title
        self.caption = info.caption
        self.caption_open = bool(info.caption)
        self._scene_potential = world.potential
        self.origin = None if origin is None else os.fspath(origin)
        self.apply_instruments(info.instruments, reset=True)
        self._world_changed()

    def apply_instruments(self, instruments: dict[str, bool], reset: bool = False) -> None:
        """Switch instruments on or off by name. reset: the ones not named go to their
        defaults (off, except trails). Names the window does not know are ignored."""
        app = self.app
        for name in VIEW_KEYS:
            if name in instruments or reset:
                on = bool(instruments.get(name, DEFAULT_SHOW[name]))
                if app.show.get(name) != on:
                    app.show[name] = on
                    if name == "trails":
                        app.trails.reset()
        if "help" in instruments:
            app.show["help"] = bool(instruments["help"])
        setter = getattr(app, "set_instrument", None)
        if setter is None:
            return
        names = [n for n in OTHER_INSTRUMENTS if reset or n in instruments]
        names += [n for n in instruments if n not in names and n not in VIEW_KEYS and n != "help"]
        for name in names:
            try:
                setter(name, bool(instruments.get(name, False)))
            except (KeyError, ValueError, AttributeError):
                pass  # a name this window does not know, or one that does not apply here

    def instrument_states(self) -> dict[str, bool]:
        """What is on now, to be saved with the scene."""
        app = self.app
        out = {name: bool(app.show.get(name, False)) for name in VIEW_KEYS}
        getter = getattr(app, "instrument_states", None)
        if getter is not None:
            try:
                out.update({str(k): bool(v) for k, v in getter().items()})
            except Exception:  # noqa: BLE001 - an instrument's state is not worth losing a save
                pass
        return out

    def save(self, folder: str | os.PathLike | None = None) -> Path | None:
        """Ctrl+S: the current state to a new scene file in folder (default: the current one).
        Returns the path when written at once; a big world is written in the background."""
        app = self.app
        self._forget_stale_caption()
        target = auto_path("toml", os.getcwd() if folder is None else folder)
        return self.saves.start(app.world, target, app.tell, title=self.title, caption=self.caption,
                                view=save_view(app.view), instruments=self.instrument_states(),
                                paused=app.paused)

    def scene_files(self) -> list[Path]:
        """What Ctrl+O cycles through: the presets (lessons first), then the scenes saved in
        the current folder."""
        from sim.scene import find_scene, list_presets

        files = []
        for name, _title in list_presets():
            try:
                files.append(find_scene(name))
            except ValueError:
                pass
        try:
            files += sorted(Path(os.getcwd()).glob(SCENE_GLOB))
        except OSError:
            pass
        return files

    def _files_or_say(self) -> list[Path]:
        files = self.scene_files()
        if not files:
            self.app.tell("no scenes found (assets/scenes is missing)", hud.WARN)
        return files

    def _position(self, files: list[Path]) -> int | None:
        """Index of the scene on screen (or last tried) in files."""
        for cand in (self._cycle, self.origin):
            if cand is None:
                continue
            cp = Path(cand)
            for i, f in enumerate(files):
                if f == cp or f.stem == str(cand) or _same_file(f, cp):
                    return i
        if self.title:
            from sim.scene import list_presets

            titles = [t for _, t in list_presets()]
            if self.title in titles:
                return titles.index(self.title)
        return None

    def cycle(self, direction: int = 1) -> Path | None:
        """Ctrl+O: open the next scene (Ctrl+Shift+O: the previous one). A file that cannot
        be read is a message; the world on screen stays."""
        files = self._files_or_say()
        if not files:
            return None
        i = self._position(files)
        i = (0 if direction > 0 else len(files) - 1) if i is None else (i + direction) % len(files)
        return self.open_file(files[i], i, len(files))

    def open_picker(self) -> None:
        """Ctrl+L: the list of lessons and saved scenes, the one on screen chosen."""
        files = self._files_or_say()
        if not files:
            return
        self._picker_files = files
        self.app.drag = None  # a press the list would swallow the release of: forget it
        self.picker.open(scene_rows(files), self._position(files))

    def open_file(self, path: Path, i: int, n: int) -> Path | None:
        """Open scene file `path` (number i of n in the list). A file that cannot be read
        is a message; the world on screen stays."""
        from sim.scene import SceneError, load_scene

        self._cycle = path
        try:
            world, info = load_scene(path)
        except SceneError as e:
            self.app.tell(f"scene not opened: {e}", hud.WARN)
            return None
        except MemoryError:
            self.app.tell(f"scene not opened: {path.name}: out of memory", hud.WARN)
            return None
        self.open_scene(world, info, path)
        self.app.say(f"scene {i + 1} of {n}: {path.stem}")
        return path

    def _forget_stale_caption(self) -> None:
        """A new landscape (formula, number keys) is no longer the scene: its title and caption
        go (they would describe another function), here and in what Ctrl+S saves."""
        if self.title or self.caption:
            if self.app.world.potential is not self._scene_potential:
                self.title = self.caption = ""
                self.caption_open = False

    def _world_changed(self) -> None:
        """Tell the instruments (if the window has them) that the world or landscape changed."""
        hook = getattr(self.app, "world_changed", None)
        if hook is not None:
            hook()

    # -- the ball limit --------------------------------------------------------------------
    def check_room(self, k: int) -> None:
        """CapacityError (a ValueError, shown by the App) if k more balls would pass the
        window's limit."""
        if self.app.world.n + int(k) > self.max_balls:
            from sim.particles import CapacityError

            raise CapacityError(cap_message(self.max_balls))

    # -- recording -------------------------------------------------------------------------
    def start_recording(self, path: str | os.PathLike | None = None, mp4: bool = False) -> Path | None:
        app = self.app
        if path is None:
            path = auto_path("mp4" if mp4 else "gif", os.getcwd())
        try:
            target = self.recorder.start(path)
        except RecorderError as e:
            app.tell(f"recording not started: {e}", hud.WARN)
            return None
        msg = self.recorder.message
        if msg and not msg.startswith("recording "):  # a warning (MP4 needs imageio-ffmpeg)
            app.tell(msg, hud.WARN)
        # otherwise no toast: it would be in the first seconds of the file; the REC panel
        # (never recorded) says it, and the path is shown when the recording stops
        return target

    def stop_recording(self) -> Path | None:
        try:
            path = self.recorder.stop()
        except RecorderError as e:
            self.app.tell(str(e), hud.WARN)
            return None
        self.app.tell(f"recording saved: {path} ({self.recorder.frames} frames)")
        return path

    def toggle_recording(self, mp4: bool = False) -> Path | None:
        """F9: start or stop. Returns the file written when it stops."""
        if self.recorder.recording:
            return self.stop_recording()
        self.start_recording(mp4=mp4)
        return None

    def close(self, status: int = 0, report=None) -> int:
        """The loop is over: finish a recording in progress (saved, never lost). `report`
        (e.g. print) gets one line about it. Returns the exit status (2 if saving failed)."""
        self.saves.finish(report)  # a scene being written in the background
        failed = getattr(self, "record_failed", None)
        if failed and not self.recorder.recording:
            if report is not None:
                report(f"newton-descent: error: {failed}")
            return status or 2
        if not self.recorder.recording:
            return status
        try:
            path = self.recorder.stop()
        except RecorderError as e:
            if report is not None:
                report(f"newton-descent: error: {e}")
            return status or 2
        if report is not None:
            report(f"recorded {self.recorder.frames} frames -> {path}")
        return status

    # -- drawing ---------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        """The caption card (or the scene title) and the formula editor, over the HUD."""
        self.card_rect = self.title_rect = None
        self.saves.poll(self.app.tell)  # "saving ... 40%", then where the scene went
        self._forget_stale_caption()
        self._span = self._free_span(surface)
        if not self.app.show.get("help"):
            if self.caption_open and self.caption:
                self.card_rect = self._draw_card(surface)
            elif self.title:
                self.title_rect = self._draw_title(surface)
        if self.editor.active:
            font = self._font()
            w, h = surface.get_size()
            eh = self.editor.height(font)
            m = hud.MARGIN
            rect = pygame.Rect(m, h - m - eh, w - 2 * m, eh)
            self.editor.draw(surface, rect, font)
        if self.picker.active:
            self.picker.draw(surface, self.app.fonts.body, self.app.fonts.small)

    def after_frame(self, surface: pygame.Surface) -> None:
        """The frame is complete: record it, then draw the REC dot over it."""
        rec = self.recorder
        if not rec.recording:
            return
        try:
            # the window records at the speed it runs; headless, on the nominal schedule
            rec.add_frame(surface, None if self.app.headless else self.app.frame_seconds)
        except RecorderError as e:
            self.app.tell(str(e), hud.WARN)
            self.record_failed = str(e)  # headless --record: an error at the end, exit 2
            return
        if not rec.recording:  # stopped by itself at the length cap
            self.app.tell(rec.message)
            return
        if not self.app.headless:
            self._draw_rec(surface)

    def _font(self) -> pygame.font.Font:
        if self._editor_font is None:
            path = None
            for name in EDITOR_FONTS:
                try:
                    path = pygame.font.match_font(name)
                except Exception:  # noqa: BLE001 - fontconfig trouble: the HUD's font
                    path = None
                if path:
                    break
            self._editor_font = pygame.font.Font(path, EDITOR_FONT_SIZE) if path else self.app.fonts.body
        return self._editor_font

    def _panel(self, size: tuple[int, int]) -> pygame.Surface:
        s = self._panels.get(size)
        if s is None:
            if len(self._panels) > 16:
                self._panels.clear()
            s = hud.panel(size)
            s.blit(hud.panel(size), (0, 0))  # twice: long text reads better on a darker card
            self._panels[size] = s
        return s

    def _free_span(self, surface: pygame.Surface) -> tuple[int, int, int]:
        """(left, right, below): the free stretch along the top between the HUD's panels, and
        the bottom edge of the panels on the left."""
        w, _ = surface.get_size()
        left, right, below = 0, w, 0
        for r in self.app.hud.panels:
            if r.top > 3 * hud.MARGIN:
                continue
            if r.centerx < w // 2:
                left = max(left, r.right)
                below = max(below, r.bottom)
            else:
                right = min(right, r.left)
        return left + CARD_GAP, right - CARD_GAP, below

    def _draw_card(self, surface: pygame.Surface) -> pygame.Rect:
        f = self.app.fonts
        w, h = surface.get_size()
        left, right, below = self._span or self._free_span(surface)
        if self.recorder.recording:
            right -= self._rec_width() + CARD_GAP
        span = right - left
        if span >= CARD_MIN_WIDTH:  # between the panels along the top
            width = min(CARD_MAX_WIDTH, span)
            x, y = left + (span - width) // 2, hud.MARGIN
        elif right - hud.MARGIN >= CARD_MIN_WIDTH:  # under the info panel, left of the colourbar
            width = min(CARD_MAX_WIDTH, right - hud.MARGIN)
            x, y = hud.MARGIN + (right - hud.MARGIN - width) // 2, below + CARD_GAP
        else:  # a small window: over the panels
            width = min(CARD_MAX_WIDTH, w - 2 * hud.MARGIN)
            x, y = (w - width) // 2, hud.MARGIN
        inner = width - 2 * CARD_PAD
        rows: list[pygame.Surface] = []
        if self.origin is not None or self.title:
            rows.append(f.text(self._kicker(), f.small, hud.ACCENT))
        if self.title:
            rows += [f.text(t, f.title, hud.TEXT) for t in wrap(self.title, f.title, inner)]
        body = [f.text(t, f.body, hud.TEXT) for t in wrap(self.caption, f.body, inner)]
        hint = "Space: run    Esc or click: hide this card" if self.app.paused \
            else "Space, Esc or click: hide this card"
        foot = f.text(hint + "    ?: show it again", f.small, hud.DIM)
        gap = 8
        height = (2 * CARD_PAD + sum(s.get_height() + 2 for s in rows) + gap
                  + sum(s.get_height() + 3 for s in body) + gap + foot.get_height())
        height = min(height, h - y - hud.MARGIN)
        rect = pygame.Rect(x, y, width, height)
        surface.blit(self._panel(rect.size), rect)
        clip = surface.get_clip()
        surface.set_clip(rect.clip(clip) if clip else rect)
        cy = rect.y + CARD_PAD
        for s in rows:
            surface.blit(s, (rect.x + CARD_PAD, cy))
            cy += s.get_height() + 2
        cy += gap
        for s in body:
            surface.blit(s, (rect.x + CARD_PAD, cy))
            cy += s.get_height() + 3
        surface.blit(foot, (rect.x + CARD_PAD, rect.bottom - CARD_PAD - foot.get_height()))
        surface.set_clip(clip)
        self.app.hud.panels.append(rect)
        return rect

    def _kicker(self) -> str:
        """The small line above the title: which lesson, or which file."""
        if self.origin is None:
            return "scene"
        p = Path(self.origin)
        from sim.scene import LESSON_ORDER, SCENES_DIR

        if p.stem in LESSON_ORDER and (p.parent == SCENES_DIR or str(p) == p.stem):
            return f"LESSON {LESSON_ORDER.index(p.stem) + 1} OF {len(LESSON_ORDER)}"
        return f"scene  {p.name}"

    def _draw_title(self, surface: pygame.Surface) -> pygame.Rect | None:
        f = self.app.fonts
        left, right, below = self._span or self._free_span(surface)
        # the REC panel sits at the right end of the stretch: the title keeps clear of it
        # without moving when a recording starts or stops, unless it has to
        rec_left = right - self._rec_width() - CARD_GAP if self.recorder.recording else right
        more = f.text("   ?: caption" if self.caption else "", f.small, hud.DIM)
        title = self.title
        text = f.text(title, f.body, hud.TEXT)
        width = text.get_width() + more.get_width() + 2 * hud.PAD
        if width <= rec_left - left:  # along the top, between the panels
            rect = pygame.Rect(0, hud.MARGIN, width, text.get_height() + 2 * hud.PAD - 2)
            rect.centerx = (left + right) // 2
            rect.right = min(rect.right, rec_left)
        else:
            right = rec_left  # under the info panel, shortened to fit left of the colourbar
            room = right - hud.MARGIN - more.get_width() - 2 * hud.PAD
            if room < 60:
                return None
            title = hud.fit_text(f.body, title, room)
            text = f.text(title, f.body, hud.TEXT)
            width = text.get_width() + more.get_width() + 2 * hud.PAD
            rect = pygame.Rect(hud.MARGIN, below + 6, width, text.get_height() + 2 * hud.PAD - 2)
        surface.blit(self._panel(rect.size), rect)
        surface.blit(text, (rect.x + hud.PAD, rect.y + hud.PAD - 1))
        surface.blit(more, (rect.x + hud.PAD + text.get_width(),
                            rect.y + hud.PAD - 1 + text.get_height() - more.get_height()))
        self.app.hud.panels.append(rect)
        return rect

    def _rec_label(self) -> pygame.Surface:
        f = self.app.fonts
        rec = self.recorder
        secs = int(rec.seconds)  # the time recorded so far (what the file will last, and the cap)
        return f.text(f"REC  {secs // 60}:{secs % 60:02d}   F9: stop", f.small, (255, 235, 235))

    def _rec_width(self) -> int:
        f = self.app.fonts
        return 2 * DOT_RADIUS + 8 + f.small.size("REC  00:00   F9: stop")[0] + 2 * hud.PAD

    def _draw_rec(self, surface: pygame.Surface) -> None:
        """A red dot and the recorded time, in a small panel along the top, left of the
        panels in the top-right corner."""
        label = self._rec_label()
        w, _ = surface.get_size()
        _, right, _ = self._span or self._free_span(surface)
        width = self._rec_width()
        height = max(2 * DOT_RADIUS, label.get_height()) + 2 * hud.PAD - 4
        rect = pygame.Rect(0, hud.MARGIN, width, height)
        rect.right = min(right, w - hud.MARGIN)
        surface.blit(self._panel(rect.size), rect)
        cx, cy = rect.x + hud.PAD + DOT_RADIUS, rect.centery
        pygame.draw.circle(surface, DOT_COLOR, (cx, cy), DOT_RADIUS)
        surface.blit(label, (cx + DOT_RADIUS + 8, cy - label.get_height() // 2))


def _preset_of(info) -> str | None:
    """The preset name of a loaded scene, found by its title (run() gets the scene, not its
    file); None when it is not a preset."""
    if not info.title:
        return None
    from sim.scene import list_presets

    for name, title in list_presets():
        if title == info.title:
            return name
    return None


def scene_rows(files: list[Path]) -> list[Row]:
    """The scene list's rows: a preset by its lesson number and title, a saved scene by its
    file name and when it was saved."""
    import datetime as _dt

    from sim.scene import SCENES_DIR, list_presets

    titles = dict(list_presets())
    lessons = [name for name in titles if name in {f.stem for f in files}]
    rows = []
    for f in files:
        if f.parent == SCENES_DIR and f.stem in titles:
            k = lessons.index(f.stem) + 1
            rows.append(Row(f"{k}. {titles[f.stem] or f.stem}", f"lesson  {f.stem}"))
            continue
        try:
            when = _dt.datetime.fromtimestamp(f.stat().st_mtime).strftime("saved %Y-%m-%d %H:%M")
        except OSError:
            when = "saved scene"
        rows.append(Row(f.name, f"{when}   {f.parent}"))
    return rows


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False
