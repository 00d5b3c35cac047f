"""Gap junctions: electrical synapses between cells of one conductance-cell population.

``I_i = sum_j g_ij (V_i - V_j)`` with g symmetric (µS), an outward current:
it pulls coupled cells' potentials together and sums to zero over the
population. The step evaluates it inside every stage from the stage's own
state (``integrators.conductance_step``), so no waveform relaxation is
needed.
"""

import numpy as np

from .. import validation as val


class GapJunctions:
    """Symmetric electrical coupling between pairs of cells of one population.

    Parameters
    ----------
    population : ConductancePopulation
    pairs : array of shape (k, 2)
        Local indices (i, j) of the coupled cells; each pair couples both
        ways with one conductance. A pair listed twice couples twice as
        strongly (as two junctions); a cell paired with itself carries no
        current and is dropped.
    weight : float or array of shape (k,)
        Conductance of each junction, µS (NEST's gap-junction example: 0.3e-3 to 0.7e-3).
    """

    def __init__(self, population, pairs, weight):
        owner = "gap_junctions"
        pairs = np.asarray(pairs)
        if pairs.ndim != 2 or pairs.shape[1] != 2 or not np.issubdtype(pairs.dtype, np.integer):
            raise val.ParameterError(
                f"{owner}: pairs must be an integer array of shape (k, 2); got shape "
                f"{pairs.shape}, dtype {pairs.dtype}")
        if pairs.size and (pairs.min() < 0 or pairs.max() >= population.n):
            raise val.ParameterError(
                f"{owner}: pairs hold indices in [{pairs.min()}, {pairs.max()}]; population "
                f"{population.name!r} has cells 0 ... {population.n - 1}")
        weights = val.finite_array("weight", weight, owner=owner, low=0.0)
        if weights.ndim == 0:
            weights = np.full(len(pairs), float(weights))
        elif weights.shape != (len(pairs),):
            raise val.ParameterError(
                f"{owner}: weight has shape {weights.shape}; expected a scalar or "
                f"({len(pairs)},)")
        keep = pairs[:, 0] != pairs[:, 1]
        self.population = population
        self.pairs = pairs[keep].astype(np.int64)
        self.weights = weights[keep]
        self.n_self_pairs = int((~keep).sum())

    def matrix(self):
        """The symmetric coupling matrix g (n, n) as scipy.sparse CSR, µS."""
        import scipy.sparse as sp

        n = self.population.n
        i, j = self.pairs[:, 0], self.pairs[:, 1]
        rows = np.concatenate((i, j))
        cols = np.concatenate((j, i))
        vals = np.concatenate((self.weights, self.weights))
        return sp.csr_matrix((vals, (rows, cols)), shape=(n, n))

    def scale(self, factor):
        """Multiply every junction's conductance by factor (before the first run)."""
        self.weights = self.weights * val.non_negative("factor", factor, owner="GapJunctions")

    def __repr__(self):
        return (f"GapJunctions({self.population.name!r}, {len(self.pairs)} pairs, "
                f"{self.weights.mean() if len(self.weights) else 0.0:.3g} µS mean)")


def random_pairs(n, n_pairs, rng):
    """n_pairs pairs of cells drawn uniformly with replacement, as NEST's gap example does."""
    return rng.integers(0, n, size=(int(n_pairs), 2))
