"""Landscapes made from data: a ball is a model with two parameters, the map its loss.

`sets` reads and makes data sets, `models` holds linreg and logreg, `mlp` the tanh network on
a plane, `minibatch` the per-ball minibatches and SGD's noise temperature.
"""
from __future__ import annotations

from sim.data.base import L2_DEFAULT, DataPotential
from sim.data.mlp import MLPPlane
from sim.data.models import LinReg, LogReg
from sim.data.sets import Dataset

DATA_LANDSCAPES = ("linreg", "logreg", "mlp")
DEFAULT_DATA = {"linreg": "line", "logreg": "blobs", "mlp": "moons"}

__all__ = ["DATA_LANDSCAPES", "DEFAULT_DATA", "make_landscape"]


def make_landscape(name: str, data: Dataset | None = None, l2: float = L2_DEFAULT,
                   plane: str = "random", train_seed: int = 0) -> DataPotential:
    """A data landscape by name on `data` (default: its built-in set). ValueError (one line) when
    the data do not fit the model or a parameter is bad."""
    if name == "linreg":
        return LinReg(data)
    if name == "logreg":
        return LogReg(data, l2=l2)
    if name == "mlp":
        return MLPPlane(data, l2=l2, plane=plane, train_seed=train_seed)
    raise ValueError(f"'{name}' is not a data landscape; choose one of: {', '.join(DATA_LANDSCAPES)}")
