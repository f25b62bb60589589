"""Systems budgets against the incumbent: p95 latency ratio, cost per trace ratio, error rate diff.

Method: a seeded, region-stratified nonparametric bootstrap for latency and cost, and a
Beta posterior per region for the error rate.

* **Post-stratification.** Each statistic is computed on the production traffic mix, not on the
  evaluation set's mix: region r gets weight w_r (by default the incumbent's share of traces in
  r, or a configured traffic mix), and a model's distribution is the mixture
  sum_r w_r * F_{model,r}. So a candidate evaluated mostly in a slow region is not penalised for
  it, and one evaluated mostly in a fast region does not look better than it is. Every region with
  weight > 0 must hold data for both models; a gap makes the gate inconclusive.
* **Statistics.** p95 latency: the 0.95 quantile (inverse CDF, lowest value whose cumulative
  weight reaches 0.95) of the mixture; ratio candidate / incumbent. Cost per trace: the weighted
  mean of ``cost_usd``; ratio candidate / incumbent. Error rate: the weighted mean of
  ``is_error``; difference candidate - incumbent (absolute). The point estimate reads the
  values there are (a NULL is left out of that statistic only; failed calls keep their latency
  and cost), but the decision bounds what the NULLs could hide (below).
* **Missing values are bounded, not ignored.** A value may be missing for a reason (a timed-out
  call logs no latency, a failed one no status), so P(within budget) is computed with each
  model's missing values set to what is worst for the candidate: the candidate's latency to
  infinity (so with more than 5% of a region's latencies missing its p95 is unbounded and the
  budget cannot pass), its cost to its largest cost in the region (at volume the mean of its
  top bin: a plausibility bound, since a mean has no other), its status to an error; the
  incumbent's to its smallest value (no error); and P(over budget) the other way round.
  Without missing values both are the plain bootstrap; 7% of a candidate's calls lost without
  a latency or status (which could be the whole p95 tail and 7pp of errors) now leave those
  gates inconclusive instead of passing.
* **Error rate.** Each region's error rate is drawn from its Jeffreys posterior
  Beta(errors + 1/2, traces without error + 1/2) and the draws are post-stratified like the
  other statistics; a bootstrap would resample 0 errors in few traces as 0 every time.
* **Minimum data.** A model with fewer than ``min_values_per_region`` values in a region with
  traffic makes the gate inconclusive: 20 for latency and cost, and for the error rate
  max(20, 1 / budget) traces with a status (100 at the default 1pp budget), so that one error at
  the budget's rate is expected there; below that the Jeffreys prior's half error per region
  decides the comparison.
* **Data checks.** A model whose value is missing on more than 1 - ``min_systems_coverage``
  (default 10%) of its traces in a region with traffic makes the gate inconclusive: values
  missing on more traces may not be missing at random (timed-out calls without a latency, a
  logger that only priced some calls); a latency of 0 ms counts as missing (not recorded: no
  call takes 0 ms), and so do a model's costs of 0 beyond the other model's share of zeros in
  the region, when the excess is more than sampling noise (a cost of 0 can be real, a cache
  hit, but one model's zeros that the other does not have are more likely unpriced calls;
  bounded at worst by the region's largest cost and at best by the 0 recorded, so reading
  them as not recorded never turns a decision into a pass or a failure it was not).
  So does a latency or cost ratio whose candidate side is 0 (not recorded: the ratio would
  pass any budget; the incumbent's 0 leaves the ratio undefined), and a ratio beyond
  1/``max_plausible_ratio`` .. ``max_plausible_ratio`` (default 100), which is more often a
  unit mix-up between the two models' inputs (latency in seconds, cost in cents) than a real
  difference.
* **Bootstrap** (latency, cost). Within each model x region the n traces are resampled with
  replacement; a model with fewer than ``MIN_VALUES_PER_REGION`` values in a region with
  traffic makes the gate inconclusive (one trace resamples to itself every time). For a
  sample grouped into distinct values v_k with counts c_k that is exactly Multinomial(n, c_k / n)
  on the counts, so at volume the cost per draw depends on the number of distinct values, not
  on n (small samples draw the n indices directly, which is cheaper there). Above
  ``max_support`` distinct values (continuous latency at volume) the values are first grouped
  into ``max_support`` equal-count bins represented by their mean, which moves a quantile by at
  most 1/max_support in probability. Candidate and incumbent are resampled independently
  (traces are not paired here); each (model, statistic) gets its own seed derived from
  ``random_seed`` and the model and gate ids, so results do not depend on the order of
  candidates.
* **Decision.** observed_value is the point estimate on the data; P(budget met) is the share of
  draws (bootstrap, or posterior for the error rate) with statistic <= budget. Pass when
  P(met) >= prob_met_required, fail when P(exceeded) = 1 - P(met) >= prob_exceeded_blocks, else
  inconclusive (``three_way``).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from llm_migration.gates.inputs import flag_values
from llm_migration.gates.policy import (
    DEFAULT_MAX_PLAUSIBLE_RATIO,
    DEFAULT_MIN_SYSTEMS_COVERAGE,
    BudgetPolicy,
)
from llm_migration.gates.results import (
    ALL_REGIONS,
    FAIL,
    INCONCLUSIVE,
    PASS,
    fmt_prob,
    gate_row,
    three_way,
)

DEFAULT_MAX_SUPPORT = 500


@dataclass(frozen=True)
class _Statistic:
    gate_id: str
    column: str
    kind: str  # "quantile" or "mean"
    compare: str  # "ratio" or "diff"
    label: str


STATISTICS = {
    "p95_latency_ratio": _Statistic(
        "p95_latency_ratio", "latency_ms", "quantile", "ratio", "p95 latency"
    ),
    "cost_per_trace_ratio": _Statistic(
        "cost_per_trace_ratio", "cost_usd", "mean", "ratio", "cost per trace"
    ),
    "error_rate_diff": _Statistic("error_rate_diff", "is_error", "rate", "diff", "error rate"),
}
P95 = 0.95
# Fewest values of latency or cost per model and region with traffic for the bootstrap to be
# read: below it, a resample cannot vary (one trace gives one value every time) and a budget
# would look proven.
MIN_VALUES_PER_REGION = 20
# The error rate needs more: its Jeffreys prior puts half an error on every region, so with n
# traces and no error a region's rate is centred on 0.5 / (n + 1). Where one model has few
# traces that prior decides the gate (3 traces per region for the incumbent passed a candidate
# 2.7pp worse against a 1pp budget; 10 for a faultless candidate blocked it). A region must
# hold enough traces with a status that one error at the budget's rate is expected:
# n >= 1 / budget (100 for 1pp), and never fewer than MIN_VALUES_PER_REGION.
SMALLEST_ERROR_BUDGET = 0.001  # a budget of 0 is read as 0.1pp for the minimum


def min_values_per_region(gate_id: str, budget: float | None = None) -> int:
    """Fewest values of the gate's statistic per model and region with traffic."""
    if STATISTICS[gate_id].kind != "rate" or budget is None:
        return MIN_VALUES_PER_REGION
    return max(MIN_VALUES_PER_REGION, math.ceil(1.0 / max(budget, SMALLEST_ERROR_BUDGET) - 1e-9))


@dataclass(frozen=True)
class _Sample:
    """One model's values on a shared support, as counts per region."""

    support: np.ndarray  # (K,) distinct (or binned) values, ascending
    counts: np.ndarray  # (R, K) counts per region in weight order
    weights: np.ndarray  # (R,) region weights, sum 1
    traces: np.ndarray  # (R,) the model's traces per region, with or without a value
    # (R,) of the traces without a value, those whose recorded 0 is read as not recorded
    # (``_unrecorded_zeros``): their best value is that 0, not the region's smallest.
    zeros: np.ndarray | None = None


def traffic_weights(
    traces: pd.DataFrame, incumbent: str, traffic_mix: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Region -> share of production traffic (sums to 1).

    ``traffic_mix`` (region -> share, normalised here) wins; otherwise the incumbent's share of
    traces per region.
    """
    if traffic_mix:
        shares = {str(r): float(s) for r, s in traffic_mix.items() if s and float(s) > 0}
    else:
        regions = traces.loc[traces["model_id"].astype(str) == incumbent, "region"]
        shares = regions.astype(str).value_counts().to_dict()
    total = float(sum(shares.values()))
    return {r: s / total for r, s in sorted(shares.items())} if total > 0 else {}


def _values(traces: pd.DataFrame, column: str) -> pd.Series:
    if column == "is_error":
        return pd.Series(flag_values(traces[column]), index=traces.index)
    values = pd.to_numeric(traces[column], errors="coerce").astype(float)
    if column == "latency_ms":
        # A call does not take 0 ms: a latency of 0 was not recorded (a logger's default), so it
        # is missing, and bounded and counted against min_systems_coverage like a NULL. Read
        # as a value, 70% zeros passed a candidate 1.4x slower at 0.94x.
        values = values.where(values > 0)
    return values


@dataclass(frozen=True)
class _ModelRows:
    """One model's traces with each row's region as an index into the weight order (-1: none)."""

    rows: pd.DataFrame
    region_codes: np.ndarray


def _positions(column: pd.Series, order: Sequence[str]) -> np.ndarray:
    """Each row's position of its value (as text) in ``order``; -1 for other values and nulls.

    Factorises the column once and looks up only its distinct values, so a categorical column
    (what the dbt model passes) costs a pass over its integer codes, not a text comparison per
    row and model.
    """
    codes, uniques = pd.factorize(column)
    index = {value: i for i, value in enumerate(order)}
    lookup = np.array([index.get(str(value), -1) for value in uniques] + [-1], dtype=np.int64)
    return lookup[codes]  # the null code -1 picks the trailing -1


def _rows_by_model(
    traces: pd.DataFrame, model_ids: Sequence[str], weights: Mapping[str, float]
) -> dict[str, _ModelRows]:
    """Split the traces by model once: at volume the text conversions cost more than the
    bootstrap, so they are not repeated for every model and statistic."""
    model_ids = list(dict.fromkeys(model_ids))
    model_positions = _positions(traces["model_id"], model_ids)
    region_positions = _positions(traces["region"], list(weights))
    out = {}
    for i, model_id in enumerate(model_ids):
        mask = model_positions == i
        out[model_id] = _ModelRows(traces[mask], region_positions[mask])
    return out


def _sample(
    model_rows: _ModelRows,
    column: str,
    weights: Mapping[str, float],
    max_support: int,
    unrecorded: np.ndarray | None = None,
) -> tuple[_Sample | None, list[str]]:
    """The model's non-null values grouped per region; regions lacking data are returned.

    ``unrecorded`` (per region in weight order) is how many of the region's values of 0 to read
    as missing (see ``_unrecorded_zeros``).
    """
    values = _values(model_rows.rows, column).to_numpy()
    if unrecorded is not None and unrecorded.any():
        values = values.copy()
        for r in np.flatnonzero(unrecorded):
            zeros = np.flatnonzero((model_rows.region_codes == r) & (values == 0))
            values[zeros[: unrecorded[r]]] = np.nan
    keep = ~np.isnan(values)
    values = values[keep]
    region_order = list(weights)
    placed = model_rows.region_codes[model_rows.region_codes >= 0]
    traces = np.bincount(placed, minlength=len(region_order))
    region_codes = model_rows.region_codes[keep]
    present = np.bincount(region_codes[region_codes >= 0], minlength=len(region_order)) > 0
    lacking = [r for r, has in zip(region_order, present, strict=True) if not has]
    if lacking:
        return None, lacking
    if column == "is_error":  # both outcomes on the support, so a bound can place either
        support, codes = np.array([0.0, 1.0]), (values > 0.5).astype(np.int64)
    else:
        support, codes = _support(values, max_support)
    counts = np.zeros((len(region_order), len(support)), dtype=np.int64)
    in_mix = region_codes >= 0
    np.add.at(counts, (region_codes[in_mix], codes[in_mix]), 1)
    region_weights = np.array([weights[r] for r in region_order])
    zeros = None if unrecorded is None else np.asarray(unrecorded, dtype=np.int64)
    return _Sample(support, counts, region_weights, traces, zeros), []


def _zero_counts(model_rows: _ModelRows, column: str, n_regions: int) -> np.ndarray:
    """(2, R): the model's values of 0 and its values per region in weight order."""
    values = _values(model_rows.rows, column).to_numpy()
    codes = model_rows.region_codes
    valued = (codes >= 0) & ~np.isnan(values)
    return np.stack(
        [
            np.bincount(codes[valued & (values == 0)], minlength=n_regions),
            np.bincount(codes[valued], minlength=n_regions),
        ]
    )


_UNRECORDED_ZEROS_LEVEL = 0.00135  # one-sided three standard errors: P(Z > 3)


def _unrecorded_zeros(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Per region, how many of a model's costs of 0 to read as not recorded.

    A cost of 0 can be real (a cache hit, a free tier), so zeros are values, except those beyond
    the other model's share of zeros in the region when that excess is more than sampling noise
    explains: Fisher's exact test, given the region's zeros, at the one-sided level of three
    standard errors (0.00135), so equal shares of real zeros flag a model's region at most about
    once in 750. (Three standard errors of the normal approximation flagged one in 35 to 60
    regions of 20 traces with 0.5-1% real cache hits against an incumbent's 1,000: one zero
    there is past them.) A logger that writes 0 for an unpriced call gives one model zeros the
    other does not have: read as values, 70% zeros passed a candidate 3x costlier at about
    0.9x. Counted as missing they are bounded and held against ``min_systems_coverage`` like a
    NULL, but at best they are the 0 recorded (``_bounded``): real cache hits read as not
    recorded leave a budget inconclusive, never passed or failed on a cost that was not there.

    ``own`` and ``other`` are ``_zero_counts`` of the two models.
    """
    (zeros, valued), (other_zeros, other_valued) = own.astype(np.int64), other.astype(np.int64)
    excess = zeros - valued * (other_zeros / np.maximum(other_valued, 1))
    # P(at least this many of the region's zeros fall on this model | equal shares).
    p_value = stats.hypergeom.sf(zeros - 1, valued + other_valued, zeros + other_zeros, valued)
    flagged = (excess > 0) & (other_valued > 0) & (p_value < _UNRECORDED_ZEROS_LEVEL)
    return np.where(flagged, np.ceil(excess - 1e-9), 0.0).astype(np.int64)


def _support(values: np.ndarray, max_support: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (or equal-count bins, each represented by its mean) and each value's code.

    The bin edges are order statistics at the ranks floor(i (n - 1) / max_support), read off the
    distinct values and their counts, so neither the n values nor a second sort is needed.
    """
    support, codes = np.unique(values, return_inverse=True)
    if len(support) <= max_support:
        return support, codes
    sizes = np.bincount(codes, minlength=len(support))
    ranks = np.floor(np.linspace(0.0, 1.0, max_support + 1)[1:-1] * (len(values) - 1))
    cut = np.unique(support[np.searchsorted(np.cumsum(sizes), ranks, side="right")])
    _, bins = np.unique(np.searchsorted(cut, support, side="right"), return_inverse=True)
    sums = np.bincount(bins, weights=support * sizes)
    counts = np.bincount(bins, weights=sizes)
    return sums / counts, bins[codes]


def _bounded(sample: _Sample, kind: str, worst: bool) -> _Sample | None:
    """The sample with each region's traces that lack a value given its worst (or best) value.

    Worst means largest: an infinite latency (a timed-out call has no upper bound, so more than
    5% missing leaves the p95 unbounded), the region's largest cost (the mean has no bound
    otherwise: a plausibility bound, not a proof), an error for the status. Best is the smallest
    value, and no error; a cost of 0 read as not recorded (``sample.zeros``) is at best the 0 it
    was recorded as: at the region's smallest cost instead, an incumbent's real cache hits
    passed a candidate 1.58x costlier against a 1.5x budget, and a candidate's failed one 1.43x
    costlier. None when no value is missing.
    """
    missing = sample.traces - sample.counts.sum(axis=1)
    if not missing.any():
        return None
    support, counts = sample.support, sample.counts.copy()
    if kind == "quantile" and worst:
        support = np.append(support, np.inf)
        counts = np.concatenate([counts, np.zeros((len(counts), 1), dtype=counts.dtype)], axis=1)
    zeros = np.zeros_like(missing) if sample.zeros is None or worst else sample.zeros
    zero_at = None
    if zeros.any():
        zero_at = int(np.searchsorted(support, 0.0))
        if zero_at == len(support) or support[zero_at] != 0.0:
            support = np.insert(support, zero_at, 0.0)
            counts = np.insert(counts, zero_at, 0, axis=1)
    for r in np.flatnonzero(missing):
        # A status is an error or not, whether the region shows both or not (support [0, 1]).
        present = np.array([0, 1]) if kind == "rate" else np.flatnonzero(counts[r] > 0)
        top = len(support) - 1 if kind == "quantile" else present[-1]
        if zeros[r]:
            counts[r, zero_at] += zeros[r]
        counts[r, top if worst else present[0]] += missing[r] - zeros[r]
    return _Sample(support, counts, sample.weights, sample.traces)


def _statistic(sample: _Sample, counts: np.ndarray, kind: str) -> np.ndarray:
    """The post-stratified statistic for counts of shape (..., R, K)."""
    totals = counts.sum(axis=-1, keepdims=True)
    mass = (counts / np.maximum(totals, 1)) * sample.weights[:, None]
    mixture = mass.sum(axis=-2)  # (..., K)
    if kind in ("mean", "rate"):
        return mixture @ sample.support
    cumulative = np.cumsum(mixture, axis=-1)
    # The lowest value whose cumulative weight reaches 0.95 (tolerance for float sums).
    index = np.argmax(cumulative >= P95 - 1e-12, axis=-1)
    return sample.support[index]


def _bootstrap(sample: _Sample, kind: str, n_resamples: int, seed: Sequence[int]) -> np.ndarray:
    rng = np.random.default_rng(list(seed))
    if kind == "rate":
        return _rate_draws(rng, sample, n_resamples)
    draws = np.empty((n_resamples, *sample.counts.shape), dtype=np.int64)
    for r, region_counts in enumerate(sample.counts):
        draws[:, r, :] = _resample_counts(rng, region_counts, n_resamples)
    return _statistic(sample, draws, kind)


def _rate_draws(rng: np.random.Generator, sample: _Sample, n_draws: int) -> np.ndarray:
    """Draws of the post-stratified rate of a 0/1 value: sum_r w_r * p_r, each region's p_r
    from its Jeffreys posterior Beta(k_r + 1/2, n_r - k_r + 1/2).

    A bootstrap of k = 0 errors in n traces resamples 0 every time and makes any budget look
    proven; the posterior keeps what n traces cannot rule out (0 of 50 leaves rates of several
    percent plausible). At volume it agrees with the bootstrap.
    """
    positive = sample.counts[:, sample.support == 1.0].sum(axis=1)
    total = sample.counts.sum(axis=1)
    rates = rng.beta(
        positive[None, :] + 0.5,
        total[None, :] - positive[None, :] + 0.5,
        size=(n_draws, len(total)),
    )
    return rates @ sample.weights


_DIRECT_CELLS = 4_000_000  # resampled indices held in memory at once


def _resample_counts(rng: np.random.Generator, counts: np.ndarray, n_resamples: int) -> np.ndarray:
    """Counts per support value in each of ``n_resamples`` resamples of the n observations.

    Both branches are the same bootstrap (n draws with replacement). Drawing indices costs
    ~n per resample, the multinomial ~K per resample, so the cheaper one is used.
    """
    n, k = int(counts.sum()), len(counts)
    if n > 20 * k:
        return rng.multinomial(n, counts / n, size=n_resamples)
    codes = np.repeat(np.arange(k), counts)
    out = np.empty((n_resamples, k), dtype=np.int64)
    chunk = max(1, _DIRECT_CELLS // max(n, 1))
    for start in range(0, n_resamples, chunk):
        stop = min(start + chunk, n_resamples)
        picked = codes[rng.integers(0, n, size=(stop - start, n))]
        offsets = (np.arange(stop - start) * k)[:, None]
        out[start:stop] = np.bincount(
            (picked + offsets).ravel(), minlength=(stop - start) * k
        ).reshape(stop - start, k)
    return out


def _seed(random_seed: int, *parts: str) -> list[int]:
    return [int(random_seed)] + [zlib.crc32(p.encode()) for p in parts]


def _compare(candidate: np.ndarray, incumbent: np.ndarray, how: str) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return candidate / incumbent if how == "ratio" else candidate - incumbent


def _fmt(value: float, how: str) -> str:
    return f"{value:.2f}x" if how == "ratio" else f"{value * 100:+.2f}pp"


@dataclass(frozen=True)
class BootstrapStatistic:
    """A post-stratified statistic of one model: the point estimate and its bootstrap draws."""

    point: float
    draws: np.ndarray
    # The same draws with the traces lacking a value set to the model's worst (largest) and
    # best (smallest) value per region; equal to ``draws`` when every trace has a value.
    worst: np.ndarray | None = None
    best: np.ndarray | None = None
    n_missing: int = 0
    # Of them, costs of 0 read as not recorded (``_unrecorded_zeros``).
    n_unrecorded_zeros: int = 0


class MissingSystemsData(LookupError):
    """The model lacks values of the statistic in a region that carries traffic."""


def bootstrap_statistic(
    traces: pd.DataFrame,
    model_id: str,
    gate_id: str,
    weights: Mapping[str, float],
    *,
    n_resamples: int = 2000,
    random_seed: int = 20261122,
    max_support: int = DEFAULT_MAX_SUPPORT,
    budget: float | None = None,
    min_coverage: float = DEFAULT_MIN_SYSTEMS_COVERAGE,
) -> BootstrapStatistic:
    """p95 latency, mean cost or error rate of ``model_id`` on the traffic mix ``weights``.

    The draws come from the stratified multinomial bootstrap of the module docstring, seeded by
    (random_seed, model_id, gate_id). ``budget`` (the error-rate budget) sets the error rate's
    minimum of traces per region (``min_values_per_region``).

    Raises
    ------
    MissingSystemsData
        When a region with weight > 0 holds too few non-null values for the model, or values on
        less than ``min_coverage`` of its traces there.
    """
    model_rows = _rows_by_model(traces, [model_id], weights)[model_id]
    return _bootstrap_model(
        model_rows,
        model_id,
        gate_id,
        weights,
        n_resamples,
        random_seed,
        max_support,
        budget,
        min_coverage,
    )


def _bootstrap_model(
    model_rows: _ModelRows,
    model_id: str,
    gate_id: str,
    weights: Mapping[str, float],
    n_resamples: int,
    random_seed: int,
    max_support: int,
    budget: float | None = None,
    min_coverage: float = DEFAULT_MIN_SYSTEMS_COVERAGE,
    unrecorded: np.ndarray | None = None,
) -> BootstrapStatistic:
    stat = STATISTICS[gate_id]
    what = "status (is_error)" if stat.column == "is_error" else stat.column
    sample, lacking = _sample(model_rows, stat.column, weights, max_support, unrecorded)
    zeros = (
        f"; {int(unrecorded.sum()):,} of its costs of 0, beyond the other model's share of "
        "zeros in the region, count as not recorded"
        if unrecorded is not None and unrecorded.any()
        else ""
    )
    if sample is None:
        raise MissingSystemsData(f"{model_id} has no {what} in {', '.join(lacking)}{zeros}")
    with_value = sample.counts.sum(axis=1)
    thin = [
        f"{k:,} of {n:,} traces in {r}"
        for r, k, n in zip(weights, with_value, sample.traces, strict=True)
        if k < min_coverage * n - 1e-9
    ]
    if thin:
        raise MissingSystemsData(
            f"{model_id} has a {what} on only {'; '.join(thin)} (at least "
            f"{min_coverage:.0%} needed, min_systems_coverage: values missing on more traces "
            "may not be missing at random, e.g. timed-out calls without a latency)"
            + ("; a latency of 0 counts as not recorded" if stat.column == "latency_ms" else "")
            + zeros
        )
    minimum = min_values_per_region(gate_id, budget)
    few = [f"{n} in {r}" for r, n in zip(weights, with_value, strict=True) if n < minimum]
    if few and stat.kind == "rate":
        raise MissingSystemsData(
            f"{model_id} has too few traces with a status ({', '.join(few)}; a budget of "
            f"{_fmt(budget, stat.compare)} needs {minimum} per region with traffic, so that one "
            "error at the budget's rate is expected: with fewer the prior decides)"
        )
    if few:
        raise MissingSystemsData(
            f"{model_id} has too few {stat.column} values ({', '.join(few)}; the bootstrap "
            f"needs {minimum} per region with traffic)"
        )
    point = float(_statistic(sample, sample.counts, stat.kind))
    seed = _seed(random_seed, model_id, gate_id)
    draws = _bootstrap(sample, stat.kind, n_resamples, seed)
    bounds = []
    for worst in (True, False):
        bounded = _bounded(sample, stat.kind, worst)
        # The same seed: the bounds differ from the draws by the missing values, not by chance.
        bounds.append(
            draws if bounded is None else _bootstrap(bounded, stat.kind, n_resamples, seed)
        )
    n_missing = int(sample.traces.sum() - with_value.sum())
    n_zeros = 0 if unrecorded is None else int(unrecorded.sum())
    return BootstrapStatistic(point, draws, bounds[0], bounds[1], n_missing, n_zeros)


def systems_budget_gates(
    traces: pd.DataFrame,
    candidates: Sequence[str],
    incumbent: str | None,
    budgets: Sequence[BudgetPolicy],
    *,
    traffic_mix: Mapping[str, float] | None = None,
    n_resamples: int = 2000,
    random_seed: int = 20261122,
    max_support: int = DEFAULT_MAX_SUPPORT,
    min_coverage: float = DEFAULT_MIN_SYSTEMS_COVERAGE,
    max_plausible_ratio: float | None = DEFAULT_MAX_PLAUSIBLE_RATIO,
) -> list[dict]:
    """One row per candidate x enabled budget (region 'ALL', metric null).

    Parameters
    ----------
    traces
        Trace-level rows: model_id, region, latency_ms, cost_usd, is_error (values may be null).
    candidates, incumbent
        Model ids; ``incumbent=None`` makes every budget inconclusive.
    budgets
        The enabled budgets from the policy.
    traffic_mix
        Optional region -> share; default the incumbent's trace share per region.
    n_resamples, random_seed, max_support
        Bootstrap size, seed and the cap on distinct values per model (see module docstring).
    min_coverage, max_plausible_ratio
        The data checks of the module docstring (policy keys ``min_systems_coverage`` and
        ``max_plausible_ratio``; ``None`` turns the ratio check off).
    """
    settings = {
        "n_resamples": n_resamples,
        "random_seed": random_seed,
        "max_support": max_support,
    }
    weights = traffic_weights(traces, incumbent, traffic_mix) if incumbent else {}
    by_model = _rows_by_model(traces, [incumbent, *candidates], weights) if weights else {}

    def bootstrap(
        model_id: str, budget: BudgetPolicy, unrecorded: np.ndarray | None = None
    ) -> BootstrapStatistic:
        return _bootstrap_model(
            by_model[model_id],
            model_id,
            budget.gate_id,
            weights,
            **settings,
            budget=budget.max_value,
            min_coverage=min_coverage,
            unrecorded=unrecorded,
        )

    zero_counts: dict[str, np.ndarray] = {}  # cost only: each model's zeros, once

    rows: list[dict] = []
    for budget in budgets:
        stat = STATISTICS[budget.gate_id]

        def inconclusive(candidate: str, why: str, observed=None, stat=stat, budget=budget):
            return gate_row(
                candidate,
                stat.gate_id,
                ALL_REGIONS,
                None,
                observed,
                budget.max_value,
                INCONCLUSIVE,
                f"{stat.label} budget cannot be checked: {why}",
            )

        if incumbent is None or not weights:
            why = (
                "no single incumbent to compare with"
                if incumbent is None
                else f"no traces of the incumbent {incumbent} to weight regions by"
            )
            rows += [inconclusive(c, why) for c in candidates]
            continue
        try:
            reference = bootstrap(incumbent, budget)
        except MissingSystemsData as missing:
            rows += [inconclusive(c, f"the incumbent {missing}") for c in candidates]
            continue
        for candidate in candidates:
            compared_with = reference
            unrecorded = None
            if stat.column == "cost_usd":  # zeros the other model does not have: not recorded
                for model_id in (incumbent, candidate):
                    if model_id not in zero_counts:
                        zero_counts[model_id] = _zero_counts(
                            by_model[model_id], stat.column, len(weights)
                        )
                own, other = zero_counts[candidate], zero_counts[incumbent]
                unrecorded = _unrecorded_zeros(own, other)
                incumbent_unrecorded = _unrecorded_zeros(other, own)
                if incumbent_unrecorded.any():
                    try:
                        compared_with = bootstrap(incumbent, budget, incumbent_unrecorded)
                    except MissingSystemsData as missing:
                        rows.append(inconclusive(candidate, f"the incumbent {missing}"))
                        continue
            try:
                estimate = bootstrap(candidate, budget, unrecorded)
            except MissingSystemsData as missing:
                rows.append(inconclusive(candidate, str(missing)))
                continue
            observed = float(
                _compare(np.array(estimate.point), np.array(compared_with.point), stat.compare)
            )
            if not np.isfinite(observed):
                rows.append(
                    inconclusive(
                        candidate,
                        f"the incumbent's {stat.label} is {compared_with.point:g}, so the ratio "
                        "is undefined",
                    )
                )
                continue
            implausible = _implausible(
                candidate, stat, estimate.point, observed, max_plausible_ratio
            )
            if implausible:
                rows.append(inconclusive(candidate, implausible, observed))
                continue
            compared = _compare(estimate.draws, compared_with.draws, stat.compare)
            # The candidate at its worst against the incumbent at its best decides a pass, the
            # other way round a failure: values missing on some traces may be missing for a
            # reason (timeouts, failed calls), so they are bounded, not ignored.
            high = _compare(estimate.worst, compared_with.best, stat.compare)
            low = _compare(estimate.best, compared_with.worst, stat.compare)
            if min(np.mean(~np.isnan(d)) for d in (compared, high, low)) < 0.5:
                rows.append(inconclusive(candidate, "undefined in most bootstrap draws", observed))
                continue
            rows.append(
                _budget_row(
                    candidate,
                    budget,
                    stat,
                    observed,
                    (compared, high, low),
                    (estimate, compared_with),
                )
            )
    return rows


def _implausible(
    candidate: str, stat: _Statistic, point: float, observed: float, max_ratio: float | None
) -> str | None:
    """Why a latency or cost ratio is not to be read as a real difference, or None.

    A model whose p95 latency or mean cost is 0 has not recorded it (a p95 of 0 needs 0 on 95%
    of its traces), and a ratio to it passes any budget. A ratio beyond 1/max_ratio .. max_ratio
    is more often a unit mix-up between the two models' inputs than a real difference.
    """
    if stat.compare != "ratio":
        return None
    if point <= 0:
        share = "every trace" if stat.kind == "mean" else "at least 95% of its traces"
        return (
            f"{candidate}'s {stat.label} is 0 ({stat.column} is 0 on {share}): not recorded? "
            "A ratio to it would pass any budget; if it really is 0, turn this budget off"
        )
    if max_ratio is not None and not 1.0 / max_ratio <= observed <= max_ratio:
        unit = "latency in seconds" if stat.column == "latency_ms" else "cost in cents"
        return (
            f"{stat.label} of {candidate} is {observed:.3g}x the incumbent's, beyond the "
            f"plausible range 1/{max_ratio:g} to {max_ratio:g}x (max_plausible_ratio): more "
            f"likely a unit mix-up between the two models' inputs ({unit}?) than a real "
            "difference; check the inputs, or raise max_plausible_ratio"
        )
    return None


def _budget_row(
    candidate: str,
    budget: BudgetPolicy,
    stat: _Statistic,
    observed: float,
    draws: tuple[np.ndarray, np.ndarray, np.ndarray],
    models: tuple[BootstrapStatistic, BootstrapStatistic],
) -> dict:
    """The budget's row from the draws of the compared statistic and its two bounds; ``models``
    (candidate, incumbent) say how many values were missing on each side."""
    compared, high_draws, low_draws = (d[~np.isnan(d)] for d in draws)
    p_met = float(np.mean(high_draws <= budget.max_value))
    p_over = float(np.mean(low_draws > budget.max_value))
    status = three_way(p_met, p_over, budget.prob_met_required, budget.prob_exceeded_blocks)
    low, high = np.quantile(compared, [0.025, 0.975])
    relation = "the incumbent's" if stat.compare == "ratio" else "vs the incumbent"
    figures = (
        f"{stat.label} of {candidate} is {_fmt(observed, stat.compare)} {relation} "
        f"(95% {'posterior' if stat.kind == 'rate' else 'bootstrap'} interval "
        f"{_fmt(low, stat.compare)} to {_fmt(high, stat.compare)}; "
        f"budget {_fmt(budget.max_value, stat.compare)}"
    )
    met = f"P(within budget)={fmt_prob(p_met, budget.prob_met_required)}"
    over = f"P(over budget)={fmt_prob(p_over, budget.prob_exceeded_blocks)}"
    if status == PASS:
        verdict = f"{met} >= {fmt_prob(budget.prob_met_required)}"
    elif status == FAIL:
        verdict = f"{over} >= {fmt_prob(budget.prob_exceeded_blocks)}"
    else:
        verdict = (
            f"not settled: {met} < {fmt_prob(budget.prob_met_required)} and {over} < "
            f"{fmt_prob(budget.prob_exceeded_blocks)}"
        )
    bounded = ""
    missing = [model.n_missing for model in models]
    zeros = [model.n_unrecorded_zeros for model in models]
    if any(missing):
        what = "a status" if stat.column == "is_error" else f"a {stat.column}"
        worst = {
            "is_error": "an error",
            "latency_ms": "unbounded",
            "cost_usd": "its largest cost in the region",
        }[stat.column]
        of_them = (
            f" (of them {zeros[0]:,} and {zeros[1]:,} costs of 0 beyond the other model's "
            "share of zeros, read as not recorded)"
            if any(zeros)
            else ""
        )
        bounded = (
            f"; {missing[0]:,} traces of {candidate} and {missing[1]:,} of the incumbent lack "
            f"{what}{of_them}: P(within budget) counts the candidate's as {worst} and the "
            "incumbent's at its best, P(over budget) the other way round"
        )
    return gate_row(
        candidate,
        stat.gate_id,
        ALL_REGIONS,
        None,
        observed,
        budget.max_value,
        status,
        f"{figures}; {verdict}){bounded}",
    )
