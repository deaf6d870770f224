"""GIF recording, never-overwriting names, atomic screenshots, clear errors, no temp files left."""
from __future__ import annotations

import datetime as dt
import os
import time

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np  # noqa: E402
import pygame  # noqa: E402
import pytest  # noqa: E402
from PIL import Image, ImageSequence  # noqa: E402

from render.files.recorder import MP4_MISSING, Recorder, mp4_available  # noqa: E402
from render.files.names import RecorderError, auto_path, save_screenshot  # noqa: E402
from render.files.gif import GifStream  # noqa: E402
import os  # noqa: E402
from sim.support.files import unique_path  # noqa: E402


@pytest.fixture(autouse=True)
def _pygame():
    pygame.init()
    yield
    pygame.quit()


def scene_surface(size=(320, 200)) -> pygame.Surface:
    s = pygame.Surface(size)
    s.fill((20, 30, 60))
    return s


def draw_ball(s: pygame.Surface, k: int) -> None:
    s.fill((20, 30, 60))
    pygame.draw.rect(s, (250, 250, 250), (10 + 12 * k, 40, 10, 10))


def gif_frames(path) -> list[Image.Image]:
    with Image.open(path) as im:
        return [f.convert("RGB") for f in ImageSequence.Iterator(im)]


def gradient_surface(size=(320, 200)) -> pygame.Surface:
    w, h = size
    x = np.linspace(0.0, 1.0, w)[:, None]
    y = np.linspace(0.0, 1.0, h)[None, :]
    a = np.zeros((w, h, 3), dtype=np.uint8)
    a[..., 0] = 255 * x
    a[..., 1] = 255 * (0.5 + 0.5 * np.sin(12 * x * y))
    a[..., 2] = 255 * y
    return pygame.surfarray.make_surface(a)


def test_gif_has_n_frames_of_the_right_size_and_content(tmp_path):
    rec = Recorder(folder=tmp_path, every=1)
    target = rec.start(tmp_path / "run.gif")
    assert rec.recording and target == tmp_path / "run.gif"
    bg = gradient_surface()
    s = scene_surface()
    sources = []
    for k in range(12):
        s.blit(bg, (0, 0))
        pygame.draw.circle(s, (255, 255, 255), (20 + 25 * k, 100), 8)
        assert rec.add_frame(s)
        sources.append(pygame.surfarray.array3d(s).transpose(1, 0, 2).astype(int))
    path = rec.stop()
    assert path == target and not rec.recording and rec.frames == 12
    with Image.open(path) as im:
        assert im.format == "GIF" and im.size == (320, 200) and im.n_frames == 12
        assert im.info.get("loop") == 0
    # every decoded frame (composed from changed boxes) is the source frame up to the palette:
    # 256 colours of this busy gradient cost ~8 levels on average; a garbled frame costs ~50
    for k, (got, want) in enumerate(zip(gif_frames(path), sources)):
        got = np.asarray(got).astype(int)
        assert np.abs(got - want).mean() < 12
        assert (got[100, 20 + 25 * k] > 220).all()  # the ball is where it was drawn
        if k:
            assert (np.abs(got[100, 20 + 25 * (k - 1)] - want[100, 20 + 25 * (k - 1)]) < 40).all()
    assert sorted(os.listdir(tmp_path)) == ["run.gif"]


def test_frame_skip_and_duration_follow_the_nominal_60_hz(tmp_path):
    rec = Recorder(folder=tmp_path)  # default: every 2nd frame, 30 fps
    assert rec.every == 2 and rec.fps == 30 and abs(rec.frame_ms - 100 / 3) < 1e-9
    rec.start(tmp_path / "a.gif")
    s = scene_surface()
    kept = 0
    for k in range(30):  # half a second at 60 Hz
        draw_ball(s, k % 20)
        kept += rec.add_frame(s)
    path = rec.stop()
    assert kept == 15
    durations = []
    with Image.open(path) as im:
        assert im.n_frames == 15
        for f in ImageSequence.Iterator(im):
            durations.append(f.info["duration"])
    assert sum(durations) == 500  # exactly the nominal time, in GIF's 10 ms ticks
    assert set(durations) <= {30, 40}


def test_large_windows_are_downscaled_to_640_wide(tmp_path):
    rec = Recorder(folder=tmp_path, every=1)
    rec.start(tmp_path / "big.gif")
    s = scene_surface((1280, 720))
    for k in range(3):
        draw_ball(s, k)
        rec.add_frame(s)
    with Image.open(rec.stop()) as im:
        assert im.size == (640, 360) and im.n_frames == 3


def test_unchanged_frames_cost_almost_nothing(tmp_path):
    s = scene_surface((640, 400))
    pygame.draw.circle(s, (200, 100, 0), (300, 200), 100)
    sizes = []
    for n in (1, 101):
        rec = Recorder(folder=tmp_path, every=1)
        rec.start(tmp_path / f"still{n}.gif")
        for _ in range(n):
            rec.add_frame(s)
        path = rec.stop()
        sizes.append(path.stat().st_size)
        with Image.open(path) as im:
            assert im.n_frames == n
    assert (sizes[1] - sizes[0]) / 100 < 100  # bytes per unchanged frame


def test_auto_names_never_overwrite(tmp_path):
    now = dt.datetime(2024, 5, 6, 7, 8, 9)
    p = auto_path("gif", tmp_path, now)
    assert p == tmp_path / "newton-descent-20240506-070809.gif"
    assert unique_path(p) == p
    p.write_bytes(b"old")
    assert unique_path(p) == tmp_path / "newton-descent-20240506-070809-1.gif"
    (tmp_path / "newton-descent-20240506-070809-1.gif").write_bytes(b"old")
    assert unique_path(p) == tmp_path / "newton-descent-20240506-070809-2.gif"


def test_recording_never_overwrites_even_a_file_made_meanwhile(tmp_path):
    (tmp_path / "run.gif").write_bytes(b"precious")
    rec = Recorder(folder=tmp_path, every=1)
    target = rec.start(tmp_path / "run.gif")
    assert target == tmp_path / "run-1.gif"
    (tmp_path / "run-1.gif").write_bytes(b"also precious")  # appears while recording
    rec.add_frame(scene_surface())
    out = rec.stop()
    assert out == tmp_path / "run-2.gif"
    assert (tmp_path / "run.gif").read_bytes() == b"precious"
    assert (tmp_path / "run-1.gif").read_bytes() == b"also precious"
    assert sorted(os.listdir(tmp_path)) == ["run-1.gif", "run-2.gif", "run.gif"]


def test_auto_named_recording_in_folder(tmp_path):
    rec = Recorder(folder=tmp_path)
    rec.start()
    assert rec.recording
    rec.add_frame(scene_surface())
    out = rec.stop()
    assert out.parent == tmp_path and out.name.startswith("newton-descent-") and out.suffix == ".gif"
    assert "saved" in rec.message


def test_unwritable_folder_is_a_clear_error_and_leaves_nothing(tmp_path):
    rec = Recorder(folder=tmp_path / "missing")
    with pytest.raises(RecorderError, match=r"^cannot record to .*missing.*: No such file or directory$"):
        rec.start()
    assert not rec.recording
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RecorderError, match="Not a directory"):
        rec.start(blocker / "x.gif")
    assert sorted(os.listdir(tmp_path)) == ["file"]


@pytest.mark.parametrize("threaded", [True, False])
def test_failure_while_writing_stops_cleanly(threaded, tmp_path, monkeypatch):
    rec = Recorder(folder=tmp_path, every=1, threaded=threaded)
    rec.start(tmp_path / "r.gif")
    rec.add_frame(scene_surface())

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(GifStream, "frame", full)
    s = scene_surface()
    with pytest.raises(RecorderError, match=r"^recording stopped: cannot write r.gif: No space left on device$"):
        for k in range(20):  # on the encoder thread the failure shows on a later call
            draw_ball(s, k)
            rec.add_frame(s)
            time.sleep(0.005)
        rec.stop()
    assert not rec.recording and os.listdir(tmp_path) == []
    assert "No space left" in rec.message


def test_failure_at_stop_leaves_no_temp(tmp_path, monkeypatch):
    rec = Recorder(folder=tmp_path, every=1)
    rec.start(tmp_path / "r.gif")
    rec.add_frame(scene_surface())
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "Input/output error")))
    with pytest.raises(RecorderError, match=r"^cannot save r.gif: Input/output error$"):
        rec.stop()
    assert not rec.recording and os.listdir(tmp_path) == []


def test_stop_with_no_frames_and_cancel(tmp_path):
    rec = Recorder(folder=tmp_path)
    rec.start(tmp_path / "e.gif")
    with pytest.raises(RecorderError, match="no frames"):
        rec.stop()
    rec.start(tmp_path / "c.gif")
    rec.add_frame(scene_surface())
    rec.cancel()
    assert not rec.recording and os.listdir(tmp_path) == []


def test_length_cap_stops_and_saves(tmp_path):
    rec = Recorder(folder=tmp_path, every=2, max_seconds=0.2)  # 6 frames at 30 fps
    rec.start(tmp_path / "cap.gif")
    s = scene_surface()
    for k in range(40):
        draw_ball(s, k % 20)
        rec.add_frame(s)
    assert not rec.recording and "cap" in rec.message
    with Image.open(tmp_path / "cap.gif") as im:
        assert im.n_frames == 6


def test_mp4_without_imageio_falls_back_to_gif_and_says_so_once(tmp_path, monkeypatch):
    monkeypatch.setattr("render.files.recorder.mp4_available", lambda: False)
    monkeypatch.setattr(Recorder, "_mp4_warned", False)
    rec = Recorder(folder=tmp_path, every=1)
    assert rec.start(tmp_path / "v.mp4") == tmp_path / "v.gif"
    assert rec.message == MP4_MISSING
    rec.add_frame(scene_surface())
    rec.stop()
    rec.start(tmp_path / "w.mp4")
    assert "imageio" not in rec.message
    rec.cancel()


def test_bad_suffix_is_refused(tmp_path):
    with pytest.raises(RecorderError, match="use a .gif or .mp4 name"):
        Recorder(folder=tmp_path).start(tmp_path / "x.avi")


def test_screenshot_is_atomic_and_never_overwrites(tmp_path):
    s = scene_surface()
    a = save_screenshot(s, folder=tmp_path)
    assert a.suffix == ".png" and a.name.startswith("newton-descent-")
    b = save_screenshot(s, tmp_path / "shot.png")
    c = save_screenshot(s, tmp_path / "shot.png")
    assert (b.name, c.name) == ("shot.png", "shot-1.png")
    with Image.open(c) as im:
        assert im.size == (320, 200)
    assert len(os.listdir(tmp_path)) == 3
    with pytest.raises(RecorderError, match=r"^cannot save screenshot x.png: No such file"):
        save_screenshot(s, tmp_path / "missing" / "x.png")


@pytest.mark.skipif(not mp4_available(), reason="MP4 needs imageio-ffmpeg (optional)")
def test_mp4_when_imageio_ffmpeg_is_installed(tmp_path):
    import imageio.v2 as iio

    rec = Recorder(folder=tmp_path, every=2)
    assert rec.start(tmp_path / "v.mp4") == tmp_path / "v.mp4"
    s = scene_surface((655, 401))  # odd sizes: H.264 needs even ones
    for k in range(20):
        draw_ball(s, k)
        rec.add_frame(s)
    path = rec.stop()
    reader = iio.get_reader(str(path))
    try:
        assert reader.count_frames() == 10 and reader.get_meta_data()["fps"] == 30
        assert reader.get_data(0).shape == (392, 640, 3)
    finally:
        reader.close()
    assert sorted(os.listdir(tmp_path)) == ["v.mp4"]


def gif_durations(path) -> list[int]:
    """Each frame's display time in milliseconds, as the GIF file says."""
    with Image.open(path) as im:
        out = []
        for k in range(im.n_frames):
            im.seek(k)
            out.append(im.info["duration"])
        return out


@pytest.mark.parametrize("frame_seconds, every_nth, ms", [
    (1 / 20, 1, 50),  # a slow window (20 fps): every frame kept, each shown 50 ms
    (1 / 100, 3, 30),  # a fast one (100 fps): every 3rd frame, 30 ms apart
    (1 / 60, 2, None),  # the nominal 60 Hz: every 2nd frame, 33 or 34 ms (1/30 s on average)
])
@pytest.mark.parametrize("threaded", [False, True])
def test_window_gif_plays_at_the_speed_the_window_ran(tmp_path, frame_seconds, every_nth, ms, threaded):
    rec = Recorder(folder=tmp_path, threaded=threaded)
    rec.start(tmp_path / "w.gif")
    s = scene_surface()
    calls = 60
    kept = []
    for k in range(calls):
        draw_ball(s, k % 20)
        kept.append(rec.add_frame(s, frame_seconds))
    assert [i for i, kk in enumerate(kept) if kk] == list(range(0, calls, every_nth))
    path = rec.stop()
    d = gif_durations(path)
    assert len(d) == len(range(0, calls, every_nth))
    if ms is not None:
        assert d == [ms] * len(d)
    else:
        assert set(d) <= {30, 40} or set(d) <= {33, 34} or set(d) <= {30, 40, 33, 34}
    # the whole GIF lasts as long as the window ran (the last frame as long as the one before)
    real = len(d) * every_nth * frame_seconds * 1000
    assert abs(sum(d) - real) <= 20, (sum(d), real)


def test_window_gif_follows_uneven_frames_and_clamps_a_stall(tmp_path):
    rec = Recorder(folder=tmp_path, threaded=False)
    rec.start(tmp_path / "u.gif")
    s = scene_surface()
    times = [0.016, 0.05, 0.016, 0.016, 5.0, 0.04, 0.01, 0.01, 0.02]
    kept = []
    for k, t in enumerate(times):
        draw_ball(s, k)
        kept.append(rec.add_frame(s, t))
    # kept: the first; then once >= 25 ms has gathered since the last kept one
    assert kept == [True, True, False, True, True, True, False, False, True]
    path = rec.stop()
    # each frame shows until the next kept one: 50, 32, 250 (a 5 s stall counts as 0.25 s,
    # as it does for the simulation clock), 40, 40, and the last one as long as the one before
    assert gif_durations(path) == [50, 30, 250, 40, 40, 40]
    assert abs(rec.seconds - (0.05 + 0.032 + 0.25 + 0.04 + 0.04)) < 1e-9


def test_window_recording_stops_at_the_time_cap(tmp_path):
    rec = Recorder(folder=tmp_path, max_seconds=1.0, threaded=False)
    rec.start(tmp_path / "cap.gif")
    s = scene_surface()
    n = 0
    while rec.recording and n < 1000:
        draw_ball(s, n % 20)
        rec.add_frame(s, 0.1)  # 10 fps: 1 s is 10 intervals, 11 frames
        n += 1
    assert not rec.recording and rec.frames == 11
    assert "1 s cap" in rec.message and sum(gif_durations(rec.path)) == 1100


@pytest.mark.skipif(not mp4_available(), reason="MP4 needs imageio-ffmpeg (optional)")
def test_window_mp4_from_a_slow_window_lasts_as_long_as_it_ran(tmp_path):
    import imageio.v2 as iio

    rec = Recorder(folder=tmp_path)
    rec.start(tmp_path / "slow.mp4")
    s = scene_surface((320, 200))
    for k in range(11):  # 10 fps for 1 s: 11 frames, 10 intervals
        draw_ball(s, k)
        rec.add_frame(s, 0.1)
    path = rec.stop()
    reader = iio.get_reader(str(path))
    try:  # 30 fps video: 1 s is 30 slots after the first frame
        assert reader.count_frames() == 31
    finally:
        reader.close()
