"""Bayesian judge calibration: true rates per model x region x metric from judge verdicts and a
few human labels, fitted as one vectorised PyMC model on sufficient statistics.

The model (binary metrics; see DESIGN.md) for cell c = (model m, region r, metric k) and judge j:

- true rate, regions partially pooled::

      logit theta[m, r, k] ~ Normal(mu[m, k], sigma[m, k])

- judge error rates, partially pooled across models under test. Sensitivity and specificity are
  read off a three-way split of probability mass into a false-negative share, a false-positive
  share and the informative share J = Se + Sp - 1 (Youden's J)::

      (1 - Se, 1 - Sp, J) = softmax(eta_fn, eta_fp, 0)
      eta_fn[j, m, k] ~ Normal(a_fn[j, k], tau_fn[j, k])   (same form for eta_fp)

  so J > 0, i.e. Se + Sp > 1, holds for every parameter value: the "judge better than chance"
  identifiability condition is a constraint of the parameter space, not only a prior preference.
  The mapping is smooth everywhere, so NUTS never meets a wall (a ``pm.Potential`` returning
  -inf past Se + Sp = 1 would cause divergences there), and it is symmetric in Se and Sp, unlike
  ``Sp = 1 - Se + Se * s``. With eta_fn = eta_fp = -1.5 the judge has Se = Sp = 0.85.

- likelihood on counts with q = theta * Se + (1 - theta) * (1 - Sp)::

      J  ~ Binomial(T,  q)                                  all judged traces of the cell
      H1 ~ Binomial(L1, theta * Se / q)                     labelled, judged positive
      H0 ~ Binomial(L0, theta * (1 - Se) / (1 - q))         labelled, judged negative
      Y  ~ Binomial(N,  theta)                              labelled, not judged on the metric

  All probabilities are handled as log-odds built from log-probabilities, so no ratio can leave
  [0, 1] through rounding.

- sampling coordinates: logit theta and eta_fn, eta_fp are sampled as standardised offsets from
  where the evidence puts them (``_data_centred_normal``): centred on the data where counts are
  large, non-centred where they are thin. An exact change of variables, so the posterior is the
  model above; it keeps the fit's cost flat in trace volume (bench/bench_fit.py: 1000 times the
  demo's traces fit in about the demo's time, where the non-centred form took 4 times as long
  at 100 times and stopped converging at paper scale).

A model without any human label on a metric: its judged rates cannot tell its true rates from
its judge error rates, and in NUTS such a (model, metric) made the joint fit diverge (walls in
the error rates where a region's true rate runs to 0 or 1). Its cells are left out of the
sampled model and drawn afterwards, for each posterior draw of the judge's population error
rates, by importance resampling: error rates proposed from the judge-by-model effect
Normal(a, tau), weighted by how well they fit the model's judged counts (fpr below and tpr above
each region's judged rate, with sampling error), and each region's true rate from its exact
conditional given the chosen error rates (``_resample_unlabelled``). So such a model borrows the
population's judge error, restricted to what its own verdicts allow, and gets correspondingly
wide intervals; its verdicts do not feed back into the labelled models' posterior.

Several judges: the true-rate model uses one primary judge per metric (``primary_judge``, or by
default the judge with the most verdicts on the metric). A non-primary judge is calibrated only on
its human-labelled pairs, conditionally on the human label (judge positive | human positive ~
Binomial(Se), judge negative | human negative ~ Binomial(Sp)); its verdicts do not enter theta, so
no human label is counted twice. Human-labelled traces that appear only under a non-primary judge
(not judged by the primary judge, hence not in the pure-human rows either) do not inform theta.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field, replace

import arviz as az
import numpy as np
import pandas as pd

COUNTS_COLUMNS = (
    "model_id",
    "region",
    "metric",
    "judge_id",
    "is_judge_positive",
    "is_human_positive",
    "n_traces",
)
MODELS_COLUMNS = ("model_id", "model_role")
MODEL_ROLES = ("incumbent", "candidate")
SAMPLERS = ("pymc", "nutpie")
DRAWS_LONG_COLUMNS = (
    "run_id",
    "quantity",
    "model_id",
    "region",
    "metric",
    "judge_id",
    "chain",
    "draw",
    "value",
    "sampler",
    "fit_seconds",
)
# Part of the run id: bump when a change to the model changes its posterior for the same data.
MODEL_VERSION = "4"

_log = logging.getLogger(__name__)

_CELL_KEYS = ["model_id", "region", "metric"]
_CELL_COUNT_COLUMNS = [
    "n_judged",
    "n_judged_positive",
    "n_labeled_judged_positive",
    "n_human_positive_judged_positive",
    "n_labeled_judged_negative",
    "n_human_positive_judged_negative",
    "n_labeled_unjudged",
    "n_human_positive_unjudged",
]


@dataclass(frozen=True)
class CalibrationConfig:
    """Priors and sampler settings of the judge-calibration model.

    Every field can be overridden, e.g. ``CalibrationConfig(draws=1000, sampler="nutpie")``.

    Attributes
    ----------
    mu_sd : float
        Scale of ``mu[m, k] ~ Normal(0, mu_sd)``, the model-level true rate on the logit scale.
        1.5 keeps most mass on rates between 5% and 95% without ruling out extremes.
    sigma_region_scale : float
        Scale of ``sigma[m, k] ~ HalfNormal(sigma_region_scale)``, the spread of regions around a
        model's rate on the logit scale. 0.75 lets regions differ by several points of rate but
        pulls thinly evaluated regions towards the model's overall rate.
    judge_error_mean, judge_error_sd : float
        ``a_fn[j, k], a_fp[j, k] ~ Normal(judge_error_mean, judge_error_sd)``: the log-ratio of a
        false-negative (false-positive) share to the informative share J. -1.5 corresponds to a
        judge with Se = Sp = 0.85, so the prior weakly favours a useful judge; sd 1 still allows
        error rates from about 3% to 45%.
    judge_model_scale : float
        Scale of ``tau[j, k] ~ HalfNormal(judge_model_scale)``, how much a judge's error rates
        differ between the models it scores (leniency towards a model of its own family).
    draws, tune, chains : int
        NUTS draws kept and tuning steps per chain, number of chains.
    target_accept : float
        NUTS target acceptance rate.
    retry_target_accept : float or None
        When a fit has any divergent transition, it is sampled once more, from the start, with
        this higher target acceptance (smaller steps), and the second fit is kept; None never
        retries. A divergence marks a fit untrusted, so without the retry an occasional
        divergence fails every gate closed. Measured on simulated problems with the build's
        settings (4 chains x 1000 + 1000): 2, 14 and 6 divergences at 0.9 went to 0 at 0.99, at
        1.4 to 1.8 times the sampling time; fits without divergences are not resampled.
    random_seed : int
        Seed of the sampler; the same seed and data give identical draws.
    sampler : {"pymc", "nutpie"}
        NUTS implementation. ``"pymc"`` is the default: measured faster end to end on the demo
        problem once PyTensor's compile cache is warm (bench/bench_fit.py), while nutpie
        recompiles with numba on every run.
    cores : int or None
        Parallel chains. None means ``min(chains, os.cpu_count())``.
    mp_ctx : str
        Start method of PyMC's chain workers. "fork" starts workers in well under a second;
        "spawn" re-imports PyMC in each worker (measured 7 s vs 24 s for the demo fit).
    unlabelled_proposals : int
        Judge error rates proposed per posterior draw for a model without human labels on a
        metric, which is drawn by importance resampling instead of NUTS (see
        :func:`_resample_unlabelled`).
    """

    mu_sd: float = 1.5
    sigma_region_scale: float = 0.75
    judge_error_mean: float = -1.5
    judge_error_sd: float = 1.0
    judge_model_scale: float = 0.75
    draws: int = 500
    tune: int = 500
    chains: int = 4
    target_accept: float = 0.9
    retry_target_accept: float | None = 0.99
    random_seed: int = 20261122
    sampler: str = "pymc"
    cores: int | None = None
    mp_ctx: str = "fork"
    unlabelled_proposals: int = 128

    def problems(self) -> list[str]:
        """Return every invalid setting, as messages (empty when the config is valid)."""
        found = []
        for name in ("mu_sd", "sigma_region_scale", "judge_error_sd", "judge_model_scale"):
            if not getattr(self, name) > 0:
                found.append(f"config.{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("draws", "chains"):
            if int(getattr(self, name)) < 1:
                found.append(f"config.{name} must be >= 1, got {getattr(self, name)!r}")
        if int(self.tune) < 0:
            found.append(f"config.tune must be >= 0, got {self.tune!r}")
        if not 0 < self.target_accept < 1:
            found.append(f"config.target_accept must be in (0, 1), got {self.target_accept!r}")
        if self.retry_target_accept is not None and not (
            self.target_accept < self.retry_target_accept < 1
        ):
            found.append(
                "config.retry_target_accept must be None or between target_accept "
                f"({self.target_accept!r}) and 1, got {self.retry_target_accept!r}"
            )
        if self.sampler not in SAMPLERS:
            found.append(f"config.sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        if int(self.unlabelled_proposals) < 2:
            found.append(
                f"config.unlabelled_proposals must be >= 2, got {self.unlabelled_proposals!r}"
            )
        if self.cores is not None and int(self.cores) < 1:
            found.append(f"config.cores must be >= 1 or None, got {self.cores!r}")
        return found


@dataclass
class CalibrationFit:
    """Result of :func:`fit_calibration_model`.

    Attributes
    ----------
    idata : arviz.InferenceData
        Posterior with named dims ``model``, ``region``, ``metric``, ``judge``; ``theta``,
        ``sensitivity`` and ``specificity`` are dense over their dims, including combinations
        without data (prior-driven); ``cells`` and ``calibration_index`` say which are observed.
    cells : pandas.DataFrame
        One row per (model_id, region, metric) present in the counts, with the primary judge and
        the counts the likelihood used (see :func:`cell_evidence`).
    calibration_index : pandas.DataFrame
        One row per (judge_id, model_id, metric) that the judge scored, with ``is_primary``.
    primary_judge : dict
        metric -> primary judge id (metrics without any judge are absent).
    fit_seconds : float
        Wall-clock seconds to build, compile and sample the model.
    sampler : str
        NUTS implementation used.
    config : CalibrationConfig
        Settings of the fit.
    target_accept : float
        Target acceptance rate of the kept draws: ``config.target_accept``, or
        ``config.retry_target_accept`` when the first fit diverged and was sampled again.
    first_fit_divergences : int
        Divergent transitions of the first fit (the kept draws' own count is in ``idata``).
    """

    idata: az.InferenceData
    cells: pd.DataFrame
    calibration_index: pd.DataFrame
    primary_judge: dict
    fit_seconds: float
    sampler: str
    target_accept: float
    first_fit_divergences: int
    config: CalibrationConfig = field(default_factory=CalibrationConfig)
    unlabelled_quality: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Input normalisation and validation
# ---------------------------------------------------------------------------------------------


def _as_optional_str(series: pd.Series) -> pd.Series:
    """Strings with None for every kind of missing value (None, NaN, pd.NA)."""
    values = series.astype(object)
    return pd.Series(
        [None if pd.isna(v) else str(v) for v in values], index=series.index, dtype=object
    )


def _as_optional_bool(series: pd.Series, name: str, problems: list[str]) -> pd.Series:
    """True/False/None from bool, nullable boolean, 0/1 or missing values."""
    out = []
    bad = set()
    for v in series.astype(object):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            out.append(None)
        elif isinstance(v, (bool, np.bool_)):
            out.append(bool(v))
        elif isinstance(v, (int, float, np.integer, np.floating)) and v in (0, 1):
            out.append(bool(v))
        else:
            bad.add(repr(v))
    if bad:
        problems.append(f"counts.{name} must be boolean or missing; found {sorted(bad)[:5]}")
    return pd.Series(out if not bad else [None] * len(series), index=series.index, dtype=object)


def _normalise_counts(counts: pd.DataFrame, problems: list[str]) -> pd.DataFrame | None:
    if not isinstance(counts, pd.DataFrame):
        problems.append(f"counts must be a pandas DataFrame, got {type(counts).__name__}")
        return None
    missing = [c for c in COUNTS_COLUMNS if c not in counts.columns]
    if missing:
        problems.append(f"counts is missing columns {missing}")
        return None
    if len(counts) == 0:
        problems.append("counts is empty: nothing to fit")
        return None
    out = pd.DataFrame(index=pd.RangeIndex(len(counts)))
    raw = counts.reset_index(drop=True)
    for name in ("model_id", "region", "metric", "judge_id"):
        out[name] = _as_optional_str(raw[name])
    for name in ("model_id", "region", "metric"):
        n_null = int(out[name].isna().sum())
        if n_null:
            problems.append(f"counts.{name} has {n_null} missing value(s)")
    out["is_judge_positive"] = _as_optional_bool(
        raw["is_judge_positive"], "is_judge_positive", problems
    )
    out["is_human_positive"] = _as_optional_bool(
        raw["is_human_positive"], "is_human_positive", problems
    )
    mismatch = int((out["judge_id"].isna() != out["is_judge_positive"].isna()).sum())
    if mismatch:
        problems.append(
            f"counts has {mismatch} row(s) where exactly one of judge_id and is_judge_positive "
            "is missing (a judged row needs both, an unjudged row neither)"
        )
    n = pd.to_numeric(raw["n_traces"].astype(object), errors="coerce").astype(float)
    if n.isna().any():
        problems.append(f"counts.n_traces has {int(n.isna().sum())} missing or non-numeric values")
    if (n < 0).any():
        problems.append(f"counts.n_traces has {int((n < 0).sum())} negative value(s)")
    if (n.notna() & (n != np.round(n))).any():
        problems.append("counts.n_traces must hold whole numbers")
    out["n_traces"] = n.fillna(0).clip(lower=0).round().astype(np.int64)
    return out


def _normalise_models(models: pd.DataFrame, problems: list[str]) -> pd.DataFrame | None:
    if not isinstance(models, pd.DataFrame):
        problems.append(f"models must be a pandas DataFrame, got {type(models).__name__}")
        return None
    missing = [c for c in MODELS_COLUMNS if c not in models.columns]
    if missing:
        problems.append(f"models is missing columns {missing}")
        return None
    out = pd.DataFrame(
        {
            "model_id": _as_optional_str(models["model_id"].reset_index(drop=True)),
            "model_role": _as_optional_str(models["model_role"].reset_index(drop=True)),
        }
    )
    if out["model_id"].isna().any():
        problems.append("models.model_id has missing values")
    dupes = sorted(out.loc[out["model_id"].duplicated(), "model_id"].dropna().unique())
    if dupes:
        problems.append(f"models.model_id is not unique: {dupes}")
    unknown = sorted({str(r) for r in out["model_role"] if r not in MODEL_ROLES})
    if unknown:
        problems.append(f"models.model_role has unknown roles {unknown}; expected {MODEL_ROLES}")
    n_incumbents = int((out["model_role"] == "incumbent").sum())
    if n_incumbents == 0:
        problems.append("models has no incumbent (exactly one model_role = 'incumbent' needed)")
    elif n_incumbents > 1:
        ids = sorted(out.loc[out["model_role"] == "incumbent", "model_id"].dropna())
        problems.append(f"models has {n_incumbents} incumbents {ids}; exactly one is needed")
    return out


def resolve_primary_judges(counts: pd.DataFrame, primary_judge: dict | None = None) -> dict:
    """Primary judge per metric: the given mapping, else the judge with the most verdicts.

    Parameters
    ----------
    counts : pandas.DataFrame
        Sufficient statistics (see :func:`fit_calibration_model`).
    primary_judge : dict, optional
        metric -> judge_id overrides; metrics not in it fall back to the default rule.

    Returns
    -------
    dict
        metric -> judge_id for every metric that has at least one judged row. Ties in the number
        of verdicts go to the alphabetically first judge, so the choice is deterministic.
    """
    problems: list[str] = []
    rows = _normalise_counts(counts, problems)
    primary = _resolve_primary(rows, primary_judge, problems) if rows is not None else {}
    if problems:
        raise ValueError("invalid counts or primary_judge:\n- " + "\n- ".join(problems))
    return primary


def _resolve_primary(rows: pd.DataFrame, primary_judge: dict | None, problems: list[str]) -> dict:
    judged = rows[rows["judge_id"].notna()]
    verdicts = (
        judged.groupby(["metric", "judge_id"], sort=True)["n_traces"]
        .sum()
        .reset_index()
        .sort_values(["metric", "n_traces", "judge_id"], ascending=[True, False, True])
    )
    chosen = verdicts.drop_duplicates("metric").set_index("metric")["judge_id"].to_dict()
    for metric, judge in (primary_judge or {}).items():
        available = set(verdicts.loc[verdicts["metric"] == metric, "judge_id"])
        if judge not in available:
            problems.append(
                f"primary_judge[{metric!r}] = {judge!r} has no verdicts on that metric "
                f"(judges present: {sorted(available)})"
            )
        else:
            chosen[metric] = judge
    return {str(k): str(v) for k, v in sorted(chosen.items())}


def _validate(
    counts: pd.DataFrame,
    models: pd.DataFrame,
    config: CalibrationConfig,
    primary_judge: dict | None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    problems: list[str] = []
    if not isinstance(config, CalibrationConfig):
        problems.append(f"config must be a CalibrationConfig, got {type(config).__name__}")
    else:
        problems.extend(config.problems())
    rows = _normalise_counts(counts, problems)
    roles = _normalise_models(models, problems)
    primary: dict = {}
    if rows is not None and roles is not None:
        unknown = sorted(set(rows["model_id"].dropna()) - set(roles["model_id"].dropna()))
        if unknown:
            problems.append(f"counts has model_id(s) not in models: {unknown}")
        incumbents = roles.loc[roles["model_role"] == "incumbent", "model_id"]
        if len(incumbents) == 1 and incumbents.iloc[0] not in set(rows["model_id"]):
            problems.append(f"the incumbent {incumbents.iloc[0]!r} has no rows in counts")
    if rows is not None:
        primary = _resolve_primary(rows, primary_judge, problems)
    if problems:
        raise ValueError(
            f"cannot fit the calibration model, {len(problems)} problem(s):\n- "
            + "\n- ".join(problems)
        )
    return rows, roles, primary


# ---------------------------------------------------------------------------------------------
# Sufficient statistics per cell
# ---------------------------------------------------------------------------------------------


def _cell_evidence(rows: pd.DataFrame, primary: dict) -> pd.DataFrame:
    n = rows["n_traces"].to_numpy()
    judge = rows["judge_id"]
    is_primary = (judge.notna() & (judge == rows["metric"].map(primary))).to_numpy(dtype=bool)
    unjudged = judge.isna().to_numpy(dtype=bool)
    jpos = (rows["is_judge_positive"] == True).to_numpy(dtype=bool)  # noqa: E712
    labeled = rows["is_human_positive"].notna().to_numpy(dtype=bool)
    hpos = (rows["is_human_positive"] == True).to_numpy(dtype=bool)  # noqa: E712
    parts = {
        "n_judged": is_primary,
        "n_judged_positive": is_primary & jpos,
        "n_labeled_judged_positive": is_primary & jpos & labeled,
        "n_human_positive_judged_positive": is_primary & jpos & hpos,
        "n_labeled_judged_negative": is_primary & ~jpos & labeled,
        "n_human_positive_judged_negative": is_primary & ~jpos & hpos,
        "n_labeled_unjudged": unjudged & labeled,
        "n_human_positive_unjudged": unjudged & hpos,
    }
    frame = rows[_CELL_KEYS].copy()
    for name, mask in parts.items():
        frame[name] = np.where(mask, n, 0)
    cells = frame.groupby(_CELL_KEYS, sort=True, as_index=False)[_CELL_COUNT_COLUMNS].sum()
    cells.insert(3, "judge_id", pd.Series([primary.get(k) for k in cells["metric"]], dtype=object))
    return cells


def cell_evidence(counts: pd.DataFrame, primary_judge: dict | None = None) -> pd.DataFrame:
    """Per-cell counts the true-rate likelihood uses.

    Parameters
    ----------
    counts : pandas.DataFrame
        Sufficient statistics (see :func:`fit_calibration_model`).
    primary_judge : dict, optional
        metric -> judge_id; default: the judge with the most verdicts on the metric.

    Returns
    -------
    pandas.DataFrame
        One row per (model_id, region, metric) in counts, sorted, with ``judge_id`` (the primary
        judge, None if the metric has no judge), ``n_judged`` (T), ``n_judged_positive`` (J),
        ``n_labeled_judged_positive`` (L1), ``n_human_positive_judged_positive`` (H1),
        ``n_labeled_judged_negative`` (L0), ``n_human_positive_judged_negative`` (H0),
        ``n_labeled_unjudged`` and ``n_human_positive_unjudged`` (pure human evidence).
    """
    problems: list[str] = []
    rows = _normalise_counts(counts, problems)
    primary = _resolve_primary(rows, primary_judge, problems) if rows is not None else {}
    if problems:
        raise ValueError("invalid counts:\n- " + "\n- ".join(problems))
    return _cell_evidence(rows, primary)


def _calibration_pairs(rows: pd.DataFrame, primary: dict) -> pd.DataFrame:
    """Human-labelled pairs per (judge, model, metric), pooled over regions."""
    judged = rows[rows["judge_id"].notna()].copy()
    labeled = judged["is_human_positive"].notna()
    hpos = judged["is_human_positive"] == True  # noqa: E712
    jpos = judged["is_judge_positive"] == True  # noqa: E712
    n = judged["n_traces"]
    judged["n_human_positive"] = np.where(labeled & hpos, n, 0)
    judged["n_judge_positive_human_positive"] = np.where(labeled & hpos & jpos, n, 0)
    judged["n_human_negative"] = np.where(labeled & ~hpos, n, 0)
    judged["n_judge_negative_human_negative"] = np.where(labeled & ~hpos & ~jpos, n, 0)
    keys = ["judge_id", "model_id", "metric"]
    pairs = judged.groupby(keys, sort=True, as_index=False)[
        [
            "n_human_positive",
            "n_judge_positive_human_positive",
            "n_human_negative",
            "n_judge_negative_human_negative",
        ]
    ].sum()
    pairs["is_primary"] = [
        primary.get(k) == j for j, k in zip(pairs["judge_id"], pairs["metric"], strict=True)
    ]
    return pairs


# ---------------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------------


def _index(values: pd.Series, levels: list) -> np.ndarray:
    lookup = {v: i for i, v in enumerate(levels)}
    return np.array([lookup[v] for v in values], dtype=np.int64)


def _judge_error_evidence(pairs: pd.DataFrame, judges: list, models: list, metrics: list) -> dict:
    """What the labelled pairs say about eta_fn and eta_fp per (judge, model, metric).

    From the softmax, eta_fn = log(1 - Se) - log J and eta_fp = log(1 - Sp) - log J; the
    empirical error rates (with half a count added) give the centre, and the binomial Fisher
    information n r (1 - r) of each error rate r its precision on that scale. Used only to
    place the sampler's coordinates (see :func:`_data_centred_normal`), never as likelihood.
    """
    shape = (len(judges), len(models), len(metrics))
    totals = {name: np.zeros(shape) for name in ("pos", "fn", "neg", "fp")}
    if len(pairs):
        index = (
            _index(pairs["judge_id"], judges),
            _index(pairs["model_id"], models),
            _index(pairs["metric"], metrics),
        )
        n_pos = pairs["n_human_positive"].to_numpy(dtype=float)
        n_neg = pairs["n_human_negative"].to_numpy(dtype=float)
        np.add.at(totals["pos"], index, n_pos)
        np.add.at(totals["fn"], index, n_pos - pairs["n_judge_positive_human_positive"])
        np.add.at(totals["neg"], index, n_neg)
        np.add.at(totals["fp"], index, n_neg - pairs["n_judge_negative_human_negative"])
    fnr = (totals["fn"] + 0.5) / (totals["pos"] + 1.0)
    fpr = (totals["fp"] + 0.5) / (totals["neg"] + 1.0)
    log_j = np.log(np.maximum(1.0 - fnr - fpr, 0.05))
    return {
        "fn": (totals["pos"] * fnr * (1.0 - fnr), np.log(fnr) - log_j),
        "fp": (totals["neg"] * fpr * (1.0 - fpr), np.log(fpr) - log_j),
    }


def _data_centred_normal(name, mean, sd, weighted_evidence, evidence_precision, dims):
    """``x ~ Normal(mean, sd)`` sampled as a standardised offset from where the evidence puts x.

    Hierarchical effects measured by a lot of data mix badly in the usual non-centred form
    ``mean + sd * z`` (the data pin the sum, leaving a ridge between the group parameters and
    z), and a centred form mixes badly where data are thin (a funnel in sd). Given a Gaussian
    approximation of what the data say about x, precision ``evidence_precision`` (0 where there
    is none) and ``weighted_evidence`` = precision x its centre, x is sampled as

        x = c + offset / sqrt(p),   p = evidence_precision + 1 / sd^2,
        c = (weighted_evidence + mean / sd^2) / p,

    the approximate conditional posterior of x, so ``offset`` stays close to a standard normal
    whether the evidence is strong (centred on the data) or absent (the non-centred
    ``mean + sd * offset``). It is an exact change of variables: the Normal prior and the
    log-Jacobian -log(p) / 2 enter as a potential, so the posterior is the model's own; only the
    geometry NUTS sees changes. The approximation may depend on other parameters (it does for
    theta) as long as it does not depend on the offset itself.
    """
    import pymc as pm
    import pytensor.tensor as pt

    offset = pm.Flat(f"{name}_offset", dims=dims)
    prior_precision = 1.0 / pt.sqr(sd)
    precision = evidence_precision + prior_precision
    x = (weighted_evidence + prior_precision * mean) / precision + offset / pt.sqrt(precision)
    pm.Potential(
        f"{name}_prior",
        pm.logp(pm.Normal.dist(mean, sd), x).sum() - 0.5 * pt.log(precision).sum(),
    )
    return x


def _theta_logits(mu, sigma, false_positive_rate, youden_j, grid: dict, shape: tuple):
    """logit theta[m, r, k] ~ Normal(mu[m, k], sigma[m, k]), sampled in data-scaled coordinates.

    With many judged traces a cell's judge-positive rate q = fpr + theta * J is pinned to a
    fraction of a point, so theta is a near-deterministic function of the judge's error rates:
    in non-centred coordinates (z, Se, Sp) the posterior is a thin curved ridge, NUTS needs a
    tiny step and deep trees, and the fit slows down and stops mixing as traffic grows (measured
    in bench/bench_fit.py). Here the evidence handed to :func:`_data_centred_normal` is the rate
    the judged traces imply *given the current error rates*, theta_traces = (q_hat - fpr) / J,
    with its Fisher information on the logit scale p_traces = T (J theta (1 - theta))^2 /
    (q_hat (1 - q_hat)), plus the labelled share of positives with p_labels = N theta (1 - theta).
    The offset then moves along the ridge with Se and Sp instead of across it.
    """
    import pytensor.tensor as pt

    n_model, n_region, n_metric = shape
    mu_g = pt.broadcast_to(mu[:, None, :], shape)
    sigma_g = pt.broadcast_to(sigma[:, None, :], shape)

    n, k = grid["n_judged"], grid["n_judged_positive"]
    q_hat = (k + 0.5) / (n + 1.0)
    # theta_traces = (q_hat - fpr) / (tpr - q_hat + q_hat - fpr), with both distances passed
    # through a softplus at the scale of q_hat's sampling error: it stays in (0, 1) and smooth
    # when the current error rates put q_hat outside (fpr, tpr), where the traces say little
    # about theta and p_traces fades out.
    scale = pt.sqrt(q_hat * (1.0 - q_hat) / (n + 1.0))

    def log_soft_distance(x):
        # below -30 scales the traces carry no weight (p_traces < 1e-26); the floor keeps log finite
        return pt.log(scale) + pt.log(pt.softplus(pt.maximum(x / scale, -30.0)))

    log_below = log_soft_distance(q_hat - false_positive_rate)
    log_above = log_soft_distance(false_positive_rate + youden_j - q_hat)
    log_total = pt.logaddexp(log_below, log_above)
    logit_theta_t = log_below - log_above
    theta_t_var = pt.exp(log_below + log_above - 2.0 * log_total)  # theta_t * (1 - theta_t)
    p_traces = n * pt.sqr(youden_j * theta_t_var) / (q_hat * (1.0 - q_hat))
    n_l, h = grid["n_labeled"], grid["n_human_positive"]
    theta_l = (h + 0.5) / (n_l + 1.0)
    p_labels = n_l * theta_l * (1.0 - theta_l)
    eta = _data_centred_normal(
        "theta",
        mu_g,
        sigma_g,
        (p_traces * logit_theta_t + p_labels * pt.log(theta_l / (1.0 - theta_l))).reshape(shape),
        (p_traces + p_labels).reshape(shape),
        ("model", "region", "metric"),
    )
    return eta


def build_calibration_model(
    cells: pd.DataFrame,
    pairs: pd.DataFrame,
    config: CalibrationConfig | None = None,
    levels: dict | None = None,
):
    """Build the PyMC model from per-cell evidence and judge calibration pairs.

    Parameters
    ----------
    cells : pandas.DataFrame
        Output of :func:`cell_evidence`.
    pairs : pandas.DataFrame
        Human-labelled pairs per (judge_id, model_id, metric) with ``is_primary``; only
        non-primary rows enter the likelihood (primary judges' pairs are already in ``cells``).
    config : CalibrationConfig, optional
        Priors.

    Returns
    -------
    pymc.Model
        Counts enter through ``pm.Data`` so a refresh with new counts of the same shape reuses
        the compiled graph.
    """
    import pymc as pm
    import pytensor.tensor as pt

    config = config or CalibrationConfig()
    levels = levels or {}
    models = levels.get("model") or sorted(cells["model_id"].unique())
    regions = levels.get("region") or sorted(cells["region"].unique())
    metrics = levels.get("metric") or sorted(cells["metric"].unique())
    judges = sorted(pairs["judge_id"].unique())
    coords = {
        "model": models,
        "region": regions,
        "metric": metrics,
        "judge": judges,
        "cell": np.arange(len(cells)),
    }
    secondary = pairs[~pairs["is_primary"]].reset_index(drop=True)
    if len(secondary):
        coords["secondary_pair"] = np.arange(len(secondary))

    cm = _index(cells["model_id"], models)
    cr = _index(cells["region"], regions)
    ck = _index(cells["metric"], metrics)
    has_judge = cells["judge_id"].notna().to_numpy()
    # Metrics without any judge carry zero judged counts; any valid index keeps the graph whole.
    cj = np.where(
        has_judge, _index(cells["judge_id"].fillna(judges[0] if judges else ""), judges or [""]), 0
    )

    def counts(name):
        return cells[name].to_numpy(dtype=np.int64)

    n_model, n_region, n_metric = len(models), len(regions), len(metrics)
    # Per-(model, region, metric) evidence on the flattened theta grid, for the parametrisation
    # of theta below; grid points without a cell carry zeros.
    theta_flat = (cm * n_region + cr) * n_metric + ck
    grid = {}
    for name, columns in {
        "n_judged": ["n_judged"],
        "n_judged_positive": ["n_judged_positive"],
        "n_labeled": [
            "n_labeled_judged_positive",
            "n_labeled_judged_negative",
            "n_labeled_unjudged",
        ],
        "n_human_positive": [
            "n_human_positive_judged_positive",
            "n_human_positive_judged_negative",
            "n_human_positive_unjudged",
        ],
    }.items():
        values = np.zeros(n_model * n_region * n_metric)
        np.add.at(values, theta_flat, sum(counts(c) for c in columns).astype(float))
        grid[name] = values
    grid_judge = np.zeros(n_model * n_region * n_metric, dtype=np.int64)
    grid_judge[theta_flat] = (cj * n_model + cm) * n_metric + ck

    # Every parameter is valid by construction (softplus, softmax, logit scale), so the
    # distributions' parameter checks would only enlarge the graph PyTensor has to rewrite.
    with pm.Model(coords=coords, check_bounds=False) as model:
        mu = pm.Normal("mu", 0.0, config.mu_sd, dims=("model", "metric"))
        # One regional spread per model and metric, not one per metric: with a shared spread the
        # well-behaved models make it small and a candidate's single regressing region is pulled
        # back towards its average — exactly the regression the regional gate exists to catch.
        sigma = pm.HalfNormal("sigma_region", config.sigma_region_scale, dims=("model", "metric"))

        if judges:
            evidence = _judge_error_evidence(pairs, judges, models, metrics)
            eta_err = {}
            for kind in ("fn", "fp"):
                a = pm.Normal(
                    f"a_{kind}",
                    config.judge_error_mean,
                    config.judge_error_sd,
                    dims=("judge", "metric"),
                )
                tau = pm.HalfNormal(
                    f"tau_{kind}", config.judge_model_scale, dims=("judge", "metric")
                )
                precision, centre = evidence[kind]
                precision = pm.Data(f"judge_error_{kind}_precision", precision)
                eta_err[kind] = _data_centred_normal(
                    f"judge_error_{kind}",
                    pt.broadcast_to(a[:, None, :], precision.shape),
                    pt.broadcast_to(tau[:, None, :], precision.shape),
                    precision * pm.Data(f"judge_error_{kind}_centre", centre),
                    precision,
                    ("judge", "model", "metric"),
                )
            eta_fn, eta_fp = eta_err["fn"], eta_err["fp"]
            # (1 - Se, 1 - Sp, J) = softmax(eta_fn, eta_fp, 0)
            log_norm = pt.logsumexp(pt.stack([pt.zeros_like(eta_fn), eta_fn, eta_fp]), axis=0)
            grid_index = pm.Data("theta_judge_error_index", grid_judge)
            grid_fp = eta_fp.reshape((-1,))[grid_index]
            grid_norm = log_norm.reshape((-1,))[grid_index]
            false_positive_rate, youden_j = pt.exp(grid_fp - grid_norm), pt.exp(-grid_norm)
        else:
            false_positive_rate, youden_j = pt.zeros(n_model * n_region * n_metric), 1.0

        eta_theta = _theta_logits(
            mu,
            sigma,
            false_positive_rate,
            youden_j,
            {name: pm.Data(f"theta_{name}", values) for name, values in grid.items()},
            (n_model, n_region, n_metric),
        )
        pm.Deterministic("theta", pm.math.invlogit(eta_theta), dims=("model", "region", "metric"))

        # Gathers from flattened arrays compile to C (AdvancedSubtensor1); multi-axis fancy
        # indexing and its gradient run in Python and dominated the cost of a gradient. The
        # indices are data too, so the compiled code is reused when the cells change.
        theta_index = pm.Data("cell_theta_index", theta_flat, dims="cell")
        eta_c = eta_theta.reshape((-1,))[theta_index]
        pm.Binomial(
            "human_positive_unjudged",
            n=pm.Data("n_labeled_unjudged", counts("n_labeled_unjudged"), dims="cell"),
            logit_p=eta_c,
            observed=pm.Data(
                "n_human_positive_unjudged", counts("n_human_positive_unjudged"), dims="cell"
            ),
            dims="cell",
        )

        if judges:
            dims_jmk = ("judge", "model", "metric")
            pm.Deterministic("sensitivity", pt.exp(pt.softplus(eta_fp) - log_norm), dims=dims_jmk)
            pm.Deterministic("specificity", pt.exp(pt.softplus(eta_fn) - log_norm), dims=dims_jmk)

            # In every log-odds below the softmax normaliser cancels: log Se = softplus(eta_fp)
            # - norm, log(1 - Se) = eta_fn - norm, log Sp = softplus(eta_fn) - norm,
            # log(1 - Sp) = eta_fp - norm.
            flat_jmk = pm.Data(
                "cell_judge_error_index", (cj * n_model + cm) * n_metric + ck, dims="cell"
            )
            efn, efp = eta_fn.reshape((-1,))[flat_jmk], eta_fp.reshape((-1,))[flat_jmk]
            log_theta, log_1m_theta = -pt.softplus(-eta_c), -pt.softplus(eta_c)
            sp_fn, sp_fp = pt.softplus(efn), pt.softplus(efp)
            logit_q = pt.logaddexp(log_theta + sp_fp, log_1m_theta + efp) - pt.logaddexp(
                log_theta + efn, log_1m_theta + sp_fn
            )
            pm.Binomial(
                "judged_positive",
                n=pm.Data("n_judged", counts("n_judged"), dims="cell"),
                logit_p=logit_q,
                observed=pm.Data("n_judged_positive", counts("n_judged_positive"), dims="cell"),
                dims="cell",
            )
            pm.Binomial(  # P(human positive | judge positive) = theta Se / q
                "human_positive_judged_positive",
                n=pm.Data(
                    "n_labeled_judged_positive", counts("n_labeled_judged_positive"), dims="cell"
                ),
                logit_p=eta_c + sp_fp - efp,
                observed=pm.Data(
                    "n_human_positive_judged_positive",
                    counts("n_human_positive_judged_positive"),
                    dims="cell",
                ),
                dims="cell",
            )
            pm.Binomial(  # P(human positive | judge negative) = theta (1 - Se) / (1 - q)
                "human_positive_judged_negative",
                n=pm.Data(
                    "n_labeled_judged_negative", counts("n_labeled_judged_negative"), dims="cell"
                ),
                logit_p=eta_c + efn - sp_fn,
                observed=pm.Data(
                    "n_human_positive_judged_negative",
                    counts("n_human_positive_judged_negative"),
                    dims="cell",
                ),
                dims="cell",
            )

            if len(secondary):
                flat_pairs = pm.Data(
                    "secondary_pair_judge_error_index",
                    (
                        _index(secondary["judge_id"], judges) * n_model
                        + _index(secondary["model_id"], models)
                    )
                    * n_metric
                    + _index(secondary["metric"], metrics),
                    dims="secondary_pair",
                )
                sfn = eta_fn.reshape((-1,))[flat_pairs]
                sfp = eta_fp.reshape((-1,))[flat_pairs]

                def pair_counts(name):
                    return pm.Data(
                        name, secondary[name].to_numpy(dtype=np.int64), dims="secondary_pair"
                    )

                pm.Binomial(
                    "secondary_judge_positive_human_positive",
                    n=pair_counts("n_human_positive"),
                    logit_p=pt.softplus(sfp) - sfn,  # logit Se
                    observed=pair_counts("n_judge_positive_human_positive"),
                    dims="secondary_pair",
                )
                pm.Binomial(
                    "secondary_judge_negative_human_negative",
                    n=pair_counts("n_human_negative"),
                    logit_p=pt.softplus(sfn) - sfp,  # logit Sp
                    observed=pair_counts("n_judge_negative_human_negative"),
                    dims="secondary_pair",
                )
    return model


def fit_calibration_model(
    counts: pd.DataFrame,
    models: pd.DataFrame,
    config: CalibrationConfig | None = None,
    primary_judge: dict | None = None,
) -> CalibrationFit:
    """Fit the judge-calibration model to sufficient statistics, all cells in one model.

    Parameters
    ----------
    counts : pandas.DataFrame
        One row per distinct (model_id, region, metric, judge_id, is_judge_positive,
        is_human_positive) with ``n_traces``. ``judge_id``/``is_judge_positive`` missing means a
        human-labelled trace no judge scored on the metric; ``is_human_positive`` missing means a
        judged trace without a usable human label. Rows with neither a verdict nor a label carry
        no evidence and are ignored. Duplicate keys are summed.
    models : pandas.DataFrame
        ``model_id``, ``model_role`` ('incumbent' or 'candidate'; exactly one incumbent).
    config : CalibrationConfig, optional
        Priors and sampler settings; defaults to ``CalibrationConfig()``.
    primary_judge : dict, optional
        metric -> judge_id whose verdicts inform the true rate; default: the judge with the most
        verdicts on the metric. Other judges are calibrated on their labelled pairs only.

    Returns
    -------
    CalibrationFit

    Raises
    ------
    ValueError
        Listing every problem found in the inputs and config at once.
    """
    config = config if config is not None else CalibrationConfig()
    rows, _, primary = _validate(counts, models, config, primary_judge)
    cells = _cell_evidence(rows, primary)
    pairs = _calibration_pairs(rows, primary)
    unlabelled = _unlabelled_pairs(cells)
    left_out = cells.set_index(["model_id", "metric"]).index.isin(
        unlabelled.set_index(["model_id", "metric"]).index
    )
    levels = {
        "model": sorted(cells["model_id"].unique()),
        "region": sorted(cells["region"].unique()),
        "metric": sorted(cells["metric"].unique()),
    }

    start = time.perf_counter()
    sampled_with = config
    with _reproducible_compilation():
        model = build_calibration_model(
            cells[~left_out].reset_index(drop=True), pairs, config, levels=levels
        )
        idata = _sample(model, config)
        first_divergences = int(idata.sample_stats["diverging"].sum())
        if first_divergences and config.retry_target_accept is not None:
            sampled_with = replace(config, target_accept=config.retry_target_accept)
            _log.warning(
                "calibration fit: %d divergent transitions at target_accept %s; sampling again "
                "at %s",
                first_divergences,
                config.target_accept,
                sampled_with.target_accept,
            )
            idata = _sample(model, sampled_with)
    unlabelled_quality = _resample_unlabelled(idata, cells, unlabelled, config)
    fit_seconds = time.perf_counter() - start
    return CalibrationFit(
        idata=idata,
        cells=cells,
        calibration_index=pairs[["judge_id", "model_id", "metric", "is_primary"]].copy(),
        primary_judge=primary,
        fit_seconds=float(fit_seconds),
        sampler=config.sampler,
        config=config,
        target_accept=float(sampled_with.target_accept),
        first_fit_divergences=first_divergences,
        unlabelled_quality=unlabelled_quality,
    )


# ---------------------------------------------------------------------------------------------
# Models without human labels on a metric
# ---------------------------------------------------------------------------------------------


def _unlabelled_pairs(cells: pd.DataFrame) -> pd.DataFrame:
    """(model_id, metric, judge_id) judged by the primary judge but without any human label.

    Only the judge's verdicts speak to such a model's true rates, and they cannot tell its true
    rate from its judge error rates; see :func:`_resample_unlabelled`.
    """
    labelled = (
        cells["n_labeled_judged_positive"]
        + cells["n_labeled_judged_negative"]
        + cells["n_labeled_unjudged"]
    )
    totals = (
        cells.assign(n_labeled=labelled)
        .groupby(["model_id", "metric"], sort=True, as_index=False)
        .agg(
            n_labeled=("n_labeled", "sum"),
            n_judged=("n_judged", "sum"),
            judge_id=("judge_id", "first"),
        )
    )
    chosen = (totals["n_labeled"] == 0) & (totals["n_judged"] > 0) & totals["judge_id"].notna()
    return totals.loc[chosen, ["model_id", "metric", "judge_id"]].reset_index(drop=True)


def _log_beta_mass(alpha, beta, low, high):
    """log P(low < q < high) for q ~ Beta(alpha, beta), accurate in both tails.

    Where the regularised incomplete beta function underflows (the interval lies far in a tail
    of a Beta with large counts) a normal approximation of the Beta takes over, so a log mass is
    always finite and still orders the intervals correctly.
    """
    from scipy import special

    low_cdf = special.betainc(alpha, beta, low)
    # below the median: F(high) - F(low); above it: S(low) - S(high), without cancellation
    first = special.betainc(alpha, beta, high)
    second = low_cdf.copy()
    upper_tail = low_cdf > 0.5
    if upper_tail.any():
        first[upper_tail] = special.betaincc(alpha, beta, low[upper_tail])
        second[upper_tail] = special.betaincc(alpha, beta, high[upper_tail])
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mass = np.log(first) + np.log1p(-second / first)
    underflow = ~np.isfinite(log_mass)
    if underflow.any():
        mean = alpha / (alpha + beta)
        sd = np.sqrt(mean * (1.0 - mean) / (alpha + beta + 1.0))
        z_low, z_high = (low[underflow] - mean) / sd, (high[underflow] - mean) / sd
        # the same difference in the tail the interval lies in: Phi(z_high) - Phi(z_low) or
        # Phi(-z_low) - Phi(-z_high)
        upper = z_low > 0
        log_a = special.log_ndtr(np.where(upper, -z_low, z_high))
        log_b = special.log_ndtr(np.where(upper, -z_high, z_low))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_mass[underflow] = log_a + np.log1p(-np.exp(log_b - log_a))
    return log_mass


def _truncated_beta(alpha, beta, low, high, uniform):
    """Inverse-CDF draw of q ~ Beta(alpha, beta) restricted to (low, high), from ``uniform``."""
    from scipy import special

    low_cdf = special.betainc(alpha, beta, low)
    high_cdf = special.betainc(alpha, beta, high)
    low_sf = special.betaincc(alpha, beta, low)
    high_sf = special.betaincc(alpha, beta, high)
    lower_tail = low_cdf <= 0.5
    with np.errstate(invalid="ignore"):
        q = np.where(
            lower_tail,
            special.betaincinv(alpha, beta, low_cdf + uniform * (high_cdf - low_cdf)),
            special.betainccinv(alpha, beta, low_sf - uniform * (low_sf - high_sf)),
        )
    mass = np.where(lower_tail, high_cdf - low_cdf, low_sf - high_sf)
    # no mass left in double precision: the interval lies far in a tail, where the Beta's
    # density falls off fast, so the draw sits at the end of the interval nearest the mode
    mean = alpha / (alpha + beta)
    nearest = np.where(mean < low, low, high)
    q = np.where((mass > 0) & np.isfinite(q), q, nearest)
    return np.clip(q, low, high)


def _resample_unlabelled(idata, cells: pd.DataFrame, unlabelled: pd.DataFrame, config) -> dict:
    """Posterior draws for (model, metric) pairs without human labels, by importance resampling.

    In NUTS such a pair made the joint fit diverge: only priors place its judge error rates, and
    the judged rates per region cut that prior with walls (fpr below, tpr above every region's
    judged rate) next to which its true rates run to 0 or 1. Its cells are therefore left out of
    the sampled model, which thus holds the labelled models only and samples their posterior
    as if the unlabelled pair were not there (its judged counts could not inform the labelled
    models' parameters except through those walls: a "cut" of that feedback). Then, for every
    draw of the judge's population error rates (a, tau):

    1. ``config.unlabelled_proposals`` error-rate pairs are proposed from the model's own
       judge-by-model effect, eta ~ Normal(a, tau);
    2. each is weighted by the probability, under Beta(k + 1, n - k + 1) (a region's judged
       rate after k of n judged positive, from a uniform prior), that the region's judged rate
       lies between the proposal's fpr and tpr = fpr + J, i.e. that some true rate in [0, 1]
       explains it: the product over regions of F(tpr) - F(fpr);
    3. one proposal is drawn by weight, and each region's true rate from its conditional
       posterior: q from that Beta restricted to (fpr, tpr), theta = (q - fpr) / J.

    The prior behind step 2 is uniform on each region's judged rate, independent of the error
    rates. A uniform prior on the true rates instead would multiply each weight by J^-R
    (R regions), an Occam factor that pulls a model the data cannot identify towards a judge
    near chance; with the regional prior of the labelled models it largely cancels, which the
    choice here mimics: the error rates stay as variable as the judge's are across models,
    restricted to what the model's own verdicts allow. The pair's regions are not pooled,
    which matters little since many judged traces pin each region's rate given the error
    rates. Given (a, tau) the resampling is exact as the proposals grow. Returns, per pair, the
    Kish effective number of proposals behind each draw, (chain, draw), for the diagnostics.
    """
    from scipy.special import logsumexp

    posterior = idata.posterior
    n_prop = int(config.unlabelled_proposals)
    rng = np.random.default_rng([int(config.random_seed), 7])
    quality = {}
    for m, k, j in unlabelled.itertuples(index=False):
        at = {"judge": j, "metric": k}
        a_fn, a_fp = posterior["a_fn"].sel(at).values, posterior["a_fp"].sel(at).values
        tau_fn, tau_fp = posterior["tau_fn"].sel(at).values, posterior["tau_fp"].sel(at).values
        n_chain, n_draw = a_fn.shape
        z = rng.standard_normal((2, n_chain, n_draw, n_prop))
        eta_fn = a_fn[..., None] + tau_fn[..., None] * z[0]
        eta_fp = a_fp[..., None] + tau_fp[..., None] * z[1]
        log_norm = np.logaddexp(np.logaddexp(0.0, eta_fn), eta_fp)
        fpr, youden = np.exp(eta_fp - log_norm), np.exp(-log_norm)
        tpr = np.minimum(fpr + youden, 1.0)

        mine = cells[(cells["model_id"] == m) & (cells["metric"] == k) & (cells["n_judged"] > 0)]
        alpha = mine["n_judged_positive"].to_numpy(dtype=float) + 1.0
        beta = (mine["n_judged"] - mine["n_judged_positive"]).to_numpy(dtype=float) + 1.0
        log_w = np.zeros_like(fpr)
        for a_r, b_r in zip(alpha, beta, strict=True):
            log_w += _log_beta_mass(a_r, b_r, fpr, tpr)
        weights = np.exp(log_w - logsumexp(log_w, axis=-1, keepdims=True))
        quality[(m, k)] = 1.0 / np.sum(weights**2, axis=-1)
        cumulative = np.cumsum(weights, axis=-1)
        pick = (cumulative < rng.random((n_chain, n_draw, 1)) * cumulative[..., -1:]).sum(axis=-1)
        pick = np.minimum(pick, n_prop - 1)[..., None]

        c_fn, c_fp, c_norm, c_fpr, c_j = (
            np.take_along_axis(values, pick, axis=-1)[..., 0]
            for values in (eta_fn, eta_fp, log_norm, fpr, youden)
        )
        at_model = {**at, "model": m}
        posterior["sensitivity"].loc[at_model] = np.exp(np.logaddexp(0.0, c_fp) - c_norm)
        posterior["specificity"].loc[at_model] = np.exp(np.logaddexp(0.0, c_fn) - c_norm)
        for region, a_r, b_r in zip(mine["region"], alpha, beta, strict=True):
            q = _truncated_beta(a_r, b_r, c_fpr, c_fpr + c_j, rng.random((n_chain, n_draw)))
            posterior["theta"].loc[{"model": m, "region": region, "metric": k}] = np.clip(
                (q - c_fpr) / c_j, 0.0, 1.0
            )
    return quality


# The C compiler may contract a * b + c into one fused multiply-add, which rounds once instead of
# twice. PyTensor's loop fusion groups elementwise operations differently from one process to the
# next (its graph rewrites see nodes in an order that varies between processes), so with
# contraction the same model compiled twice gave gradients differing in the last bits, and NUTS
# amplifies those into different draws: two builds on the same counts disagreed (measured on a
# simulated problem: two distinct gradients over 12 processes; 30 of 30 identical with
# contraction off, at the same sampling speed). Compile arguments are part of PyTensor's cache
# key, so modules compiled with contraction are never reused for the fit.
_NO_FP_CONTRACTION = "-ffp-contract=off"


def _reproducible_compilation():
    """Context in which PyTensor compiles C code without floating-point contraction."""
    import pytensor

    flags = pytensor.config.gcc__cxxflags
    if _NO_FP_CONTRACTION not in flags.split():
        flags = f"{flags} {_NO_FP_CONTRACTION}".strip()
    return pytensor.config.change_flags(gcc__cxxflags=flags)


def _sample(model, config: CalibrationConfig) -> az.InferenceData:
    import pymc as pm

    cores = config.cores or min(config.chains, os.cpu_count() or 1)
    sample_kwargs = dict(
        draws=int(config.draws),
        tune=int(config.tune),
        chains=int(config.chains),
        target_accept=float(config.target_accept),
        random_seed=int(config.random_seed),
        progressbar=False,
        compute_convergence_checks=False,
        model=model,
    )
    if config.sampler == "nutpie":
        return pm.sample(
            nuts_sampler="nutpie", nuts_sampler_kwargs={"cores": cores}, **sample_kwargs
        )
    return pm.sample(cores=cores, mp_ctx=config.mp_ctx if cores > 1 else None, **sample_kwargs)


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def _stack_draws(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(chain, draw, item) array -> flat values with chain and draw ids, item-major order."""
    n_chain, n_draw, n_item = values.shape
    chain = np.tile(np.repeat(np.arange(n_chain), n_draw), n_item)
    draw = np.tile(np.arange(n_draw), n_chain * n_item)
    flat = values.transpose(2, 0, 1).reshape(-1)
    return flat, chain, draw


def posterior_draws_long(fit: CalibrationFit, run_id: str) -> pd.DataFrame:
    """Posterior draws as one long table for the warehouse.

    Parameters
    ----------
    fit : CalibrationFit
        Result of :func:`fit_calibration_model`.
    run_id : str
        Identifier of the fit, e.g. from :func:`fit_run_id`.

    Returns
    -------
    pandas.DataFrame
        Columns ``run_id, quantity, model_id, region, metric, judge_id, chain, draw, value,
        sampler, fit_seconds``. ``quantity`` is 'theta' (one row per observed cell and draw,
        judge_id None), 'sensitivity' / 'specificity' (per judge x model x metric the judge
        scored, region None), 'diverging' (0/1 per chain and draw, other keys None) or
        'importance_ess' (per model x metric without human labels, its primary judge, chain and
        draw: the effective number of the proposals its draw was resampled from; see
        :func:`_resample_unlabelled`).
    """
    posterior = fit.idata.posterior
    frames = []

    def add(quantity, values, model_id, region, metric, judge_id):
        flat, chain, draw = _stack_draws(values)
        n_per = values.shape[0] * values.shape[1]

        def key(labels):
            if labels is None:
                return np.full(flat.size, None, dtype=object)
            return np.repeat(np.asarray(labels, dtype=object), n_per)

        frames.append(
            pd.DataFrame(
                {
                    "quantity": np.full(flat.size, quantity, dtype=object),
                    "model_id": key(model_id),
                    "region": key(region),
                    "metric": key(metric),
                    "judge_id": key(judge_id),
                    "chain": chain.astype(np.int64),
                    "draw": draw.astype(np.int64),
                    "value": flat.astype(np.float64),
                }
            )
        )

    cells = fit.cells
    theta = posterior["theta"].transpose("chain", "draw", "model", "region", "metric")
    theta_cells = theta.values[
        :,
        :,
        _index(cells["model_id"], list(theta["model"].values)),
        _index(cells["region"], list(theta["region"].values)),
        _index(cells["metric"], list(theta["metric"].values)),
    ]
    add("theta", theta_cells, cells["model_id"], cells["region"], cells["metric"], None)

    index = fit.calibration_index
    if len(index):
        for quantity in ("sensitivity", "specificity"):
            arr = posterior[quantity].transpose("chain", "draw", "judge", "model", "metric")
            sel = arr.values[
                :,
                :,
                _index(index["judge_id"], list(arr["judge"].values)),
                _index(index["model_id"], list(arr["model"].values)),
                _index(index["metric"], list(arr["metric"].values)),
            ]
            add(quantity, sel, index["model_id"], None, index["metric"], index["judge_id"])

    diverging = fit.idata.sample_stats["diverging"].transpose("chain", "draw").values
    add("diverging", diverging.astype(np.float64)[:, :, None], None, None, None, None)
    for (model_id, metric), ess in sorted(fit.unlabelled_quality.items()):
        add(
            "importance_ess",
            ess[:, :, None],
            [model_id],
            None,
            [metric],
            [fit.primary_judge[metric]],
        )

    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "run_id", np.full(len(out), str(run_id), dtype=object))
    out["sampler"] = np.full(len(out), fit.sampler, dtype=object)
    out["fit_seconds"] = np.full(len(out), fit.fit_seconds, dtype=np.float64)
    return out[list(DRAWS_LONG_COLUMNS)]


def fit_run_id(
    counts: pd.DataFrame,
    models: pd.DataFrame,
    config: CalibrationConfig | None = None,
    primary_judge: dict | None = None,
) -> str:
    """Deterministic short id of a fit's inputs: unchanged data and settings give the same id.

    The hash covers the counts (normalised, duplicate keys summed, sorted, so row order and
    dtypes do not matter), the model roles, the config, the resolved primary judges and
    :data:`MODEL_VERSION`.

    Returns
    -------
    str
        16 hexadecimal characters.
    """
    config = config if config is not None else CalibrationConfig()
    rows, roles, primary = _validate(counts, models, config, primary_judge)
    keys = [c for c in COUNTS_COLUMNS if c != "n_traces"]
    canonical = (
        rows.astype({k: object for k in keys})
        .fillna({k: "\x00" for k in keys})
        .astype({k: str for k in keys})
        .groupby(keys, sort=True, as_index=False)["n_traces"]
        .sum()
    )
    payload = {
        "model_version": MODEL_VERSION,
        "counts": canonical.to_csv(index=False),
        "models": roles.sort_values("model_id").to_csv(index=False),
        # cores and the worker start method do not change the draws, so they do not change the id
        "config": {k: v for k, v in asdict(config).items() if k not in ("cores", "mp_ctx")},
        "primary_judge": primary,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()[:16]
