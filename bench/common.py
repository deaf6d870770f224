"""Shared pieces of the benchmarks: the scene, frame statistics, machine description, and a
way to run one measurement in a fresh process and get its numbers back as JSON.

Every benchmark module has `measure(...) -> dict` for one measurement and a small command line
(`python bench/bench_x.py --json ...`) that prints one JSON object on its last line, so
`run_all.py` can run each measurement in its own process (no state, cache or memory shared).
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# --- the scene every frame benchmark draws --------------------------------------------------
POTENTIAL = "rosenbrock"
RULE = "momentum"
SIZE = (1280, 800)
SEED = 0
TICKS_PER_FRAME = 1  # the headless loop advances on the nominal 60 Hz schedule: 1 tick a frame
SIZES = (1_000, 10_000, 100_000, 1_000_000)
WARMUP_FRAMES = 3  # dropped from the statistics (first map build, buffer growth, caches)


def scene_rule(potential_name: str = POTENTIAL, rule_name: str = RULE):
    """The rule the window itself would pick for this landscape (sim/tuning.py's
    suggested step size), so every program below moves the balls the same way."""
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential

    potential = get_potential(potential_name)
    rule = Rule(rule_name)
    try:
        from sim.landscapes.tuning import suggest  # numpy + sim only; no pygame
        rule = suggest(potential, rule)
    except ImportError:
        pass
    return potential, rule


def view_rect(potential) -> tuple[float, float, float, float]:
    """The world rect the window shows at SIZE (the potential's view fitted, with margins)."""
    from render.look.view import View  # pure numpy

    return View.fit(potential.view, SIZE).rect()


def start_positions(potential, n: int, seed: int = SEED):
    """n seeded random starts in the window's view rect: float64 [n, 2]. The same points the
    window's `run(particles=n)` drops (World(seed).drop_random(n, view.rect()))."""
    import numpy as np

    x0, x1, y0, y1 = view_rect(potential)
    u = np.random.default_rng(seed).random((n, 2))
    return np.column_stack([x0 + (x1 - x0) * u[:, 0], y0 + (y1 - y0) * u[:, 1]])


def headless_env() -> dict[str, str]:
    """Environment for pygame without a display or sound card."""
    env = dict(os.environ)
    env.setdefault("SDL_VIDEODRIVER", "dummy")
    env.setdefault("SDL_AUDIODRIVER", "dummy")
    env["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
    return env


def use_headless_sdl() -> None:
    for k, v in headless_env().items():
        if k.startswith(("SDL_", "PYGAME_")):
            os.environ.setdefault(k, v)


# --- frame statistics -----------------------------------------------------------------------
@dataclass
class FrameStats:
    """Per-frame times in seconds (after warm-up) -> median / worst ms and fps."""

    times: list[float]
    how: str = ""

    def as_dict(self) -> dict[str, Any]:
        t = sorted(self.times)
        if not t:
            return {"frames": 0, "how": self.how}
        med = statistics.median(t)
        return {
            "frames": len(t),
            "median_ms": 1e3 * med,
            "p90_ms": 1e3 * t[min(len(t) - 1, int(0.9 * len(t)))],
            "worst_ms": 1e3 * t[-1],
            "fps": 1.0 / med if med > 0 else float("inf"),
            "how": self.how,
        }


def frame_budget(n: int, quick: bool) -> tuple[int, float]:
    """(most frames, most seconds) to time at n particles: enough frames for a median and a
    worst, bounded so the whole run stays within minutes."""
    if quick:
        return (60, 1.5) if n <= 100_000 else (12, 2.5)
    return (300, 5.0) if n <= 100_000 else (50, 8.0)


def time_frames(frame, n_frames: int, seconds: float, warmup: int = WARMUP_FRAMES,
                min_frames: int = 3) -> list[float]:
    """Call frame() warmup times untimed, then time each call until n_frames or seconds run
    out (at least min_frames). Returns seconds per frame."""
    for _ in range(warmup):
        frame()
    times: list[float] = []
    t_end = time.perf_counter() + seconds
    while len(times) < n_frames and (time.perf_counter() < t_end or len(times) < min_frames):
        t0 = time.perf_counter()
        frame()
        times.append(time.perf_counter() - t0)
    return times


# --- running one measurement in its own process ----------------------------------------------
def emit(result: dict[str, Any]) -> None:
    """Print a result as the last line of stdout (what run_in_subprocess reads)."""
    print(json.dumps(result, default=float), flush=True)


def run_in_subprocess(args: Sequence[str], timeout: float = 300.0) -> dict[str, Any]:
    """Run `python ARGS...` headless; return the JSON its last stdout line holds, or
    {"error": ...} (a benchmark that fails is reported, never fatal)."""
    cmd = [sys.executable, *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=headless_env(), cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or ["?"])[-1]
        return {"error": f"exit {proc.returncode}: {tail[:200]}"}
    return json.loads(lines[-1])


# --- the machine ------------------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    import numpy as np

    info = {
        "cpu": _cpu_model(),
        "cores": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "ram": f"{_ram_gib():.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    try:
        use_headless_sdl()
        import pygame

        info["pygame"] = f"{pygame.version.ver} (SDL {'.'.join(map(str, pygame.get_sdl_version()))})"
        if getattr(pygame, "IS_CE", False):
            info["pygame"] += " pygame-ce"
    except ImportError:
        info["pygame"] = "not installed"
    try:
        import matplotlib

        info["matplotlib"] = matplotlib.__version__
    except ImportError:
        info["matplotlib"] = "not installed (pip install -r requirements-bench.txt)"
    blas = [k for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if os.environ.get(k)]
    if blas:
        info["env"] = ", ".join(f"{k}={os.environ[k]}" for k in blas)
    return info


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"
