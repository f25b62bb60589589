"""End to end: the three public calls on hand-made warehouse tables."""

import pandas as pd
import pytest
from gate_inputs import (
    REGIONS,
    all_good_inputs,
    comparison,
    diagnostics,
    equal_systems,
    good_comparisons,
    good_posteriors,
    good_task_quality,
    models_frame,
    posterior,
    steady_drift,
    systems_traces,
)

from llm_migration.gates import (
    GATE_RESULT_COLUMNS,
    GatePolicy,
    decide_verdicts,
    evaluate_gates,
)

FAST = {"n_resamples": 300, "random_seed": 1}
STAMP = pd.Timestamp("2026-02-03 04:05:06", tz="UTC")


def _evaluate(inputs, policy=None, **kwargs):
    return evaluate_gates(
        **inputs, policy=policy, run_id="run-9", computed_at=STAMP, **{**FAST, **kwargs}
    )


def _verdict(gates, models=None, policy=None):
    models = models_frame() if models is None else models
    required = GatePolicy.from_vars(policy) if policy is not None else GatePolicy.from_vars({})
    return decide_verdicts(gates, models, required_gate_ids=required, run_id="run-9")


def _copy_systems_and_task_quality(inputs: dict, source: str, target: str) -> None:
    """Give ``target`` the same trace-level systems and task-type data as ``source``."""
    for name, frame in (("systems_traces", equal_systems()), ("task_quality", good_task_quality())):
        copy = frame[frame.model_id == source].assign(model_id=target)
        inputs[name] = pd.concat([frame, copy], ignore_index=True)


def test_a_candidate_that_is_good_everywhere_ships():
    gates = _evaluate(all_good_inputs())
    assert tuple(gates.columns) == GATE_RESULT_COLUMNS
    assert gates["status"].eq("pass").all(), gates.loc[gates.status != "pass", "reason"].tolist()
    assert set(gates["gate_id"]) == set(GatePolicy.from_vars({}).enabled_gate_ids)
    assert not gates.duplicated(["candidate_model_id", "gate_id", "region", "metric"]).any()
    assert (gates["run_id"] == "run-9").all() and (gates["computed_at"] == STAMP).all()
    assert gates["reason"].str.len().gt(20).all()
    # Regional gates for every region, systems gates without a metric.
    regional = gates[gates.gate_id == "regional_regression"]
    assert sorted(regional["region"]) == sorted(REGIONS)
    assert gates.loc[gates.gate_id == "p95_latency_ratio", "metric"].isna().all()
    verdict = _verdict(gates).iloc[0]
    assert verdict["verdict"] == "ship"
    assert verdict["n_gates"] == len(gates)


def _unjudged_in_eu_west():
    # Every quality gate passes on the judged traces, but the judge scored only 900 of the
    # candidate's 1,500 kept eu-west traces: the rest may be its worst answers.
    inputs = all_good_inputs()
    posteriors = inputs["posteriors"]
    cell = (posteriors.model_id == "cand") & (posteriors.region == "eu-west")
    inputs["posteriors"] = posteriors.assign(n_judged=posteriors.n_judged.where(~cell, 900))
    return inputs


def _drifted_judge():
    return {**all_good_inputs(), "judge_drift": steady_drift(flagged=("correctness",))}


@pytest.mark.parametrize(
    ("make_inputs", "gate_id", "said", "off"),
    [
        (
            _unjudged_in_eu_west,
            "judge_coverage",
            "cand in eu-west 60.0% (900 of 1,500)",
            {"min_judge_coverage": None},
        ),
        (
            _drifted_judge,
            "judge_drift",
            "the judge drifted: judge-a on correctness",
            {"hold_on_judge_drift": False},
        ),
    ],
)
def test_a_judge_that_left_traces_unscored_or_drifted_keeps_a_good_candidate_from_shipping(
    make_inputs, gate_id, said, off
):
    inputs = make_inputs()
    gates = _evaluate(inputs)
    assert list(gates.loc[gates.status != "pass", "gate_id"]) == [gate_id]
    verdict = _verdict(gates).iloc[0]
    assert verdict["verdict"] == "needs_more_labels"
    assert said in verdict["summary"]
    # Turned off, the gate is neither evaluated nor required.
    assert _verdict(_evaluate(inputs, policy=off), policy=off).iloc[0]["verdict"] == "ship"


def test_a_regional_regression_blocks_despite_a_good_average():
    inputs = all_good_inputs()
    comparisons = good_comparisons()
    eu = comparisons.region == "eu-west"
    regressed = comparison("cand", "eu-west", mean=-0.045, sd=0.015)
    for column, value in regressed.items():
        comparisons.loc[eu, column] = value
    inputs["comparisons"] = comparisons
    gates = _evaluate(inputs)
    overall = gates[gates.gate_id == "overall_noninferiority"].iloc[0]
    assert overall["status"] == "pass"
    verdict = _verdict(gates).iloc[0]
    assert verdict["verdict"] == "block"
    assert verdict["summary"].startswith(
        "blocked: correctness regresses in eu-west (P(worse by >2pp)=0.95"
    )


def test_an_untrusted_fit_never_ships():
    inputs = all_good_inputs()
    inputs["diagnostics"] = diagnostics(trusted=False, reason="max r_hat 1.21 > 1.01")
    gates = _evaluate(inputs)
    sampler = gates[gates.gate_id == "sampler_convergence"].iloc[0]
    assert sampler["status"] == "inconclusive"
    verdict = _verdict(gates).iloc[0]
    assert verdict["verdict"] == "needs_more_labels"
    assert "not trusted" in verdict["summary"]


def test_an_untrusted_fit_neither_passes_nor_fails_a_quality_gate():
    # The regional regression of the test above, read off a fit that did not converge: its
    # draws may point anywhere, so the gate stays open and the candidate is not blocked on it.
    inputs = all_good_inputs()
    comparisons = good_comparisons()
    eu = comparisons.region == "eu-west"
    for column, value in comparison("cand", "eu-west", mean=-0.045, sd=0.015).items():
        comparisons.loc[eu, column] = value
    inputs["comparisons"] = comparisons
    inputs["diagnostics"] = diagnostics(trusted=False, reason="max r_hat 4.22 > 1.01")
    gates = _evaluate(inputs).set_index(["gate_id", "region"])
    fit_based = gates.loc[["overall_noninferiority", "regional_regression"]]
    assert fit_based["status"].eq("inconclusive").all()
    reason = gates.loc[("regional_regression", "eu-west"), "reason"]
    assert reason.startswith("not decided: the posterior fit is not trusted")
    assert "its draws say fail: " in reason
    assert gates.loc[("p95_latency_ratio", "ALL"), "status"] == "pass"  # does not read the fit
    verdict = _verdict(gates.reset_index()).iloc[0]
    assert verdict["verdict"] == "needs_more_labels"
    assert "not trusted" in verdict["summary"]


def test_missing_inputs_fail_closed():
    gates = evaluate_gates(None, None, None, None, None, models_frame(), {}, run_id="r", **FAST)
    assert not gates["status"].eq("pass").any()
    verdict = _verdict(gates).iloc[0]
    assert verdict["verdict"] == "needs_more_labels"
    assert "required gate(s) without a result" in verdict["summary"]


def test_each_missing_input_on_its_own_prevents_shipping():
    for name in ("comparisons", "posteriors", "diagnostics", "systems_traces", "task_quality"):
        inputs = all_good_inputs()
        inputs[name] = inputs[name].iloc[0:0]
        gates = _evaluate(inputs)
        assert _verdict(gates).iloc[0]["verdict"] == "needs_more_labels", name


def test_a_region_the_candidate_was_not_compared_in_is_inconclusive():
    inputs = all_good_inputs()
    inputs["comparisons"] = good_comparisons().query("region != 'eu-west'")
    gates = _evaluate(inputs)
    eu = gates[(gates.gate_id == "regional_regression") & (gates.region == "eu-west")].iloc[0]
    assert eu["status"] == "inconclusive"


def test_a_production_region_without_quality_data_keeps_the_candidate_from_shipping():
    # The incumbent serves ap-south (its traces, 30% of traffic) but neither model has a
    # posterior or a comparison there (say every verdict in ap-south was rejected).
    inputs = all_good_inputs()
    base = {"n": 1500, "latency_median": 800.0, "cost": 0.002, "error_rate": 0.01}
    inputs["systems_traces"] = systems_traces(
        {m: {r: base for r in (*REGIONS, "ap-south")} for m in ("cand", "inc")}
    )
    mix = {"us-east": 0.4, "eu-west": 0.3, "ap-south": 0.3}
    gates = _evaluate(inputs, traffic_mix=mix)
    ap = gates[(gates.gate_id == "regional_regression") & (gates.region == "ap-south")]
    assert ap["status"].tolist() == ["inconclusive"]
    assert (
        "no comparison of cand with the incumbent on correctness in ap-south"
        in (ap.iloc[0]["reason"])
    )
    assert _verdict(gates).iloc[0]["verdict"] == "needs_more_labels"
    # Without the traffic mix, the incumbent's traces say the same.
    gates = _evaluate(inputs)
    assert "ap-south" in set(gates.loc[gates.gate_id == "regional_regression", "region"])


def test_a_configured_metric_without_any_data_keeps_the_candidate_from_shipping():
    # refusal is configured (llm_migration_metrics) but nothing was judged or labelled on it.
    metric_vars = {
        "correctness": {"direction": "higher_is_better", "margin": 0.02},
        "refusal": {"direction": "lower_is_better", "margin": 0.02},
    }
    gates = _evaluate(all_good_inputs(), policy=GatePolicy.from_vars({}, metric_vars))
    refusal = gates[gates.metric == "refusal"]
    assert set(refusal["gate_id"]) >= {"overall_noninferiority", "regional_regression"}
    assert refusal["status"].eq("inconclusive").all()
    assert gates.loc[gates.metric == "correctness", "status"].eq("pass").all()
    assert _verdict(gates).iloc[0]["verdict"] == "needs_more_labels"


def test_regions_only_another_candidate_was_evaluated_in_do_not_hold_a_candidate_back():
    inputs = all_good_inputs()
    inputs["models"] = models_frame(("cand", "other"))
    other = good_comparisons("other")
    other_ap = comparison("other", "ap-south", mean=0.01, sd=0.015, incumbent_model_id="inc")
    inputs["comparisons"] = pd.concat(
        [good_comparisons(), other, pd.DataFrame([other_ap])], ignore_index=True
    )
    # "other" also has a posterior in ap-south, where the incumbent has none; and a metric
    # the incumbent was not evaluated on.
    inputs["posteriors"] = pd.concat(
        [
            good_posteriors(("cand", "other", "inc")),
            pd.DataFrame([posterior("other", "ap-south"), posterior("other", "us-east", "style")]),
        ],
        ignore_index=True,
    )
    _copy_systems_and_task_quality(inputs, "cand", "other")
    gates = _evaluate(inputs)
    cand = gates[gates.candidate_model_id == "cand"]
    assert "ap-south" not in set(cand["region"]) and "style" not in set(cand["metric"])
    assert cand["status"].eq("pass").all(), cand.loc[cand.status != "pass", "reason"].tolist()
    other = gates[gates.candidate_model_id == "other"]
    # Its own comparison in ap-south is gated; the incumbent has nothing there to replace, so
    # its style posterior alone is not.
    assert "ap-south" in set(other.loc[other.gate_id == "regional_regression", "region"])
    assert "style" not in set(other["metric"])
    verdicts = _verdict(gates, inputs["models"]).set_index("candidate_model_id")["verdict"]
    assert verdicts.to_dict() == {"cand": "ship", "other": "ship"}


def test_comparisons_against_another_incumbent_or_older_runs_are_not_used():
    inputs = all_good_inputs()
    stale = comparison(
        "cand", "ALL", mean=-0.1, sd=0.01, computed_at=pd.Timestamp("2025-01-01", tz="UTC")
    )
    other = comparison(
        "cand",
        "ALL",
        mean=-0.1,
        sd=0.01,
        incumbent_model_id="someone_else",
        computed_at=pd.Timestamp("2025-01-01", tz="UTC"),
    )
    inputs["comparisons"] = pd.concat(
        [pd.DataFrame([stale, other]), good_comparisons()], ignore_index=True
    )
    gates = _evaluate(inputs)
    assert gates.loc[gates.gate_id == "overall_noninferiority", "status"].tolist() == ["pass"]


def test_several_candidates_are_judged_independently():
    inputs = all_good_inputs()
    bad = good_comparisons("bad")
    bad["diff_mean"] = -0.05
    bad["prob_noninferior"] = 0.01
    bad["prob_worse_beyond_margin"] = 0.99
    inputs["comparisons"] = pd.concat([inputs["comparisons"], bad], ignore_index=True)
    inputs["posteriors"] = good_posteriors(("cand", "bad", "inc"))
    _copy_systems_and_task_quality(inputs, "cand", "bad")
    inputs["models"] = models_frame(("cand", "bad"))
    gates = _evaluate(inputs)
    verdicts = _verdict(gates, inputs["models"]).set_index("candidate_model_id")["verdict"]
    assert verdicts.to_dict() == {"cand": "ship", "bad": "block"}


def test_custom_gates_run_with_the_rest_and_count_in_the_verdict():
    policy = {
        "custom_gates": [
            {"gate_id": "sure_better", "expression": "prob_better >= 0.99", "scope": "regional"}
        ]
    }
    gates = _evaluate(all_good_inputs(), policy=policy)
    custom = gates[gates.gate_id == "sure_better"]
    assert len(custom) == len(REGIONS) and custom["status"].eq("fail").all()
    assert _verdict(gates, policy=policy).iloc[0]["verdict"] == "block"


def test_contract_violations_are_listed_together():
    inputs = all_good_inputs()
    inputs["comparisons"] = inputs["comparisons"].drop(columns=["prob_noninferior", "margin"])
    inputs["systems_traces"] = inputs["systems_traces"].drop(columns=["latency_ms"])
    with pytest.raises(ValueError) as caught:
        _evaluate(inputs)
    message = str(caught.value)
    assert "comparisons: missing column(s) margin, prob_noninferior" in message
    assert "systems_traces: missing column(s) latency_ms" in message


def test_a_malformed_policy_stops_the_run():
    with pytest.raises(ValueError, match="custom_gates\\[0\\].expression"):
        _evaluate(
            all_good_inputs(),
            policy={"custom_gates": [{"gate_id": "x", "expression": "(select 1) > 0"}]},
        )


def test_the_policy_sets_the_systems_data_checks():
    # The candidate's latency arrives in seconds: held open by default, read as a real
    # thousandfold speed-up once max_plausible_ratio is off, and a 5% gap in cost blocks
    # nothing by default but holds the gate open at min_systems_coverage 1.
    inputs = all_good_inputs()
    traces = inputs["systems_traces"]
    cand = traces.model_id == "cand"
    traces.loc[cand, "latency_ms"] = traces.loc[cand, "latency_ms"] / 1000
    traces.loc[cand & (traces.index % 20 == 0), "cost_usd"] = None

    def status(policy, gate_id):
        gates = _evaluate(inputs, policy=GatePolicy.from_vars(policy))
        return gates.loc[gates.gate_id == gate_id, "status"].item()

    assert status({}, "p95_latency_ratio") == "inconclusive"
    assert status({"max_plausible_ratio": None}, "p95_latency_ratio") == "pass"
    assert status({}, "cost_per_trace_ratio") == "pass"
    assert status({"min_systems_coverage": 1}, "cost_per_trace_ratio") == "inconclusive"


def test_a_task_type_gate_on_the_fits_draws_is_held_open_with_an_untrusted_fit():
    inputs = all_good_inputs()
    draws = pd.DataFrame(
        {
            "model_id": ["cand", "inc"] * 400,
            "metric": "correctness",
            "chain": 0,
            "draw": [i // 2 for i in range(800)],
            "sensitivity": 0.999,
            "specificity": 0.999,
        }
    )
    trusted = _evaluate(inputs, calibration=draws)
    row = trusted[trusted.gate_id == "task_type_regressions"].iloc[0]
    assert row["status"] == "pass" and "from the posterior fit" in row["reason"]
    inputs["diagnostics"] = diagnostics(trusted=False, reason="r_hat 1.21")
    untrusted = _evaluate(inputs, calibration=draws)
    row = untrusted[untrusted.gate_id == "task_type_regressions"].iloc[0]
    assert row["status"] == "inconclusive"
    assert row["reason"].startswith("not decided: the posterior fit is not trusted")
    # Without the fit's draws the gate reads only the labels and stands.
    alone = _evaluate(inputs)
    assert alone.loc[alone.gate_id == "task_type_regressions", "status"].item() == "pass"
    # A calibration frame lacking a column is a broken contract, named.
    with pytest.raises(ValueError, match="calibration: missing column"):
        _evaluate(inputs, calibration=draws.drop(columns=["specificity"]))


def _regional(gates, region):
    return gates[(gates.gate_id == "regional_regression") & (gates.region == region)].iloc[0]


def test_history_never_mixes_two_fits_nor_settles_a_tie_by_row_order():
    later = pd.Timestamp("2026-02-01", tz="UTC")
    inputs = all_good_inputs()
    inputs["diagnostics"] = pd.concat([diagnostics(), diagnostics(run_id="run-2")])
    # A later fit without eu-west: eu-west is missing from the evidence, not read from the
    # earlier fit (a review's case shipped on the older row).
    run2 = good_comparisons().query("region != 'eu-west'").assign(run_id="run-2", computed_at=later)
    inputs["comparisons"] = pd.concat([good_comparisons(), run2], ignore_index=True)
    gates = _evaluate(inputs)
    assert _regional(gates, "eu-west")["status"] == "inconclusive"
    assert _verdict(gates).iloc[0]["verdict"] == "needs_more_labels"

    # A regression against the incumbent is not hidden by a later row against another model.
    bad = comparison(region="eu-west", mean=-0.10, sd=0.01)
    other = comparison(region="eu-west", incumbent_model_id="old-inc", computed_at=later)
    rows = good_comparisons().query("region != 'eu-west'")
    inputs["comparisons"] = pd.concat([rows, pd.DataFrame([bad, other])], ignore_index=True)
    inputs["diagnostics"] = diagnostics()
    gates = _evaluate(inputs)
    assert _regional(gates, "eu-west")["status"] == "fail"

    # Two runs of one candidate computed at the same time: neither wins by row order.
    rerun = good_comparisons().assign(run_id="run-2")
    rerun.loc[rerun.region == "eu-west", ["prob_worse_beyond_margin", "diff_mean"]] = (0.9, -0.1)
    inputs["diagnostics"] = pd.concat([diagnostics(), diagnostics(run_id="run-2")])
    for pair in ([good_comparisons(), rerun], [rerun, good_comparisons()]):
        inputs["comparisons"] = pd.concat(pair, ignore_index=True)
        assert _regional(_evaluate(inputs), "eu-west")["status"] == "inconclusive"
    inputs["diagnostics"] = diagnostics()

    # Two rows for one key at the same time that disagree: neither is read, in either order.
    good = comparison(region="eu-west", mean=0.01, sd=0.015)
    for pair in ([bad, good], [good, bad]):
        inputs["comparisons"] = pd.concat([rows, pd.DataFrame(pair)], ignore_index=True)
        gates = _evaluate(inputs)
        assert _regional(gates, "eu-west")["status"] == "inconclusive"
