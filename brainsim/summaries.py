"""Summary statistics of a population, accumulated chunk by chunk and merged exactly.

A `Summary` holds sufficient statistics: counts, means and co-moment matrices (merged with
Chan et al. 1979's pairwise update, third moments with Pebay 2008's), band sums, the exact
top-k of output, and twin-pair moments. Merging in chunk order gives the same numbers as
one big chunk up to floating-point rounding, and the same bits for a fixed chunk layout
whatever the thread count or the machine the chunk ran on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from .model import psychometrics as psy
from .model.params import PATERNAL_AGES

__all__ = ["BAND_HALF_WIDTH", "CONDITIONAL", "GENETIC", "SPREAD_TAIL", "VOCABULARY", "IQ_BANDS", "missing_charges", "MOMENT_COLUMNS", "Moments", "PRODUCERS",
           "ID_IQ", "PATERNAL", "SEVERE_ID_IQ", "STATISTICS", "frame_statistics", "Summary", "TOP_FRACTIONS", "TopK"]

# Columns whose means and co-moments are kept; subtest scores follow them.
# every statistic `Summary.statistics` can return (the twin ones only for twin designs)
STATISTICS = (
    "n", "iq_mean", "iq_sd", "iq_skewness", "share_iq_below_50", "brain_volume_cv", "r_brain_iq",
    "r_brain_true_score", "r_brain_capability", "r_capability_iq", "retest_r", "pc1_share", "mean_subtest_r",
    "r_rt_iq", "rt_mean", "capability_mean", "capability_sd", "objective_spread", "output_top1_share",
    "output_top10_share", "output_top1_share_producers", "share_at_floor", "share_at_ceiling",
    "distinct_iq_values", "twin_r_mz", "twin_r_dz", "twin_r_mza", "adoptive_sibling_r", "h2_falconer", "cotwin_iq_of_iq_below_50",
    "cotwin_iq_of_iq_below_50_mz", "dz_shared_variant_fraction", "rg_brain_iq", "snp_h2", "vocabulary_log_spread",
    "iq_inbreeding_slope", "rt_inbreeding_slope", "id_paternal_age_irr",
)
# statistics computed among the people another statistic counts: undefined when there are
# none, which the counting statistic already charges (a thin tail is charged once, not twice)
CONDITIONAL = {"cotwin_iq_of_iq_below_50": "share_iq_below_50", "cotwin_iq_of_iq_below_50_mz": "share_iq_below_50"}
MOMENT_COLUMNS = ("iq", "iq_retest", "brain_volume", "true_score", "capability", "rt_mean", "output")
_IQ, _RETEST, _VOL, _TRUE, _CAP, _RT, _OUT = range(len(MOMENT_COLUMNS))
TOP_FRACTIONS = (0.01, 0.10)  # output shares of the top 1% and 10%
# Producers: the top 10% by output, the people whose work a field counts at all (O'Boyle &
# Aguinis 2012 count output only among people with a record: publications, awards, ...).
# output_top1_share_producers is the share of their output held by the top 1% of them.
PRODUCERS = 0.10
IQ_BANDS = {"high": 130.0, "low": 70.0}  # objective spread: capability at IQ 130 / IQ 70
BAND_HALF_WIDTH = 5.0  # IQ points either side of a band's centre
SEVERE_ID_IQ = 50.0  # severe intellectual disability (Reichenberg et al. 2016)
ID_IQ = 70.0  # intellectual disability (ICD-10 F70-F79: IQ below 70)
PATERNAL = tuple(f"iq_father_{age:.0f}" for age in PATERNAL_AGES)  # the columns of IQ had the father been 25, 45
GENETIC = "genetic_"  # prefix of the columns holding each latent trait's additive genetic part
# Objective spread on an unselected domain: ln of the 95th over the 5th percentile of the share of the
# vocabulary domain's universe a person knows (a vocabulary test samples words from a lexicon,
# not items chosen to discriminate; Brysbaert et al. 2016). The percentiles are the k-th largest
# and k-th smallest value, k = round(SPREAD_TAIL * n), kept exactly while streaming.
VOCABULARY = "capability_vocabulary"
SPREAD_TAIL = 0.05


@njit(cache=True)
def _comoments(x):
    """Means, co-moment matrix sum((x - m)(x - m)^T) and third central moment sums, serial
    (a fixed summation order: same bits on every machine and thread count)."""
    n, p = x.shape
    mean = np.zeros(p)
    for i in range(n):
        for j in range(p):
            mean[j] += x[i, j]
    mean /= max(n, 1)
    m2 = np.zeros((p, p))
    m3 = np.zeros(p)
    d = np.empty(p)
    for i in range(n):
        for j in range(p):
            d[j] = x[i, j] - mean[j]
            m3[j] += d[j] * d[j] * d[j]
        for j in range(p):
            for k in range(j, p):
                m2[j, k] += d[j] * d[k]
    for j in range(p):
        for k in range(j):
            m2[j, k] = m2[k, j]
    return mean, m2, m3


@dataclass
class Moments:
    """Count, means (p,), co-moment matrix (p, p) and third central moment sums (p,)."""

    n: int
    mean: np.ndarray
    m2: np.ndarray
    m3: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray) -> Moments:
        """Moments of the rows of x, shape (n, p)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        mean, m2, m3 = _comoments(x)
        return cls(x.shape[0], mean, m2, m3)

    def merge(self, other: Moments) -> Moments:
        """Moments of the union of both samples (Chan et al. 1979; Pebay 2008 for m3)."""
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        na, nb = float(self.n), float(other.n)
        n = na + nb
        delta = other.mean - self.mean
        mean = self.mean + delta * (nb / n)
        m2 = self.m2 + other.m2 + np.outer(delta, delta) * (na * nb / n)
        diag_a, diag_b = np.diag(self.m2), np.diag(other.m2)
        m3 = (self.m3 + other.m3 + delta**3 * na * nb * (na - nb) / n**2
              + 3.0 * delta * (na * diag_b - nb * diag_a) / n)
        return Moments(self.n + other.n, mean, m2, m3)

    def var(self) -> np.ndarray:
        """Sample variances (ddof=1); NaN below two rows."""
        return np.diag(self.m2) / (self.n - 1) if self.n > 1 else np.full(self.mean.size, np.nan)

    def corr(self, i: int, j: int) -> float:
        """Pearson r of columns i and j; NaN when either is constant."""
        denom = np.sqrt(self.m2[i, i] * self.m2[j, j])
        return float(self.m2[i, j] / denom) if denom > 0 else float("nan")

    def corr_matrix(self, cols: Sequence[int]) -> np.ndarray:
        """Pearson correlation matrix of the given columns; NaN rows for constant columns."""
        sub = self.m2[np.ix_(cols, cols)]
        sd = np.sqrt(np.diag(sub))
        with np.errstate(invalid="ignore", divide="ignore"):
            return sub / np.outer(sd, sd)


def missing_charges(statistics: Sequence[str], missing_z: float) -> np.ndarray:
    """(len(statistics),) the |z| a distance charges where a simulation cannot compute each
    statistic: `missing_z`, or 0 for a `CONDITIONAL` statistic whose counting statistic is
    among `statistics` (no cases: that one is charged already)."""
    return np.array([0.0 if CONDITIONAL.get(s) in statistics else float(missing_z) for s in statistics])


def _empty_moments(p: int) -> Moments:
    return Moments(0, np.zeros(p), np.zeros((p, p)), np.zeros(p))


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """The k largest values (unordered), all of them when there are fewer."""
    if values.size <= k:
        return values
    return np.partition(values, values.size - k)[values.size - k :]


@dataclass(frozen=True)
class TopK:
    """The `capacity` largest values seen, merged lazily: parts accumulate and are cut back
    to the top `capacity` only when they hold twice that, and values at or below `floor`
    (a proven lower bound of the top set) are dropped on arrival. Ties at the floor do not
    change any sum of the top values."""

    capacity: int
    parts: tuple[np.ndarray, ...] = ()
    floor: float = -np.inf

    @property
    def size(self) -> int:
        return sum(p.size for p in self.parts)

    def merge(self, other: TopK) -> TopK:
        floor = max(self.floor, other.floor)
        parts = self.parts + tuple(p[p > floor] for p in other.parts)
        out = TopK(self.capacity, parts, floor)
        return out._compact() if out.size > 2 * self.capacity else out

    def _compact(self) -> TopK:
        top = _top(np.concatenate(self.parts), self.capacity)
        floor = float(top.min()) if top.size == self.capacity else self.floor
        return TopK(self.capacity, (top,), max(floor, self.floor))

    def sorted(self) -> np.ndarray:
        """The top values, largest first."""
        values = np.concatenate(self.parts) if self.parts else np.empty(0)
        return np.sort(_top(values, self.capacity))[::-1]


@dataclass
class Summary:
    """Mergeable sufficient statistics of (part of) a population of `n_total` people.

    `n_total` fixes how many of the largest outputs are kept (the top 10% of the whole
    population), so tail shares are exact, not binned.
    """

    domains: tuple[str, ...]
    n_total: int
    moments: Moments
    below_50: int = 0
    bands: np.ndarray = field(default_factory=lambda: np.zeros((2, 2)))  # (high, low) x (count, capability sum)
    top_output: TopK | None = None
    twins: dict[int, Moments] = field(default_factory=dict)  # zygosity (1 MZ, 2 DZ, 3 MZA, 4 adoptive) -> pair moments
    cotwin: np.ndarray = field(default_factory=lambda: np.zeros((2, 2)))  # (MZ, DZ) x (count, IQ sum) of co-twins of IQ < 50
    dz_variants: np.ndarray = field(default_factory=lambda: np.zeros(2))  # (shared, inherited) sums in DZ twins
    composites: np.ndarray = field(default_factory=lambda: np.zeros(0))  # people per composite score (form A)
    items: int = 0  # items on form A: the composite's ceiling (0: no composite seen)
    genetic: Moments | None = None  # of (IQ, brain volume, the latent traits' genetic parts); twins only
    vocabulary: tuple[TopK, TopK] | None = None  # the largest and (negated) smallest vocabulary capabilities
    inbred: Moments | None = None  # of (IQ, mean RT) in the inbred cohort (not among the population's people)
    inbreeding: float = 0.0  # the inbred cohort's inbreeding coefficient F
    tagging: float | None = None  # share of the common-variant additive variance an array tags (with `genetic`)
    # people scored at both fathers' ages, of them with ID (IQ < 70) at 25, at 45
    paternal: np.ndarray = field(default_factory=lambda: np.zeros(3))

    @property
    def spread_capacity(self) -> int:
        return max(1, int(round(SPREAD_TAIL * self.n_total)))

    @property
    def top_capacity(self) -> int:
        return max(1, int(round(max(TOP_FRACTIONS) * self.n_total)))

    @classmethod
    def empty(cls, domains: Sequence[str], n_total: int) -> Summary:
        out = cls(tuple(domains), int(n_total), _empty_moments(len(MOMENT_COLUMNS) + len(domains)))
        out.top_output = TopK(out.top_capacity)
        return out

    @classmethod
    def of_columns(cls, cols: Mapping[str, np.ndarray], domains: Sequence[str], n_total: int, *,
                   items: int = 0, tagging: float = 1.0) -> Summary:
        """Sufficient statistics of one chunk; `cols` as from `engine.simulate_chunk`
        (zygosity coded 1 = MZ, 2 = DZ, 3 = MZ reared apart, 4 = adoptive siblings, the two
        of a family in adjacent rows). `items`: the
        battery's items per form (the composite's ceiling); 0 leaves the floor and ceiling
        statistics undefined. `tagging`: the share of the common-variant additive variance a
        genotyping array captures (snp_h2 is that share of the additive value's)."""
        names = list(MOMENT_COLUMNS) + [f"score_{d}" for d in domains]
        x = np.column_stack([np.asarray(cols[c], float) for c in names])
        out = cls(tuple(domains), int(n_total), Moments.of(x))
        iq, cap = x[:, _IQ], x[:, _CAP]
        out.below_50 = int(np.count_nonzero(iq < SEVERE_ID_IQ))
        for b, centre in enumerate(IQ_BANDS.values()):
            inside = np.abs(iq - centre) <= BAND_HALF_WIDTH
            out.bands[b] = np.count_nonzero(inside), cap[inside].sum()
        out.top_output = TopK(out.top_capacity, (_top(x[:, _OUT].copy(), out.top_capacity),))
        if items:  # form A's composite: floor, ceiling and how many distinct scores (IQs) occur
            composite = sum(np.asarray(cols[f"score_{d}"], np.int64) for d in domains)
            out.composites = np.bincount(composite, minlength=items + 1).astype(float)
            out.items = int(items)
        if VOCABULARY in cols:
            v = np.asarray(cols[VOCABULARY], float)
            k = out.spread_capacity
            out.vocabulary = TopK(k, (_top(v.copy(), k),)), TopK(k, (_top(-v, k),))
        genes = [c for c in cols if c.startswith(GENETIC)]
        if genes and "zygosity" in cols:
            out.genetic = Moments.of(np.column_stack([iq, x[:, _VOL]] + [np.asarray(cols[c], float) for c in genes]))
            out.tagging = float(tagging)
        if PATERNAL[0] in cols:
            young, old = (np.asarray(cols[c], float) for c in PATERNAL)
            scored = np.isfinite(young)
            out.paternal = np.array([scored.sum(), np.count_nonzero(young[scored] < ID_IQ),
                                     np.count_nonzero(old[scored] < ID_IQ)], float)
        if "zygosity" in cols:
            out._add_twins(iq, np.asarray(cols["family"]), np.asarray(cols["zygosity"]),
                           np.asarray(cols["shared_variants"]), np.asarray(cols["inherited_variants"]))
        return out

    @classmethod
    def of_inbred(cls, cols: Mapping[str, np.ndarray], domains: Sequence[str], n_total: int,
                  inbreeding: float) -> Summary:
        """Sufficient statistics of a chunk of the inbred cohort (people of inbreeding coefficient
        `inbreeding`): their IQ and mean RT moments, to set against the population's."""
        out = cls.empty(domains, n_total)
        out.inbred = Moments.of(np.column_stack([np.asarray(cols["iq"], float), np.asarray(cols["rt_mean"], float)]))
        out.inbreeding = float(inbreeding)
        return out

    def _add_twins(self, iq, family, zygosity, shared, inherited) -> None:
        first = psy.pair_starts(family)
        a, b = iq[first], iq[first + 1]
        for z in (1, 2, 3, 4):
            pick = zygosity[first] == z
            pairs = np.column_stack([np.concatenate([a[pick], b[pick]]), np.concatenate([b[pick], a[pick]])])
            self.twins[z] = Moments.of(pairs)  # double entry: r of the columns is the pair r
            if z <= 2:  # MZ twins share de novo mutations: severe ID is scored on DZ pairs, MZ kept apart
                co = np.concatenate([b[pick & (a < SEVERE_ID_IQ)], a[pick & (b < SEVERE_ID_IQ)]])
                self.cotwin[z - 1] = co.size, co.sum()
        dz = zygosity == 2
        self.dz_variants = np.array([shared[dz].sum(), inherited[dz].sum()], float)

    def merge(self, other: Summary) -> Summary:
        """Statistics of both parts together; merge chunks in chunk order for fixed bits."""
        if (self.domains, self.n_total) != (other.domains, other.n_total):
            raise ValueError("can only merge summaries of the same domains and population size")
        if self.inbreeding and other.inbreeding and self.inbreeding != other.inbreeding:
            raise ValueError("can only merge inbred cohorts of the same inbreeding coefficient")
        if None not in (self.tagging, other.tagging) and self.tagging != other.tagging:
            raise ValueError("can only merge genetic moments seen by the same array (tagging)")
        twins = {z: self.twins.get(z, _empty_moments(2)).merge(other.twins.get(z, _empty_moments(2)))
                 for z in sorted(set(self.twins) | set(other.twins))}
        return Summary(
            self.domains, self.n_total, self.moments.merge(other.moments), self.below_50 + other.below_50,
            self.bands + other.bands, self.top_output.merge(other.top_output),
            twins, self.cotwin + other.cotwin, self.dz_variants + other.dz_variants,
            _add_padded(self.composites, other.composites), max(self.items, other.items),
            _merge_optional(self.genetic, other.genetic),
            _merge_optional(self.vocabulary, other.vocabulary,
                            lambda a, b: tuple(x.merge(y) for x, y in zip(a, b))),
            _merge_optional(self.inbred, other.inbred),
            max(self.inbreeding, other.inbreeding),
            _merge_optional(self.tagging, other.tagging, lambda a, b: a),
            self.paternal + other.paternal,
        )

    def statistics(self) -> dict[str, float]:
        """Named statistics (the keys targets refer to); NaN where undefined."""
        m, n = self.moments, self.moments.n
        var = m.var()
        nan = float("nan")
        out: dict[str, float] = {"n": float(n), "iq_mean": float(m.mean[_IQ]) if n else nan,
                                 "iq_sd": float(np.sqrt(var[_IQ]))}
        out["iq_skewness"] = (float(np.sqrt(n) * m.m3[_IQ] / m.m2[_IQ, _IQ] ** 1.5)
                              if n > 2 and m.m2[_IQ, _IQ] > 0 else nan)
        out["share_iq_below_50"] = self.below_50 / n if n else nan
        out["brain_volume_cv"] = float(np.sqrt(var[_VOL]) / m.mean[_VOL]) if n > 1 else nan
        out["r_brain_iq"] = m.corr(_VOL, _IQ)
        out["r_brain_true_score"] = m.corr(_VOL, _TRUE)
        out["r_brain_capability"] = m.corr(_VOL, _CAP)
        out["r_capability_iq"] = m.corr(_CAP, _IQ)
        out["retest_r"] = m.corr(_IQ, _RETEST)
        corr = m.corr_matrix(range(len(MOMENT_COLUMNS), len(MOMENT_COLUMNS) + len(self.domains)))
        out["pc1_share"] = psy.pc1_share(corr)
        out["mean_subtest_r"] = psy.mean_offdiagonal(corr)
        out["r_rt_iq"] = m.corr(_RT, _IQ)
        out["rt_mean"] = float(m.mean[_RT]) if n else nan
        out["capability_mean"] = float(m.mean[_CAP]) if n else nan
        out["capability_sd"] = float(np.sqrt(var[_CAP]))
        (n_hi, cap_hi), (n_lo, cap_lo) = self.bands
        # objective spread: capability at IQ 130 over capability at IQ 70 (H2 says it is ~1)
        out["objective_spread"] = float((cap_hi / n_hi) / (cap_lo / n_lo)) if n_hi and n_lo else nan
        top = self.top_output.sorted()
        total = m.mean[_OUT] * n
        for frac in TOP_FRACTIONS:
            k = max(1, int(round(frac * n)))
            out[f"output_top{round(frac * 100)}_share"] = float(top[:k].sum() / total) if total > 0 else nan
        producers = top[: max(1, int(round(PRODUCERS * n)))]
        best = producers[: max(1, int(round(0.01 * producers.size)))]
        out["output_top1_share_producers"] = float(best.sum() / producers.sum()) if producers.sum() > 0 else nan
        counts = self.composites
        seen = counts.sum()
        out["share_at_floor"] = float(counts[0] / seen) if seen else nan
        out["share_at_ceiling"] = float(counts[self.items] / seen) if seen and counts.size > self.items else (
            0.0 if seen else nan)
        out["distinct_iq_values"] = float(np.count_nonzero(counts)) if seen else nan
        if self.twins:
            out["twin_r_mz"] = self._twin_r(1)
            out["twin_r_dz"] = self._twin_r(2)
            out["twin_r_mza"] = self._twin_r(3)
            out["adoptive_sibling_r"] = self._twin_r(4)
            out["h2_falconer"] = psy.falconer_h2(out["twin_r_mz"], out["twin_r_dz"])
            (n_mz, sum_mz), (n_dz, sum_dz) = self.cotwin
            out["cotwin_iq_of_iq_below_50"] = float(sum_dz / n_dz) if n_dz else nan
            out["cotwin_iq_of_iq_below_50_mz"] = float(sum_mz / n_mz) if n_mz else nan
            shared, inherited = self.dz_variants
            out["dz_shared_variant_fraction"] = float(shared / inherited) if inherited > 0 else nan
        out["rg_brain_iq"], out["snp_h2"] = self._common_variants()
        out["vocabulary_log_spread"] = self._vocabulary_log_spread(n)
        out["iq_inbreeding_slope"] = self._inbreeding_slope(_IQ, 0)
        out["rt_inbreeding_slope"] = self._inbreeding_slope(_RT, 1)
        _, young, old = self.paternal
        # Taylor et al. 2019's incidence rate ratio: ID (IQ < 70) among children of 45- over
        # 25-year-old fathers, here the same children at both ages
        out["id_paternal_age_irr"] = float(old / young) if young else nan
        return out

    def _inbreeding_slope(self, column: int, inbred_column: int) -> float:
        """Inbreeding depression as Yengo et al. 2017 report it: the trait's change per unit of
        inbreeding F in the population's SDs, here (inbred mean - population mean) / (SD F),
        the slope through the population (F = 0) and the cohort (F). NaN without both, and
        where an F near the smallest float makes the slope overflow."""
        m, c = self.moments, self.inbred
        if c is None or c.n == 0 or m.n < 2 or self.inbreeding <= 0.0:
            return float("nan")
        sd = float(np.sqrt(m.var()[column]))
        with np.errstate(over="ignore", divide="ignore"):
            slope = (c.mean[inbred_column] - m.mean[column]) / sd / self.inbreeding if sd > 0 else np.nan
        return float(slope) if np.isfinite(slope) else float("nan")

    def _vocabulary_log_spread(self, n: int) -> float:
        """ln(95th / 5th percentile) of vocabulary capability (NaN without that domain): on a log
        scale, so a near-zero 5th percentile gives a large number, not an astronomical one."""
        k = max(1, int(round(SPREAD_TAIL * n)))
        if self.vocabulary is None or self.vocabulary[0].size < k:
            return float("nan")
        high, low = self.vocabulary[0].sorted()[k - 1], -self.vocabulary[1].sorted()[k - 1]
        return float(np.log(high / low)) if low > 0 else float("nan")

    def _common_variants(self) -> tuple[float, float]:
        """What GWAS of common variants measure: the genetic correlation of brain volume with
        IQ (the correlation of their additive values, each the least-squares projection on the
        latent traits' genetic parts; rare inherited and de novo variants are not among them)
        and IQ's SNP heritability as GREML on an array estimates it (the share `tagging` of the
        variance that projection explains: an array tags common variants imperfectly). NaN
        without them."""
        g = self.genetic
        nan = float("nan")
        if g is None or g.n <= g.mean.size or not np.isfinite(g.m2).all():
            return nan, nan
        s = g.m2
        cov = s[:2, 2:]  # (IQ, volume) x genetic parts
        try:
            beta = np.linalg.solve(s[2:, 2:], cov.T)  # (parts, 2)
        except np.linalg.LinAlgError:
            return nan, nan
        additive = cov @ beta  # 2 x 2 co-moments of the two additive values
        rg = (float(additive[0, 1] / np.sqrt(additive[0, 0] * additive[1, 1]))
              if additive[0, 0] > 0 and additive[1, 1] > 0 else nan)
        tagged = 1.0 if self.tagging is None else self.tagging
        return rg, float(tagged * additive[0, 0] / s[0, 0]) if s[0, 0] > 0 else nan

    def _twin_r(self, zygosity: int) -> float:
        pairs = self.twins.get(zygosity)
        # the double-entry sample holds each pair twice: at least two pairs
        return pairs.corr(0, 1) if pairs is not None and pairs.n >= 4 else float("nan")


def _merge_optional(a, b, merge=lambda a, b: a.merge(b)):
    """A part only some chunks have (None elsewhere): the other when one is None, else merged."""
    return b if a is None else a if b is None else merge(a, b)


def _add_padded(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(max(a.size, b.size))
    out[: a.size] += a
    out[: b.size] += b
    return out


def frame_statistics(frame, domains: Sequence[str], *, items: int = 0, inbred=None,
                     inbreeding: float = 0.0, tagging: float = 1.0) -> dict[str, float]:
    """Statistics of a whole population frame (one chunk), with its inbred cohort's frame
    `inbred` (people of inbreeding coefficient `inbreeding`) if any, and an array tagging the
    share `tagging` of common variation (snp_h2); see `Summary.statistics`."""
    cols = {c: frame[c].to_numpy() for c in frame.columns}
    if "zygosity" in cols and hasattr(frame["zygosity"], "cat"):
        cols["zygosity"] = frame["zygosity"].cat.codes.to_numpy() + 1
    summary = Summary.of_columns(cols, domains, len(frame), items=items, tagging=tagging)
    if inbred is not None and len(inbred):
        summary = summary.merge(Summary.of_inbred({c: inbred[c].to_numpy() for c in ("iq", "rt_mean")}, domains,
                                                  len(frame), inbreeding))
    return summary.statistics()
