"""Quality gates on fct_model_comparisons: overall non-inferiority, regional regression, custom.

Comparisons arrive oriented so that a positive diff is better for the candidate, with
``prob_noninferior`` = P(diff >= -margin) and ``prob_worse_beyond_margin`` = P(diff < -margin).

Rules (``p_pass`` = prob_noninferior_required, ``p_block`` = prob_regional_regression_blocks,
both per metric):

* ``overall_noninferiority`` (region 'ALL'): fail when P(worse beyond margin) >= p_block; pass
  when P(non-inferior) >= p_pass; otherwise inconclusive. The overall figure must *prove*
  non-inferiority to pass.
* ``regional_regression`` (every region in the candidate's scope, see ``scope_of_candidate``):
  fail when P(worse beyond margin) >= p_block; pass when P(worse beyond margin) <= 1 - p_block,
  i.e. the evidence against a regression is as strong
  as the evidence a block demands for one (4:1 at the default 0.8), *and* the region's own data
  agree (``prob_worse_own_evidence``, the same probability with the region's rates drawn from
  its data alone: partial pooling would otherwise clear a region of 1% of the traffic on the
  strength of the others); otherwise inconclusive. A
  region does not have to prove non-inferiority on its own (regions hold a fraction of the
  labels); it must not plausibly regress. A region with no comparison row is inconclusive, so a
  good average can never stand in for a region that was not measured.
* custom gates: the expression is the pass condition; false -> fail; unknown -> inconclusive.

A missing probability (NULL/NaN) or a missing row is always inconclusive.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from llm_migration.gates.judge_consistency import hiding_pvalue, labels_only_prob_worse
from llm_migration.gates.policy import GatePolicy, MetricPolicy
from llm_migration.gates.results import (
    ALL_REGIONS,
    FAIL,
    INCONCLUSIVE,
    PASS,
    fmt_pp,
    fmt_prob,
    gate_row,
    is_missing,
    three_way,
)

_KEY = ("candidate_model_id", "region", "metric")


def _index(comparisons: pd.DataFrame) -> dict[tuple[str, str, str], dict]:
    return {
        (str(row["candidate_model_id"]), str(row["region"]), str(row["metric"])): row
        for row in comparisons.to_dict("records")
    }


def _where(region: str) -> str:
    return "overall" if region == ALL_REGIONS else f"in {region}"


def _effect(row: dict) -> str:
    return (
        f"diff {fmt_pp(row['diff_mean'], signed=True)}, 95% HDI "
        f"[{fmt_pp(row['diff_hdi_low'], signed=True)}, "
        f"{fmt_pp(row['diff_hdi_high'], signed=True)}]"
    )


def _missing_row(candidate: str, gate_id: str, region: str, metric: str) -> dict:
    return gate_row(
        candidate,
        gate_id,
        region,
        metric,
        None,
        None,
        INCONCLUSIVE,
        f"no comparison of {candidate} with the incumbent on {metric} "
        f"{_where(region)}: nothing to decide on",
    )


def overall_noninferiority_gates(
    comparisons: pd.DataFrame, candidates: Sequence[str], metrics: Sequence[str], policy: GatePolicy
) -> list[dict]:
    """One ``overall_noninferiority`` row per candidate x metric (region 'ALL')."""
    rows = []
    index = _index(comparisons)
    for candidate in candidates:
        for metric in metrics:
            row = index.get((candidate, ALL_REGIONS, metric))
            if row is None:
                rows.append(_missing_row(candidate, "overall_noninferiority", ALL_REGIONS, metric))
                continue
            rule = policy.for_metric(metric)
            p_ni, p_worse = row["prob_noninferior"], row["prob_worse_beyond_margin"]
            status = three_way(
                p_ni, p_worse, rule.prob_noninferior_required, rule.prob_regional_regression_blocks
            )
            margin = fmt_pp(row["margin"])
            if status == FAIL:
                reason = (
                    f"{metric} is worse overall by more than {margin}: "
                    f"P(worse by >{margin})="
                    f"{fmt_prob(p_worse, rule.prob_regional_regression_blocks)} >= "
                    f"{fmt_prob(rule.prob_regional_regression_blocks)} ({_effect(row)})"
                )
            elif status == PASS:
                reason = (
                    f"{metric} is non-inferior overall: P(not worse by >{margin})="
                    f"{fmt_prob(p_ni, rule.prob_noninferior_required)} >= "
                    f"{fmt_prob(rule.prob_noninferior_required)} "
                    f"({_effect(row)})"
                )
            elif is_missing(p_ni) or is_missing(p_worse):
                reason = (
                    f"{metric} overall has no posterior probability (P(non-inferior)="
                    f"{fmt_prob(p_ni)}, P(worse by >{margin})={fmt_prob(p_worse)})"
                )
            else:
                reason = (
                    f"{metric} non-inferiority overall is not settled: "
                    f"P(not worse by >{margin})="
                    f"{fmt_prob(p_ni, rule.prob_noninferior_required)} < "
                    f"{fmt_prob(rule.prob_noninferior_required)} and "
                    f"P(worse by >{margin})="
                    f"{fmt_prob(p_worse, rule.prob_regional_regression_blocks)} < "
                    f"{fmt_prob(rule.prob_regional_regression_blocks)} ({_effect(row)})"
                )
            rows.append(
                gate_row(
                    candidate,
                    "overall_noninferiority",
                    ALL_REGIONS,
                    metric,
                    p_ni,
                    rule.prob_noninferior_required,
                    status,
                    reason,
                )
            )
    return rows


def _judge_region_doubt(
    judge_checks: pd.DataFrame | None,
    candidate: str,
    row: dict,
    region: str,
    metric: str,
    rule: MetricPolicy,
    policy: GatePolicy,
) -> tuple[str | None, str]:
    """Whether the judge check holds a region that would pass, and what its labels alone say.

    (None, PASS) when the check is off, has nothing on the cell, or finds the judge erring
    there as in the model's other regions at ``judge_region_check_alpha``. Otherwise the text
    of what the check and the region's human labels alone say, and the status those labels
    alone give under the regional rule: pass, fail (P(worse) >= the block threshold: the
    unbiased witness shows the regression the shared calibration hid) or inconclusive (the fit's
    figures do not decide it: they read the region's verdicts through the judge error rates
    shared across regions).
    """
    alpha = policy.judge_region_check_alpha
    incumbent = str(row.get("incumbent_model_id"))
    found = None
    if alpha is not None:
        found = hiding_pvalue(judge_checks, candidate, incumbent, region, metric, rule.direction)
    if found is None or not found[0] < alpha:
        return None, PASS
    p_labels, n_cand, n_inc = labels_only_prob_worse(
        judge_checks, candidate, incumbent, region, metric, rule.direction, float(row["margin"])
    )
    clear = rule.prob_regional_regression_clears
    text = (
        f"{found[1]} < {alpha:g}; {region}'s human labels alone ({n_cand} of {candidate}, "
        f"{n_inc} of the incumbent) give P(worse by >{fmt_pp(row['margin'])})="
        f"{fmt_prob(p_labels, clear)}"
    )
    if is_missing(p_labels):
        return text, INCONCLUSIVE
    if p_labels >= rule.prob_regional_regression_blocks:
        return text, FAIL
    return text, PASS if p_labels <= clear else INCONCLUSIVE


def regional_regression_gates(
    comparisons: pd.DataFrame,
    candidates: Sequence[str],
    metrics: Sequence[str],
    regions: Sequence[str],
    policy: GatePolicy,
    judge_checks: pd.DataFrame | None = None,
) -> list[dict]:
    """One ``regional_regression`` row per candidate x region x metric (regions, not 'ALL').

    With ``judge_checks`` (:func:`~llm_migration.gates.judge_consistency.judge_consistency_checks`)
    a region that would pass is held inconclusive when the labelled pairs there say the judge
    errs in the candidate's favour (or the incumbent's disfavour) more than in the models' other
    regions, at p below the policy's ``judge_region_check_alpha``: the shared judge calibration
    then does not vouch for that region.
    """
    rows = []
    index = _index(comparisons)
    for candidate in candidates:
        for metric in metrics:
            rule = policy.for_metric(metric)
            for region in regions:
                row = index.get((candidate, region, metric))
                if row is None:
                    rows.append(_missing_row(candidate, "regional_regression", region, metric))
                    continue
                p_worse = row["prob_worse_beyond_margin"]
                p_clear = None if is_missing(p_worse) else 1.0 - p_worse
                # Cleared when P(worse) <= 1 - p_block, i.e. P(not worse) >= p_block.
                status = three_way(
                    p_clear,
                    p_worse,
                    rule.prob_regional_regression_blocks,
                    rule.prob_regional_regression_blocks,
                )
                margin = fmt_pp(row["margin"])
                shown = fmt_prob(
                    p_worse,
                    rule.prob_regional_regression_blocks,
                    rule.prob_regional_regression_clears,
                )
                figure = f"P(worse by >{margin})={shown}"
                # Partial pooling pulls a small region towards the others: it is cleared only
                # when its own data agree (prob_worse_own_evidence, no pooling across regions).
                p_own = row.get("prob_worse_own_evidence")
                pooled_only = status == PASS and (
                    is_missing(p_own) or not 1.0 - p_own >= rule.prob_regional_regression_blocks
                )
                if pooled_only:
                    status = INCONCLUSIVE
                doubt = None
                if status == PASS:
                    doubt, status = _judge_region_doubt(
                        judge_checks, candidate, row, region, metric, rule, policy
                    )
                clear = rule.prob_regional_regression_clears
                block = rule.prob_regional_regression_blocks
                if doubt is not None and status == FAIL:
                    reason = (
                        f"{metric} in {region} would pass ({figure}), but {doubt} >= "
                        f"{fmt_prob(block)}: it regresses there on the labels alone, which "
                        f"the judge's calibration shared across regions hid; {_effect(row)}"
                    )
                elif doubt is not None and status == PASS:
                    reason = (
                        f"{metric} in {region} passes ({figure}); the judge errs otherwise "
                        f"there ({doubt} <= {fmt_prob(clear)}, so the labels clear it); "
                        f"{_effect(row)}"
                    )
                elif doubt is not None:
                    reason = (
                        f"{metric} in {region} would pass ({figure}), but {doubt} > "
                        f"{fmt_prob(clear)}: the judge's calibration shared across regions "
                        f"does not vouch for {region}, so its labels alone decide it; label a "
                        f"random sample of more of {candidate}'s and the incumbent's traces "
                        f"there; {_effect(row)}"
                    )
                elif pooled_only and is_missing(p_own):
                    reason = (
                        f"{metric} in {region} is clear only with pooling across regions "
                        f"({figure}); without the region's own-data probability it is not "
                        f"cleared; {_effect(row)}"
                    )
                elif pooled_only:
                    own = fmt_prob(p_own, rule.prob_regional_regression_clears)
                    reason = (
                        f"{metric} in {region} is clear only with pooling across regions "
                        f"({figure}), but {region}'s own data leave P(worse by >{margin})="
                        f"{own} > {fmt_prob(rule.prob_regional_regression_clears)}: label "
                        f"or collect more traces there; {_effect(row)}"
                    )
                elif status == FAIL:
                    reason = (
                        f"{metric} regresses in {region} ({figure} >= "
                        f"{fmt_prob(rule.prob_regional_regression_blocks)}; "
                        f"{_effect(row)})"
                    )
                elif status == PASS:
                    reason = (
                        f"{metric} shows no regression in {region} ({figure} <= "
                        f"{fmt_prob(rule.prob_regional_regression_clears)}; "
                        f"{_effect(row)})"
                    )
                elif is_missing(p_worse):
                    reason = f"{metric} in {region} has no posterior probability ({figure})"
                else:
                    reason = (
                        f"{metric} may regress in {region} ({figure}, between "
                        f"{fmt_prob(rule.prob_regional_regression_clears)} and "
                        f"{fmt_prob(rule.prob_regional_regression_blocks)}; "
                        f"{_effect(row)})"
                    )
                rows.append(
                    gate_row(
                        candidate,
                        "regional_regression",
                        region,
                        metric,
                        p_worse,
                        rule.prob_regional_regression_blocks,
                        status,
                        reason,
                    )
                )
    return rows


def custom_gate_results(
    comparisons: pd.DataFrame,
    candidates: Sequence[str],
    metrics: Sequence[str],
    regions: Sequence[str],
    policy: GatePolicy,
) -> list[dict]:
    """Each custom gate per candidate x (region 'ALL', or every region) x metric.

    ``observed_value`` and ``threshold`` are null: an expression has no single figure; the
    reason lists the values it read.
    """
    rows = []
    index = _index(comparisons)
    for gate in policy.custom_gates:
        gate_metrics = list(gate.metrics) if gate.metrics else list(metrics)
        gate_regions = [ALL_REGIONS] if gate.scope == "overall" else list(regions)
        for candidate in candidates:
            for metric in gate_metrics:
                for region in gate_regions:
                    row = index.get((candidate, region, metric))
                    if row is None:
                        rows.append(_missing_row(candidate, gate.gate_id, region, metric))
                        continue
                    result = gate.expression.evaluate_row(row)
                    values = ", ".join(
                        f"{c}={'null' if is_missing(row[c]) else format(float(row[c]), '.4g')}"
                        for c in gate.expression.columns
                    )
                    if result is None:
                        status, verb = INCONCLUSIVE, "cannot be evaluated (a value is missing)"
                    elif result:
                        status, verb = PASS, "holds"
                    else:
                        status, verb = FAIL, "does not hold"
                    reason = (
                        f"custom gate {gate.gate_id} ({gate.expression.text}) {verb} "
                        f"for {metric} {_where(region)}: {values}"
                    )
                    rows.append(
                        gate_row(
                            candidate, gate.gate_id, region, metric, None, None, status, reason
                        )
                    )
    return rows
