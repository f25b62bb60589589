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
    systems = equal_systems()
    inputs["systems_traces"] = pd.concat(
        [systems, systems[systems.model_id == "cand"].assign(model_id="bad")], ignore_index=True
    )
    quality = good_task_quality()
    inputs["task_quality"] = pd.concat(
        [quality, quality[quality.model_id == "cand"].assign(model_id="bad")], ignore_index=True
    )
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
