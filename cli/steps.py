"""The headless --steps run: the simulation alone (never pygame) and its dump."""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from cli.args import MAX_RECORDS_DEFAULT, PROG, UsageError
from cli.build import check_steps, check_writable, load_scene, make_potential, make_rule, override_scene_rule, refuse_unused, with_suggested_step


MAX_DUMP_BYTES = 4e9  # refuse (before the run) a dump whose arrays would pass this
TICK_WORK = 2_000_000  # ball-ticks between progress updates of a --steps run
STATUS_NAMES = ("alive", "diverged", "undefined")  # by sim.core.particles status code


def _steps_world(args: argparse.Namespace):
    """The world a --steps run simulates: the --scene's (with --dynamics and the parameters
    given overriding its rule), or one built from the landscape and ball options."""
    from sim.core.world import World

    if args.scene is not None:
        world = load_scene(args)[0]
        override_scene_rule(args, world)
        args.step_source = "given" if getattr(args, world.rule.step_name) is not None else "scene"
        if not world.n:
            raise UsageError(f"--scene: '{args.scene}' has no balls to simulate")
        return world
    potential = make_potential(args)
    rule, args.step_source = with_suggested_step(args, potential, make_rule(args))
    if args.start and args.particles is not None:
        raise UsageError("give either --start points or --particles, not both")
    if not args.start and not args.particles:
        raise UsageError("no balls: give --start=X,Y (repeatable) or --particles K (K > 0)")
    from sim.core.particles import MAX_PARTICLES
    if (args.particles or len(args.start or ())) > MAX_PARTICLES:
        raise UsageError(f"--particles: at most {MAX_PARTICLES:,} balls")
    world = World(potential, rule, seed=args.seed or 0)
    if args.batch is not None:
        world.set_batch(args.batch)
        if args.batch and not rule.spec.minibatch:
            print(f"{PROG}: note: {rule.name} rolls on the full-data surface; --batch "
                  f"{args.batch} has no effect", file=sys.stderr)
    try:
        if args.start:
            world.drop(np.array(args.start, dtype=np.float64))
        else:
            world.drop_random(args.particles)
    except ValueError as err:  # a rule's state would not fit (lbfgs's histories)
        raise UsageError(str(err)) from None
    return world


def run_steps(args: argparse.Namespace) -> int:
    if args.dump is None:
        raise UsageError("--steps needs --dump OUT.json or OUT.npz")
    check_steps(args.steps)
    if args.frames is not None:
        raise UsageError("--steps and --frames are two different modes; give one")
    refuse_unused(args, ("--screenshot", "--record", "--show", "--play", "--size", "--view3d"),
                   "goes with the window or --headless --frames N, not with --steps")
    out = check_writable(args.dump, (".json", ".npz"), "--dump")
    world = _steps_world(args)
    potential, rule = world.potential, world.rule

    n_steps = args.steps
    every = args.every if args.every else max(1, math.ceil(n_steps / MAX_RECORDS_DEFAULT))
    if args.every == 0:
        raise UsageError("--every must be at least 1")
    n_records = n_steps // every + 1 + (1 if n_steps % every else 0)
    newtonian = any(r.newtonian for r in world.rules)  # a scene's lanes may mix rules
    per_record = world.n * 8 * (3 + (2 if newtonian else 0))  # positions, values, velocities
    if n_records * per_record > MAX_DUMP_BYTES:
        raise UsageError(f"the dump would hold {n_records * per_record / 1e9:.1f} GB "
                         f"({n_records:,} records x {world.n:,} particles); "
                         f"record less often with --every")
    record_at = list(range(0, n_steps + 1, every))
    if record_at[-1] != n_steps:
        record_at.append(n_steps)
    positions, values, velocities, losses = [], [], [], []

    def record() -> None:
        positions.append(world.particles.pos.copy())
        values.append(world.values())
        losses.append(_mean_loss(values[-1], world.particles.status))
        if newtonian:
            velocities.append(world.particles.vel.copy())

    record()
    from sim.data.base import is_data
    from sim.support.progress import Progress
    from sim.runtime.runtime import Runtime

    runtime = Runtime(world, seed=args.seed or 0, history_bytes=1)  # the window's runtime, (almost) no past kept
    chunk = max(1, TICK_WORK // max(world.n, 1))  # ticks between progress updates
    with Progress(n_steps, "ticks") as progress:
        done = 0
        for target in record_at[1:]:
            while done < target:  # the same ticks, in pieces (tick(a) + tick(b) == tick(a + b))
                k = min(chunk, target - done)
                runtime.tick(k)
                done += k
                progress.update(done)
            record()

    dump = {
        "potential": potential.name if args.expr is None else potential.formula,
        "dynamics": rule.name,
        "params": rule.params(),
        "step_source": args.step_source,
        "seed": world.seed,
        "steps": n_steps,
        "ticks": record_at,
        "positions": np.array(positions),
        "values": np.array(values),
        "status": np.array(STATUS_NAMES)[world.particles.status],
    }
    if newtonian:
        dump["velocities"] = np.array(velocities)
    if is_data(potential):  # a data landscape: the minibatch size and the mean loss
        dump["batch"] = world.batch
        dump["loss"] = np.array(losses)
        dump["data"] = potential.data.source
    try:
        write_dump(dump, out)
    except OSError as err:  # a full disk, a quota, a file size limit: nothing is left behind
        raise UsageError(f"--dump: cannot write '{out}': {err.strerror or err}") from None
    alive, diverged = world.counts()
    undefined = world.n_undefined()
    print(f"{n_steps} steps, {world.n} particles ({alive} alive, {diverged} diverged"
          + (f", {undefined} undefined" if undefined else "") + f") -> {out}")
    return 0


def _mean_loss(values: np.ndarray, status: np.ndarray) -> float:
    """Mean full-data loss of the alive balls (NaN when none is left)."""
    alive = values[status == 0]
    return float(alive.mean()) if len(alive) else float("nan")


def _jsonable(a: np.ndarray) -> Any:
    """Arrays to nested lists with non-finite numbers as null (strict JSON)."""
    a = np.asarray(a)
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        obj = a.astype(object)
        obj[~np.isfinite(a)] = None
        return obj.tolist()
    return a.tolist()


def write_dump(dump: dict[str, Any], out: Path) -> None:
    """Write the dump atomically (sim.support.files.atomic_write: over the file the user named)."""
    from sim.support.files import atomic_write  # a killed run's temp files are cleaned up here next time

    def write(fh) -> None:
        if out.suffix.lower() == ".json":
            doc = {k: (_jsonable(v) if isinstance(v, np.ndarray) else v) for k, v in dump.items()}
            fh.write(json.dumps(doc, allow_nan=False).encode())
        else:
            arrays = {k: (v if isinstance(v, np.ndarray) else np.array(json.dumps(v) if isinstance(v, dict) else v))
                      for k, v in dump.items()}
            np.savez_compressed(fh, **arrays)

    atomic_write(out, write)
