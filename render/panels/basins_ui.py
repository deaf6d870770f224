"""Basins of attraction in the window: the basin job run in slices between frames, its colours
over the map and its progress bar or one-line summary.

The job itself (where a ball from each grid point ends up) is sim/instruments.py's BasinJob.
"""
from __future__ import annotations

import numpy as np
import pygame

from render.look.theme import ACCENT, BASIN_PALETTE, DIM, PANEL_PAD, TEXT
from render.panels.draw.basins import draw_basin_overlay
from render.panels.draw.writer import draw_progress_bar
from render.look import widgets
from render.look.view import View
from sim.instruments.basins import BASIN_MAX_TICKS, MOVING
from sim.instruments.basin_levels import BASIN_PIXELS, FineBasinJob

BASIN_TICKS_PER_FRAME = 400  # most basin ticks one frame runs ...
BASIN_SECONDS_PER_FRAME = 0.008  # ... and at most this much wall time (the window stays live)
BASIN_TICKS_CAP = 30000  # a basin job never runs more ticks than this
BASIN_BAR_SIZE = (360, 28)
RING_OUTLINE = (14, 14, 20)
GAP = 10  # pixels between the status and the panel above it


def basin_ticks(rule) -> int:
    """Ticks a basin job may run: enough for a Newtonian ball to settle (its energy decays
    like exp(-friction t / m), so about 30 m / friction of simulated time), within bounds."""
    if rule.newtonian and rule.friction > 0:
        need = 30.0 * rule.mass / (rule.friction * rule.dt)
        return int(min(max(need, BASIN_MAX_TICKS), BASIN_TICKS_CAP))
    return BASIN_MAX_TICKS


class BasinsView:
    """The basin job running or shown (and the last finished one while a new view's runs)."""

    def __init__(self, sync: bool = False) -> None:
        self.job: FineBasinJob | None = None
        self.job_key: tuple | None = None
        self.old_job: FineBasinJob | None = None
        self.pixels = BASIN_PIXELS  # one start per this many pixels square (refined coarse to fine)
        self.budget = BASIN_TICKS_PER_FRAME
        self.seconds: float | None = BASIN_SECONDS_PER_FRAME
        self.sync = sync  # headless: run a job whole at once (deterministic)
        self.last_ticks = 0  # ticks the last frame advanced the job
        self.rect: pygame.Rect | None = None  # where the status was drawn this frame

    @staticmethod
    def _key(world, view: View) -> tuple:
        return (world, world.potential, world.rule, view)

    def start(self, world, view: View, keep_old: bool = False) -> None:
        gx, gy = max(view.w // self.pixels, 1), max(view.h // self.pixels, 1)
        self.old_job = self.job if keep_old and self.job is not None and self.job.done else None
        self.job = FineBasinJob(world.potential, world.rule, view.rect(), grid=(gx, gy),
                                seed=world.seed, max_ticks=basin_ticks(world.rule))
        self.job_key = self._key(world, view)

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()
        self.job = self.old_job = None
        self.job_key = None

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def frame(self, world, view: View, interacting: bool) -> None:
        """One frame's slice of the job; a new job when the world, rule or view changed."""
        self.last_ticks = 0
        key = self._key(world, view)
        old = self.job_key
        if not interacting and (old is None or not _same(key, old)):
            view_only = old is not None and _same(key[:3], old[:3])
            self.start(world, view, keep_old=view_only)
        job = self.job
        if job is not None and job.running:
            before = job.ticks
            if self.sync:
                job.advance(job.max_ticks_total)
            else:
                job.advance(self.budget, max_seconds=self.seconds)
            self.last_ticks = job.ticks - before
            if job.done:
                self.old_job = None

    def progress(self) -> float:
        """What the bar shows: ticks run out of the job's maximum, or the fraction of grid
        points settled, whichever is further (most settle long before the maximum)."""
        job = self.job
        settled = float((job.labels != MOVING).mean())
        return 1.0 if job.done else max(job.progress, settled)

    def summary(self) -> str:
        n, used, div, moving = self.job.label_counts()  # cached: the summary is drawn every frame
        parts = [f"{used} basin{'s' if used != 1 else ''}"]
        if div:
            parts.append(f"{100 * div / n:.0f}% diverged")
        pct = f"{100 * moving / n:.0f}%"
        if moving and self.job.done:  # say what grey means: crawling at the budget, not assigned
            parts.append(f"grey: {pct} still moving after {self.job.max_ticks:,} ticks, not assigned")
            if self.job.rule.name == "adagrad":
                parts.append("AdaGrad's steps shrink like 1/√t")
        elif moving:
            parts.append(f"{pct} still moving")
        return " · ".join(parts)

    def shown(self) -> bool:
        """Whether basin colours are over the map (then the map under them is grey)."""
        return self.old_job is not None or self.job is not None

    def draw_map(self, surface: pygame.Surface, view: View) -> None:
        """Basin shading over the map (the last finished job while a new view's job runs)."""
        job = self.old_job if self.old_job is not None else self.job
        if job is None:
            return
        draw_basin_overlay(surface, job, to_screen=view.to_screen)
        if job.done and len(job.centers):
            c = view.to_screen(job.centers)
            lab = job.labels
            for i, (x, y) in enumerate(c.tolist()):
                if not (np.isfinite(x) and np.isfinite(y)) or not (lab == i).any():
                    continue
                col = BASIN_PALETTE[i % len(BASIN_PALETTE)]
                pygame.draw.circle(surface, RING_OUTLINE, (int(x), int(y)), 9, 4)
                pygame.draw.circle(surface, col, (int(x), int(y)), 8, 2)

    def draw_status(self, surface: pygame.Surface, fonts, obstacles: list[pygame.Rect]) -> pygame.Rect:
        """The progress bar while the job runs, then a one-line summary: top centre, or below
        whatever panel is in the way."""
        W, H = surface.get_size()
        job = self.job
        font = fonts.small
        if job.running:
            rect = pygame.Rect((0, 0), BASIN_BAR_SIZE)
            parts = []
        else:
            parts = [widgets.text(fonts.body, "basins  ", ACCENT),
                     widgets.text(font, f"{job.rule.name}: {self.summary()}", TEXT),
                     widgets.text(font, "    B: off", DIM)]
            rect = pygame.Rect(0, 0, sum(t.get_width() for t in parts) + 4 * PANEL_PAD,
                               max(t.get_height() for t in parts) + 2 * PANEL_PAD)
        rect.midtop = (W // 2, 12)
        while True:  # below anything in the way
            hit = rect.collidelist(obstacles)
            if hit < 0 or obstacles[hit].bottom + GAP + rect.h > H:
                break
            rect.top = obstacles[hit].bottom + GAP
        if job.running:
            draw_progress_bar(surface, rect, self.progress(), font,
                                f"basins of {job.rule.name}   Esc: cancel  ")
        else:
            widgets.draw_panel(surface, rect)
            x = rect.x + 2 * PANEL_PAD
            for t in parts:
                surface.blit(t, (x, rect.centery - t.get_height() // 2))
                x += t.get_width()
        self.rect = rect
        return rect


def _same(a: tuple, b: tuple) -> bool:
    """Basin keys: the same world and potential objects, an equal rule and view."""
    return all((x is y) if i < 2 else (x == y) for i, (x, y) in enumerate(zip(a, b))) and len(a) == len(b)
