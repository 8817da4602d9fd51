"""Neural scaling laws L(N, D): loss in nats per token from parameters N and data D (tokens).

Two functional forms cover the published fits:

* ``chinchilla``: L = E + A / N**alpha + B / D**beta  (Hoffmann et al. 2022; Besiroglu et al. 2024)
* ``kaplan``:     L = [(Nc / N)**(alpha_n / alpha_d) + Dc / D]**alpha_d  (Kaplan et al. 2020, Table 2)

Every constant lives in ``conf/scaling/<name>.yaml`` next to its source (`brainsim.law(name)` loads one).

Extrapolation: the fits cover 1e3-1.6e10 parameters and 2e7-5e11 tokens. Brains sit at
N ~ 1e14-1e15 synapses, far outside; there Kaplan's form has no irreducible term and falls
below 1 nat, while the Chinchilla form is bounded below by E. `ScalingLaw.extrapolated`
reports whether a point lies outside a law's fitted range.

Architecture enters as a multiplier ``m`` on a law's exponents (m = 1 is the published law).
All arithmetic is done in log space so that huge N and D neither overflow nor underflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numba import njit, prange

__all__ = ["FORMS", "MIN_COUNT", "person_losses", "ScalingLaw"]


FORMS = ("chinchilla", "kaplan")
_PARAMS = {"chinchilla": ("E", "A", "B", "alpha", "beta"), "kaplan": ("Nc", "Dc", "alpha_n", "alpha_d")}


# N and D below one parameter / token are read as one: the laws' power terms diverge at 0
# (a domain starved of data by an extreme diet gets B nats, not infinity)
MIN_COUNT = 1.0


def _log_counts(n, d) -> tuple[np.ndarray, np.ndarray]:
    return (np.log(np.maximum(np.asarray(n, float), MIN_COUNT)),
            np.log(np.maximum(np.asarray(d, float), MIN_COUNT)))


@dataclass(frozen=True)
class ScalingLaw:
    """A scaling law with its constants; loss in nats/token, N in parameters, D in tokens."""

    name: str
    form: str
    params: dict[str, float]
    source: str
    fitted_n: tuple[float, float] = (0.0, np.inf)
    fitted_d: tuple[float, float] = (0.0, np.inf)
    notes: str = field(default="", compare=False)

    @property
    def irreducible(self) -> float:
        """Irreducible loss E (nats/token); 0 for Kaplan's form, which has none."""
        return self.params["E"] if self.form == "chinchilla" else 0.0

    def loss(self, n, d, m=1.0) -> np.ndarray:
        """Loss L(N, D) in nats/token, broadcast over arrays; `m` scales the exponents."""
        log_n, log_d = _log_counts(n, d)
        m = np.asarray(m, float)
        p = self.params
        if self.form == "chinchilla":
            return p["E"] + np.exp(np.log(p["A"]) - p["alpha"] * m * log_n) + np.exp(
                np.log(p["B"]) - p["beta"] * m * log_d
            )
        ratio = p["alpha_n"] / p["alpha_d"]
        inner = np.logaddexp(ratio * (np.log(p["Nc"]) - log_n), np.log(p["Dc"]) - log_d)
        return np.exp(p["alpha_d"] * m * inner)

    def reducible(self, n, d, m=1.0) -> np.ndarray:
        """Reducible loss L - E in nats/token, computed without cancellation."""
        if self.form == "kaplan":
            return self.loss(n, d, m)
        p = self.params
        log_n, log_d = _log_counts(n, d)
        m = np.asarray(m, float)
        return np.exp(np.logaddexp(np.log(p["A"]) - p["alpha"] * m * log_n, np.log(p["B"]) - p["beta"] * m * log_d))

    def iso_loss_n(self, loss, d) -> np.ndarray:
        """Parameters N that reach `loss` with data `d` (the iso-loss curve N(D)); NaN where unreachable."""
        loss, d = np.broadcast_arrays(np.asarray(loss, float), np.asarray(d, float))
        p = self.params
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.form == "chinchilla":
                rest = loss - p["E"] - p["B"] * d ** (-p["beta"])
                n = (p["A"] / rest) ** (1.0 / p["alpha"])
            else:
                rest = loss ** (1.0 / p["alpha_d"]) - p["Dc"] / d
                n = p["Nc"] / rest ** (p["alpha_d"] / p["alpha_n"])
        return np.where(rest > 0, n, np.nan)

    def compute_optimal(self, compute) -> tuple[np.ndarray, np.ndarray]:
        """Loss-minimising (N, D) for a compute budget C = 6 N D (FLOPs), exact for this form.

        Chinchilla form: Hoffmann et al. 2022, eq. 4. Kaplan form: the minimum of the joint
        L(N, D) along D = C / (6N), which differs from Kaplan's own L(N, S_min) allocation.
        """
        c6 = np.asarray(compute, float) / 6.0
        p = self.params
        if self.form == "chinchilla":
            a, b = p["alpha"], p["beta"]
            g = (a * p["A"] / (b * p["B"])) ** (1.0 / (a + b))
            n = g * c6 ** (b / (a + b))
        else:
            r = p["alpha_n"] / p["alpha_d"]
            n = (r * p["Nc"] ** r * c6 / p["Dc"]) ** (1.0 / (r + 1.0))
        return n, c6 / n

    def extrapolated(self, n, d) -> np.ndarray:
        """True where (N, D) lies outside the range the law was fitted on."""
        n, d = np.asarray(n, float), np.asarray(d, float)
        return (n < self.fitted_n[0]) | (n > self.fitted_n[1]) | (d < self.fitted_d[0]) | (d > self.fitted_d[1])


class _LawTerms(NamedTuple):
    """A law's constants as `_person_losses` reads them (log space); the other form's are 0."""

    kaplan: bool
    log_a: float  # chinchilla: log A, log B, alpha, beta
    log_b: float
    alpha: float
    beta: float
    log_nc: float  # kaplan: log Nc, log Dc, alpha_n, alpha_d
    log_dc: float
    alpha_n: float
    alpha_d: float


def _law_terms(law: ScalingLaw) -> _LawTerms:
    p = law.params
    if law.form == "kaplan":
        return _LawTerms(True, 0.0, 0.0, 0.0, 0.0, float(np.log(p["Nc"])), float(np.log(p["Dc"])),
                         float(p["alpha_n"]), float(p["alpha_d"]))
    return _LawTerms(False, float(np.log(p["A"])), float(np.log(p["B"])), float(p["alpha"]), float(p["beta"]),
                     0.0, 0.0, 0.0, 0.0)


@njit(cache=True, nogil=True, parallel=True)
def _person_losses(law, n_params, data, m, penalty, out, out_mean):
    n, k_dom = data.shape
    for i in prange(n):
        log_n = np.log(max(n_params[i], MIN_COUNT))
        m_first = m[i, 0]
        term_n = 0.0 if law.kaplan else np.exp(law.log_a - law.alpha * m_first * log_n)  # A / N^alpha, reused
        total = 0.0
        for k in range(k_dom):
            log_d = np.log(max(data[i, k], MIN_COUNT))
            if law.kaplan:
                inner = np.logaddexp(law.alpha_n / law.alpha_d * (law.log_nc - log_n), law.log_dc - log_d)
                val = np.exp(law.alpha_d * m[i, k] * inner)
            else:
                # a sum of two positive terms: no cancellation, no need for logaddexp
                tn = term_n if m[i, k] == m_first else np.exp(law.log_a - law.alpha * m[i, k] * log_n)
                val = tn + np.exp(law.log_b - law.beta * m[i, k] * log_d)
            out[i, k] = val + penalty[i]
            total += out[i, k]
        out_mean[i] = total / k_dom


def person_losses(law: ScalingLaw, n_params, data, m, penalty) -> tuple[np.ndarray, np.ndarray]:
    """Reducible loss per person and domain plus a per-person penalty, nats/token.

    n_params : (float64, (n,)) parameters; data : (float64, (n, K)) tokens per domain
    m : (float64, (n, K)) exponent multipliers; penalty : (float64, (n,)) nats/token
    Returns (x (n, K), mean over domains (n,)); equals `law.reducible(...) + penalty`.
    """
    data = np.ascontiguousarray(data, float)
    out, out_mean = np.empty(data.shape), np.empty(data.shape[0])
    _person_losses(_law_terms(law), np.ascontiguousarray(n_params, float), data, np.ascontiguousarray(m, float),
                   np.ascontiguousarray(penalty, float), out, out_mean)
    return out, out_mean
