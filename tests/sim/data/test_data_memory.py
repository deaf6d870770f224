"""Memory of the start-up work on the largest data set (100,000 rows): building logreg and
its suggested step sizes (sim/tuning.py evaluates the landscape on a 24 x 24 grid) stays
bounded; the whole grid in one block of [576, 100,000] temporaries peaked at ~660 MB."""
import tracemalloc

import numpy as np

from sim.data import make_landscape
from sim.data.sets import Dataset
from sim.landscapes.tuning import suggestions

ROWS = 100_000
PEAK_MB = 120  # the data (~5 MB) and blocks of a few MB each, with room to spare


def big_blobs() -> Dataset:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, ROWS).astype(float)
    x = rng.standard_normal((ROWS, 2)) + (2 * labels[:, None] - 1) * np.array([1.0, 0.6])
    return Dataset(x, labels, "classification")


def test_logreg_start_up_on_100k_rows_stays_bounded():
    data = big_blobs()
    tracemalloc.start()
    try:
        pot = make_landscape("logreg", data)
        steps = suggestions(pot)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak / 2**20 < PEAK_MB, f"peak {peak / 2**20:.0f} MB"
    assert all(np.isfinite(steps)) and all(s > 0 for s in steps)
    # the values the blocks give are the mean cross-entropy, by hand at two points
    p = np.array([[0.3, -0.2], [2.0, 1.0]])
    z = (1.0 - 2.0 * data.y)[None, :] * (p @ data.x.T)
    want = np.mean(np.logaddexp(0.0, z), axis=1) + 0.5e-3 * (p * p).sum(axis=1)
    assert np.allclose(pot.value(p), want, rtol=1e-12)


def test_the_in_place_logistic_is_bit_for_bit_the_two_branch_formula():
    from sim.data.models import _sigmoid

    z = np.random.default_rng(1).standard_normal((9, 3000)) * 40
    z[0, :6] = [0.0, -0.0, np.inf, -np.inf, 745.0, -745.0]
    e = np.exp(-np.abs(z))
    want = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # transcribed: the formula before
    assert np.array_equal(_sigmoid(z), want)
