"""Summaries of the calibration model's posterior draws into the BI-facing output tables.

Every function takes the long draws table written by
:func:`llm_migration.calibration.posterior_draws_long` as read back from the warehouse (string
columns may come back as pandas strings with NaN for missing, chain and draw as any integer or
float type) and returns one DataFrame whose columns are the output contract of DESIGN.md, led by
``run_id`` and closed by ``computed_at`` (the UTC time of the call, timezone-aware).

Draws of different quantities are paired by (chain, draw): they come from one joint posterior,
so a difference or a traffic-weighted sum is computed draw by draw.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from llm_migration import drift
from llm_migration.calibration import DRAWS_LONG_COLUMNS, _normalise_counts, cell_evidence

ALL_REGIONS = "ALL"
DIRECTIONS = ("higher_is_better", "lower_is_better")
DEFAULT_THRESHOLDS = {
    "max_r_hat": 1.01,
    "min_ess_bulk": 400.0,
    "max_divergences": 0,
    "min_importance_ess": 10.0,
}

QUALITY_COLUMNS = [
    "run_id",
    "model_id",
    "model_role",
    "region",
    "metric",
    "n_traces",
    "n_judged",
    "n_human_labeled",
    "judge_positive_rate",
    "human_positive_rate",
    "posterior_mean",
    "posterior_sd",
    "hdi_low",
    "hdi_high",
    "computed_at",
]
COMPARISON_COLUMNS = [
    "run_id",
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
    "computed_at",
]
JUDGE_CALIBRATION_COLUMNS = [
    "run_id",
    "judge_id",
    "metric",
    "model_id",
    "n_pairs",
    "sensitivity_mean",
    "sensitivity_hdi_low",
    "sensitivity_hdi_high",
    "specificity_mean",
    "specificity_hdi_low",
    "specificity_hdi_high",
    "cohen_kappa",
    "computed_at",
]
DIAGNOSTICS_COLUMNS = [
    "run_id",
    "sampler",
    "chains",
    "draws",
    "max_r_hat",
    "min_ess_bulk",
    "n_divergences",
    "fit_seconds",
    "is_trusted",
    "untrusted_reason",
    "computed_at",
]
_KEYS = ["model_id", "region", "metric", "judge_id"]


# ---------------------------------------------------------------------------------------------
# Reading the long draws table
# ---------------------------------------------------------------------------------------------


@dataclass
class _Cube:
    """Draws of one quantity: ``values[chain, draw, item]``, items described by ``index``."""

    index: pd.DataFrame
    values: np.ndarray


def _optional_str(series: pd.Series) -> pd.Series:
    return pd.Series(
        [None if pd.isna(v) else str(v) for v in series.astype(object)],
        index=series.index,
        dtype=object,
    )


def _read_draws(draws: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Normalised copy of the draws table and its single run id."""
    if not isinstance(draws, pd.DataFrame):
        raise ValueError(f"draws must be a pandas DataFrame, got {type(draws).__name__}")
    required = ["run_id", "quantity", *_KEYS, "chain", "draw", "value"]
    missing = [c for c in required if c not in draws.columns]
    if missing:
        raise ValueError(f"draws is missing columns {missing}")
    if len(draws) == 0:
        raise ValueError("draws is empty")
    out = pd.DataFrame(index=pd.RangeIndex(len(draws)))
    raw = draws.reset_index(drop=True)
    for name in ["run_id", "quantity", *_KEYS]:
        out[name] = _optional_str(raw[name])
    out["chain"] = pd.to_numeric(raw["chain"]).astype(np.int64)
    out["draw"] = pd.to_numeric(raw["draw"]).astype(np.int64)
    out["value"] = pd.to_numeric(raw["value"]).astype(np.float64)
    for name in ("sampler", "fit_seconds"):
        if name in raw.columns:
            out[name] = raw[name].to_numpy()
    run_ids = out["run_id"].dropna().unique()
    if len(run_ids) != 1:
        raise ValueError(f"draws must hold exactly one run_id, found {sorted(run_ids)}")
    return out, str(run_ids[0])


_PER_CELL = ("theta", "sensitivity", "specificity")


def _cube(draws: pd.DataFrame, quantity: str, keys: list[str]) -> _Cube:
    """Draws of ``quantity`` as an array (chain, draw, item), items sorted by ``keys``.

    Chains and draws are numbered over the whole table, so cubes of different quantities from
    the same table are paired draw by draw.
    """
    chains = np.unique(draws["chain"])
    draw_ids = np.unique(draws.loc[draws["quantity"].isin(_PER_CELL), "draw"])
    rows = draws[draws["quantity"] == quantity]
    index = rows[keys].drop_duplicates().sort_values(keys, na_position="first")
    index = index.reset_index(drop=True)
    if len(rows) == 0:
        return _Cube(index, np.empty((len(chains), len(draw_ids), 0)))
    item = pd.MultiIndex.from_frame(index.fillna("\x00")).get_indexer(
        pd.MultiIndex.from_frame(rows[keys].fillna("\x00"))
    )
    if len(rows) != len(chains) * len(draw_ids) * len(index):
        raise ValueError(
            f"draws of {quantity!r} are incomplete or duplicated: expected one value per item, "
            f"chain and draw ({len(index)} x {len(chains)} x {len(draw_ids)}), got {len(rows)}"
        )
    values = np.full((len(chains), len(draw_ids), len(index)), np.nan)
    values[
        np.searchsorted(chains, rows["chain"]), np.searchsorted(draw_ids, rows["draw"]), item
    ] = rows["value"].to_numpy()
    if np.isnan(values).any():
        raise ValueError(
            f"draws of {quantity!r} are incomplete: every item needs one value per chain and draw"
        )
    return _Cube(index, values)


def _hdi(values: np.ndarray, hdi_prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Highest-density interval per item of a (chain, draw, item) array, via arviz."""
    if values.shape[-1] == 0:
        return np.empty(0), np.empty(0)
    data = xr.Dataset({"x": (("chain", "draw", "item"), values)})
    bounds = az.hdi(data, hdi_prob=hdi_prob)["x"]
    return bounds.sel(hdi="lower").values, bounds.sel(hdi="higher").values


def _check_hdi_prob(hdi_prob: float) -> float:
    if not 0 < float(hdi_prob) < 1:
        raise ValueError(f"hdi_prob must be in (0, 1), got {hdi_prob!r}")
    return float(hdi_prob)


def _traffic_shares(traffic_weights: pd.DataFrame) -> dict:
    """region -> share (normalised to sum to 1), from ``traffic_share`` or ``traffic_weight``."""
    if not isinstance(traffic_weights, pd.DataFrame) or "region" not in traffic_weights:
        raise ValueError("traffic_weights must be a DataFrame with columns region, traffic_share")
    column = next((c for c in ("traffic_share", "traffic_weight") if c in traffic_weights), None)
    if column is None:
        raise ValueError("traffic_weights needs a traffic_share (or traffic_weight) column")
    regions = _optional_str(traffic_weights["region"])
    shares = pd.to_numeric(traffic_weights[column].astype(object), errors="coerce")
    problems = []
    if regions.isna().any():
        problems.append("traffic_weights.region has missing values")
    if regions.duplicated().any():
        problems.append(
            f"traffic_weights.region is not unique: {sorted(regions[regions.duplicated()])}"
        )
    if shares.isna().any() or (shares < 0).any():
        problems.append(f"traffic_weights.{column} must be non-negative numbers")
    if not problems and shares.sum() <= 0:
        problems.append("traffic_weights has no region with a positive share")
    if problems:
        raise ValueError("invalid traffic_weights:\n- " + "\n- ".join(problems))
    total = float(shares.sum())
    return {r: float(s) / total for r, s in zip(regions, shares, strict=True)}


def _model_roles(models: pd.DataFrame) -> dict:
    if not isinstance(models, pd.DataFrame) or not {"model_id", "model_role"} <= set(models):
        raise ValueError("models must be a DataFrame with columns model_id, model_role")
    return dict(
        zip(_optional_str(models["model_id"]), _optional_str(models["model_role"]), strict=True)
    )


def _incumbent(roles: dict) -> str:
    incumbents = sorted(m for m, r in roles.items() if r == "incumbent")
    if len(incumbents) != 1:
        raise ValueError(f"models must have exactly one incumbent, found {incumbents}")
    return incumbents[0]


def _region_weights(regions: list[str], shares: dict) -> np.ndarray | None:
    """Traffic shares of ``regions`` renormalised to sum to 1 over them.

    None when none of them carries production traffic: the traffic-weighted overall figure is
    then undefined, and the caller leaves its 'ALL' row out.
    """
    weights = np.array([shares.get(r, 0.0) for r in regions])
    if weights.sum() <= 0:
        return None
    return weights / weights.sum()


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


def _nullable_float(values) -> pd.Series:
    return pd.Series(
        [None if v is None or pd.isna(v) else float(v) for v in values], dtype="Float64"
    )


# ---------------------------------------------------------------------------------------------
# fct_quality_posteriors
# ---------------------------------------------------------------------------------------------


def summarise_quality(
    draws: pd.DataFrame,
    counts: pd.DataFrame,
    traffic_weights: pd.DataFrame,
    models: pd.DataFrame,
    hdi_prob: float = 0.95,
    primary_judge: dict | None = None,
) -> pd.DataFrame:
    """Posterior of the true rate per model x region x metric, plus region 'ALL'.

    Parameters
    ----------
    draws : pandas.DataFrame
        Long draws table of one run (``posterior_draws_long``).
    counts : pandas.DataFrame
        The sufficient statistics the model was fitted on.
    traffic_weights : pandas.DataFrame
        ``region``, ``traffic_share`` (production traffic mix; normalised to sum to 1).
    models : pandas.DataFrame
        ``model_id``, ``model_role``.
    hdi_prob : float
        Probability mass of the highest-density intervals.
    primary_judge : dict, optional
        metric -> judge whose verdicts the fit used; must match the fit. Default: the judge with
        the most verdicts on the metric, as in ``fit_calibration_model``.

    Returns
    -------
    pandas.DataFrame
        fct_quality_posteriors. Region 'ALL' is post-stratified per draw: sum over the model's
        regions of w_r * theta[m, r, k]. When a model lacks some regions of the traffic mix, the
        shares of the regions it has are renormalised to sum to 1 (the overall figure then
        describes the traffic it was evaluated on); regions absent from the mix get weight 0.
        A model none of whose regions is in the mix gets no 'ALL' row for that metric (its
        overall figure is undefined; the gates then find no overall comparison and stay
        inconclusive for it, without failing the other models' rows). The count columns of
        'ALL' are sums over all of the model's regions; its judge and human positive rates are
        weighted like the posterior (null when a region with weight has no data for the rate),
        so the naive and calibrated overall figures describe the same traffic.
        ``n_traces`` counts judged plus unjudged-but-labelled traces, ``n_judged`` the primary
        judge's verdicts, ``n_human_labeled`` the labels the fit used for theta (on traces the
        primary judge scored, or that no judge scored). Rates are null when their denominator
        is 0.
    """
    hdi_prob = _check_hdi_prob(hdi_prob)
    draws, run_id = _read_draws(draws)
    roles = _model_roles(models)
    shares = _traffic_shares(traffic_weights)
    theta = _cube(draws, "theta", ["model_id", "region", "metric"])
    if theta.values.shape[-1] == 0:
        raise ValueError("draws hold no 'theta' rows")

    # Post-stratified overall rate: one weight row per (model, metric) over the theta items.
    groups = theta.index.groupby(["model_id", "metric"], sort=True).indices
    weight_rows = []
    all_index = []
    for (model_id, metric), items in sorted(groups.items()):
        regions = theta.index.loc[items, "region"].tolist()
        weights = _region_weights(regions, shares)
        if weights is None:
            continue
        weight_row = np.zeros(len(theta.index))
        weight_row[items] = weights
        weight_rows.append(weight_row)
        all_index.append((model_id, ALL_REGIONS, metric))
    weight_matrix = np.array(weight_rows).reshape(len(weight_rows), len(theta.index))
    overall = theta.values @ weight_matrix.T
    index = pd.concat(
        [theta.index, pd.DataFrame(all_index, columns=["model_id", "region", "metric"])],
        ignore_index=True,
    )
    values = np.concatenate([theta.values, overall], axis=2)
    low, high = _hdi(values, hdi_prob)
    flat = values.reshape(-1, values.shape[-1])

    evidence = cell_evidence(counts, primary_judge)
    evidence["n_traces"] = evidence["n_judged"] + evidence["n_labeled_unjudged"]
    evidence["n_human_labeled"] = (
        evidence["n_labeled_judged_positive"]
        + evidence["n_labeled_judged_negative"]
        + evidence["n_labeled_unjudged"]
    )
    evidence["n_human_positive"] = (
        evidence["n_human_positive_judged_positive"]
        + evidence["n_human_positive_judged_negative"]
        + evidence["n_human_positive_unjudged"]
    )
    sums = ["n_traces", "n_judged", "n_judged_positive", "n_human_labeled", "n_human_positive"]
    per_cell = evidence[["model_id", "region", "metric", *sums]]
    overall_counts = per_cell.groupby(["model_id", "metric"], as_index=False)[sums].sum()
    overall_counts["region"] = ALL_REGIONS
    stats = pd.concat([per_cell, overall_counts], ignore_index=True)
    out = index.merge(stats, on=["model_id", "region", "metric"], how="left", validate="1:1")
    for name in sums:
        out[name] = out[name].fillna(0).astype(np.int64)

    def rate(num, den):
        return _nullable_float(np.where(den > 0, num / np.maximum(den, 1), np.nan))

    out["judge_positive_rate"] = rate(out["n_judged_positive"], out["n_judged"])
    out["human_positive_rate"] = rate(out["n_human_positive"], out["n_human_labeled"])
    # The observed rates of 'ALL' use the posterior's weights, so the naive and calibrated
    # overall figures describe the same traffic (a candidate sampled evenly across regions
    # would otherwise be compared on another mix). A region with traffic but no data for the
    # rate leaves it undefined.
    n_cells = len(theta.index)  # out holds the theta cells first, then the 'ALL' rows
    has_weight = weight_matrix > 0
    for column in ("judge_positive_rate", "human_positive_rate"):
        cell_rates = out[column].iloc[:n_cells].to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(cell_rates)
        overall_rates = weight_matrix @ np.where(missing, 0.0, cell_rates)
        overall_rates[(has_weight & missing).any(axis=1)] = np.nan
        out[column] = _nullable_float(np.concatenate([cell_rates, overall_rates]))
    out["posterior_mean"] = flat.mean(axis=0)
    out["posterior_sd"] = flat.std(axis=0, ddof=1) if flat.shape[0] > 1 else 0.0
    out["hdi_low"] = low
    out["hdi_high"] = high
    out["model_role"] = pd.Series([roles.get(m) for m in out["model_id"]], dtype=object)
    out["run_id"] = run_id
    out["computed_at"] = _now()
    order = out["region"].eq(ALL_REGIONS)
    out = out.assign(_all=order).sort_values(["model_id", "metric", "_all", "region"])
    return out[QUALITY_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# fct_model_comparisons
# ---------------------------------------------------------------------------------------------


def _metric_settings(metric_config: dict, metrics: list[str]) -> dict:
    problems = []
    settings = {}
    metric_config = metric_config or {}
    for metric in metrics:
        entry = metric_config.get(metric)
        if not isinstance(entry, dict):
            problems.append(f"metric_config has no entry for metric {metric!r}")
            continue
        direction = entry.get("direction")
        if direction not in DIRECTIONS:
            problems.append(
                f"metric_config[{metric!r}].direction must be one of {DIRECTIONS}, "
                f"got {direction!r}"
            )
        try:
            margin = float(entry.get("margin"))
        except (TypeError, ValueError):
            margin = float("nan")
        if not 0 <= margin < 0.5:
            problems.append(
                f"metric_config[{metric!r}].margin must be an absolute rate difference in "
                f"[0, 0.5) (0.02 = 2 points), got {entry.get('margin')!r}"
            )
        settings[metric] = (direction, margin)
    if problems:
        raise ValueError("invalid metric_config:\n- " + "\n- ".join(problems))
    return settings


def compare_to_incumbent(
    draws: pd.DataFrame,
    traffic_weights: pd.DataFrame,
    models: pd.DataFrame,
    metric_config: dict,
    hdi_prob: float = 0.95,
    counts: pd.DataFrame | None = None,
    primary_judge: dict | None = None,
) -> pd.DataFrame:
    """Each candidate against the incumbent per region and overall, positive = better.

    Parameters
    ----------
    draws : pandas.DataFrame
        Long draws table of one run.
    traffic_weights : pandas.DataFrame
        ``region``, ``traffic_share``.
    models : pandas.DataFrame
        ``model_id``, ``model_role`` with exactly one incumbent.
    metric_config : dict
        metric -> {'direction': 'higher_is_better' | 'lower_is_better', 'margin': float}; every
        metric in the draws needs an entry.
    hdi_prob : float
        Probability mass of the highest-density intervals.
    counts : pandas.DataFrame, optional
        The sufficient statistics the model was fitted on. With them each regional row also
        gets ``prob_worse_own_evidence`` (see :func:`own_evidence_theta`); without, it is null.
    primary_judge : dict, optional
        metric -> judge whose verdicts the fit used (default as in ``fit_calibration_model``).

    Returns
    -------
    pandas.DataFrame
        fct_model_comparisons plus ``prob_worse_beyond_margin``. Per draw, diff = candidate -
        incumbent for higher_is_better and incumbent - candidate for lower_is_better.
        prob_better = P(diff > 0), prob_noninferior = P(diff > -margin),
        prob_worse_beyond_margin = P(diff < -margin). Rows cover the regions both models were
        evaluated in, and region 'ALL': the traffic-weighted difference over those common
        regions, shares renormalised over them, so both sides of an overall comparison describe
        the same traffic. A candidate sharing no region with the incumbent on a metric gets no
        rows for it; one whose shared regions carry no production traffic gets its regional
        rows but no 'ALL' row. ``prob_worse_own_evidence`` is P(diff < -margin) when each
        region's rates rest on that region's data alone (null on 'ALL'): the regional gate
        clears a region only when this agrees, so partial pooling cannot clear a small region
        on the strength of the others.
    """
    hdi_prob = _check_hdi_prob(hdi_prob)
    draws, run_id = _read_draws(draws)
    roles = _model_roles(models)
    incumbent = _incumbent(roles)
    shares = _traffic_shares(traffic_weights)
    theta = _cube(draws, "theta", ["model_id", "region", "metric"])
    settings = _metric_settings(metric_config, sorted(theta.index["metric"].unique()))
    position = {tuple(k): i for i, k in enumerate(theta.index.itertuples(index=False))}
    if incumbent not in set(theta.index["model_id"]):
        raise ValueError(f"the incumbent {incumbent!r} has no theta draws")
    candidates = sorted(m for m in theta.index["model_id"].unique() if roles.get(m) == "candidate")

    keys, diffs = [], []
    for candidate in candidates:
        for metric, (direction, margin) in settings.items():
            sign = 1.0 if direction == "higher_is_better" else -1.0
            regions = sorted(
                r
                for (m, r, k) in position
                if m == candidate and k == metric and (incumbent, r, metric) in position
            )
            if not regions:
                continue
            per_region = np.stack(
                [
                    sign
                    * (
                        theta.values[:, :, position[(candidate, r, metric)]]
                        - theta.values[:, :, position[(incumbent, r, metric)]]
                    )
                    for r in regions
                ],
                axis=2,
            )
            diffs.append(per_region)
            keys.extend((candidate, r, metric, margin) for r in regions)
            weights = _region_weights(regions, shares)
            if weights is not None:
                diffs.append((per_region @ weights)[:, :, None])
                keys.append((candidate, ALL_REGIONS, metric, margin))

    out = pd.DataFrame(keys, columns=["candidate_model_id", "region", "metric", "margin"])
    if not keys:
        out = out.assign(**{c: [] for c in COMPARISON_COLUMNS if c not in out})
        return out[COMPARISON_COLUMNS]
    values = np.concatenate(diffs, axis=2)
    flat = values.reshape(-1, values.shape[-1])
    low, high = _hdi(values, hdi_prob)
    margins = out["margin"].to_numpy()
    out["incumbent_model_id"] = incumbent
    out["diff_mean"] = flat.mean(axis=0)
    out["diff_hdi_low"] = low
    out["diff_hdi_high"] = high
    out["prob_better"] = (flat > 0).mean(axis=0)
    out["prob_noninferior"] = (flat > -margins).mean(axis=0)
    out["prob_worse_beyond_margin"] = (flat < -margins).mean(axis=0)
    own = [None] * len(out)
    if counts is not None:
        own_theta = _own_evidence_theta(draws, counts, primary_judge, grid=256)
        for i, (candidate, region, metric, margin) in enumerate(keys):
            if region == ALL_REGIONS:
                continue
            sign = 1.0 if settings[metric][0] == "higher_is_better" else -1.0
            diff = sign * (
                own_theta[(candidate, region, metric)] - own_theta[(incumbent, region, metric)]
            )
            if not np.isnan(diff).any():
                own[i] = float((diff < -margin).mean())
    out["prob_worse_own_evidence"] = _nullable_float(own)
    out["run_id"] = run_id
    out["computed_at"] = _now()
    return out[COMPARISON_COLUMNS]


def own_evidence_theta(
    draws: pd.DataFrame, counts: pd.DataFrame, primary_judge: dict | None = None, grid: int = 256
) -> dict:
    """Draws of each cell's true rate from that cell's own data, without regional pooling.

    Per posterior draw of the primary judge's sensitivity and specificity for the cell's model
    and metric (the fit's judge error, shared across regions), the rate is drawn from its
    likelihood in that cell alone (the DESIGN likelihood: J of T judged positive, H1 of L1 and
    H0 of L0 labelled ones human-positive, plus labels on unjudged traces) under a flat prior,
    by inverse-CDF sampling on a grid refined around the likelihood's mass. The judge error
    still borrows strength across regions; the rate does not. A cell whose judge error has no
    draws gets NaN.

    Returns
    -------
    dict
        (model_id, region, metric) -> array (chain x draw), paired with the fit's draws.
        Seeded per cell, so the same inputs give the same draws.
    """
    return _own_evidence_theta(_read_draws(draws)[0], counts, primary_judge, grid)


def _own_evidence_theta(draws, counts, primary_judge, grid) -> dict:
    """own_evidence_theta on a draws table already read by _read_draws."""
    evidence = cell_evidence(counts, primary_judge)
    theta = _cube(draws, "theta", ["model_id", "region", "metric"])
    shape = theta.values.shape[:2]
    error = {}
    for quantity in ("sensitivity", "specificity"):
        cube = _cube(draws, quantity, ["judge_id", "model_id", "metric"])
        for i, key in enumerate(cube.index.itertuples(index=False)):
            error[(quantity, *key)] = cube.values[:, :, i].ravel()
    out = {}
    for row in evidence.itertuples(index=False):
        key = (row.model_id, row.region, row.metric)
        n = shape[0] * shape[1]
        if row.judge_id is None or pd.isna(row.judge_id) or row.n_judged == 0:
            se = sp = np.full(n, 0.75)  # no verdicts: the rate rests on the labels alone
        else:
            se = error.get(("sensitivity", row.judge_id, row.model_id, row.metric))
            sp = error.get(("specificity", row.judge_id, row.model_id, row.metric))
            if se is None or sp is None:
                out[key] = np.full(shape, np.nan)
                continue
        seed = zlib.crc32("|".join(map(str, key)).encode())
        sample = _sample_own_rate(row, se, sp, np.random.default_rng(seed), grid)
        out[key] = sample.reshape(shape)
    return out


def _sample_own_rate(row, se: np.ndarray, sp: np.ndarray, rng, grid: int) -> np.ndarray:
    """One rate per (se, sp) draw from the cell's own likelihood (see own_evidence_theta)."""
    t, j = float(row.n_judged), float(row.n_judged_positive)
    l1, h1 = float(row.n_labeled_judged_positive), float(row.n_human_positive_judged_positive)
    l0, h0 = float(row.n_labeled_judged_negative), float(row.n_human_positive_judged_negative)
    lu, hu = float(row.n_labeled_unjudged), float(row.n_human_positive_unjudged)
    # log L = (J - L1) log q + (T - J - L0) log(1 - q) + H log(theta) + (L - H) log(1 - theta),
    # q = theta Se + (1 - theta)(1 - Sp), H and L the labels' positives and total (terms free of
    # theta dropped): the labelled traces' judge verdicts enter through q's factors.
    n_pos_q, n_neg_q = j - l1, t - j - l0
    n_hum = h1 + h0 + hu
    n_not = (l1 - h1) + (l0 - h0) + (lu - hu)
    se, sp = se[:, None], sp[:, None]

    def log_likelihood(theta):
        q = np.clip(theta * se + (1.0 - theta) * (1.0 - sp), 1e-300, 1.0 - 1e-16)
        return (
            n_pos_q * np.log(q)
            + n_neg_q * np.log1p(-q)
            + n_hum * np.log(theta)
            + n_not * np.log1p(-theta)
        )

    # A coarse grid over (0, 1) finds where the mass is; a fine grid there samples it.
    n_coarse = 128
    coarse = (np.arange(n_coarse) + 0.5) / n_coarse
    ll = log_likelihood(coarse[None, :])
    ll -= ll.max(axis=1, keepdims=True)
    alive = ll > -40.0
    first = np.argmax(alive, axis=1)
    last = n_coarse - 1 - np.argmax(alive[:, ::-1], axis=1)
    low = np.maximum(first - 1, 0) / n_coarse
    high = np.minimum(last + 2, n_coarse) / n_coarse
    fine = low[:, None] + (high - low)[:, None] * (np.arange(grid) + 0.5)[None, :] / grid
    ll = log_likelihood(fine)
    weight = np.exp(ll - ll.max(axis=1, keepdims=True))
    cdf = np.cumsum(weight, axis=1)
    cdf /= cdf[:, -1:]
    pick = (cdf < rng.random(len(cdf))[:, None]).sum(axis=1)
    pick = np.minimum(pick, grid - 1)
    step = (high - low) / grid
    return low + step * (pick + rng.random(len(cdf)))


# ---------------------------------------------------------------------------------------------
# fct_judge_calibration
# ---------------------------------------------------------------------------------------------


def _labelled_pairs(counts: pd.DataFrame) -> pd.DataFrame:
    """2x2 judge-vs-human tables per (judge, model, metric) over all regions, with ``q``.

    ``q`` is the share of positive verdicts among all the judge's verdicts on the model and
    metric, labelled or not.
    """
    problems: list[str] = []
    rows = _normalise_counts(counts, problems)
    if problems:
        raise ValueError("invalid counts:\n- " + "\n- ".join(problems))
    rows = rows[rows["judge_id"].notna()].copy()
    cell = {"n11": (True, True), "n10": (True, False), "n01": (False, True), "n00": (False, False)}
    for name, (judge, human) in cell.items():
        mask = (rows["is_judge_positive"] == judge) & (rows["is_human_positive"] == human)
        rows[name] = np.where(mask.fillna(False), rows["n_traces"], 0).astype(float)
    rows["n_judged"] = rows["n_traces"].astype(float)
    is_positive = rows["is_judge_positive"].eq(True).fillna(False)
    rows["n_judged_positive"] = np.where(is_positive, rows["n_judged"], 0.0)
    sums = [*cell, "n_judged", "n_judged_positive"]
    out = rows.groupby(["judge_id", "model_id", "metric"], as_index=False)[sums].sum()
    out["q"] = out["n_judged_positive"] / out["n_judged"]
    return out[["judge_id", "model_id", "metric", *cell, "q"]]


def traffic_weighted_kappa(n11, n10, n01, n00, q) -> np.ndarray:
    """Judge-vs-human Cohen's kappa on the judged traffic from labelled pairs (NaN: undefined).

    The labelled pairs give the predictive values PPV = n11 / (n11 + n10) and NPV = n00 /
    (n00 + n01); ``q`` is the share of positive verdicts among all the judge's verdicts. The
    traffic's 2x2 table is then (q PPV, q (1 - PPV), (1 - q)(1 - NPV), (1 - q) NPV), whether the
    labels were drawn at random or within each judge verdict (the pairs' own table describes
    the labelled sample only, which a stratified design enriches in the rarer verdict).
    Undefined without pairs on a verdict the judge gives, or when chance agreement is 1.
    ``n11, n10, n01, n00`` are pairs with (judge, human) = (pos, pos), (pos, neg), (neg, pos),
    (neg, neg).
    """
    n11, n10, n01, n00, q = (np.asarray(x, dtype=float) for x in (n11, n10, n01, n00, q))
    with np.errstate(invalid="ignore", divide="ignore"):
        ppv = np.where(q > 0, n11 / (n11 + n10), 0.0)
        npv = np.where(q < 1, n00 / (n00 + n01), 0.0)
    return drift.cohen_kappa(q * ppv, (1 - q) * (1 - npv), (1 - q) * npv, q * (1 - ppv))


def summarise_judge_calibration(
    draws: pd.DataFrame, counts: pd.DataFrame, hdi_prob: float = 0.95
) -> pd.DataFrame:
    """Judge sensitivity and specificity per judge x metric x model, with observed agreement.

    Parameters
    ----------
    draws : pandas.DataFrame
        Long draws table of one run.
    counts : pandas.DataFrame
        The sufficient statistics the model was fitted on.
    hdi_prob : float
        Probability mass of the highest-density intervals.

    Returns
    -------
    pandas.DataFrame
        fct_judge_calibration: one row per (judge, model, metric) with sensitivity and
        specificity draws. ``n_pairs`` counts the traces with both this judge's verdict and a
        human label (all regions); ``cohen_kappa`` is the judge-vs-human kappa on the model's
        judged traffic (``traffic_weighted_kappa``: the pairs' predictive values weighted by the
        judge's positive share over all its verdicts on the model, so random and
        verdict-stratified labels estimate the same figure), null when undefined.
    """
    hdi_prob = _check_hdi_prob(hdi_prob)
    draws, run_id = _read_draws(draws)
    keys = ["judge_id", "model_id", "metric"]
    se = _cube(draws, "sensitivity", keys)
    sp = _cube(draws, "specificity", keys)
    if not se.index.equals(sp.index):
        raise ValueError(
            "draws hold sensitivity and specificity for different judge x model "
            "x metric combinations"
        )
    out = se.index.copy()
    for name, cube in (("sensitivity", se), ("specificity", sp)):
        low, high = _hdi(cube.values, hdi_prob)
        out[f"{name}_mean"] = cube.values.reshape(-1, cube.values.shape[-1]).mean(axis=0)
        out[f"{name}_hdi_low"] = low
        out[f"{name}_hdi_high"] = high
    pairs = _labelled_pairs(counts)
    out = out.merge(pairs, on=keys, how="left", validate="1:1")
    tables = out[["n11", "n10", "n01", "n00"]].fillna(0.0).to_numpy()
    out["n_pairs"] = tables.sum(axis=1).round().astype(np.int64)
    kappa = traffic_weighted_kappa(*tables.T, out["q"].to_numpy(dtype=float, na_value=np.nan))
    out["cohen_kappa"] = _nullable_float(kappa)
    out["run_id"] = run_id
    out["computed_at"] = _now()
    return out[JUDGE_CALIBRATION_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# fct_sampler_diagnostics
# ---------------------------------------------------------------------------------------------


def sampler_diagnostics(draws: pd.DataFrame, thresholds: dict | None = None) -> pd.DataFrame:
    """Convergence diagnostics of one fit, and whether to trust it.

    Parameters
    ----------
    draws : pandas.DataFrame
        Long draws table of one run, with its ``sampler`` and ``fit_seconds`` columns.
    thresholds : dict, optional
        Overrides of ``{'max_r_hat': 1.01, 'min_ess_bulk': 400, 'max_divergences': 0,
        'min_importance_ess': 10}``. The last applies to each model x metric without human
        labels (drawn by importance resampling): the median over draws of the effective number
        of proposals behind a draw.

    Returns
    -------
    pandas.DataFrame
        fct_sampler_diagnostics, one row: rank-normalised split R-hat (max) and bulk ESS (min)
        from arviz over every theta, sensitivity and specificity item, the number of divergent
        transitions, and ``is_trusted`` / ``untrusted_reason`` (every failed threshold, or null).
        An R-hat or ESS arviz cannot compute (e.g. a constant chain), or a draws table without
        a ``diverging`` value for every chain and draw, counts as untrusted.
    """
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    unknown = sorted(set(limits) - set(DEFAULT_THRESHOLDS))
    if unknown:
        raise ValueError(f"unknown thresholds {unknown}; expected {sorted(DEFAULT_THRESHOLDS)}")
    draws, run_id = _read_draws(draws)
    variables = {}
    for quantity, keys in (
        ("theta", ["model_id", "region", "metric"]),
        ("sensitivity", ["judge_id", "model_id", "metric"]),
        ("specificity", ["judge_id", "model_id", "metric"]),
    ):
        cube = _cube(draws, quantity, keys)
        if cube.values.shape[-1]:
            variables[quantity] = (("chain", "draw", f"{quantity}_item"), cube.values)
    if not variables:
        raise ValueError("draws hold no theta, sensitivity or specificity rows")
    data = xr.Dataset(variables)
    r_hat = np.concatenate([v.values.ravel() for v in az.rhat(data).data_vars.values()])
    ess = np.concatenate([v.values.ravel() for v in az.ess(data, method="bulk").data_vars.values()])
    max_r_hat = None if np.isnan(r_hat).all() else float(np.nanmax(r_hat))
    min_ess = None if np.isnan(ess).all() else float(np.nanmin(ess))
    diverging = draws.loc[draws["quantity"] == "diverging", "value"]
    n_divergences = int(diverging.fillna(0).sum())
    # Models without human labels on a metric are drawn by importance resampling (see
    # llm_migration.calibration): per pair, the median over draws of the weights' effective
    # number of proposals.
    importance = (
        draws[draws["quantity"] == "importance_ess"]
        .groupby(["model_id", "metric"], sort=True)["value"]
        .median()
    )

    reasons = []
    if max_r_hat is None or np.isnan(r_hat).any():
        reasons.append("r_hat could not be computed for every quantity")
    elif max_r_hat > limits["max_r_hat"]:
        reasons.append(f"max r_hat {max_r_hat:.3f} > {limits['max_r_hat']}")
    if min_ess is None or np.isnan(ess).any():
        reasons.append("bulk ESS could not be computed for every quantity")
    elif min_ess < limits["min_ess_bulk"]:
        reasons.append(f"min bulk ESS {min_ess:.0f} < {limits['min_ess_bulk']:g}")
    n_chains, n_draws = next(iter(variables.values()))[1].shape[:2]
    if len(diverging) != n_chains * n_draws or diverging.isna().any():
        # Missing rows would otherwise read as no divergences: fail closed.
        reasons.append(
            f"divergent transitions recorded for {int(diverging.notna().sum())} of "
            f"{n_chains * n_draws} draws"
        )
    elif n_divergences > limits["max_divergences"]:
        reasons.append(f"{n_divergences} divergent transitions")
    for (model_id, metric), ess in importance.items():
        if not ess >= limits["min_importance_ess"]:
            reasons.append(
                f"{model_id} has no human labels on {metric} and its judged rates fit few of the "
                f"judge error rates seen on other models (median importance ESS {ess:.1f} < "
                f"{limits['min_importance_ess']:g})"
            )

    def first(name):
        if name not in draws.columns or draws[name].isna().all():
            return None
        return draws[name].dropna().iloc[0]

    fit_seconds = first("fit_seconds")
    sampler = first("sampler")
    row = {
        "run_id": run_id,
        "sampler": None if sampler is None else str(sampler),
        "chains": int(n_chains),
        "draws": int(n_draws),
        "max_r_hat": max_r_hat,
        "min_ess_bulk": min_ess,
        "n_divergences": n_divergences,
        "fit_seconds": None if fit_seconds is None else float(fit_seconds),
        "is_trusted": not reasons,
        "untrusted_reason": "; ".join(reasons) if reasons else None,
        "computed_at": _now(),
    }
    out = pd.DataFrame([row])
    out["untrusted_reason"] = out["untrusted_reason"].astype(object)
    return out[DIAGNOSTICS_COLUMNS]


__all__ = [
    "ALL_REGIONS",
    "DRAWS_LONG_COLUMNS",
    "traffic_weighted_kappa",
    "compare_to_incumbent",
    "sampler_diagnostics",
    "summarise_judge_calibration",
    "summarise_quality",
]
