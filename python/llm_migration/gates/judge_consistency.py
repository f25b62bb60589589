"""Does the judge err in each region as it does in the model's other regions?

The calibration model gives the judge one sensitivity and one specificity per model x metric,
shared by every region. A judge that is lenient with one model in one region only (say, with its
answers in one language) breaks that assumption in a way the fit cannot see: that cell's
judge-positive rate is read through the shared error rates, its true rate comes out too high, and
a regression there can pass the regional gate, on the pooled and on the region's own evidence
alike (both use the shared error rates).

The human-labelled pairs of the cell are the only unbiased witness. This module compares them with
the model's other regions: for every model x region x metric cell of the primary judge,

* the judge's false-positive rate and sensitivity for the model and metric are read from the
  labelled pairs of all other regions (a grid posterior from a uniform prior; a cross-validatory
  check: the cell's own pairs do not move the prediction it is checked against). Each region's
  labelled pairs enter by verdict: those the judge called positive are binomial in the share of
  human negatives among that region's judge-positives, and so on, with the region's true rate
  fixed by its share of judge-positive verdicts. So labels drawn at random within each verdict,
  at any rate per verdict and region, are read as they should be (the share of false positives
  among a region's labelled human negatives depends on how many of each verdict were labelled);
* if the judge errs in the cell as elsewhere, those error rates and the cell's judge-positive
  share predict the human negatives among its labelled judge-positives and the human positives
  among its labelled judge-negatives (posterior predictive, binomial given the number labelled of
  each verdict). With no labelled human positive or no human negative in the other regions (one
  region, or the model labelled in one region only) there is nothing to compare with, and the
  cell is not tested (p = 1).

``p_more_positive`` is the evidence that the judge says *positive* more readily in the cell than
elsewhere (a higher false-positive rate or sensitivity there: more human negatives among its
labelled judge-positives, or fewer human positives among its judge-negatives, than predicted),
Bonferroni over the two verdicts: ``min(1, 2 * min(P(FP >= observed), P(FN <= observed)))``.
``p_fewer_positive`` is the mirror image. Both are conservative tail probabilities of discrete
counts (no mid-p).

The regional gate (:func:`llm_migration.gates.quality.regional_regression_gates`) reads them on
the side that would hide a regression: the candidate's cell judged too favourably (more
positives on a higher-is-better metric, fewer on a lower-is-better one) or the incumbent's cell
judged too unfavourably. When that p-value is below the policy's ``judge_region_check_alpha``
(default 0.01), a region that would pass is held ``inconclusive`` instead: its calibration is
in doubt. The region's human labels alone then decide it (:func:`labels_only_prob_worse`,
independent posteriors of the two models' rates in the cell from their labelled pairs, by
verdict stratum, so that labels drawn at random within each verdict count as they should, and
from their labelled traces the judge did not score on the metric): it
passes when they alone clear it at the regional rule, fails when they alone block it, and stays
inconclusive otherwise, so more labels there settle it whether or not the judge really errs
otherwise in that region.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

from llm_migration.calibration import _cell_evidence, _normalise_counts, _resolve_primary

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
    "n_labelled_unjudged",
    "n_human_positive_unjudged",
    "rest_false_positive_rate",
    "rest_false_negative_rate",
    "expected_false_positive",
    "expected_false_negative",
    "p_more_positive",
    "p_fewer_positive",
]
# The counts per cell: labelled pairs by kind, every verdict of the primary judge, and the
# labelled traces it did not judge on the metric.
COUNT_COLUMNS = tuple(JUDGE_CHECK_COLUMNS[4:12])
# What :func:`group_pvalues` returns per region, in its order.
_RESULT_COLUMNS = (
    "p_more_positive",
    "p_fewer_positive",
    "expected_false_positive",
    "expected_false_negative",
    "rest_false_positive_rate",
    "rest_false_negative_rate",
)
# The rest's posterior of (false-positive rate, sensitivity) is evaluated on a coarse grid of
# the unit square, then on a fine grid over the box that holds its mass; the cell's
# judge-positive share on evenly spaced points of its Beta posterior's range, weighted by its
# density (usually pinned by thousands of verdicts, so few points).
_COARSE_POINTS, _FINE_POINTS, _SHARE_POINTS = 64, 48, 8
# Grid points whose log posterior is this far below the best one hold no mass worth a box.
_BOX_LOG_MASS = 25.0
# The coarse grid also holds this many false-positive rates between 1e-6 and its first midpoint
# (geometric), and sensitivities as close to 1: a metric whose verdicts are positive at a share
# below the first midpoint (a refusal judged positive in 0.5% of traces) has its false-positive
# rate below it, and with one labelled true positive every midpoint had likelihood zero (no box,
# NaN p-values for the whole model and metric); likewise a share above the last one.
_EDGE_POINTS = 12


def _implied(f, s, q):
    """The share of human negatives among judge-positives (1 - PPV) and of human positives
    among judge-negatives (the false-omission rate) that a judge with false-positive rate f and
    sensitivity s implies in a cell whose verdicts are positive at share q (broadcast).

    rate = (q - f) / (s - f), clipped to [0, 1] (a share outside [f, s] is impossible under
    the judge's error rates; the clipped rate is the nearest possible cell); the two predictive
    rates are then computed from it, so they stay consistent: among judge-positives the human
    negatives are (1 - rate) f / q', among judge-negatives the human positives rate (1 - s) /
    (1 - q'), with q' = rate s + (1 - rate) f.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.clip((q - f) / (s - f), 0.0, 1.0)
        positive = rate * s + (1.0 - rate) * f
        false_discovery = np.where(positive > 0, (1.0 - rate) * f / positive, 0.0)
        false_omission = np.where(positive < 1, rate * (1.0 - s) / (1.0 - positive), 0.0)
    return np.clip(false_discovery, 0.0, 1.0), np.clip(false_omission, 0.0, 1.0)


def _shares(judged, positive):
    """Each judge-positive share's posterior, Beta(1, 1) updated by the verdicts, on
    ``_SHARE_POINTS`` evenly spaced points between its 1e-7 and 1 - 1e-7 quantiles: (... x
    points) shares and their weights (the density, normalised).

    Evenly spaced, not midpoint quantiles: when a region's labels are many beside its verdicts
    (80 of 80 labelled) their likelihood is about as narrow as the share's posterior and can sit
    in its tail, where 8 midpoint quantiles left gaps; the p-values came out up to half the
    dense grid's (0.014 for 0.031) and flagged 37% too often.
    """
    judged, positive = np.asarray(judged, float)[..., None], np.asarray(positive, float)[..., None]
    posterior = stats.beta(1.0 + positive, 1.0 + judged - positive)
    low, high = posterior.ppf(1e-7), posterior.ppf(1.0 - 1e-7)
    q = low + (high - low) * (np.arange(_SHARE_POINTS) + 0.5) / _SHARE_POINTS
    density = posterior.pdf(q)
    return q, density / density.sum(axis=-1, keepdims=True)


def _log_likelihood(f, s, strata):
    """Log likelihood of regions' labelled pairs given the judge's (f, s) on a grid.

    strata: (tp, fp, fn, tn, n_judged, n_judged_positive) arrays over regions; f and s over
    grid points. Returns (regions x points). The labelled pairs of each verdict are binomial
    given their number, however many of each verdict were labelled; the region's judge-positive
    share q fixes its true rate, and is averaged over its posterior from the region's verdicts
    (with a few hundred verdicts its uncertainty is not negligible beside the labels'). Points
    with s <= f (a judge no better than chance) have no mass.
    """
    tp, fp, fn, tn = (np.asarray(x, dtype=float)[:, None, None] for x in strata[:4])
    q, share_weights = (x[:, None, :] for x in _shares(strata[4], strata[5]))
    false_discovery, false_omission = _implied(f[None, :, None], s[None, :, None], q)
    with np.errstate(divide="ignore"):
        log_lik = special.logsumexp(
            special.xlogy(fp, false_discovery)
            + special.xlogy(tp, 1.0 - false_discovery)
            + special.xlogy(fn, false_omission)
            + special.xlogy(tn, 1.0 - false_omission)
            + np.log(share_weights),
            axis=2,
        )
    return np.where((s > f)[None, :], log_lik, -np.inf)


def _square(low_f, high_f, low_s, high_s, points):
    """Midpoints of a points x points grid over [low_f, high_f] x [low_s, high_s], flattened."""
    f = low_f + (high_f - low_f) * (np.arange(points) + 0.5) / points
    s = low_s + (high_s - low_s) * (np.arange(points) + 0.5) / points
    f, s = np.meshgrid(f, s, indexing="ij")
    return f.ravel(), s.ravel()


def _coarse_axes():
    """The coarse grid's values of f and of s: the midpoints of ``_COARSE_POINTS`` cells, and
    ``_EDGE_POINTS`` geometric ones between 1e-6 and the first midpoint for f (mirrored by 1 for
    s: a share above the last midpoint with a labelled false positive needs s above it)."""
    middle = (np.arange(_COARSE_POINTS) + 0.5) / _COARSE_POINTS
    edge = np.geomspace(1e-6, middle[0], _EDGE_POINTS + 1)[:-1]
    return np.r_[edge, middle], np.r_[middle, 1.0 - edge[::-1]]


def _box(f, s, log_post, axes):
    """The bounds of the grid points within ``_BOX_LOG_MASS`` of the best, one coarse point out
    (on ``axes``, the coarse grid's values of f and s)."""
    held = log_post >= log_post.max() - _BOX_LOG_MASS

    def out(values, axis):
        bounds = np.r_[0.0, axis, 1.0]
        low = np.searchsorted(bounds, values.min(), side="left") - 1
        high = np.searchsorted(bounds, values.max(), side="right")
        return bounds[max(low, 0)], bounds[min(high, bounds.size - 1)]

    return (*out(f[held], axes[0]), *out(s[held], axes[1]))


def leave_one_out_posteriors(strata, held_out):
    """Grid posteriors of the judge's (false-positive rate f, sensitivity s), one per region in
    ``held_out``, each from the labelled pairs of all other regions.

    strata: (tp, fp, fn, tn, n_judged, n_judged_positive) arrays over regions. Uniform prior on
    s > f; the likelihood of :func:`_log_likelihood`. Each region's likelihood is evaluated
    once on a coarse grid of the unit square, then once on a fine grid over the box that holds
    the mass of every posterior asked for. Returns the fine grid's f and s and the normalised
    weights (len(held_out) x points).
    """
    axes = _coarse_axes()
    f, s = (x.ravel() for x in np.meshgrid(*axes, indexing="ij"))
    coarse = _log_likelihood(f, s, strata)
    total = np.arange(coarse.shape[0])
    boxes = np.array([_box(f, s, coarse[total != i].sum(axis=0), axes) for i in held_out])
    f, s = _square(
        boxes[:, 0].min(), boxes[:, 1].max(), boxes[:, 2].min(), boxes[:, 3].max(), _FINE_POINTS
    )
    fine = _log_likelihood(f, s, strata)
    log_post = np.stack([fine[total != i].sum(axis=0) for i in held_out])
    weights = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    return f, s, weights / weights.sum(axis=1, keepdims=True)


def group_pvalues(strata):
    """The check of every region of one judge x model x metric against all its other regions.

    strata: (tp, fp, fn, tn, n_judged, n_judged_positive) arrays over the regions: tp and fp of
    a region's labelled judge-positive pairs are human positive and negative, fn and tn of its
    labelled judge-negatives; n_judged_positive of its n_judged verdicts are positive.

    Returns (regions x 6), columns ``_RESULT_COLUMNS``: p_more_positive, p_fewer_positive, the
    expected human negatives among the labelled judge-positives and human positives among the
    labelled judge-negatives, and the other regions' false-positive and false-negative rates
    (posterior means).

    If the judge errs in a region as elsewhere, its false-positive rate f and sensitivity s
    are the other regions' (:func:`leave_one_out_posteriors`), and the region's judge-positive
    share q fixes its true rate: that predicts the human negatives among its labelled
    judge-positives and the human positives among its labelled judge-negatives, binomial
    whatever number of each verdict was labelled. A judge that says positive more readily in
    the region (a higher f or s there) raises q and with it the rate read off q, so the labels
    show more false positives among the judge-positives and fewer false negatives among the
    judge-negatives than predicted. ``p_more_positive = min(1, 2 min(P(FP >= fp),
    P(FN <= fn)))`` (Bonferroni over the two verdicts), ``p_fewer_positive`` the mirror image:
    conservative tails of the discrete counts under the posterior predictive (grids, no seed).
    A verdict with no labelled pair is not tested (p = 1 on its side), nor is a region whose
    other regions have no labelled human positive or no human negative (the prediction would
    be the prior's).
    """
    tp, fp, fn, tn, judged, positive = (np.asarray(x, dtype=float) for x in strata)
    results = np.tile([1.0, 1.0, np.nan, np.nan, np.nan, np.nan], (tp.size, 1))
    rest_positives = (tp + fn).sum() - (tp + fn)
    rest_negatives = (fp + tn).sum() - (fp + tn)
    tested = np.flatnonzero((rest_positives > 0) & (rest_negatives > 0))
    if tested.size == 0:
        return results
    f, s, weights = leave_one_out_posteriors((tp, fp, fn, tn, judged, positive), tested)
    q, share_weights = _shares(judged[tested], positive[tested])  # tested x share points
    false_discovery, false_omission = _implied(f[None, :, None], s[None, :, None], q[:, None, :])
    w = weights[:, :, None] * share_weights[:, None, :]

    def tails(x, n, p):
        x, n = x[:, None, None], n[:, None, None]
        high = (w * stats.binom.sf(x - 1, n, p)).sum(axis=(1, 2))
        low = (w * stats.binom.cdf(x, n, p)).sum(axis=(1, 2))
        untested = n[:, 0, 0] == 0
        return np.where(untested, 1.0, np.minimum(high, 1.0)), np.where(
            untested, 1.0, np.minimum(low, 1.0)
        )

    n_pos, n_neg = (tp + fp)[tested], (fn + tn)[tested]
    fp_high, fp_low = tails(fp[tested], n_pos, false_discovery)
    fn_high, fn_low = tails(fn[tested], n_neg, false_omission)
    results[tested, 0] = np.minimum(1.0, 2.0 * np.minimum(fp_high, fn_low))
    results[tested, 1] = np.minimum(1.0, 2.0 * np.minimum(fp_low, fn_high))
    results[tested, 2] = n_pos * (w * false_discovery).sum(axis=(1, 2))
    results[tested, 3] = n_neg * (w * false_omission).sum(axis=(1, 2))
    results[tested, 4] = weights @ f
    results[tested, 5] = weights @ (1.0 - s)
    return results


def consistency_pvalues(cell, rest):
    """:func:`group_pvalues` of one cell against the model's other regions: ``cell`` is
    (tp, fp, fn, tn, n_judged, n_judged_positive), ``rest`` the same as arrays over regions.
    Returns that cell's row as a tuple."""
    strata = [np.r_[float(c), np.asarray(r, dtype=float)] for c, r in zip(cell, rest, strict=True)]
    return tuple(float(x) for x in group_pvalues(strata)[0])


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
    # The fit's per-cell counts of the primary judge's verdicts and labelled pairs, and of the
    # labelled traces no judge scored on the metric, for the cells the primary judge scored.
    keys = ["model_id", "region", "metric"]
    scored = rows.loc[
        rows["judge_id"].notna() & (rows["judge_id"] == rows["metric"].map(primary)), keys
    ]
    evidence = (
        _cell_evidence(rows, primary)
        .merge(scored.drop_duplicates(), on=keys)
        .sort_values(["judge_id", *keys], ignore_index=True)
    )
    tp = evidence["n_human_positive_judged_positive"].to_numpy(float)
    fp = evidence["n_labeled_judged_positive"].to_numpy(float) - tp
    fn = evidence["n_human_positive_judged_negative"].to_numpy(float)
    tn = evidence["n_labeled_judged_negative"].to_numpy(float) - fn
    judged = evidence["n_judged"].to_numpy(float)
    positive = evidence["n_judged_positive"].to_numpy(float)
    cells = evidence[["judge_id", *keys, "n_judged", "n_judged_positive"]].assign(
        n_human_negative=fp + tn,
        n_false_positive=fp,
        n_human_positive=tp + fn,
        n_false_negative=fn,
        n_labelled_unjudged=evidence["n_labeled_unjudged"],
        n_human_positive_unjudged=evidence["n_human_positive_unjudged"],
    )
    results = np.empty((len(cells), 6))
    for _, index in cells.groupby(["judge_id", "model_id", "metric"]).indices.items():
        results[index] = group_pvalues(
            (tp[index], fp[index], fn[index], tn[index], judged[index], positive[index])
        )
    for i, name in enumerate(_RESULT_COLUMNS):
        cells[name] = results[:, i]
    for name in COUNT_COLUMNS:
        cells[name] = cells[name].astype("int64")
    return cells[JUDGE_CHECK_COLUMNS]


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
        judged_positive = row["n_human_positive"] - row["n_false_negative"]
        judged_positive += row["n_false_positive"]
        judged_negative = row["n_false_negative"] + row["n_human_negative"]
        judged_negative -= row["n_false_positive"]
        text = (
            f"the judge {how} {model} in {region} {HELD_BY_JUDGE_CHECK} ("
            f"{row['n_false_positive']} of its {judged_positive} labelled judge-positives are "
            f"human negatives, {_count(row['expected_false_positive'])} expected from the "
            f"judge's error rates elsewhere; {row['n_false_negative']} of its "
            f"{judged_negative} labelled judge-negatives are human positives, "
            f"{_count(row['expected_false_negative'])} expected; {_p(row[column])})"
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


def _count(value) -> str:
    return "n/a" if pd.isna(value) else f"{float(value):.1f}"


def _stratified_rate_grid(row, points: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid draws of the cell's true rate from its human labels, and their weights.

    rate = w * PPV + (1 - w) * FOR: w the cell's share of judge-positive verdicts (of all of
    them, labelled or not), PPV and FOR the human-positive rates among the labelled pairs the
    judge called positive and negative; each Beta(1, 1) updated by its counts, independent.
    Labels drawn at random within each verdict (README: allowed, at any rate per verdict) leave
    it unbiased, and so do labels drawn at random from the cell; the judge's error rates do not
    enter. Without other labels: midpoint quantiles of the three posteriors (points each),
    equal weights.

    Labelled traces the judge did not score on the metric are, as in the fit, direct evidence
    of the rate (binomial). They can pull it far into the tail of the pairs' posterior, where
    quantile grids hold few points, so then the posterior of (PPV, FOR) is evaluated on a
    uniform grid of the unit square, refined over the box that holds its mass, at 8 quantiles
    of w (pinned by the cell's verdicts), with weights from the whole posterior.
    """
    w_post, ppv_post, false_omission_post = _stratum_betas(row)
    labelled = float(row["n_labelled_unjudged"])
    if labelled == 0:
        w, ppv, false_omission = (
            beta.ppf((np.arange(points) + 0.5) / points)
            for beta in (w_post, ppv_post, false_omission_post)
        )
        rate = (
            w[:, None, None] * ppv[None, :, None]
            + (1.0 - w[:, None, None]) * false_omission[None, None, :]
        ).ravel()
        return rate, np.full(rate.size, 1.0 / rate.size)
    positive = float(row["n_human_positive_unjudged"])
    w = w_post.ppf((np.arange(_SHARE_POINTS) + 0.5) / _SHARE_POINTS)[:, None]

    def log_posterior(ppv, false_omission):
        rate = w * ppv[None, :] + (1.0 - w) * false_omission[None, :]
        with np.errstate(divide="ignore"):
            log_post = (
                ppv_post.logpdf(ppv)[None, :]
                + false_omission_post.logpdf(false_omission)[None, :]
                + special.xlogy(positive, rate)
                + special.xlogy(labelled - positive, 1.0 - rate)
            )
        return rate, log_post

    ppv, false_omission = _square(0.0, 1.0, 0.0, 1.0, _COARSE_POINTS * 2)
    _, log_post = log_posterior(ppv, false_omission)
    held = (log_post >= log_post.max() - _BOX_LOG_MASS).any(axis=0)
    step = 1.0 / (_COARSE_POINTS * 2)
    ppv, false_omission = _square(
        max(0.0, ppv[held].min() - step),
        min(1.0, ppv[held].max() + step),
        max(0.0, false_omission[held].min() - step),
        min(1.0, false_omission[held].max() + step),
        points * 2,
    )
    rate, log_post = log_posterior(ppv, false_omission)
    weights = np.exp(log_post - log_post.max()).ravel()
    return rate.ravel(), weights / weights.sum()


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
    n = int(
        mine["n_human_positive"].sum()
        + mine["n_human_negative"].sum()
        + mine["n_labelled_unjudged"].sum()
    )
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
    if row["n_labelled_unjudged"] > 0:
        rate, weights = _stratified_rate_grid(row, 64)
        mean = float(weights @ rate)
        return mean, float(np.sqrt(max(weights @ (rate - mean) ** 2, 0.0))), n
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
    cand, cand_weights = _stratified_rate_grid(c_row, grid_points)
    order = np.argsort(cand, kind="stable")
    cand = cand[order]
    # below[i]: the candidate's weight on its i smallest draws.
    below = np.r_[0.0, np.cumsum(cand_weights[order])]
    inc, inc_weights = _stratified_rate_grid(i_row, grid_points)
    if direction == "higher_is_better":
        # P(cand < inc - margin)
        worse = below[np.searchsorted(cand, inc - margin, side="left")]
    else:
        # lower is better: P(cand > inc + margin)
        worse = below[-1] - below[np.searchsorted(cand, inc + margin, side="right")]
    return float(np.clip(inc_weights @ worse, 0.0, 1.0)), c_n, i_n
