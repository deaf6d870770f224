"""A plain soak script (not a test): random keys, clicks and wheel in the real window for a
while, seeded; prints whether the window is still alive and what it wrote on stderr.

    Xvfb :55 -screen 0 1280x800x24 &
    DISPLAY=:55 python bench/soak_window.py --seconds 60 --seed 1

Needs xdotool. Prints figures, never passes or fails.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEYS = list("gmnarlhtjpbkcfde123456789<>[];',.?") + [
    "space", "Return", "Tab", "BackSpace", "Home", "F9", "ctrl+o", "ctrl+l", "ctrl+s",
    "shift+F9", "Up", "Down", "Left", "Right", "plus", "minus"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="nd-soak-"))
    app = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--size", "960x600"], cwd=work,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def xdo(*a: str) -> None:
        subprocess.run(["xdotool", *a], capture_output=True, timeout=20)

    time.sleep(3.0)
    end, actions, last = time.monotonic() + args.seconds, 0, []
    while time.monotonic() < end and app.poll() is None:
        r = rng.random()
        if r < 0.6:
            last.append(rng.choice(KEYS))
            xdo("key", last[-1])  # (never q or Escape: they quit)
        elif r < 0.9:
            last.append("click")
            xdo("mousemove", str(rng.randrange(960)), str(rng.randrange(600)),
                "click", str(rng.choice((1, 1, 1, 3, 4, 5))))
        else:  # a drag, or a wheel over the map
            x, y = rng.randrange(960), rng.randrange(600)
            xdo("mousemove", str(x), str(y), "mousedown", "1", "mousemove", str(rng.randrange(960)),
                str(rng.randrange(600)), "mouseup", "1")
        actions += 1
    alive = app.poll() is None
    if alive:
        app.terminate()
    err = app.communicate(timeout=60)[1]
    print(f"{actions} actions in {args.seconds:.0f} s, seed {args.seed}: window "
          f"{'alive' if alive else f'DIED (status {app.returncode})'}; folder {work}")
    print("last actions:", " ".join(last[-8:]))
    print(f"stderr: {len(err.splitlines())} lines" + (f"\n{err[-2000:]}" if err else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
