"""Release-gate policy: thresholds and custom gates, validated from a plain dict of dbt vars.

Every probability rule in the package has the same shape, so one pair of numbers describes it:

* a gate **passes** when P(acceptable) >= ``p_pass`` (e.g. ``prob_noninferior_required``),
* a gate **fails** when P(unacceptable) >= ``p_block`` (e.g. ``prob_regional_regression_blocks``),
* otherwise it is **inconclusive**.

P(acceptable) + P(unacceptable) = 1, so the two rules can never both hold exactly when
``p_pass + p_block > 1``; the policy refuses thresholds that break this.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from llm_migration.gates.expressions import GateExpression, parse_gate_expression

HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
DIRECTIONS = (HIGHER_IS_BETTER, LOWER_IS_BETTER)

# Metric directions assumed when the metric config does not say (DESIGN: refusal is
# "lower is better" unless configured otherwise).
DEFAULT_DIRECTIONS = {"refusal": LOWER_IS_BETTER}

BUILTIN_GATE_IDS = (
    "overall_noninferiority",
    "regional_regression",
    "p95_latency_ratio",
    "cost_per_trace_ratio",
    "error_rate_diff",
    "task_type_regressions",
    "sampler_convergence",
    "human_label_coverage",
)

BUDGET_KEYS = {
    # policy key -> gate_id
    "max_p95_latency_ratio": "p95_latency_ratio",
    "max_cost_per_trace_ratio": "cost_per_trace_ratio",
    "max_error_rate_diff": "error_rate_diff",
}
_BUDGET_DEFAULTS = {
    "max_p95_latency_ratio": 1.2,
    "max_cost_per_trace_ratio": 1.5,
    "max_error_rate_diff": 0.01,
}
_RATIO_BUDGETS = {"max_p95_latency_ratio", "max_cost_per_trace_ratio"}
MAX_RATIO_BUDGET = 10.0  # above it a ratio budget was written in percent (120 for 1.2x)
# Systems data checks (see gates/systems.py): the share of a model's traces per region that
# must carry the budget's value, and the widest latency or cost ratio read as real rather
# than as a unit mix-up (latency in seconds against milliseconds is 1000x).
DEFAULT_MIN_SYSTEMS_COVERAGE = 0.9
DEFAULT_MAX_PLAUSIBLE_RATIO = 100.0
DEFAULT_JUDGE_REGION_CHECK_ALPHA = 0.01
# Share of a model's kept traces per region the primary judge must have scored (per metric).
DEFAULT_MIN_JUDGE_COVERAGE = 0.9


def _configured_metrics(configured: set[str]) -> str:
    return f"the configured metrics (llm_migration_metrics) are {', '.join(sorted(configured))}"


_GATE_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
SCOPES = ("overall", "regional")


@dataclass(frozen=True)
class MetricPolicy:
    """Thresholds for one quality metric.

    Attributes
    ----------
    prob_noninferior_required
        Overall non-inferiority passes when P(diff >= -margin) reaches this.
    prob_regional_regression_blocks
        A region (or the overall figure, or a task type) fails when P(diff < -margin) reaches
        this; it is cleared when P(diff < -margin) <= 1 - this.
    direction
        ``higher_is_better`` or ``lower_is_better``; used where the package orients a raw rate
        itself (the per-task-type check). Comparisons arrive already oriented.
    margin
        Non-inferiority margin (absolute rate). ``None``: take it from fct_model_comparisons.
    """

    prob_noninferior_required: float = 0.95
    prob_regional_regression_blocks: float = 0.8
    direction: str = HIGHER_IS_BETTER
    margin: float | None = None

    @property
    def prob_regional_regression_clears(self) -> float:
        """Largest P(worse beyond margin) at which a region counts as clear of regression."""
        return 1.0 - self.prob_regional_regression_blocks


@dataclass(frozen=True)
class BudgetPolicy:
    """A systems budget relative to the incumbent, with its probability rule.

    ``max_value`` is the largest acceptable ratio (latency, cost) or absolute difference (error
    rate). The gate passes when P(statistic <= max_value) >= ``prob_met_required`` and fails when
    P(statistic > max_value) >= ``prob_exceeded_blocks``.
    """

    gate_id: str
    max_value: float
    prob_met_required: float = 0.95
    prob_exceeded_blocks: float = 0.8


@dataclass(frozen=True)
class CustomGate:
    """A user gate: ``expression`` states the condition under which the gate passes."""

    gate_id: str
    expression: GateExpression
    scope: str = "overall"
    metrics: tuple[str, ...] | None = None


@dataclass(frozen=True)
class GatePolicy:
    """The full, validated gate policy. Build it with :meth:`GatePolicy.from_vars`."""

    default_metric: MetricPolicy = field(default_factory=MetricPolicy)
    metrics: Mapping[str, MetricPolicy] = field(default_factory=dict)
    budgets: tuple[BudgetPolicy, ...] = (
        BudgetPolicy("p95_latency_ratio", 1.2),
        BudgetPolicy("cost_per_trace_ratio", 1.5),
        BudgetPolicy("error_rate_diff", 0.01),
    )
    max_worse_task_types: int | None = 0
    min_human_labels_per_model: int = 100
    labeling_assurance: float = 0.8
    custom_gates: tuple[CustomGate, ...] = ()
    min_systems_coverage: float = DEFAULT_MIN_SYSTEMS_COVERAGE
    max_plausible_ratio: float | None = DEFAULT_MAX_PLAUSIBLE_RATIO
    judge_region_check_alpha: float | None = DEFAULT_JUDGE_REGION_CHECK_ALPHA
    min_judge_coverage: float | None = DEFAULT_MIN_JUDGE_COVERAGE
    hold_on_judge_drift: bool = True

    def for_metric(self, metric: str) -> MetricPolicy:
        """The thresholds that apply to ``metric`` (its own entry, else the defaults)."""
        if metric in self.metrics:
            return self.metrics[metric]
        direction = DEFAULT_DIRECTIONS.get(metric, self.default_metric.direction)
        if direction == self.default_metric.direction:
            return self.default_metric
        return MetricPolicy(
            self.default_metric.prob_noninferior_required,
            self.default_metric.prob_regional_regression_blocks,
            direction,
            self.default_metric.margin,
        )

    @property
    def enabled_gate_ids(self) -> tuple[str, ...]:
        """Gate ids every candidate must have a result for before it can ship."""
        ids = ["overall_noninferiority", "regional_regression"]
        ids += [budget.gate_id for budget in self.budgets]
        if self.max_worse_task_types is not None:
            ids.append("task_type_regressions")
        ids += ["sampler_convergence", "human_label_coverage"]
        if self.min_judge_coverage is not None:
            ids.append("judge_coverage")
        if self.hold_on_judge_drift:
            ids.append("judge_drift")
        ids += [gate.gate_id for gate in self.custom_gates]
        return tuple(ids)

    @classmethod
    def from_vars(
        cls,
        gate_vars: Mapping[str, Any] | str | None = None,
        metric_vars: Mapping[str, Any] | str | None = None,
    ) -> GatePolicy:
        """Validate a policy given as plain data (dbt vars) and build it.

        Parameters
        ----------
        gate_vars
            Mapping with any of the keys below (all optional), or the same as a JSON / Python
            literal string (what a rendered dbt config value may arrive as)::

                prob_noninferior_required: 0.95        # default for every metric
                prob_regional_regression_blocks: 0.8   # default for every metric
                metrics:                               # per-metric threshold overrides
                  correctness: {prob_noninferior_required: 0.99,
                                prob_regional_regression_blocks: 0.8}
                max_p95_latency_ratio: 1.2             # number, null (gate off) or
                max_cost_per_trace_ratio: 1.5          #   {max: 1.5, prob_met_required: 0.95,
                max_error_rate_diff: 0.01              #    prob_exceeded_blocks: 0.8}
                prob_budget_met_required: 0.95         # default for the three budgets
                prob_budget_exceeded_blocks: 0.8
                min_systems_coverage: 0.9              # share of traces with the value
                max_plausible_ratio: 100               # beyond 1/100..100x: units? (null: off)
                judge_region_check_alpha: 0.01         # judge unlike elsewhere? (null: off)
                min_judge_coverage: 0.9                # share of traces judged (null: off)
                hold_on_judge_drift: true              # judge drift flagged: not decided
                max_worse_task_types: 0                # null turns the task-type gate off
                min_human_labels_per_model: 100
                labeling_assurance: 0.8                # fct_labeling_plan: P(the labels settle it)
                custom_gates:
                  - {gate_id: tight_hdi, expression: "diff_hdi_low > -margin",
                     scope: overall, metrics: [correctness]}
        metric_vars
            The project's metric config (``llm_migration_metrics``: name -> {direction, margin}),
            merged under ``gate_vars['metrics']`` so both can be passed straight from dbt. A
            metric's direction and margin come from here only: the comparisons the gates read
            were computed with them, so ``gate_vars['metrics']`` setting either is an error
            rather than a second value that only some gates would use.

        Raises
        ------
        ValueError
            One error listing every problem, each with its key path.
        """
        problems: list[str] = []
        raw = _coerce_mapping(gate_vars, "gate policy", problems)
        raw_metric_vars = _coerce_mapping(metric_vars, "metric config", problems)
        if problems:
            raise ValueError(_format_problems(problems))
        policy = _build_policy(raw, raw_metric_vars, problems)
        if problems:
            raise ValueError(_format_problems(problems))
        return policy


def _format_problems(problems: list[str]) -> str:
    listed = "\n".join(f"  - {problem}" for problem in problems)
    return f"invalid gate policy ({len(problems)} problem(s)):\n{listed}"


def _coerce_mapping(value: Any, what: str, problems: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                problems.append(f"{what}: a string that is neither JSON nor a Python literal")
                return {}
    if not isinstance(value, Mapping):
        problems.append(f"{what}: expected a mapping, got {type(value).__name__}")
        return {}
    return dict(value)


def _check_keys(raw: Mapping[str, Any], allowed: set[str], path: str, problems: list[str]):
    for key in raw:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            problems.append(f"{where}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _probability(raw: Mapping[str, Any], key: str, default: float, path: str, problems):
    where = f"{path}.{key}" if path else key
    value = raw.get(key, default)
    if not _is_number(value):
        problems.append(f"{where}: expected a probability, got {type(value).__name__} {value!r}")
        return default
    if not (0.0 < float(value) < 1.0) or math.isnan(value):
        problems.append(f"{where}: probability must lie strictly between 0 and 1, got {value!r}")
        return default
    return float(value)


def _count(
    raw: Mapping[str, Any],
    key: str,
    default: int | None,
    path: str,
    problems,
    nullable: bool = False,
) -> int | None:
    value = raw.get(key, default)
    if value is None and nullable:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        problems.append(
            f"{path}{key}: expected a whole number, got {type(value).__name__} {value!r}"
        )
        return default
    if value < 0:
        problems.append(f"{path}{key}: must not be negative, got {value!r}")
        return default
    return value


def _coherent(
    p_pass: float, p_block: float, where: str, pass_key: str, block_key: str, problems: list[str]
) -> None:
    if p_pass + p_block <= 1.0:
        problems.append(
            f"{where}: {pass_key} ({p_pass}) + {block_key} ({p_block}) must exceed 1, "
            "otherwise one result could both pass and fail"
        )
    if p_pass <= 0.5:
        problems.append(
            f"{where}: {pass_key} must exceed 0.5, otherwise a candidate more likely "
            f"unacceptable than not could pass (got {p_pass})"
        )


def _above_half(p_block: float, where: str, problems: list[str]) -> None:
    # A region passes when P(worse) <= 1 - p_block and fails when P(worse) >= p_block.
    if p_block <= 0.5:
        problems.append(
            f"{where}: must exceed 0.5, otherwise a region could both clear and "
            f"block (got {p_block})"
        )


_METRIC_KEYS = {
    "prob_noninferior_required",
    "prob_regional_regression_blocks",
    "direction",
    "margin",
}


def _metric_policy(
    raw: Mapping[str, Any], default: MetricPolicy, name: str, path: str, problems: list[str]
) -> MetricPolicy:
    _check_keys(raw, _METRIC_KEYS, path, problems)
    p_pass = _probability(
        raw, "prob_noninferior_required", default.prob_noninferior_required, path, problems
    )
    p_block = _probability(
        raw,
        "prob_regional_regression_blocks",
        default.prob_regional_regression_blocks,
        path,
        problems,
    )
    _coherent(
        p_pass,
        p_block,
        path,
        "prob_noninferior_required",
        "prob_regional_regression_blocks",
        problems,
    )
    _above_half(p_block, f"{path}.prob_regional_regression_blocks", problems)
    direction = raw.get("direction", DEFAULT_DIRECTIONS.get(name, default.direction))
    if direction not in DIRECTIONS:
        problems.append(
            f"{path}.direction: expected one of {', '.join(DIRECTIONS)}, got {direction!r}"
        )
        direction = default.direction
    margin = raw.get("margin", default.margin)
    if margin is not None:
        if not _is_number(margin) or math.isnan(margin):
            problems.append(
                f"{path}.margin: expected a number, got {type(margin).__name__} {margin!r}"
            )
            margin = None
        elif not 0 <= margin < 0.5:
            problems.append(
                f"{path}.margin: must be an absolute rate difference in [0, 0.5) "
                f"(0.02 = 2 points), got {margin!r}"
            )
            margin = None
        else:
            margin = float(margin)
    return MetricPolicy(p_pass, p_block, direction, margin)


_BUDGET_ENTRY_KEYS = {"max", "prob_met_required", "prob_exceeded_blocks"}


def _budget_policy(
    key: str, raw: Mapping[str, Any], p_met: float, p_exceeded: float, problems: list[str]
) -> BudgetPolicy | None:
    value = raw.get(key, _BUDGET_DEFAULTS[key])
    if value is None:
        return None
    path = key
    if isinstance(value, Mapping):
        _check_keys(value, _BUDGET_ENTRY_KEYS, path, problems)
        p_met = _probability(value, "prob_met_required", p_met, path, problems)
        p_exceeded = _probability(value, "prob_exceeded_blocks", p_exceeded, path, problems)
        path = f"{key}.max"
        value = value.get("max", _BUDGET_DEFAULTS[key])
    if not _is_number(value) or math.isnan(value):
        problems.append(
            f"{path}: expected a number, a mapping or null, got {type(value).__name__} {value!r}"
        )
        return None
    if value < 0:
        problems.append(f"{path}: budget must not be negative, got {value!r}")
        return None
    if key in _RATIO_BUDGETS and value == 0:
        problems.append(f"{path}: a ratio budget must be positive, got {value!r}")
        return None
    # Units: a budget in percent (1 for 1pp, 120 for 1.2x) would never fail.
    if key in _RATIO_BUDGETS and value > MAX_RATIO_BUDGET:
        problems.append(
            f"{path}: a ratio of candidate to incumbent (1.2 allows 20% more) at most "
            f"{MAX_RATIO_BUDGET:g}, got {value!r}"
        )
        return None
    if key not in _RATIO_BUDGETS and value >= 0.5:
        problems.append(
            f"{path}: must be an absolute difference of error rates in [0, 0.5) (1pp is 0.01), "
            f"got {value!r}"
        )
        return None
    _coherent(p_met, p_exceeded, key, "prob_met_required", "prob_exceeded_blocks", problems)
    return BudgetPolicy(BUDGET_KEYS[key], float(value), p_met, p_exceeded)


def _min_systems_coverage(raw: Mapping[str, Any], problems: list[str]) -> float:
    key, default = "min_systems_coverage", DEFAULT_MIN_SYSTEMS_COVERAGE
    value = raw.get(key, default)
    if not _is_number(value) or math.isnan(value) or not 0.0 < value <= 1.0:
        problems.append(
            f"{key}: expected a share of traces in (0, 1] (0.9 asks 90% of a model's traces in "
            f"each region to carry the value), got {type(value).__name__} {value!r}"
        )
        return default
    return float(value)


def _min_judge_coverage(raw: Mapping[str, Any], problems: list[str]) -> float | None:
    return _optional_in(
        raw,
        "min_judge_coverage",
        DEFAULT_MIN_JUDGE_COVERAGE,
        1.0,
        "a share of traces in (0, 1] (0.9 asks the primary judge to have scored 90% of a "
        "model's kept traces in each region, per metric) or null to turn the gate off",
        problems,
    )


def _optional_in(raw, key, default, high, expected, problems) -> float | None:
    """The key's number in (0, high], null (None), or the default with a problem saying what
    was expected."""
    value = raw.get(key, default)
    if value is None:
        return None
    if not _is_number(value) or math.isnan(value) or not 0.0 < value <= high:
        problems.append(f"{key}: expected {expected}, got {type(value).__name__} {value!r}")
        return default
    return float(value)


def _flag(raw: Mapping[str, Any], key: str, default: bool, problems: list[str]) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        problems.append(
            f"{key}: expected true or false (unquoted), got {type(value).__name__} {value!r}"
        )
        return default
    return value


def _max_plausible_ratio(raw: Mapping[str, Any], problems: list[str]) -> float | None:
    key = "max_plausible_ratio"
    value = raw.get(key, DEFAULT_MAX_PLAUSIBLE_RATIO)
    if value is None:
        return None
    if not _is_number(value) or math.isnan(value):
        problems.append(f"{key}: expected a number or null, got {type(value).__name__} {value!r}")
        return DEFAULT_MAX_PLAUSIBLE_RATIO
    # Below a ratio budget the check would call a real, budget-breaking ratio a unit error.
    if value < MAX_RATIO_BUDGET:
        problems.append(
            f"{key}: a latency or cost ratio beyond 1/{key} .. {key} is read as a unit mix-up, "
            f"so it must be at least {MAX_RATIO_BUDGET:g} (the largest ratio budget), "
            f"got {value!r}"
        )
        return DEFAULT_MAX_PLAUSIBLE_RATIO
    return float(value)


_CUSTOM_GATE_KEYS = {"gate_id", "expression", "scope", "metrics"}


def _custom_gates(
    value: Any, problems: list[str], configured: set[str] | None = None
) -> tuple[CustomGate, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        problems.append(f"custom_gates: expected a list, got {type(value).__name__}")
        return ()
    gates: list[CustomGate] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(value):
        path = f"custom_gates[{index}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{path}: expected a mapping, got {type(entry).__name__}")
            continue
        _check_keys(entry, _CUSTOM_GATE_KEYS, path, problems)
        ok = True
        gate_id = entry.get("gate_id")
        if not isinstance(gate_id, str) or not _GATE_ID_PATTERN.match(gate_id):
            problems.append(
                f"{path}.gate_id: expected a lower-case identifier "
                f"(letters, digits, _), got {gate_id!r}"
            )
            ok = False
        elif gate_id in BUILTIN_GATE_IDS:
            problems.append(f"{path}.gate_id: {gate_id!r} is a built-in gate id")
            ok = False
        elif gate_id in seen:
            problems.append(
                f"{path}.gate_id: duplicate gate_id {gate_id!r} "
                f"(also custom_gates[{seen[gate_id]}])"
            )
            ok = False
        else:
            seen[gate_id] = index
        expression = entry.get("expression")
        parsed = None
        if not isinstance(expression, str):
            problems.append(
                f"{path}.expression: expected a string, got "
                f"{type(expression).__name__} {expression!r}"
            )
            ok = False
        else:
            try:
                parsed = parse_gate_expression(expression)
            except ValueError as error:
                problems.append(f"{path}.expression: {error}")
                ok = False
        scope = entry.get("scope", "overall")
        if scope not in SCOPES:
            problems.append(f"{path}.scope: expected one of {', '.join(SCOPES)}, got {scope!r}")
            ok = False
        metrics = entry.get("metrics")
        if metrics is not None:
            if (
                not isinstance(metrics, (list, tuple))
                or not metrics
                or not all(isinstance(m, str) and m for m in metrics)
            ):
                problems.append(
                    f"{path}.metrics: expected a non-empty list of metric names, got {metrics!r}"
                )
                ok = False
            else:
                metrics = tuple(dict.fromkeys(metrics))
                unknown = [m for m in metrics if configured and m not in configured]
                if unknown:
                    problems.append(
                        f"{path}.metrics: unknown metric(s) {', '.join(map(repr, unknown))}; "
                        f"{_configured_metrics(configured)}"
                    )
                    ok = False
        if ok and parsed is not None:
            gates.append(CustomGate(gate_id, parsed, scope, metrics))
    return tuple(gates)


def _judge_region_check_alpha(raw: Mapping[str, Any], problems: list[str]) -> float | None:
    return _optional_in(
        raw,
        "judge_region_check_alpha",
        DEFAULT_JUDGE_REGION_CHECK_ALPHA,
        0.2,
        "a p-value threshold in (0, 0.2] (0.01 holds a region when its labelled pairs say the "
        "judge errs there otherwise than in the model's other regions at p < 0.01) or null to "
        "turn the check off",
        problems,
    )


_TOP_KEYS = {
    "prob_noninferior_required",
    "prob_regional_regression_blocks",
    "metrics",
    *BUDGET_KEYS,
    "prob_budget_met_required",
    "prob_budget_exceeded_blocks",
    "min_systems_coverage",
    "max_plausible_ratio",
    "judge_region_check_alpha",
    "min_judge_coverage",
    "hold_on_judge_drift",
    "max_worse_task_types",
    "min_human_labels_per_model",
    "labeling_assurance",
    "custom_gates",
}


def _build_policy(
    raw: dict[str, Any], metric_vars: dict[str, Any], problems: list[str]
) -> GatePolicy:
    _check_keys(raw, _TOP_KEYS, "", problems)
    p_pass = _probability(raw, "prob_noninferior_required", 0.95, "", problems)
    p_block = _probability(raw, "prob_regional_regression_blocks", 0.8, "", problems)
    _coherent(
        p_pass,
        p_block,
        "policy",
        "prob_noninferior_required",
        "prob_regional_regression_blocks",
        problems,
    )
    _above_half(p_block, "prob_regional_regression_blocks", problems)
    default_metric = MetricPolicy(p_pass, p_block)

    metric_entries: dict[str, dict[str, Any]] = {}
    raw_metrics = raw.get("metrics", {})
    for source_name, source, path in (
        ("metric config", metric_vars, "metric_vars"),
        ("metrics", raw_metrics if raw_metrics is not None else {}, "metrics"),
    ):
        if not isinstance(source, Mapping):
            problems.append(
                f"{path}: expected a mapping of metric -> settings, got {type(source).__name__}"
            )
            continue
        for name, settings in source.items():
            if not isinstance(name, str) or not name:
                problems.append(f"{path}: metric names must be non-empty strings, got {name!r}")
                continue
            if settings is None:
                settings = {}
            if not isinstance(settings, Mapping):
                problems.append(
                    f"{path}.{name}: expected a mapping, got "
                    f"{type(settings).__name__} ({source_name})"
                )
                continue
            if source is not metric_vars:
                for key in ("margin", "direction"):
                    if key in settings:
                        problems.append(
                            f"{path}.{name}.{key}: set the {key} in llm_migration_metrics, "
                            "where it also sizes and orients the comparisons the gates read; "
                            "llm_migration_gates.metrics takes only the probability thresholds"
                        )
                settings = {k: v for k, v in settings.items() if k not in ("margin", "direction")}
            metric_entries.setdefault(name, {}).update(settings)
            metric_entries[name].setdefault("__path__", f"{path}.{name}")
    configured = set(metric_vars) if isinstance(metric_vars, Mapping) else set()
    if configured:
        for name in raw_metrics if isinstance(raw_metrics, Mapping) else {}:
            if isinstance(name, str) and name not in configured:
                problems.append(
                    f"metrics.{name}: unknown metric {name!r}; {_configured_metrics(configured)}"
                )
    metrics = {}
    for name, settings in metric_entries.items():
        path = settings.pop("__path__")
        metrics[name] = _metric_policy(settings, default_metric, name, path, problems)

    p_met = _probability(raw, "prob_budget_met_required", 0.95, "", problems)
    p_exceeded = _probability(raw, "prob_budget_exceeded_blocks", 0.8, "", problems)
    budgets = []
    for key in BUDGET_KEYS:
        budget = _budget_policy(key, raw, p_met, p_exceeded, problems)
        if budget is not None:
            budgets.append(budget)

    coverage = _min_systems_coverage(raw, problems)
    plausible = _max_plausible_ratio(raw, problems)
    judge_alpha = _judge_region_check_alpha(raw, problems)
    judge_coverage = _min_judge_coverage(raw, problems)
    hold_on_drift = _flag(raw, "hold_on_judge_drift", True, problems)
    max_worse = _count(raw, "max_worse_task_types", 0, "", problems, nullable=True)
    min_labels = _count(raw, "min_human_labels_per_model", 100, "", problems)
    assurance = _probability(raw, "labeling_assurance", 0.8, "", problems)
    custom = _custom_gates(raw.get("custom_gates"), problems, configured)
    return GatePolicy(
        default_metric=default_metric,
        metrics=metrics,
        budgets=tuple(budgets),
        max_worse_task_types=max_worse,
        min_human_labels_per_model=min_labels if min_labels is not None else 100,
        labeling_assurance=assurance,
        custom_gates=custom,
        min_systems_coverage=coverage,
        max_plausible_ratio=plausible,
        judge_region_check_alpha=judge_alpha,
        min_judge_coverage=judge_coverage,
        hold_on_judge_drift=hold_on_drift,
    )
