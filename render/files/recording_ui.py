"""Recording the window (F9): start, stop, take each finished frame, and the REC panel.

The recorder itself (GIF/MP4 writing, timing) is render/recorder.py. The REC panel is drawn
after the frame is taken, so it is on screen but never in the file or a screenshot.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pygame

from render.look.theme import MARGIN, PAD
from render.look.theme import REC_DOT as DOT_COLOR
from render.files.recorder import DOT_RADIUS, Recorder
from render.files.names import RecorderError, auto_path
from sim.runtime.runtime import Runtime

REC_SAMPLE = "REC  00:00   F9: stop"  # the widest the REC label gets (its width is fixed)


class RecordingUI:
    """The recorder in the window; notices go through the runtime."""

    def __init__(self, runtime: Runtime, headless: bool) -> None:
        self.runtime = runtime
        self.headless = headless
        self.recorder = Recorder()
        self.failed: str | None = None  # a recording that broke mid-run (headless: exit 2)
        self._panels: Callable[[tuple[int, int]], pygame.Surface] | None = None

    @property
    def recording(self) -> bool:
        return self.recorder.recording

    def start(self, path: str | os.PathLike | None = None, mp4: bool = False) -> Path | None:
        if path is None:
            path = auto_path("mp4" if mp4 else "gif", os.getcwd())
        try:
            target = self.recorder.start(path)
        except RecorderError as e:
            self.runtime.say(f"recording not started: {e}", warn=True, long=True)
            return None
        msg = self.recorder.message
        if msg and not msg.startswith("recording "):  # a warning (MP4 needs imageio-ffmpeg)
            self.runtime.say(msg, warn=True, long=True)
        # otherwise no toast: it would be in the first seconds of the file; the REC panel
        # (never recorded) says it, and the path is shown when the recording stops
        return target

    def stop(self) -> Path | None:
        try:
            path = self.recorder.stop()
        except RecorderError as e:
            self.runtime.say(str(e), warn=True, long=True)
            return None
        self.runtime.say(f"recording saved: {path} ({self.recorder.frames} frames)", long=True)
        return path

    def toggle(self, mp4: bool = False) -> Path | None:
        """F9: start or stop. Returns the file written when it stops."""
        if self.recorder.recording:
            return self.stop()
        self.start(mp4=mp4)
        return None

    def close(self, status: int = 0, report=None) -> int:
        """The loop is over: finish a recording in progress (saved, never lost). `report`
        (e.g. print) gets one line about it. Returns the exit status (2 if saving failed)."""
        if self.failed and not self.recorder.recording:
            if report is not None:
                report(f"newton-descent: error: {self.failed}")
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

    def take(self, surface: pygame.Surface, frame_seconds: float) -> bool:
        """The frame is complete: record it. True when the REC panel should be drawn."""
        rec = self.recorder
        if not rec.recording:
            return False
        try:
            # the window records at the speed it runs; headless, on the nominal schedule
            rec.add_frame(surface, None if self.headless else frame_seconds)
        except RecorderError as e:
            self.runtime.say(str(e), warn=True, long=True)
            self.failed = str(e)
            return False
        if not rec.recording:  # stopped by itself at the length cap
            self.runtime.say(rec.message, long=True)
            return False
        return not self.headless

    def width(self, fonts) -> int:
        """The REC panel's width in pixels."""
        return 2 * DOT_RADIUS + 8 + fonts.small.size(REC_SAMPLE)[0] + 2 * PAD

    def draw(self, surface: pygame.Surface, fonts, right: int, panel) -> None:
        """A red dot and the recorded time in a small panel along the top, its right edge at
        `right` (left of the panels in the top-right corner); `panel(size)` is its background."""
        secs = int(self.recorder.seconds)  # the time recorded so far (what the file will last)
        label = fonts.text(f"REC  {secs // 60}:{secs % 60:02d}   F9: stop", fonts.small, (255, 235, 235))
        w, _ = surface.get_size()
        height = max(2 * DOT_RADIUS, label.get_height()) + 2 * PAD - 4
        rect = pygame.Rect(0, MARGIN, self.width(fonts), height)
        rect.right = min(right, w - MARGIN)
        surface.blit(panel(rect.size), rect)
        cx, cy = rect.x + PAD + DOT_RADIUS, rect.centery
        pygame.draw.circle(surface, DOT_COLOR, (cx, cy), DOT_RADIUS)
        surface.blit(label, (cx + DOT_RADIUS + 8, cy - label.get_height() // 2))
