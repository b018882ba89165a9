"""The joint audit's warm-started programmes give the bounds ``linprog`` gives, cell after cell."""

from __future__ import annotations

import numpy as np
import pytest
import scipy
from scipy.sparse import csr_matrix

from orchestration.core.opendata import joint_audit


def test_the_warm_path_is_the_one_checked_with_this_scipy() -> None:
    """scipy's HiGHS bindings are not public: an upgrade must be checked again (then bump the pin)."""
    assert scipy.__version__ == joint_audit.WARM_CHECKED_WITH
    assert joint_audit._WARM


def _attacker(seed: int) -> tuple[csr_matrix, np.ndarray, csr_matrix, np.ndarray, int]:
    """A random attacker's programme shaped like a block's: published sums of atoms, masked cells >= 1."""
    rng = np.random.default_rng(seed)
    atoms, cells = int(rng.integers(6, 30)), int(rng.integers(4, 24))
    incidence = (rng.random((cells, atoms)) < 0.25).astype("float64")
    truth = rng.integers(0, 6, atoms).astype("float64")
    published = rng.random(cells) < 0.6
    masked = ~published & (incidence @ truth > 0)
    a_eq, b_eq = csr_matrix(incidence[published]), incidence[published] @ truth
    a_ub, b_ub = csr_matrix(-incidence[masked]), -np.ones(int(masked.sum()))
    return a_eq, b_eq, a_ub, b_ub, atoms


@pytest.mark.parametrize("seed", range(40))
def test_every_bound_equals_linprogs_including_unbounded_ones(seed: int) -> None:
    a_eq, b_eq, a_ub, b_ub, atoms = _attacker(seed)
    programme = joint_audit._Programme(a_eq, b_eq, a_ub, b_ub)
    assert programme.model is not None
    rng = np.random.default_rng(1000 + seed)
    for _ in range(12):
        cell = (rng.random(atoms) < 0.3).astype("float64")
        for objective in (cell, -cell):  # a cell's minimum, then its maximum, as _block_intervals asks
            points: list[np.ndarray] = []
            warm = programme.minimum(objective, points)
            cold = joint_audit._solve(objective, a_eq, b_eq, a_ub, b_ub)
            if cold is None:
                assert warm is None
                continue
            assert warm is not None and warm == pytest.approx(cold, abs=1e-7)
            # The optimum kept for certification is a feasible point of the programme.
            x = points[-1]
            assert (x >= -1e-9).all()
            assert np.allclose(a_eq @ x, b_eq, atol=1e-7)
            assert (a_ub @ x <= b_ub + 1e-7).all()


def test_inconsistent_constraints_are_refused_as_before() -> None:
    """One atom published as 2 and as 3: ``linprog`` decides, and the audit refuses."""
    a_eq, b_eq = csr_matrix(np.array([[1.0], [1.0]])), np.array([2.0, 3.0])
    a_ub, b_ub = csr_matrix((0, 1)), np.zeros(0)
    programme = joint_audit._Programme(a_eq, b_eq, a_ub, b_ub)
    with pytest.raises(joint_audit.DisclosureError, match="inconsistent"):
        programme.minimum(np.array([1.0]), [])
