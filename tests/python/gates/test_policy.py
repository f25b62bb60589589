import pytest

from llm_migration.gates import GatePolicy


def _problems(vars_, metric_vars=None) -> str:
    with pytest.raises(ValueError) as caught:
        GatePolicy.from_vars(vars_, metric_vars)
    return str(caught.value)


def test_defaults_from_an_empty_dict():
    policy = GatePolicy.from_vars({})
    rule = policy.for_metric("correctness")
    assert rule.prob_noninferior_required == 0.95
    assert rule.prob_regional_regression_blocks == 0.8
    assert rule.prob_regional_regression_clears == pytest.approx(0.2)
    budgets = {b.gate_id: b for b in policy.budgets}
    assert budgets["p95_latency_ratio"].max_value == 1.2
    assert budgets["cost_per_trace_ratio"].max_value == 1.5
    assert budgets["error_rate_diff"].max_value == 0.01
    assert all(
        b.prob_met_required == 0.95 and b.prob_exceeded_blocks == 0.8 for b in policy.budgets
    )
    assert policy.max_worse_task_types == 0
    assert policy.min_human_labels_per_model == 100
    assert policy.custom_gates == ()
    assert policy.min_systems_coverage == 0.9 and policy.max_plausible_ratio == 100.0
    assert GatePolicy.from_vars({"max_plausible_ratio": None}).max_plausible_ratio is None
    assert GatePolicy.from_vars({"min_systems_coverage": 1}).min_systems_coverage == 1.0
    assert GatePolicy.from_vars(None) == policy


def test_refusal_is_lower_is_better_unless_configured():
    policy = GatePolicy.from_vars({})
    assert policy.for_metric("refusal").direction == "lower_is_better"
    assert policy.for_metric("style").direction == "higher_is_better"
    configured = GatePolicy.from_vars({}, {"refusal": {"direction": "higher_is_better"}})
    assert configured.for_metric("refusal").direction == "higher_is_better"


def test_metric_vars_merge_under_gate_overrides():
    metric_vars = {
        "correctness": {"direction": "higher_is_better", "margin": 0.02},
        "refusal": {"direction": "lower_is_better", "margin": 0.03},
    }
    policy = GatePolicy.from_vars(
        {
            "prob_noninferior_required": 0.9,
            "metrics": {"correctness": {"prob_noninferior_required": 0.99}},
        },
        metric_vars,
    )
    assert policy.for_metric("correctness").prob_noninferior_required == 0.99
    assert policy.for_metric("correctness").margin == 0.02
    assert policy.for_metric("refusal").prob_noninferior_required == 0.9
    assert policy.for_metric("refusal").margin == 0.03
    assert policy.for_metric("unlisted").prob_noninferior_required == 0.9


def test_budget_as_mapping_and_null_disables_the_gate():
    policy = GatePolicy.from_vars(
        {
            "max_p95_latency_ratio": {
                "max": 1.1,
                "prob_met_required": 0.9,
                "prob_exceeded_blocks": 0.7,
            },
            "max_cost_per_trace_ratio": None,
            "max_error_rate_diff": 0,
            "max_worse_task_types": None,
        }
    )
    budgets = {b.gate_id: b for b in policy.budgets}
    assert budgets["p95_latency_ratio"].max_value == 1.1
    assert budgets["p95_latency_ratio"].prob_met_required == 0.9
    assert "cost_per_trace_ratio" not in budgets
    assert budgets["error_rate_diff"].max_value == 0.0
    assert "cost_per_trace_ratio" not in policy.enabled_gate_ids
    assert "task_type_regressions" not in policy.enabled_gate_ids


def test_policy_given_as_json_or_python_literal_text():
    as_json = GatePolicy.from_vars('{"max_worse_task_types": 2, "max_cost_per_trace_ratio": null}')
    as_literal = GatePolicy.from_vars(
        "{'max_worse_task_types': 2, 'max_cost_per_trace_ratio': None}"
    )
    assert as_json == as_literal
    assert as_json.max_worse_task_types == 2
    assert "neither JSON nor a Python literal" in _problems("max_worse_task_types = 2")


def test_custom_gates_are_parsed_and_enabled():
    policy = GatePolicy.from_vars(
        {
            "custom_gates": [
                {
                    "gate_id": "tight_hdi",
                    "expression": "diff_hdi_low > -margin",
                    "scope": "regional",
                    "metrics": ["correctness", "correctness"],
                },
                {"gate_id": "likely_better", "expression": "prob_better >= 0.5"},
            ]
        }
    )
    first, second = policy.custom_gates
    assert first.scope == "regional" and first.metrics == ("correctness",)
    assert second.scope == "overall" and second.metrics is None
    assert policy.enabled_gate_ids[-2:] == ("tight_hdi", "likely_better")


@pytest.mark.parametrize(
    ("vars_", "expected"),
    [
        ({"prob_noninferior_requried": 0.95}, "prob_noninferior_requried: unknown key"),
        ({"metrics": {"correctness": {"marign": 0.02}}}, "metrics.correctness.marign: unknown key"),
        (
            {"prob_noninferior_required": "0.95"},
            "prob_noninferior_required: expected a probability",
        ),
        ({"prob_noninferior_required": True}, "prob_noninferior_required: expected a probability"),
        ({"prob_noninferior_required": 1.0}, "strictly between 0 and 1"),
        ({"prob_noninferior_required": 0}, "strictly between 0 and 1"),
        (
            {"metrics": {"style": {"prob_regional_regression_blocks": 1.2}}},
            "metrics.style.prob_regional_regression_blocks: probability must lie strictly",
        ),
        ({"max_p95_latency_ratio": -1.2}, "max_p95_latency_ratio: budget must not be negative"),
        ({"max_error_rate_diff": -0.01}, "max_error_rate_diff: budget must not be negative"),
        ({"max_cost_per_trace_ratio": 0}, "a ratio budget must be positive"),
        ({"max_cost_per_trace_ratio": {"max": -2}}, "max_cost_per_trace_ratio.max: budget must"),
        ({"max_cost_per_trace_ratio": {"limit": 2}}, "max_cost_per_trace_ratio.limit: unknown"),
        ({"max_p95_latency_ratio": "fast"}, "max_p95_latency_ratio: expected a number"),
        ({"max_worse_task_types": -1}, "max_worse_task_types: must not be negative"),
        ({"max_worse_task_types": 1.5}, "max_worse_task_types: expected a whole number"),
        ({"min_human_labels_per_model": "100"}, "min_human_labels_per_model: expected a whole"),
        ({"min_systems_coverage": 0}, "min_systems_coverage: expected a share of traces"),
        ({"min_systems_coverage": 90}, "min_systems_coverage: expected a share of traces"),
        ({"min_systems_coverage": "0.9"}, "min_systems_coverage: expected a share"),
        # Below a ratio budget a real, budget-breaking ratio would be called a unit mix-up.
        ({"max_plausible_ratio": 5}, "max_plausible_ratio: a latency or cost ratio beyond"),
        ({"max_plausible_ratio": "100"}, "max_plausible_ratio: expected a number or null"),
        # Direction and margin belong to llm_migration_metrics, which sized the comparisons.
        ({"metrics": {"refusal": {"direction": "down"}}}, "metrics.refusal.direction: set the"),
        ({"metrics": {"correctness": {"margin": 0.005}}}, "metrics.correctness.margin: set the"),
        ({"metrics": ["correctness"]}, "metrics: expected a mapping"),
        # Pass and fail thresholds that could both hold for one result.
        (
            {"prob_noninferior_required": 0.6, "prob_regional_regression_blocks": 0.3},
            "must exceed 1",
        ),
        (
            {"prob_noninferior_required": 0.9, "prob_regional_regression_blocks": 0.5},
            "prob_regional_regression_blocks: must exceed 0.5",
        ),
        ({"prob_budget_met_required": 0.5, "prob_budget_exceeded_blocks": 0.5}, "must exceed 1"),
        # A pass at P(acceptable) 0.3 would ship a candidate P(worse) 0.69 (a review's case).
        (
            {"prob_noninferior_required": 0.3},
            "policy: prob_noninferior_required must exceed 0.5, otherwise a candidate more",
        ),
        (
            {"max_cost_per_trace_ratio": {"max": 1.5, "prob_met_required": 0.4}},
            "max_cost_per_trace_ratio: prob_met_required must exceed 0.5",
        ),
        (
            {"metrics": {"style": {"prob_noninferior_required": 0.5}}},
            "metrics.style: prob_noninferior_required must exceed 0.5",
        ),
        ({"custom_gates": {"gate_id": "x"}}, "custom_gates: expected a list"),
        ({"custom_gates": ["prob_better > 0.5"]}, "custom_gates[0]: expected a mapping"),
        (
            {"custom_gates": [{"gate_id": "Bad Id", "expression": "prob_better > 0.5"}]},
            "custom_gates[0].gate_id: expected a lower-case identifier",
        ),
        (
            {"custom_gates": [{"gate_id": "regional_regression", "expression": "margin > 0"}]},
            "is a built-in gate id",
        ),
        (
            {"custom_gates": [{"gate_id": "g", "expression": "prob_better > 0.5", "when": 1}]},
            "custom_gates[0].when: unknown key",
        ),
        (
            {"custom_gates": [{"gate_id": "g", "expression": 5}]},
            "custom_gates[0].expression: expected a string",
        ),
        (
            {"custom_gates": [{"gate_id": "g", "expression": "prob_better > 0.5", "scope": "all"}]},
            "custom_gates[0].scope",
        ),
        (
            {"custom_gates": [{"gate_id": "g", "expression": "prob_better > 0.5", "metrics": []}]},
            "custom_gates[0].metrics",
        ),
        (
            {"custom_gates": [{"gate_id": "g", "expression": "prob_better > 0.9; drop table x"}]},
            "custom_gates[0].expression: gate expression 'prob_better > 0.9; drop table x'",
        ),
    ],
)
def test_malformed_policy_names_the_key_path(vars_, expected):
    assert expected in _problems(vars_)


def test_every_problem_is_listed_in_one_error():
    message = _problems(
        {
            "unknown_thing": 1,
            "prob_noninferior_required": 1.5,
            "max_p95_latency_ratio": -1,
            "labeling_assurance": 80,
            "custom_gates": [
                {"gate_id": "dup", "expression": "prob_better > 0.5"},
                {"gate_id": "dup", "expression": "foo > 1"},
            ],
        }
    )
    assert "6 problem(s)" in message
    for fragment in (
        "unknown_thing: unknown key",
        "labeling_assurance: probability must lie strictly between 0 and 1, got 80",
        "prob_noninferior_required: probability must lie strictly between 0 and 1",
        "max_p95_latency_ratio: budget must not be negative",
        "custom_gates[1].gate_id: duplicate gate_id 'dup' (also custom_gates[0])",
        "custom_gates[1].expression: gate expression 'foo > 1': unknown column",
    ):
        assert fragment in message


def test_metric_config_problems_are_reported_with_their_source_path():
    message = _problems({}, {"correctness": {"direction": "sideways", "margin": 0.02}})
    assert "metric_vars.correctness.direction" in message
    message = _problems({}, {"refusal": {"direction": "lower_is_better", "margin": -0.02}})
    assert "metric_vars.refusal.margin: must be an absolute rate difference" in message
    # A margin written in points would clear every regression (all demo candidates shipped).
    message = _problems({}, {"refusal": {"direction": "lower_is_better", "margin": 2}})
    assert "metric_vars.refusal.margin: must be an absolute rate difference in [0, 0.5)" in message


def test_misspelt_metrics_and_budgets_in_percent_are_errors_not_silent_changes():
    metrics = {
        "correctness": {"direction": "higher_is_better", "margin": 0.02},
        "refusal": {"direction": "lower_is_better", "margin": 0.02},
    }
    message = _problems(
        {
            # the stricter threshold would silently not apply, and 'corectness' would be gated
            "metrics": {"corectness": {"prob_noninferior_required": 0.99}},
            "max_error_rate_diff": 1,  # meant as 1pp: +100pp can never fail
            "max_p95_latency_ratio": 120,  # meant as 120%
            "custom_gates": [
                {"gate_id": "tight", "expression": "diff_hdi_low > -margin", "metrics": ["style"]}
            ],
        },
        metrics,
    )
    for fragment in (
        "metrics.corectness: unknown metric 'corectness'; the configured metrics "
        "(llm_migration_metrics) are correctness, refusal",
        "max_error_rate_diff: must be an absolute difference of error rates in [0, 0.5) "
        "(1pp is 0.01), got 1",
        "max_p95_latency_ratio: a ratio of candidate to incumbent (1.2 allows 20% more) at most "
        "10, got 120",
        "custom_gates[0].metrics: unknown metric(s) 'style'",
    ):
        assert fragment in message, message
    # the same settings in the right units and names are accepted
    GatePolicy.from_vars(
        {
            "metrics": {"correctness": {"prob_noninferior_required": 0.99}},
            "max_error_rate_diff": 0.01,
            "max_p95_latency_ratio": 1.2,
        },
        metrics,
    )
