"""The control panel's "data" toggle is lit only where a data pane is shown: on a data
landscape with the pane on, never on a landscape made of no data."""
import pytest

from render.app.app import App
from render.input.keys import Cmd
from sim.rules.dynamics import Rule
from sim.data.catalog import get_potential
from sim.core.world import World
from tests.support.apps import frame_at

pytestmark = pytest.mark.usefixtures("display")  # tests/conftest.py
SIZE = (1280, 800)
frame = frame_at(SIZE)


def data_button(app):
    frame(app)
    (w,) = [w for w in app.controls.widgets if w.kind == "button" and w.action == (Cmd.INSTRUMENT, "data")]
    return w


@pytest.mark.parametrize("name,lit", [("bowl", False), ("rosenbrock", False), ("linreg", True), ("logreg", True)])
def test_the_data_toggle_is_lit_only_with_data(name, lit):
    app = App(World(get_potential(name), Rule("gd", lr=1e-4)), SIZE, headless=True)
    app.apply_instruments({"controls": True})
    assert data_button(app).lit is lit
    assert ("data" in app.instruments.rects) is lit  # the pane is there exactly when lit
