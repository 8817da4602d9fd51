"""The model: scaling laws, traits, tasks and batteries, reaction times, psychometrics.

Pure functions over NumPy arrays with Numba kernels; they take the typed parameters of
`brainsim.model.params` and import numpy, numba and scipy only (no Hydra, no OmegaConf: a
test enforces it).
"""

__all__ = ["params", "population", "psychometrics", "reaction_time", "scaling", "tasks"]
