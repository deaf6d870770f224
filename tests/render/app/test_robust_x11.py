"""Under Xvfb + xdotool, as a user would: work that must survive. A recording killed with
kill -9 keeps its frames up to about a second before, and the next run that writes in that
folder recovers it. Skipped only when the Xvfb or xdotool binaries are missing."""
import os
import signal
import subprocess
import sys
import time

from PIL import Image, ImageSequence

from tests.support.x11 import NEEDS_X11, ROOT, quit_app, running, wait_for

pytestmark = NEEDS_X11


def gif_seconds(path) -> tuple[int, float]:
    with Image.open(path) as im:
        ms = [f.info.get("duration", 0) for f in ImageSequence.Iterator(im)]
    return len(ms), sum(ms) / 1000.0


def test_kill_9_while_recording_keeps_the_frames_and_the_next_run_recovers_them(xserver, tmp_path):
    with running(xserver, ["--size", "640x400"], tmp_path) as (app, win, xdo, env):
        time.sleep(0.5)
        xdo("key", "F9")
        hidden = wait_for(lambda: sorted(tmp_path.glob(".newton-descent-*.gif")), 10, "the recording's temp file")
        time.sleep(5.0)
        os.kill(app.pid, signal.SIGKILL)
        app.wait(10)
    # what the kill left: a complete GIF of the frames up to the last checkpoint
    frames, seconds = gif_seconds(hidden[0])
    assert frames >= 10 and seconds >= 2.0, (frames, seconds)
    assert not list(tmp_path.glob("newton-descent-*.gif"))
    # the next run that writes here (a screenshot) publishes it and leaves no hidden file
    r = subprocess.run([sys.executable, str(ROOT / "main.py"), "--headless", "--frames", "2",
                        "--screenshot", "shot.png"], cwd=tmp_path, env=dict(env, SDL_VIDEODRIVER="dummy"),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    (gif,) = tmp_path.glob("newton-descent-*.gif")
    assert gif_seconds(gif)[0] >= frames


def test_a_window_one_pixel_wide_or_tall_keeps_running(xserver, tmp_path):
    with running(xserver, ["--size", "640x400", "--show", "field,arrows"], tmp_path) as (app, win, xdo, _):
        time.sleep(0.5)
        for w, h in ((1, 400), (640, 1), (1, 1), (640, 400)):
            xdo("windowsize", win, str(w), str(h))
            time.sleep(0.8)
            assert app.poll() is None, app.stderr.read()
        status = quit_app(app, xdo)
    err = app.stderr.read()
    assert status == 0 and "Traceback" not in err, err
