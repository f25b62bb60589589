import pandas as pd
import pytest
from gate_inputs import REGIONS, comparison, comparisons_frame, good_comparisons

from llm_migration.gates import GatePolicy
from llm_migration.gates.quality import (
    custom_gate_results,
    overall_noninferiority_gates,
    regional_regression_gates,
)

POLICY = GatePolicy.from_vars({})


def _overall(row: dict, policy=POLICY) -> dict:
    (result,) = overall_noninferiority_gates(
        comparisons_frame([row]), ["cand"], [row["metric"]], policy
    )
    return result


def _regional(row: dict, policy=POLICY) -> dict:
    (result,) = regional_regression_gates(
        comparisons_frame([row]), ["cand"], [row["metric"]], [row["region"]], policy
    )
    return result


# ---- overall non-inferiority ----------------------------------------------------------------


def test_overall_passes_when_noninferiority_is_proven():
    # Normal(+1pp, 1pp): P(diff >= -2pp) = Phi(3) = 0.9987.
    result = _overall(comparison(mean=0.01, sd=0.01))
    assert result["status"] == "pass"
    assert result["observed_value"] == pytest.approx(0.99865, abs=1e-4)
    assert result["threshold"] == 0.95
    assert result["region"] == "ALL" and result["metric"] == "correctness"
    assert "correctness is non-inferior overall" in result["reason"]
    assert "P(not worse by >2pp)=1.00" in result["reason"]


def test_overall_fails_when_worse_beyond_the_margin_is_probable():
    # Normal(-3pp, 1pp): P(diff < -2pp) = Phi(1) = 0.84 >= 0.8.
    result = _overall(comparison(mean=-0.03, sd=0.01))
    assert result["status"] == "fail"
    assert "worse overall by more than 2pp: P(worse by >2pp)=0.84 >= 0.80" in result["reason"]
    assert "diff -3pp" in result["reason"]


def test_overall_is_inconclusive_in_between():
    # Normal(-1pp, 1pp): P(non-inferior) = Phi(1) = 0.84 < 0.95; P(worse) = 0.16 < 0.8.
    result = _overall(comparison(mean=-0.01, sd=0.01))
    assert result["status"] == "inconclusive"
    assert "not settled" in result["reason"]


def test_overall_threshold_follows_the_metric_policy():
    strict = GatePolicy.from_vars(
        {"metrics": {"correctness": {"prob_noninferior_required": 0.999}}}
    )
    assert _overall(comparison(mean=0.01, sd=0.01), strict)["status"] == "inconclusive"


@pytest.mark.parametrize("column", ["prob_noninferior", "prob_worse_beyond_margin"])
def test_overall_missing_probability_is_inconclusive_not_pass(column):
    result = _overall(comparison(mean=0.05, sd=0.001, **{column: None}))
    assert result["status"] == "inconclusive"
    assert "no posterior probability" in result["reason"]


def test_overall_inconsistent_probabilities_fail_closed():
    result = _overall(comparison(prob_noninferior=0.97, prob_worse_beyond_margin=0.9))
    assert result["status"] == "fail"


def test_overall_missing_row_is_inconclusive():
    (result,) = overall_noninferiority_gates(good_comparisons(), ["cand"], ["refusal"], POLICY)
    assert result["status"] == "inconclusive"
    assert "no comparison of cand with the incumbent on refusal overall" in result["reason"]


# ---- regional regression ----------------------------------------------------------------------


def test_regional_fails_at_the_block_probability():
    # Normal(-4pp, 2pp) in eu-west: P(diff < -2pp) = Phi(1) = 0.84.
    result = _regional(comparison(region="eu-west", mean=-0.04, sd=0.02))
    assert result["status"] == "fail"
    assert result["observed_value"] == pytest.approx(0.8413, abs=1e-4)
    assert result["threshold"] == 0.8
    assert result["reason"].startswith("correctness regresses in eu-west (P(worse by >2pp)=0.84")


def test_regional_passes_when_a_regression_is_improbable():
    # Normal(0, 1pp): P(diff < -2pp) = Phi(-2) = 0.023 <= 0.2.
    result = _regional(comparison(region="eu-west", mean=0.0, sd=0.01))
    assert result["status"] == "pass"
    assert "no regression in eu-west" in result["reason"]


def test_regional_is_inconclusive_when_a_regression_is_plausible():
    # Normal(-2pp, 3pp): P(diff < -2pp) = 0.5.
    result = _regional(comparison(region="eu-west", mean=-0.02, sd=0.03))
    assert result["status"] == "inconclusive"
    assert "may regress in eu-west" in result["reason"]


def test_regional_boundaries_are_inclusive():
    at_block = comparison(region="eu-west", prob_worse_beyond_margin=0.8)
    at_clear = comparison(region="eu-west", prob_worse_beyond_margin=0.2)
    assert _regional(at_block)["status"] == "fail"
    assert _regional(at_clear)["status"] == "pass"


def test_a_good_average_does_not_hide_a_regional_regression():
    rows = [comparison("cand", "ALL", mean=0.015, sd=0.005)]
    rows.append(comparison("cand", "us-east", mean=0.03, sd=0.01))
    rows.append(comparison("cand", "eu-west", mean=-0.05, sd=0.01))
    frame = comparisons_frame(rows)
    (overall,) = overall_noninferiority_gates(frame, ["cand"], ["correctness"], POLICY)
    regional = regional_regression_gates(frame, ["cand"], ["correctness"], list(REGIONS), POLICY)
    assert overall["status"] == "pass"
    statuses = {r["region"]: r["status"] for r in regional}
    assert statuses == {"us-east": "pass", "eu-west": "fail"}


def test_a_region_without_a_comparison_is_inconclusive():
    frame = comparisons_frame([comparison("cand", "us-east")])
    regional = regional_regression_gates(frame, ["cand"], ["correctness"], list(REGIONS), POLICY)
    by_region = {r["region"]: r for r in regional}
    assert by_region["us-east"]["status"] == "pass"
    assert by_region["eu-west"]["status"] == "inconclusive"
    assert "in eu-west" in by_region["eu-west"]["reason"]


def test_a_region_cleared_only_by_pooling_stays_open():
    # The pooled posterior clears latam (P(worse) 0.02), its own data do not (0.45): a region
    # of 1% of the traffic used to pass on the strength of the others and let a candidate ship.
    pooled_only = _regional(
        comparison(region="latam", mean=0.0, sd=0.01, prob_worse_own_evidence=0.45)
    )
    assert pooled_only["status"] == "inconclusive"
    assert "clear only with pooling across regions" in pooled_only["reason"]
    assert "latam's own data leave P(worse by >2pp)=0.45 > 0.20" in pooled_only["reason"]
    unknown = _regional(comparison(region="latam", mean=0.0, sd=0.01, prob_worse_own_evidence=None))
    assert unknown["status"] == "inconclusive"
    agreed = _regional(comparison(region="latam", mean=0.0, sd=0.01, prob_worse_own_evidence=0.2))
    assert agreed["status"] == "pass"
    # A failure stands on the pooled figure alone.
    failed = _regional(comparison(region="latam", mean=-0.05, sd=0.01, prob_worse_own_evidence=0.1))
    assert failed["status"] == "fail"


def test_regional_missing_probability_is_inconclusive():
    result = _regional(comparison(region="eu-west", prob_worse_beyond_margin=float("nan")))
    assert result["status"] == "inconclusive"


# ---- custom gates -----------------------------------------------------------------------------


def _custom(policy_vars: dict, frame: pd.DataFrame, metrics=("correctness",)) -> list[dict]:
    policy = GatePolicy.from_vars(policy_vars)
    return custom_gate_results(frame, ["cand"], list(metrics), list(REGIONS), policy)


def test_custom_gate_pass_fail_and_inconclusive_per_region():
    frame = comparisons_frame(
        [
            comparison("cand", "ALL", mean=0.01, sd=0.005),
            comparison("cand", "us-east", mean=0.01, sd=0.005),
            comparison("cand", "eu-west", mean=0.01, sd=0.02, diff_hdi_low=None),
        ]
    )
    results = _custom(
        {
            "custom_gates": [
                {
                    "gate_id": "tight_hdi",
                    "expression": "diff_hdi_low > -margin",
                    "scope": "regional",
                }
            ]
        },
        frame,
    )
    by_region = {r["region"]: r for r in results}
    assert set(by_region) == set(REGIONS)
    assert by_region["us-east"]["status"] == "pass"
    assert by_region["eu-west"]["status"] == "inconclusive"
    assert "diff_hdi_low=null" in by_region["eu-west"]["reason"]
    assert all(r["gate_id"] == "tight_hdi" for r in results)

    failing = _custom(
        {"custom_gates": [{"gate_id": "very_sure", "expression": "prob_better >= 0.9999"}]},
        frame,
    )
    (overall,) = failing
    assert overall["region"] == "ALL" and overall["status"] == "fail"
    assert "does not hold for correctness overall" in overall["reason"]


def test_custom_gate_metric_list_restricts_and_a_missing_metric_is_inconclusive():
    frame = good_comparisons()
    results = _custom(
        {
            "custom_gates": [
                {
                    "gate_id": "g",
                    "expression": "prob_better > 0.5",
                    "metrics": ["correctness", "refusal"],
                }
            ]
        },
        frame,
        metrics=("correctness", "style"),
    )
    by_metric = {r["metric"]: r["status"] for r in results}
    assert by_metric == {"correctness": "pass", "refusal": "inconclusive"}
