"""Long headless work shows progress on stderr when it is a terminal, and nothing otherwise;
a run that could never finish is refused."""
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from sim.support.progress import Progress, describe

ROOT = Path(__file__).resolve().parents[3]


class FakeTty:
    def __init__(self, tty=True):
        self.text, self.tty = "", tty

    def isatty(self):
        return self.tty

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_progress_waits_two_seconds_then_shows_rate_and_time_left(monkeypatch):
    monkeypatch.delenv("ND_PROGRESS_AFTER", raising=False)
    now = [100.0]
    out = FakeTty()
    p = Progress(10_000, "ticks", stream=out, clock=lambda: now[0])
    now[0] += 1.5
    p.update(1500)
    assert out.text == ""  # a short run stays silent
    now[0] += 1.0  # 2.5 s: 2,500 ticks at 1,000 ticks/s, 7,500 left = 7.5 s
    p.update(2500)
    assert "2,500 / 10,000 ticks (25%)" in out.text and "1,000 ticks/s" in out.text
    assert "8 s left" in out.text
    p.close()
    assert out.text.endswith("\r\x1b[K")
    quiet = FakeTty(tty=False)
    q = Progress(10, stream=quiet, clock=lambda: now[0])
    now[0] += 100
    q.update(5)
    q.close()
    assert quiet.text == ""


def test_describe_formats_long_times():
    assert describe(1, 3601, 1.0, "frames").endswith("1 h 00 min left")


def run_with_stderr_on(tty: bool, tmp_path):
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "ND_PROGRESS_AFTER": "0"}
    args = [sys.executable, str(ROOT / "main.py"), "--headless", "--potential", "bowl",
            "--particles", "50", "--steps", "3000", "--dump", str(tmp_path / "d.npz")]
    if not tty:
        r = subprocess.run(args, env=env, capture_output=True, timeout=120)
        return r.returncode, r.stderr.decode()
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    return proc.wait(60), data.decode(errors="replace")


def test_a_steps_run_shows_progress_on_a_terminal_and_nothing_in_a_pipe(tmp_path):
    status, err = run_with_stderr_on(True, tmp_path)
    assert status == 0 and "/ 3,000 ticks" in err and "ticks/s" in err and "left" in err
    status, err = run_with_stderr_on(False, tmp_path)
    assert status == 0 and err == ""


@pytest.mark.parametrize("flag", ["--steps", "--frames"])
def test_a_run_that_could_never_finish_is_refused(flag, tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--potential", "bowl",
                        "--start=1,1", flag, "99999999999999999999999"]
                       + (["--dump", str(tmp_path / "d.json")] if flag == "--steps" else []),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "beyond any run that could finish" in r.stderr
    assert r.stderr.count("\n") == 1 and not list(tmp_path.iterdir())
