"""fct_gate_results: every release gate for every candidate, in one call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from llm_migration.gates.evidence import (
    human_label_coverage_gates,
    judge_coverage_gates,
    judge_drift_gates,
    kept_trace_counts,
    sampler_convergence_gates,
)
from llm_migration.gates.inputs import (
    COMPARISON_COLUMNS,
    DIAGNOSTIC_COLUMNS,
    MODEL_COLUMNS,
    POSTERIOR_COLUMNS,
    SYSTEMS_COLUMNS,
    TASK_QUALITY_COLUMNS,
    check_columns,
    latest_rows,
    model_roles,
    regions_and_metrics,
    scope_of_candidate,
)
from llm_migration.gates.policy import GatePolicy
from llm_migration.gates.quality import (
    custom_gate_results,
    overall_noninferiority_gates,
    regional_regression_gates,
)
from llm_migration.gates.results import (
    ALL_REGIONS,
    FAIL,
    GATE_RESULT_COLUMNS,
    INCONCLUSIVE,
    PASS,
    stamp,
)
from llm_migration.gates.systems import (
    DEFAULT_MAX_SUPPORT,
    systems_budget_gates,
    traffic_weights,
)
from llm_migration.gates.task_types import CALIBRATION_COLUMNS, task_type_gates


def evaluate_gates(
    comparisons: pd.DataFrame | None,
    posteriors: pd.DataFrame | None,
    diagnostics: pd.DataFrame | None,
    systems_traces: pd.DataFrame | None,
    task_quality: pd.DataFrame | None,
    models: pd.DataFrame,
    policy: GatePolicy | Mapping[str, Any] | None = None,
    *,
    run_id: str | None = None,
    computed_at: Any = None,
    traffic_mix: Mapping[str, float] | None = None,
    n_resamples: int = 2000,
    random_seed: int = 20261122,
    max_support: int = DEFAULT_MAX_SUPPORT,
    calibration: pd.DataFrame | None = None,
    judge_checks: pd.DataFrame | None = None,
    judge_drift: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Evaluate every release gate for every candidate: the rows of fct_gate_results.

    Parameters
    ----------
    comparisons
        fct_model_comparisons: candidate_model_id, incumbent_model_id, region, metric, margin,
        diff_mean, diff_hdi_low, diff_hdi_high, prob_better, prob_noninferior,
        prob_worse_beyond_margin, run_id (computed_at optional: with history, the latest row per
        candidate x region x metric is used).
    posteriors
        fct_quality_posteriors: model_id, region, metric, n_traces, n_human_labeled,
        posterior_mean, posterior_sd.
    diagnostics
        fct_sampler_diagnostics: run_id, max_r_hat, min_ess_bulk, n_divergences, is_trusted,
        untrusted_reason.
    systems_traces
        One row per trace: model_id, region, latency_ms, cost_usd, is_error (nullable values).
    task_quality
        One row per trace x metric: model_id, task_type, metric, is_judge_positive,
        is_human_positive (nullable).
    models
        model_id and model_role (or role): 'incumbent' | 'candidate' | other (ignored).
    policy
        A :class:`GatePolicy`, or the plain dict :meth:`GatePolicy.from_vars` accepts.
    run_id, computed_at
        Stamped on every row (computed_at defaults to now, UTC).
    traffic_mix, n_resamples, random_seed, max_support
        Systems-budget bootstrap settings (see :mod:`llm_migration.gates.systems`); the seed and
        ``n_resamples`` also drive the task-type Monte Carlo.
    calibration
        Optional posterior draws of the primary judge's sensitivity and specificity per model
        and metric (model_id, metric, chain, draw, sensitivity, specificity): the task-type gate
        then corrects the judge with the fit's error rates, and is held open with the other
        fit-based gates when the fit is not trusted.
    judge_checks
        Optional per-cell checks of the judge's calibration against the model's other regions
        (:func:`~llm_migration.gates.judge_consistency.judge_consistency_checks` on the counts):
        a region whose labelled pairs say the judge favours the candidate there (or disfavours
        the incumbent) is not cleared by the regional gate, at p below the policy's
        ``judge_region_check_alpha`` (null turns the check off).
    judge_drift
        The latest-week rows of fct_judge_agreement_over_time for each metric's primary judge
        (``llm_migration.gates.evidence.DRIFT_COLUMNS``): a flagged judge holds the candidate's
        ``judge_drift`` gate on that metric open (policy ``hold_on_judge_drift``). Without
        them the gate is inconclusive.

    Returns
    -------
    pandas.DataFrame
        Exactly the columns of ``GATE_RESULT_COLUMNS``, one row per candidate x gate x region x
        metric. Missing inputs or rows give ``inconclusive`` rows, never ``pass``. Each
        candidate is gated on the regions and metrics of
        :func:`~llm_migration.gates.inputs.scope_of_candidate`: every
        region with production traffic (``traffic_mix``, else the incumbent's traces) or
        incumbent posteriors, so a region without quality data cannot drop out of the gates;
        and every metric of the policy's metric config, so neither can a configured metric.

    Raises
    ------
    ValueError
        When an input lacks a contract column (all such problems in one message) or the policy
        is malformed.
    """
    if not isinstance(policy, GatePolicy):
        policy = GatePolicy.from_vars(policy)
    frames = check_columns(
        {
            "comparisons": (comparisons, COMPARISON_COLUMNS),
            "posteriors": (posteriors, POSTERIOR_COLUMNS),
            "diagnostics": (diagnostics, DIAGNOSTIC_COLUMNS),
            "systems_traces": (systems_traces, SYSTEMS_COLUMNS),
            "task_quality": (task_quality, TASK_QUALITY_COLUMNS),
            "models": (models, MODEL_COLUMNS),
            "calibration": (calibration, CALIBRATION_COLUMNS),
        }
    )
    roles = model_roles(frames["models"])
    candidates = list(roles.candidates)
    evaluated = set(candidates) | ({roles.incumbent} if roles.incumbent else set())
    comparisons = frames["comparisons"]
    if roles.incumbent is not None:
        # A comparison against some other model is not evidence about this migration (and must
        # not hide one that is by being computed later).
        comparisons = comparisons[
            comparisons["incumbent_model_id"].astype("string") == roles.incumbent
        ]
    comparisons = latest_rows(
        comparisons, ("candidate_model_id", "region", "metric"), run_of="candidate_model_id"
    ).astype({"candidate_model_id": "string", "region": "string", "metric": "string"})
    posteriors = latest_rows(frames["posteriors"], ("model_id", "region", "metric"))
    posteriors = posteriors[posteriors["model_id"].astype(str).isin(evaluated)]
    all_regions, all_metrics = regions_and_metrics(comparisons, posteriors)
    production = (
        traffic_weights(frames["systems_traces"], roles.incumbent, traffic_mix)
        if roles.incumbent is not None
        else {}
    )

    def scope(candidate: str) -> tuple[list[str], list[str]]:
        """The regions and metrics a candidate must answer for: where the incumbent serves
        production traffic or was evaluated, whatever other candidates were evaluated on; and
        every configured metric (llm_migration_metrics), so one without data is inconclusive
        rather than absent."""
        if roles.incumbent is None:
            regions, metrics = all_regions, all_metrics
        else:
            regions, metrics = scope_of_candidate(
                candidate, roles.incumbent, comparisons, posteriors, production
            )
        return regions, sorted(set(metrics) | set(policy.metrics))

    scopes = {candidate: scope(candidate) for candidate in candidates}
    margins = (
        comparisons[comparisons["region"] == ALL_REGIONS]
        .assign(margin=lambda f: pd.to_numeric(f["margin"], errors="coerce"))
        .groupby("metric")["margin"]
        .median()
        .dropna()
        .to_dict()
    )

    # Per candidate, each in its own scope; rows stay grouped by gate as before.
    overall, regional, task_types, coverage, custom = [], [], [], [], []
    judged = []
    kept = kept_trace_counts(frames["systems_traces"]) if policy.min_judge_coverage else {}
    for candidate in candidates:
        regions, metrics = scopes[candidate]
        one = [candidate]
        overall += overall_noninferiority_gates(comparisons, one, metrics, policy)
        regional += regional_regression_gates(
            comparisons,
            one,
            metrics,
            regions,
            policy,
            judge_checks=judge_checks,
        )
        task_types += task_type_gates(
            frames["task_quality"],
            one,
            roles.incumbent,
            metrics,
            policy,
            margins,
            n_draws=n_resamples,
            random_seed=random_seed,
            calibration=frames["calibration"] if calibration is not None else None,
        )
        coverage += human_label_coverage_gates(
            posteriors, one, roles.incumbent, metrics, policy.min_human_labels_per_model
        )
        if policy.min_judge_coverage is not None:
            judged += judge_coverage_gates(
                posteriors,
                kept,
                candidate,
                roles.incumbent,
                metrics,
                regions,
                policy.min_judge_coverage,
            )
        if policy.hold_on_judge_drift:
            judged += judge_drift_gates(judge_drift, candidate, metrics)
        custom += custom_gate_results(comparisons, one, metrics, regions, policy)
    systems = systems_budget_gates(
        frames["systems_traces"],
        candidates,
        roles.incumbent,
        policy.budgets,
        traffic_mix=production,  # the weights the scopes used
        n_resamples=n_resamples,
        random_seed=random_seed,
        max_support=max_support,
        min_coverage=policy.min_systems_coverage,
        max_plausible_ratio=policy.max_plausible_ratio,
    )
    convergence = sampler_convergence_gates(comparisons, frames["diagnostics"], candidates)
    unsettled_fit = {r["candidate_model_id"] for r in convergence if r["status"] != PASS}
    overall, regional, custom = (
        hold_open_without_a_trusted_fit(gates, unsettled_fit)
        for gates in (overall, regional, custom)
    )
    if calibration is not None:  # the task-type gate read the fit's draws too
        task_types = hold_open_without_a_trusted_fit(task_types, unsettled_fit)
    rows = overall + regional + systems + task_types + convergence + coverage + judged + custom
    return stamp(rows, GATE_RESULT_COLUMNS, run_id, computed_at)


UNTRUSTED_FIT = "not decided: the posterior fit is not trusted (see sampler_convergence)"


def hold_open_without_a_trusted_fit(rows: list[dict], candidates: set[str]) -> list[dict]:
    """The fit-based gates of ``candidates`` (whose fit is untrusted or missing), inconclusive.

    Overall non-inferiority, regional regression and the custom gates read the posterior. On an
    untrusted fit its draws can point anywhere: a fit of 2 chains x 8 draws (r_hat 4.2) put a
    candidate truly 3.5 points better 4.1 points worse and blocked it. Such a gate can neither
    pass nor fail; its reason keeps what the draws said. So does the task-type gate when it
    corrects the judge with the fit's draws (``calibration``); the systems gates do not read
    the fit and stand.
    """
    out = []
    for row in rows:
        if row["candidate_model_id"] in candidates and row["status"] in (PASS, FAIL):
            row = {
                **row,
                "status": INCONCLUSIVE,
                "reason": f"{UNTRUSTED_FIT}; its draws say {row['status']}: {row['reason']}",
            }
        out.append(row)
    return out
