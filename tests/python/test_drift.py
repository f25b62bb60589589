"""Judge drift: ISO weeks, kappa and prob_worse by hand, and the flag on simulated drift."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from conftest import PROJECT_DIR, query, run_dbt
from llm_migration import drift

MONDAY = pd.Timestamp("2026-09-07")  # a Monday


def simulate_pairs(
    seed: int,
    weekly_accuracy: list[float],
    pairs_per_week: int,
    judge_id: str = "judge-a",
    metric: str = "correctness",
) -> pd.DataFrame:
    """Human-labelled pairs over consecutive weeks; the judge agrees with the human label with
    the given probability in each week."""
    rng = np.random.default_rng(seed)
    frames = []
    for week, accuracy in enumerate(weekly_accuracy):
        human = rng.random(pairs_per_week) < 0.7
        agrees = rng.random(pairs_per_week) < accuracy
        moment = (
            MONDAY
            + pd.Timedelta(weeks=week)
            + pd.to_timedelta(rng.random(pairs_per_week) * 7 * 86_400, unit="s")
        )
        frames.append(
            pd.DataFrame(
                {
                    "judge_id": judge_id,
                    "metric": metric,
                    "is_judge_positive": np.where(agrees, human, ~human),
                    "is_human_positive": human,
                    "scored_at": moment,
                    "created_at": moment - pd.Timedelta(hours=2),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# ---- week bucketing ------------------------------------------------------------------------


def test_weeks_start_on_monday_utc_and_fall_back_to_created_at():
    scored = pd.Series(
        pd.to_datetime(
            [
                "2026-11-22 23:59:59",  # Sunday: still the week of Monday 16th
                "2026-11-23 00:00:00",  # Monday midnight: a new week
                "2026-11-25 12:00:00",  # Wednesday
                None,  # no scored_at: use created_at (Tuesday 2026-11-10)
            ]
        )
    )
    created = pd.Series(pd.to_datetime(["2026-11-01 00:00"] * 3 + ["2026-11-10 08:00"]))
    assert list(drift.week_start(scored, created)) == [
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 9),
    ]


def test_aware_timestamps_are_bucketed_in_utc():
    # Monday 00:30 in UTC+2 is Sunday 22:30 UTC: the previous week.
    scored = pd.Series(pd.to_datetime(["2026-11-23 00:30:00+02:00"]))
    created = pd.Series(pd.to_datetime(["2026-11-22 00:00:00+00:00"]))
    assert list(drift.week_start(scored, created)) == [dt.date(2026, 11, 16)]


def test_week_start_is_the_iso_week_monday():
    rng = np.random.default_rng(7)
    moments = pd.Series(
        pd.Timestamp("2024-12-20") + pd.to_timedelta(rng.random(500) * 800 * 86_400, unit="s")
    )
    expected = [
        dt.date.fromisocalendar(*m.isocalendar()[:2], 1) for m in moments.dt.to_pydatetime()
    ]
    assert list(drift.week_start(moments, moments)) == expected


# ---- kappa and prob_worse by hand -------------------------------------------------------------


def test_cohen_kappa_on_hand_computed_tables():
    # n=50, observed agreement 35/50 = 0.7; judge positive 30/50, human positive 25/50, so
    # chance agreement 0.6*0.5 + 0.4*0.5 = 0.5 and kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    assert drift.cohen_kappa(20, 5, 15, 10) == pytest.approx(0.4)
    # perfect agreement with both labels used
    assert drift.cohen_kappa(30, 0, 20, 0) == pytest.approx(1.0)
    # judge independent of humans: every cell equal, kappa 0
    assert drift.cohen_kappa(25, 25, 25, 25) == pytest.approx(0.0)
    # systematic disagreement: kappa -1
    assert drift.cohen_kappa(0, 10, 0, 10) == pytest.approx(-1.0)
    # one identical label throughout: chance agreement 1, kappa undefined
    assert np.isnan(drift.cohen_kappa(40, 0, 0, 0))
    assert np.isnan(drift.cohen_kappa(0, 0, 0, 0))


def test_prob_worse_of_identical_posteriors_is_one_half():
    # Two independent draws from the same continuous distribution: P(X < Y) = 1/2 exactly.
    assert drift.prob_worse(80, 100, 80, 100, tolerance=0.0) == pytest.approx(0.5, abs=1 / 4096)


def test_prob_worse_matches_a_large_monte_carlo():
    # Exact quadrature vs 400k seeded draws: the Monte Carlo standard error is at most
    # sqrt(0.25 / 400_000) = 0.0008, so 0.004 is 5 standard errors plus the 1/4096 bound.
    rng = np.random.default_rng(11)
    for agree_week, n_week, agree_cal, n_cal, tolerance in [
        (70, 100, 450, 500, 0.05),
        (9, 10, 90, 100, 0.0),
        (180, 200, 930, 1000, 0.02),
        (2, 3, 880, 1000, 0.05),
    ]:
        week = stats.beta.rvs(
            1 + agree_week, 1 + n_week - agree_week, size=400_000, random_state=rng
        )
        cal = stats.beta.rvs(1 + agree_cal, 1 + n_cal - agree_cal, size=400_000, random_state=rng)
        monte_carlo = np.mean(week < cal - tolerance)
        exact = drift.prob_worse(agree_week, n_week, agree_cal, n_cal, tolerance)
        assert exact == pytest.approx(monte_carlo, abs=0.004)


def test_prob_worse_without_calibration_period_is_undefined():
    assert np.isnan(drift.prob_worse(5, 10, 0, 0, 0.05))


# ---- the drift flag on simulated data -------------------------------------------------------

# 400 pairs a week over 8 weeks. The standard error of (latest - calibration) agreement is about
# sqrt(0.9*0.1/400 + 0.9*0.1/2800) = 0.016 with no drift and 0.024 when the latest week drops to
# 0.70. The flag needs roughly an observed drop > tolerance + 1.645 SE, i.e. > 0.08-0.09:
# - drift 0.90 -> 0.70 (true drop 0.20) misses only if the drop is underestimated by ~4.7 SE
#   (probability ~1e-6 per seed);
# - no drift (true drop 0) fires only if the drop is overestimated by > 5 SE (~1e-7 per seed).
# So every seed below must give the right answer; fixed seeds keep the test deterministic.
SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_clear_drop_in_the_latest_week_is_flagged(seed):
    pairs = simulate_pairs(seed, [0.9] * 7 + [0.7], pairs_per_week=400)
    result = drift.judge_agreement_over_time(pairs, run_id="run-1")
    latest = result[result.is_latest_week]
    assert len(latest) == 1
    assert latest.is_drift_flagged.item()
    assert latest.prob_worse.item() >= 0.95
    assert latest.drift_reason.item().startswith("drift:")
    assert not result[~result.is_latest_week].is_drift_flagged.any()


@pytest.mark.parametrize("seed", SEEDS)
def test_a_steady_judge_is_not_flagged(seed):
    pairs = simulate_pairs(seed, [0.9] * 8, pairs_per_week=400)
    result = drift.judge_agreement_over_time(pairs)
    assert not result.is_drift_flagged.any()
    latest = result[result.is_latest_week]
    assert latest.drift_reason.item().startswith("no credible drift:")


def test_a_drop_within_tolerance_is_not_flagged():
    # True drop 0.03 < tolerance 0.05, with 20,000 pairs a week: the posterior puts almost no
    # mass on a drop larger than 0.05 (SE of the difference ~0.003, 7 SE away).
    pairs = simulate_pairs(3, [0.9] * 3 + [0.87], pairs_per_week=20_000)
    latest = drift.judge_agreement_over_time(pairs).query("is_latest_week")
    assert latest.prob_worse.item() < 0.01
    assert not latest.is_drift_flagged.item()


def test_a_bad_but_tiny_latest_week_is_not_flagged_on_thin_evidence():
    # Observed agreement 2/3 against 0.9: with 3 pairs the posterior Beta(3, 2) still puts
    # P(agreement < 0.85) at about 0.9, below 0.95; the same rate over 300 pairs is decisive.
    rng = np.random.default_rng(5)
    calibration = simulate_pairs(1, [0.9] * 4, pairs_per_week=300)
    for n_latest, expect_flag in [(3, False), (300, True)]:
        human = rng.random(n_latest) < 0.7
        agrees = np.arange(n_latest) % 3 != 2  # exactly two in three agree
        moment = MONDAY + pd.Timedelta(weeks=4, days=1)
        latest = pd.DataFrame(
            {
                "judge_id": "judge-a",
                "metric": "correctness",
                "is_judge_positive": np.where(agrees, human, ~human),
                "is_human_positive": human,
                "scored_at": moment,
                "created_at": moment,
            }
        )
        result = drift.judge_agreement_over_time(pd.concat([calibration, latest]))
        assert result.query("is_latest_week").is_drift_flagged.item() is expect_flag


def test_a_week_of_one_or_two_disagreeing_pairs_is_not_flagged():
    # A steady judge agreeing 95% of the time, and a latest week of one disagreeing pair:
    # Beta(1, 2) puts P(agreement < 0.90) at 0.99, which flagged it before min_pairs. Exact
    # false-flag rates against a 950/1000 calibration period (binomial sums over the week's
    # outcomes, probability 0.95): 5% with 1 pair, 9.8% with 2; 0.26% with 20.
    assert drift.prob_worse(0, 1, 950, 1000, 0.05) == pytest.approx(0.99, abs=0.002)
    calibration = simulate_pairs(1, [0.95] * 4, pairs_per_week=250)
    moment = MONDAY + pd.Timedelta(weeks=4, days=1)
    for n_latest in (1, 2):
        latest = pd.DataFrame(
            {
                "judge_id": "judge-a",
                "metric": "correctness",
                "is_judge_positive": [True] * n_latest,
                "is_human_positive": [False] * n_latest,
                "scored_at": moment,
                "created_at": moment,
            }
        )
        result = drift.judge_agreement_over_time(pd.concat([calibration, latest]))
        week = result.query("is_latest_week")
        assert not week.is_drift_flagged.item()
        # read together with the week before (250 pairs), compared with the three before it
        assert week.prob_worse.item() < 0.5
        assert (
            f"(the latest alone holds {n_latest} pairs, fewer than 20) vs the calibration "
            "period (2026-09-07 to the week before)" in week.drift_reason.item()
        )
    # With the minimum lowered to 2, the same two-pair week is judged on its posterior alone.
    result = drift.judge_agreement_over_time(
        pd.concat([calibration, latest]), drift.DriftConfig(min_pairs=2)
    )
    assert result.query("is_latest_week").is_drift_flagged.item()


def test_groups_are_judged_separately_and_first_weeks_are_not_assessed():
    drifting = simulate_pairs(1, [0.9] * 5 + [0.6], 400, judge_id="judge-a")
    steady = simulate_pairs(2, [0.9] * 6, 400, judge_id="judge-a", metric="style")
    other_judge = simulate_pairs(3, [0.8] * 3, 400, judge_id="judge-b")
    newcomer = simulate_pairs(4, [0.5], 400, judge_id="judge-c")
    result = drift.judge_agreement_over_time(
        pd.concat([drifting, steady, other_judge, newcomer], ignore_index=True)
    ).set_index(["judge_id", "metric", "week_start"])
    assert result.index.is_unique
    assert result.groupby(["judge_id", "metric"]).is_latest_week.sum().eq(1).all()
    flagged = result[result.is_drift_flagged].index.droplevel("week_start").tolist()
    assert flagged == [("judge-a", "correctness")]
    first = result.xs(("judge-c", "correctness"), level=["judge_id", "metric"])
    assert first.prob_worse.isna().all() and not first.is_drift_flagged.any()
    assert first.drift_reason.item().startswith("not assessed")
    # earlier weeks carry their prob_worse history but no reason
    history = result.xs(("judge-a", "correctness"), level=["judge_id", "metric"])
    assert history.prob_worse.iloc[1:].notna().all()
    assert history[~history.is_latest_week].drift_reason.isna().all()


def test_weekly_figures_by_hand():
    # Week 1: tp=3, fn=1, tn=2, fp=0 (6 pairs, 5 agree). Week 2: tp=1, fp=1 (2 pairs, 1 agrees).
    rows = [(True, True)] * 3 + [(False, True)] + [(False, False)] * 2
    week_two = [(True, True), (True, False)]
    frame = pd.DataFrame(
        {
            "judge_id": "j",
            "metric": "refusal",
            "is_judge_positive": [j for j, _ in rows + week_two],
            "is_human_positive": [h for _, h in rows + week_two],
            "scored_at": [MONDAY] * 6 + [MONDAY + pd.Timedelta(days=8)] * 2,
            "created_at": MONDAY,
        }
    )
    result = drift.judge_agreement_over_time(frame)
    first, second = result.iloc[0], result.iloc[1]
    assert (first.n_pairs, second.n_pairs) == (6, 2)
    assert first.agreement_rate == pytest.approx(5 / 6)
    assert first.sensitivity_mean == pytest.approx((3 + 1) / (4 + 2))
    assert first.specificity_mean == pytest.approx((2 + 1) / (2 + 2))
    assert second.sensitivity_mean == pytest.approx(2 / 3)
    assert second.specificity_mean == pytest.approx(1 / 3)
    # week 1: judge positive 3/6, human positive 4/6, chance 0.5*2/3 + 0.5*1/3 = 0.5
    assert first.cohen_kappa == pytest.approx((5 / 6 - 0.5) / 0.5)
    assert second.prob_worse == pytest.approx(drift.prob_worse(1, 2, 5, 6, 0.05))


def test_unlabelled_and_unjudged_rows_are_ignored():
    pairs = simulate_pairs(9, [0.9, 0.9], 50)
    noise = pd.DataFrame(
        {
            "judge_id": [None, "judge-a", "judge-a"],
            "metric": ["correctness"] * 3,
            "is_judge_positive": [None, True, None],
            "is_human_positive": [True, None, True],
            "scored_at": [MONDAY] * 3,
            "created_at": [MONDAY] * 3,
        }
    )
    result = drift.judge_agreement_over_time(pd.concat([pairs, noise], ignore_index=True))
    assert result.n_pairs.sum() == 100


def test_missing_columns_and_bad_settings_are_named():
    with pytest.raises(ValueError, match="scored_at, created_at"):
        drift.judge_agreement_over_time(pd.DataFrame(columns=list(drift.REQUIRED_COLUMNS[:4])))
    with pytest.raises(ValueError, match="tolerance.*probability"):
        drift.DriftConfig(tolerance=1.5, probability=1.0)


# ---- the table's types are what _marts__drift.yml documents ---------------------------------


def documented_types() -> dict[str, str]:
    spec = yaml.safe_load((PROJECT_DIR / "models" / "marts" / "_marts__drift.yml").read_text())
    (model,) = [m for m in spec["models"] if m["name"] == "fct_judge_agreement_over_time"]
    return {c["name"]: c["data_type"].upper() for c in model["columns"]}


@pytest.mark.parametrize("rows", ["some", "none"])
def test_duckdb_stores_the_documented_types(rows):
    # the Python model writes these types; the SQL mart then enforces them as a contract
    pairs = simulate_pairs(1, [0.9, 0.8], 100)
    if rows == "none":
        pairs = pairs.iloc[:0]
    result = drift.judge_agreement_over_time(pairs, run_id="r", computed_at=pd.Timestamp.now())
    connection = duckdb.connect()
    connection.register("result", result)
    stored = dict(
        connection.sql("select column_name, column_type from (describe result)").fetchall()
    )
    assert stored == documented_types()


@pytest.fixture(scope="module")
def drift_build(tmp_path_factory):
    """The drift table and everything upstream of it, built from the demo; then the model alone
    again, which must reuse its rows (same data and settings, same run_id)."""
    database = tmp_path_factory.mktemp("drift") / "drift.duckdb"
    selection = ["--select", "+fct_judge_agreement_over_time", "--indirect-selection", "cautious"]
    run_dbt(["build", *selection], database)
    first = query(database, "select * from fct_judge_agreement_over_time")
    rerun = ["--select", "int_judge_agreement_computed", "fct_judge_agreement_over_time"]
    run_dbt(["run", *rerun], database)
    return database, first


@pytest.mark.dbt
def test_demo_build_writes_the_documented_table_stamped_with_the_data_run_id(drift_build):
    database, first = drift_build
    table = query(database, "select * from fct_judge_agreement_over_time")
    described = query(database, "describe fct_judge_agreement_over_time")
    stored = dict(zip(described.column_name, described.column_type, strict=True))
    assert stored == documented_types()
    fingerprint = query(database, "select run_id from int_run_fingerprint").run_id.iloc[0]
    assert set(table.run_id) == {fingerprint}
    # ... with the types they had: a reused DATE came back as TIMESTAMP
    reused = query(database, "describe int_judge_agreement_computed")
    assert dict(zip(reused.column_name, reused.column_type, strict=True))["week_start"] == "DATE"
    # the rerun on unchanged data reused the rows: computed_at included
    pd.testing.assert_frame_equal(
        table.sort_values(["judge_id", "metric", "week_start"]).reset_index(drop=True),
        first.sort_values(["judge_id", "metric", "week_start"]).reset_index(drop=True),
    )
    # the demo's judge does not change: three metrics over five weeks, nothing flagged
    assert table.groupby(["judge_id", "metric"]).size().eq(5).all()
    assert not table.is_drift_flagged.any()


def _pairs_with_rates(seed, weeks, pairs_per_week, se, sp, prevalence=0.8):
    """Pairs over consecutive weeks with the judge's sensitivity and specificity per week."""
    rng = np.random.default_rng(seed)
    frames = []
    for week in range(weeks):
        human = rng.random(pairs_per_week) < prevalence
        s_e, s_p = se[week], sp[week]
        judge = np.where(human, rng.random(pairs_per_week) < s_e, rng.random(pairs_per_week) >= s_p)
        moment = MONDAY + pd.Timedelta(weeks=week, days=2)
        frames.append(
            pd.DataFrame(
                {
                    "judge_id": "judge-a",
                    "metric": "correctness",
                    "is_judge_positive": judge,
                    "is_human_positive": human,
                    "scored_at": moment,
                    "created_at": moment,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("seed", range(10))
def test_a_judge_turning_lenient_is_flagged_though_agreement_barely_moves(seed):
    """Specificity 0.84 -> 0.54 in the latest week, positives 80% of pairs (a review's case).

    Agreement falls by only 0.2 * 0.30 = 0.06, about the tolerance, so the agreement rule missed
    it in 40 of 40 simulations; specificity itself falls by 0.30 on about 60 negatives (SE of
    the week's rate ~0.06, so > 4 SE beyond the tolerance): every seed must flag it.
    """
    sp = [0.84] * 5 + [0.54]
    pairs = _pairs_with_rates(seed, 6, 300, se=[0.88] * 6, sp=sp)
    latest = drift.judge_agreement_over_time(pairs).query("is_latest_week")
    assert latest.is_drift_flagged.item(), latest.drift_reason.item()
    assert latest.prob_specificity_worse.item() >= 0.95
    reason = latest.drift_reason.item()
    assert reason.startswith("drift: ") and "specificity" in reason.split(" credibly worse")[0]


@pytest.mark.parametrize("seed", range(10))
def test_a_steady_judge_is_not_flagged_on_sensitivity_or_specificity(seed):
    pairs = _pairs_with_rates(seed, 6, 300, se=[0.88] * 6, sp=[0.84] * 6)
    latest = drift.judge_agreement_over_time(pairs).query("is_latest_week")
    assert not latest.is_drift_flagged.item(), latest.drift_reason.item()


def test_the_flag_survives_a_new_week_with_a_few_pairs():
    # Sensitivity down 0.30 for the last week, then a refresh on Monday sees 15 pairs of the new
    # week: judged on those alone the flag cleared; read with the week before it stays.
    se = [0.88] * 5 + [0.58, 0.58]
    pairs = _pairs_with_rates(4, 7, 300, se=se, sp=[0.84] * 7)
    last = pairs["scored_at"].max()
    pairs = pairs[(pairs["scored_at"] < last) | (pairs.index % 20 == 0)]
    latest = drift.judge_agreement_over_time(pairs).query("is_latest_week")
    assert latest.n_pairs.item() == 15
    assert latest.is_drift_flagged.item(), latest.drift_reason.item()
    assert "the latest alone holds 15 pairs, fewer than 20" in latest.drift_reason.item()
