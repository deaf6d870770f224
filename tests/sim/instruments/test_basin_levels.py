"""sim.instruments.basin_levels: screen-resolution basins, coarse to fine, against one plain BasinJob."""
import numpy as np
import pytest

from sim.instruments import basin_levels as BL
from sim.instruments.basins import BasinJob, DIVERGED, MOVING
from sim.rules.dynamics import Rule
from sim.data.catalog import get_potential


@pytest.mark.parametrize("gx,gy", [(64, 40), (37, 23), (5, 3), (1, 1)])
def test_tiles_cover_every_start_once(gx, gy):
    seen = np.zeros((gx, gy), dtype=int)
    tiles = BL.level_tiles(gx, gy, BL.coarse_stride(gx, gy, 4), tile_points=50)
    for t in tiles:
        assert t.size <= max(50, t.nj)
        seen[t.i0:t.i0 + t.step * t.ni:t.step, t.j0:t.j0 + t.step * t.nj:t.step] += 1
    assert (seen == 1).all()
    blocks = [t.block for t in tiles]
    assert blocks == sorted(blocks, reverse=True)  # coarse first


@pytest.mark.parametrize("rule", [Rule("gd", lr=0.005), Rule("newton", friction=2.0, dt=0.02)])
def test_same_labels_as_one_basin_job(rule):
    pot = get_potential("himmelblau")
    view, grid = (-5.0, 5.0, -5.0, 5.0), (48, 32)
    ref = BasinJob(pot, rule, view, grid=grid, max_ticks=3000)
    ref.advance(3000)
    fine = BL.FineBasinJob(pot, rule, view, grid, max_ticks=3000, tile_points=300, coarse_side=4)
    assert len(fine.tiles) > 6
    fine.advance(fine.max_ticks_total)
    assert fine.done and fine.progress == 1.0 and fine.level_stride == 1
    np.testing.assert_allclose(fine.centers[:4], ref.centers[:4])
    agree = (fine.labels == ref.labels).mean()
    assert agree >= 0.999, agree


def test_coarse_first_then_sharper():
    pot = get_potential("himmelblau")
    job = BL.FineBasinJob(pot, Rule("gd", lr=0.005), (-5, 5, -5, 5), (64, 64), tile_points=10_000,
                          coarse_side=8)
    assert job.tiles[0].block == 8
    while job.tiles_done == 0:
        job.advance(10)  # a few ticks at a time: stops right after the coarse level's one tile
    assert job.tiles_done == 1 and not job.done
    lab = job.labels
    assert (lab >= 0).all()  # the whole map is coloured already
    blocks = lab.reshape(8, 8, 8, 8)  # 8 x 8 blocks, each the label of its corner start
    assert (blocks == blocks[:, :1, :, :1]).all()
    assert 0 < job.progress < 1
    while job.running:
        job.advance(500, max_seconds=0.01)
    assert len(np.unique(job.labels)) == 4


def test_discovered_clusters_keep_one_label_across_tiles():
    """A landscape with no listed minima: tiles find the same two wells and share labels."""
    pot = get_potential("double_well")
    pot_nolist = type(pot)(name="dw", formula=pot.formula, view=pot.view)
    rule = Rule("gd", lr=0.01)
    job = BL.FineBasinJob(pot_nolist, rule, pot.view, (40, 24), tile_points=100, coarse_side=3)
    job.advance(job.max_ticks_total)
    assert job.done
    used = np.unique(job.labels[job.labels >= 0])
    assert len(job.centers) == len(used) == 2
    ref = BasinJob(pot_nolist, rule, pot.view, grid=(40, 24))
    ref.advance(ref.max_ticks)
    # same partition (labels may be numbered differently)
    pairs = {(a, b) for a, b in zip(job.labels.ravel().tolist(), ref.labels.ravel().tolist())}
    assert len(pairs) == 2


def test_cancel_and_interface():
    job = BL.FineBasinJob(get_potential("bowl"), Rule("gd", lr=0.1), (-2, 2, -2, 2), (20, 20))
    assert job.running and job.grid == (20, 20) and job.view == (-2.0, 2.0, -2.0, 2.0)
    job.advance(3)
    job.cancel()
    t = job.ticks
    job.advance(1000)
    assert job.ticks == t and not job.running
    with pytest.raises(ValueError):
        BL.FineBasinJob(get_potential("bowl"), Rule("gd"), (-1, 1, -1, 1), (0, 3))


@pytest.mark.parametrize("name", ["himmelblau", "gaussian_wells", "double_well"])
def test_energy_traps_change_no_label(name):
    """Damped Newton: labelling a ball once its energy traps it near a minimum gives the same
    map as letting it ring down to the settle test (a plain BasinJob)."""
    pot = get_potential(name)
    rule = Rule("newton", dt=0.01, friction=0.5)
    grid = (36, 24)
    ref = BasinJob(pot, rule, pot.view, grid=grid, max_ticks=6000)
    ref.advance(6000)
    fine = BL.FineBasinJob(pot, rule, pot.view, grid, max_ticks=6000)
    assert fine.traps is not None and (fine.traps.radii > 0).all()
    fine.advance(fine.max_ticks_total)
    assert (fine.labels == ref.labels).mean() >= 0.998
    assert fine.ticks < ref.ticks * len(fine.tiles)  # and tiles finish sooner


def test_energy_traps_hold_what_they_promise():
    """A ball the trap claims (inside the disk, energy below the rim) run on: it never leaves
    the disk and ends at that minimum."""
    from sim.rules.dynamics import State, step

    pot = get_potential("himmelblau")
    traps = BL.energy_traps(pot, 1.0, pot.view)
    rng = np.random.default_rng(1)
    c, r = traps.centers[1], traps.radii[1]
    ang = rng.uniform(0, 2 * np.pi, 400)
    rad = r * np.sqrt(rng.uniform(0, 1, 400))
    pos = c + np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])
    vel = rng.normal(size=(400, 2)) * 3.0
    keep = traps(pos, vel) == 1
    assert keep.sum() > 20
    n = int(keep.sum())
    z = lambda: np.zeros((n, 2))  # noqa: E731
    s = State(pos[keep].copy(), vel[keep].copy(), z(), z(), z(), np.zeros(n, dtype=np.int64),
              np.zeros(n), z(), z(), False)
    rule = Rule("newton", dt=0.01, friction=0.5)
    worst = 0.0
    for _ in range(3000):
        s.grad_valid = step(rule, s, pot, rng)
        worst = max(worst, float(np.hypot(*(s.pos - c).T).max()))
    assert worst < r
    assert np.hypot(*(s.pos - c).T).max() < 1e-3
    assert traps(pos, vel * 100)[keep].max() == -1  # too much energy: not claimed


@pytest.mark.parametrize("name", ["himmelblau", "double_well"])
def test_gd_traps_only_label_balls_that_would_get_there(name):
    """gd at a small step: where a plain BasinJob settles, the trapped labels agree exactly;
    the traps also label balls the plain job leaves still crawling at max_ticks."""
    pot = get_potential(name)
    rule = Rule("gd", lr=0.0005)
    grid = (30, 20)
    ref = BasinJob(pot, rule, pot.view, grid=grid, max_ticks=1500)
    ref.advance(1500)
    fine = BL.FineBasinJob(pot, rule, pot.view, grid, max_ticks=1500)
    assert (fine.traps.radii > 0).all() and (0.0005 * fine.traps.lam_hi < 2).all()
    fine.advance(fine.max_ticks_total)
    settled = ref.labels >= 0
    assert (fine.labels[settled] == ref.labels[settled]).all()
    assert (fine.labels == MOVING).sum() <= (ref.labels == MOVING).sum()


def test_gd_traps_off_where_the_step_is_too_long():
    pot = get_potential("himmelblau")
    traps = BL.energy_traps(pot, 1.0, pot.view)
    assert (traps.for_gd(1e-4).radii == traps.radii).all()
    big = 2.5 / traps.lam_hi.min()
    assert (traps.for_gd(big).radii == 0).any()


def test_label_counts_against_the_labels():
    pot = get_potential("himmelblau")
    job = BL.FineBasinJob(pot, Rule("gd", lr=0.005), pot.view, (40, 30), coarse_side=4)
    assert job.label_counts() == (1200, 0, 0, 1200)
    job.advance(job.max_ticks_total)
    lab = job.labels
    assert job.label_counts() == (1200, len(np.unique(lab[lab >= 0])),
                                  int((lab == DIVERGED).sum()), int((lab == MOVING).sum()))
    assert job.label_counts()[1] == 4


def test_adagrad_traps_hold_what_they_promise():
    """AdaGrad balls the traps claim (in the disk, V below the capture energy, lr_eff x the
    disk's curvature < 2), run on by the real rule: none leaves the disk; all end at its minimum.
    Their sums are drawn small, so many balls take long steps and some are refused."""
    from sim.rules.dynamics import State, step

    pot = get_potential("himmelblau")
    rule = Rule("adagrad", lr=0.05)
    traps = BL.AdaGradTraps(BL.energy_traps(pot, 1.0, pot.view), rule.lr, rule.eps_value)
    rng = np.random.default_rng(2)
    c, r = traps.traps.centers[0], traps.traps.radii[0]
    ang = rng.uniform(0, 2 * np.pi, 600)
    rad = r * np.sqrt(rng.uniform(0, 1, 600))
    pos = c + np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])
    sums = 10.0 ** rng.uniform(-1, 3, (600, 2))
    got = traps(pos, np.zeros_like(pos), sums)
    keep = got == 0
    assert 20 < keep.sum() < 600  # some claimed, some refused (step too long for the disk)
    lam = traps.traps.lam_hi[0]
    d_max = rule.lr / (np.sqrt(sums.min(axis=1)) + rule.eps_value)
    assert (d_max[keep] * lam < 2).all()
    n = int(keep.sum())
    z = lambda: np.zeros((n, 2))  # noqa: E731
    s = State(pos[keep].copy(), z(), z(), z(), sums[keep].copy(), np.zeros(n, dtype=np.int64),
              np.zeros(n), z(), z(), False)
    worst = 0.0
    for _ in range(4000):
        s.grad_valid = step(rule, s, pot, rng)
        worst = max(worst, float(np.hypot(*(s.pos - c).T).max()))
    assert worst < r
    assert np.hypot(*(s.pos - c).T).max() < 0.05  # on its way in (AdaGrad crawls), never out


def test_adagrad_basins_agree_with_a_long_plain_run_and_leave_fewer_moving():
    pot = get_potential("himmelblau")
    rule = Rule("adagrad", lr=0.02)
    grid = (24, 16)
    ref = BasinJob(pot, rule, pot.view, grid=grid, max_ticks=20000)
    ref.advance(20000)
    fine = BL.FineBasinJob(pot, rule, pot.view, grid)
    assert isinstance(fine.traps, BL.AdaGradTraps)
    fine.advance(fine.max_ticks_total)
    both = (ref.labels >= 0) & (fine.labels >= 0)
    assert both.sum() > 0.3 * both.size
    assert (fine.labels[both] == ref.labels[both]).all()
    plain = BasinJob(pot, rule, pot.view, grid=grid, max_ticks=fine.max_ticks)
    plain.advance(fine.max_ticks)
    assert (fine.labels == MOVING).sum() < 0.5 * (plain.labels == MOVING).sum()
