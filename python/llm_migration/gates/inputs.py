"""Input contracts of the gate functions, checked up front with every problem in one error."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from llm_migration.gates.results import ALL_REGIONS

COMPARISON_COLUMNS = (
    "candidate_model_id",
    "incumbent_model_id",
    "region",
    "metric",
    "margin",
    "diff_mean",
    "diff_hdi_low",
    "diff_hdi_high",
    "prob_better",
    "prob_noninferior",
    "prob_worse_beyond_margin",
    "prob_worse_own_evidence",
    "run_id",
)
POSTERIOR_COLUMNS = (
    "model_id",
    "region",
    "metric",
    "n_traces",
    "n_human_labeled",
    "posterior_mean",
    "posterior_sd",
)
DIAGNOSTIC_COLUMNS = (
    "run_id",
    "max_r_hat",
    "min_ess_bulk",
    "n_divergences",
    "is_trusted",
    "untrusted_reason",
)
SYSTEMS_COLUMNS = ("model_id", "region", "latency_ms", "cost_usd", "is_error")
TASK_QUALITY_COLUMNS = ("model_id", "task_type", "metric", "is_judge_positive", "is_human_positive")
MODEL_COLUMNS = ("model_id",)
GATE_INPUT_COLUMNS = ("candidate_model_id", "gate_id", "region", "metric", "status", "reason")


def check_columns(
    frames: Mapping[str, tuple[pd.DataFrame | None, Sequence[str]]],
) -> dict[str, pd.DataFrame]:
    """Return each input as a DataFrame (None or a bare empty frame -> empty with the columns).

    Raises one ValueError listing every problem.

    Missing *rows* are not an error here (the gates fail closed on them); a missing *column* is
    a broken contract and stops the run.
    """
    problems = []
    out = {}
    for name, (frame, columns) in frames.items():
        if frame is None or (isinstance(frame, pd.DataFrame) and frame.shape == (0, 0)):
            frame = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
        if not isinstance(frame, pd.DataFrame):
            problems.append(f"{name}: expected a pandas DataFrame, got {type(frame).__name__}")
            continue
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            problems.append(f"{name}: missing column(s) {', '.join(missing)}")
        out[name] = frame
    if (
        "models" in out
        and "model_role" not in out["models"].columns
        and "role" not in out["models"].columns
    ):
        problems.append("models: missing column model_role (or role)")
    if problems:
        raise ValueError(
            "gate inputs break their contract:\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return out


@dataclass(frozen=True)
class Roles:
    """Who is compared with whom, read from the models input."""

    incumbent: str | None
    candidates: tuple[str, ...]
    problem: str | None = None


def model_roles(models: pd.DataFrame) -> Roles:
    """Exactly one incumbent and the candidates; a problem string when that does not hold."""
    role_column = "model_role" if "model_role" in models.columns else "role"
    roles = models[role_column].astype("string").str.strip().str.lower()
    ids = models["model_id"].astype("string")
    candidates = tuple(dict.fromkeys(ids[roles == "candidate"].dropna().tolist()))
    incumbents = sorted(set(ids[roles == "incumbent"].dropna().tolist()))
    if len(incumbents) == 1:
        return Roles(incumbents[0], candidates)
    problem = (
        "no model has role 'incumbent'"
        if not incumbents
        else f"several models have role 'incumbent' ({', '.join(incumbents)})"
    )
    return Roles(None, candidates, problem)


def latest_rows(frame: pd.DataFrame, key: Sequence[str], run_of: str | None = None) -> pd.DataFrame:
    """One row per key: the most recently computed one when the table holds history.

    ``run_of``: a column (e.g. candidate_model_id) whose every value keeps only the rows of its
    latest run (the run_id computed last), so evidence from two fits is never mixed: a region
    missing from the latest fit is missing, not read from an older one. A key whose latest rows
    disagree (same key, same time, other values) is dropped rather than settled by row order:
    the gates then find no row and hold that scope open.
    """
    if frame.empty:
        return frame
    key = list(key)
    if "computed_at" not in frame.columns:
        return frame.drop_duplicates(key, keep="last")
    order = pd.to_datetime(frame["computed_at"], utc=True, errors="coerce")
    frame = frame.assign(_order=order).sort_values("_order", kind="stable", na_position="first")
    if run_of is not None and "run_id" in frame.columns:
        # The runs computed last per value of run_of; two runs at the same time are both kept,
        # so their rows meet in the tie check below instead of one winning by row order.
        stamped = frame.dropna(subset=["run_id"])
        last = stamped.groupby(run_of, dropna=False)["_order"].transform("max")
        tied_runs = stamped[(stamped["_order"] == last) | last.isna()]
        latest = set(zip(tied_runs[run_of], tied_runs["run_id"], strict=True))
        in_latest = [pair in latest for pair in zip(frame[run_of], frame["run_id"], strict=True)]
        frame = frame[pd.Series(in_latest, index=frame.index) | frame["run_id"].isna()]
    newest = frame.groupby(key, dropna=False)["_order"].transform("max")
    tied = frame[(frame["_order"] == newest) | newest.isna()].drop(columns="_order")
    distinct = tied.drop_duplicates().groupby(key, dropna=False).size()
    conflicting = distinct[distinct > 1].index
    frame = frame.drop(columns="_order").drop_duplicates(key, keep="last")
    if len(conflicting):
        frame = frame[~frame.set_index(key).index.isin(conflicting)]
    return frame


def regions_and_metrics(
    comparisons: pd.DataFrame, posteriors: pd.DataFrame
) -> tuple[list[str], list[str]]:
    """Every region (not 'ALL') and metric seen in comparisons or posteriors.

    Each candidate must have a comparison in every one of them; a gap is inconclusive.
    """
    regions: set[str] = set()
    metrics: set[str] = set()
    for frame in (comparisons, posteriors):
        regions |= {str(r) for r in frame["region"].dropna().unique()}
        metrics |= {str(m) for m in frame["metric"].dropna().unique()}
    regions.discard(ALL_REGIONS)
    return sorted(regions), sorted(metrics)


def scope_of_candidate(
    candidate: str,
    incumbent: str,
    comparisons: pd.DataFrame,
    posteriors: pd.DataFrame,
    production_regions: Mapping[str, float],
) -> tuple[list[str], list[str]]:
    """The regions (not 'ALL') and metrics ``candidate`` must have a comparison in.

    Regions: every region with production traffic (``production_regions``: region -> share,
    shares > 0 count), every region the incumbent was evaluated in, and every region the
    candidate was compared in. A production region without quality data therefore stays in the
    gates (inconclusive) instead of dropping out of them. Metrics: those the incumbent was
    evaluated on, and those the candidate was compared on.

    Regions and metrics only other candidates were evaluated on do not count: one candidate's
    evaluation set does not change another's verdict. Nor does a region or metric only the
    candidate itself was evaluated on: the incumbent has nothing there to be replaced.
    """
    own = comparisons[comparisons["candidate_model_id"].astype(str) == candidate]
    served = posteriors[posteriors["model_id"].astype(str) == incumbent]
    regions = {str(r) for r, share in production_regions.items() if share and share > 0}
    metrics: set[str] = set()
    for frame in (own, served):
        regions |= {str(r) for r in frame["region"].dropna().unique()}
        metrics |= {str(m) for m in frame["metric"].dropna().unique()}
    regions.discard(ALL_REGIONS)
    return sorted(regions), sorted(metrics)


_FLAG_SPELLINGS = {"true": 1.0, "t": 1.0, "1": 1.0, "false": 0.0, "f": 0.0, "0": 0.0}


def flag_values(series: pd.Series) -> np.ndarray:
    """A boolean-ish column as floats: 1.0 / 0.0, NaN where missing or unreadable.

    Reads bool, nullable boolean, 0/1 numbers and the text spellings true/false/t/f/1/0.
    """
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return np.where(np.isnan(values), np.nan, (values != 0).astype(float))
    text = series.astype("string").str.strip().str.lower()
    return text.map(_FLAG_SPELLINGS).to_numpy(dtype=float, na_value=np.nan)
