"""Tests of the posterior summaries on hand-made draws whose answers are computable by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llm_migration import drift
from llm_migration.calibration import (
    COUNTS_COLUMNS,
    DRAWS_LONG_COLUMNS,
    CalibrationConfig,
    fit_calibration_model,
    posterior_draws_long,
)
from llm_migration.posteriors import (
    COMPARISON_COLUMNS,
    DIAGNOSTICS_COLUMNS,
    JUDGE_CALIBRATION_COLUMNS,
    QUALITY_COLUMNS,
    compare_to_incumbent,
    sampler_diagnostics,
    summarise_judge_calibration,
    summarise_quality,
    traffic_weighted_kappa,
)

MODELS = pd.DataFrame({"model_id": ["inc", "cand"], "model_role": ["incumbent", "candidate"]})


def make_draws(theta=None, sensitivity=None, specificity=None, diverging=None, run_id="run-x"):
    """Long draws table from {key: array (chain, draw)}; theta keys are (model, region, metric),
    sensitivity/specificity keys (judge, model, metric)."""
    rows = []

    def add(quantity, key, values):
        values = np.atleast_2d(np.asarray(values, dtype=float))
        for chain in range(values.shape[0]):
            for draw in range(values.shape[1]):
                rows.append((run_id, quantity, *key, chain, draw, values[chain, draw]))

    for (model_id, region, metric), v in (theta or {}).items():
        add("theta", (model_id, region, metric, None), v)
    for quantity, table in (("sensitivity", sensitivity), ("specificity", specificity)):
        for (judge_id, model_id, metric), v in (table or {}).items():
            add(quantity, (model_id, None, metric, judge_id), v)
    if diverging is not None:
        add("diverging", (None, None, None, None), diverging)
    out = pd.DataFrame(
        rows, columns=[c for c in DRAWS_LONG_COLUMNS if c not in ("sampler", "fit_seconds")]
    )
    out["sampler"] = "pymc"
    out["fit_seconds"] = 1.5
    return out


def as_read_back(draws: pd.DataFrame) -> pd.DataFrame:
    """What a warehouse round trip may return: shuffled rows, string dtypes, float ids."""
    out = draws.sample(frac=1.0, random_state=0).reset_index(drop=True)
    for name in ("run_id", "quantity", "model_id", "region", "metric", "judge_id"):
        out[name] = out[name].astype("string")
    out["chain"] = out["chain"].astype("float64")
    out["draw"] = out["draw"].astype("Int32")
    return out


# --------------------------------------------------------------------------------------------
# summarise_quality
# --------------------------------------------------------------------------------------------

INC_EU = [0.1, 0.2, 0.3, 0.4]
INC_US = [0.5, 0.5, 0.5, 0.5]
CAND_EU = [0.2, 0.2, 0.4, 0.4]


def quality_inputs():
    draws = make_draws(
        theta={
            ("inc", "eu", "correctness"): [INC_EU],
            ("inc", "us", "correctness"): [INC_US],
            ("cand", "eu", "correctness"): [CAND_EU],
        }
    )
    counts = pd.DataFrame(
        [
            ("inc", "eu", "correctness", "j", True, True, 6),
            ("inc", "eu", "correctness", "j", False, False, 4),
            ("inc", "eu", "correctness", "j", True, None, 30),
            ("inc", "eu", "correctness", "j", False, None, 60),
            ("inc", "eu", "correctness", None, None, True, 5),
            ("inc", "us", "correctness", "j", True, None, 70),
            ("inc", "us", "correctness", "j", False, None, 30),
            ("cand", "eu", "correctness", "j", True, None, 10),
            ("cand", "eu", "correctness", "j", False, None, 10),
            ("cand", "eu", "correctness", "other", True, True, 3),
        ],
        columns=COUNTS_COLUMNS,
    )
    # 'ap' carries traffic nobody was evaluated on: shares are renormalised over each model's
    # regions. Raw weights (not shares) must be normalised too.
    traffic = pd.DataFrame({"region": ["eu", "us", "ap"], "traffic_weight": [10.0, 30.0, 60.0]})
    return draws, counts, traffic


def test_quality_post_stratifies_each_draw_with_renormalised_traffic_shares():
    draws, counts, traffic = quality_inputs()
    out = summarise_quality(as_read_back(draws), counts, traffic, MODELS)
    assert list(out.columns) == QUALITY_COLUMNS
    out = out.set_index(["model_id", "region"])

    # inc has eu (0.1 of traffic) and us (0.3): renormalised to 0.25 / 0.75.
    expected = 0.25 * np.array(INC_EU) + 0.75 * np.array(INC_US)
    inc_all = out.loc[("inc", "ALL")]
    assert inc_all["posterior_mean"] == pytest.approx(expected.mean())
    assert inc_all["posterior_sd"] == pytest.approx(expected.std(ddof=1))
    # With 4 draws a 95% HDI spans all of them.
    assert (inc_all["hdi_low"], inc_all["hdi_high"]) == pytest.approx((0.4, 0.475))
    # cand has eu only: its overall rate is its eu rate.
    assert out.loc[("cand", "ALL"), "posterior_mean"] == pytest.approx(np.mean(CAND_EU))
    assert out.loc[("cand", "ALL"), "model_role"] == "candidate"
    assert out.loc[("inc", "eu"), "posterior_mean"] == pytest.approx(0.25)


def test_quality_counts_and_observed_rates():
    draws, counts, traffic = quality_inputs()
    out = summarise_quality(draws, counts, traffic, MODELS).set_index(["model_id", "region"])
    eu = out.loc[("inc", "eu")]
    assert (eu["n_traces"], eu["n_judged"], eu["n_human_labeled"]) == (105, 100, 15)
    assert eu["judge_positive_rate"] == pytest.approx(36 / 100)
    assert eu["human_positive_rate"] == pytest.approx(11 / 15)
    inc_all = out.loc[("inc", "ALL")]
    assert (inc_all["n_traces"], inc_all["n_judged"], inc_all["n_human_labeled"]) == (205, 200, 15)
    # weighted like the posterior (eu 0.25, us 0.75), not pooled (106 / 200); the human rate
    # is undefined overall, since us has traffic but no labels
    assert inc_all["judge_positive_rate"] == pytest.approx(0.25 * 36 / 100 + 0.75 * 70 / 100)
    assert pd.isna(inc_all["human_positive_rate"])
    assert out.loc[("cand", "ALL"), "judge_positive_rate"] == pytest.approx(10 / 20)
    # cand: judge 'j' has the most verdicts, so 'other' (a labelled pair) does not count here.
    cand = out.loc[("cand", "eu")]
    assert (cand["n_traces"], cand["n_judged"], cand["n_human_labeled"]) == (20, 20, 0)
    assert pd.isna(cand["human_positive_rate"])
    assert (out["run_id"] == "run-x").all()
    assert str(out["computed_at"].dt.tz) == "UTC"


def test_quality_leaves_out_the_overall_row_of_a_model_without_traffic():
    # Production traffic is in us only; cand was evaluated in eu alone (say a trial in a new
    # region): its overall figure is undefined, and the other models' rows are unaffected.
    draws, counts, _ = quality_inputs()
    traffic = pd.DataFrame({"region": ["us"], "traffic_share": [1.0]})
    out = summarise_quality(draws, counts, traffic, MODELS).set_index(["model_id", "region"])
    assert ("cand", "ALL") not in out.index
    assert ("cand", "eu") in out.index
    assert out.loc[("inc", "ALL"), "posterior_mean"] == pytest.approx(np.mean(INC_US))


# --------------------------------------------------------------------------------------------
# compare_to_incumbent
# --------------------------------------------------------------------------------------------

METRICS = {
    "correctness": {"direction": "higher_is_better", "margin": 0.02},
    "refusal": {"direction": "lower_is_better", "margin": 0.02},
}


def comparison_draws():
    inc_refusal = np.array([0.10, 0.10, 0.10, 0.10])
    cand_refusal = np.array([0.13, 0.11, 0.09, 0.08])  # incumbent - candidate: -.03 -.01 .01 .02
    return make_draws(
        theta={
            ("inc", "eu", "refusal"): [inc_refusal],
            ("cand", "eu", "refusal"): [cand_refusal],
            ("inc", "us", "refusal"): [inc_refusal],
            ("cand", "us", "refusal"): [inc_refusal - 0.04],  # clearly better in us
            ("inc", "eu", "correctness"): [[0.5, 0.6, 0.7, 0.8]],
            ("cand", "eu", "correctness"): [[0.6, 0.6, 0.6, 0.6]],
            ("inc", "us", "correctness"): [[0.5, 0.5, 0.5, 0.5]],
        }
    )


def test_comparison_orientation_margins_and_probabilities():
    traffic = pd.DataFrame({"region": ["eu", "us"], "traffic_share": [0.5, 0.5]})
    out = compare_to_incumbent(as_read_back(comparison_draws()), traffic, MODELS, METRICS)
    assert list(out.columns) == COMPARISON_COLUMNS
    out = out.set_index(["metric", "region"])

    eu = out.loc[("refusal", "eu")]
    assert eu["diff_mean"] == pytest.approx(np.mean([-0.03, -0.01, 0.01, 0.02]))
    assert eu["prob_better"] == pytest.approx(0.5)
    assert eu["prob_noninferior"] == pytest.approx(0.75)
    assert eu["prob_worse_beyond_margin"] == pytest.approx(0.25)
    assert (eu["diff_hdi_low"], eu["diff_hdi_high"]) == pytest.approx((-0.03, 0.02))
    assert (eu["candidate_model_id"], eu["incumbent_model_id"], eu["margin"]) == (
        "cand",
        "inc",
        0.02,
    )
    assert out.loc[("refusal", "us"), "diff_mean"] == pytest.approx(0.04)
    assert out.loc[("refusal", "us"), "prob_better"] == 1.0
    overall = out.loc[("refusal", "ALL")]
    assert overall["diff_mean"] == pytest.approx(0.5 * eu["diff_mean"] + 0.5 * 0.04)

    # correctness: candidate - incumbent, paired by draw; only eu is common to both models.
    assert out.loc[("correctness", "eu"), "diff_mean"] == pytest.approx(-0.05)
    assert out.loc[("correctness", "eu"), "prob_better"] == pytest.approx(0.25)
    assert ("correctness", "us") not in out.index
    assert out.loc[("correctness", "ALL"), "diff_mean"] == pytest.approx(-0.05)


def test_comparison_without_traffic_in_the_common_regions_has_no_overall_row():
    # Traffic in us only. correctness: the models share eu alone, so there is no overall
    # comparison (not a crash that would take every candidate's verdict with it); refusal:
    # the overall difference is the us difference.
    traffic = pd.DataFrame({"region": ["us"], "traffic_share": [1.0]})
    out = compare_to_incumbent(comparison_draws(), traffic, MODELS, METRICS)
    out = out.set_index(["metric", "region"])
    assert ("correctness", "eu") in out.index and ("correctness", "ALL") not in out.index
    assert out.loc[("refusal", "ALL"), "diff_mean"] == pytest.approx(0.04)
    assert out.loc[("refusal", "eu"), "diff_mean"] == pytest.approx(
        np.mean([-0.03, -0.01, 0.01, 0.02])
    )


def test_comparison_needs_config_for_every_metric():
    traffic = pd.DataFrame({"region": ["eu", "us"], "traffic_share": [0.5, 0.5]})
    bad = {"refusal": {"direction": "down", "margin": -1}}
    with pytest.raises(ValueError) as excinfo:
        compare_to_incumbent(comparison_draws(), traffic, MODELS, bad)
    message = str(excinfo.value)
    assert "'correctness'" in message and "direction" in message and "margin" in message


# --------------------------------------------------------------------------------------------
# summarise_judge_calibration
# --------------------------------------------------------------------------------------------


def test_traffic_weighted_kappa_by_hand():
    # With q the pairs' own judged-positive share (25/50), the pairs' table is the traffic's:
    # p_o = 35/50, p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5 -> kappa = 0.4
    assert traffic_weighted_kappa(20, 5, 10, 15, 0.5) == pytest.approx(0.4)
    assert traffic_weighted_kappa(10, 0, 0, 10, 0.3) == pytest.approx(1.0)
    assert np.isnan(traffic_weighted_kappa(0, 0, 0, 0, 0.5))  # no pairs
    assert np.isnan(traffic_weighted_kappa(10, 5, 0, 0, 0.5))  # no pair where the judge says no
    # the judge always says yes and so do the humans: chance agreement 1
    assert np.isnan(traffic_weighted_kappa(7, 0, 0, 0, 1.0))


def test_traffic_weighted_kappa_recovers_the_traffic_under_verdict_stratified_labels():
    """Labels drawn 150 per judge verdict from traffic where the judge says yes 10% of the time.

    Traffic: theta = 0.3, Se = 0.6, Sp = 0.95, so q = 0.3 * 0.6 + 0.7 * 0.05 = 0.215 and the
    traffic's kappa is computed from its exact 2x2 table. The stratified sample holds half
    positive verdicts, so the pairs' own kappa describes another population.
    """
    theta, se, sp = 0.3, 0.6, 0.95
    p11, p01 = theta * se, theta * (1 - se)
    p10, p00 = (1 - theta) * (1 - sp), (1 - theta) * sp
    q = p11 + p10
    truth = float(drift.cohen_kappa(p11, p01, p00, p10))
    ppv, npv = p11 / q, p00 / (1 - q)
    rng = np.random.default_rng(3)
    n, reps = 150, 400
    n11 = rng.binomial(n, ppv, reps)
    n00 = rng.binomial(n, npv, reps)
    weighted = traffic_weighted_kappa(n11, n - n11, n - n00, n00, q)
    raw = drift.cohen_kappa(n11, n - n00, n00, n - n11)
    # Mean of 400 replicates: its standard error is sd / 20; allow 4 of them.
    tolerance = 4 * weighted.std(ddof=1) / np.sqrt(reps)
    assert abs(weighted.mean() - truth) < tolerance, (weighted.mean(), truth, tolerance)
    # The pairs' own kappa estimates the half-and-half sample's, which the test tells apart.
    sample = float(drift.cohen_kappa(ppv / 2, (1 - npv) / 2, npv / 2, (1 - ppv) / 2))
    assert abs(sample - truth) > 4 * tolerance
    assert abs(raw.mean() - sample) < 4 * raw.std(ddof=1) / np.sqrt(reps)


def test_judge_calibration_summary():
    draws = make_draws(
        sensitivity={
            ("j", "inc", "correctness"): [[0.8, 0.9]],
            ("j", "cand", "correctness"): [[0.7, 0.7]],
        },
        specificity={
            ("j", "inc", "correctness"): [[0.6, 0.8]],
            ("j", "cand", "correctness"): [[0.5, 0.7]],
        },
    )
    counts = pd.DataFrame(
        [
            ("inc", "eu", "correctness", "j", True, True, 12),
            ("inc", "us", "correctness", "j", True, True, 8),
            ("inc", "eu", "correctness", "j", True, False, 5),
            ("inc", "eu", "correctness", "j", False, True, 10),
            ("inc", "us", "correctness", "j", False, False, 15),
            ("inc", "us", "correctness", "j", False, None, 400),
            ("inc", "us", "correctness", None, None, True, 9),
            ("cand", "eu", "correctness", "j", True, None, 100),
        ],
        columns=COUNTS_COLUMNS,
    ).astype({"is_human_positive": "boolean", "is_judge_positive": "boolean"})
    out = summarise_judge_calibration(as_read_back(draws), counts)
    assert list(out.columns) == JUDGE_CALIBRATION_COLUMNS
    out = out.set_index("model_id")
    inc = out.loc["inc"]
    assert inc["n_pairs"] == 50
    # PPV 20/25, NPV 15/25 from the pairs; the judge says yes on 25 of its 450 verdicts
    assert inc["cohen_kappa"] == pytest.approx(
        traffic_weighted_kappa(20, 5, 10, 15, 25 / 450), rel=1e-12
    )
    assert 0 < inc["cohen_kappa"] < 0.2  # the pairs alone: 0.4
    assert inc["sensitivity_mean"] == pytest.approx(0.85)
    assert inc["specificity_mean"] == pytest.approx(0.7)
    assert (inc["specificity_hdi_low"], inc["specificity_hdi_high"]) == pytest.approx((0.6, 0.8))
    assert out.loc["cand", "n_pairs"] == 0 and pd.isna(out.loc["cand", "cohen_kappa"])


# --------------------------------------------------------------------------------------------
# sampler_diagnostics
# --------------------------------------------------------------------------------------------


def test_diagnostics_trust_well_mixed_chains_and_name_every_failure():
    rng = np.random.default_rng(0)
    good = {("inc", r, "correctness"): rng.normal(0.5, 0.05, (4, 500)) for r in ("eu", "us")}
    out = sampler_diagnostics(make_draws(theta=good, diverging=np.zeros((4, 500))))
    assert list(out.columns) == DIAGNOSTICS_COLUMNS
    row = out.iloc[0]
    assert (row["chains"], row["draws"], row["n_divergences"]) == (4, 500, 0)
    assert row["max_r_hat"] < 1.01 and row["min_ess_bulk"] > 1000
    assert bool(row["is_trusted"]) and row["untrusted_reason"] is None
    assert (row["sampler"], row["fit_seconds"]) == ("pymc", 1.5)

    stuck = dict(good)
    stuck[("inc", "eu", "correctness")] = (
        stuck[("inc", "eu", "correctness")] + np.arange(4)[:, None]
    )
    diverging = np.zeros((4, 500))
    diverging[1, :3] = 1
    row = sampler_diagnostics(make_draws(theta=stuck, diverging=diverging)).iloc[0]
    assert not row["is_trusted"] and row["n_divergences"] == 3
    for part in ("r_hat", "ESS", "3 divergent"):
        assert part in row["untrusted_reason"]
    relaxed = sampler_diagnostics(
        make_draws(theta=good, diverging=diverging), thresholds={"max_divergences": 5}
    ).iloc[0]
    assert bool(relaxed["is_trusted"])


def test_diagnostics_distrust_draws_without_a_divergence_record():
    # Missing divergence rows used to count as zero divergences, and the fit as trusted.
    rng = np.random.default_rng(2)
    good = {("inc", r, "correctness"): rng.normal(0.5, 0.05, (4, 500)) for r in ("eu", "us")}
    row = sampler_diagnostics(make_draws(theta=good)).iloc[0]
    assert not row["is_trusted"]
    assert "divergent transitions recorded for 0 of 2000 draws" in row["untrusted_reason"]
    partial = make_draws(theta=good, diverging=np.zeros((4, 500)))
    partial = partial.drop(partial.index[partial["quantity"] == "diverging"][:10])
    row = sampler_diagnostics(partial).iloc[0]
    assert not row["is_trusted"] and "1990 of 2000" in row["untrusted_reason"]


def test_diagnostics_distrust_a_degenerate_resampling_of_a_model_without_labels():
    rng = np.random.default_rng(1)
    theta = {("cand", r, "correctness"): rng.normal(0.5, 0.05, (4, 500)) for r in ("eu", "us")}

    def with_importance(ess):
        draws = make_draws(theta=theta, diverging=np.zeros((4, 500)))
        rows = draws[draws["quantity"] == "diverging"].assign(
            quantity="importance_ess", model_id="cand", metric="correctness", judge_id="j"
        )
        return pd.concat([draws, rows.assign(value=ess.ravel())], ignore_index=True)

    healthy = np.full((4, 500), 60.0)
    healthy[:, :200] = 2.0  # a minority of thin draws does not matter: the median does
    assert bool(sampler_diagnostics(with_importance(healthy)).iloc[0]["is_trusted"])
    thin = np.full((4, 500), 3.0)
    row = sampler_diagnostics(with_importance(thin)).iloc[0]
    assert not row["is_trusted"]
    assert "cand has no human labels on correctness" in row["untrusted_reason"]
    assert "median importance ESS 3.0 < 10" in row["untrusted_reason"]
    relaxed = sampler_diagnostics(with_importance(thin), thresholds={"min_importance_ess": 2})
    assert bool(relaxed.iloc[0]["is_trusted"])


# --------------------------------------------------------------------------------------------
# End to end on a real (tiny) fit
# --------------------------------------------------------------------------------------------


def test_summaries_of_a_real_fit():
    counts = pd.DataFrame(
        [
            (m, r, k, "j", jp, hp, n)
            for m in ("inc", "cand")
            for r in ("eu", "us")
            for k in ("correctness", "refusal")
            for jp, hp, n in [
                (True, True, 20),
                (True, False, 3),
                (False, True, 2),
                (False, False, 10),
                (True, None, 200),
                (False, None, 90),
            ]
        ]
        # a second judge on a few labelled traces (same graph structure as the other test fits,
        # so PyTensor's compile cache is shared)
        + [
            ("inc", "eu", "correctness", "k", True, True, 8),
            ("inc", "eu", "correctness", "k", False, False, 4),
        ],
        columns=COUNTS_COLUMNS,
    )
    config = CalibrationConfig(draws=100, tune=100, chains=2, random_seed=2)
    draws = posterior_draws_long(fit_calibration_model(counts, MODELS, config), "e2e")
    traffic = pd.DataFrame({"region": ["eu", "us"], "traffic_share": [0.4, 0.6]})
    quality = summarise_quality(draws, counts, traffic, MODELS)
    assert len(quality) == 2 * 3 * 2 and quality["hdi_low"].lt(quality["hdi_high"]).all()
    comparisons = compare_to_incumbent(draws, traffic, MODELS, METRICS)
    assert set(comparisons["region"]) == {"eu", "us", "ALL"}
    judges = summarise_judge_calibration(draws, counts)
    assert judges.set_index(["judge_id", "model_id", "metric"])["n_pairs"].to_dict() == {
        ("j", "cand", "correctness"): 70,
        ("j", "cand", "refusal"): 70,
        ("j", "inc", "correctness"): 70,
        ("j", "inc", "refusal"): 70,
        ("k", "inc", "correctness"): 12,
    }
    diagnostics = sampler_diagnostics(draws)
    assert diagnostics.loc[0, "chains"] == 2 and diagnostics.loc[0, "draws"] == 100
    assert isinstance(diagnostics.loc[0, "is_trusted"], (bool, np.bool_))


# --------------------------------------------------------------------------------------------
# Own-evidence probability of a regional regression
# --------------------------------------------------------------------------------------------

SE, SP = 0.9, 0.85


def _judged(model, region, n, theta):
    """Judged counts whose positive share is exactly what theta implies (no labels)."""
    q = theta * SE + (1 - theta) * (1 - SP)
    positive = round(n * q)
    return [
        (model, region, "correctness", "j", True, None, positive),
        (model, region, "correctness", "j", False, None, n - positive),
    ]


def _exact_own_rate(n, positive, size, rng):
    """Exact draws of theta given J of T judged positive, known Se/Sp, flat prior on theta:
    q = theta Se + (1 - theta)(1 - Sp) is then Beta(J + 1, T - J + 1) truncated to [1 - Sp, Se]."""
    from scipy import stats

    beta = stats.beta(positive + 1, n - positive + 1)
    low, high = beta.cdf(1 - SP), beta.cdf(SE)
    q = beta.ppf(low + (high - low) * rng.random(size))
    return (q - (1 - SP)) / (SE + SP - 1)


def test_own_evidence_keeps_a_small_regions_regression_that_pooling_hides():
    # Pooled draws say the candidate is 3 points better everywhere (what partial pooling does to
    # a region of 1% of the traffic); the small region's own judged counts say 8 points worse.
    rng = np.random.default_rng(5)
    shape = (2, 1000)
    theta = {}
    for region in ("us", "latam"):
        theta[("inc", region, "correctness")] = rng.normal(0.80, 0.01, shape)
        theta[("cand", region, "correctness")] = rng.normal(0.83, 0.01, shape)
    judged = [("j", model, "correctness") for model in ("inc", "cand")]
    sensitivity = {key: np.full(shape, SE) for key in judged}  # the judge's error, known
    specificity = {key: np.full(shape, SP) for key in judged}
    draws = make_draws(theta=theta, sensitivity=sensitivity, specificity=specificity)
    counts = pd.DataFrame(
        _judged("inc", "us", 6000, 0.80)
        + _judged("cand", "us", 6000, 0.83)
        + _judged("inc", "latam", 100, 0.80)
        + _judged("cand", "latam", 100, 0.72),
        columns=COUNTS_COLUMNS,
    )
    traffic = pd.DataFrame({"region": ["us", "latam"], "traffic_share": [0.99, 0.01]})
    out = compare_to_incumbent(
        as_read_back(draws),
        traffic,
        MODELS,
        {"correctness": METRICS["correctness"]},
        counts=counts,
    ).set_index("region")
    # The pooled probability clears latam; its own data do not.
    assert out.loc["latam", "prob_worse_beyond_margin"] < 0.01
    # Exact own-data probability by independent sampling (truncated Beta); the package's
    # estimate comes from 2,000 draws, so its Monte Carlo sd is at most 0.011: allow 4 sd.
    exact_rng = np.random.default_rng(11)
    n_exact = 400_000
    for region, n, cand_rate in (("latam", 100, 0.72), ("us", 6000, 0.83)):
        cand = _exact_own_rate(
            n, round(n * (cand_rate * SE + (1 - cand_rate) * (1 - SP))), n_exact, exact_rng
        )
        inc = _exact_own_rate(n, round(n * (0.80 * SE + 0.2 * (1 - SP))), n_exact, exact_rng)
        exact = float(((cand - inc) < -0.02).mean())
        assert out.loc[region, "prob_worse_own_evidence"] == pytest.approx(exact, abs=0.045)
    assert out.loc["latam", "prob_worse_own_evidence"] > 0.5
    assert out.loc["us", "prob_worse_own_evidence"] < 0.01
    assert pd.isna(out.loc["ALL", "prob_worse_own_evidence"])
    # Without counts the column is null (and the regional gate does not clear on it).
    bare = compare_to_incumbent(draws, traffic, MODELS, {"correctness": METRICS["correctness"]})
    assert bare["prob_worse_own_evidence"].isna().all()


def test_own_evidence_from_labels_alone_is_the_beta_posterior():
    # A cell with labels on unjudged traces only: theta | data ~ Beta(1 + H, 1 + L - H).
    from scipy import stats

    from llm_migration.posteriors import own_evidence_theta

    shape = (4, 1000)
    draws = make_draws(theta={("inc", "eu", "correctness"): np.full(shape, 0.5)})
    counts = pd.DataFrame(
        [
            ("inc", "eu", "correctness", None, None, True, 30),
            ("inc", "eu", "correctness", None, None, False, 10),
        ],
        columns=COUNTS_COLUMNS,
    )
    sample = own_evidence_theta(draws, counts)[("inc", "eu", "correctness")].ravel()
    exact = stats.beta(31, 11)
    # 4,000 draws: the sd of a tail share is at most 0.008; allow 4 sd.
    for x in (0.65, 0.75, 0.8):
        assert (sample < x).mean() == pytest.approx(exact.cdf(x), abs=0.032)
    # Seeded per cell: the same inputs give the same draws.
    again = own_evidence_theta(draws, counts)[("inc", "eu", "correctness")].ravel()
    assert np.array_equal(sample, again)
