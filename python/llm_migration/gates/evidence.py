"""Gates on the evidence itself: is the fit trustworthy, are there enough human labels, did the
judge score the traces, is it still the judge it was calibrated as.

None of them can fail: weak evidence never proves a candidate worse. Each is inconclusive (so
the candidate cannot ship) until the evidence is there; none ever passes by default.

* ``sampler_convergence`` (per candidate): the fits that produced the candidate's comparisons are
  found by ``run_id`` in fct_sampler_diagnostics. Pass when each is ``is_trusted`` = true;
  inconclusive when any is untrusted, its trust flag is null, or no diagnostics row matches,
  with the diagnostics' own reason (which names a model without human labels when its draws
  could not be trusted).
* ``human_label_coverage`` (per candidate x metric): the human-labelled traces of the candidate
  and of the incumbent, summed over regions (not 'ALL') of fct_quality_posteriors. Pass when both
  reach ``min_human_labels_per_model`` (and at least 1); otherwise inconclusive. observed_value
  is the smaller count.
* ``judge_coverage`` (per candidate x metric): in every region of the candidate's scope, the
  share of each model's kept traces (candidate and incumbent) that the metric's primary judge
  scored (``n_judged`` of fct_quality_posteriors over the model's kept traces there). Pass when
  every share reaches ``min_judge_coverage`` (default 0.9); otherwise inconclusive. The quality
  gates read judged traces only: verdicts missing or rejected on many traces need not be
  missing at random (a judge that times out on long answers, or whose output cannot be read on
  the worst ones), and the judged traces then cannot stand for the rest. observed_value is the
  smallest share.
* ``judge_drift`` (per candidate x metric): is the metric's primary judge flagged for drift on
  its latest week (fct_judge_agreement_over_time)? The calibration pools every week's labelled
  pairs, so a judge that changed lately reads the latest traces with error rates it no longer
  has. Inconclusive when flagged, or when there is no latest-week row to read (no labelled
  pairs of the primary judge on the metric); pass otherwise. observed_value is the largest of
  the week's three probabilities of being worse (agreement, sensitivity, specificity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from llm_migration.gates.results import (
    ALL_REGIONS,
    INCONCLUSIVE,
    PASS,
    gate_row,
    is_missing,
)


def _trusted(value) -> bool | None:
    if is_missing(value):
        return None
    if isinstance(value, str):
        return {"true": True, "false": False, "1": True, "0": False}.get(value.strip().lower())
    return bool(value)


def sampler_convergence_gates(
    comparisons: pd.DataFrame, diagnostics: pd.DataFrame, candidates: Sequence[str]
) -> list[dict]:
    """One ``sampler_convergence`` row per candidate."""
    rows = []
    for candidate in candidates:
        mine = comparisons[comparisons["candidate_model_id"].astype(str) == candidate]
        run_ids = sorted({str(r) for r in mine["run_id"].dropna().unique()})

        def row(status, reason, observed=None, candidate=candidate):
            return gate_row(
                candidate, "sampler_convergence", ALL_REGIONS, None, observed, None, status, reason
            )

        if not run_ids:
            rows.append(
                row(
                    INCONCLUSIVE,
                    f"{candidate} has no comparison with the incumbent, so no fit covers it: it "
                    f"has no kept judged or labelled traces, or none in a region the incumbent "
                    f"has",
                )
            )
            continue
        unstamped = int(mine["run_id"].isna().sum())
        if unstamped:
            # Such a row is read by the quality gates, but no fit's diagnostics cover it.
            rows.append(
                row(
                    INCONCLUSIVE,
                    f"{unstamped} comparison row(s) of {candidate} carry no run_id, so no "
                    "sampler diagnostics cover them",
                )
            )
            continue
        fits = diagnostics[diagnostics["run_id"].astype(str).isin(run_ids)]
        found = {str(r) for r in fits["run_id"].unique()}
        absent = [r for r in run_ids if r not in found]
        if absent:
            rows.append(row(INCONCLUSIVE, f"no sampler diagnostics for run(s) {', '.join(absent)}"))
            continue
        max_r_hat = pd.to_numeric(fits["max_r_hat"], errors="coerce").max()
        min_ess = pd.to_numeric(fits["min_ess_bulk"], errors="coerce").min()
        divergences = pd.to_numeric(fits["n_divergences"], errors="coerce").sum()
        figures = (
            f"max r_hat {max_r_hat:.3f}, min bulk ESS {min_ess:.0f}, {divergences:.0f} divergences"
        )
        untrusted = []
        for fit in fits.to_dict("records"):
            trusted = _trusted(fit["is_trusted"])
            if trusted is not True:
                why = fit.get("untrusted_reason")
                why = (
                    "trust flag missing"
                    if trusted is None
                    else (why if not is_missing(why) and str(why).strip() else "flagged untrusted")
                )
                untrusted.append(f"run {fit['run_id']}: {why}")
        if untrusted:
            rows.append(
                row(
                    INCONCLUSIVE,
                    f"the posterior fit is not trusted ({'; '.join(untrusted)}; {figures})",
                    max_r_hat,
                )
            )
        else:
            rows.append(row(PASS, f"the posterior fit is trusted ({figures})", max_r_hat))
    return rows


def human_label_coverage_gates(
    posteriors: pd.DataFrame,
    candidates: Sequence[str],
    incumbent: str | None,
    metrics: Sequence[str],
    min_labels: int,
) -> list[dict]:
    """One ``human_label_coverage`` row per candidate x metric."""
    counts = _regional_sums(posteriors, "n_human_labeled", ("model_id", "metric"))
    # At least one label, whatever the policy says: a model with none on a metric cannot tell
    # its true rate from its judge's error, so 0 must not pass (as in the task-type gate).
    needed = max(int(min_labels), 1)
    rows = []
    for candidate in candidates:
        for metric in metrics:
            n_cand = int(counts.get((candidate, metric), 0))
            if incumbent is None:
                rows.append(
                    gate_row(
                        candidate,
                        "human_label_coverage",
                        ALL_REGIONS,
                        metric,
                        n_cand,
                        min_labels,
                        INCONCLUSIVE,
                        f"no single incumbent whose human labels on {metric} could be counted",
                    )
                )
                continue
            n_inc = int(counts.get((incumbent, metric), 0))
            short = [
                f"{model} has {n}"
                for model, n in ((candidate, n_cand), (incumbent, n_inc))
                if n < needed
            ]
            status = PASS if not short else INCONCLUSIVE
            figures = (
                f"{candidate} {n_cand} and incumbent {incumbent} {n_inc} human-labelled traces "
                f"on {metric} (need {needed} each)"
            )
            reason = (
                f"enough human labels: {figures}"
                if status == PASS
                else f"too few human labels ({'; '.join(short)}): {figures}"
            )
            rows.append(
                gate_row(
                    candidate,
                    "human_label_coverage",
                    ALL_REGIONS,
                    metric,
                    min(n_cand, n_inc),
                    needed,
                    status,
                    reason,
                )
            )
    return rows


def _regional_sums(posteriors: pd.DataFrame, column: str, keys: tuple[str, ...]) -> dict:
    """A count column of the posteriors summed over the regional rows (not 'ALL') by ``keys``
    (as text); a missing or unreadable count is 0."""
    regional = posteriors[posteriors["region"].astype(str) != ALL_REGIONS]
    counts = pd.to_numeric(regional[column], errors="coerce").fillna(0)
    by = [regional[key].astype(str) for key in keys]
    return counts.groupby(by).sum().to_dict() if len(regional) else {}


def kept_trace_counts(systems_traces: pd.DataFrame) -> dict[tuple[str, str], int]:
    """(model_id, region) -> kept traces, from one row per kept trace (ids may be categories:
    grouped as they come, not converted row by row, which cost seconds at 5.3M traces)."""
    counts = systems_traces.groupby(["model_id", "region"], observed=True, sort=False).size()
    return {(str(m), str(r)): int(n) for (m, r), n in counts.items() if n > 0}


def judge_coverage_gates(
    posteriors: pd.DataFrame,
    kept: Mapping[tuple[str, str], int],
    candidate: str,
    incumbent: str | None,
    metrics: Sequence[str],
    regions: Sequence[str],
    min_coverage: float,
) -> list[dict]:
    """One ``judge_coverage`` row per metric for ``candidate`` (see the module docstring).

    ``posteriors``: fct_quality_posteriors with ``n_judged``; ``kept``: the kept traces per
    model and region (:func:`kept_trace_counts`); ``regions``: the candidate's scope.
    """
    has_judged = "n_judged" in posteriors.columns
    judged = {}
    if has_judged:
        judged = _regional_sums(posteriors, "n_judged", ("model_id", "region", "metric"))
    rows = []
    for metric in metrics:

        def row(status, reason, observed=None, metric=metric):
            return gate_row(
                candidate,
                "judge_coverage",
                ALL_REGIONS,
                metric,
                observed,
                min_coverage,
                status,
                reason,
            )

        if incumbent is None or not has_judged:
            missing = (
                "no single incumbent" if incumbent is None else "no n_judged in the posteriors"
            )
            rows.append(row(INCONCLUSIVE, f"{missing}: judge coverage on {metric} unknown"))
            continue
        shares = []
        for model in (candidate, incumbent):
            for region in regions:
                n_kept = int(kept.get((model, str(region)), 0))
                if n_kept > 0:
                    n_judged = int(judged.get((model, str(region), metric), 0))
                    shares.append((n_judged / n_kept, model, str(region), n_judged, n_kept))
        if not shares:
            rows.append(row(INCONCLUSIVE, f"no kept traces to judge on {metric}"))
            continue

        def describe(share, model, region, n_judged, n_kept):
            return f"{model} in {region} {share:.1%} ({n_judged:,} of {n_kept:,})"

        lowest = min(shares)
        short = [describe(*s) for s in sorted(shares) if s[0] < min_coverage]
        if not short:
            rows.append(
                row(
                    PASS,
                    f"the primary judge scored at least {min_coverage:.0%} of each model's kept "
                    f"traces in every region on {metric} (lowest: {describe(*lowest)})",
                    lowest[0],
                )
            )
            continue
        rows.append(
            row(
                INCONCLUSIVE,
                f"the primary judge scored too few kept traces on {metric}: "
                f"{'; '.join(short)} (min_judge_coverage {min_coverage:g}): traces without a "
                "verdict need not be missing at random (a judge that fails on the worst "
                "answers hides them), so the judged ones cannot stand for the rest; see "
                "rejected_input_rows for rejected verdicts",
                lowest[0],
            )
        )
    return rows


DRIFT_COLUMNS = ("judge_id", "metric", "week_start", "is_drift_flagged", "drift_reason")
_DRIFT_PROBABILITIES = ("prob_worse", "prob_sensitivity_worse", "prob_specificity_worse")


def judge_drift_gates(
    drift: pd.DataFrame | None, candidate: str, metrics: Sequence[str]
) -> list[dict]:
    """One ``judge_drift`` row per metric for ``candidate`` (see the module docstring).

    ``drift``: the latest-week rows of fct_judge_agreement_over_time for each metric's primary
    judge (``DRIFT_COLUMNS``, and the probabilities where present); None when not assessed.
    """
    rows = []
    for metric in metrics:

        def row(status, reason, observed=None, metric=metric):
            return gate_row(
                candidate, "judge_drift", ALL_REGIONS, metric, observed, None, status, reason
            )

        mine = None if drift is None else drift[drift["metric"].astype(str) == metric]
        if mine is None or mine.empty:
            rows.append(
                row(
                    INCONCLUSIVE,
                    f"no drift assessment of the primary judge on {metric} (no labelled pairs "
                    "of it, or none given)",
                )
            )
            continue
        found = [c for c in _DRIFT_PROBABILITIES if c in mine.columns]
        observed = pd.to_numeric(mine[found].stack(), errors="coerce").max() if found else None
        observed = None if is_missing(observed) else float(observed)
        flagged = mine[mine["is_drift_flagged"].map(lambda v: is_missing(v) or bool(v))]
        first = (flagged if not flagged.empty else mine).iloc[0]
        where = f"{first['judge_id']} on {metric} in the week of {first['week_start']}"
        if flagged.empty:
            rows.append(row(PASS, f"no drift flagged for {where}", observed))
            continue
        why = first["drift_reason"] if not is_missing(first["drift_reason"]) else "flag unknown"
        rows.append(
            row(
                INCONCLUSIVE,
                f"the judge drifted: {where} ({why}); the calibration pools every week, so the "
                "latest traces are read with error rates the judge no longer has. Label a "
                "fresh random sample of the latest traces and rebuild (README: when the drift "
                "flag fires)",
                observed,
            )
        )
    return rows
