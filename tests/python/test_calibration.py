"""Tests of the judge-calibration model: real PyMC sampling with tiny draws and fixed seeds.

Compile cache: PyTensor's default per-user cache (~/.pytensor) is left in place, and a
``PYTENSOR_FLAGS=base_compiledir=...`` set by CI (to keep the cache between runs) is respected.
Every fit in these tests has the same graph structure (several models, regions and metrics, a
secondary judge), so a cold cache costs one compilation and the later fits reuse it; nothing
here has a timeout that a slow cold compile could trip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from llm_migration.calibration import (
    COUNTS_COLUMNS,
    DRAWS_LONG_COLUMNS,
    CalibrationConfig,
    _log_beta_mass,
    _resample_unlabelled,
    _truncated_beta,
    cell_evidence,
    fit_calibration_model,
    fit_run_id,
    posterior_draws_long,
    resolve_primary_judges,
)

REGIONS = ["ap", "eu", "us"]
METRICS = ["correctness", "refusal"]
# (model_id, role, judge specificity, number of human labels per cell)
MODELS = [
    ("inc", "incumbent", 0.90, 60),
    ("cand_fair", "candidate", 0.90, 60),
    ("cand_flattered", "candidate", 0.55, 60),  # the judge is lenient with its own family
    ("cand_unlabeled", "candidate", 0.90, 0),
]
FAST = CalibrationConfig(draws=250, tune=300, chains=2, random_seed=7)


def simulate_counts(
    seed: int = 11, n_traces: int = 600, n_unjudged: int = 8, models=MODELS, regions=REGIONS
):
    """Counts from a known truth: every trace judged, a random subset human-labelled.

    Returns counts, models and the true theta per (model_id, region, metric).
    """
    rng = np.random.default_rng(seed)
    rows, truth = [], []
    for model_id, _, specificity, n_labels in models:
        for metric in METRICS:
            base = rng.normal(0.8 if metric == "correctness" else -1.5, 0.4)
            sensitivity = 0.88
            for region in regions:
                theta = 1 / (1 + np.exp(-(base + rng.normal(0, 0.3))))
                truth.append((model_id, region, metric, theta))
                human = rng.random(n_traces) < theta
                judge = np.where(
                    human, rng.random(n_traces) < sensitivity, rng.random(n_traces) > specificity
                )
                labeled = np.zeros(n_traces, dtype=bool)
                labeled[rng.choice(n_traces, n_labels, replace=False)] = True
                for jp in (True, False):
                    for hp in (True, False, None):
                        mask = judge == jp
                        mask &= ~labeled if hp is None else labeled & (human == hp)
                        rows.append((model_id, region, metric, "judge_a", jp, hp, int(mask.sum())))
                if metric == "correctness":
                    # A second, stricter judge re-scores the labelled traces only: it is
                    # calibrated on those pairs and must not count the labels again for theta.
                    second = np.where(
                        human, rng.random(n_traces) < 0.7, rng.random(n_traces) > 0.97
                    )
                    for jp in (True, False):
                        for hp in (True, False):
                            mask = labeled & (second == jp) & (human == hp)
                            rows.append(
                                (model_id, region, metric, "judge_b", jp, hp, int(mask.sum()))
                            )
                if n_labels:
                    extra = rng.random(n_unjudged) < theta
                    for hp in (True, False):
                        rows.append(
                            (model_id, region, metric, None, None, hp, int((extra == hp).sum()))
                        )
    counts = pd.DataFrame(rows, columns=list(COUNTS_COLUMNS))
    counts = counts[counts["n_traces"] > 0].reset_index(drop=True)
    models = pd.DataFrame([(m, r) for m, r, _, _ in models], columns=["model_id", "model_role"])
    truth = pd.DataFrame(truth, columns=["model_id", "region", "metric", "true_theta"])
    return counts, models, truth


@pytest.fixture(scope="module")
def simulated():
    return simulate_counts()


@pytest.fixture(scope="module")
def fitted(simulated):
    counts, models, _ = simulated
    fit = fit_calibration_model(counts, models, FAST)
    return fit, posterior_draws_long(fit, "run-1")


def _theta_summary(draws: pd.DataFrame) -> pd.DataFrame:
    theta = draws[draws["quantity"] == "theta"]
    rows = []
    for (model_id, region, metric), g in theta.groupby(["model_id", "region", "metric"]):
        low, high = np.quantile(g["value"], [0.025, 0.975])
        rows.append((model_id, region, metric, g["value"].mean(), low, high))
    return pd.DataFrame(rows, columns=["model_id", "region", "metric", "mean", "low", "high"])


# --------------------------------------------------------------------------------------------
# Fit on simulated data
# --------------------------------------------------------------------------------------------


def test_true_rates_are_recovered(simulated, fitted):
    _, _, truth = simulated
    _, draws = fitted
    summary = _theta_summary(draws).merge(truth, on=["model_id", "region", "metric"])
    covered = (
        (summary["low"] <= summary["true_theta"]) & (summary["true_theta"] <= summary["high"])
    ).sum()
    # With 24 cells and honest 95% intervals, P(covered >= 20) = 0.994 under Binomial(24, 0.95)
    # (scipy.stats.binom.sf(19, 24, 0.95)): a failure means miscalibration, not bad luck.
    assert len(summary) == 24
    assert covered >= 20, summary


def test_flattered_model_is_corrected_towards_the_truth(simulated, fitted):
    counts, _, truth = simulated
    _, draws = fitted
    cells = cell_evidence(counts)
    cells["naive"] = cells["n_judged_positive"] / cells["n_judged"]
    summary = (
        _theta_summary(draws)
        .merge(truth, on=["model_id", "region", "metric"])
        .merge(cells, on=["model_id", "region", "metric"])
    )
    flattered = summary[summary["model_id"] == "cand_flattered"]
    posterior_error = (flattered["mean"] - flattered["true_theta"]).abs().mean()
    naive_error = (flattered["naive"] - flattered["true_theta"]).abs().mean()
    assert posterior_error < naive_error / 2, (posterior_error, naive_error)


def test_model_without_labels_gets_wider_intervals(fitted):
    _, draws = fitted
    summary = _theta_summary(draws)
    width = (summary["high"] - summary["low"]).groupby(summary["model_id"]).mean()
    assert width["cand_unlabeled"] > 1.5 * width["cand_fair"], width
    assert width["cand_unlabeled"] < 0.9  # still informed by the pooled judge error rates


def test_secondary_judge_is_calibrated_on_its_labelled_pairs(fitted):
    _, draws = fitted
    judge_b = draws[draws["judge_id"] == "judge_b"].groupby("quantity")["value"].mean()
    assert judge_b["sensitivity"] == pytest.approx(0.70, abs=0.1)
    assert judge_b["specificity"] == pytest.approx(0.97, abs=0.05)


def test_judge_is_better_than_chance_in_every_draw(fitted):
    fit, _ = fitted
    posterior = fit.idata.posterior
    youden = posterior["sensitivity"] + posterior["specificity"] - 1
    assert float(youden.min()) > 0


def test_draws_long_layout(simulated, fitted):
    counts, _, _ = simulated
    fit, draws = fitted
    assert list(draws.columns) == list(DRAWS_LONG_COLUMNS)
    assert set(draws["quantity"]) == {
        "theta",
        "sensitivity",
        "specificity",
        "diverging",
        "importance_ess",
    }
    per_key = FAST.chains * FAST.draws
    theta = draws[draws["quantity"] == "theta"]
    assert len(theta) == 24 * per_key
    assert theta["judge_id"].isna().all()
    se = draws[draws["quantity"] == "sensitivity"]
    # judge_a scores every model on both metrics, judge_b the labelled models on correctness.
    assert len(se) == (len(MODELS) * len(METRICS) + 3) * per_key
    assert se["region"].isna().all()
    assert set(se.loc[se["judge_id"] == "judge_b", "model_id"]) == {
        "inc",
        "cand_fair",
        "cand_flattered",
    }
    div = draws[draws["quantity"] == "diverging"]
    assert len(div) == per_key
    assert div[["model_id", "region", "metric", "judge_id"]].isna().all().all()
    assert set(div["value"]) <= {0.0, 1.0}
    # the model without human labels is drawn by importance resampling, per metric
    ess = draws[draws["quantity"] == "importance_ess"]
    assert len(ess) == len(METRICS) * per_key
    assert set(ess["model_id"]) == {"cand_unlabeled"} and set(ess["metric"]) == set(METRICS)
    assert ess["region"].isna().all() and (ess["judge_id"] == "judge_a").all()
    assert ess["value"].between(1.0, FAST.unlabelled_proposals + 1e-9).all()
    assert (draws["run_id"] == "run-1").all() and (draws["sampler"] == "pymc").all()
    assert (draws["fit_seconds"] == fit.fit_seconds).all() and fit.fit_seconds > 0
    assert (
        draws.groupby(
            ["quantity", "model_id", "region", "metric", "judge_id", "chain", "draw"], dropna=False
        )
        .size()
        .max()
        == 1
    )


# --------------------------------------------------------------------------------------------
# Several judges, nullable dtypes, nutpie
# --------------------------------------------------------------------------------------------


def _small_problem():
    """Two models x two regions x two metrics; judge_b scores only a labelled subset.

    Same graph structure as the simulated problem (several models and regions, a secondary
    judge), so PyTensor's compile cache serves every fit in this file after the first.
    """
    eu = [
        ("inc", "eu", "correctness", "judge_a", True, True, 30),
        ("inc", "eu", "correctness", "judge_a", True, False, 4),
        ("inc", "eu", "correctness", "judge_a", False, True, 3),
        ("inc", "eu", "correctness", "judge_a", False, False, 13),
        ("inc", "eu", "correctness", "judge_a", True, None, 300),
        ("inc", "eu", "correctness", "judge_a", False, None, 150),
        ("inc", "eu", "correctness", None, None, True, 5),
        ("inc", "eu", "correctness", None, None, False, 2),
        ("inc", "eu", "correctness", "judge_b", True, True, 20),
        ("inc", "eu", "correctness", "judge_b", False, False, 10),
        ("inc", "eu", "correctness", "judge_b", True, False, 5),
        ("cand", "eu", "correctness", "judge_a", True, True, 25),
        ("cand", "eu", "correctness", "judge_a", False, False, 15),
        ("cand", "eu", "correctness", "judge_a", True, None, 250),
        ("cand", "eu", "correctness", "judge_a", False, None, 200),
    ]
    # A second metric keeps every dim longer than one, like the simulated problem.
    refusal = [
        (m, r, "refusal", "judge_a", jp, hp, n)
        for m in ("inc", "cand")
        for r in ("eu", "us")
        for jp, hp, n in [(True, True, 4), (False, False, 20), (False, None, 150)]
    ]
    us = [
        ("inc", "us", "correctness", "judge_a", True, True, 12),
        ("inc", "us", "correctness", "judge_a", False, False, 9),
        ("inc", "us", "correctness", "judge_a", True, None, 100),
        ("inc", "us", "correctness", "judge_a", False, None, 80),
        ("cand", "us", "correctness", "judge_a", True, None, 120),
        ("cand", "us", "correctness", "judge_a", False, None, 70),
    ]
    counts = pd.DataFrame(
        eu + us + refusal,
        columns=[
            "model_id",
            "region",
            "metric",
            "judge_id",
            "is_judge_positive",
            "is_human_positive",
            "n_traces",
        ],
    )
    models = pd.DataFrame({"model_id": ["inc", "cand"], "model_role": ["incumbent", "candidate"]})
    return counts, models


def test_primary_judge_defaults_to_most_verdicts_and_can_be_overridden():
    counts, _ = _small_problem()
    assert resolve_primary_judges(counts) == {"correctness": "judge_a", "refusal": "judge_a"}
    assert resolve_primary_judges(counts, {"correctness": "judge_b"}) == {
        "correctness": "judge_b",
        "refusal": "judge_a",
    }
    with pytest.raises(ValueError, match="judge_c"):
        resolve_primary_judges(counts, {"correctness": "judge_c"})


def test_cell_evidence_counts_only_the_primary_judge():
    counts, _ = _small_problem()
    evidence = cell_evidence(counts).set_index(["model_id", "region", "metric"])
    inc = evidence.loc[("inc", "eu", "correctness")]
    assert inc["judge_id"] == "judge_a"
    assert inc["n_judged"] == 500 and inc["n_judged_positive"] == 334
    assert (inc["n_labeled_judged_positive"], inc["n_human_positive_judged_positive"]) == (34, 30)
    assert (inc["n_labeled_judged_negative"], inc["n_human_positive_judged_negative"]) == (16, 3)
    assert (inc["n_labeled_unjudged"], inc["n_human_positive_unjudged"]) == (7, 5)


def test_nullable_dtypes_and_secondary_judge_fit():
    counts, models = _small_problem()
    counts = counts.astype(
        {
            "judge_id": "string",
            "is_judge_positive": "boolean",
            "is_human_positive": "boolean",
            "n_traces": "Int64",
            "model_id": "string",
        }
    )
    config = CalibrationConfig(draws=100, tune=100, chains=2, random_seed=1)
    fit = fit_calibration_model(counts, models, config)
    draws = posterior_draws_long(fit, "r")
    se = draws[draws["quantity"] == "sensitivity"]
    assert set(se["judge_id"]) == {"judge_a", "judge_b"}
    assert set(zip(se["judge_id"], se["model_id"], strict=True)) == {
        ("judge_a", "inc"),
        ("judge_a", "cand"),
        ("judge_b", "inc"),
    }
    assert fit.primary_judge == {"correctness": "judge_a", "refusal": "judge_a"}


def test_same_seed_gives_identical_draws():
    counts, models = _small_problem()
    config = CalibrationConfig(draws=100, tune=100, chains=2, random_seed=3)
    first = posterior_draws_long(fit_calibration_model(counts, models, config), "r")
    # Row order of the input must not matter either.
    shuffled = counts.sample(frac=1.0, random_state=3).reset_index(drop=True)
    second = posterior_draws_long(fit_calibration_model(shuffled, models, config), "r")
    pd.testing.assert_frame_equal(
        first.drop(columns="fit_seconds"), second.drop(columns="fit_seconds")
    )


def test_divergent_fit_is_sampled_again_with_smaller_steps(simulated):
    """A divergence marks a fit untrusted, so a divergent first fit is resampled once.

    target_accept 0.6 takes steps too large for this posterior: the first fit diverges (41 of
    200 transitions with this seed); at 0.95 the second must diverge less, and it is the one
    kept. With the retry switched off the same first fit is kept as it is.
    """
    counts, models, _ = simulated
    config = CalibrationConfig(
        draws=100, tune=100, chains=2, random_seed=5, target_accept=0.6, retry_target_accept=0.95
    )
    retried = fit_calibration_model(counts, models, config)
    kept = int(retried.idata.sample_stats["diverging"].sum())
    assert retried.first_fit_divergences > 0
    assert retried.target_accept == 0.95
    assert kept < retried.first_fit_divergences
    draws = posterior_draws_long(retried, "r")
    assert draws.loc[draws["quantity"] == "diverging", "value"].sum() == kept

    once = fit_calibration_model(counts, models, replace(config, retry_target_accept=None))
    assert once.target_accept == 0.6
    assert int(once.idata.sample_stats["diverging"].sum()) == retried.first_fit_divergences
    assert once.first_fit_divergences == retried.first_fit_divergences


def test_retry_target_accept_must_be_above_target_accept():
    for retry in (0.9, 0.5, 1.0):
        problems = CalibrationConfig(target_accept=0.9, retry_target_accept=retry).problems()
        assert any("retry_target_accept" in p for p in problems), retry
    assert CalibrationConfig(retry_target_accept=None).problems() == []
    assert CalibrationConfig().problems() == []


# Compiles the calibration model in a fresh interpreter the way fit_calibration_model does and
# prints a digest of its gradient at a fixed point.
_GRADIENT_DIGEST = """
import hashlib
import numpy as np
from llm_migration import calibration, simulation
data = simulation.simulate(simulation.get_scenario("judge_error_differs_by_model"), seed=3)
config = calibration.CalibrationConfig()
rows, _, primary = calibration._validate(data.counts, data.models, config, None)
model = calibration.build_calibration_model(
    calibration._cell_evidence(rows, primary), calibration._calibration_pairs(rows, primary), config
)
with calibration._reproducible_compilation():
    function = model.logp_dlogp_function(ravel_inputs=True)
function.set_extra_values({})
size = sum(np.size(value) for value in model.initial_point().values())
_, gradient = function(np.linspace(-0.5, 0.5, size))
print(hashlib.sha256(gradient.tobytes()).hexdigest())
"""


def test_gradient_is_bitwise_identical_across_processes():
    """Two builds on the same counts run the fit in different processes and must agree exactly.

    With the C compiler free to contract multiply-adds, PyTensor's process-dependent loop fusion
    gave two different gradients (last bits) across 12 processes on this problem, in proportions
    of about 1:2, and NUTS turned that into different draws. Six processes all agreeing by chance
    would have probability (1/3)^6 + (2/3)^6 < 0.1 without the fix.
    """
    digests = set()
    for hash_seed in range(6):
        result = subprocess.run(
            [sys.executable, "-c", _GRADIENT_DIGEST],
            env={**os.environ, "PYTHONHASHSEED": str(hash_seed)},
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        )
        digests.add(result.stdout.strip().splitlines()[-1])
    assert len(digests) == 1, digests


@pytest.mark.slow  # numba compiles nutpie's model on every fit: over a minute on 2 cores
def test_nutpie_sampler_runs_and_is_deterministic():
    pytest.importorskip("nutpie")
    counts, models = _small_problem()
    config = CalibrationConfig(draws=100, tune=150, chains=2, random_seed=5, sampler="nutpie")
    first = posterior_draws_long(fit_calibration_model(counts, models, config), "r")
    second = posterior_draws_long(fit_calibration_model(counts, models, config), "r")
    assert (first["sampler"] == "nutpie").all()
    np.testing.assert_array_equal(first["value"].to_numpy(), second["value"].to_numpy())


# --------------------------------------------------------------------------------------------
# Validation and run ids (no sampling)
# --------------------------------------------------------------------------------------------


def test_every_input_problem_is_reported_at_once():
    counts, _ = _small_problem()
    counts.loc[0, "n_traces"] = -3
    counts.loc[1, "judge_id"] = None  # verdict without a judge
    counts = counts.drop(columns="region")
    models = pd.DataFrame(
        {"model_id": ["inc", "cand", "x"], "model_role": ["candidate", "candidate", "retired"]}
    )
    config = CalibrationConfig(draws=0, sampler="stan")
    with pytest.raises(ValueError) as excinfo:
        fit_calibration_model(counts, models, config)
    message = str(excinfo.value)
    for expected in [
        "missing columns ['region']",
        "no incumbent",
        "unknown roles ['retired']",
        "config.draws",
        "config.sampler",
    ]:
        assert expected in message, message

    counts, _ = _small_problem()
    counts.loc[0, "n_traces"] = -3
    counts.loc[1, "judge_id"] = None
    counts.loc[2, "model_id"] = "ghost"
    models = pd.DataFrame({"model_id": ["inc", "cand"], "model_role": ["incumbent", "incumbent"]})
    with pytest.raises(ValueError) as excinfo:
        fit_calibration_model(counts, models, primary_judge={"correctness": "nobody"})
    message = str(excinfo.value)
    for expected in [
        "negative",
        "exactly one of judge_id and is_judge_positive",
        "not in models: ['ghost']",
        "2 incumbents",
        "'nobody'",
    ]:
        assert expected in message, message


def test_empty_counts_are_rejected():
    _, models = _small_problem()
    empty = pd.DataFrame(
        columns=[
            "model_id",
            "region",
            "metric",
            "judge_id",
            "is_judge_positive",
            "is_human_positive",
            "n_traces",
        ]
    )
    with pytest.raises(ValueError, match="empty"):
        fit_calibration_model(empty, models)


def test_run_id_depends_on_data_and_config_not_on_row_order():
    counts, models = _small_problem()
    base = fit_run_id(counts, models, FAST)
    assert len(base) == 16
    assert fit_run_id(counts.iloc[::-1], models, FAST) == base
    assert fit_run_id(counts, models, CalibrationConfig(**{**FAST.__dict__, "cores": 1})) == base
    changed = counts.copy()
    changed.loc[0, "n_traces"] += 1
    assert fit_run_id(changed, models, FAST) != base
    assert fit_run_id(counts, models, CalibrationConfig(random_seed=8)) != base


def test_fit_mixes_and_stays_calibrated_at_paper_scale_volume():
    """The paper's volume: 200,000 judged traces per cell, six regions, one model unlabelled.

    The counts pin each cell's judge-positive rate to a tenth of a point, so theta is nearly a
    function of the judge's error rates: the earlier non-centred fit met a thin ridge there (on
    the paper-scale benchmark counts: step size 0.005, trees at the depth limit of 10, 12
    divergences, 1,350 s).
    The data-centred coordinates must mix under the library's default settings (the dbt build
    samples twice as many draws) and keep the intervals
    honest. A divergence makes the gates treat the fit as untrusted (fail closed); rare ones
    remain here, near refusal rates close to the judge's false-positive rate, so this test
    bounds them at 0.1% of transitions rather than requiring none. The model without labels
    (hundreds of divergences at this volume while it was inside NUTS) is drawn by importance
    resampling and must still cover its truth.
    """
    from llm_migration.posteriors import sampler_diagnostics

    regions = ["af", "ap", "eu", "me", "sa", "us"]
    counts, models, truth = simulate_counts(
        seed=12, n_traces=200_000, models=MODELS, regions=regions
    )
    config = CalibrationConfig()  # library defaults: 4 chains x (500 tune + 500 draws)
    fit = fit_calibration_model(counts, models, config)
    draws = posterior_draws_long(fit, "run-volume")
    diagnostics = sampler_diagnostics(draws).iloc[0]
    assert diagnostics["max_r_hat"] <= 1.01, diagnostics.to_dict()
    assert diagnostics["min_ess_bulk"] >= 400, diagnostics.to_dict()
    assert diagnostics["n_divergences"] <= 0.001 * config.chains * config.draws
    summary = _theta_summary(draws).merge(truth, on=["model_id", "region", "metric"])
    covered = (
        (summary["low"] <= summary["true_theta"]) & (summary["true_theta"] <= summary["high"])
    ).sum()
    # 48 cells: P(covered >= 42) = 0.991 under Binomial(48, 0.95) for honest 95% intervals
    # (scipy.stats.binom.sf(41, 48, 0.95)).
    assert len(summary) == 48
    assert covered >= 42, summary
    unlabelled = summary[summary["model_id"] == "cand_unlabeled"]
    assert (
        (unlabelled["low"] <= unlabelled["true_theta"])
        & (unlabelled["true_theta"] <= unlabelled["high"])
    ).sum() >= 10  # of 12: P(Binomial(12, 0.95) >= 10) = 0.98
    importance = draws[draws["quantity"] == "importance_ess"].groupby("metric")["value"].median()
    assert len(importance) == len(METRICS) and (importance >= 10).all(), importance


# --------------------------------------------------------------------------------------------
# Models without human labels: importance resampling
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alpha", "beta", "low", "high"),
    [
        (31.0, 71.0, 0.2, 0.35),  # around the mode
        (31.0, 71.0, 0.02, 0.2),  # lower tail
        (901.0, 101.0, 0.93, 0.99),  # upper tail: 1 - F cancels in a plain difference
        (5.0, 3.0, 0.0, 1.0),  # everything
    ],
)
def test_log_beta_mass_matches_the_beta_distribution(alpha, beta, low, high):
    dist = stats.beta(alpha, beta)
    expected = (
        dist.sf(low) - dist.sf(high) if low > dist.median() else dist.cdf(high) - dist.cdf(low)
    )
    got = np.exp(_log_beta_mass(alpha, beta, np.array([low]), np.array([high])))[0]
    assert got == pytest.approx(expected, rel=1e-9)


def test_log_beta_mass_stays_finite_and_ordered_far_in_the_tails():
    # 1e6 judged traces at a 10% judged rate: an fpr of 20% leaves no mass in double precision.
    alpha, beta = 100_001.0, 900_001.0
    low = np.array([0.15, 0.2, 0.25, 0.0, 0.0])
    high = np.array([0.9, 0.9, 0.9, 0.05, 0.03])
    log_mass = _log_beta_mass(alpha, beta, low, high)
    assert np.isfinite(log_mass).all()
    assert log_mass[0] > log_mass[1] > log_mass[2]
    assert log_mass[3] > log_mass[4]
    # the normal approximation's log mass is within a few percent of the Gaussian tail's
    sd = np.sqrt(0.1 * 0.9 / 1_000_003)
    assert log_mass[1] == pytest.approx(
        stats.norm.logsf((0.2 - alpha / (alpha + beta)) / sd), rel=0.05
    )


def test_truncated_beta_draws_follow_the_restricted_distribution():
    rng = np.random.default_rng(3)
    alpha, beta, low, high = 31.0, 71.0, 0.22, 0.4
    n = 20_000
    draws = _truncated_beta(alpha, beta, np.full(n, low), np.full(n, high), rng.random(n))
    assert draws.min() >= low and draws.max() <= high
    mass = stats.beta.cdf(high, alpha, beta) - stats.beta.cdf(low, alpha, beta)
    mean = (
        alpha
        / (alpha + beta)
        * (stats.beta.cdf(high, alpha + 1, beta) - stats.beta.cdf(low, alpha + 1, beta))
        / mass
    )
    assert draws.mean() == pytest.approx(mean, abs=4 * draws.std() / np.sqrt(n))
    # no mass left in double precision: the draw sits at the end nearest the Beta's mode
    far = _truncated_beta(100_001.0, 900_001.0, np.array([0.2]), np.array([0.3]), np.array([0.5]))
    assert far[0] == 0.2


def test_unlabelled_model_draws_match_the_exact_posterior_on_a_grid():
    """Importance resampling against brute-force integration over the two judge-error logits.

    With the population parameters held fixed, the target is Normal(a, tau) for (eta_fn, eta_fp)
    times, per region, the Beta mass of the judged rate between fpr and tpr; the mean
    sensitivity and each region's mean true rate (via the truncated Beta's mean) follow on a
    fine grid. The regions' judged rates (0.12 to 0.45) cut off much of the prior's fpr.
    """
    import arviz as az
    import xarray as xr

    n_chain, n_draw, a_fn, a_fp, tau = 4, 1000, -1.5, -1.6, 0.6
    regions = ["r1", "r2", "r3"]
    judged, positive = np.array([400, 500, 300]), np.array([48, 150, 135])
    cells = pd.DataFrame(
        {
            "model_id": "m",
            "region": regions,
            "metric": "k",
            "judge_id": "j",
            "n_judged": judged,
            "n_judged_positive": positive,
        }
    )

    def constant(value, dims, coords):
        shape = (n_chain, n_draw, *[len(coords[d]) for d in dims])
        return (("chain", "draw", *dims), np.full(shape, value))

    coords = {"judge": ["j"], "model": ["m"], "metric": ["k"], "region": regions}
    posterior = xr.Dataset(
        {
            "a_fn": constant(a_fn, ["judge", "metric"], coords),
            "a_fp": constant(a_fp, ["judge", "metric"], coords),
            "tau_fn": constant(tau, ["judge", "metric"], coords),
            "tau_fp": constant(tau, ["judge", "metric"], coords),
            "sensitivity": constant(np.nan, ["judge", "model", "metric"], coords),
            "specificity": constant(np.nan, ["judge", "model", "metric"], coords),
            "theta": constant(np.nan, ["model", "region", "metric"], coords),
        },
        coords=coords,
    )
    idata = az.InferenceData(posterior=posterior)
    unlabelled = pd.DataFrame({"model_id": ["m"], "metric": ["k"], "judge_id": ["j"]})
    quality = _resample_unlabelled(idata, cells, unlabelled, CalibrationConfig(random_seed=5))

    grid = np.linspace(-5 * tau, 5 * tau, 801)
    eta_fn, eta_fp = np.meshgrid(a_fn + grid, a_fp + grid, indexing="ij")
    log_norm = np.logaddexp(np.logaddexp(0.0, eta_fn), eta_fp)
    fpr, youden = np.exp(eta_fp - log_norm), np.exp(-log_norm)
    tpr = fpr + youden
    alpha, beta = positive + 1.0, judged - positive + 1.0
    log_w = stats.norm.logpdf(eta_fn, a_fn, tau) + stats.norm.logpdf(eta_fp, a_fp, tau)
    with np.errstate(divide="ignore"):  # grid points far outside the walls have no mass
        for a_r, b_r in zip(alpha, beta, strict=True):
            log_w += np.log(stats.beta.cdf(tpr, a_r, b_r) - stats.beta.cdf(fpr, a_r, b_r))
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    expected = {"sensitivity": float((w * np.exp(np.logaddexp(0.0, eta_fp) - log_norm)).sum())}
    for region, a_r, b_r in zip(regions, alpha, beta, strict=True):
        mass = stats.beta.cdf(tpr, a_r, b_r) - stats.beta.cdf(fpr, a_r, b_r)
        upper = stats.beta.cdf(tpr, a_r + 1, b_r) - stats.beta.cdf(fpr, a_r + 1, b_r)
        # grid points without mass have weight 0 already
        mean_q = a_r / (a_r + b_r) * np.divide(upper, mass, out=np.zeros_like(mass), where=mass > 0)
        expected[region] = float((w * (mean_q - fpr) / youden).sum())

    drawn = {"sensitivity": idata.posterior["sensitivity"].values.ravel()}
    for region in regions:
        drawn[region] = idata.posterior["theta"].sel(region=region).values.ravel()
    for name, values in drawn.items():
        # draws are independent (fixed population parameters): 4 standard errors
        assert values.mean() == pytest.approx(
            expected[name], abs=4 * values.std() / np.sqrt(values.size)
        ), name
    # the walls matter here (the prior alone puts sensitivity's mean elsewhere) ...
    prior_w = np.exp(stats.norm.logpdf(eta_fn, a_fn, tau) + stats.norm.logpdf(eta_fp, a_fp, tau))
    prior_se = float((prior_w * np.exp(np.logaddexp(0.0, eta_fp) - log_norm)).sum() / prior_w.sum())
    assert abs(prior_se - expected["sensitivity"]) > 8 * drawn["sensitivity"].std() / np.sqrt(4000)
    # ... and the resampling is far from degenerate
    assert np.median(quality[("m", "k")]) > 10
