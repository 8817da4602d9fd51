"""Task universe, batteries, item responses and exact objective capability.

A task has a threshold r (the reducible loss, nats/token above E, below which it becomes
solvable) and a serial depth k (steps). A person with reducible loss x in the task's domain
and neural noise nu solves it with probability

    P = logistic((r - x) / w) * (1 - eps)^k,   eps = 1 - exp(-nu)   (so (1 - eps)^k = exp(-nu k)).

Thresholds are anchored to people: r = r_med * rel with rel drawn from the universe density
on [lower, upper] and r_med the norm sample's median reducible loss; w = width * r_med.

Densities of rel on [lower, upper]: ``loglinear`` (uniform in log rel) and ``power``
(rho ∝ rel^-gamma; gamma = 1 is loglinear; large gamma piles tasks up near the
irreducible loss, H1's "conformal" geometry). Depth k = 1 + Poisson(depth_d - 1) in domain d.

Item responses use a counter-based generator (SplitMix64 keyed by seed, person id, form and
item), so every person's responses are the same whatever the chunking or thread count.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit, prange
from scipy.special import ndtr

from .params import BatteryParams
from ..validation import check_int

__all__ = ["anchored_universe", "Battery", "build_battery", "capability", "capability_table", "CapabilityTable",
           "depth_factor", "item_plan", "item_strata", "item_variances", "respond", "sample_items", "threshold_density",
           "threshold_quantile"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_TWO_M32 = 2.0**-32
# Gauss-Legendre nodes per panel for the capability tables.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)
_TAIL_WIDTHS = 40.0  # beyond x = upper + 40 w, logistic < 4e-18: a task is never solved
_PILOT_STRIDE = 32  # item variances: every 32nd person of a window estimates the mean the sums are shifted by
_IQR_PER_SD = 1.3489795003921634  # interquartile range of a standard normal
_PLAN_CAP = (0.01, 100.0)  # the universe's ends move out at most this far (median person's losses)


def threshold_quantile(u, density: str, gamma: float, lower, upper) -> np.ndarray:
    """Inverse CDF of the universe's relative thresholds; u in [0, 1] -> rel in [lower, upper]
    (floats, or arrays broadcasting with u: the density restricted to each [lower, upper])."""
    u = np.asarray(u, float)
    if density == "loglinear" or abs(gamma - 1.0) < 1e-12:
        return lower * (upper / lower) ** u
    e = 1.0 - gamma
    lo, hi = lower**e, upper**e
    return (lo + u * (hi - lo)) ** (1.0 / e)


def threshold_density(rel, density: str, gamma: float, lower: float, upper: float) -> np.ndarray:
    """Probability density of relative thresholds on [lower, upper], zero outside."""
    rel = np.asarray(rel, float)
    g = 1.0 if density == "loglinear" else gamma
    if abs(g - 1.0) < 1e-12:
        norm = np.log(upper / lower)
    else:
        norm = (upper ** (1.0 - g) - lower ** (1.0 - g)) / (1.0 - g)
    inside = (rel >= lower) & (rel <= upper)
    return np.where(inside, np.where(inside, rel, 1.0) ** -g / norm, 0.0)


def depth_factor(noise, mean_depth) -> np.ndarray:
    """E[exp(-nu k)] for k = 1 + Poisson(mean_depth - 1): the chance no step fails, exactly."""
    noise, mean_depth = np.asarray(noise, float), np.asarray(mean_depth, float)
    return np.exp(-noise - (mean_depth - 1.0) * -np.expm1(-noise))


@dataclass(frozen=True)
class Battery:
    """Items of one or more parallel forms.

    thresholds : (float64, (F, K, J)) reducible-loss thresholds, nats/token
    depth : (int64, (F, K, J)) serial steps
    width : float, logistic width w, nats/token
    r_med : float, the norm sample's median reducible loss the universe is anchored to
    """

    thresholds: np.ndarray
    depth: np.ndarray
    width: float
    r_med: float

    @property
    def n_forms(self) -> int:
        return self.thresholds.shape[0]


def item_plan(bat: BatteryParams, norm_x: np.ndarray, r_med: float) -> np.ndarray:
    """The test maker's difficulty plan, (K, J + 1) relative thresholds (hardest first): per
    domain, the ends of J = items_per_domain strata evenly spaced in ability z from +reach to
    -reach SD, where z is the norm sample's log reducible loss, centred on its median and
    scaled by its interquartile range / 1.349, low loss = high ability; an end moves out to
    the norm sample's Phi(reach) quantile where a heavy tail reaches further (no more people
    beyond the easiest item than a normal puts beyond -reach). The raw score then grows
    linearly in z, as a test built to be normed is. A loss that underflowed to 0 counts as
    the smallest positive one; a plan that cannot be computed sits at the median person.
    norm_x : (float64, (n, K)) the norm sample's reducible loss, nats/token."""
    log_x = np.log(np.maximum(norm_x, np.finfo(float).tiny))
    beyond = ndtr(-bat.reach)
    q_hard, q25, centre, q75, q_easy = np.quantile(log_x, [beyond, 0.25, 0.5, 0.75, 1.0 - beyond], axis=0)
    sd = (q75 - q25) / _IQR_PER_SD
    hard, easy = np.minimum(centre - bat.reach * sd, q_hard), np.maximum(centre + bat.reach * sd, q_easy)
    step = np.arange(bat.items_per_domain + 1) / bat.items_per_domain
    with np.errstate(over="ignore", invalid="ignore"):
        ends = np.exp(hard[:, None] + (easy - hard)[:, None] * step[None, :]) / r_med
    return np.where(np.isnan(ends), 1.0, ends)


def item_strata(bat: BatteryParams, plan: np.ndarray) -> np.ndarray:
    """The plan's strata (K, J, 2), each (hardest, easiest) relative threshold, within the
    universe: a stratum beyond it moves to its nearest end (no task there to pick).
    plan : (K, J + 1) as from `item_plan`."""
    ends = np.clip(plan, bat.lower, bat.upper)
    return np.stack([ends[:, :-1], ends[:, 1:]], axis=2)


def anchored_universe(bat: BatteryParams, plan: np.ndarray) -> BatteryParams:
    """`bat` with the universe's ends moved out to the plan's hardest and easiest difficulties
    where they fall short of them: tasks beyond the best person (unsolved problems) and tasks
    easy enough for nearly everyone exist whatever a hypothesis says about the tasks between.
    Within `_PLAN_CAP` (0.01 to 100 times the median person's loss): people spread wider are
    off any human scale, and the universe's quadrature grows with its extent.
    plan : (K, J + 1) as from `item_plan`."""
    hardest, easiest = max(float(plan[:, 0].min()), _PLAN_CAP[0]), min(float(plan[:, -1].max()), _PLAN_CAP[1])
    return dataclasses.replace(bat, lower=min(bat.lower, hardest), upper=max(bat.upper, easiest))


def sample_items(rng: np.random.Generator, bat: BatteryParams, n_forms: int, per_domain: int, *,
                 strata: np.ndarray | None = None):
    """Draw relative thresholds and depths, shape (n_forms, K, per_domain), from the universe's
    density; with `strata` ((K, S, 2) as from `item_strata`, S dividing per_domain), item c
    of a domain from the density restricted to stratum c // (per_domain / S), sampled by the
    stratum's own inverse CDF (the universe's CDF rounds to 1 across a steep power law's tail)."""
    shape = (n_forms, bat.n_domains, per_domain)
    u = rng.random(shape)
    if strata is None:
        rel = threshold_quantile(u, bat.density, bat.gamma, bat.lower, bat.upper)
    else:
        ends = np.repeat(strata, per_domain // strata.shape[1], axis=1)[None]  # (1, K, per_domain, 2)
        rel = threshold_quantile(u, bat.density, bat.gamma, ends[..., 0], ends[..., 1])
    depth = 1 + rng.poisson(np.broadcast_to((bat.depth - 1.0)[None, :, None], shape))
    return rel, depth.astype(np.int64)


@njit(cache=True, inline="always")
def _splitmix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _item_uniforms(key, first_person, m, form, n_forms, per_form, out):
    # Uniforms of `form` for people first_person .. + m - 1 into out[item, person in block]:
    # the counter of (person, form, pair c) is (person * n_forms + form) * per_form + c + 1,
    # and one 64-bit hash gives two 32-bit uniforms.
    per_person = np.uint64(n_forms) * np.uint64(per_form)
    first = (np.uint64(first_person) * np.uint64(n_forms) + np.uint64(form)) * np.uint64(per_form)
    for c in range(per_form):
        for i in range(m):
            bits = _splitmix64(key + (first + np.uint64(i) * per_person + np.uint64(c + 1)) * _GOLDEN)
            out[2 * c, i] = (bits >> np.uint64(32)) * _TWO_M32
            out[2 * c + 1, i] = (bits & np.uint64(0xFFFFFFFF)) * _TWO_M32


_SAFE_EXP = 300.0  # |argument| below which a product of two exps cannot overflow or underflow


_BLOCK = 64  # people per parallel task; inner loops run over a block's people so they vectorise


@njit(cache=True, nogil=True, parallel=True, fastmath={"contract"})
def _respond(x, noise, thresholds, depth, k_max, width, centre, item_b, item_safe, key, first_id,
             raw, true, composite, expected_total):
    # x: (n, K) reducible loss; raw: (F, n, K) observed counts, composite: (F, n) their sums;
    # true: (E, n, K) expected counts of the first E forms, expected_total: (E, n) their sums.
    # A person solves an item when u * (1 + exp(...)) < survival, i.e. u < P, without a
    # division; only the expected counts divide.
    # logistic((t - x) / w) = 1 / (1 + exp(x/w - s) * exp(s - t/w)) with s = `centre` and
    # item_b = exp(s - t/w): one exp per person and domain instead of one per item; exact
    # per-item exps where an argument is extreme.
    # Scratch arrays are (item or depth, person in block): every inner loop runs over people.
    # No whole-array reductions in here: Numba would split them over threads, and the sums'
    # last bits would then depend on the thread count. fastmath is limited to fused
    # multiply-adds: reciprocals or reassociation could round vector and remainder lanes
    # differently, so a person's scores would depend on their place in a block.
    n, n_dom = x.shape
    n_forms, _, n_items = thresholds.shape
    per_form = (n_dom * n_items + 1) // 2
    for block in prange((n + _BLOCK - 1) // _BLOCK):
        lo = block * _BLOCK
        m = min(n, lo + _BLOCK) - lo
        survive = np.empty((k_max + 1, _BLOCK))  # P(no step of k fails)
        ea = np.empty((n_dom, _BLOCK))
        uniforms = np.empty((2 * per_form, _BLOCK))
        hits, hits_total = np.empty(_BLOCK, np.int64), np.empty(_BLOCK, np.int64)
        expected, expected_sum = np.empty(_BLOCK), np.empty(_BLOCK)
        extreme = False  # a person whose factor exp(x / w - s) could overflow: exact below
        for i in range(m):
            survive[0, i] = 1.0
            survive[1, i] = np.exp(-noise[lo + i])
        for s in range(2, k_max + 1):
            for i in range(m):
                survive[s, i] = survive[s - 1, i] * survive[1, i]
        for d in range(n_dom):
            for i in range(m):
                a = x[lo + i, d] / width - centre
                extreme = extreme or abs(a) >= _SAFE_EXP
                ea[d, i] = np.exp(a)
        for f in range(n_forms):
            with_expected = f < true.shape[0]
            _item_uniforms(key, first_id + lo, m, f, n_forms, per_form, uniforms)
            hits_total[:m] = 0
            expected_sum[:m] = 0.0
            for d in range(n_dom):
                hits[:m] = 0
                expected[:m] = 0.0
                all_safe = True
                for j in range(n_items):
                    if not item_safe[f, d, j]:  # its factor exp(s - t / w) could overflow: exact below
                        all_safe = False
                        continue
                    k = depth[f, d, j]
                    b = item_b[f, d, j]
                    row = d * n_items + j
                    for i in range(m):  # branch-free: the comparison is unpredictable
                        hits[i] += uniforms[row, i] * (1.0 + ea[d, i] * b) < survive[k, i]
                    if with_expected:
                        for i in range(m):
                            expected[i] += survive[k, i] / (1.0 + ea[d, i] * b)
                if extreme or not all_safe:
                    for i in range(m):
                        xi = x[lo + i, d]
                        safe_person = abs(xi / width - centre) < _SAFE_EXP
                        if safe_person and all_safe:
                            continue
                        if not safe_person:  # every item of this person exact
                            hits[i] = 0
                            expected[i] = 0.0
                        # exps only within _TAIL_WIDTHS widths: above, 1 + exp(arg) rounds to 1 exactly
                        # (1 + e^-40 == 1.0); below, P < e^-40 and only u == 0 can pass (computed
                        # exactly); the expected score drops those terms (each below 4e-18)
                        above, below = xi + _TAIL_WIDTHS * width, xi - _TAIL_WIDTHS * width
                        for j in range(n_items):
                            if safe_person and item_safe[f, d, j]:
                                continue
                            t = thresholds[f, d, j]
                            sv = survive[depth[f, d, j], i]
                            u = uniforms[d * n_items + j, i]
                            if t >= above:
                                expected[i] += sv
                                hits[i] += u < sv
                            elif t > below or u == 0.0:
                                den = 1.0 + np.exp((xi - t) / width)
                                expected[i] += sv / den
                                hits[i] += u * den < sv
                for i in range(m):
                    raw[f, lo + i, d] = hits[i]
                    hits_total[i] += hits[i]
                if with_expected:
                    for i in range(m):
                        true[f, lo + i, d] = expected[i]
                        expected_sum[i] += expected[i]
            for i in range(m):
                composite[f, lo + i] = hits_total[i]
            if with_expected:
                for i in range(m):
                    expected_total[f, lo + i] = expected_sum[i]


def respond(x: np.ndarray, noise: np.ndarray, battery: Battery, key: int, first_id: int = 0,
            expected_forms: int | None = None):
    """Score people on every form of a battery.

    x : (float64, (n, K)) reducible loss per domain, nats/token (penalties included)
    noise : (float64, (n,)) neural noise nu, nats per step
    key : int, 64-bit stream key; first_id : global id of row 0 (fixes each person's draws)
    expected_forms : expected scores for the first E forms only (None: all F); the observed
    scores do not depend on it
    Returns a dict: raw (int32, (F, n, K)) items solved, true (float64, (E, n, K)) expected
    items solved, composite (int32, (F, n)) and true_total (float64, (E, n)) their domain sums.
    """
    x = np.ascontiguousarray(x, dtype=float)
    n, k_dom = x.shape
    f = battery.n_forms
    e = f if expected_forms is None else check_int("expected_forms", expected_forms, 0, f)
    out = {"raw": np.empty((f, n, k_dom), np.int32), "true": np.empty((e, n, k_dom)),
           "composite": np.empty((f, n), np.int32), "true_total": np.empty((e, n))}
    centre, item_b, item_safe = _item_factors(battery.thresholds, battery.width)
    _respond(x, np.ascontiguousarray(noise, float), battery.thresholds, battery.depth, int(battery.depth.max()),
             battery.width, centre, item_b, item_safe, np.uint64(key), first_id, out["raw"], out["true"],
             out["composite"], out["true_total"])
    return out


def _item_factors(thresholds: np.ndarray, width: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Item side of the factorised logistic: centre s, exp(s - t/w), and whether each item's
    exponent is safely below `_SAFE_EXP` (bool, thresholds' shape)."""
    centre = float(thresholds.mean() / width)
    with np.errstate(over="ignore"):
        item_b = np.exp(centre - thresholds / width)
    return centre, item_b, np.abs(centre - thresholds / width) < _SAFE_EXP


@njit(cache=True, nogil=True, parallel=True)
def _item_variances(x, noise, thresholds, depth, k_max, width, out):
    # out[f, d, j] = population variance over people of P(solve item (f, d, j)). With people
    # sorted by x in each domain, those more than _TAIL_WIDTHS widths below an item's threshold
    # solve it with P = survival exactly (the logistic rounds to 1), those as far above with
    # P < 4e-18 (taken as 0); only the window between costs an exp each. Sums over the people
    # below come from prefix sums of survival's deviation from its mean (no cancellation).
    # Every item is one sequential task: the bits do not depend on the thread count.
    n, n_dom = x.shape
    n_forms, _, n_items = thresholds.shape
    order = np.empty((n_dom, n), np.int64)
    xs = np.empty((n_dom, n))
    for d in prange(n_dom):
        order[d] = np.argsort(x[:, d], kind="mergesort")
        for i in range(n):
            xs[d, i] = x[order[d, i], d]
    ref = np.zeros(k_max + 1)  # mean survival at each depth
    for k in range(k_max + 1):
        for i in range(n):
            ref[k] += np.exp(-noise[i] * k)
        ref[k] /= n
    surv = np.empty((n_dom, k_max + 1, n))  # survival of the i-th person in x order
    c1 = np.empty((n_dom, k_max + 1, n + 1))  # prefix sums of survival - ref
    c2 = np.empty((n_dom, k_max + 1, n + 1))  # ... and of its square
    for dk in prange(n_dom * (k_max + 1)):
        d, k = dk // (k_max + 1), dk % (k_max + 1)
        c1[d, k, 0] = c2[d, k, 0] = 0.0
        for i in range(n):
            s = np.exp(-noise[order[d, i]] * k)
            surv[d, k, i] = s
            c1[d, k, i + 1] = c1[d, k, i] + (s - ref[k])
            c2[d, k, i + 1] = c2[d, k, i] + (s - ref[k]) ** 2
    # exp((x - t) / w) = exp(x / w - c) * exp(c - t / w) with c the mid-range of a segment of
    # people spanning under 2 (_SAFE_EXP - _TAIL_WIDTHS) widths: one exp per person and domain
    # instead of one per item and person, and no factor can overflow. A domain spanning less is
    # one segment; a wider one is cut greedily from its lowest x.
    seg_of = np.empty((n_dom, n), np.int64)  # each sorted person's segment
    seg_stop = np.empty((n_dom, n), np.int64)  # one past each segment's last person
    seg_centre = np.empty((n_dom, n))
    ex = np.empty((n_dom, n))
    span = 2.0 * (_SAFE_EXP - _TAIL_WIDTHS)
    for d in prange(n_dom):
        first, s = 0, 0
        while first < n:
            stop = first + 1
            while stop < n and (xs[d, stop] - xs[d, first]) / width < span:
                stop += 1
            seg_centre[d, s] = 0.5 * (xs[d, first] + xs[d, stop - 1]) / width
            seg_stop[d, s] = stop
            for i in range(first, stop):
                seg_of[d, i] = s
                ex[d, i] = np.exp(xs[d, i] / width - seg_centre[d, s])
            first, s = stop, s + 1
    reach = _TAIL_WIDTHS * width
    for item in prange(n_forms * n_dom * n_items):
        f = item // (n_dom * n_items)
        d = item // n_items % n_dom
        j = item % n_items
        k, t = depth[f, d, j], thresholds[f, d, j]
        lo = np.searchsorted(xs[d], t - reach)
        hi = max(lo, np.searchsorted(xs[d], t + reach))
        # One pass over the window: sums of p - c and (p - c)^2 in four interleaved lanes
        # added in a fixed order, with the shift c near the mean (from every _PILOT_STRIDE-th
        # person of the window), so that expanding the square around the mean cancels
        # nothing that matters. 1.3x faster than storing p and summing it twice.
        w = hi - lo
        est, cnt = 0.0, 0
        for q in range(lo, hi, _PILOT_STRIDE):
            est += surv[d, k, q] / (1.0 + ex[d, q] * np.exp(seg_centre[d, seg_of[d, q]] - t / width))
            cnt += 1
        c = (c1[d, k, lo] + lo * ref[k] + (w * est / cnt if cnt else 0.0)) / n
        a0 = a1 = a2 = a3 = 0.0
        b0 = b1 = b2 = b3 = 0.0
        i = lo
        while i < hi:
            s = seg_of[d, i]
            stop = min(hi, seg_stop[d, s])
            b = np.exp(seg_centre[d, s] - t / width)
            q = i
            while q + 4 <= stop:
                v0 = surv[d, k, q] / (1.0 + ex[d, q] * b) - c
                v1 = surv[d, k, q + 1] / (1.0 + ex[d, q + 1] * b) - c
                v2 = surv[d, k, q + 2] / (1.0 + ex[d, q + 2] * b) - c
                v3 = surv[d, k, q + 3] / (1.0 + ex[d, q + 3] * b) - c
                a0 += v0
                a1 += v1
                a2 += v2
                a3 += v3
                b0 += v0 * v0
                b1 += v1 * v1
                b2 += v2 * v2
                b3 += v3 * v3
                q += 4
            while q < stop:  # the segment's last 0-3 people
                v0 = surv[d, k, q] / (1.0 + ex[d, q] * b) - c
                a0 += v0
                b0 += v0 * v0
                q += 1
            i = stop
        s1, s2 = (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)  # window sums of p - c and (p - c)^2
        mean = (c1[d, k, lo] + lo * ref[k] + s1 + w * c) / n
        shift = ref[k] - mean
        ss = c2[d, k, lo] + 2.0 * shift * c1[d, k, lo] + lo * shift * shift + (n - hi) * mean * mean
        dm = mean - c
        out[f, d, j] = (ss + s2 - 2.0 * dm * s1 + w * dm * dm) / n


def item_variances(x: np.ndarray, noise: np.ndarray, thresholds: np.ndarray, depth: np.ndarray,
                   width: float) -> np.ndarray:
    """Variance across people of each item's exact P(solve).

    x : (float64, (n, K)) reducible loss per domain, nats/token; noise : (float64, (n,))
    thresholds, depth : (F, K, J) items' thresholds (nats/token) and serial depths
    width : logistic width, nats/token
    Returns (float64, (F, K, J)), the population variance (ddof 0) over the n people.
    """
    thresholds = np.ascontiguousarray(thresholds, float)
    out = np.empty(thresholds.shape)
    depth = np.ascontiguousarray(depth, np.int64)
    _item_variances(np.ascontiguousarray(x, float), np.ascontiguousarray(noise, float), thresholds, depth,
                    int(depth.max()), float(width), out)
    return out


def build_battery(
    rng: np.random.Generator, bat: BatteryParams, r_med: float, norm_x: np.ndarray, norm_noise: np.ndarray, *,
    plan: np.ndarray | None = None
) -> Battery:
    """Draw the battery's items, one per stratum of the test maker's plan (`item_plan`, or the
    one given: a battery spans the people it measures, easy to hard). ``universe``: each item from the
    universe's density within its stratum. ``selected``: selection_pool candidates per stratum,
    of which the one whose exact P(solve) varies most across the norm sample is kept (the item
    that spreads people apart most at that difficulty).
    norm_x : (float64, (n, K)) reducible loss, nats/token; norm_noise : (float64, (n,))."""
    n_forms = 2 if bat.parallel_form else 1
    width = bat.width * r_med
    strata = item_strata(bat, item_plan(bat, norm_x, r_med) if plan is None else plan)
    if bat.items == "universe":
        rel, depth = sample_items(rng, bat, n_forms, bat.items_per_domain, strata=strata)
        return Battery(rel * r_med, depth, width, r_med)
    pool, per = bat.selection_pool, bat.items_per_domain
    rel, depth = sample_items(rng, bat, n_forms, per * pool, strata=strata)
    keep_rel = np.empty((n_forms, bat.n_domains, per))
    keep_depth = np.empty(keep_rel.shape, np.int64)
    spread = item_variances(norm_x, norm_noise, rel * r_med, depth, width)
    for f in range(n_forms):
        for d in range(bat.n_domains):
            best = pool * np.arange(per) + np.argmax(spread[f, d].reshape(per, pool), axis=1)
            keep_rel[f, d], keep_depth[f, d] = rel[f, d, best], depth[f, d, best]
    return Battery(keep_rel * r_med, keep_depth, width, r_med)


@dataclass(frozen=True)
class CapabilityTable:
    """G(u) = P(logistic threshold test passed) averaged over the universe, u = x / r_med.

    Tabulated on [lo, hi] (the people's range) in segments, each with cubic Hermite
    interpolation and exact derivatives: a grid of w/16 within _TAIL_WIDTHS widths of the
    universe's ends (where G bends on the scale of the logistic width w), a geometric grid
    between them (where G is as smooth as the threshold density itself: its step is set from
    the density's third derivative for an interpolation error below ~1e-10), and two points
    where G is flat to e^-40 (beyond the ends). Error far below 1e-9, tested against direct
    quadrature. Outside [lo, hi], G is the exact quadrature sum over the `nodes` within
    `_TAIL_WIDTHS` widths of u (nodes further above count fully: `above`).
    """

    seg_lo: np.ndarray  # (S,) segment starts (ascending; each ends where the next starts)
    seg_hi: np.ndarray  # (S,) segment ends
    seg_step: np.ndarray  # (S,) grid step: in u, or in log u for geometric segments
    seg_log: np.ndarray  # (S,) bool: geometric grid
    seg_off: np.ndarray  # (S + 1,) index of each segment's first point in values and slopes; values.size
    values: np.ndarray
    slopes: np.ndarray  # dG/d(grid index): the derivative times the local step
    nodes: np.ndarray  # quadrature nodes r (ascending), relative thresholds
    weights: np.ndarray  # their weights times the threshold density
    above: np.ndarray  # above[j] = sum of weights[j:]
    width: float  # relative logistic width


@njit(cache=True)
def _panel_edges(lower, upper, width):
    # Panels no wider than 2w (8 Gauss-Legendre nodes resolve a logistic of width w to ~1e-13:
    # its poles lie pi w off the real axis; measured, no change against panels of w) or 10% of
    # r (the density's scale). Compiled: a narrow logistic needs thousands of panels.
    count, e = 1, lower
    while e < upper:
        e = min(upper, e + min(2.0 * width, 0.1 * e))
        count += 1
    edges = np.empty(count)
    edges[0] = lower
    for i in range(1, count):
        edges[i] = min(upper, edges[i - 1] + min(2.0 * width, 0.1 * edges[i - 1]))
    return edges


def _quadrature_nodes(lower: float, upper: float, width: float):
    edges = _panel_edges(float(lower), float(upper), float(width))
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[1:] + edges[:-1])
    nodes = (mid[:, None] + half[:, None] * _GL_NODES[None, :]).ravel()
    weights = (half[:, None] * _GL_WEIGHTS[None, :]).ravel()
    return nodes, weights


@njit(cache=True, inline="always")
def _window_sum(u, nodes, weights, above, width, cut):
    # sum_j weights[j] / (1 + exp((u - r_j) / w)) and its derivative in u; nodes more than `cut`
    # widths above u count fully (logistic = 1 to e^-cut), more than `cut` below count nothing.
    lo = np.searchsorted(nodes, u - cut * width)
    hi = np.searchsorted(nodes, u + cut * width)
    v = above[hi]
    slope = 0.0
    for j in range(lo, hi):
        sig = 1.0 / (1.0 + np.exp((u - nodes[j]) / width))
        v += sig * weights[j]
        slope -= sig * (1.0 - sig) * weights[j]
    return v, slope / width


_BLOCK_WIDTHS = 4.0  # span of a block of grid points sharing the nodes' exps (factors up to e^4)


@njit(cache=True, nogil=True, parallel=True)
def _tabulate(grid, starts, nodes, weights, above, width, cut, values, slopes):
    # _window_sum at every grid point (ascending), factorised per block of grid points
    # grid[starts[b]:starts[b + 1]] spanning under _BLOCK_WIDTHS widths: exp((u - r) / w) =
    # exp((u - c) / w) exp((c - r) / w) with c the block's first point, so each node's exp is
    # taken once per block, not once per point (|c - r| < cut + _BLOCK_WIDTHS widths: no overflow)
    for b in prange(starts.size - 1):
        first, last = starts[b], starts[b + 1]
        c = grid[first]
        base = np.searchsorted(nodes, c - cut * width)
        node_exp = np.empty(np.searchsorted(nodes, grid[last - 1] + cut * width) - base)
        for j in range(node_exp.size):
            node_exp[j] = np.exp((c - nodes[base + j]) / width)
        for i in range(first, last):
            u = grid[i]
            a = np.exp((u - c) / width)
            lo = np.searchsorted(nodes, u - cut * width)
            hi = np.searchsorted(nodes, u + cut * width)
            v = above[hi]
            slope = 0.0
            for j in range(lo, hi):
                sig = 1.0 / (1.0 + a * node_exp[j - base])
                v += sig * weights[j]
                slope -= sig * (1.0 - sig) * weights[j]
            values[i], slopes[i] = v, slope / width


def capability_table(bat: BatteryParams, u_range: tuple[float, float] | None = None) -> CapabilityTable:
    """Tabulate G over u = x / r_med in `u_range` (default: the whole universe, [0, upper + 40
    width]); people outside the range are computed exactly, only slower. Tables are cached by
    their parameters."""
    top = bat.upper + _TAIL_WIDTHS * bat.width
    lo, hi = (0.0, top) if u_range is None else (max(0.0, u_range[0]), min(top, u_range[1]))
    return _capability_table(bat.density, bat.gamma, bat.lower, bat.upper, bat.width, lo, max(hi, lo))


_SMOOTH_TOL = 1e-10  # interpolation error aimed at on the geometric segment


def _segments(density: str, gamma: float, lower: float, upper: float, width: float, lo: float, hi: float):
    """(start, end, steps, geometric) of each table segment covering [lo, hi]."""
    edge = _TAIL_WIDTHS * width
    fine = width / 16.0
    cuts = sorted({lo, hi, *[c for c in (lower - edge, lower + edge, upper - edge, upper + edge) if lo < c < hi]})
    # the geometric step: away from the ends G ~ integral of rho above u, so d^4 G / d(log u)^4 =
    # (1 - g)^3 u rho(u) with rho ~ r^-g (g = 1: log-linear), and u rho(u) peaks at an end; the
    # + 3 and a factor 16 cover the logistic's smoothing there (w / u <= 1/40)
    g = 1.0 if density == "loglinear" else gamma
    ends = np.array([lower * (1 + 1e-12), upper * (1 - 1e-12)])  # u rho(u) ~ u^(1 - g) peaks at an end
    peak = max(float((ends * threshold_density(ends, density, gamma, lower, upper)).max()), 1e-300)
    log_step = (384.0 * _SMOOTH_TOL / (16.0 * (abs(1.0 - g) + 3.0) ** 3 * peak)) ** 0.25
    out = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        mid = 0.5 * (a + b)
        if mid < lower - edge or mid > upper + edge:  # flat: G within e^-40 of a constant
            out.append((a, b, 1, False))
        elif mid > lower + edge and mid < upper - edge and a > 0 and np.log(b / a) / log_step < (b - a) / fine:
            out.append((a, b, max(1, int(np.ceil(np.log(b / a) / log_step))), True))
        else:
            out.append((a, b, max(1, int(np.ceil((b - a) / fine))), False))
    return out


@lru_cache(maxsize=64)
def _capability_table(density: str, gamma: float, lower: float, upper: float, width: float, lo: float,
                      hi: float) -> CapabilityTable:
    nodes, weights = _quadrature_nodes(lower, upper, width)
    weights = weights * threshold_density(nodes, density, gamma, lower, upper)
    above = np.concatenate([np.cumsum(weights[::-1])[::-1], [0.0]])
    segs = _segments(density, gamma, lower, upper, width, lo, hi) if hi > lo else [(lo, lo, 0, False)]
    steps = [((np.log(b / a) if geometric else b - a) / n) if n else 1.0 for a, b, n, geometric in segs]
    grids = []
    for (a, b, n, geometric), step in zip(segs, steps):
        grid = a * np.exp(step * np.arange(n + 1)) if geometric else a + step * np.arange(n + 1)
        grid[-1] = b  # the segments meet exactly
        grids.append(grid)
    offsets = np.concatenate([[0], np.cumsum([g.size for g in grids])]).astype(np.int64)
    grid = np.concatenate(grids)
    values, slopes = np.empty(grid.size), np.empty(grid.size)
    block = np.floor((grid - grid[0]) / (_BLOCK_WIDTHS * width))
    starts = np.concatenate([[0], np.flatnonzero(np.diff(block)) + 1, [grid.size]]).astype(np.int64)
    _tabulate(grid, starts, nodes, weights, above, width, _TAIL_WIDTHS, values, slopes)
    for (*_, geometric), step, off, g in zip(segs, steps, offsets, grids):  # dG/du -> dG/d(index)
        slopes[off:off + g.size] *= step * g if geometric else step
    table = CapabilityTable(np.array([a for a, *_ in segs], float), np.array([b for _, b, *_ in segs], float),
                            np.array(steps, float), np.array([geo for *_, geo in segs], np.bool_), offsets, values,
                            slopes, nodes, weights, above, width)
    for a in (values, slopes, nodes, weights, above, table.seg_lo, table.seg_hi, table.seg_step, table.seg_log,
              table.seg_off):
        a.flags.writeable = False  # shared by every caller of the cache
    return table


@njit(cache=True, inline="always")
def _lookup(u, seg_lo, seg_hi, seg_step, seg_log, seg_off, values, slopes):
    # G(u) from the segment holding u (NaN outside every segment)
    for s in range(seg_lo.size):
        if seg_lo[s] <= u <= seg_hi[s]:
            t = (np.log(u / seg_lo[s]) if seg_log[s] else u - seg_lo[s]) / seg_step[s]
            last = seg_off[s + 1] - seg_off[s] - 1  # the segment's steps
            if last == 0:
                return values[seg_off[s]]
            j = min(max(int(t), 0), last - 1)
            r = t - j
            k = seg_off[s] + j
            return ((1 + 2 * r) * (1 - r) ** 2 * values[k] + r * (1 - r) ** 2 * slopes[k]
                    + r * r * (3 - 2 * r) * values[k + 1] + r * r * (r - 1) * slopes[k + 1])
    return np.nan


@njit(cache=True, nogil=True, parallel=True)
def _capability(x, scale, noise, depth, seg_lo, seg_hi, seg_step, seg_log, seg_off, values, slopes, nodes, weights,
                above, width, out_mean, out_product, out_domain):
    # Table lookup inside the table's segments, the exact window sum outside.
    n, n_dom = x.shape
    for i in prange(n):
        em = np.expm1(-noise[i])
        out_mean[i] = 0.0
        out_product[i] = 1.0
        for d in range(n_dom):
            factor = np.exp(-noise[i] + (depth[d] - 1.0) * em)
            u = max(x[i, d] * scale, 0.0)
            g = _lookup(u, seg_lo, seg_hi, seg_step, seg_log, seg_off, values, slopes)
            if np.isnan(g):
                g = _window_sum(u, nodes, weights, above, width, _TAIL_WIDTHS)[0]
            g *= factor
            out_domain[i, d] = g
            out_mean[i] += g
            out_product[i] *= g
        out_mean[i] /= n_dom


def capability(x: np.ndarray, noise: np.ndarray, table: CapabilityTable, r_med: float, depth: np.ndarray):
    """Exact expected share of the task universe solved, per person.

    x : (float64, (n, K)) reducible loss per domain, nats/token; noise : (float64, (n,))
    depth : (float64, (K,)) mean serial depth per domain
    Returns (mean over domains, product over domains, each domain's), float64 of shapes (n,),
    (n,) and (n, K), in [0, 1]; the product is the Shockley (1957) chance that one piece of work
    clears every domain.
    """
    x = np.ascontiguousarray(x, float)
    mean, prod, per_domain = np.empty(x.shape[0]), np.empty(x.shape[0]), np.empty(x.shape)
    _capability(x, 1.0 / r_med, np.ascontiguousarray(noise, float), np.asarray(depth, float), table.seg_lo,
                table.seg_hi, table.seg_step, table.seg_log, table.seg_off, table.values, table.slopes, table.nodes,
                table.weights, table.above, table.width, mean, prod, per_domain)
    return mean, prod, per_domain
