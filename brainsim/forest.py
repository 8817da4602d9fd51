"""Model choice by ABC random forests (Pudlo et al. 2016, Bioinformatics 32:859), following R
abcrf 2.0 (`abcrf`, `predict.abcrf`, `err.abcrf`) on scikit-learn. Pure functions over arrays.

A classification forest learns the hypothesis from the statistics of a reference table, with
the axes of a linear discriminant analysis appended (abcrf's ``lda = TRUE``). Its out-of-bag
(OOB) error is the prior error rate. At the observed statistics it gives the chosen
hypothesis and the share of trees voting for each; the posterior probability of the chosen
hypothesis is 1 - E[misclassified | statistics], from a regression forest fitted to each
row's OOB misclassification indicator (abcrf's method: votes are not probabilities).

Where this port differs from abcrf, and why:

- a statistic a simulation cannot compute (NaN) is imputed with the training column's median
  and flagged by an indicator column: ranger and LDA refuse NaN;
- a tied vote goes to the first hypothesis (ranger draws at random): the same input gives the
  same answer;
- scikit-learn's CART and random streams are not ranger's: numbers agree within Monte-Carlo
  error, not bit for bit (tests/test_forest.py checks them against a stored abcrf fixture).

Forest settings are ranger's defaults as abcrf calls it: bootstrap samples of min(1e5, n)
rows with replacement, floor(sqrt(p)) candidate features per split, Gini splits to pure
leaves for classification, variance splits of nodes above 5 rows for regression
(ranger's ``min.node.size = 5`` is scikit-learn's ``min_samples_split = 6``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .validation import ConfigError

__all__ = ["ChoiceForest", "Features", "fit_forest", "floor", "group_labels", "MAX_SAMPLE"]

MAX_SAMPLE = 100_000  # abcrf's sampsize = min(1e5, rows): bootstrap rows per tree
_CURVE_POINTS = 20  # err.abcrf: the OOB error at 20 forest sizes from 40 trees up
# scikit-learn's trees split in float32: a finite statistic beyond its range (a ratio over a
# near-zero percentile) would become infinite and be refused, so statistics are clipped here
_LIMIT = 1e30


def _bounded(stats: np.ndarray) -> np.ndarray:
    """Finite statistics clipped to [-_LIMIT, _LIMIT] (NaN and infinities, the missing ones, stay);
    the order below the limit kept."""
    x = np.asarray(stats, float)
    return np.where(np.isfinite(x), np.clip(x, -_LIMIT, _LIMIT), x)


@dataclass(frozen=True)
class Features:
    """How statistics become the forest's inputs: NaN imputation and the LDA axes."""

    fill: np.ndarray  # (T,) training column medians, for NaN
    flagged: np.ndarray  # (T,) bool: statistics that get a missing-value indicator column
    lda: object | None  # fitted sklearn LinearDiscriminantAnalysis, or None

    def __call__(self, stats: np.ndarray) -> np.ndarray:
        """(Q, T) statistics -> (Q, T + flagged + LDA axes) forest inputs."""
        x = _bounded(stats)
        missing = ~np.isfinite(x)
        x = np.where(missing, self.fill[None, :], x)
        x = np.concatenate([x, missing[:, self.flagged].astype(float)], axis=1)
        if self.lda is not None:
            x = np.concatenate([x, self.lda.transform(x)], axis=1)
        return x


@dataclass(frozen=True)
class ChoiceForest:
    """A fitted ABC-RF model choice on a table of N rows and M hypotheses."""

    names: tuple[str, ...]
    labels: np.ndarray  # (N,) true hypothesis index of each row
    features: Features
    classifier: object  # sklearn RandomForestClassifier
    regression: object  # sklearn RandomForestRegressor on the OOB misclassification indicator
    oob_votes: np.ndarray  # (N, M) share of each row's OOB trees voting for each hypothesis
    curve: pd.DataFrame  # trees, error: the OOB prior error against the forest's size (err.abcrf; flat at
    # the end means enough trees)

    @property
    def oob_choice(self) -> np.ndarray:
        """(N,) each row's OOB majority vote (first hypothesis on ties)."""
        return np.argmax(self.oob_votes, axis=1)

    @property
    def oob_probability(self) -> np.ndarray:
        """(N,) the OOB posterior probability of each row's OOB choice (the regression's OOB)."""
        return np.clip(1.0 - self.regression.oob_prediction_, 0.0, 1.0)

    @property
    def prior_error(self) -> tuple[float, float]:
        """The OOB prior error rate and its binomial standard error."""
        wrong = self.oob_choice != self.labels
        e = float(wrong.mean())
        return e, float(np.sqrt(e * (1 - e) / wrong.size))

    def confusion(self) -> pd.DataFrame:
        """OOB confusion: rows true, columns chosen, counts; `error` is each row's error rate."""
        m = len(self.names)
        counts = np.zeros((m, m), int)
        np.add.at(counts, (self.labels, self.oob_choice), 1)
        frame = pd.DataFrame(counts, index=pd.Index(self.names, name="true"), columns=list(self.names))
        return frame.assign(error=1.0 - np.diag(counts) / np.maximum(counts.sum(axis=1), 1))

    def importance(self) -> pd.Series:
        """Mean decrease in Gini impurity per forest input (abcrf's variable importance)."""
        return pd.Series(self.classifier.feature_importances_, name="importance")

    def predict(self, stats: np.ndarray) -> pd.DataFrame:
        """At each row of `stats` (Q, T): the chosen hypothesis, the share of trees voting for
        each hypothesis (``votes:<name>``) and the posterior probability of the chosen one."""
        x = self.features(np.atleast_2d(np.asarray(stats, float)))
        votes = _votes(self.classifier, x, len(self.names))
        out = pd.DataFrame(votes, columns=[f"votes:{n}" for n in self.names])
        out.insert(0, "chosen", np.asarray(self.names)[np.argmax(votes, axis=1)])
        out["probability"] = np.clip(1.0 - _mean_prediction(self.regression, x), 0.0, 1.0)
        return out


def _mean_prediction(regression, x: np.ndarray) -> np.ndarray:
    """(Q,) the regression forest's prediction, its trees summed in a fixed order (scikit-learn's
    `predict` adds them in whichever order its threads finish: the last bits vary run to run)."""
    return np.stack([tree.predict(x) for tree in regression.estimators_]).mean(axis=0)


def _votes(classifier, x: np.ndarray, m: int) -> np.ndarray:
    """(Q, M) share of trees voting for each class (hard votes, as ranger)."""
    counts = np.zeros((x.shape[0], m))
    rows = np.arange(x.shape[0])
    for tree in classifier.estimators_:
        np.add.at(counts, (rows, tree.predict(x).astype(np.int64)), 1.0)
    return counts / len(classifier.estimators_)


def _fill(stats: np.ndarray) -> np.ndarray:
    """(T,) each column's median over its finite values, for its NaNs (0 for an all-NaN column)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column: its median is NaN, filled by 0
        return np.nan_to_num(np.nanmedian(np.where(np.isfinite(stats), stats, np.nan), axis=0))


def _check(stats: np.ndarray, labels: np.ndarray, names: Sequence[str], trees: int) -> None:
    if stats.ndim != 2 or stats.shape[0] != labels.size:
        raise ConfigError(f"ABC-RF needs a (rows, statistics) table with one label per row; got {stats.shape} "
                          f"and {labels.size} labels.")
    if labels.size and (labels.min() < 0 or labels.max() >= len(names)):
        raise ConfigError(f"ABC-RF labels must lie in [0, {len(names) - 1}].")
    if len(np.unique(labels)) < 2:
        raise ConfigError("ABC-RF needs rows from at least two hypotheses.")
    if trees < 40:
        raise ConfigError(f"The 'model_choice.trees' parameter must be an int in [40, 100000]. Got {trees} instead.")


def fit_forest(stats: np.ndarray, labels: np.ndarray, names: Sequence[str], *, trees: int = 500,
               regression_trees: int = 1000, lda: bool = True, seed: int = 0, workers: int = 1) -> ChoiceForest:
    """Fit ABC-RF model choice to a reference table.

    Parameters
    ----------
    stats : (N, T) array
        Each row's statistics (NaN: not computable).
    labels : (N,) int array
        Each row's hypothesis, an index into `names`.
    names : sequence of str
        The hypotheses (M).
    trees, regression_trees : int
        Trees of the classification forest (abcrf: 500) and of the posterior-probability
        regression forest (abcrf's predict: 1000).
    lda : bool
        Append the LDA axes to the statistics (abcrf's default).
    seed : int
        Root of the forests' random streams (SeedSequence).
    workers : int
        Threads growing the trees; the result does not depend on it.
    """
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    stats, labels = _bounded(stats), np.asarray(labels, np.int64)
    _check(stats, labels, names, trees)
    missing = ~np.isfinite(stats)
    fill = _fill(stats)
    features = Features(fill, missing.any(axis=0), None)
    if lda:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # collinear statistics: the SVD solver copes
            features = Features(fill, features.flagged, LinearDiscriminantAnalysis().fit(features(stats), labels))
    x = features(stats)
    a, b = np.random.SeedSequence(seed).generate_state(2)
    sample = min(MAX_SAMPLE, len(labels))
    clf = RandomForestClassifier(n_estimators=trees, max_features="sqrt", max_samples=sample, random_state=int(a),
                                 n_jobs=workers).fit(x, labels)
    votes, curve = _oob(clf, x, labels, len(names))
    wrong = (np.argmax(votes, axis=1) != labels).astype(float)
    reg = RandomForestRegressor(n_estimators=regression_trees, max_features="sqrt", min_samples_split=6,
                                max_samples=sample, oob_score=True, random_state=int(b), n_jobs=workers).fit(x, wrong)
    return ChoiceForest(tuple(names), labels, features, clf, reg, votes, curve)


def _oob(clf, x: np.ndarray, labels: np.ndarray, m: int) -> tuple[np.ndarray, pd.DataFrame]:
    """OOB vote shares (N, M) of the whole forest, and the OOB error at err.abcrf's forest sizes."""
    n, trees = x.shape[0], len(clf.estimators_)
    sizes = np.unique(np.floor(np.linspace(40, trees, _CURVE_POINTS)).astype(int))
    counts, rows, curve = np.zeros((n, m)), np.arange(n), []
    for t, (tree, inbag) in enumerate(zip(clf.estimators_, clf.estimators_samples_), start=1):
        out = np.ones(n, bool)
        out[inbag] = False
        np.add.at(counts, (rows[out], tree.predict(x[out]).astype(np.int64)), 1.0)
        if t in sizes:
            seen = counts.sum(axis=1) > 0
            curve.append({"trees": t, "error": float((np.argmax(counts[seen], axis=1) != labels[seen]).mean())})
    total = counts.sum(axis=1, keepdims=True)
    return counts / np.maximum(total, 1), pd.DataFrame(curve)


def group_labels(labels: np.ndarray, names: Sequence[str], groups: Mapping[str, Sequence[str]]
                 ) -> tuple[np.ndarray, list[str], np.ndarray]:
    """A grouped question (abcrf's `group`): each row's group index, the group names, and the
    mask of rows kept (rows of hypotheses in no group are dropped, as abcrf does). A hypothesis
    in two groups, or a group naming an unknown hypothesis, is a ConfigError."""
    where = {}
    for g, members in groups.items():
        for h in members:
            if h not in names:
                raise ConfigError(f"The 'model_choice.groups.{g}' entry names unknown hypothesis {h!r}; "
                                  f"allowed: {list(names)}.")
            if h in where:
                raise ConfigError(f"Hypothesis {h!r} is in two groups of model_choice.groups ({where[h]}, {g}).")
            where[h] = g
    if len(groups) < 2:
        raise ConfigError(f"A grouped question needs at least two groups; got {list(groups)}.")
    order = list(groups)
    of_model = np.array([order.index(where[h]) if h in where else -1 for h in names])
    grouped = of_model[np.asarray(labels, np.int64)]
    keep = grouped >= 0
    return grouped[keep], order, keep


def floor(stats: np.ndarray, labels: np.ndarray, *, seed: int = 0, folds: int = 5,
          query: np.ndarray | None = None) -> dict:
    """What error the statistics allow at all: the cross-validated error of a strong learner
    (gradient-boosted trees, an upper estimate), and the 1-nearest-neighbour leave-one-out
    error with its Cover–Hart bound on the Bayes error, (M-1)/M (1 - sqrt(1 - M/(M-1) R_1NN))
    (Cover & Hart 1967, IEEE Trans Inf Theory 13:21). The bound is asymptotic in the rows: on
    raw statistics with uninformative ones a finite table's 1-NN error overstates the limit
    (in tests/test_forest.py's toy the "bound" came out above the Bayes error), so the 1-NN
    runs on the LDA axes, where the class information sits in M-1 dimensions. Statistics are
    imputed and standardised as the forest's are; each error comes with its binomial SE. With
    `query` (Q, T), the boosted trees' class probabilities there, averaged over the folds'
    models (``query_probabilities``, (Q, M)): a second learner's answer."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold
    from sklearn.neighbors import NearestNeighbors

    stats, labels = _bounded(stats), np.asarray(labels, np.int64)
    n, m = labels.size, int(labels.max()) + 1
    fill = _fill(stats)
    x = np.where(np.isfinite(stats), stats, fill[None, :])
    mean, sd = x.mean(axis=0), np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    z = (x - mean) / sd
    smallest = np.bincount(labels).min()
    k = max(2, min(folds, int(smallest)))
    split = StratifiedKFold(k, shuffle=True, random_state=int(np.random.SeedSequence(seed).generate_state(1)[0]))
    held, at_query = np.empty(n, np.int64), []
    for train, test in split.split(z, labels):
        boosted = HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0)
        boosted.fit(z[train], labels[train])
        held[test] = boosted.classes_[np.argmax(boosted.predict_proba(z[test]), axis=1)]
        if query is not None:
            q = np.asarray(query, float)
            proba = np.zeros((q.shape[0], m))
            proba[:, boosted.classes_] = boosted.predict_proba((np.where(np.isfinite(q), q, fill[None, :]) - mean) / sd)
            at_query.append(proba)
    strong = float((held != labels).mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # collinear statistics: the SVD solver copes
        axes = LinearDiscriminantAnalysis().fit(z, labels).transform(z)
    _, idx = NearestNeighbors(n_neighbors=2).fit(axes).kneighbors(axes)
    nn = float((labels[idx[:, 1]] != labels).mean())
    c = m / (m - 1)
    bound = (1 / c) * (1 - np.sqrt(max(0.0, 1 - c * nn)))
    se = lambda e: float(np.sqrt(e * (1 - e) / n))  # noqa: E731
    out = {"boosting_error": strong, "boosting_error_se": se(strong), "nn_error": nn, "nn_error_se": se(nn),
           "bayes_lower": float(bound), "folds": k}
    if query is not None:
        out["query_probabilities"] = np.mean(at_query, axis=0)
    return out
