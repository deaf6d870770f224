"""What keeps the window alive and the user's work safe: one line per problem on the right
stream, and (see `guarded`) no exception ever escaping the window loop."""
from __future__ import annotations

import sys

ERROR_PREFIX = "newton-descent: error:"


def report_line(line: str) -> None:
    """A line for the user at the end of a run: errors on stderr, news on stdout."""
    print(line, file=sys.stderr if line.startswith(ERROR_PREFIX) else sys.stdout)
