"""What keeps the window alive and the user's work safe.

`FrameGuard(app).call(fn, *args)` runs one of the loop's per-frame calls (handle, update,
draw). No exception escapes it: a bug in a command or a panel becomes
- one line on stderr (once per distinct error) and a message on screen;
- in the window: its traceback appended to LOG_NAME in the per-user data folder
  (sim.support.files.user_data_folder: $XDG_DATA_HOME/newton-descent or ~/.local/share/newton-descent;
  the system's temp folder when that one cannot be written), and on the first error of a run
  the recording in progress finalized (saved, not lost) and the world saved there as a
  recovery scene (`newton-descent-recovery-*.toml`); the message says where;
- headless (`headless=True`): the one line only (the traceback on stderr with ND_DEBUG=1), no
  file anywhere; the run goes on to write what the user asked for and exits with status 1;
and the program keeps running. If drawing itself fails, the frame shows the message on a
plain background instead. KeyboardInterrupt and SystemExit pass through.

`report_line` sends the end-of-run lines to the right stream.
"""
from __future__ import annotations

import datetime as _dt
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, Callable

ERROR_PREFIX = "newton-descent: error:"
LOG_NAME = "newton-descent-errors.log"
RECOVERY_PREFIX = "newton-descent-recovery"
MAX_LOGGED = 20  # distinct tracebacks written to the log in one run (a bug every frame: once)
BG = (24, 24, 32)
FG = (255, 110, 96)


def report_line(line: str) -> None:
    """A line for the user at the end of a run: errors on stderr, news on stdout."""
    print(line, file=sys.stderr if line.startswith(ERROR_PREFIX) else sys.stdout)


def _is_quit(event: Any) -> bool:
    try:
        import pygame

        return event.type == pygame.QUIT
    except Exception:  # noqa: BLE001
        return False


class FrameGuard:
    """Runs the loop's calls so that a bug never ends the program (see the module docstring).
    `errors` counts the exceptions caught; `log` is the file the tracebacks went to."""

    def __init__(self, app: Any, folder: str | os.PathLike | None = None, headless: bool = False) -> None:
        """folder: where the log and the recovery scene go (default: the per-user data
        folder); headless: a run with no window, which leaves no file behind."""
        from sim.support.files import user_data_folder

        self.app = app
        self.headless = bool(headless)
        self.folder = Path(user_data_folder() if folder is None else folder)
        self.errors = 0
        self.log: Path | None = None
        self.recovery: Any = None  # the SaveJob of the recovery scene
        self.recording: Path | None = None  # the recording finalized at the first error
        self._seen: set[str] = set()

    def call(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """fn(*args, **kw); None (and the error handled) if it raises."""
        try:
            return fn(*args, **kw)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # noqa: BLE001 - the point: nothing escapes the loop
            self.caught(e, getattr(fn, "__name__", "?"), args)
            return None

    def caught(self, e: BaseException, where: str, args: tuple = ()) -> None:
        self.errors += 1
        text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        what = f"{type(e).__name__}: {e}".splitlines()[0][:200] if str(e) else type(e).__name__
        first = self.errors == 1
        if self.headless:
            if first:  # one line; the run goes on to the outputs asked for, then exits 1
                if os.environ.get("ND_DEBUG"):
                    print(text, end="", file=sys.stderr)
                print(f"{ERROR_PREFIX} {what} in {where} (the run finishes with status 1; "
                      f"ND_DEBUG=1 shows the traceback)", file=sys.stderr)
            if where == "draw" and args:
                self._error_frame(args[0], what)
            return
        if first:
            self._rescue()
        new = text not in self._seen
        if new and len(self._seen) < MAX_LOGGED:
            self._seen.add(text)
            self._write_log(text, where)
            saved = f"; world saved to {self.recovery.target}" if first and self.recovery is not None else ""
            where_log = f"; details in {self.log}" if self.log else ""
            print(f"{ERROR_PREFIX} {what} in {where} (the window goes on{saved}{where_log})", file=sys.stderr)
        self._tell(what)
        if where == "draw" and args:
            self._error_frame(args[0], what)
        if where == "handle" and args and _is_quit(args[0]):
            self.app.running = False  # closing the window always works

    # -- what is done about it ---------------------------------------------------------------
    def _write_log(self, text: str, where: str) -> None:
        stamp = _dt.datetime.now().isoformat(timespec="seconds")
        entry = f"--- {stamp} in {where} ---\n{text}\n"
        for folder in (self.folder, Path(tempfile.gettempdir())):
            path = folder / LOG_NAME
            try:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                with open(path, "a", encoding="utf-8") as f:
                    f.write(entry)
                self.log = path
                return
            except OSError:
                continue

    def _rescue(self) -> None:
        """The first error of a run: finalize a recording, save the world as a recovery scene."""
        rec = self.app.recording.recorder
        if rec.recording:
            try:
                self.recording = rec.stop()
            except Exception:  # noqa: BLE001 - nothing more to save
                pass
        try:
            from render.files.names import auto_path
            from sim.scene.save import SaveJob

            folder = self.folder
            try:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError:
                folder = Path(tempfile.gettempdir())
            target = folder / auto_path("toml").name.replace("newton-descent", RECOVERY_PREFIX, 1)
            self.recovery = SaveJob(self.app.world, target, title="recovered after an error")
        except Exception:  # noqa: BLE001 - the world itself may be what is broken
            self.recovery = None

    def _tell(self, what: str) -> None:
        saved = []
        job = self.recovery
        if job is not None and (job.path or not job.done):
            saved.append(f"world saved to {job.path or job.target}")
        if self.recording is not None:
            saved.append(f"recording saved to {self.recording}")
        where = f"; details in {self.log}" if self.log else ""
        note = f"something went wrong ({what}); the program goes on" + \
            (f"; {', '.join(saved)}" if saved else "") + where
        try:
            self.app.runtime.say(note, warn=True, long=True)
        except Exception:  # noqa: BLE001
            pass

    def _error_frame(self, surface: Any, what: str) -> None:
        """Drawing failed: the message on a plain frame instead of a half-drawn one."""
        try:
            import pygame

            surface.fill(BG)
            font = pygame.font.Font(None, 22)
            y = 12
            for line in (f"something went wrong: {what}", "the program goes on; press Esc or Q to quit",
                         f"details in {self.log}" if self.log else ""):
                if line:
                    surface.blit(font.render(line[:160], True, FG), (12, y))
                    y += 26
        except Exception:  # noqa: BLE001 - nothing more to do on this frame
            pass
