"""fct_migration_verdicts: one verdict per candidate from its gate results.

Rule: ``block`` if any gate fails; else ``needs_more_labels`` if any gate is inconclusive or a
required gate has no result at all; else ``ship``. It fails closed: a candidate with no gate rows,
a missing required gate (e.g. no sampler check), an untrusted fit (that gate is inconclusive), no
single incumbent, or a gate status outside pass/fail/inconclusive can never ship.

``n_gates`` counts the gate rows (plus one per missing required gate, counted as inconclusive),
so ``n_failed + n_inconclusive <= n_gates`` always holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from llm_migration.gates.inputs import GATE_INPUT_COLUMNS, check_columns, model_roles
from llm_migration.gates.policy import GatePolicy
from llm_migration.gates.results import FAIL, INCONCLUSIVE, PASS, STATUSES, stamp

VERDICT_COLUMNS = (
    "candidate_model_id",
    "incumbent_model_id",
    "verdict",
    "n_gates",
    "n_failed",
    "n_inconclusive",
    "summary",
    "run_id",
    "computed_at",
)
SHIP, BLOCK, NEEDS_MORE_LABELS = "ship", "block", "needs_more_labels"

# Gates every candidate must have a result for, whatever the policy.
CORE_GATE_IDS = (
    "overall_noninferiority",
    "regional_regression",
    "sampler_convergence",
    "human_label_coverage",
)
# Which failure or open question a summary names first: the one a reader most needs to see.
_PRIORITY = {
    "sampler_convergence": 0,
    "overall_noninferiority": 1,
    "regional_regression": 2,
    "task_type_regressions": 3,
    "p95_latency_ratio": 4,
    "cost_per_trace_ratio": 5,
    "error_rate_diff": 6,
    "human_label_coverage": 7,
    "judge_coverage": 8,
    "judge_drift": 9,
}


def decide_verdicts(
    gate_results: pd.DataFrame | None,
    models: pd.DataFrame,
    *,
    required_gate_ids: Sequence[str] | GatePolicy | None = None,
    run_id: str | None = None,
    computed_at: Any = None,
) -> pd.DataFrame:
    """One verdict per candidate (models with role 'candidate').

    Parameters
    ----------
    gate_results
        fct_gate_results: candidate_model_id, gate_id, region, metric, status, reason
        (observed_value optional; used to order rows of the same gate in the summary).
    models
        model_id and model_role (or role).
    required_gate_ids
        Gate ids that must be present for a candidate to ship; a GatePolicy gives its
        ``enabled_gate_ids``. Default: the core gates (non-inferiority, regional regression,
        sampler convergence, human-label coverage).
    run_id, computed_at
        Stamped on every row.
    """
    frames = check_columns(
        {
            "gate_results": (gate_results, GATE_INPUT_COLUMNS),
            "models": (models, ("model_id",)),
        }
    )
    results = frames["gate_results"]
    roles = model_roles(frames["models"])
    if isinstance(required_gate_ids, GatePolicy):
        required = tuple(required_gate_ids.enabled_gate_ids)
    elif required_gate_ids is None:
        required = CORE_GATE_IDS
    else:
        required = tuple(required_gate_ids)

    rows = []
    for candidate in roles.candidates:
        mine = results[results["candidate_model_id"].astype(str) == candidate]
        rows.append(_verdict(candidate, roles, mine, required))
    return stamp(rows, VERDICT_COLUMNS, run_id, computed_at)


def _ordered(rows: pd.DataFrame) -> pd.DataFrame:
    observed = (
        pd.to_numeric(rows["observed_value"], errors="coerce")
        if "observed_value" in rows.columns
        else pd.Series(float("nan"), index=rows.index)
    )
    return rows.assign(
        _priority=rows["gate_id"].map(_PRIORITY).fillna(len(_PRIORITY)),
        # Within a regional gate the most probable regression first.
        _strength=observed.where(rows["gate_id"] == "regional_regression", 0.0).fillna(0.0),
    ).sort_values(
        ["_priority", "_strength", "gate_id"], ascending=[True, False, True], kind="stable"
    )


def _verdict(candidate: str, roles, mine: pd.DataFrame, required: Sequence[str]) -> dict:
    status = mine["status"].astype("string").str.strip().str.lower()
    unknown_status = mine[~status.isin(STATUSES) | status.isna()]
    failed = mine[status == FAIL]
    open_ = mine[status == INCONCLUSIVE]
    present = set(mine["gate_id"].astype(str))
    missing = [g for g in required if g not in present]
    # No single incumbent (or no rows at all) is an open question of its own.
    unsettled_inputs = int(roles.incumbent is None or (mine.empty and not missing))
    n_gates = len(mine) + len(missing) + unsettled_inputs
    n_failed = len(failed)
    n_inconclusive = len(open_) + len(unknown_status) + len(missing) + unsettled_inputs

    def others(rest: pd.DataFrame, word: str) -> str:
        # The gates of the results after the one the summary leads with, not the lead's own.
        if rest.empty:
            return ""
        ids = sorted(set(rest["gate_id"].astype(str)))
        return f"; {len(rest)} more {word} ({', '.join(ids)})"

    if n_failed:
        verdict = BLOCK
        ordered = _ordered(failed)
        first = ordered.iloc[0]
        summary = f"blocked: {first['reason']}{others(ordered.iloc[1:], 'failed gate result(s)')}"
    elif n_inconclusive:
        verdict = NEEDS_MORE_LABELS
        if roles.incumbent is None:
            lead, rest = f"{roles.problem}, so nothing can be compared", n_inconclusive - 1
        elif mine.empty:
            lead, rest = "no gate results for this candidate (missing inputs?)", 0
        elif missing:
            lead = f"required gate(s) without a result: {', '.join(missing)}"
            rest = len(open_) + len(unknown_status)
        elif len(unknown_status):
            lead = f"gate(s) with an unknown status: {', '.join(unknown_status['gate_id'])}"
            rest = len(open_)
        else:
            lead, rest = str(_ordered(open_).iloc[0]["reason"]), len(open_) - 1
        summary = f"not settled: {lead}" + (
            f"; {rest} more open gate result(s)" if rest > 0 else ""
        )
    else:
        verdict = SHIP
        summary = f"ship: all {n_gates} gate results pass ({', '.join(sorted(present))})"
    if verdict == SHIP and not (len(mine) and (status == PASS).all()):
        raise AssertionError(f"ship verdict for {candidate} without all gates passing")
    return {
        "candidate_model_id": candidate,
        "incumbent_model_id": roles.incumbent,
        "verdict": verdict,
        "n_gates": n_gates,
        "n_failed": n_failed,
        "n_inconclusive": n_inconclusive,
        "summary": summary,
    }
