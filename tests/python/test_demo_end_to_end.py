"""The whole pipeline on the demo, real PyMC sampling, checked against the generator's truth."""

from __future__ import annotations

import pytest

from conftest import query, run_dbt

pytestmark = pytest.mark.dbt


def test_true_rates_fall_inside_the_95_hdis(demo_build, demo_truth):
    posteriors = query(demo_build, "select * from fct_quality_posteriors where region != 'ALL'")
    truth = demo_truth["true_rates"]
    merged = posteriors.merge(truth, on=["model_id", "region", "metric"], validate="one_to_one")
    assert len(merged) == 4 * 6 * 3
    covered = (merged.hdi_low <= merged.true_rate) & (merged.true_rate <= merged.hdi_high)
    # With 72 cells and nominal 95% coverage, fewer than 90% covered (< 65 of 72) has probability
    # P(Binomial(72, 0.95) < 65) = 0.027 for a calibrated model (more if cells are correlated).
    assert covered.mean() >= 0.90, merged.loc[
        ~covered, ["model_id", "region", "metric", "posterior_mean", "true_rate"]
    ]


def test_overall_rates_are_post_stratified_and_cover_the_truth(demo_build, demo_truth):
    overall = query(demo_build, "select * from fct_quality_posteriors where region = 'ALL'")
    truth = demo_truth["true_rates"].query("region == 'ALL'")
    merged = overall.merge(truth, on=["model_id", "region", "metric"], validate="one_to_one")
    assert len(merged) == 12
    covered = (merged.hdi_low <= merged.true_rate) & (merged.true_rate <= merged.hdi_high)
    # 12 overall figures: P(Binomial(12, 0.95) <= 9) = 0.02
    assert covered.sum() >= 10


def test_flattered_candidate_is_corrected_towards_its_truth(demo_build, demo_truth):
    row = query(
        demo_build,
        "select * from fct_quality_posteriors where model_id = 'cand-flattered' "
        "and region = 'ALL' and metric = 'correctness'",
    ).iloc[0]
    truth = (
        demo_truth["true_rates"]
        .query("model_id == 'cand-flattered' and region == 'ALL' and metric == 'correctness'")
        .true_rate.iloc[0]
    )
    # the naive judge rate overstates it by ~8 points; the calibrated posterior must be closer
    assert row.judge_positive_rate - truth > 0.05
    assert abs(row.posterior_mean - truth) < abs(row.judge_positive_rate - truth) / 2


def test_judge_calibration_sees_the_leniency(demo_build, demo_truth):
    calibration = query(
        demo_build, "select * from fct_judge_calibration where metric = 'correctness'"
    )
    by_model = calibration.set_index("model_id")
    assert (
        by_model.loc["cand-flattered", "specificity_mean"]
        < by_model.loc["incumbent-v1", "specificity_mean"] - 0.15
    )
    error = demo_truth["judge_error"].query("metric == 'correctness'").set_index("model_id")
    inside = [
        by_model.loc[m, "specificity_hdi_low"]
        <= error.loc[m, "specificity"]
        <= by_model.loc[m, "specificity_hdi_high"]
        for m in error.index
    ]
    assert sum(inside) >= 3


def test_comparisons_find_the_regional_regression(demo_build):
    comparisons = query(demo_build, "select * from fct_model_comparisons")
    regional = comparisons.set_index(["candidate_model_id", "region", "metric"])
    eu = regional.loc[("cand-regional", "eu-west", "correctness")]
    assert eu.prob_worse_beyond_margin > 0.8 and eu.diff_mean < -0.04
    # ... while its traffic-weighted average looks fine
    assert regional.loc[("cand-regional", "ALL", "correctness")].diff_mean > 0
    assert (comparisons.prob_better.between(0, 1)).all()


def test_sampler_converged(demo_build):
    diagnostics = query(demo_build, "select * from fct_sampler_diagnostics")
    assert len(diagnostics) == 1
    row = diagnostics.iloc[0]
    assert row.is_trusted, row.untrusted_reason
    assert row.max_r_hat <= 1.01 and row.min_ess_bulk >= 400 and row.n_divergences == 0


# What a verdict may be, given the verdict a full human evaluation would reach
# (data/demo/truth/expected_verdicts.csv). With about 300 labels per model the package may be
# unable to decide and say needs_more_labels; it may never reverse the truth.
ALLOWED_VERDICTS = {"ship": {"ship", "needs_more_labels"}, "block": {"block", "needs_more_labels"}}


def test_judge_coverage_is_the_judged_share_of_the_kept_traces(demo_build):
    # Counted here from the checked tables, not from the posteriors the gate reads.
    shares = query(
        demo_build,
        """
        with kept as (
            select trace_id, model_id, region from int_traces_checked
            where rejection_reason is null
        ),
        judged as (
            select kept.model_id, kept.region, verdicts.metric, count(*) as n_judged
            from int_judgements_checked as verdicts
            inner join int_primary_judges as primary_judges
                on verdicts.metric = primary_judges.metric
                and verdicts.judge_id = primary_judges.judge_id
            inner join kept on verdicts.trace_id = kept.trace_id
            where verdicts.rejection_reason is null
            group by 1, 2, 3
        )
        select judged.model_id, judged.metric, judged.n_judged / traces.n_traces as share
        from judged
        inner join (
            select model_id, region, count(*) as n_traces from kept group by 1, 2
        ) as traces
            on judged.model_id = traces.model_id and judged.region = traces.region
        """,
    )
    gates = query(demo_build, "select * from fct_gate_results where gate_id = 'judge_coverage'")
    assert len(gates) == 3 * 3  # candidates x metrics
    for gate in gates.itertuples():
        pair = shares[shares.model_id.isin([gate.candidate_model_id, "incumbent-v1"])]
        lowest = pair[pair.metric == gate.metric].share.min()
        assert gate.observed_value == pytest.approx(lowest, abs=1e-12)
        # The demo rejects a few unreadable verdicts: about 1%, never 10%.
        assert 0.95 < lowest < 1 and gate.status == "pass"


def test_judge_drift_gates_read_the_primary_judges_latest_week(demo_build):
    latest = query(
        demo_build,
        "select drift.* from fct_judge_agreement_over_time as drift "
        "inner join int_primary_judges as primary_judges "
        "on drift.metric = primary_judges.metric and drift.judge_id = primary_judges.judge_id "
        "where drift.is_latest_week",
    ).set_index("metric")
    gates = query(demo_build, "select * from fct_gate_results where gate_id = 'judge_drift'")
    assert len(gates) == 3 * 3 and len(latest) == 3
    # The demo's judge does not drift: every candidate's drift gate passes on every metric.
    assert not latest.is_drift_flagged.any() and (gates.status == "pass").all()
    probabilities = ["prob_worse", "prob_sensitivity_worse", "prob_specificity_worse"]
    for gate in gates.itertuples():
        expected = latest.loc[gate.metric, probabilities].max()
        assert gate.observed_value == pytest.approx(expected, abs=1e-12)


def test_verdicts_match_the_truth(demo_build, demo_truth):
    verdicts = query(demo_build, "select * from fct_migration_verdicts").set_index(
        "candidate_model_id"
    )
    expected = demo_truth["expected_verdicts"].set_index("model_id").expected_verdict
    assert set(verdicts.index) == set(expected.index)
    for model_id, truth in expected.items():
        assert verdicts.loc[model_id, "verdict"] in ALLOWED_VERDICTS[truth], (
            model_id,
            truth,
            verdicts.loc[model_id, "summary"],
        )
    # The regression hidden behind a good average is found and named, not merely left open.
    regional = verdicts.loc["cand-regional"]
    assert regional.verdict == "block"
    assert "eu-west" in regional.summary
    gates = query(
        demo_build,
        "select * from fct_gate_results "
        "where candidate_model_id = 'cand-regional' and status = 'fail'",
    )
    assert (
        (gates.gate_id == "regional_regression")
        & (gates.region == "eu-west")
        & (gates.metric == "correctness")
    ).any()
    steady = verdicts.loc["cand-steady"]
    if steady.verdict == "needs_more_labels":
        plan = query(
            demo_build, "select * from fct_labeling_plan where candidate_model_id = 'cand-steady'"
        )
        assert len(plan) > 0 and plan.additional_labels_needed.notna().all()
        assert (plan.additional_labels_needed > 0).all()


def test_decided_quality_gates_agree_with_the_true_differences(demo_build, demo_truth):
    """Every quality gate that passed or failed is checked against the generator's true rates.

    A pass says the candidate is not worse than the incumbent beyond the margin, a fail that it
    is worse: a pass where the truth is worse beyond the margin would be a false ship, a fail
    where the candidate is truly at least as good a false block. Each gate decides at posterior
    probability 0.95 (pass) or 0.8 (fail), so a wrong call on one of these deterministic (seeded)
    gates means the calibration is biased, not bad luck, unless the truth lies near the margin:
    a pass is allowed down to the margin, a fail only where the truth is below zero.
    """
    gates = query(
        demo_build,
        "select candidate_model_id, gate_id, region, metric, status from fct_gate_results "
        "where gate_id in ('overall_noninferiority', 'regional_regression') "
        "and status != 'inconclusive'",
    )
    rates = demo_truth["true_rates"].set_index(["model_id", "region", "metric"]).true_rate
    lower_is_better = {"refusal"}  # the demo uses the default metric directions, margin 0.02
    margin = 0.02
    assert len(gates) >= 20  # the demo decides most of its gates
    checked = []
    for gate in gates.itertuples():
        diff = (
            rates[(gate.candidate_model_id, gate.region, gate.metric)]
            - rates[("incumbent-v1", gate.region, gate.metric)]
        )
        if gate.metric in lower_is_better:
            diff = -diff
        if gate.status == "pass":
            assert diff > -margin, (gate, diff)
        else:
            assert gate.status == "fail" and diff < 0, (gate, diff)
        checked.append(gate.status)
    assert "fail" in checked and "pass" in checked


def test_ci_switch_fails_the_build_only_when_asked(demo_build):
    warn = run_dbt(["test", "--select", "assert_no_blocked_candidates"], demo_build, check=False)
    assert warn.returncode == 0
    assert "WARN" in warn.stdout
    error = run_dbt(
        ["test", "--select", "assert_no_blocked_candidates"],
        demo_build,
        {"llm_migration_gate_severity": "error"},
        check=False,
    )
    assert error.returncode != 0
    assert "assert_no_blocked_candidates" in error.stdout
    # dbt itself says only "Got 2 results": the CI log must name the candidate and why.
    assert "llm_migration: cand-regional is block: blocked: " in error.stdout
    assert "eu-west" in error.stdout.split("llm_migration: cand-regional is block")[1]
    typo = run_dbt(
        ["test", "--select", "assert_no_blocked_candidates"],
        demo_build,
        {"llm_migration_gate_severity": "fatal"},
        check=False,
    )
    assert typo.returncode != 0
    assert "var llm_migration_gate_severity must be 'warn' or 'error', got fatal" in typo.stdout
    quoted = run_dbt(
        ["test", "--select", "assert_no_blocked_candidates"],
        demo_build,
        {"llm_migration_fail_on_needs_more_labels": "false"},  # the text, read as true before
        check=False,
    )
    assert quoted.returncode != 0
    assert (
        'var llm_migration_fail_on_needs_more_labels must be true or false (unquoted), got "false"'
        in quoted.stdout
    )


def test_every_output_row_carries_run_id_and_time(demo_build):
    fingerprint = query(demo_build, "select run_id from int_run_fingerprint").run_id.iloc[0]
    for table in (
        "fct_quality_posteriors",
        "fct_model_comparisons",
        "fct_judge_calibration",
        "fct_sampler_diagnostics",
        "fct_gate_results",
        "fct_migration_verdicts",
        "fct_labeling_plan",
        "rejected_input_rows",
    ):
        frame = query(demo_build, f"select run_id, computed_at from {table}")
        assert (frame.run_id == fingerprint).all(), table
        assert frame.computed_at.notna().all(), table
