"""Seeded simulation of judged and human-labelled traces with a known truth.

The simulator draws every trace's true (human-rated) label from theta[model, region, metric], the
judge's verdict from the judge's sensitivity and specificity for that model and metric, and a
random subset of each model's traces for human labelling. It returns the same sufficient
statistics the warehouse builds (counts per model x region x metric x judge label x human label),
so the Bayesian model and every baseline are fed exactly what they would see in production, while
the truth stays available to score them.

Scenarios are named after the failure they probe; see :data:`SCENARIO_NAMES` and
:func:`get_scenario`.

The study (:func:`run_study`, :func:`summarise_study`) estimates every simulated data set with
the Bayesian calibration model and each baseline of :mod:`llm_migration.baselines`, and scores
the 95% intervals (coverage of the true theta, width, error) and the non-inferiority decisions
against the truth. ``bench/simulation_study.py`` runs it in full and writes
``docs/simulation_study.md``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import arviz as az
import numpy as np
import pandas as pd

from llm_migration import baselines
from llm_migration.baselines import BaselineResult
from llm_migration.calibration import (
    CalibrationConfig,
    fit_calibration_model,
    posterior_draws_long,
)

JUDGE_ID = "sim_judge"

CellKey = tuple[str, str, str]  # (model_id, region, metric)
ModelMetricKey = tuple[str, str]  # (model_id, metric)


@dataclass(frozen=True)
class Scenario:
    """A data-generating process with known truth.

    Parameters
    ----------
    name, description
        Identify the scenario in reports.
    incumbent, candidates
        Model ids; the incumbent is the model every candidate is compared with.
    regions, metrics
        Cell axes.
    theta
        True positive rate per (model_id, region, metric).
    sensitivity, specificity
        The judge's P(judge positive | human positive) and P(judge negative | human negative) per
        (model_id, metric). They may differ by model: that is the point of several scenarios.
    traces_per_cell
        Judged traces per model for each region (the same for every metric; every trace is judged
        on every metric).
    labels_per_model
        Human-labelled traces per model: a uniform random subset of that model's traces across all
        regions, labelled on every metric.
    directions, margins
        Per metric: ``higher_is_better`` or ``lower_is_better``, and the non-inferiority margin on
        the rate scale used for decisions.
    judge_by_cell
        Optional (Se, Sp) per (model_id, region, metric) replacing the model's own in that cell
        only: a judge whose error differs by region, which the calibration model does not
        represent (it shares each model's error rates across regions).
    """

    name: str
    description: str
    incumbent: str
    candidates: tuple[str, ...]
    regions: tuple[str, ...]
    metrics: tuple[str, ...]
    theta: dict[CellKey, float]
    sensitivity: dict[ModelMetricKey, float]
    specificity: dict[ModelMetricKey, float]
    traces_per_cell: dict[str, int]
    labels_per_model: dict[str, int]
    directions: dict[str, str] = field(default_factory=dict)
    margins: dict[str, float] = field(default_factory=dict)
    judge_id: str = JUDGE_ID
    judge_by_cell: dict[CellKey, tuple[float, float]] = field(default_factory=dict)

    @property
    def model_ids(self) -> tuple[str, ...]:
        return (self.incumbent, *self.candidates)

    def validate(self) -> None:
        """Raise ValueError listing every inconsistency in the scenario."""
        problems: list[str] = []
        for m in self.model_ids:
            for k in self.metrics:
                se = self.sensitivity.get((m, k))
                sp = self.specificity.get((m, k))
                if se is None or sp is None:
                    problems.append(f"missing sensitivity/specificity for {(m, k)}")
                elif not (0 < se < 1 and 0 < sp < 1 and se + sp > 1):
                    problems.append(f"judge for {(m, k)} needs 0<Se,Sp<1 and Se+Sp>1")
                for r in self.regions:
                    cell = self.judge_by_cell.get((m, r, k))
                    if cell is not None and not (0 < cell[0] < 1 and 0 < cell[1] < 1):
                        problems.append(f"judge_by_cell for {(m, r, k)} needs 0<Se,Sp<1")
                    t = self.theta.get((m, r, k))
                    if t is None or not 0 < t < 1:
                        problems.append(f"theta for {(m, r, k)} missing or outside (0, 1)")
            n_traces = sum(self.traces_per_cell.get(r, 0) for r in self.regions)
            n_labels = self.labels_per_model.get(m)
            if n_labels is None or not 0 <= n_labels <= n_traces:
                problems.append(f"labels_per_model for {m} must be in [0, {n_traces}]")
        for r in self.regions:
            if self.traces_per_cell.get(r, 0) <= 0:
                problems.append(f"traces_per_cell for region {r} must be positive")
        for k in self.metrics:
            if self.directions.get(k) not in ("higher_is_better", "lower_is_better"):
                problems.append(f"direction for metric {k} must be higher/lower_is_better")
            if self.margins.get(k, -1) < 0:
                problems.append(f"margin for metric {k} must be >= 0")
        if problems:
            raise ValueError(f"invalid scenario {self.name!r}:\n  " + "\n  ".join(problems))


class SimulatedData(NamedTuple):
    """What one simulated evaluation produces.

    ``counts`` and ``models`` are the model inputs; ``truth`` holds, per model x region x metric,
    the true theta, the judge's true sensitivity and specificity, the cell sizes and the realised
    share of truly positive traces. ``traces`` is the trace-level table (one row per trace and
    metric) when requested, else None.
    """

    counts: pd.DataFrame
    models: pd.DataFrame
    truth: pd.DataFrame
    traces: pd.DataFrame | None


def simulate(scenario: Scenario, seed: int, return_traces: bool = False) -> SimulatedData:
    """Draw one evaluation data set from ``scenario``.

    Parameters
    ----------
    scenario
        The data-generating process.
    seed
        Seed of the numpy Generator; the same seed gives the same data.
    return_traces
        Also return the trace-level table (trace_id, model_id, region, metric,
        is_true_positive, is_judge_positive, is_human_positive).

    Returns
    -------
    SimulatedData
        ``counts`` has the warehouse's sufficient-statistics columns: model_id, region, metric,
        judge_id, is_judge_positive, is_human_positive (NA = no human label), n_traces.
    """
    scenario.validate()
    rng = np.random.default_rng(seed)
    count_rows: list[dict] = []
    truth_rows: list[dict] = []
    trace_frames: list[pd.DataFrame] = []

    for m in scenario.model_ids:
        region_of_trace = np.repeat(
            np.array(scenario.regions, dtype=object),
            [scenario.traces_per_cell[r] for r in scenario.regions],
        )
        n_model_traces = region_of_trace.size
        is_labelled = np.zeros(n_model_traces, dtype=bool)
        labelled_idx = rng.choice(n_model_traces, scenario.labels_per_model[m], replace=False)
        is_labelled[labelled_idx] = True

        for k in scenario.metrics:
            se = scenario.sensitivity[(m, k)]
            sp = scenario.specificity[(m, k)]
            theta_of_trace = np.array([scenario.theta[(m, r, k)] for r in region_of_trace])
            cell_judge = {
                r: scenario.judge_by_cell.get((m, r, k), (se, sp)) for r in scenario.regions
            }
            se_of_trace = np.array([cell_judge[r][0] for r in region_of_trace])
            sp_of_trace = np.array([cell_judge[r][1] for r in region_of_trace])
            y = rng.random(n_model_traces) < theta_of_trace
            p_judge_positive = np.where(y, se_of_trace, 1.0 - sp_of_trace)
            j = rng.random(n_model_traces) < p_judge_positive

            for r in scenario.regions:
                in_cell = region_of_trace == r
                lab = in_cell & is_labelled
                unl = in_cell & ~is_labelled
                for judge_pos in (True, False):
                    jm = j == judge_pos
                    for human_pos in (True, False):
                        n = int(np.sum(lab & jm & (y == human_pos)))
                        if n:
                            count_rows.append(
                                _count_row(scenario, m, r, k, judge_pos, human_pos, n)
                            )
                    n = int(np.sum(unl & jm))
                    if n:
                        count_rows.append(_count_row(scenario, m, r, k, judge_pos, None, n))
                truth_rows.append(
                    {
                        "model_id": m,
                        "region": r,
                        "metric": k,
                        "theta": scenario.theta[(m, r, k)],
                        "sensitivity": cell_judge[r][0],
                        "specificity": cell_judge[r][1],
                        "n_traces": int(in_cell.sum()),
                        "n_labeled": int(lab.sum()),
                        "realised_rate": float(y[in_cell].mean()),
                    }
                )

            if return_traces:
                human = pd.array(np.where(is_labelled, y, False), dtype="boolean")
                human[~is_labelled] = pd.NA
                trace_frames.append(
                    pd.DataFrame(
                        {
                            "trace_id": [f"{m}-{i}" for i in range(n_model_traces)],
                            "model_id": m,
                            "region": region_of_trace.astype(str),
                            "metric": k,
                            "is_true_positive": y,
                            "is_judge_positive": j,
                            "is_human_positive": human,
                        }
                    )
                )

    counts = pd.DataFrame(count_rows)
    counts["is_judge_positive"] = counts["is_judge_positive"].astype("boolean")
    counts["is_human_positive"] = counts["is_human_positive"].astype("boolean")
    counts["n_traces"] = counts["n_traces"].astype("int64")
    models = pd.DataFrame(
        {
            "model_id": list(scenario.model_ids),
            "model_role": ["incumbent"] + ["candidate"] * len(scenario.candidates),
        }
    )
    traces = pd.concat(trace_frames, ignore_index=True) if return_traces else None
    return SimulatedData(counts, models, pd.DataFrame(truth_rows), traces)


def _count_row(
    scenario: Scenario, m: str, r: str, k: str, judge_pos: bool, human_pos: bool | None, n: int
) -> dict:
    return {
        "model_id": m,
        "region": r,
        "metric": k,
        "judge_id": scenario.judge_id,
        "is_judge_positive": judge_pos,
        "is_human_positive": pd.NA if human_pos is None else human_pos,
        "n_traces": n,
    }


# ---- named scenarios --------------------------------------------------------------------------

INCUMBENT = "incumbent"
FLATTERED = "candidate_a"
OTHER_CANDIDATE = "candidate_b"
REGIONS = ("us", "eu", "apac")
METRICS = ("correctness", "refusal")

# True rates shared by every scenario, chosen so that decisions are clear-cut rather than sitting
# on the margin: candidate_a is truly worse than the incumbent on correctness everywhere and on
# refusal in apac; candidate_b is non-inferior everywhere.
_THETA_BY_REGION = {  # (model, metric) -> theta in us, eu, apac
    (INCUMBENT, "correctness"): (0.80, 0.78, 0.74),
    (INCUMBENT, "refusal"): (0.06, 0.08, 0.10),
    (FLATTERED, "correctness"): (0.74, 0.72, 0.69),
    (FLATTERED, "refusal"): (0.05, 0.08, 0.14),
    (OTHER_CANDIDATE, "correctness"): (0.84, 0.82, 0.79),
    (OTHER_CANDIDATE, "refusal"): (0.04, 0.07, 0.09),
}
_THETA: dict[CellKey, float] = {
    (m, r, k): v
    for (m, k), values in _THETA_BY_REGION.items()
    for r, v in zip(REGIONS, values, strict=True)
}
_TRACES = {"us": 1500, "eu": 800, "apac": 400}
_LABELS_PER_MODEL = 150
_DIRECTIONS = {"correctness": "higher_is_better", "refusal": "lower_is_better"}
_MARGINS = {"correctness": 0.02, "refusal": 0.02}


def _judge(
    values: dict[str, dict[str, tuple[float, float]]],
) -> tuple[dict[ModelMetricKey, float], dict[ModelMetricKey, float]]:
    """{model: {metric: (Se, Sp)}} -> (Se by (model, metric), Sp by (model, metric))."""
    se = {(m, k): v[0] for m, per_metric in values.items() for k, v in per_metric.items()}
    sp = {(m, k): v[1] for m, per_metric in values.items() for k, v in per_metric.items()}
    return se, sp


# Judge error identical for every model.
_SAME_JUDGE = {
    m: {"correctness": (0.88, 0.80), "refusal": (0.80, 0.95)}
    for m in (INCUMBENT, FLATTERED, OTHER_CANDIDATE)
}
# candidate_a is flattered: on correctness the judge passes more of its answers (higher Se, much
# lower Sp); on refusal (positive = refused, which is bad) it misses more of its refusals (lower
# Se). candidate_b's judge error differs a little, as it would for any two models.
_DIFFERING_JUDGE = {
    INCUMBENT: {"correctness": (0.88, 0.80), "refusal": (0.80, 0.95)},
    FLATTERED: {"correctness": (0.96, 0.55), "refusal": (0.60, 0.97)},
    OTHER_CANDIDATE: {"correctness": (0.86, 0.84), "refusal": (0.82, 0.94)},
}
# Modest model-to-model differences, of the size the partial pooling assumes.
_MODEST_JUDGE = {
    INCUMBENT: {"correctness": (0.88, 0.80), "refusal": (0.80, 0.95)},
    FLATTERED: {"correctness": (0.91, 0.74), "refusal": (0.75, 0.96)},
    OTHER_CANDIDATE: {"correctness": (0.85, 0.84), "refusal": (0.84, 0.93)},
}
# Barely better than chance: Se + Sp = 1.18 (correctness) and 1.20 (refusal).
_NEAR_CHANCE_JUDGE = {
    m: {"correctness": (0.62, 0.56), "refusal": (0.60, 0.60)}
    for m in (INCUMBENT, FLATTERED, OTHER_CANDIDATE)
}


def _base(name: str, description: str, judge: dict, labels: dict[str, int]) -> Scenario:
    se, sp = _judge(judge)
    return Scenario(
        name=name,
        description=description,
        incumbent=INCUMBENT,
        candidates=(FLATTERED, OTHER_CANDIDATE),
        regions=REGIONS,
        metrics=METRICS,
        theta=dict(_THETA),
        sensitivity=se,
        specificity=sp,
        traces_per_cell=dict(_TRACES),
        labels_per_model=labels,
        directions=dict(_DIRECTIONS),
        margins=dict(_MARGINS),
    )


def _labels(n: int, **overrides: int) -> dict[str, int]:
    out = {m: n for m in (INCUMBENT, FLATTERED, OTHER_CANDIDATE)}
    out.update(overrides)
    return out


_SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        _base(
            "baseline_ok",
            "Same judge error for every model; 150 labels per model.",
            _SAME_JUDGE,
            _labels(_LABELS_PER_MODEL),
        ),
        _base(
            "judge_error_differs_by_model",
            "The judge flatters candidate_a (correctness Se 0.96 / Sp 0.55 vs the incumbent's "
            "0.88 / 0.80; it misses candidate_a's refusals); 150 labels per model.",
            _DIFFERING_JUDGE,
            _labels(_LABELS_PER_MODEL),
        ),
        _base(
            "judge_near_chance",
            "Judge barely better than chance (Se + Sp = 1.18 and 1.20), same for every model; "
            "150 labels per model.",
            _NEAR_CHANCE_JUDGE,
            _labels(_LABELS_PER_MODEL),
        ),
        _base(
            "few_labels",
            "Judge error differs by model as in judge_error_differs_by_model, but only 30 "
            "human labels per model (about 10 per region).",
            _DIFFERING_JUDGE,
            _labels(30),
        ),
        _base(
            "candidate_without_labels",
            "Judge error differs modestly by model; candidate_b has no human labels, the others "
            "150 each.",
            _MODEST_JUDGE,
            _labels(_LABELS_PER_MODEL, **{OTHER_CANDIDATE: 0}),
        ),
    )
}
SCENARIO_NAMES: tuple[str, ...] = tuple(_SCENARIOS)


def get_scenario(name: str, **overrides) -> Scenario:
    """Return the named scenario, optionally with fields replaced (e.g. ``traces_per_cell``)."""
    if name not in _SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; choose one of {SCENARIO_NAMES}")
    scenario = replace(_SCENARIOS[name], **overrides) if overrides else _SCENARIOS[name]
    scenario.validate()
    return scenario


# ---- the simulation study ---------------------------------------------------------------------

BAYES = "bayes"
METHODS: tuple[str, ...] = (BAYES, "naive", "rg_reused_incumbent", "rg_per_model", "ppi")
METHOD_LABELS = {
    BAYES: "Bayesian calibration (this package)",
    "naive": "Naive judge rate (Wilson)",
    "rg_reused_incumbent": "Rogan-Gladen, incumbent's Se/Sp reused",
    "rg_per_model": "Rogan-Gladen, own Se/Sp per model",
    "ppi": "PPI++ per cell",
}


class StudyResults(NamedTuple):
    """Raw results of :func:`run_study`.

    ``cells``: one row per scenario x seed x method x model x region x metric with estimate,
    ci_low, ci_high and the true theta. ``differences``: one row per scenario x seed x method x
    candidate x region x metric with the oriented difference interval, the true oriented
    difference and both non-inferiority decisions. ``fits``: one row per Bayesian fit with its
    sampler diagnostics and time.
    """

    cells: pd.DataFrame
    differences: pd.DataFrame
    fits: pd.DataFrame


def hdi_bounds(draws: np.ndarray, prob: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Highest-density interval of each row of ``draws`` (rows = quantities, columns = draws)."""
    x = np.sort(np.asarray(draws, dtype=float), axis=1)
    n = x.shape[1]
    k = int(np.floor(prob * n))
    widths = x[:, k:] - x[:, : n - k]
    start = np.argmin(widths, axis=1)
    rows = np.arange(x.shape[0])
    return x[rows, start], x[rows, start + k]


def bayesian_estimates(
    counts: pd.DataFrame,
    models: pd.DataFrame,
    config: CalibrationConfig | None = None,
    level: float = 0.95,
    run_id: str = "simulation",
) -> tuple[BaselineResult, dict]:
    """Fit the calibration model and summarise it like a baseline.

    Returns
    -------
    (BaselineResult, dict)
        Cells with the posterior mean and the ``level`` HDI of theta (the interval
        ``fct_quality_posteriors`` reports); candidate-minus-incumbent differences from the paired
        posterior draws; and a dict of fit diagnostics (divergences, max R-hat and min bulk ESS
        of theta, fit seconds).
    """
    fit = fit_calibration_model(counts, models, config)
    draws = posterior_draws_long(fit, run_id)
    theta = draws[draws["quantity"] == "theta"]
    wide = theta.pivot_table(
        index=["model_id", "region", "metric"], columns=["chain", "draw"], values="value"
    )
    low, high = hdi_bounds(wide.to_numpy(), level)
    cells = wide.index.to_frame(index=False)
    cells["method"] = BAYES
    cells["estimate"] = wide.mean(axis=1).to_numpy()
    cells["ci_low"] = low
    cells["ci_high"] = high

    incumbent = models.loc[models["model_role"] == "incumbent", "model_id"].iloc[0]
    candidates = models.loc[models["model_role"] == "candidate", "model_id"].tolist()
    rows = []
    for cand in candidates:
        for (m, region, metric), values in wide.iterrows():
            if m != cand or (incumbent, region, metric) not in wide.index:
                continue
            diff = values.to_numpy() - wide.loc[(incumbent, region, metric)].to_numpy()
            d_low, d_high = hdi_bounds(diff[None, :], level)
            rows.append(
                {
                    "candidate_model_id": cand,
                    "incumbent_model_id": incumbent,
                    "region": region,
                    "metric": metric,
                    "method": BAYES,
                    "diff_estimate": float(diff.mean()),
                    "diff_low": float(d_low[0]),
                    "diff_high": float(d_high[0]),
                }
            )
    theta_posterior = fit.idata.posterior[["theta"]]
    diagnostics = {
        "n_divergences": int(fit.idata.sample_stats["diverging"].sum()),
        "max_r_hat_theta": float(az.rhat(theta_posterior)["theta"].max()),
        "min_ess_bulk_theta": float(az.ess(theta_posterior, method="bulk")["theta"].min()),
        "fit_seconds": float(fit.fit_seconds),
    }
    return BaselineResult(BAYES, cells, pd.DataFrame(rows)), diagnostics


def run_replicate(
    scenario: Scenario,
    seed: int,
    config: CalibrationConfig | None = None,
    n_boot: int = 2000,
    methods: tuple[str, ...] = METHODS,
    level: float = 0.95,
) -> StudyResults:
    """Simulate one data set from ``scenario`` and estimate it with every method.

    The data, the bootstrap and the sampler are all seeded from ``seed``
    (``config.random_seed`` is replaced by it).
    """
    data = simulate(scenario, seed)
    results = []
    fits = []
    for method in methods:
        if method == BAYES:
            cfg = replace(config or CalibrationConfig(), random_seed=int(seed))
            result, diagnostics = bayesian_estimates(data.counts, data.models, cfg, level)
            fits.append({"scenario": scenario.name, "seed": seed, **diagnostics})
        elif method == "naive":
            result = baselines.naive_judge_rate(data.counts, data.models, level)
        elif method == "rg_reused_incumbent":
            result = baselines.rogan_gladen_reused_incumbent(
                data.counts, data.models, level, n_boot=n_boot, random_seed=seed
            )
        elif method == "rg_per_model":
            result = baselines.rogan_gladen_per_model(
                data.counts, data.models, level, n_boot=n_boot, random_seed=seed
            )
        elif method == "ppi":
            result = baselines.ppi_per_cell(data.counts, data.models, level)
        else:
            raise ValueError(f"unknown method {method!r}; choose from {METHODS}")
        results.append(result)

    keys = ["model_id", "region", "metric"]
    truth = data.truth[[*keys, "theta", "n_traces", "n_labeled"]]
    cells = pd.concat(
        [r.cells[[*keys, "method", "estimate", "ci_low", "ci_high"]] for r in results],
        ignore_index=True,
    ).merge(truth, on=keys, how="left", validate="many_to_one")
    cells.insert(0, "seed", seed)
    cells.insert(0, "scenario", scenario.name)
    role = {scenario.incumbent: "incumbent", **{c: "candidate" for c in scenario.candidates}}
    cells["model_role"] = cells["model_id"].map(role)

    differences = pd.concat([r.differences for r in results], ignore_index=True)
    differences = _add_decisions(differences, scenario)
    differences.insert(0, "seed", seed)
    differences.insert(0, "scenario", scenario.name)
    return StudyResults(cells, differences, pd.DataFrame(fits))


def _add_decisions(differences: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Orient differences (positive = candidate better) and add non-inferiority decisions.

    A method declares the candidate non-inferior in a cell when the lower end of its oriented
    95% difference interval is above -margin (an undefined interval declares nothing, as a gate
    would call it inconclusive). The true decision is whether the true oriented difference is
    above -margin.
    """
    d = differences.copy()
    sign = d["metric"].map(
        {k: 1.0 if v == "higher_is_better" else -1.0 for k, v in scenario.directions.items()}
    )
    margin = d["metric"].map(scenario.margins)
    low, high = d["diff_low"], d["diff_high"]
    d["oriented_diff"] = sign * d["diff_estimate"]
    d["oriented_low"] = np.where(sign > 0, low, -high)
    d["oriented_high"] = np.where(sign > 0, high, -low)
    true_diff = [
        scenario.theta[(c, r, k)] - scenario.theta[(scenario.incumbent, r, k)]
        for c, r, k in zip(d["candidate_model_id"], d["region"], d["metric"], strict=True)
    ]
    d["true_oriented_diff"] = sign * np.asarray(true_diff)
    d["margin"] = margin
    d["is_declared_noninferior"] = d["oriented_low"].to_numpy() > -margin.to_numpy()
    d["is_truly_noninferior"] = d["true_oriented_diff"] > -margin
    return d


def run_study(
    scenario_names: tuple[str, ...] | list[str],
    seeds: tuple[int, ...] | list[int],
    config: CalibrationConfig | None = None,
    n_boot: int = 2000,
    methods: tuple[str, ...] = METHODS,
    progress=None,
) -> StudyResults:
    """Run :func:`run_replicate` for every scenario and seed and stack the results.

    ``progress``, if given, is called with (scenario name, seed, seconds) after each replicate.
    """
    parts: list[StudyResults] = []
    for name in scenario_names:
        scenario = get_scenario(name)
        for seed in seeds:
            start = time.perf_counter()
            parts.append(run_replicate(scenario, seed, config, n_boot, methods))
            if progress is not None:
                progress(name, seed, time.perf_counter() - start)
    return StudyResults(
        *(
            pd.concat([getattr(p, f) for p in parts], ignore_index=True)
            for f in StudyResults._fields
        )
    )


def coverage_table(cells: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Coverage, width and error of the cell intervals, grouped by ``by``.

    An undefined interval (NaN) counts as not covering; ``n_undefined`` says how many there were,
    and ``coverage_defined`` is the coverage among defined intervals only. Width and absolute
    error are means over defined cells. ``coverage_se`` is the standard error of the coverage
    treating seeds, not cells, as independent (cells of one data set share the judge's error, so
    their misses are correlated).
    """
    c = cells.copy()
    c["is_defined"] = c["ci_low"].notna() & c["ci_high"].notna()
    c["is_covered"] = c["is_defined"] & (c["ci_low"] <= c["theta"]) & (c["theta"] <= c["ci_high"])
    c["width"] = (c["ci_high"] - c["ci_low"]).where(c["is_defined"])
    c["abs_error"] = (c["estimate"] - c["theta"]).abs().where(c["is_defined"])

    def per_group(g: pd.DataFrame) -> pd.Series:
        per_seed = g.groupby("seed")["is_covered"].mean()
        n_seeds = per_seed.size
        se = per_seed.std(ddof=1) / np.sqrt(n_seeds) if n_seeds > 1 else np.nan
        defined = g[g["is_defined"]]
        return pd.Series(
            {
                "n_cells": len(g),
                "n_undefined": int((~g["is_defined"]).sum()),
                "coverage": g["is_covered"].mean(),
                "coverage_se": se,
                "coverage_defined": defined["is_covered"].mean() if len(defined) else np.nan,
                "mean_width": defined["width"].mean(),
                "mae": defined["abs_error"].mean(),
            }
        )

    return c.groupby(by, sort=False).apply(per_group, include_groups=False).reset_index()


def decision_table(differences: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Agreement of non-inferiority decisions with the decisions from the true rates.

    ``agreement``: share of candidate x region x metric comparisons where the method's decision
    equals the true one. ``false_ship``: share of truly inferior comparisons the method declared
    non-inferior (the costly error). ``power``: share of truly non-inferior comparisons declared
    non-inferior.
    """
    d = differences

    def per_group(g: pd.DataFrame) -> pd.Series:
        truly_inferior = ~g["is_truly_noninferior"]
        return pd.Series(
            {
                "n_comparisons": len(g),
                "agreement": (g["is_declared_noninferior"] == g["is_truly_noninferior"]).mean(),
                "false_ship": g.loc[truly_inferior, "is_declared_noninferior"].mean(),
                "power": g.loc[~truly_inferior, "is_declared_noninferior"].mean(),
            }
        )

    return d.groupby(by, sort=False).apply(per_group, include_groups=False).reset_index()


def summarise_study(results: StudyResults) -> pd.DataFrame:
    """One row per scenario x method: coverage, width, error and decision agreement."""
    by = ["scenario", "method"]
    return coverage_table(results.cells, by).merge(
        decision_table(results.differences, by), on=by, how="left"
    )
