"""Baseline estimators of the true rate per model x region x metric, from the same counts.

These are what the Bayesian calibration model has to beat (DESIGN.md, "Baselines"):

- :func:`naive_judge_rate` — the judge's positive rate J/T with a Wilson interval; ignores judge
  error entirely.
- :func:`rogan_gladen_reused_incumbent` — the textbook correction: the judge's sensitivity and
  specificity are estimated on the incumbent's human-labelled traces only and reused for every
  model; percentile interval from a seeded bootstrap.
- :func:`rogan_gladen_per_model` — the same correction with each model's own sensitivity and
  specificity (as the ``judgy`` package does for one system); undefined for a model without labels.
- :func:`ppi_per_cell` — prediction-powered inference (PPI++, ``ppi_py.ppi_mean_ci``) on the cell's
  own labelled and unlabelled traces; undefined for a cell with fewer than two labels.

Every estimator returns a :class:`BaselineResult`: one row per cell (``estimate``, ``ci_low``,
``ci_high``) and one row per candidate x region x metric with the candidate-minus-incumbent
difference and its interval, computed in the way natural to the method (jointly over bootstrap
replicates for the Rogan-Gladen variants, so the shared incumbent calibration is accounted for).
Undefined estimates are NaN, never a guess.

All estimators read the sufficient statistics only: per cell, T judged traces of which J judged
positive, and the labelled pairs n11, n10, n01, n00 (judge label, human label).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from llm_migration.calibration import COUNTS_COLUMNS

CELL_KEYS = ["model_id", "region", "metric"]


@dataclass(frozen=True)
class BaselineResult:
    """Estimates of one method.

    Attributes
    ----------
    method
        Short method name used in reports.
    cells
        model_id, region, metric, method, estimate, ci_low, ci_high, n_judged, n_labeled.
    differences
        candidate_model_id, incumbent_model_id, region, metric, method, diff_estimate, diff_low,
        diff_high: candidate minus incumbent on the rate scale (not yet oriented by the metric's
        direction).
    """

    method: str
    cells: pd.DataFrame
    differences: pd.DataFrame


# ---- sufficient statistics --------------------------------------------------------------------


def cell_statistics(counts: pd.DataFrame, judge_id: str | None = None) -> pd.DataFrame:
    """Collapse counts to one row per model x region x metric for one judge.

    Parameters
    ----------
    counts
        The warehouse counts (see module docstring). Rows without a judge verdict (human-labelled
        traces the judge did not score) are ignored: no judge-based method can use them.
    judge_id
        The judge to use. Default: the only judge in ``counts``; with several judges, the one with
        the most verdicts.

    Returns
    -------
    pandas.DataFrame
        model_id, region, metric, n_judged (T), n_judge_positive (J), n11, n10, n01, n00
        (labelled pairs by judge label then human label), n_labeled, u1, u0 (unlabelled traces by
        judge label).
    """
    _validate_counts(counts)
    judged = counts[counts["judge_id"].notna() & counts["is_judge_positive"].notna()]
    if judge_id is None:
        totals = judged.groupby("judge_id")["n_traces"].sum()
        if totals.empty:
            raise ValueError("counts hold no judge verdicts")
        judge_id = str(totals.sort_values(ascending=False, kind="stable").index[0])
    judged = judged[judged["judge_id"] == judge_id]

    judge_pos = judged["is_judge_positive"].astype(bool).to_numpy()
    human = judged["is_human_positive"]
    has_human = human.notna().to_numpy()
    human_pos = human.fillna(False).astype(bool).to_numpy()
    n = judged["n_traces"].to_numpy(dtype=np.int64)
    parts = {
        "n11": judge_pos & has_human & human_pos,
        "n10": judge_pos & has_human & ~human_pos,
        "n01": ~judge_pos & has_human & human_pos,
        "n00": ~judge_pos & has_human & ~human_pos,
        "u1": judge_pos & ~has_human,
        "u0": ~judge_pos & ~has_human,
    }
    frame = judged[CELL_KEYS].copy()
    for name, mask in parts.items():
        frame[name] = np.where(mask, n, 0)
    stats_ = frame.groupby(CELL_KEYS, sort=False, as_index=False).sum()
    stats_["n_labeled"] = stats_[["n11", "n10", "n01", "n00"]].sum(axis=1)
    stats_["n_judge_positive"] = stats_["n11"] + stats_["n10"] + stats_["u1"]
    stats_["n_judged"] = stats_["n_labeled"] + stats_["u1"] + stats_["u0"]
    cols = [*CELL_KEYS, "n_judged", "n_judge_positive", "n11", "n10", "n01", "n00", "n_labeled"]
    return stats_[[*cols, "u1", "u0"]].reset_index(drop=True)


def _validate_counts(counts: pd.DataFrame) -> None:
    problems = [f"missing column {c!r}" for c in COUNTS_COLUMNS if c not in counts.columns]
    if not problems:
        if (counts["n_traces"] < 0).any():
            problems.append("n_traces must be >= 0")
    if problems:
        raise ValueError("invalid counts:\n  " + "\n  ".join(problems))


def _incumbent(models: pd.DataFrame) -> str:
    incumbents = models.loc[models["model_role"] == "incumbent", "model_id"].tolist()
    if len(incumbents) != 1:
        raise ValueError(f"models must have exactly one incumbent, found {incumbents}")
    return str(incumbents[0])


def _candidates(models: pd.DataFrame) -> list[str]:
    return [str(m) for m in models.loc[models["model_role"] == "candidate", "model_id"]]


# ---- naive judge-only rate --------------------------------------------------------------------


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion (NaN where trials == 0)."""
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def naive_judge_rate(
    counts: pd.DataFrame, models: pd.DataFrame, level: float = 0.95, judge_id: str | None = None
) -> BaselineResult:
    """The judge's positive rate J/T per cell with a Wilson interval.

    Differences use Newcombe's hybrid score interval (method 10) for two independent
    proportions.
    """
    s = cell_statistics(counts, judge_id)
    x, n = s["n_judge_positive"].to_numpy(float), s["n_judged"].to_numpy(float)
    low, high = wilson_interval(x, n, level)
    est = np.divide(x, n, out=np.full_like(x, np.nan), where=n > 0)
    cells = _cells_frame(s, "naive", est, low, high)

    rows = []
    for cand, inc, region, metric, c, i in _candidate_pairs(s, models):
        d = est[c] - est[i]
        lo = d - np.hypot(est[c] - low[c], high[i] - est[i])
        hi = d + np.hypot(high[c] - est[c], est[i] - low[i])
        rows.append(_diff_row(cand, inc, region, metric, "naive", d, lo, hi))
    return BaselineResult("naive", cells, _differences_frame(rows))


# ---- Rogan-Gladen -----------------------------------------------------------------------------


def rogan_gladen(
    apparent_rate: np.ndarray, sensitivity: np.ndarray, specificity: np.ndarray
) -> np.ndarray:
    """Rogan-Gladen corrected rate (p + Sp - 1) / (Se + Sp - 1), clipped to [0, 1].

    NaN where Se + Sp <= 1: the correction is undefined for a judge no better than chance.
    """
    p, se, sp = np.broadcast_arrays(
        np.asarray(apparent_rate, float),
        np.asarray(sensitivity, float),
        np.asarray(specificity, float),
    )
    denom = se + sp - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(denom > 0, (p + sp - 1) / denom, np.nan)
    return np.clip(out, 0, 1)


def _judge_accuracy(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Se, Sp from pair counts [..., (n11, n10, n01, n00)]; NaN where undefined."""
    n11, n10, n01, n00 = (pairs[..., i].astype(float) for i in range(4))
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(n11 + n01 > 0, n11 / (n11 + n01), np.nan)
        sp = np.where(n00 + n10 > 0, n00 / (n00 + n10), np.nan)
    return se, sp


def _bootstrap_rogan_gladen(
    s: pd.DataFrame,
    calibration_pairs: dict[tuple[str, str], np.ndarray],
    calibration_key: list[tuple[str, str]],
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Point estimates and bootstrap replicates (cells x n_boot) of the Rogan-Gladen rate.

    ``calibration_key[i]`` names the labelled-pair pool whose Se/Sp correct cell i. Each pool is
    resampled once per replicate (multinomial over its four pair types, the exact distribution of
    resampling the pairs with replacement) and shared by all the cells it corrects; each cell's
    judged traces are resampled independently (binomial, likewise exact).
    """
    pooled_se: dict[tuple[str, str], np.ndarray] = {}
    pooled_sp: dict[tuple[str, str], np.ndarray] = {}
    point_se: dict[tuple[str, str], float] = {}
    point_sp: dict[tuple[str, str], float] = {}
    for key, pairs in calibration_pairs.items():
        se0, sp0 = _judge_accuracy(pairs)
        point_se[key], point_sp[key] = float(se0), float(sp0)
        total = int(pairs.sum())
        if total == 0:
            pooled_se[key] = np.full(n_boot, np.nan)
            pooled_sp[key] = np.full(n_boot, np.nan)
            continue
        draws = rng.multinomial(total, pairs / total, size=n_boot)
        pooled_se[key], pooled_sp[key] = _judge_accuracy(draws)

    t = s["n_judged"].to_numpy(np.int64)
    j = s["n_judge_positive"].to_numpy(np.int64)
    p_hat = np.divide(j, t, out=np.full(len(s), np.nan), where=t > 0)
    p_boot = (
        rng.binomial(t[:, None], np.nan_to_num(p_hat)[:, None], size=(len(s), n_boot))
        / (np.maximum(t, 1)[:, None])
    )
    se_pt = np.array([point_se[k] for k in calibration_key])
    sp_pt = np.array([point_sp[k] for k in calibration_key])
    se_bt = np.stack([pooled_se[k] for k in calibration_key])
    sp_bt = np.stack([pooled_sp[k] for k in calibration_key])
    estimate = rogan_gladen(p_hat, se_pt, sp_pt)
    replicates = rogan_gladen(p_boot, se_bt, sp_bt)
    replicates[t == 0] = np.nan
    return estimate, replicates


def _percentile_interval(
    replicates: np.ndarray, level: float, min_valid: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over the defined replicates of each row.

    Replicates where Se + Sp <= 1 (or a pool had no positives/negatives) are undefined and are
    dropped, as judgy does; a row whose defined share is below ``min_valid`` gets NaN, since its
    interval would describe a different, conditional quantity.
    """
    alpha = 1 - level
    valid = np.isfinite(replicates)
    enough = valid.mean(axis=1) >= min_valid
    low = np.full(replicates.shape[0], np.nan)
    high = np.full(replicates.shape[0], np.nan)
    if enough.any():
        q = np.nanquantile(replicates[enough], [alpha / 2, 1 - alpha / 2], axis=1)
        low[enough], high[enough] = q[0], q[1]
    return low, high


def _pair_pool(s: pd.DataFrame, group: list[str]) -> dict[tuple, np.ndarray]:
    """Labelled pair counts (n11, n10, n01, n00) of ``s`` summed within each ``group``."""
    pooled = s.groupby(group, sort=False)[["n11", "n10", "n01", "n00"]].sum()
    return {
        (k if isinstance(k, tuple) else (k,)): row.to_numpy(np.int64)
        for k, row in pooled.iterrows()
    }


def rogan_gladen_reused_incumbent(
    counts: pd.DataFrame,
    models: pd.DataFrame,
    level: float = 0.95,
    n_boot: int = 2000,
    random_seed: int = 0,
    judge_id: str | None = None,
) -> BaselineResult:
    """Rogan-Gladen with Se/Sp from the incumbent's labelled pairs, reused for every model.

    Se and Sp are pooled over the incumbent's regions (the judge error is assumed not to vary by
    region) and applied to every model's cells. The percentile interval comes from a seeded
    bootstrap that resamples the incumbent's labelled pairs and each cell's judged traces; the
    difference interval uses the same replicates for candidate and incumbent, so the shared
    calibration is resampled jointly.
    """
    s = cell_statistics(counts, judge_id)
    incumbent = _incumbent(models)
    pools = _pair_pool(s[s["model_id"] == incumbent], ["metric"])
    for metric in s["metric"].unique():
        pools.setdefault((metric,), np.zeros(4, np.int64))
    keys = [(m,) for m in s["metric"]]
    rng = np.random.default_rng(random_seed)
    est, reps = _bootstrap_rogan_gladen(s, pools, keys, n_boot, rng)
    return _bootstrap_result("rg_reused_incumbent", s, models, est, reps, level)


def rogan_gladen_per_model(
    counts: pd.DataFrame,
    models: pd.DataFrame,
    level: float = 0.95,
    n_boot: int = 2000,
    random_seed: int = 0,
    judge_id: str | None = None,
) -> BaselineResult:
    """Rogan-Gladen with each model's own Se/Sp per metric (pooled over its regions).

    A model without labelled pairs gets NaN estimates and intervals. Bootstrap as in
    :func:`rogan_gladen_reused_incumbent`, with each model's pairs resampled independently.
    """
    s = cell_statistics(counts, judge_id)
    pools = _pair_pool(s, ["model_id", "metric"])
    keys = list(zip(s["model_id"], s["metric"], strict=True))
    rng = np.random.default_rng(random_seed)
    est, reps = _bootstrap_rogan_gladen(s, pools, keys, n_boot, rng)
    return _bootstrap_result("rg_per_model", s, models, est, reps, level)


def _bootstrap_result(
    method: str,
    s: pd.DataFrame,
    models: pd.DataFrame,
    est: np.ndarray,
    reps: np.ndarray,
    level: float,
) -> BaselineResult:
    low, high = _percentile_interval(reps, level)
    undefined = ~np.isfinite(est)
    low[undefined] = np.nan
    high[undefined] = np.nan
    cells = _cells_frame(s, method, est, low, high)

    rows = []
    for cand, inc, region, metric, c, i in _candidate_pairs(s, models):
        d = est[c] - est[i]
        d_low, d_high = _percentile_interval((reps[c] - reps[i])[None, :], level)
        if not np.isfinite(d):
            d_low[:], d_high[:] = np.nan, np.nan
        rows.append(_diff_row(cand, inc, region, metric, method, d, d_low[0], d_high[0]))
    return BaselineResult(method, cells, _differences_frame(rows))


# ---- prediction-powered inference -------------------------------------------------------------


def ppi_per_cell(
    counts: pd.DataFrame,
    models: pd.DataFrame,
    level: float = 0.95,
    min_labels: int = 2,
    judge_id: str | None = None,
) -> BaselineResult:
    """Prediction-powered (PPI++) interval for each cell's true rate, via ``ppi_py.ppi_mean_ci``.

    Y are the human labels of the cell's labelled traces, Yhat the judge's labels on those traces
    and Yhat_unlabeled the judge's labels on the cell's other traces, all rebuilt exactly from the
    counts (the PPI estimate depends on the arrays only through these counts). The power-tuning
    parameter is estimated from the data (``lam=None``). The estimate is the interval's midpoint
    (the PPI++ point estimate: the interval is symmetric); the interval is clipped to [0, 1].
    Cells with fewer than ``min_labels`` labels, or no unlabelled traces, are undefined (NaN).

    Differences combine the two independent cells' normal intervals:
    se_diff = sqrt(se_candidate^2 + se_incumbent^2), with se = half-width / z.
    """
    from ppi_py import ppi_mean_ci

    s = cell_statistics(counts, judge_id)
    alpha = 1 - level
    est = np.full(len(s), np.nan)
    se = np.full(len(s), np.nan)
    z = stats.norm.ppf(1 - alpha / 2)
    for i, row in enumerate(s.itertuples(index=False)):
        if row.n_labeled < min_labels or row.u1 + row.u0 == 0:
            continue
        y = np.repeat([1.0, 0.0, 1.0, 0.0], [row.n11, row.n10, row.n01, row.n00])
        yhat = np.repeat([1.0, 1.0, 0.0, 0.0], [row.n11, row.n10, row.n01, row.n00])
        yhat_unl = np.repeat([1.0, 0.0], [row.u1, row.u0])
        lo, hi = ppi_mean_ci(y, yhat, yhat_unl, alpha=alpha)
        lo, hi = float(np.ravel(lo)[0]), float(np.ravel(hi)[0])
        est[i] = (lo + hi) / 2
        se[i] = (hi - lo) / (2 * z)
    cells = _cells_frame(s, "ppi", est, np.clip(est - z * se, 0, 1), np.clip(est + z * se, 0, 1))
    rows = []
    for cand, inc, region, metric, c, i in _candidate_pairs(s, models):
        d = est[c] - est[i]
        sd = np.hypot(se[c], se[i])
        rows.append(_diff_row(cand, inc, region, metric, "ppi", d, d - z * sd, d + z * sd))
    return BaselineResult("ppi", cells, _differences_frame(rows))


# ---- shared frame builders --------------------------------------------------------------------


def _cells_frame(
    s: pd.DataFrame, method: str, est: np.ndarray, low: np.ndarray, high: np.ndarray
) -> pd.DataFrame:
    out = s[CELL_KEYS].copy()
    out["method"] = method
    out["estimate"] = est
    out["ci_low"] = low
    out["ci_high"] = high
    out["n_judged"] = s["n_judged"].to_numpy()
    out["n_labeled"] = s["n_labeled"].to_numpy()
    return out.reset_index(drop=True)


def _diff_row(cand, incumbent, region, metric, method, d, lo, hi) -> dict:
    return {
        "candidate_model_id": cand,
        "incumbent_model_id": incumbent,
        "region": region,
        "metric": metric,
        "method": method,
        "diff_estimate": float(d),
        "diff_low": float(lo),
        "diff_high": float(hi),
    }


def _differences_frame(rows: list[dict]) -> pd.DataFrame:
    columns = [
        "candidate_model_id",
        "incumbent_model_id",
        "region",
        "metric",
        "method",
        "diff_estimate",
        "diff_low",
        "diff_high",
    ]
    return pd.DataFrame(rows, columns=columns)


def _candidate_pairs(s: pd.DataFrame, models: pd.DataFrame) -> list[tuple]:
    """(candidate, incumbent, region, metric, candidate row, incumbent row) for every cell pair."""
    incumbent = _incumbent(models)
    index = {
        key: i for i, key in enumerate(zip(s["model_id"], s["region"], s["metric"], strict=True))
    }
    pairs = []
    for cand in _candidates(models):
        for (m, region, metric), ci in index.items():
            ii = index.get((incumbent, region, metric))
            if m == cand and ii is not None:
                pairs.append((cand, incumbent, region, metric, ci, ii))
    return pairs
