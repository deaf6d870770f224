"""The picture and the physics of scripted sessions, as one hash per frame: run it before and
after a speed-up and diff the two outputs. Any pixel or any bit of state that changed shows.

    python bench/picture_hashes.py [--only NAME,...] > before.txt
    ... change the code ...
    python bench/picture_hashes.py > after.txt && diff before.txt after.txt

Each line: scene, frame, a hash of the screen's pixels, a hash of the particle state (pos,
vel, prev, grad, buffers, steps, status). The scenes cover what the frame code branches on:
few balls (sprites, 2-pixel trails), many (splats, sampled paths), past the stamp budget and
the 2x2 limit, several rules (colours), pauses and several ticks per frame (the fade table),
a zoom (trails reset), overlays (arrows, field, help, the ball panel), diverging balls.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402

SIZE = (1280, 800)
STATE = ("pos", "vel", "prev", "grad", "buf_a", "buf_b", "steps", "status", "dissipated")


def digest(b) -> str:
    return hashlib.blake2b(b, digest_size=8).hexdigest()


def state_hash(world) -> str:
    h = hashlib.blake2b(digest_size=8)
    for k in STATE:
        h.update(np.ascontiguousarray(getattr(world.particles, k)).tobytes())
    return h.hexdigest()


def make(potential: str, rule, n: int = 0, seed: int = 0):
    import pygame

    from render.app.app import App
    from sim.rules.dynamics import Rule
    from sim.data.catalog import get_potential
    from sim.core.world import World

    pot = get_potential(potential)
    r = rule if isinstance(rule, Rule) else Rule(rule)
    from sim.landscapes.tuning import suggest

    r = suggest(pot, r)
    world = World(pot, r, seed=seed)
    app = App(world, SIZE, seed=seed, headless=True)
    if n:
        world.drop_random(n)
    app.layers.trails.forget_paths()
    surf = pygame.display.get_surface()
    return app, surf


def frames(name: str, app, surf, k: int, out, every: int = 1, dt: float = 1 / 60) -> None:
    import pygame

    for i in range(k):
        app.update(dt)
        app.draw(surf)
        if i % every == 0 or i == k - 1:
            px = digest(surf.get_buffer().raw)  # every byte of the pixels, padding included
            out(f"{name} {app.frames:4d} {px} {state_hash(app.world)}")


def scene_plain(out, n: int, k: int, rule: str = "momentum", potential: str = "rosenbrock") -> None:
    app, surf = make(potential, rule, n)
    frames(f"{potential}-{rule}-{n}", app, surf, k, out)


def scene_mixed(out, n: int, k: int) -> None:
    """Three rules at once (colours per ball), pauses and ×4 time."""
    from sim.rules.dynamics import Rule

    app, surf = make("himmelblau", "momentum", 0, seed=5)
    w = app.world
    w.add_rule(Rule("adam", lr=0.02))
    w.add_rule(Rule("newton", dt=0.01, friction=0.3))
    w.add_rule(Rule("langevin", dt=0.01, friction=0.5, temperature=0.3))
    rng = np.random.default_rng(1)
    x0, x1, y0, y1 = w.potential.view
    for rid in range(4):
        pos = np.column_stack([rng.uniform(x0, x1, n // 4), rng.uniform(y0, y1, n // 4)])
        w.drop(pos, rule_id=rid)
    app.layers.trails.forget_paths()
    name = f"mixed-{n}"
    frames(name, app, surf, k // 3, out)
    app.runtime.paused = True
    frames(name, app, surf, 3, out)
    app.runtime.paused = False
    app.runtime.time_scale = 4.0
    frames(name, app, surf, k // 3, out)
    app.runtime.time_scale = 0.5
    frames(name, app, surf, k // 3, out)


def scene_overlays(out) -> None:
    """A few balls with arrows, the field, the ball panel under the mouse, help, a zoom."""
    from sim.rules.dynamics import Rule

    app, surf = make("gaussian_wells", Rule("newton", dt=0.02, friction=0.2), 40, seed=2)
    app.world.drop(np.array([[0.3, -0.2]]), np.array([[1.5, 0.5]]))
    app.runtime.balls.last_dropped = app.world.n - 1
    app.show.update(arrows=True, field=True)
    frames("overlays", app, surf, 30, out)
    app.gestures.mouse = (640, 400)
    app.show["help"] = True
    frames("overlays", app, surf, 10, out)
    app.show["help"] = False
    app.map.zoom((500, 300), 1.44)
    frames("overlays", app, surf, 30, out)
    app.runtime.switch.set_rule("gd")
    frames("overlays", app, surf, 20, out)


def scene_diverging(out) -> None:
    """Balls rolling off a saddle: diverged balls are counted, frozen and not drawn."""
    from sim.rules.dynamics import Rule

    app, surf = make("saddle", Rule("gd", lr=0.2), 3000, seed=4)
    frames("saddle-gd", app, surf, 40, out)


SCENES = {
    "n1k": lambda out: scene_plain(out, 1_000, 200),
    "n10k": lambda out: scene_plain(out, 10_000, 200),
    "n100k": lambda out: scene_plain(out, 100_000, 80),
    "n500k": lambda out: scene_plain(out, 500_000, 12),
    "adam2k": lambda out: scene_plain(out, 2_000, 60, "adam", "beale"),
    "langevin5k": lambda out: scene_plain(out, 5_000, 60, "langevin", "double_well"),
    "mixed": lambda out: scene_mixed(out, 8_000, 90),
    "mixed-few": lambda out: scene_mixed(out, 400, 60),
    "overlays": scene_overlays,
    "diverging": scene_diverging,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="", help="comma-separated scene names: " + ", ".join(SCENES))
    a = ap.parse_args()
    import pygame

    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode(SIZE)
    names = a.only.split(",") if a.only else list(SCENES)
    for name in names:
        SCENES[name](print)
    pygame.display.quit()


if __name__ == "__main__":
    main()
