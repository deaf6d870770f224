"""Rebuilding a data landscape after an edit without stopping the world.

A landscape that trains (anything with `advance(steps) -> progress` and `progress`, such as
sim.data.mlp.MLPPlane) is retrained in slices, a few milliseconds per frame, while the old
landscape and the balls keep going; when it is done the caller swaps it in. A new edit while a
retrain is under way restarts it on the newest data, so quick edits never pile up. The result
is bit-identical to a retrain in one go (the training is the same arithmetic however it is
split). Pure Python, no pygame: the data pane drives it once per frame.
"""
from __future__ import annotations

import time
from collections.abc import Callable

SLICE_STEPS = 10  # training steps between two looks at the clock, at most
FRAME_BUDGET_S = 0.008  # seconds of training per frame in a live window


def trains(potential) -> bool:
    """Whether the landscape is built over several frames (it has `advance`)."""
    return callable(getattr(potential, "advance", None))


class Retrain:
    """At most one retrain under way: `start` (or restart), `advance` a slice per frame, which
    returns the finished landscape once. `base` is the landscape the edit was made on: when the
    world has moved to another one (a new landscape, a scene), the job is dropped."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.job = None
        self.base = None
        self.clock = clock
        self.started = 0.0  # clock time of the latest (re)start
        self.restarts = 0  # jobs replaced by a newer edit before they finished
        self.seconds = 0.0  # wall time of the last finished job, from its start
        self.step_s: float | None = None  # seconds one training step took, last measured

    @property
    def active(self) -> bool:
        return self.job is not None

    @property
    def progress(self) -> float:
        """The job's progress in [0, 1] (0 with no job)."""
        return float(self.job.progress) if self.job is not None else 0.0

    @property
    def data(self):
        """The data of the job under way (the newest edit), or None."""
        return self.job.data if self.job is not None else None

    def data_for(self, base):
        """The newest data of the landscape `base`: the job's when it retrains `base`, else
        base's own."""
        return self.job.data if self.job is not None and base is self.base else base.data

    def start(self, base, potential) -> None:
        """Retrain `potential` (the landscape on the edited data) to replace `base`; a job
        already under way is dropped (a restart when it was for the same base)."""
        if self.job is not None and base is self.base:
            self.restarts += 1
        self.base = base
        self.job = potential
        self.started = self.clock()
        self.step_s = None

    def cancel(self) -> None:
        self.job = None
        self.base = None

    def advance(self, current, steps: int | None = None, budget_s: float = FRAME_BUDGET_S):
        """One frame's slice: `steps` training steps when given (deterministic, for headless
        runs), else slices of SLICE_STEPS until `budget_s` seconds are spent (at least one).
        `current` is the world's landscape now. Returns the finished landscape (once) or None.
        A ValueError from the job (data it cannot fit) drops the job and is raised."""
        if self.job is None:
            return None
        if current is not self.base:  # the world moved on: the edit no longer applies
            self.cancel()
            return None
        job = self.job
        try:
            if steps is not None:
                job.advance(max(1, int(steps)))
            else:
                self._slice(job, budget_s)
        except (ValueError, ArithmeticError) as e:
            self.cancel()
            raise ValueError(str(e)) from e
        if job.progress < 1.0:
            return None
        self.seconds = self.clock() - self.started
        self.cancel()
        return job

    def _slice(self, job, budget_s: float) -> None:
        """Training steps for about `budget_s` seconds: as many as the time one step took says
        fit in what is left (at most SLICE_STEPS between looks at the clock), at least one a
        frame. On 100,000 rows one step is milliseconds: a fixed slice of ten overran the frame."""
        t0 = self.clock()
        first = True
        while True:
            count = 1
            if self.step_s is not None:
                count = min(SLICE_STEPS, int((budget_s - (self.clock() - t0)) / max(self.step_s, 1e-9)))
                if count < 1:
                    if not first:
                        return
                    count = 1
            t = self.clock()
            progress = job.advance(count)
            self.step_s = (self.clock() - t) / count
            first = False
            if progress >= 1.0 or self.clock() - t0 >= budget_s:
                return
