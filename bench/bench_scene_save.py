"""Big scenes: the key press (snapshot), the background save while the window draws, the file
size and reading it back. Prints figures; never passes or fails.

    python bench/bench_scene_save.py --balls 1000000
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from render.app.app import App  # noqa: E402
from sim.rules.dynamics import Rule  # noqa: E402
from sim.data.catalog import get_potential  # noqa: E402
from sim.scene.io import load_scene  # noqa: E402
from sim.scene.save import SaveJob  # noqa: E402
from sim.core.world import World  # noqa: E402

SIZE = (1280, 800)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--balls", type=int, default=1_000_000)
    args = ap.parse_args()
    pygame.display.init()
    pygame.display.set_mode((8, 8))
    pygame.font.init()
    w = World(get_potential("himmelblau"), Rule("adam", lr=1e-2), seed=1)
    w.drop_random(args.balls)
    app = App(w, SIZE, headless=True)
    surf = pygame.Surface(SIZE, 0, 32)

    def frame() -> float:
        t = time.perf_counter()
        app.update(1 / 60)
        app.draw(surf)
        return time.perf_counter() - t

    before = [frame() for _ in range(10)]
    folder = Path(tempfile.mkdtemp(prefix="nd-bench-"))
    t0 = time.perf_counter()
    job = SaveJob(w, folder / "big.toml", threaded=True)
    press = time.perf_counter() - t0
    during = []
    while not job.done:
        during.append(frame())
    total = time.perf_counter() - t0
    size = job.path.stat().st_size
    t = time.perf_counter()
    back, _ = load_scene(job.path)
    load = time.perf_counter() - t
    print(f"{args.balls:,} adam balls, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  key press (snapshot, main thread): {press * 1000:.0f} ms")
    print(f"  background save while drawing: {total:.1f} s, {size / 1e6:.0f} MB")
    print(f"  frame time: {np.median(before) * 1000:.0f} ms before, {np.median(during) * 1000:.0f} ms "
          f"median / {max(during, default=0) * 1000:.0f} ms max during ({len(during)} frames)")
    print(f"  read back: {load:.1f} s, {back.n:,} balls")
    job.path.unlink()
    folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
