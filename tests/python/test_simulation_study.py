"""The simulator, the study's scoring, and the study itself with real PyMC sampling.

The fast study (2 scenarios x 2 seeds, tiny draws) always runs. The long study is marked
``slow``, which the project's pytest options deselect; ``pytest -m slow`` or ``make test-all``
runs it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from llm_migration.calibration import CalibrationConfig
from llm_migration.simulation import (
    FLATTERED,
    OTHER_CANDIDATE,
    SCENARIO_NAMES,
    StudyResults,
    coverage_table,
    decision_table,
    get_scenario,
    hdi_bounds,
    run_study,
    simulate,
    summarise_study,
)

# ---- simulator --------------------------------------------------------------------------------


def test_all_named_scenarios_exist_and_validate():
    assert set(SCENARIO_NAMES) == {
        "judge_error_differs_by_model",
        "judge_near_chance",
        "few_labels",
        "candidate_without_labels",
        "baseline_ok",
    }
    for name in SCENARIO_NAMES:
        get_scenario(name).validate()


def test_invalid_scenario_lists_every_problem():
    s = get_scenario("baseline_ok")
    bad_se = dict(s.sensitivity)
    bad_se[("incumbent", "correctness")] = 0.1  # 0.1 + 0.8 < 1: worse than chance
    with pytest.raises(ValueError) as err:
        get_scenario("baseline_ok", sensitivity=bad_se, labels_per_model={"incumbent": -1})
    message = str(err.value)
    assert "Se+Sp>1" in message
    assert "labels_per_model for incumbent" in message
    assert "labels_per_model for candidate_a" in message


def test_simulation_is_reproducible_and_seed_dependent():
    s = get_scenario("judge_error_differs_by_model")
    a, b, c = simulate(s, 7), simulate(s, 7), simulate(s, 8)
    pd.testing.assert_frame_equal(a.counts, b.counts)
    assert not a.counts["n_traces"].equals(c.counts["n_traces"])


def test_counts_have_the_warehouse_shape_and_add_up():
    s = get_scenario("candidate_without_labels")
    data = simulate(s, 1, return_traces=True)
    counts = data.counts
    assert list(counts.columns) == [
        "model_id",
        "region",
        "metric",
        "judge_id",
        "is_judge_positive",
        "is_human_positive",
        "n_traces",
    ]
    assert (counts["n_traces"] > 0).all()
    per_cell = counts.groupby(["model_id", "region", "metric"])["n_traces"].sum()
    for (_m, r, _k), n in per_cell.items():
        assert n == s.traces_per_cell[r]
    labelled = counts[counts["is_human_positive"].notna()]
    per_model_metric = labelled.groupby(["model_id", "metric"])["n_traces"].sum()
    for (m, _k), n in per_model_metric.items():
        assert n == s.labels_per_model[m]
    assert OTHER_CANDIDATE not in set(labelled["model_id"])
    assert list(data.models["model_role"]) == ["incumbent", "candidate", "candidate"]
    assert len(data.truth) == 3 * 3 * 2
    assert len(data.traces) == counts["n_traces"].sum()


def test_judge_verdicts_follow_the_scenarios_error_rates():
    # One large cell: the judge's positive rate must match q = theta Se + (1 - theta)(1 - Sp)
    # within 4 binomial standard errors, and among labelled traces Se and Sp must match theirs.
    s = get_scenario(
        "judge_error_differs_by_model",
        traces_per_cell={"us": 200_000, "eu": 1, "apac": 1},
        labels_per_model={m: 100_000 for m in ("incumbent", "candidate_a", "candidate_b")},
    )
    data = simulate(s, 0, return_traces=True)
    t = data.traces
    cell = t[(t.model_id == FLATTERED) & (t.region == "us") & (t.metric == "correctness")]
    theta = s.theta[(FLATTERED, "us", "correctness")]
    se, sp = s.sensitivity[(FLATTERED, "correctness")], s.specificity[(FLATTERED, "correctness")]
    q = theta * se + (1 - theta) * (1 - sp)
    n = len(cell)
    assert abs(cell.is_judge_positive.mean() - q) < 4 * np.sqrt(q * (1 - q) / n)
    assert abs(cell.is_true_positive.mean() - theta) < 4 * np.sqrt(theta * (1 - theta) / n)
    lab = cell[cell.is_human_positive.notna()]
    assert (lab.is_human_positive.astype(bool) == lab.is_true_positive).all()
    pos, neg = lab[lab.is_true_positive], lab[~lab.is_true_positive]
    assert abs(pos.is_judge_positive.mean() - se) < 4 * np.sqrt(se * (1 - se) / len(pos))
    assert abs((~neg.is_judge_positive).mean() - sp) < 4 * np.sqrt(sp * (1 - sp) / len(neg))


# ---- scoring ----------------------------------------------------------------------------------


def test_hdi_of_known_distributions():
    rng = np.random.default_rng(0)
    normal = rng.normal(size=(1, 200_000))
    low, high = hdi_bounds(normal, 0.95)
    assert low[0] == pytest.approx(-1.96, abs=0.03)
    assert high[0] == pytest.approx(1.96, abs=0.03)
    # Skewed: the HDI of an exponential starts at 0 and ends at -log(0.05).
    expo = rng.exponential(size=(1, 200_000))
    low, high = hdi_bounds(expo, 0.95)
    assert low[0] == pytest.approx(0.0, abs=0.01)
    assert high[0] == pytest.approx(-np.log(0.05), abs=0.05)


def test_coverage_counts_undefined_intervals_as_misses():
    cells = pd.DataFrame(
        {
            "scenario": "s",
            "method": "m",
            "seed": [1, 1, 2, 2],
            "theta": [0.5, 0.5, 0.5, 0.5],
            "estimate": [0.5, 0.7, np.nan, 0.52],
            "ci_low": [0.4, 0.6, np.nan, 0.45],
            "ci_high": [0.6, 0.8, np.nan, 0.55],
        }
    )
    row = coverage_table(cells, ["scenario", "method"]).iloc[0]
    assert row.n_undefined == 1
    assert row.coverage == pytest.approx(2 / 4)
    assert row.coverage_defined == pytest.approx(2 / 3)
    assert row.mean_width == pytest.approx((0.2 + 0.2 + 0.1) / 3)
    assert row.mae == pytest.approx((0 + 0.2 + 0.02) / 3)
    # per-seed coverage 1/2 and 1/2: no spread between seeds
    assert row.coverage_se == pytest.approx(0.0)


def test_decisions_are_oriented_by_metric_direction():
    from llm_migration.simulation import _add_decisions

    s = get_scenario("baseline_ok")
    # refusal is lower-is-better: candidate minus incumbent in [-0.05, -0.01] is an improvement,
    # so the oriented interval is [0.01, 0.05], above -margin: non-inferior. candidate_a's apac
    # refusal is truly 0.04 worse, beyond the 0.02 margin.
    diffs = pd.DataFrame(
        {
            "candidate_model_id": [FLATTERED, FLATTERED],
            "incumbent_model_id": "incumbent",
            "region": ["apac", "apac"],
            "metric": ["refusal", "correctness"],
            "method": "m",
            "diff_estimate": [-0.03, -0.03],
            "diff_low": [-0.05, -0.05],
            "diff_high": [-0.01, -0.01],
        }
    )
    d = _add_decisions(diffs, s)
    assert list(d.oriented_low) == pytest.approx([0.01, -0.05])
    assert list(d.is_declared_noninferior) == [True, False]
    assert list(d.true_oriented_diff) == pytest.approx([-0.04, 0.69 - 0.74])
    assert list(d.is_truly_noninferior) == [False, False]
    table = decision_table(d, ["method"]).iloc[0]
    assert table.agreement == pytest.approx(0.5)
    assert table.false_ship == pytest.approx(0.5)


# ---- the study, with real PyMC sampling -------------------------------------------------------


def coverage_lower_bound(n_cells: int, nominal: float = 0.95) -> float:
    """Smallest coverage a valid 95% interval method should show on ``n_cells`` cells.

    Cells of one simulated data set are not independent: the three regions of a model and metric
    share that model's judge error rates, so their misses tend to come together. We allow for it
    with a design effect of 3, the size of those clusters (the largest design effect they can
    cause); in a 6-seed pilot the measured design effect of the Bayesian misses was 0.4 to 2.3
    across scenarios. With the effective sample n_cells / 3 we take the 0.1% quantile of the
    binomial: a valid method falls below it in about one run in a thousand.
    """
    n_eff = max(n_cells // 3, 1)
    return stats.binom.ppf(0.001, n_eff, nominal) / n_eff


@pytest.fixture(scope="module")
def fast_study() -> StudyResults:
    config = CalibrationConfig(draws=200, tune=200, chains=2)
    return run_study(
        ["judge_error_differs_by_model", "baseline_ok"], seeds=[1, 2], config=config, n_boot=1000
    )


def test_fast_study_bayesian_model_covers_at_nominal_rate(fast_study):
    bayes = fast_study.cells[fast_study.cells.method == "bayes"]
    assert len(bayes) == 2 * 2 * 18
    covered = ((bayes.ci_low <= bayes.theta) & (bayes.theta <= bayes.ci_high)).mean()
    assert covered >= coverage_lower_bound(len(bayes))
    fits = fast_study.fits
    assert len(fits) == 4
    assert (fits.max_r_hat_theta < 1.1).all()
    assert (fits.n_divergences <= 10).all()


def test_fast_study_reused_calibration_fails_for_the_flattered_candidate(fast_study):
    cells = fast_study.cells
    flattered = cells[
        (cells.scenario == "judge_error_differs_by_model") & (cells.model_id == FLATTERED)
    ]
    cov = coverage_table(flattered, ["method"]).set_index("method")["coverage"]
    # 12 cells. A valid 95% method would miss 6 or more of them with probability < 1e-5
    # (binomial; even if the misses came in region triples, < 1e-3). The reused correction
    # misses them because it corrects with the incumbent's Se/Sp.
    assert cov["rg_reused_incumbent"] <= 0.5
    assert cov["naive"] <= 0.5
    assert cov["bayes"] >= cov["rg_reused_incumbent"] + 0.25


def test_fast_study_only_the_calibrated_methods_avoid_shipping_the_flattered_candidate(
    fast_study,
):
    d = decision_table(fast_study.differences, ["scenario", "method"]).set_index(
        ["scenario", "method"]
    )
    key = "judge_error_differs_by_model"
    # 8 truly inferior comparisons (2 seeds x 4). The judge makes candidate_a look better on
    # correctness, so the judge-only and reused-calibration methods declare it non-inferior.
    assert d.loc[(key, "naive"), "false_ship"] >= 0.5
    assert d.loc[(key, "rg_reused_incumbent"), "false_ship"] >= 0.5
    # A valid one-sided 97.5% bound would wrongly clear a difference at least 0.02 beyond the
    # margin well under 2.5% of the time; allow 1 of 8.
    assert d.loc[(key, "bayes"), "false_ship"] <= 1 / 8


def test_fast_study_naive_rate_misses_when_the_judge_errs(fast_study):
    summary = summarise_study(fast_study).set_index(["scenario", "method"])
    for scenario in ("judge_error_differs_by_model", "baseline_ok"):
        assert summary.loc[(scenario, "naive"), "coverage"] <= 0.6
        assert summary.loc[(scenario, "bayes"), "mae"] < summary.loc[(scenario, "naive"), "mae"]


# ---- the long study ---------------------------------------------------------------------------


@pytest.mark.slow
def test_slow_study_coverage_across_all_scenarios():
    # 5 scenarios x 6 seeds, about half an hour on 2 cores. bench/simulation_study.py runs the
    # same study with more seeds for docs/simulation_study.md.
    seeds = list(range(101, 107))
    config = CalibrationConfig(draws=300, tune=300, chains=2)
    results = run_study(list(SCENARIO_NAMES), seeds, config=config, n_boot=1000)
    summary = summarise_study(results).set_index(["scenario", "method"])
    n_cells = len(seeds) * 18
    for scenario in SCENARIO_NAMES:
        assert summary.loc[(scenario, "bayes"), "coverage"] >= coverage_lower_bound(n_cells), (
            scenario
        )
        # Every scenario's judge errs (Se, Sp < 1), so the judge-only rate is biased everywhere.
        assert summary.loc[(scenario, "naive"), "coverage"] <= 0.6, scenario
    bayes = results.cells[results.cells.method == "bayes"]
    pooled = ((bayes.ci_low <= bayes.theta) & (bayes.theta <= bayes.ci_high)).mean()
    assert pooled >= coverage_lower_bound(len(bayes))

    key = "judge_error_differs_by_model"
    flattered = results.cells[
        (results.cells.scenario == key) & (results.cells.model_id == FLATTERED)
    ]
    cov = coverage_table(flattered, ["method"]).set_index("method")["coverage"]
    assert cov["rg_reused_incumbent"] <= 0.6
    assert cov["bayes"] >= coverage_lower_bound(len(flattered))
    d = decision_table(results.differences, ["scenario", "method"]).set_index(
        ["scenario", "method"]
    )
    assert d.loc[(key, "rg_reused_incumbent"), "false_ship"] >= 0.5
    assert d.loc[(key, "bayes"), "false_ship"] <= 2 / (4 * len(seeds))

    # No labels for candidate_b: per-model Rogan-Gladen and PPI cannot say anything about its
    # 6 cells; the Bayesian model still covers them through the pooled judge error.
    for method in ("rg_per_model", "ppi"):
        undefined = summary.loc[("candidate_without_labels", method), "n_undefined"]
        assert undefined == len(seeds) * 6
    unlabelled = results.cells[
        (results.cells.scenario == "candidate_without_labels")
        & (results.cells.model_id == OTHER_CANDIDATE)
    ]
    cov = coverage_table(unlabelled, ["method"]).set_index("method")["coverage"]
    assert cov["bayes"] >= coverage_lower_bound(len(unlabelled))
