import pandas as pd
import pytest
from gate_inputs import models_frame

from llm_migration.gates import VERDICT_COLUMNS, GatePolicy, decide_verdicts

CORE = (
    "overall_noninferiority",
    "regional_regression",
    "sampler_convergence",
    "human_label_coverage",
)


def _gate(
    gate_id,
    status,
    region="ALL",
    metric="correctness",
    candidate="cand",
    observed=None,
    reason=None,
):
    return {
        "candidate_model_id": candidate,
        "gate_id": gate_id,
        "region": region,
        "metric": metric,
        "observed_value": observed,
        "threshold": None,
        "status": status,
        "reason": reason or f"{gate_id} {status} in {region}",
    }


def _passing(candidate="cand"):
    return [_gate(g, "pass", candidate=candidate) for g in CORE]


def _verdict(rows, models=None, **kwargs) -> dict:
    frame = pd.DataFrame(rows, columns=list(_gate("x", "pass")))
    verdicts = decide_verdicts(
        frame, models_frame() if models is None else models, run_id="r9", **kwargs
    )
    assert tuple(verdicts.columns) == VERDICT_COLUMNS
    return verdicts.set_index("candidate_model_id").to_dict("index")


def test_all_pass_ships():
    verdict = _verdict(_passing())["cand"]
    assert verdict["verdict"] == "ship"
    assert (verdict["n_gates"], verdict["n_failed"], verdict["n_inconclusive"]) == (4, 0, 0)
    assert verdict["incumbent_model_id"] == "inc"
    assert verdict["summary"].startswith("ship: all 4 gate results pass")
    assert verdict["run_id"] == "r9"


def test_any_failure_blocks_and_the_summary_names_the_strongest_regression():
    rows = _passing() + [
        _gate(
            "regional_regression",
            "fail",
            "ap-south",
            observed=0.85,
            reason="correctness regresses in ap-south (P(worse by >2pp)=0.85 >= 0.80)",
        ),
        _gate(
            "regional_regression",
            "fail",
            "eu-west",
            observed=0.93,
            reason="correctness regresses in eu-west (P(worse by >2pp)=0.93 >= 0.80)",
        ),
        _gate("p95_latency_ratio", "inconclusive", metric=None),
    ]
    verdict = _verdict(rows)["cand"]
    assert verdict["verdict"] == "block"
    assert (verdict["n_gates"], verdict["n_failed"], verdict["n_inconclusive"]) == (7, 2, 1)
    assert verdict["summary"].startswith(
        "blocked: correctness regresses in eu-west (P(worse by >2pp)=0.93 >= 0.80)"
    )
    assert "1 more failed gate result(s) (regional_regression)" in verdict["summary"]


def test_the_summary_lists_only_the_gates_after_the_one_it_names():
    # It used to list the lead's own gate among "1 more", so one more looked like two.
    rows = _passing() + [
        _gate("regional_regression", "fail", "us-west", observed=0.9, reason="style regresses"),
        _gate("task_type_regressions", "fail", metric="style", observed=4.0, reason="4 tasks"),
    ]
    summary = _verdict(rows)["cand"]["summary"]
    assert summary == (
        "blocked: style regresses; 1 more failed gate result(s) (task_type_regressions)"
    )


def test_overall_failure_is_named_before_a_budget_failure():
    rows = _passing() + [
        _gate("cost_per_trace_ratio", "fail", metric=None, reason="cost too high"),
        _gate("overall_noninferiority", "fail", metric="style", reason="style is worse"),
    ]
    assert _verdict(rows)["cand"]["summary"].startswith("blocked: style is worse")


def test_inconclusive_needs_more_labels():
    rows = _passing() + [
        _gate(
            "regional_regression",
            "inconclusive",
            "eu-west",
            reason="correctness may regress in eu-west",
        )
    ]
    verdict = _verdict(rows)["cand"]
    assert verdict["verdict"] == "needs_more_labels"
    assert verdict["summary"] == "not settled: correctness may regress in eu-west"


def test_untrusted_fit_never_ships_and_is_named_first():
    rows = _passing() + [
        _gate("human_label_coverage", "inconclusive", reason="too few labels"),
        _gate(
            "sampler_convergence",
            "inconclusive",
            metric=None,
            reason="the posterior fit is not trusted",
        ),
    ]
    verdict = _verdict(rows)["cand"]
    assert verdict["verdict"] == "needs_more_labels"
    assert verdict["summary"].startswith("not settled: the posterior fit is not trusted")
    assert "1 more open gate result(s)" in verdict["summary"]


def test_no_rows_never_ships():
    verdict = _verdict([])["cand"]
    assert verdict["verdict"] == "needs_more_labels"
    assert verdict["n_inconclusive"] == len(CORE)
    assert verdict["summary"] == "not settled: no gate results for this candidate (missing inputs?)"
    bare = _verdict([], required_gate_ids=())["cand"]
    assert bare["verdict"] == "needs_more_labels"
    assert "no gate results for this candidate" in bare["summary"]
    assert (bare["n_gates"], bare["n_inconclusive"]) == (1, 1)
    assert decide_verdicts(None, models_frame())["verdict"].tolist() == ["needs_more_labels"]


def test_a_missing_required_gate_never_ships():
    rows = [g for g in _passing() if g["gate_id"] != "sampler_convergence"]
    verdict = _verdict(rows)["cand"]
    assert verdict["verdict"] == "needs_more_labels"
    assert verdict["summary"] == (
        "not settled: required gate(s) without a result: sampler_convergence"
    )
    assert (verdict["n_gates"], verdict["n_inconclusive"]) == (4, 1)


def test_a_policy_requires_its_enabled_gates():
    policy = GatePolicy.from_vars(
        {"custom_gates": [{"gate_id": "mine", "expression": "prob_better > 0.5"}]}
    )
    verdict = _verdict(_passing(), required_gate_ids=policy)["cand"]
    assert verdict["verdict"] == "needs_more_labels"
    assert "p95_latency_ratio" in verdict["summary"] and "mine" in verdict["summary"]


def test_an_unknown_status_never_ships():
    rows = _passing() + [_gate("regional_regression", "PASSED?", "eu-west")]
    verdict = _verdict(rows)["cand"]
    assert verdict["verdict"] == "needs_more_labels"
    assert "unknown status" in verdict["summary"]


def test_statuses_are_read_case_insensitively():
    rows = [{**g, "status": "PASS"} for g in _passing()]
    assert _verdict(rows)["cand"]["verdict"] == "ship"


def test_no_single_incumbent_never_ships():
    models = pd.DataFrame(
        {"model_id": ["cand", "a", "b"], "model_role": ["candidate", "incumbent", "incumbent"]}
    )
    verdict = _verdict(_passing(), models)["cand"]
    assert verdict["verdict"] == "needs_more_labels"
    assert verdict["incumbent_model_id"] is None
    assert "several models have role 'incumbent' (a, b)" in verdict["summary"]
    none = _verdict(_passing(), models_frame(incumbent=None))["cand"]
    assert none["verdict"] == "needs_more_labels"


def test_one_verdict_per_candidate_and_ignored_models_are_left_out():
    models = pd.DataFrame(
        {
            "model_id": ["c1", "c2", "inc", "old"],
            "role": ["candidate", "Candidate", "incumbent", "ignore"],
        }
    )
    rows = _passing("c1") + _passing("c2") + [_gate("regional_regression", "fail", candidate="c2")]
    verdicts = _verdict(rows, models)
    assert set(verdicts) == {"c1", "c2"}
    assert verdicts["c1"]["verdict"] == "ship" and verdicts["c2"]["verdict"] == "block"


def test_contract_violations_are_reported_together():
    with pytest.raises(ValueError) as caught:
        decide_verdicts(pd.DataFrame({"gate_id": []}), pd.DataFrame({"model_id": []}))
    message = str(caught.value)
    assert "gate_results: missing column(s) candidate_model_id, region, metric, status" in message
    assert "models: missing column model_role (or role)" in message
