"""Judge drift monitoring: does the LLM judge still agree with humans as well as it did?

The calibration of the judge (its sensitivity and specificity per model) is learned from human
labels collected over time. If the judge's behaviour changes — a new judge model version behind the
same id, an edited prompt, a shift in the traces it sees — the calibration learned on earlier weeks
no longer describes the latest ones. This module measures agreement between judge and humans per
judge x metric x ISO week and flags the latest week when it is *credibly* worse than before.

The rule
--------
For each judge and metric, weeks start on Monday (ISO weeks, UTC) and are read from ``scored_at``,
or from the trace's ``created_at`` when the verdict has no ``scored_at``. A pair is a verdict with a
consensus human label. Three rates are watched: agreement (a agreements in n pairs), sensitivity
(judge positive among human positives) and specificity (judge negative among human negatives).
With independent Beta(1, 1) priors, a week with ``a`` successes in ``n`` trials has posterior
Beta(1 + a, 1 + n - a) for its rate. The calibration period of a week is all earlier weeks
pooled. Then, for each rate,

    prob_worse = P(rate_week < rate_calibration - tolerance)

under the two independent posteriors, computed by deterministic quadrature (no Monte Carlo noise,
no seed): P = integral over u in (0, 1) of F_week(Q_calibration(u) - tolerance) du, where F is the
week's posterior CDF and Q the calibration period's quantile function. The integrand is monotone
and bounded by 0 and 1, so the midpoint rule with N points is within 1/N of the exact value
(N = 4096 by default).

The probabilities are given for every week that has earlier weeks (a history of how each week
compared with what came before it); only the latest week of each judge and metric can be flagged,
when one of its probabilities is ``>= probability`` on at least ``min_pairs`` trials of that rate
(pairs, human positives, human negatives). The minimum is needed: the flat prior of a week with
one or two pairs leans towards low agreement (one disagreeing pair gives Beta(1, 2), P(below
0.90) = 0.99), so without it a steady judge agreeing with humans 95% of the time was flagged in
5% of one-pair weeks and 9.8% of two-pair weeks (exact binomial sums against a 950/1000
calibration period); with 20 pairs that is 0.26%, with 50 0.08%. The latest week is read together
with the week before it while it holds fewer than ``min_pairs`` pairs (a refresh early in a week
sees a few), as long as an earlier week remains for the calibration period; a window still below
the minimum says so in ``drift_reason``.

Agreement alone misses a judge turning lenient when most pairs are positives: a specificity drop
of 0.30 on correctness (80% positives) moved agreement by about the tolerance and was flagged in
0 of 40 simulated demo-sized weeks; with specificity watched, 68%. The price, with no drift: 2.5-3%
of weeks flagged per metric (0% before); ``probability`` 0.983 gives 0.5-1.5% and 45%.

Agreement mixes the judge's sensitivity and specificity with the share of positives, so a change
in what is being judged (another model mix, another traffic mix) moves it too; the per-week
sensitivity and specificity show which side moved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats

REQUIRED_COLUMNS = (
    "judge_id",
    "metric",
    "is_judge_positive",
    "is_human_positive",
    "scored_at",
    "created_at",
)
GROUP_KEYS = ["judge_id", "metric"]
# What the flag watches: (successes, trials) as column positions in (tp, fn, tn, fp).
QUANTITIES = {
    "agreement": ([0, 2], [0, 1, 2, 3]),
    "sensitivity": ([0], [0, 1]),
    "specificity": ([2], [2, 3]),
}
PROB_COLUMNS = {
    "agreement": "prob_worse",
    "sensitivity": "prob_sensitivity_worse",
    "specificity": "prob_specificity_worse",
}
OUTPUT_COLUMNS = [
    "judge_id",
    "metric",
    "week_start",
    "n_pairs",
    "agreement_rate",
    "sensitivity_mean",
    "specificity_mean",
    "cohen_kappa",
    "is_latest_week",
    "is_drift_flagged",
    "prob_worse",
    "prob_sensitivity_worse",
    "prob_specificity_worse",
    "drift_reason",
    "run_id",
    "computed_at",
]


@dataclass(frozen=True)
class DriftConfig:
    """Settings of the drift rule.

    Attributes
    ----------
    tolerance
        Drop in agreement (absolute, on the rate scale) that is still acceptable.
    probability
        Posterior probability of a drop larger than ``tolerance`` needed to flag the latest week.
    quadrature_points
        Points of the midpoint rule for ``prob_worse``; its error is at most 1 / points.
    min_pairs
        Fewest human-labelled pairs in the latest week for it to be flagged at all.
    """

    tolerance: float = 0.05
    probability: float = 0.95
    quadrature_points: int = 4096
    min_pairs: int = 20

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.tolerance < 1:
            problems.append(f"tolerance must be in [0, 1), got {self.tolerance!r}")
        if not 0 < self.probability < 1:
            problems.append(f"probability must be in (0, 1), got {self.probability!r}")
        if self.min_pairs < 1:
            problems.append(f"min_pairs must be at least 1, got {self.min_pairs!r}")
        if self.quadrature_points < 16:
            problems.append(f"quadrature_points must be at least 16, got {self.quadrature_points}")
        if problems:
            raise ValueError("invalid drift settings: " + "; ".join(problems))


def week_start(scored_at: pd.Series, created_at: pd.Series) -> pd.Series:
    """Monday (UTC date) of the ISO week of ``scored_at``, or of ``created_at`` where it is null.

    Time-zone-aware timestamps are converted to UTC first; naive ones are taken as UTC (the
    warehouse stores UTC).
    """
    moment = _as_utc_naive(scored_at).fillna(_as_utc_naive(created_at))
    day = moment.dt.floor("D")
    monday = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return monday.dt.date


def _as_utc_naive(values: pd.Series) -> pd.Series:
    values = pd.to_datetime(values)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def cohen_kappa(n_tp, n_fn, n_tn, n_fp) -> np.ndarray:
    """Cohen's kappa of judge vs human from the 2x2 table (NaN where it is undefined).

    ``n_tp``: both positive; ``n_fn``: human positive, judge negative; ``n_tn``: both negative;
    ``n_fp``: human negative, judge positive. Kappa = (p_o - p_e) / (1 - p_e), with p_e the
    agreement expected by chance from the two marginals. It is undefined when p_e = 1, i.e. when
    judge and humans each used a single, identical label throughout.
    """
    tp, fn, tn, fp = (np.asarray(x, dtype=float) for x in (n_tp, n_fn, n_tn, n_fp))
    n = tp + fn + tn + fp
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = (tp + tn) / n
        judge_positive = (tp + fp) / n
        human_positive = (tp + fn) / n
        expected = judge_positive * human_positive + (1 - judge_positive) * (1 - human_positive)
        kappa = (observed - expected) / (1 - expected)
    return np.where(np.isclose(expected, 1.0) | (n == 0), np.nan, kappa)


def prob_worse(
    agree_week: int,
    n_week: int,
    agree_calibration: int,
    n_calibration: int,
    tolerance: float,
    quadrature_points: int = 4096,
) -> float:
    """P(agreement_week < agreement_calibration - tolerance), independent Beta(1, 1) posteriors.

    Midpoint rule in the calibration posterior's quantile space; error at most
    ``1 / quadrature_points``.
    """
    if n_calibration <= 0:
        return float("nan")
    u = (np.arange(quadrature_points) + 0.5) / quadrature_points
    calibration = stats.beta.ppf(u, 1 + agree_calibration, 1 + n_calibration - agree_calibration)
    week_cdf = stats.beta.cdf(calibration - tolerance, 1 + agree_week, 1 + n_week - agree_week)
    return float(np.mean(week_cdf))


def weekly_confusion_counts(pairs: pd.DataFrame) -> pd.DataFrame:
    """Judge x human 2x2 table per judge x metric x week of human-labelled pairs.

    Keeps rows with a judge and a consensus human label. Returns judge_id, metric, week_start,
    n_tp, n_fn, n_tn, n_fp, n_pairs sorted by judge, metric and week.
    """
    keep = pairs["judge_id"].notna() & pairs["is_human_positive"].notna()
    keep &= pairs["is_judge_positive"].notna()
    labelled = pairs.loc[keep]
    judge = labelled["is_judge_positive"].astype(bool).to_numpy()
    human = labelled["is_human_positive"].astype(bool).to_numpy()
    table = pd.DataFrame(
        {
            "judge_id": labelled["judge_id"].astype(str).to_numpy(),
            "metric": labelled["metric"].astype(str).to_numpy(),
            "week_start": week_start(labelled["scored_at"], labelled["created_at"]).to_numpy(),
            "n_tp": (judge & human).astype(np.int64),
            "n_fn": (~judge & human).astype(np.int64),
            "n_tn": (~judge & ~human).astype(np.int64),
            "n_fp": (judge & ~human).astype(np.int64),
        }
    )
    counts = table.groupby([*GROUP_KEYS, "week_start"], as_index=False, sort=True).sum()
    counts["n_pairs"] = counts[["n_tp", "n_fn", "n_tn", "n_fp"]].sum(axis=1).astype(np.int64)
    return counts


def judge_agreement_over_time(
    pairs: pd.DataFrame,
    config: DriftConfig | None = None,
    run_id: str | None = None,
    computed_at: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """One row per judge x metric x ISO week: agreement with humans and the drift flag.

    Parameters
    ----------
    pairs
        Rows of ``int_judgements_joined_to_labels``: at least judge_id, metric,
        is_judge_positive, is_human_positive, scored_at and created_at. Rows without a judge
        verdict or without a consensus human label are ignored.
    config
        Tolerance and probability of the drift rule; defaults as in :class:`DriftConfig`.
    run_id
        The dbt invocation id, copied onto every row.
    computed_at
        When the table was computed (UTC); now if not given.

    Returns
    -------
    pandas.DataFrame
        Columns as ``OUTPUT_COLUMNS``; see the module docstring for the rule.
    """
    config = config or DriftConfig()
    missing = [c for c in REQUIRED_COLUMNS if c not in pairs.columns]
    if missing:
        raise ValueError(
            "judge drift needs columns "
            + ", ".join(missing)
            + " (got: "
            + ", ".join(map(str, pairs.columns))
            + ")"
        )
    counts = weekly_confusion_counts(pairs)
    n = counts["n_pairs"].to_numpy(dtype=float)
    counts["agreement_rate"] = (counts["n_tp"] + counts["n_tn"]).to_numpy(dtype=float) / n
    counts["sensitivity_mean"] = (counts["n_tp"] + 1) / (counts["n_tp"] + counts["n_fn"] + 2)
    counts["specificity_mean"] = (counts["n_tn"] + 1) / (counts["n_tn"] + counts["n_fp"] + 2)
    counts["cohen_kappa"] = cohen_kappa(counts.n_tp, counts.n_fn, counts.n_tn, counts.n_fp)

    grouped = counts.groupby(GROUP_KEYS, sort=False)
    cells = ["n_tp", "n_fn", "n_tn", "n_fp"]
    week = counts[cells].to_numpy(dtype=np.int64)
    earlier = grouped[cells].cumsum().to_numpy(dtype=np.int64) - week
    counts["is_latest_week"] = grouped["week_start"].transform("max") == counts["week_start"]
    position = grouped.cumcount().to_numpy()
    # The latest week is read together with the week before while it holds fewer than
    # min_pairs pairs (a refresh early in a week sees a few pairs only: judged on those alone the
    # flag would clear every Monday), as long as an earlier week remains to compare with.
    window = week.copy()
    calibration = earlier.copy()
    joined_week = [None] * len(counts)  # the week read with the latest one, if any
    for i in np.flatnonzero(counts["is_latest_week"].to_numpy()):
        if week[i].sum() < config.min_pairs and position[i] >= 2:
            window[i] = week[i] + week[i - 1]
            calibration[i] = earlier[i - 1]
            joined_week[i] = counts["week_start"].iloc[i - 1]
    for name, (success, trials) in QUANTITIES.items():
        counts[PROB_COLUMNS[name]] = [
            prob_worse(
                int(w[success].sum()),
                int(w[trials].sum()),
                int(c[success].sum()),
                int(c[trials].sum()),
                config.tolerance,
                config.quadrature_points,
            )
            if w[trials].sum() > 0
            else float("nan")
            for w, c in zip(window, calibration, strict=True)
        ]
    # The rates credibly worse on enough trials of their own kind, per row.
    credible = {
        name: (window[:, trials].sum(axis=1) >= config.min_pairs)
        & (counts[PROB_COLUMNS[name]].fillna(0.0).to_numpy() >= config.probability)
        for name, (_, trials) in QUANTITIES.items()
    }
    worse = [[name for name in QUANTITIES if credible[name][i]] for i in range(len(counts))]
    counts["is_drift_flagged"] = counts["is_latest_week"].to_numpy() & np.array(
        [bool(names) for names in worse], dtype=bool
    )
    first_week = grouped["week_start"].transform("min")
    counts["drift_reason"] = [
        _reason(row, w, c, first, joined, names, config) if row.is_latest_week else None
        for row, w, c, first, joined, names in zip(
            counts.itertuples(index=False),
            window,
            calibration,
            first_week,
            joined_week,
            worse,
            strict=True,
        )
    ]
    counts["run_id"] = run_id
    moment = pd.Timestamp.now(tz="UTC") if computed_at is None else pd.Timestamp(computed_at)
    if moment.tzinfo is not None:
        moment = moment.tz_convert("UTC").tz_localize(None)
    counts["computed_at"] = moment
    return _typed(counts[OUTPUT_COLUMNS])


def _rate(counts: np.ndarray, success: list[int], trials: list[int]) -> str:
    n = int(counts[trials].sum())
    return f"{counts[success].sum() / n:.3f} (n={n})" if n else "- (n=0)"


def _reason(row, window, calibration, first_week, previous_week, worse, config: DriftConfig):
    """Why the latest week is or is not flagged, in words a dashboard can show."""
    week = f"week of {row.week_start.isoformat()}"
    if previous_week is not None:
        week = (
            f"weeks of {previous_week.isoformat()} and {row.week_start.isoformat()} (the latest "
            f"alone holds {row.n_pairs} pairs, fewer than {config.min_pairs})"
        )
    if calibration.sum() == 0:
        return f"not assessed: {week} is the first week with human-labelled pairs"
    n_window = int(window.sum())
    parts = []
    for name, (success, trials) in QUANTITIES.items():
        p = getattr(row, PROB_COLUMNS[name])
        if pd.isna(p):
            continue
        enough = window[trials].sum() >= config.min_pairs
        parts.append(
            f"{name} {_rate(window, success, trials)} vs {_rate(calibration, success, trials)}, "
            f"P(worse by more than {config.tolerance:g}) = {p:.3f}"
            + ("" if enough else " (too few pairs to flag)")
        )
    comparison = (
        f"in the {week} vs the calibration period ({first_week.isoformat()} to the week "
        f"before): " + "; ".join(parts)
    )
    if row.is_drift_flagged:
        return f"drift: {', '.join(worse)} credibly worse {comparison}; >= {config.probability:g}"
    if n_window < config.min_pairs:
        return (
            f"not assessed: only {n_window} human-labelled pairs in the {week}, fewer than "
            f"the {config.min_pairs} needed to flag drift ({comparison})"
        )
    return f"no credible drift: {comparison}; each < {config.probability:g} or too few pairs"


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns DuckDB stores as the contract says, even for an empty table.

    Arrow-backed text and date columns keep their type when there are no rows (an empty object
    column would arrive as INTEGER); nullable floats store an undefined kappa or probability as
    null rather than NaN; microsecond timestamps arrive as TIMESTAMP, not TIMESTAMP_NS.
    """
    text = pd.ArrowDtype(pa.string())
    return pd.DataFrame(
        {
            "judge_id": frame["judge_id"].astype(text),
            "metric": frame["metric"].astype(text),
            "week_start": frame["week_start"].astype(pd.ArrowDtype(pa.date32())),
            "n_pairs": frame["n_pairs"].astype("int64"),
            "agreement_rate": frame["agreement_rate"].astype("float64"),
            "sensitivity_mean": frame["sensitivity_mean"].astype("float64"),
            "specificity_mean": frame["specificity_mean"].astype("float64"),
            "cohen_kappa": frame["cohen_kappa"].astype("Float64"),
            "is_latest_week": frame["is_latest_week"].astype(bool),
            "is_drift_flagged": frame["is_drift_flagged"].astype(bool),
            "prob_worse": frame["prob_worse"].astype("Float64"),
            "prob_sensitivity_worse": frame["prob_sensitivity_worse"].astype("Float64"),
            "prob_specificity_worse": frame["prob_specificity_worse"].astype("Float64"),
            "drift_reason": frame["drift_reason"].astype(text),
            "run_id": frame["run_id"].astype(text),
            "computed_at": frame["computed_at"].astype("datetime64[us]"),
        }
    ).reset_index(drop=True)
