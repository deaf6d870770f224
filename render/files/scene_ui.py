"""Scenes and lessons in the window: open (Ctrl+O, Ctrl+L), save (Ctrl+S), the scene's title
and caption, and the formula editor (E).

Scenes come from sim/scene.py; a loaded world goes into the runtime (`Runtime.load_world`),
its view into the camera, its instruments through the `instruments` hooks the App gives.
Every failure to read or write is a message on screen; the world on screen stays as it was.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pygame

from render.look.camera import Camera
from render.input.editor import FormulaEditor
from render.files.picker import Row, ScenePicker
from render.files.names import auto_path
from render.files.saving import SceneSaves
from sim.runtime.runtime import Runtime

SCENE_GLOB = "newton-descent-*.toml"  # scenes saved with Ctrl+S join the Ctrl+O cycle


@dataclass
class InstrumentHooks:
    """How scenes switch the window's instruments: apply(states, reset) and states()."""

    apply: Callable[[dict, bool], None]
    states: Callable[[], dict]
    view3d_apply: Callable[[dict], None] | None = None  # a scene's [view3d] onto the window
    view3d_state: Callable[[], dict | None] | None = None  # the window's, for saving (None: none)


def save_view(view) -> tuple[float, float, float, float]:
    """The world rect that View.fit turns back into this exact view at the same window size
    (the visible rect less the fit margin on the tighter axis, both axes alike)."""
    from render.look.view import FIT_MARGIN

    k = (1.0 - 2.0 * FIT_MARGIN) / view.scale
    dx, dy = 0.5 * view.w * k, 0.5 * view.h * k
    return (view.cx - dx, view.cx + dx, view.cy - dy, view.cy + dy)


class SceneUI:
    """The scene on screen (`title`, `caption`, `caption_open`, `origin`: preset name or file)
    and the commands that open, save and edit scenes."""

    def __init__(self, runtime: Runtime, camera: Camera, hooks: InstrumentHooks) -> None:
        self.runtime = runtime
        self.camera = camera
        self.hooks = hooks
        self.editor = FormulaEditor()
        self.picker = ScenePicker()
        self.picker_files: list[Path] = []  # what the picker's rows are
        self.saves = SceneSaves()  # Ctrl+S writes in the background
        self.title = ""
        self.caption = ""
        self.caption_open = False
        self.origin: str | None = None
        self.card_rect: pygame.Rect | None = None  # where the caption card was last drawn
        self.title_rect: pygame.Rect | None = None
        self.cycled: Path | None = None  # the scene file Ctrl+O last opened (or tried)
        self._scene_potential = None  # the landscape the title and caption were written for

    def say(self, text: str, warn: bool = False) -> None:
        self.runtime.say(text, warn=warn, long=True)

    # -- the formula editor ----------------------------------------------------------------
    def open_editor(self, swallow: str | None) -> None:
        pot = self.runtime.world.potential
        from sim.landscapes.formula.potential import ExprPotential

        current = pot.formula if isinstance(pot, ExprPotential) else ""
        self.editor.open(current, swallow=swallow)

    def apply_formula(self, text: str) -> bool:
        """Replace the landscape with V = text (view fitted to it, balls kept). False (and a
        message) when the formula cannot be built."""
        from sim.landscapes.formula.errors import FormulaError
        from sim.landscapes.formula.potential import expression_potential

        try:
            pot = expression_potential(text)
        except (FormulaError, ValueError, ArithmeticError, RecursionError, MemoryError) as e:
            self.say(f"formula not applied: {e}", warn=True)
            return False
        # as a landscape key does: the balls, lanes and twins stay
        self.runtime.switch.set_potential(pot)
        self.say(f"V = {pot.formula}")
        return True

    # -- events ------------------------------------------------------------------------------
    def claim_modal(self, event) -> bool:
        """The scene list and the formula editor, while open, take the keys (and the list the
        mouse)."""
        t = event.type
        sc = self
        if sc.picker.active:
            if t in (pygame.KEYDOWN, pygame.MOUSEWHEEL, pygame.MOUSEBUTTONDOWN):
                sc.pick(event)
                return True
            return t in (pygame.TEXTINPUT, pygame.KEYUP, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION)
        if sc.editor.active:
            if t in (pygame.KEYDOWN, pygame.TEXTINPUT, pygame.KEYUP, pygame.TEXTEDITING):
                result = sc.editor.handle_event(event)
                if result and result[0] == "submit":
                    sc.apply_formula(result[1])
                elif result and result[0] == "cancel":
                    self.runtime.say("formula: cancelled")
                return True
        return False

    def claim_caption(self, event, help_shown: bool) -> bool:
        """The caption card: Esc, Space or a click hides it; a click on the title shows it."""
        sc = self
        if event.type == pygame.KEYDOWN:
            if sc.caption_open and not help_shown:
                if event.key == pygame.K_ESCAPE:
                    sc.caption_open = False
                    return True
                if event.key == pygame.K_SPACE and not event.mod & (pygame.KMOD_CTRL | pygame.KMOD_ALT):
                    sc.caption_open = False
                    return not self.runtime.paused  # paused: Space also runs
            return False
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            pos = tuple(event.pos)
            if sc.caption_open and sc.card_rect is not None and sc.card_rect.collidepoint(pos):
                sc.caption_open = False
                return True
            if (not sc.caption_open and sc.caption and sc.title_rect is not None
                    and sc.title_rect.collidepoint(pos)):
                sc.caption_open = True
                return True
        return False

    # -- scenes ----------------------------------------------------------------------------
    def open_scene(self, world, info, origin: str | os.PathLike | None = None) -> None:
        """Put a loaded scene on screen: its world, view, paused state, title, caption and
        instruments (the ones this window knows; the rest are ignored)."""
        self.camera.go_home(info.view)  # Home comes back to the scene's view
        self.runtime.load_world(world, info.paused)
        self.title = info.title
        self.caption = info.caption
        self.caption_open = bool(info.caption)
        self._scene_potential = world.potential
        self.origin = None if origin is None else os.fspath(origin)
        self.hooks.apply(info.instruments, True)
        if getattr(info, "view3d", None) is not None and self.hooks.view3d_apply is not None:
            self.hooks.view3d_apply(info.view3d)

    def save(self, folder: str | os.PathLike | None = None) -> Path | None:
        """Ctrl+S: the current state to a new scene file in folder (default: the current one).
        Returns the path when written at once; a big world is written in the background."""
        rt = self.runtime
        self.forget_stale_caption()
        target = auto_path("toml", os.getcwd() if folder is None else folder)
        return self.saves.start(rt.world, target, self.tell, title=self.title, caption=self.caption,
                                view=save_view(self.camera.view), instruments=self.hooks.states(),
                                paused=rt.paused, **self._view3d_meta())

    def _view3d_meta(self) -> dict:
        state = None if self.hooks.view3d_state is None else self.hooks.view3d_state()
        return {} if state is None else {"view3d": state}

    def tell(self, text: str, color=None) -> None:
        """SceneSaves' message line: text, and a colour (anything but the text's: a warning)."""
        from render.look.theme import TEXT

        self.runtime.say(text, warn=color is not None and color != TEXT, long=True)

    def scene_files(self) -> list[Path]:
        """What Ctrl+O cycles through: the presets (lessons first), then the scenes saved in
        the current folder."""
        from sim.scene.presets import find_scene, list_presets

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
            self.say("no scenes found (assets/scenes is missing)", warn=True)
        return files

    def _position(self, files: list[Path]) -> int | None:
        """Index of the scene on screen (or last tried) in files."""
        for cand in (self.cycled, self.origin):
            if cand is None:
                continue
            cp = Path(cand)
            for i, f in enumerate(files):
                if f == cp or f.stem == str(cand) or _same_file(f, cp):
                    return i
        if self.title:
            from sim.scene.presets import list_presets

            titles = [t for _, t in list_presets()]
            if self.title in titles:
                return titles.index(self.title)
        return None

    def cycle(self, direction: int = 1) -> Path | None:
        """Ctrl+O: open the next scene (Ctrl+Shift+O: the previous one)."""
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
        self.picker_files = files
        self.picker.open(scene_rows(files), self._position(files))

    def pick(self, event) -> None:
        """An event for the open scene list (a row chosen opens its file)."""
        result = self.picker.handle_event(event)
        if result and result[0] == "open":
            self.open_file(self.picker_files[result[1]], result[1], len(self.picker_files))

    def open_file(self, path: Path, i: int, n: int) -> Path | None:
        """Open scene file `path` (number i of n in the list). A file that cannot be read
        is a message; the world on screen stays."""
        from sim.scene.schema import SceneError
        from sim.scene.io import load_scene

        self.cycled = path
        try:
            world, info = load_scene(path)
        except SceneError as e:
            self.say(f"scene not opened: {e}", warn=True)
            return None
        except MemoryError:
            self.say(f"scene not opened: {path.name}: out of memory", warn=True)
            return None
        except (ValueError, TypeError, OverflowError, RecursionError, OSError, UnicodeError) as e:
            # a file the reader did not foresee: say so, keep the world on screen
            why = (str(e).splitlines() or [""])[0][:200] or type(e).__name__
            self.say(f"scene not opened: {path.name}: {why}", warn=True)
            return None
        self.open_scene(world, info, path)
        self.runtime.say(f"scene {i + 1} of {n}: {path.stem}")
        return path

    def toggle_caption(self) -> None:
        if self.caption:
            self.caption_open = not self.caption_open
        else:
            self.runtime.say("this scene has no caption")

    def forget_stale_caption(self) -> None:
        """A new landscape (formula, number keys) is no longer the scene: its title and caption
        go (they would describe another function), here and in what Ctrl+S saves."""
        if self.title or self.caption:
            if self.runtime.world.potential is not self._scene_potential:
                self.title = self.caption = ""
                self.caption_open = False

    def kicker(self) -> str | None:
        """The small line above the title: which lesson, or which file (None: no line)."""
        if self.origin is None:
            return "scene" if self.title else None
        p = Path(self.origin)
        from sim.scene.presets import LESSON_ORDER, SCENES_DIR

        if p.stem in LESSON_ORDER and (p.parent == SCENES_DIR or str(p) == p.stem):
            return f"LESSON {LESSON_ORDER.index(p.stem) + 1} OF {len(LESSON_ORDER)}"
        return f"scene  {p.name}"


def preset_of(info) -> str | None:
    """The preset name of a loaded scene, found by its title (run() gets the scene, not its
    file); None when it is not a preset."""
    if not info.title:
        return None
    from sim.scene.presets import list_presets

    for name, title in list_presets():
        if title == info.title:
            return name
    return None


def scene_rows(files: list[Path]) -> list[Row]:
    """The scene list's rows: a preset by its lesson number and title, a saved scene by its
    file name and when it was saved."""
    import datetime as _dt

    from sim.scene.presets import SCENES_DIR, list_presets

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
