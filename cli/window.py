"""The window, live or offscreen: the instruments asked for, a scene to open, the loop."""
from __future__ import annotations

import argparse

from cli.args import DEFAULT_SIZE, INSTRUMENTS, UsageError
from cli.build import check_steps, check_writable, load_scene, make_potential, make_rule, override_scene_rule, refuse_unused, with_suggested_step


# --- the window, live or offscreen ----------------------------------------------------------

def _instruments(args: argparse.Namespace) -> dict[str, bool]:
    if not args.show:
        return {}
    names = [s.strip() for s in args.show.split(",") if s.strip()]
    for name in names:
        if name not in INSTRUMENTS:
            raise UsageError(f"--show: unknown instrument '{name}'; choose from: {', '.join(INSTRUMENTS)}")
    return {name: True for name in names}


def run_render(args: argparse.Namespace) -> int:
    if args.headless and args.frames is None:
        raise UsageError("--headless needs --steps N (simulation) or --frames N (rendering)")
    if args.dump is not None:
        raise UsageError("--dump goes with --steps")
    refuse_unused(args, ("--every",), "goes with --steps (the records of a dump)")
    if args.frames is not None:
        check_steps(args.frames, "--frames")
    screenshot = record = None
    if args.screenshot is not None:
        if args.frames is None:
            raise UsageError("--screenshot goes with --headless --frames N (in the window press S)")
        screenshot = str(check_writable(args.screenshot, (".png",), "--screenshot"))
    if args.record is not None:
        if args.frames is None:
            raise UsageError("--record goes with --headless --frames N (in the window press F9)")
        record = str(check_writable(args.record, (".gif", ".mp4"), "--record"))
    report = None
    if args.report is not None:
        if args.frames is None:
            raise UsageError("--report goes with --headless --frames N")
        report = str(check_writable(args.report, (".json",), "--report"))
    instruments = _instruments(args)
    scene = None
    if args.scene is not None:
        scene = load_scene(args)
        override_scene_rule(args, scene[0])
        potential, rule = scene[0].potential, scene[0].rule
    else:
        potential = make_potential(args)
        rule, _source = with_suggested_step(args, potential, make_rule(args, default="momentum"))
    if args.start and args.particles is not None:
        raise UsageError("give either --start points or --particles, not both")
    from render.app.loop import run
    return run(potential=potential, rule=rule, seed=args.seed or 0, particles=args.particles or 0,
               starts=args.start or [], frames=args.frames if args.headless else None,
               screenshot=screenshot, size=args.size or DEFAULT_SIZE, scene=scene, record=record,
               instruments=instruments, play=args.play, report=report, batch=args.batch,
               view3d=args.view3d,
               rule_given=True)  # (the suggested step is already in: with_suggested_step)


def list_scenes() -> int:
    from sim.scene.presets import list_presets
    for name, title in list_presets():
        print(f"{name:<24} {title}")
    return 0
