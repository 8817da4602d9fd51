"""What explains the variance: the share of IQ variance each cause takes, cause by cause.

The essay's question answered directly. People are drawn once; each cause is then switched
off by holding its random part at a typical value (a latent z of 0, the median mutation
burden, the even data split, the wild-type architecture) in a copy of the same draws. Every other draw, and
every item's random number, stays the same (common random numbers), so differences are
exact rather than noisy. Form A's IQ is normed with the full model's norms throughout.

With Var X the variance of observed IQ and Var T that of the true-score IQ (expected score,
no item sampling):

- item sampling takes (Var X - Var T) / Var X;
- cause c takes (Var T - Var T without c) / Var X;
- the interaction remainder is 1 minus the sum (causes that act only together, or cancel).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .model import psychometrics as psy
from .engine import STREAM_CHUNKS, STREAM_RESPONSES, Setup, stream_rng, stream_key, losses
from .model.population import I_ARCH, I_BRAIN, I_DATA, I_DENSITY, I_EFFICIENCY, I_NOISE, N_FIXED, WILD_TYPE, Draws
from .model.population import draw_traits, phenotypes
from .model.tasks import respond

__all__ = ["CAUSES", "decompose", "decomposition_table", "ITEM_SAMPLING", "REMAINDER", "wide"]

ITEM_SAMPLING, REMAINDER = "item sampling", "interaction remainder"


def _brain(d: Draws) -> None:
    d.latent[:, I_BRAIN] = 0.0


def _data(d: Draws) -> None:
    d.latent[:, I_DATA] = 0.0
    d.shares[:] = 1.0 / d.shares.shape[1]


def _noise(d: Draws) -> None:
    d.latent[:, I_NOISE] = 0.0
    d.burden[:] = np.median(d.burden)  # the typical burden, not none: a cause is held, not removed


def _architecture(d: Draws) -> None:
    d.latent[:, I_ARCH] = 0.0
    d.variant[:] = WILD_TYPE


def _hyperparameters(d: Draws) -> None:
    d.latent[:, N_FIXED:] = 0.0


def _efficiency(d: Draws) -> None:
    d.latent[:, [I_DENSITY, I_EFFICIENCY]] = 0.0


# cause -> what switching it off does to a copy of the draws
CAUSES = {
    "brain size": _brain,
    "data": _data,
    "noise and mutations": _noise,
    "architecture": _architecture,
    "hyperparameters": _hyperparameters,
    "efficiency and density": _efficiency,
}


def _iq(setup: Setup, draws: Draws) -> tuple[np.ndarray, np.ndarray]:
    """Observed and true-score IQ on form A for these draws (chunk 0's item stream)."""
    model = setup.model
    phen = phenotypes(draws, model.population)
    x, _ = losses(model, phen)
    scores = respond(x, phen["noise"], setup.battery, stream_key(setup.seed, STREAM_RESPONSES), 0, expected_forms=1)
    mean, sd = setup.norms[0]
    return psy.to_iq(scores["composite"][0], mean, sd), psy.to_iq(scores["true_total"][0], mean, sd)


def decompose(setup: Setup, n: int = 20_000) -> dict[str, float]:
    """Share of observed IQ variance per cause, item sampling and the interaction remainder
    (they sum to 1), for the first `n` people of chunk 0's stream; also `iq_variance` (points^2)
    and `true_score_share` (Var T / Var X)."""
    model = setup.model
    n = int(min(n, model.population.chunk_size))
    draws = draw_traits(stream_rng(setup.seed, STREAM_CHUNKS, 0), model.population, model.battery.n_domains, n)
    observed, true = _iq(setup, draws)
    var_x, var_t = float(observed.var()), float(true.var())
    out: dict[str, float] = {}
    if var_x <= 0:
        return {**dict.fromkeys([*CAUSES, ITEM_SAMPLING, REMAINDER], float("nan")), "iq_variance": var_x,
                "true_score_share": float("nan")}
    for cause, switch_off in CAUSES.items():
        off = dataclasses.replace(draws, **{f.name: np.copy(getattr(draws, f.name)) for f in dataclasses.fields(draws)})
        switch_off(off)
        out[cause] = (var_t - float(_iq(setup, off)[1].var())) / var_x
    out[ITEM_SAMPLING] = (var_x - var_t) / var_x
    out[REMAINDER] = 1.0 - sum(out.values())
    out["iq_variance"] = var_x
    out["true_score_share"] = var_t / var_x
    return out


def wide(table: pd.DataFrame) -> pd.DataFrame:
    """Causes as rows, (at, hypothesis) as columns: the long table for reading."""
    return table.pivot_table(index="cause", columns=["at", "hypothesis"], values="share", sort=False)


def decomposition_table(results: dict[tuple[str, str], dict[str, float]]) -> pd.DataFrame:
    """A long table: hypothesis, at ('file' or 'posterior'), cause, share."""
    rows = [{"hypothesis": h, "at": at, "cause": cause, "share": share}
            for (h, at), shares in results.items() for cause, share in shares.items()
            if cause in CAUSES or cause in (ITEM_SAMPLING, REMAINDER)]
    return pd.DataFrame(rows)
