"""Release gates, verdicts and a labeling plan for a candidate model replacing the incumbent.

The dbt Python models for fct_gate_results, fct_migration_verdicts and fct_labeling_plan are thin
wrappers around three calls::

    policy = GatePolicy.from_vars(gate_vars, metric_vars)
    gates = evaluate_gates(comparisons, posteriors, diagnostics, systems_traces, task_quality,
                           models, policy, run_id=run_id)
    verdicts = decide_verdicts(gates, models, required_gate_ids=policy, run_id=run_id)
    plan = plan_labels(gates, verdicts, comparisons, posteriors, policy, run_id=run_id)
"""

from llm_migration.gates.evaluate import evaluate_gates
from llm_migration.gates.expressions import (
    COMPARISON_COLUMNS,
    GateExpression,
    parse_gate_expression,
)
from llm_migration.gates.labeling_plan import LABELING_PLAN_COLUMNS, allocate_labels, plan_labels
from llm_migration.gates.policy import BudgetPolicy, CustomGate, GatePolicy, MetricPolicy
from llm_migration.gates.results import GATE_RESULT_COLUMNS, three_way
from llm_migration.gates.verdicts import VERDICT_COLUMNS, decide_verdicts

__all__ = [
    "COMPARISON_COLUMNS",
    "GATE_RESULT_COLUMNS",
    "LABELING_PLAN_COLUMNS",
    "VERDICT_COLUMNS",
    "BudgetPolicy",
    "CustomGate",
    "GateExpression",
    "GatePolicy",
    "MetricPolicy",
    "allocate_labels",
    "decide_verdicts",
    "evaluate_gates",
    "parse_gate_expression",
    "plan_labels",
    "three_way",
]
