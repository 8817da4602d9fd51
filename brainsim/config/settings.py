"""The whole configuration, validated: typed settings of one run.

`settings_from_config` validates every config group into a frozen dataclass
(`ModelParams` for scaling, population and battery, `Hypothesis`, `BackendParams`, and
`ABCSettings`, `RecoverySettings`, `PlotSettings` and `RunSettings` here), each value
checked against `brainsim.config.schema`. It reads the config through a `Strict` view, so
any key that no validator reads (a typo, a stale key in a user's YAML file) is an error too.
Every error is one line naming the key, the value and the allowed range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..backends import BackendParams, backend_from_config
from ..model.params import ModelParams
from .builders import section, model_from_config
from ..targets import Hypothesis, Target, hypothesis_from_config, load_targets
from .schema import check
from ..validation import (
    ConfigError,
    Strict,
)

__all__ = ["abc_from_config", "ABCSettings", "life_course_from_config", "LifeCourseSettings", "model_choice_from_config",
           "ModelChoiceSettings", "plots_from_config", "PlotSettings", "recovery_from_config", "RecoverySettings",
           "RunSettings", "settings_from_config", "validate"]


@dataclass(frozen=True)
class ABCSettings:
    """ABC-SMC model selection (see `brainsim.inference`); particles == 0 switches it off."""

    particles: int
    generations: int  # ceiling
    quantile: float
    min_epsilon: float
    min_acceptance: float
    max_simulations: int  # ceiling, per seed
    repeats: int
    n: int
    norm_n: int
    missing_z: float
    noise_replicates: int  # simulations per hypothesis that measure each statistic's own noise at n
    top: int = 0  # the model choice's most-voted hypotheses the SMC runs on; 0: every hypothesis


@dataclass(frozen=True)
class RecoverySettings:
    """Model recovery and calibration from a reference table (see `brainsim.recovery`);
    per_hypothesis == 0 switches it off."""

    per_hypothesis: int  # prior-predictive simulations per hypothesis in the reference table
    neighbours: int  # k accepted rows per leave-one-out rejection
    local: int  # rows nearest the observed targets for the local error rate
    resamples: int  # bootstrap and consistency-null resamples
    predictive: int  # posterior-predictive simulations per checked hypothesis
    top: int  # hypotheses checked by posterior predictive
    smc_checks: int  # table rows per hypothesis re-run through the production ABC
    table: str | None  # reference table to reuse or extend; None: the run directory's


@dataclass(frozen=True)
class ModelChoiceSettings:
    """ABC random forests on the reference table (see `brainsim.forest`), the fit gate
    (`brainsim.gate`) and the statistics' own error floor; enabled == False switches it off."""

    enabled: bool
    trees: int  # classification forest
    posterior_trees: int  # regression forest of the posterior probability
    lda: bool  # LDA axes appended to the statistics
    floor: bool  # estimate the best error the statistics allow
    gate_level: float  # joint typicality p-value (and two-sided tail per statistic) below which: edge
    gate_neighbours: int  # k of the joint typicality distance
    halves: bool  # answer again from each of two disjoint halves of the table
    groups: dict[str, dict[str, tuple[str, ...]]]  # question: {group: hypotheses}, declared before the data


@dataclass(frozen=True)
class LifeCourseSettings:
    """The Wilson effect, checked beside the targets (see `brainsim.lifecourse`); never scored."""

    enabled: bool
    n: int  # people per age
    rise: float  # observed twin h2 at 17 minus at 9
    tolerance: float
    source: str


@dataclass(frozen=True)
class PlotSettings:
    enabled: bool
    n: int  # people per hypothesis drawn for figures
    dpi: int


@dataclass(frozen=True)
class RunSettings:
    """Everything one `brainsim` job needs, validated. `seed` is None for fresh entropy."""

    model: ModelParams
    seed: int | None
    hypothesis: Hypothesis
    targets: tuple[Target, ...]
    backend: BackendParams
    abc: ABCSettings
    recovery: RecoverySettings
    model_choice: ModelChoiceSettings
    life_course: LifeCourseSettings
    plots: PlotSettings
    report: bool
    threads: int | None
    save_population: bool
    save_max_rows: int
    resume: bool


def abc_from_config(node: Mapping) -> ABCSettings:
    return ABCSettings(
        particles=check("abc.particles", node.get("particles")),
        generations=check("abc.generations", node.get("generations")),
        quantile=check("abc.quantile", node.get("quantile")),
        min_epsilon=check("abc.min_epsilon", node.get("min_epsilon")),
        min_acceptance=check("abc.min_acceptance", node.get("min_acceptance")),
        max_simulations=check("abc.max_simulations", node.get("max_simulations")),
        repeats=check("abc.repeats", node.get("repeats")),
        n=check("abc.n", node.get("n")),
        norm_n=check("abc.norm_n", node.get("norm_n")),
        missing_z=check("abc.missing_z", node.get("missing_z")),
        noise_replicates=check("abc.noise_replicates", node.get("noise_replicates")),
        top=check("abc.top", node.get("top")),
    )


def recovery_from_config(node: Mapping) -> RecoverySettings:
    per = check("recovery.per_hypothesis", node.get("per_hypothesis"))
    k = check("recovery.neighbours", node.get("neighbours"))
    if per and k >= per:
        raise ConfigError(f"The 'recovery.neighbours' parameter must be an int below recovery.per_hypothesis "
                          f"({per}): parameter recovery draws its neighbours from one hypothesis's rows. Got {k} "
                          f"instead.")
    table = node.get("table")
    if table is not None and not isinstance(table, str):
        raise ConfigError(f"The 'recovery.table' parameter must be a path or null. Got {table!r} instead.")
    return RecoverySettings(
        per_hypothesis=per,
        neighbours=k,
        local=check("recovery.local", node.get("local")),
        resamples=check("recovery.resamples", node.get("resamples")),
        predictive=check("recovery.predictive", node.get("predictive")),
        top=check("recovery.top", node.get("top")),
        smc_checks=check("recovery.smc_checks", node.get("smc_checks")),
        table=table,
    )


def model_choice_from_config(node: Mapping) -> ModelChoiceSettings:
    groups = node.get("groups") or {}
    if not isinstance(groups, Mapping):
        raise ConfigError(f"The 'model_choice.groups' parameter must map questions to {{group: [hypotheses]}}. "
                          f"Got {groups!r} instead.")
    questions = {}
    for q, parts in groups.items():
        if not isinstance(parts, Mapping) or len(parts) < 2 or not all(
                isinstance(v, (list, tuple)) and v and all(isinstance(h, str) for h in v) for v in parts.values()):
            shown = {g: list(v) if isinstance(v, (list, tuple)) else v for g, v in parts.items()} \
                if isinstance(parts, Mapping) else parts
            raise ConfigError(f"The 'model_choice.groups.{q}' entry must map at least two group names to non-empty "
                              f"lists of hypothesis names. Got {shown!r} instead.")
        questions[str(q)] = {str(g): tuple(v) for g, v in parts.items()}
    return ModelChoiceSettings(
        enabled=check("model_choice.enabled", node.get("enabled")),
        trees=check("model_choice.trees", node.get("trees")),
        posterior_trees=check("model_choice.posterior_trees", node.get("posterior_trees")),
        lda=check("model_choice.lda", node.get("lda")),
        floor=check("model_choice.floor", node.get("floor")),
        gate_level=check("model_choice.gate_level", node.get("gate_level")),
        gate_neighbours=check("model_choice.gate_neighbours", node.get("gate_neighbours")),
        halves=check("model_choice.halves", node.get("halves")),
        groups=questions,
    )


def life_course_from_config(node: Mapping) -> LifeCourseSettings:
    source = node.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ConfigError(f"The 'life_course.source' parameter must be a non-empty citation. Got {source!r} instead.")
    return LifeCourseSettings(
        enabled=check("life_course.enabled", node.get("enabled")),
        n=check("life_course.n", node.get("n")),
        rise=check("life_course.rise", node.get("rise")),
        tolerance=check("life_course.tolerance", node.get("tolerance")),
        source=source,
    )


def plots_from_config(node: Mapping) -> PlotSettings:
    return PlotSettings(
        enabled=check("plots.enabled", node.get("enabled")),
        n=check("plots.n", node.get("n")),
        dpi=check("plots.dpi", node.get("dpi")),
    )


def settings_from_config(cfg: Mapping) -> RunSettings:
    """Validate a composed config (a plain nested dict) completely; raises ConfigError."""
    strict = Strict(cfg)
    seed = strict.get("seed")
    if seed is not None:
        seed = check("seed", seed)
    threads = strict.get("threads")
    settings = RunSettings(
        model=model_from_config(strict),
        seed=seed,
        hypothesis=hypothesis_from_config(strict),
        targets=tuple(load_targets(str(strict.get("targets", "human")))),
        backend=backend_from_config(strict.get("backend")),
        abc=abc_from_config(section(strict, "abc", "")),
        recovery=recovery_from_config(section(strict, "recovery", "")),
        model_choice=model_choice_from_config(section(strict, "model_choice", "")),
        life_course=life_course_from_config(section(strict, "life_course", "")),
        plots=plots_from_config(section(strict, "plots", "")),
        report=check("report", strict.get("report", True)),
        threads=None if threads is None else check("threads", threads),
        save_population=check("save_population", strict.get("save_population", False)),
        save_max_rows=check("save_max_rows", strict.get("save_max_rows", 100_000)),
        resume=check("resume", strict.get("resume", False)),
    )
    limit = check("max_people", strict.get("max_people", 10**10))
    pop = settings.model.population
    if pop.n + pop.inbred_n > limit:
        raise ConfigError(f"The 'population.n' parameter must be an int <= max_people ({limit:,}) with its inbred cohort "
                          f"(population.inbred.fraction x n): more would run for days. Got {pop.n:,} + {pop.inbred_n:,} "
                          "instead; raise max_people to go beyond.")
    strict.check_no_unknown()
    return settings


def validate(cfg) -> RunSettings:
    """The validated settings of a composed config (an OmegaConf DictConfig; raises
    ConfigError, unknown keys included)."""
    from omegaconf import OmegaConf

    return settings_from_config(OmegaConf.to_container(cfg, resolve=True))
