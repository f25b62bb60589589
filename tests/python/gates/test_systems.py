"""Systems budgets: a seeded, region-stratified bootstrap on simulated traces with known truth.

Sampling error used to set tolerances: latency is lognormal with sigma 0.5 on the log scale, so
the sample p95 of n values has log-scale standard error
sigma * sqrt(0.95 * 0.05 / n) / phi(1.645) = 0.5 * sqrt(0.0475 / n) / 0.103; for n = 3000 per
model that is 0.019, and 0.027 for a ratio of two independent models. Tolerances below are
about 4 of those standard errors.
"""

import math

import numpy as np
import pandas as pd
import pytest
from gate_inputs import REGIONS, equal_systems, systems_traces

from llm_migration.gates import GatePolicy
from llm_migration.gates.systems import (
    _support,
    _unrecorded_zeros,
    bootstrap_statistic,
    systems_budget_gates,
    traffic_weights,
)

POLICY = GatePolicy.from_vars({})
FAST = {"n_resamples": 400, "random_seed": 11}  # P(met) to within ~0.025


def _gates(traces, candidates=("cand",), incumbent="inc", policy=POLICY, **kwargs):
    settings = {**FAST, **kwargs}
    rows = systems_budget_gates(traces, list(candidates), incumbent, policy.budgets, **settings)
    return {(r["candidate_model_id"], r["gate_id"]): r for r in rows}


def _scaled_copy(traces: pd.DataFrame, source: str, target: str, **factors) -> pd.DataFrame:
    """``target`` gets ``source``'s traces with columns multiplied: a ratio known exactly."""
    copy = traces[traces["model_id"] == source].copy()
    copy["model_id"] = target
    for column, factor in factors.items():
        copy[column] = copy[column] * factor
    return pd.concat([traces[traces["model_id"] != target], copy], ignore_index=True)


def test_equal_models_pass_every_budget():
    gates = _gates(equal_systems())
    assert {g: r["status"] for (_, g), r in gates.items()} == {
        "p95_latency_ratio": "pass",
        "cost_per_trace_ratio": "pass",
        "error_rate_diff": "pass",
    }
    latency = gates[("cand", "p95_latency_ratio")]
    # Independent samples with the same truth: ratio 1 within ~4 standard errors (0.027).
    assert math.exp(-0.11) < latency["observed_value"] < math.exp(0.11)
    assert latency["threshold"] == 1.2 and latency["region"] == "ALL" and latency["metric"] is None
    assert "P(within budget)=1.00 >= 0.95" in latency["reason"]


def test_twice_the_latency_fails():
    base = {"n": 1500, "cost": 0.002, "error_rate": 0.01}
    traces = systems_traces(
        {
            "inc": {r: {**base, "latency_median": 800.0} for r in REGIONS},
            "cand": {r: {**base, "latency_median": 1600.0} for r in REGIONS},
        }
    )
    latency = _gates(traces)[("cand", "p95_latency_ratio")]
    assert latency["status"] == "fail"
    assert math.exp(math.log(2) - 0.11) < latency["observed_value"] < math.exp(math.log(2) + 0.11)
    assert "P(over budget)=1.00 >= 0.80" in latency["reason"]
    assert "p95 latency of cand is 2.0" in latency["reason"]


def test_exact_scaled_copies_give_exact_ratios():
    traces = equal_systems()
    doubled = _scaled_copy(traces, "inc", "cand", latency_ms=2.0, cost_usd=2.0)
    gates = _gates(doubled)
    assert gates[("cand", "p95_latency_ratio")]["observed_value"] == pytest.approx(2.0)
    assert gates[("cand", "cost_per_trace_ratio")]["observed_value"] == pytest.approx(2.0)
    assert gates[("cand", "cost_per_trace_ratio")]["status"] == "fail"
    assert gates[("cand", "error_rate_diff")]["observed_value"] == pytest.approx(0.0)


def test_a_ratio_sitting_on_the_budget_is_inconclusive():
    # The candidate's latencies are exactly 1.2x the incumbent's: the point estimate equals the
    # budget and independent resampling puts about half of the draws on each side.
    traces = _scaled_copy(equal_systems(), "inc", "cand", latency_ms=1.2)
    latency = _gates(traces)[("cand", "p95_latency_ratio")]
    assert latency["observed_value"] == pytest.approx(1.2)
    assert latency["status"] == "inconclusive"
    assert "not settled" in latency["reason"]


def test_error_rate_difference_beyond_budget_fails_and_small_difference_passes():
    base = {"n": 2000, "latency_median": 800.0, "cost": 0.002}
    traces = systems_traces(
        {
            "inc": {r: {**base, "error_rate": 0.01} for r in REGIONS},
            "worse": {r: {**base, "error_rate": 0.05} for r in REGIONS},
            "same": {r: {**base, "error_rate": 0.01} for r in REGIONS},
        }
    )
    gates = _gates(traces, candidates=("worse", "same"))
    worse = gates[("worse", "error_rate_diff")]
    # True difference 4pp; standard error sqrt(.05*.95/4000 + .01*.99/4000) = 0.0038.
    assert worse["status"] == "fail"
    assert worse["observed_value"] == pytest.approx(0.04, abs=4 * 0.0038)
    assert "error rate of worse is +" in worse["reason"]
    assert gates[("same", "error_rate_diff")]["status"] == "pass"


def test_bootstrap_spread_matches_sampling_error():
    rng = np.random.default_rng(3)
    n = 4000
    traces = pd.DataFrame(
        {
            "model_id": "m",
            "region": "r",
            "latency_ms": np.exp(rng.normal(6.0, 0.5, n)),
            "cost_usd": rng.exponential(0.002, n),
            "is_error": rng.random(n) < 0.05,
        }
    )
    weights = {"r": 1.0}
    kwargs = {"n_resamples": 2000, "random_seed": 5}
    error = bootstrap_statistic(traces, "m", "error_rate_diff", weights, **kwargs)
    cost = bootstrap_statistic(traces, "m", "cost_per_trace_ratio", weights, **kwargs)
    latency = bootstrap_statistic(traces, "m", "p95_latency_ratio", weights, **kwargs)
    # With 2000 draws a bootstrap sd has relative standard error 1/sqrt(2 * 2000) = 1.6%.
    p = traces["is_error"].mean()
    assert error.point == pytest.approx(p)
    assert error.draws.std() == pytest.approx(math.sqrt(p * (1 - p) / n), rel=0.07)
    assert cost.point == pytest.approx(traces["cost_usd"].mean())
    assert cost.draws.std() == pytest.approx(traces["cost_usd"].std() / math.sqrt(n), rel=0.07)
    # The quantile's bootstrap sd is noisier; compare with the asymptotic value loosely.
    asymptotic = 0.5 * math.sqrt(0.95 * 0.05 / n) / 0.10314
    assert np.log(latency.draws).std() == pytest.approx(asymptotic, rel=0.25)


def test_p95_is_the_inverse_cdf_quantile_and_binning_moves_it_little():
    rng = np.random.default_rng(4)
    values = np.round(np.exp(rng.normal(6.0, 0.5, 3000)))
    traces = pd.DataFrame(
        {"model_id": "m", "region": "r", "latency_ms": values, "cost_usd": 0.0, "is_error": False}
    )
    exact = bootstrap_statistic(
        traces, "m", "p95_latency_ratio", {"r": 1.0}, n_resamples=10, max_support=10_000
    )
    assert exact.point == np.quantile(values, 0.95, method="inverted_cdf")
    binned = bootstrap_statistic(
        traces, "m", "p95_latency_ratio", {"r": 1.0}, n_resamples=10, max_support=200
    )
    # 200 equal-count bins: the estimate stays within the 94.5% - 95.5% sample quantiles.
    low, high = np.quantile(values, [0.945, 0.955])
    assert low <= binned.point <= high


def test_bins_hold_equal_counts_and_keep_the_mean():
    rng = np.random.default_rng(9)
    values = np.round(np.exp(rng.normal(6.0, 0.5, 20_000)), 1)  # ties, as rounded latencies
    support, codes = _support(values, 50)
    sizes = np.bincount(codes)
    assert len(support) == 50 and np.all(np.diff(support) > 0)
    # equal-count bins up to the largest group of tied values at an edge
    largest_tie = np.unique(values, return_counts=True)[1].max()
    assert np.all(np.abs(sizes - len(values) / 50) <= largest_tie)
    # each bin is represented by the mean of its values, so the overall mean is kept
    assert np.allclose(support[codes], pd.Series(values).groupby(codes).transform("mean"))
    assert (support * sizes).sum() / len(values) == pytest.approx(values.mean(), rel=1e-12)


def test_categorical_ids_give_the_same_gates_as_text():
    traces = equal_systems()
    as_categories = traces.astype({"model_id": "category", "region": "category"})
    assert _gates(as_categories) == _gates(traces)


def test_regions_are_weighted_by_production_traffic_not_by_the_evaluation_mix():
    # Same latency per region for both models, but the candidate was evaluated mostly in the
    # slow region. Unweighted, its p95 would look far worse.
    fast = {"latency_median": 500.0, "cost": 0.002, "error_rate": 0.01}
    slow = {"latency_median": 1500.0, "cost": 0.002, "error_rate": 0.01}
    traces = systems_traces(
        {
            "inc": {"us-east": {**fast, "n": 2000}, "eu-west": {**slow, "n": 2000}},
            "cand": {"us-east": {**fast, "n": 400}, "eu-west": {**slow, "n": 3600}},
        }
    )
    naive = traces[traces.model_id == "cand"].latency_ms.quantile(0.95) / traces[
        traces.model_id == "inc"
    ].latency_ms.quantile(0.95)
    assert naive > 1.2
    latency = _gates(traces)[("cand", "p95_latency_ratio")]
    assert latency["status"] == "pass"
    assert latency["observed_value"] == pytest.approx(1.0, abs=0.12)
    assert traffic_weights(traces, "inc") == {"eu-west": 0.5, "us-east": 0.5}


def test_a_configured_traffic_mix_overrides_the_incumbent_share():
    traces = equal_systems()
    assert traffic_weights(traces, "inc", {"us-east": 3, "eu-west": 1}) == {
        "eu-west": 0.25,
        "us-east": 0.75,
    }
    latency = _gates(traces, traffic_mix={"us-east": 3, "eu-west": 1})[
        ("cand", "p95_latency_ratio")
    ]
    assert latency["status"] == "pass"


def test_missing_data_is_inconclusive_and_names_what_is_missing():
    traces = equal_systems()
    traces.loc[(traces.model_id == "cand") & (traces.region == "eu-west"), "latency_ms"] = None
    traces.loc[traces.model_id == "inc", "cost_usd"] = 0.0
    gates = _gates(traces)
    latency = gates[("cand", "p95_latency_ratio")]
    assert latency["status"] == "inconclusive"
    assert "cand has no latency_ms in eu-west" in latency["reason"]
    cost = gates[("cand", "cost_per_trace_ratio")]
    assert cost["status"] == "inconclusive"
    # Zeros the candidate does not have are read as not recorded: the incumbent has no cost.
    assert (
        "the incumbent inc has no cost_usd in eu-west, us-east; 3,000 of its costs of 0"
        in (cost["reason"])
    )
    assert gates[("cand", "error_rate_diff")]["status"] == "pass"
    # With 0 on both sides the zeros are values, and a ratio to 0 is undefined.
    traces["cost_usd"] = 0.0
    cost = _gates(traces)[("cand", "cost_per_trace_ratio")]
    assert cost["status"] == "inconclusive" and "ratio is undefined" in cost["reason"]


def test_values_missing_on_many_traces_prove_no_budget():
    # The candidate's logger priced only its cheapest 20 calls of 300 per region (the rest
    # NULL): on the priced calls it looks 5x cheaper, on all of them it costs the same.
    base = {"n": 300, "latency_median": 800.0, "cost": 0.002, "error_rate": 0.01}
    traces = systems_traces({m: {r: base for r in REGIONS} for m in ("cand", "inc")})
    cand = traces.model_id == "cand"
    rank = traces[cand].groupby("region")["cost_usd"].rank(method="first")
    traces.loc[rank[rank > 20].index, "cost_usd"] = None
    row = _gates(traces)[("cand", "cost_per_trace_ratio")]
    assert row["status"] == "inconclusive", row["reason"]
    assert (
        "cand has a cost_usd on only 20 of 300 traces in eu-west; 20 of 300 traces in us-east "
        "(at least 90% needed, min_systems_coverage" in row["reason"]
    )
    # Only the gate's own column counts: latency and status are complete.
    assert _gates(traces)[("cand", "p95_latency_ratio")]["status"] == "pass"
    # A missing value here and there (5%) is read, not held open.
    traces = systems_traces({m: {r: base for r in REGIONS} for m in ("cand", "inc")})
    traces.loc[traces.index % 20 == 0, "cost_usd"] = None
    assert _gates(traces)[("cand", "cost_per_trace_ratio")]["status"] == "pass"
    # The incumbent is held to the same standard, and a stricter policy is honoured.
    traces["is_error"] = traces["is_error"].astype("boolean")
    traces.loc[(traces.model_id == "inc") & (traces.index % 5 == 1), "is_error"] = None
    gates = _gates(traces)
    assert gates[("cand", "error_rate_diff")]["status"] == "inconclusive"
    assert (
        "the incumbent inc has a status (is_error) on only"
        in (gates[("cand", "error_rate_diff")]["reason"])
    )
    strict = _gates(traces, min_coverage=1.0)[("cand", "cost_per_trace_ratio")]
    assert strict["status"] == "inconclusive" and "at least 100% needed" in strict["reason"]


def test_values_missing_for_a_reason_are_bounded_not_ignored():
    # A review's case: 7% of the candidate's calls timed out and logged no latency, cost or
    # status. Ignoring them passed all three budgets, though the 7% could be the whole latency
    # tail and 7pp of errors. Counted at their worst for a pass and at their best for a
    # failure, they leave the gates open.
    traces = equal_systems(n=3000)
    cand = np.flatnonzero(traces.model_id == "cand")
    lost = cand[np.arange(len(cand)) % 100 < 7]
    traces["is_error"] = traces["is_error"].astype("boolean")
    traces.loc[lost, ["latency_ms", "cost_usd", "is_error"]] = None
    gates = _gates(traces)
    for gate_id in ("p95_latency_ratio", "error_rate_diff"):
        row = gates[("cand", gate_id)]
        assert row["status"] == "inconclusive", row["reason"]
        assert "420 traces of cand and 0 of the incumbent lack" in row["reason"]
    error = gates[("cand", "error_rate_diff")]
    assert "P(within budget) counts the candidate's as an error" in error["reason"]
    # The point estimate still reads the values there are: no difference.
    assert abs(error["observed_value"]) < 0.01
    # Cost: even at the priciest calls' cost (at this volume the mean of the top bin of 500,
    # about 5 mean costs for exponential costs) 7% lift the mean by about 30%, inside the 1.5x
    # budget, so the cost budget is shown met whatever the lost calls cost.
    cost = gates[("cand", "cost_per_trace_ratio")]
    assert cost["status"] == "pass" and "lack a cost_usd" in cost["reason"]


def test_a_timed_out_call_has_no_latency_bound():
    # A review's case: latencies uniform on 900-1100 ms for both models, 7% of the candidate's
    # missing. Set to its largest observed latency they passed at 1.00x; had they timed out at
    # 30 s the p95 ratio would be 27.5x. A missing latency is unbounded: beyond 5% of a
    # region's traces the p95 cannot be shown within budget.
    rng = np.random.default_rng(4)
    rows = []
    for model in ("inc", "cand"):
        for region in REGIONS:
            latency = rng.uniform(900.0, 1100.0, 2000)
            if model == "cand":
                latency[:140] = np.nan
            rows.append(
                pd.DataFrame(
                    {
                        "model_id": model,
                        "region": region,
                        "latency_ms": latency,
                        "cost_usd": 0.002,
                        "is_error": False,
                    }
                )
            )
    row = _gates(pd.concat(rows, ignore_index=True))[("cand", "p95_latency_ratio")]
    assert row["status"] == "inconclusive", row["reason"]
    assert "counts the candidate's as unbounded" in row["reason"]
    assert row["observed_value"] == pytest.approx(1.0, abs=0.02)


def test_a_few_missing_values_leave_a_clear_result_standing():
    # 0.3% of both models' values missing at random: the bounds barely move, so equal models
    # still pass every budget, and a candidate twice as slow still fails (at its best, its p95
    # is still about 2x).
    traces = equal_systems(n=3000)
    traces["is_error"] = traces["is_error"].astype("boolean")
    gaps = np.flatnonzero(np.arange(len(traces)) % 300 == 7)
    traces.loc[gaps, ["latency_ms", "cost_usd", "is_error"]] = None
    gates = _gates(traces)
    assert {g: r["status"] for (_, g), r in gates.items()} == {
        "p95_latency_ratio": "pass",
        "cost_per_trace_ratio": "pass",
        "error_rate_diff": "pass",
    }, [r["reason"] for r in gates.values()]
    assert (
        "20 traces of cand and 20 of the incumbent lack a latency_ms"
        in (gates[("cand", "p95_latency_ratio")]["reason"])
    )
    slow = traces.copy()
    slow.loc[slow.model_id == "cand", "latency_ms"] *= 2.0
    assert _gates(slow)[("cand", "p95_latency_ratio")]["status"] == "fail"


def test_a_candidate_without_a_recorded_cost_or_latency_proves_no_budget():
    traces = equal_systems()
    traces.loc[traces.model_id == "cand", "cost_usd"] = 0.0
    traces.loc[(traces.model_id == "cand") & (traces.index % 50 != 0), "latency_ms"] = 0.0
    gates = _gates(traces)
    cost = gates[("cand", "cost_per_trace_ratio")]
    assert cost["status"] == "inconclusive", cost["reason"]
    # Zeros the incumbent does not have are read as not recorded, so no cost is left.
    assert "cand has no cost_usd in eu-west, us-east; 3,000 of its costs of 0" in cost["reason"]
    latency = gates[("cand", "p95_latency_ratio")]
    assert latency["status"] == "inconclusive"
    assert "a latency of 0 counts as not recorded" in latency["reason"]
    # Turning the unit check off does not turn this one off: 0 is not a ratio.
    gates = _gates(traces, max_plausible_ratio=None)
    assert gates[("cand", "cost_per_trace_ratio")]["status"] == "inconclusive"


@pytest.mark.parametrize(
    ("column", "gate_id", "factor", "reasons"),
    [
        (
            "latency_ms",
            "p95_latency_ratio",
            1.4,
            ["has a latency_ms on only", "a latency of 0 counts as not recorded"],
        ),
        (
            "cost_usd",
            "cost_per_trace_ratio",
            3.0,
            [
                "cand has a cost_usd on only 450 of 1,500 traces in eu-west",
                "2,100 of its costs of 0, beyond the other model's share",
            ],
        ),
    ],
)
def test_values_one_model_logs_as_zero_are_not_read_as_values(column, gate_id, factor, reasons):
    # Review cases: a candidate 1.4x slower whose logger wrote 0 for 70% of its latencies passed
    # at 0.94x (the zeros pulled its p95 down to its 83rd percentile), and one 3x costlier with
    # 70% of its costs written as 0 passed at about 0.9x. No call takes 0 ms, and costs of 0
    # the incumbent does not have are more likely unpriced calls: both are read as not
    # recorded, missing on 70% of the candidate's traces, so the budget cannot be checked.
    traces = _scaled_copy(equal_systems(), "inc", "cand", **{column: factor})
    assert _gates(traces)[("cand", gate_id)]["status"] == "fail"
    traces.loc[(traces.model_id == "cand") & (traces.index % 10 < 7), column] = 0.0
    row = _gates(traces)[("cand", gate_id)]
    assert row["status"] == "inconclusive", row["reason"]
    for reason in reasons:
        assert reason in row["reason"]


def test_a_few_unpriced_calls_and_an_incumbent_s_unpriced_calls_are_bounded():
    # A few unpriced calls (5% of an equal candidate's) are bounded like missing costs, not
    # read as free: the budget still passes (at its priciest calls' cost, 5% lift the mean by
    # about a fifth), and the reason says what was read as not recorded.
    traces = _scaled_copy(equal_systems(), "inc", "cand", cost_usd=1.0)
    unpriced = (traces.model_id == "cand") & (traces.index % 20 == 0)
    traces.loc[unpriced, "cost_usd"] = 0.0
    cost = _gates(traces)[("cand", "cost_per_trace_ratio")]
    assert cost["status"] == "pass", cost["reason"]
    n_unpriced = int(unpriced.sum())
    assert (
        f"{n_unpriced} traces of cand and 0 of the incumbent lack a cost_usd (of them "
        f"{n_unpriced} and 0 costs of 0" in cost["reason"]
    )
    # The point estimate reads the priced calls of an exact copy: 1 within the error of a 95%
    # subsample of 3,000 exponential costs (0.4%), not the 0.95 the zeros would give.
    assert cost["observed_value"] == pytest.approx(1.0, abs=0.02)
    # The incumbent's unlogged costs are held to the same standard: with 70% of them 0 an equal
    # candidate looked 3.3x costlier and failed.
    traces = equal_systems()
    traces.loc[(traces.model_id == "inc") & (traces.index % 10 < 7), "cost_usd"] = 0.0
    cost = _gates(traces)[("cand", "cost_per_trace_ratio")]
    assert cost["status"] == "inconclusive", cost["reason"]
    assert cost["reason"].startswith(
        "cost per trace budget cannot be checked: the incumbent inc has a cost_usd on only"
    )


def test_free_calls_both_models_have_are_read_as_costs_of_zero():
    # Cache hits cost nothing: 30% of both models' calls (drawn at random, so the shares differ
    # by sampling noise only) are free. They are values, and the ratio reads them: a candidate
    # with 1.4x the incumbent's paid costs is within the 1.5x budget. Its 2x copy fails.
    rng = np.random.default_rng(3)
    for factor, status in ((1.0, "pass"), (2.0, "fail")):
        traces = _scaled_copy(equal_systems(n=3000), "inc", "cand", cost_usd=factor)
        traces.loc[rng.random(len(traces)) < 0.3, "cost_usd"] = 0.0
        cost = _gates(traces)[("cand", "cost_per_trace_ratio")]
        assert cost["status"] == status, cost["reason"]
        # The zeros are in the ratio, not replaced: 0.7 x factor over 0.7 x 1 within sampling
        # error (30% zeros drawn per model: the ratio moves by about 2 standard errors of
        # 0.7 ** 0.5 * 0.3 ** 0.5 / 6000 ** 0.5 / 0.7, 1.6% each).
        assert cost["observed_value"] == pytest.approx(factor, rel=0.08)
        assert "lack a cost_usd" not in cost["reason"]


def test_real_cache_hits_of_one_model_decide_no_budget_as_a_cost_they_did_not_have():
    # Costs priced per call (0.8..1.2x their mean, no cost near 0) and 8% real cache hits on
    # one model only: the zeros are read as not recorded, but at best they are the 0 recorded.
    # Bounded at the region's smallest cost instead, the incumbent's cache hits passed a
    # candidate 1.58x costlier against the 1.5x budget, and the candidate's failed one 1.43x
    # costlier. Both are inconclusive now: the data cannot tell cache hits from unpriced calls.
    rng = np.random.default_rng(5)

    def traces(cand_factor, cand_hits, inc_hits, n=2000):
        frames = []
        for model, factor, hits in (("inc", 1.0, inc_hits), ("cand", cand_factor, cand_hits)):
            for region in REGIONS:
                cost = rng.uniform(0.8, 1.2, n) * 0.002 * factor
                cost[rng.random(n) < hits] = 0.0
                frames.append(
                    pd.DataFrame(
                        {
                            "model_id": model,
                            "region": region,
                            "latency_ms": 100.0,
                            "cost_usd": cost,
                            "is_error": False,
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)

    for data, truth in ((traces(1.45, 0.0, 0.08), 1.58), (traces(1.55, 0.08, 0.0), 1.43)):
        reading = data.assign(cost_usd=data.cost_usd.where(data.cost_usd > 0, 1e-9))
        plain = _gates(reading)[("cand", "cost_per_trace_ratio")]
        assert plain["observed_value"] == pytest.approx(truth, abs=0.03)
        cost = _gates(data)[("cand", "cost_per_trace_ratio")]
        assert cost["status"] == "inconclusive", (truth, cost["reason"])
        assert "costs of 0 beyond the other model's share of zeros" in cost["reason"]
    # A candidate whose cache hits make it cheaper still passes: at its worst (the hits at its
    # largest cost) it is about 1.01x.
    cost = _gates(traces(1.0, 0.08, 0.0))[("cand", "cost_per_trace_ratio")]
    assert cost["status"] == "pass", cost["reason"]


def test_real_cache_hits_in_a_small_region_are_rarely_read_as_not_recorded():
    # Zeros beyond the other model's share are read as not recorded past three standard errors
    # of chance, which equal shares of real zeros should cross about once in 750. The normal
    # approximation crossed far more often where zeros are few: one cache hit in a region of
    # 20 traces against 2 in the incumbent's 1,000 was past it, and with 1% real cache hits
    # one such region in 58 had a zero read as not recorded.
    one = _unrecorded_zeros(np.array([[1], [20]]), np.array([[2], [1000]]))
    assert one.tolist() == [0]
    rng = np.random.default_rng(7)
    for n_own, n_other, share in ((20, 1000, 0.01), (20, 1000, 0.005), (2000, 2000, 0.3)):
        draws = 20_000
        own = np.stack([rng.binomial(n_own, share, draws), np.full(draws, n_own)])
        other = np.stack([rng.binomial(n_other, share, draws), np.full(draws, n_other)])
        flagged = np.mean(_unrecorded_zeros(own, other) > 0)
        assert flagged < 1 / 750, (n_own, n_other, share, flagged)
    # Zeros one model has and the other does not are still read as not recorded: 10 of 1,500
    # against none (as many as chance gives once in 1,000), and 5% unpriced calls.
    assert _unrecorded_zeros(np.array([[10], [1500]]), np.array([[0], [1500]])).tolist() == [10]
    assert _unrecorded_zeros(np.array([[75], [1500]]), np.array([[0], [1500]])).tolist() == [75]


def test_a_unit_mix_up_is_not_read_as_a_thousandfold_difference():
    # The candidate's latency logged in seconds in latency_ms, its cost in cents.
    traces = _scaled_copy(equal_systems(), "inc", "cand", latency_ms=0.001, cost_usd=100.0)
    gates = _gates(traces)
    latency = gates[("cand", "p95_latency_ratio")]
    assert latency["status"] == "inconclusive"
    assert latency["observed_value"] == pytest.approx(0.001)
    assert "beyond the plausible range 1/100 to 100x" in latency["reason"]
    assert "latency in seconds?" in latency["reason"]
    # Exactly 100x is inside the range and fails the 1.5x budget as a real difference would.
    assert gates[("cand", "cost_per_trace_ratio")]["status"] == "fail"
    gates = _gates(_scaled_copy(equal_systems(), "inc", "cand", cost_usd=1000.0))
    assert gates[("cand", "cost_per_trace_ratio")]["status"] == "inconclusive"
    assert "cost in cents?" in gates[("cand", "cost_per_trace_ratio")]["reason"]
    # With the check off the ratio is taken at its word.
    off = _gates(traces, max_plausible_ratio=None)[("cand", "p95_latency_ratio")]
    assert off["status"] == "pass"
    # A real 50-fold saving stays inside the default range.
    cheap = _gates(_scaled_copy(equal_systems(), "inc", "cand", cost_usd=0.02))
    assert cheap[("cand", "cost_per_trace_ratio")]["status"] == "pass"


def test_a_handful_of_traces_proves_no_budget():
    # One bootstrap of 5 traces per region cannot show a budget is met: inconclusive, naming
    # the counts. The error rate needs no minimum but stays honest about few traces.
    base = {"latency_median": 800.0, "cost": 0.002, "error_rate": 0.0}
    traces = systems_traces(
        {
            "inc": {r: {**base, "n": 1500} for r in REGIONS},
            "cand": {r: {**base, "n": 5} for r in REGIONS},
        }
    )
    gates = _gates(traces)
    for gate_id, column in (
        ("p95_latency_ratio", "latency_ms"),
        ("cost_per_trace_ratio", "cost_usd"),
    ):
        row = gates[("cand", gate_id)]
        assert row["status"] == "inconclusive", row["reason"]
        assert f"cand has too few {column} values (5 in eu-west, 5 in us-east" in row["reason"]


def test_no_errors_in_few_traces_does_not_prove_the_error_budget():
    # 0 errors in 25 traces per region for both models: a bootstrap resampled 0 every time and
    # passed with P(within budget) = 1. A 1pp budget needs 100 traces with a status per region.
    base = {"latency_median": 800.0, "cost": 0.002, "error_rate": 0.0}
    few = systems_traces({m: {r: {**base, "n": 25} for r in REGIONS} for m in ("cand", "inc")})
    row = _gates(few, n_resamples=4000)[("cand", "error_rate_diff")]
    assert row["status"] == "inconclusive", row["reason"]
    assert (
        "the incumbent inc has too few traces with a status (25 in eu-west, 25 in us-east; a "
        "budget of +1.00pp needs 100 per region" in row["reason"]
    )
    # A 5pp budget needs 20 per region: the gate is then read off the Jeffreys posteriors.
    loose = GatePolicy.from_vars({"max_error_rate_diff": 0.05})
    row = _gates(few, n_resamples=4000, policy=loose)[("cand", "error_rate_diff")]
    assert row["observed_value"] == 0.0 and "95% posterior interval" in row["reason"]
    # With 5,000 traces per region the same 0 errors do prove it: Beta(0.5, 5000.5) has sd 0.014%.
    many = systems_traces({m: {r: {**base, "n": 5000} for r in REGIONS} for m in ("cand", "inc")})
    assert _gates(many)[("cand", "error_rate_diff")]["status"] == "pass"


@pytest.mark.parametrize(
    ("few_model", "n_few", "cand_rate"),
    [
        ("inc", 3, 0.03),  # passed: the incumbent's prior rate 0.5 / 4 = 12.5% hid the candidate
        ("cand", 10, 0.0),  # failed: a faultless candidate's prior rate 0.5 / 11 = 4.5%
        ("cand", 99, 0.0),  # one short of 1 / budget
    ],
)
def test_the_error_budget_is_not_decided_by_the_prior(few_model, n_few, cand_rate):
    base = {"latency_median": 800.0, "cost": 0.002}
    sizes = {"inc": 2000, "cand": 2000, few_model: n_few}
    rates = {"inc": 0.003, "cand": cand_rate}
    traces = systems_traces(
        {m: {r: {**base, "n": sizes[m], "error_rate": rates[m]} for r in REGIONS} for m in sizes}
    )
    row = _gates(traces)[("cand", "error_rate_diff")]
    assert row["status"] == "inconclusive", row["reason"]
    assert f"has too few traces with a status ({n_few} in eu-west" in row["reason"]


def test_traces_without_a_status_say_nothing_about_errors():
    traces = equal_systems()
    traces["is_error"] = traces["is_error"].astype(object)
    traces.loc[traces.model_id == "cand", "is_error"] = None
    row = _gates(traces)[("cand", "error_rate_diff")]
    assert row["status"] == "inconclusive"
    assert "cand has no status (is_error) in eu-west, us-east" in row["reason"]


def test_no_incumbent_or_no_traces_is_inconclusive():
    assert {r["status"] for r in _gates(equal_systems(), incumbent=None).values()} == {
        "inconclusive"
    }
    empty = equal_systems().iloc[0:0]
    gates = _gates(empty)
    assert {r["status"] for r in gates.values()} == {"inconclusive"}
    assert "no traces of the incumbent inc" in gates[("cand", "cost_per_trace_ratio")]["reason"]


def test_disabled_budgets_produce_no_rows():
    policy = GatePolicy.from_vars({"max_cost_per_trace_ratio": None, "max_error_rate_diff": None})
    assert set(_gates(equal_systems(), policy=policy)) == {("cand", "p95_latency_ratio")}


def test_results_are_seeded_and_do_not_depend_on_candidate_order():
    traces = _scaled_copy(equal_systems(), "inc", "other", latency_ms=1.1)
    traces = pd.concat([traces, equal_systems().query("model_id == 'cand'")], ignore_index=True)
    first = _gates(traces, candidates=("cand", "other"))
    second = _gates(traces, candidates=("other", "cand"))
    assert first == second
    reseeded = _gates(traces, candidates=("cand", "other"), random_seed=12)
    assert reseeded[("cand", "p95_latency_ratio")]["observed_value"] == pytest.approx(
        first[("cand", "p95_latency_ratio")]["observed_value"]
    )
