import pandas as pd
import pytest
from gate_inputs import (
    REGIONS,
    diagnostics,
    equal_systems,
    good_comparisons,
    good_posteriors,
    posterior,
    steady_drift,
)

from llm_migration.gates import GatePolicy
from llm_migration.gates.evidence import (
    human_label_coverage_gates,
    judge_coverage_gates,
    judge_drift_gates,
    kept_trace_counts,
    sampler_convergence_gates,
)


def _sampler(diag, comparisons=None):
    comparisons = good_comparisons() if comparisons is None else comparisons
    (row,) = sampler_convergence_gates(comparisons, diag, ["cand"])
    return row


def test_trusted_fit_passes():
    row = _sampler(diagnostics(trusted=True))
    assert row["status"] == "pass"
    assert row["observed_value"] == pytest.approx(1.004)
    assert row["metric"] is None and row["region"] == "ALL"
    assert "max r_hat 1.004" in row["reason"]


def test_untrusted_fit_is_inconclusive_never_pass():
    row = _sampler(diagnostics(trusted=False, reason="r_hat 1.21 > 1.01"))
    assert row["status"] == "inconclusive"
    assert "not trusted (run run-1: r_hat 1.21 > 1.01" in row["reason"]


@pytest.mark.parametrize("flag", [None, "maybe"])
def test_missing_trust_flag_is_inconclusive(flag):
    diag = diagnostics().assign(is_trusted=flag)
    row = _sampler(diag)
    assert row["status"] == "inconclusive"


def test_trust_flag_given_as_text_is_read():
    assert _sampler(diagnostics().assign(is_trusted="true"))["status"] == "pass"
    assert _sampler(diagnostics().assign(is_trusted="false"))["status"] == "inconclusive"


def test_a_comparison_row_without_a_run_id_is_not_covered_by_a_trusted_fit():
    # A review's case: a good-looking eu-west row with no run_id beside trusted rows shipped.
    comparisons = good_comparisons()
    comparisons.loc[comparisons.region == "eu-west", "run_id"] = None
    row = _sampler(diagnostics(trusted=True), comparisons)
    assert row["status"] == "inconclusive"
    assert "comparison row(s) of cand carry no run_id" in row["reason"]


def test_no_diagnostics_for_the_run_is_inconclusive():
    row = _sampler(diagnostics(run_id="another-run"))
    assert row["status"] == "inconclusive"
    assert "no sampler diagnostics for run(s) run-1" in row["reason"]
    assert _sampler(diagnostics().iloc[0:0])["status"] == "inconclusive"


def test_a_candidate_without_comparisons_is_told_why():
    # It used to read "no comparison rows with a run_id for cand: no fit".
    row = _sampler(diagnostics(), good_comparisons().iloc[0:0])
    assert row["status"] == "inconclusive"
    assert row["reason"].startswith("cand has no comparison with the incumbent")
    assert "no kept judged or labelled traces" in row["reason"]


def test_every_run_behind_the_comparisons_must_be_trusted():
    comparisons = good_comparisons()
    comparisons.loc[1, "run_id"] = "run-2"
    both = pd.concat([diagnostics(), diagnostics(trusted=False, run_id="run-2")])
    assert _sampler(both, comparisons)["status"] == "inconclusive"


def test_untrusted_fit_passes_on_the_diagnostics_reason():
    reason = "cand-b has no human labels on correctness and its judged rates fit few of ..."
    (row,) = sampler_convergence_gates(
        good_comparisons(), diagnostics(trusted=False, reason=reason), ["cand"]
    )
    assert row["status"] == "inconclusive"
    assert reason in row["reason"]


def test_no_comparisons_means_no_fit_to_trust():
    row = _sampler(diagnostics(), good_comparisons().iloc[0:0])
    assert row["status"] == "inconclusive"


def _coverage(posteriors, minimum=100, incumbent="inc"):
    (row,) = human_label_coverage_gates(posteriors, ["cand"], incumbent, ["correctness"], minimum)
    return row


def test_coverage_counts_regional_labels_not_the_all_row():
    # Two regions x 80 labels = 160 per model; the 'ALL' row (160) is not added again.
    row = _coverage(good_posteriors())
    assert row["status"] == "pass"
    assert row["observed_value"] == 160 and row["threshold"] == 100
    assert _coverage(good_posteriors(), minimum=161)["status"] == "inconclusive"


def test_coverage_is_inconclusive_when_either_model_is_short():
    rows = [posterior("cand", r, n_human=80) for r in ("us-east", "eu-west")]
    rows += [posterior("inc", r, n_human=30, role="incumbent") for r in ("us-east", "eu-west")]
    row = _coverage(pd.DataFrame(rows))
    assert row["status"] == "inconclusive"
    assert row["observed_value"] == 60
    assert "inc has 60" in row["reason"] and "cand has" not in row["reason"]


def test_coverage_without_rows_or_incumbent_is_inconclusive():
    assert _coverage(good_posteriors().iloc[0:0])["status"] == "inconclusive"
    assert _coverage(good_posteriors(), incumbent=None)["status"] == "inconclusive"


def test_coverage_never_passes_a_model_without_human_labels_even_at_a_minimum_of_zero():
    # min_human_labels_per_model: 0 is a valid policy; it passed a candidate with 0 labels
    # (README: a model without labels on a metric gets needs_more_labels from this gate).
    none = good_posteriors().assign(n_human_labeled=0)
    row = _coverage(none, minimum=0)
    assert row["status"] == "inconclusive"
    assert "cand has 0" in row["reason"]
    assert _coverage(good_posteriors(), minimum=0)["status"] == "pass"


def _judged(cand_eu_west=1500, inc_us_east=1500):
    """Posteriors whose primary judge scored the given traces of 1,500 kept per region."""
    posteriors = good_posteriors()
    for model, region, n in (("cand", "eu-west", cand_eu_west), ("inc", "us-east", inc_us_east)):
        cell = (posteriors.model_id == model) & (posteriors.region == region)
        posteriors.loc[cell, "n_judged"] = n
    return posteriors


def _judge_coverage(posteriors, regions=REGIONS, minimum=0.9):
    (row,) = judge_coverage_gates(
        posteriors,
        kept_trace_counts(equal_systems()),
        "cand",
        "inc",
        ["correctness"],
        regions,
        minimum,
    )
    return row


def test_judge_coverage_passes_when_every_model_and_region_is_judged_enough():
    row = _judge_coverage(_judged(cand_eu_west=1350))  # 90.0%: at the threshold
    assert row["status"] == "pass"
    assert row["observed_value"] == pytest.approx(0.9)
    assert row["threshold"] == 0.9
    assert "lowest: cand in eu-west 90.0% (1,350 of 1,500)" in row["reason"]


def test_traces_the_judge_did_not_score_keep_a_candidate_from_shipping():
    # 600 of the candidate's 1,500 eu-west traces have no kept verdict (a judge that times out
    # on long answers, outputs it cannot read): the quality gates see only the 900 judged.
    row = _judge_coverage(_judged(cand_eu_west=900))
    assert row["status"] == "inconclusive"
    assert row["observed_value"] == pytest.approx(0.6)
    assert "cand in eu-west 60.0% (900 of 1,500)" in row["reason"]
    assert "need not be missing at random" in row["reason"]
    # The incumbent's gaps count too: its judged traces are the baseline.
    held = _judge_coverage(_judged(inc_us_east=1349))
    assert held["status"] == "inconclusive"
    assert "inc in us-east 89.9% (1,349 of 1,500)" in held["reason"]
    assert _judge_coverage(_judged(cand_eu_west=900), minimum=0.5)["status"] == "pass"


def test_judge_coverage_counts_only_regions_where_the_model_has_kept_traces():
    # A region of the scope without the candidate's traces is for the regional gate to hold.
    row = _judge_coverage(_judged(), regions=(*REGIONS, "ap-south"))
    assert row["status"] == "pass"
    # A metric the judge never scored is not covered.
    (none,) = judge_coverage_gates(
        good_posteriors(),
        kept_trace_counts(equal_systems()),
        "cand",
        "inc",
        ["style"],
        REGIONS,
        0.9,
    )
    assert (
        none["status"] == "inconclusive" and "cand in eu-west 0.0% (0 of 1,500)" in none["reason"]
    )
    # Without n_judged, or without an incumbent, the coverage is unknown, never passed.
    unknown = _judge_coverage(good_posteriors().drop(columns="n_judged"))
    assert unknown["status"] == "inconclusive"
    (alone,) = judge_coverage_gates(
        good_posteriors(),
        kept_trace_counts(equal_systems()),
        "cand",
        None,
        ["correctness"],
        REGIONS,
        0.9,
    )
    assert alone["status"] == "inconclusive"


def test_judge_coverage_is_a_required_gate_unless_turned_off():
    assert "judge_coverage" in GatePolicy.from_vars({}).enabled_gate_ids
    off = GatePolicy.from_vars({"min_judge_coverage": None})
    assert off.min_judge_coverage is None and "judge_coverage" not in off.enabled_gate_ids
    for bad in (0, 1.5, "0.9", float("nan")):
        with pytest.raises(ValueError, match="min_judge_coverage"):
            GatePolicy.from_vars({"min_judge_coverage": bad})


def test_a_judge_flagged_for_drift_holds_the_metric_open():
    metrics = ["correctness", "style"]
    rows = judge_drift_gates(steady_drift(metrics, flagged=("style",)), "cand", metrics)
    by_metric = {row["metric"]: row for row in rows}
    assert by_metric["correctness"]["status"] == "pass"
    assert (
        "no drift flagged for judge-a on correctness in the week of 2026-01-05"
        in (by_metric["correctness"]["reason"])
    )
    drifted = by_metric["style"]
    assert drifted["status"] == "inconclusive"
    assert drifted["observed_value"] == pytest.approx(0.99)
    assert "judge-a on style in the week of 2026-01-05 (specificity 0.52" in drifted["reason"]
    assert "Label a fresh random sample of the latest traces" in drifted["reason"]


def test_judge_drift_without_an_assessment_is_never_passed():
    # No latest-week row for the metric (no labelled pairs of its judge), no frame at all, or a
    # flag that is missing: not decided.
    (absent,) = judge_drift_gates(steady_drift(["style"]), "cand", ["correctness"])
    (none,) = judge_drift_gates(None, "cand", ["correctness"])
    (unknown,) = judge_drift_gates(
        steady_drift().assign(is_drift_flagged=None), "cand", ["correctness"]
    )
    for row in (absent, none, unknown):
        assert row["status"] == "inconclusive"
    assert "no drift assessment of the primary judge on correctness" in absent["reason"]


def test_judge_drift_is_a_required_gate_unless_turned_off():
    assert "judge_drift" in GatePolicy.from_vars({}).enabled_gate_ids
    off = GatePolicy.from_vars({"hold_on_judge_drift": False})
    assert "judge_drift" not in off.enabled_gate_ids
    with pytest.raises(ValueError, match="hold_on_judge_drift: expected true or false"):
        GatePolicy.from_vars({"hold_on_judge_drift": "false"})
