"""Shared pieces of the gate outputs: contract columns, statuses, the three-way rule, formatting."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

PASS = "pass"
FAIL = "fail"
INCONCLUSIVE = "inconclusive"
STATUSES = (PASS, FAIL, INCONCLUSIVE)
ALL_REGIONS = "ALL"

GATE_RESULT_COLUMNS = (
    "candidate_model_id",
    "gate_id",
    "region",
    "metric",
    "observed_value",
    "threshold",
    "status",
    "reason",
    "run_id",
    "computed_at",
)

_FLOAT_COLUMNS = {
    "observed_value",
    "threshold",
    "current_posterior_sd",
    "target_posterior_sd",
}
_INT_COLUMNS = {
    "n_gates",
    "n_failed",
    "n_inconclusive",
    "current_n_human_labeled",
    "additional_labels_needed",
}


def three_way(prob_ok: float, prob_bad: float, p_pass: float, p_block: float) -> str:
    """The package's one decision rule.

    ``fail`` when P(unacceptable) >= p_block; else ``pass`` when P(acceptable) >= p_pass; else
    ``inconclusive``. A missing probability is inconclusive. Fail is checked first so that
    inconsistent inputs (both rules true) fail closed.
    """
    if is_missing(prob_ok) or is_missing(prob_bad):
        return INCONCLUSIVE
    if prob_bad >= p_block:
        return FAIL
    if prob_ok >= p_pass:
        return PASS
    return INCONCLUSIVE


def is_missing(value: Any) -> bool:
    """True for None, NaN and pd.NA."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def gate_row(
    candidate: str,
    gate_id: str,
    region: str,
    metric: str | None,
    observed: float | None,
    threshold: float | None,
    status: str,
    reason: str,
) -> dict[str, Any]:
    """One fct_gate_results row, before run_id / computed_at are stamped on."""
    assert status in STATUSES, status
    return {
        "candidate_model_id": candidate,
        "gate_id": gate_id,
        "region": region,
        "metric": metric,
        "observed_value": None if is_missing(observed) else float(observed),
        "threshold": None if is_missing(threshold) else float(threshold),
        "status": status,
        "reason": reason,
    }


def stamp(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    run_id: str | None,
    computed_at: Any,
    sort_by: Sequence[str] = (),
) -> pd.DataFrame:
    """Rows -> DataFrame with exactly ``columns`` in order and stable dtypes."""
    frame = pd.DataFrame(
        list(rows), columns=[c for c in columns if c not in ("run_id", "computed_at")]
    )
    frame["run_id"] = run_id
    frame["computed_at"] = resolve_computed_at(computed_at)
    for column in frame.columns:
        if column in _FLOAT_COLUMNS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
        elif column in _INT_COLUMNS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
        elif column == "computed_at":
            frame[column] = pd.to_datetime(frame[column], utc=True)
        else:
            frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
    if sort_by and len(frame):
        frame = frame.sort_values(list(sort_by), kind="stable", na_position="first")
    return frame.reset_index(drop=True)[list(columns)]


def resolve_computed_at(computed_at: Any) -> pd.Timestamp:
    """A UTC timestamp: the given one, or now."""
    if computed_at is None:
        return pd.Timestamp.now(tz="UTC")
    stamp_ = pd.Timestamp(computed_at)
    return stamp_.tz_localize("UTC") if stamp_.tzinfo is None else stamp_.tz_convert("UTC")


def fmt_prob(value: float, *thresholds: float) -> str:
    """0.9312 -> '0.93' (or 'n/a').

    With the thresholds the value is compared against, more digits are shown where two would
    print it as equal to one of them: 0.7974 next to 0.80 is '0.797', not '0.80' (a reason that
    reads 'P=0.80 < 0.80' contradicts itself).
    """
    if is_missing(value):
        return "n/a"
    digits = 2
    while digits < 6 and any(
        value != t and f"{value:.{digits}f}" == f"{t:.{digits}f}"
        for t in thresholds
        if not is_missing(t)
    ):
        digits += 1
    return f"{value:.{digits}f}"


def fmt_pp(value: float, signed: bool = False) -> str:
    """An absolute rate difference in percentage points: 0.02 -> '2pp'."""
    if is_missing(value):
        return "n/a"
    text = f"{value * 100:+.1f}" if signed else f"{value * 100:.1f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{text}pp"
