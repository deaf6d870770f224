"""Newton Descent: gradient descent is Newton's second law in disguise.

Three modes (see `python main.py --help`):
  window     (default)             the interactive program
  --headless --frames N            the same loop offscreen; prints the fps it reached
  --headless --steps N --dump F    simulation only (never imports pygame); writes a dump
"""
from __future__ import annotations

import os
import sys
from typing import Sequence

import numpy as np

from cli.args import PROG, UsageError, build_parser
from cli.steps import run_steps
from cli.window import list_scenes, run_render


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.list_scenes:
            return list_scenes()
        if args.frames is not None and not args.headless:
            raise UsageError("--frames needs --headless")
        # numbers that overflow are handled where they matter (a ball becomes diverged or
        # undefined); they never add a warning line to stderr
        with np.errstate(all="ignore"):
            if args.steps is not None:
                if not args.headless:
                    raise UsageError("--steps needs --headless")
                return run_steps(args)
            return run_render(args)
    except UsageError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        print(f"{PROG}: error: out of memory (try fewer particles or records: --every)", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: one line for users, the traceback with ND_DEBUG=1
        if os.environ.get("ND_DEBUG"):
            raise
        print(f"{PROG}: internal error: {type(err).__name__}: {err} (ND_DEBUG=1 shows the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
