"""Hidden temp files of killed runs: a recording cut off mid-frame is recovered up to its last
complete frame; anything else a dead process left is removed; a live process's is left alone."""
import subprocess
import sys

from PIL import Image, ImageSequence

from render.files import gif  # registers the GIF recoverer, as the window's recorder does
from sim.support import files


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def three_frame_gif(path) -> bytes:
    frames = [Image.new("RGB", (32, 20), c) for c in ((200, 0, 0), (0, 200, 0), (0, 0, 200))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    return path.read_bytes()


def test_a_killed_recording_is_cut_to_its_last_complete_frame_and_published(tmp_path):
    data = three_frame_gif(tmp_path / "ref.gif")
    cut = data[: len(data) - 12]  # no trailer, the last frame cut off
    pid = dead_pid()
    stale = tmp_path / f".newton-descent-x.gif.nd{pid}-abcd1234.part.gif"
    stale.write_bytes(cut)
    junk = tmp_path / f".newton-descent-x.toml.nd{pid}-zzzz9999.part"
    junk.write_bytes(b"half a scene")
    mine = tmp_path / f".other.toml.nd{files.os.getpid()}-qqqq0000.part"
    mine.write_bytes(b"being written")
    recovered = files.clean_stale(tmp_path)
    assert recovered == [tmp_path / "newton-descent-x.gif"]
    with Image.open(recovered[0]) as im:
        colors = [f.convert("RGB").getpixel((0, 0)) for f in ImageSequence.Iterator(im)]
    assert colors == [(200, 0, 0), (0, 200, 0)]
    assert not stale.exists() and not junk.exists() and mine.exists()


def test_gif_complete_end_counts_only_whole_images(tmp_path):
    data = three_frame_gif(tmp_path / "a.gif")
    full = gif.gif_complete_end(data)
    assert full == len(data) - 1  # everything but the trailer
    assert gif.gif_complete_end(data[:20]) is None
    assert gif.gif_complete_end(b"not a gif") is None


def test_without_a_recoverer_a_partial_stream_is_left_for_one_that_has_it(tmp_path):
    """A process that knows no GIF (the simulation alone: sim/ knows no file format) leaves a
    killed recording's partial stream in place, and still removes other stale temps."""
    pid = dead_pid()
    stale = tmp_path / f".newton-descent-x.gif.nd{pid}-abcd1234.part.gif"
    stale.write_bytes(b"GIF89a...")
    junk = tmp_path / f".newton-descent-x.toml.nd{pid}-zzzz9999.part"
    junk.write_bytes(b"half a scene")
    code = ("import sys; from sim.support import files; "
            f"print(files.clean_stale({str(tmp_path)!r})); print('render' in ' '.join(sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(files.Path(files.__file__).resolve().parents[2])).stdout.split()
    assert out == ["[]", "False"]
    assert stale.exists() and not junk.exists()
