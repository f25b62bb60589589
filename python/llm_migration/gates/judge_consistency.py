"""Does the judge err in each region as it does in the model's other regions?

The calibration model gives the judge one sensitivity and one specificity per model x metric,
shared by every region. A judge that is lenient with one model in one region only (say, with its
answers in one language) breaks that assumption in a way the fit cannot see: that cell's
judge-positive rate is read through the shared error rates, its true rate comes out too high, and
a regression there can pass the regional gate, on the pooled and on the region's own evidence
alike (both use the shared error rates).

The human-labelled pairs of the cell are the only unbiased witness. This module compares them with
the model's other regions: for every model x region x metric cell of the primary judge,

* among the cell's human negatives, the number the judge called positive (false positives) is
  compared with its predictive distribution given the false-positive rate of the same model and
  metric in all other regions: beta-binomial, from a uniform prior updated by the other regions'
  pairs (a cross-validatory check: the cell's own pairs do not move the prediction it is
  checked against); with no such pairs in the other regions (one region, or the model labelled
  in one region only) there is nothing to compare with, and that kind is not tested (p = 1);
* likewise the false negatives among the cell's human positives.

``p_more_positive`` is the evidence that the judge says *positive* more readily in the cell than
elsewhere (more false positives, or fewer false negatives), Bonferroni over the two tails:
``min(1, 2 * min(P(FP >= observed), P(FN <= observed)))``. ``p_fewer_positive`` is the mirror
image. Both are conservative tail probabilities of discrete counts (no mid-p).

The regional gate (:func:`llm_migration.gates.quality.regional_regression_gates`) reads them on
the side that would hide a regression: the candidate's cell judged too favourably (more
positives on a higher-is-better metric, fewer on a lower-is-better one) or the incumbent's cell
judged too unfavourably. When that p-value is below the policy's ``judge_region_check_alpha``
(default 0.01), a region that would pass is held ``inconclusive`` instead: its calibration is
in doubt. The region's human labels alone then decide it (:func:`labels_only_prob_worse`,
independent posteriors of the two models' rates in the cell from their labelled pairs, by
verdict stratum, so that labels drawn at random within each verdict count as they should): it
passes when they alone clear it at the regional rule, fails when they alone block it, and stays
inconclusive otherwise, so more
labels there settle it whether or not the judge really errs otherwise in that region.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from llm_migration.calibration import _normalise_counts, _resolve_primary

# In a regional gate's reason: the judge check held the region (fct_labeling_plan reads it).
HELD_BY_JUDGE_CHECK = "against its other regions"

JUDGE_CHECK_COLUMNS = [
    "judge_id",
    "model_id",
    "region",
    "metric",
    "n_human_negative",
    "n_false_positive",
    "n_human_positive",
    "n_false_negative",
    "n_judged",
    "n_judged_positive",
    "rest_false_positive_rate",
    "rest_false_negative_rate",
    "p_more_positive",
    "p_fewer_positive",
]
# The counts per cell: labelled pairs by kind, and every verdict of the primary judge.
COUNT_COLUMNS = tuple(JUDGE_CHECK_COLUMNS[4:10])


def _beta_binomial_tails(x, n, x_rest, n_rest):
    """P(X >= x) and P(X <= x) for X ~ BetaBinomial(n, 1 + x_rest, 1 + n_rest - x_rest).

    Both 1 when the other regions have no pairs of the kind (n_rest = 0): the prediction would
    be the uniform prior's, under which a count at either end of 0..n has p = 1 / (n + 1), so a
    judge with no false negatives in a model's only labelled region was "unlike elsewhere".
    """
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    n_rest = np.asarray(n_rest, dtype=float)
    a = 1.0 + np.asarray(x_rest, dtype=float)
    b = 1.0 + n_rest - np.asarray(x_rest, dtype=float)
    tested = (n > 0) & (n_rest > 0)
    upper = np.where(tested, stats.betabinom.sf(x - 1, n, a, b), 1.0)
    lower = np.where(tested, stats.betabinom.cdf(x, n, a, b), 1.0)
    return np.clip(upper, 0.0, 1.0), np.clip(lower, 0.0, 1.0)


def consistency_pvalues(fp, n_neg, fp_rest, n_neg_rest, fn, n_pos, fn_rest, n_pos_rest):
    """``(p_more_positive, p_fewer_positive)`` for arrays of cell and rest-of-model counts.

    fp of n_neg human negatives the judge called positive in the cell (fp_rest of n_neg_rest in
    the model's other regions); fn of n_pos human positives it called negative (fn_rest of
    n_pos_rest elsewhere).
    """
    fp_high, fp_low = _beta_binomial_tails(fp, n_neg, fp_rest, n_neg_rest)
    fn_high, fn_low = _beta_binomial_tails(fn, n_pos, fn_rest, n_pos_rest)
    more = np.minimum(1.0, 2.0 * np.minimum(fp_high, fn_low))
    fewer = np.minimum(1.0, 2.0 * np.minimum(fp_low, fn_high))
    return more, fewer


def judge_consistency_checks(
    counts: pd.DataFrame, primary_judge: dict | None = None
) -> pd.DataFrame:
    """One row per (primary judge, model, region, metric) with labelled pairs or verdicts.

    Parameters
    ----------
    counts : pandas.DataFrame
        The sufficient statistics the fit reads (model_id, region, metric, judge_id,
        is_judge_positive, is_human_positive, n_traces).
    primary_judge : dict, optional
        metric -> judge id, as given to the fit (default: the judge with the most verdicts).

    Returns
    -------
    pandas.DataFrame
        ``JUDGE_CHECK_COLUMNS``. A cell without labelled pairs of a kind, or whose model has
        none of that kind in its other regions, gets p = 1 on that kind (nothing to compare).
    """
    problems: list[str] = []
    rows = _normalise_counts(counts, problems)
    primary = _resolve_primary(rows, primary_judge, problems) if rows is not None else {}
    if problems:
        raise ValueError("invalid counts:\n- " + "\n- ".join(problems))
    rows = rows[rows["judge_id"].notna() & (rows["judge_id"] == rows["metric"].map(primary))]
    labelled = rows["is_human_positive"].notna()
    human = (rows["is_human_positive"] == True).fillna(False)  # noqa: E712
    judge = (rows["is_judge_positive"] == True).fillna(False)  # noqa: E712
    n = rows["n_traces"].to_numpy()
    frame = rows[["judge_id", "model_id", "region", "metric"]].copy()
    frame["n_human_negative"] = np.where(labelled & ~human, n, 0)
    frame["n_false_positive"] = np.where(labelled & ~human & judge, n, 0)
    frame["n_human_positive"] = np.where(labelled & human, n, 0)
    frame["n_false_negative"] = np.where(labelled & human & ~judge, n, 0)
    # Every verdict of the cell, labelled or not: the weights of the two verdict strata.
    frame["n_judged"] = n
    frame["n_judged_positive"] = np.where(judge, n, 0)
    keys = ["judge_id", "model_id", "region", "metric"]
    cells = frame.groupby(keys, as_index=False, sort=True)[list(COUNT_COLUMNS)].sum()
    totals = cells.groupby(["judge_id", "model_id", "metric"])[
        ["n_human_negative", "n_false_positive", "n_human_positive", "n_false_negative"]
    ].transform("sum")
    rest = totals - cells[totals.columns]
    more, fewer = consistency_pvalues(
        cells["n_false_positive"],
        cells["n_human_negative"],
        rest["n_false_positive"],
        rest["n_human_negative"],
        cells["n_false_negative"],
        cells["n_human_positive"],
        rest["n_false_negative"],
        rest["n_human_positive"],
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        cells["rest_false_positive_rate"] = rest["n_false_positive"] / rest["n_human_negative"]
        cells["rest_false_negative_rate"] = rest["n_false_negative"] / rest["n_human_positive"]
    cells["p_more_positive"] = more
    cells["p_fewer_positive"] = fewer
    for name in COUNT_COLUMNS:
        cells[name] = cells[name].astype("int64")
    return cells[JUDGE_CHECK_COLUMNS].reset_index(drop=True)


def hiding_pvalue(
    checks: pd.DataFrame | None,
    candidate: str,
    incumbent: str,
    region: str,
    metric: str,
    direction: str,
) -> tuple[float, str] | None:
    """The smallest p-value on the side that would hide a regression, and what it says.

    The candidate's cell judged too favourably (more positives when higher is better, fewer
    when lower is better), or the incumbent's too unfavourably. None without checks.
    """
    if checks is None or checks.empty:
        return None
    favourable = "p_more_positive" if direction == "higher_is_better" else "p_fewer_positive"
    unfavourable = "p_fewer_positive" if favourable == "p_more_positive" else "p_more_positive"
    found = []
    for model, column, how in (
        (candidate, favourable, "favours"),
        (incumbent, unfavourable, "disfavours"),
    ):
        mine = _cell_rows(checks, model, region, metric)
        if mine.empty or pd.isna(mine.iloc[0][column]):
            # No p-value (e.g. NULL read back) says nothing; it must not win min() below,
            # where a NaN compares as neither smaller nor larger and hid the other side's.
            continue
        row = mine.iloc[0]
        text = (
            f"the judge {how} {model} in {region} {HELD_BY_JUDGE_CHECK} ("
            f"{row['n_false_positive']} of {row['n_human_negative']} human negatives judged "
            f"positive, {_pct(row['rest_false_positive_rate'])} elsewhere; "
            f"{row['n_false_negative']} of {row['n_human_positive']} human positives judged "
            f"negative, {_pct(row['rest_false_negative_rate'])} elsewhere; {_p(row[column])})"
        )
        found.append((float(row[column]), text))
    return min(found) if found else None


def _cell_rows(checks: pd.DataFrame, model: str, region: str, metric: str) -> pd.DataFrame:
    """The check rows of one model x region x metric cell."""
    return checks[
        (checks["model_id"] == model) & (checks["region"] == region) & (checks["metric"] == metric)
    ]


def _p(value) -> str:
    return "p<0.001" if float(value) < 0.001 else f"p={float(value):.3f}"


def _pct(value) -> str:
    return "n/a" if pd.isna(value) else f"{100 * float(value):.0f}%"


def _stratified_rate_grid(row, points: int) -> np.ndarray:
    """Quantile-grid draws of the cell's true rate from its labelled pairs, by verdict stratum.

    rate = w * PPV + (1 - w) * FOR: w the cell's share of judge-positive verdicts (of all of
    them, labelled or not), PPV and FOR the human-positive rates among the labelled pairs the
    judge called positive and negative; each Beta(1, 1) updated by its counts, independent.
    Labels drawn at random within each verdict (README: allowed, at any rate per verdict) leave
    it unbiased, and so do labels drawn at random from the cell; the judge's error rates do not
    enter.
    """
    w, ppv, false_omission = (
        beta.ppf((np.arange(points) + 0.5) / points) for beta in _stratum_betas(row)
    )
    return (
        w[:, None, None] * ppv[None, :, None]
        + (1.0 - w[:, None, None]) * false_omission[None, None, :]
    ).ravel()


def _stratum_betas(row):
    """The posteriors of the judge-positive share of the cell's verdicts, of the human-positive
    rate among its labelled judge-positives (PPV) and among its labelled judge-negatives (false
    omission rate): Beta(1, 1) updated by the counts."""
    tp = float(row["n_human_positive"] - row["n_false_negative"])
    fp, fn = float(row["n_false_positive"]), float(row["n_false_negative"])
    tn = float(row["n_human_negative"] - row["n_false_positive"])
    judged, positive = float(row["n_judged"]), float(row["n_judged_positive"])
    return (
        stats.beta(1.0 + positive, 1.0 + judged - positive),
        stats.beta(1.0 + tp, 1.0 + fp),
        stats.beta(1.0 + fn, 1.0 + tn),
    )


def _labelled_cell(checks: pd.DataFrame, model: str, region: str, metric: str):
    """The cell's summed count columns (None without a labelled pair) and its labelled pairs."""
    mine = _cell_rows(checks, model, region, metric)
    n = int(mine["n_human_positive"].sum() + mine["n_human_negative"].sum())
    return (mine[list(COUNT_COLUMNS)].sum() if n > 0 else None), n


def labels_only_rate(
    checks: pd.DataFrame, model: str, region: str, metric: str
) -> tuple[float, float, int] | None:
    """Mean and sd of the model's rate in the cell from its labelled pairs alone, read as
    :func:`labels_only_prob_worse` reads them (by verdict stratum), and its number of labelled
    pairs. None when it has none there. The labeling plan sizes a held region's labels on it.
    """
    row, n = _labelled_cell(checks, model, region, metric)
    if row is None:
        return None
    # Exact moments of w PPV + (1 - w) FOR, the three Beta posteriors independent.
    w, ppv, false_omission = _stratum_betas(row)
    first = w.mean() * ppv.mean() + (1.0 - w.mean()) * false_omission.mean()
    second = (
        w.moment(2) * ppv.moment(2)
        + 2.0 * (w.mean() - w.moment(2)) * ppv.mean() * false_omission.mean()
        + (1.0 - 2.0 * w.mean() + w.moment(2)) * false_omission.moment(2)
    )
    return float(first), float(np.sqrt(max(second - first**2, 0.0))), n


def labels_only_prob_worse(
    checks: pd.DataFrame,
    candidate: str,
    incumbent: str,
    region: str,
    metric: str,
    direction: str,
    margin: float,
    grid_points: int = 64,
) -> tuple[float, int, int]:
    """P(the candidate is worse than the incumbent by more than ``margin``) from the cell's
    human labels alone, and the two models' numbers of labelled pairs there.

    Each model's rate in the cell from its labelled pairs of the primary judge, stratified by
    the judge's verdict (:func:`_stratified_rate_grid`): the share of human positives among the
    labelled pairs is the rate only when the labels are a random sample of the cell, and labels
    drawn at random within each verdict at other rates per verdict are allowed. Independent
    posteriors of the two models, evaluated on a midpoint quantile grid (no seed). NaN when a
    model has no labelled pair there.
    """
    (c_row, c_n), (i_row, i_n) = (
        _labelled_cell(checks, model, region, metric) for model in (candidate, incumbent)
    )
    if c_row is None or i_row is None:
        return float("nan"), c_n, i_n
    cand = np.sort(_stratified_rate_grid(c_row, grid_points))
    inc = _stratified_rate_grid(i_row, grid_points)
    if direction == "higher_is_better":
        # P(cand < inc - margin)
        below = np.searchsorted(cand, inc - margin, side="left")
    else:
        # lower is better: P(cand > inc + margin)
        below = cand.size - np.searchsorted(cand, inc + margin, side="right")
    return float(np.mean(below) / cand.size), c_n, i_n
