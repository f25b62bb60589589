"""The per-region judge consistency check and the regional gate it holds open.

The calibration model shares each model's judge error rates across regions. A judge lenient with
one model in one region only pushes that region's rate up unseen; the check compares the cell's
human-labelled pairs with the model's other regions. Measured here against simulated truth: its
false-alarm rate when the judge errs alike in every region, its power when it does not, and what
the regional gate does with it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from gate_inputs import comparison, comparisons_frame
from scipy import stats

from llm_migration.gates import GatePolicy, evaluate_gates
from llm_migration.gates.judge_consistency import (
    JUDGE_CHECK_COLUMNS,
    consistency_pvalues,
    judge_consistency_checks,
)
from llm_migration.gates.quality import regional_regression_gates
from llm_migration.simulation import OTHER_CANDIDATE, get_scenario, simulate

POLICY = GatePolicy.from_vars({})
ALPHA = 0.05


def _reference_pvalues(cell, rest, points=1000):
    """The check's two p-values on a dense grid of (false-positive rate f, sensitivity s).

    Written out from the definition: a uniform prior on s > f, each other region's labelled
    judge-positives binomial in its share of human negatives (1 - pi) f / q and its labelled
    judge-negatives in its share of human positives pi (1 - s) / (1 - q), pi = (q - f) / (s - f);
    the cell's counts binomial likewise at its own q, tails averaged over the posterior.
    """
    g = (np.arange(points) + 0.5) / points
    f, s = np.meshgrid(g, g, indexing="ij")
    f, s = f[s > f], s[s > f]

    def shares(q):
        pi = np.clip((q - f) / (s - f), 0, 1)
        q = pi * s + (1 - pi) * f
        return (1 - pi) * f / q, pi * (1 - s) / (1 - q)

    log_post = np.zeros_like(f)
    for r_tp, r_fp, r_fn, r_tn, r_q in zip(*rest, strict=True):
        negatives, positives = shares(r_q)
        log_post += stats.binom.logpmf(r_fp, r_tp + r_fp, negatives)
        log_post += stats.binom.logpmf(r_fn, r_fn + r_tn, positives)
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    tp, fp, fn, tn, q = cell
    negatives, positives = shares(q)
    fp_high = (w * stats.binom.sf(fp - 1, tp + fp, negatives)).sum()
    fp_low = (w * stats.binom.cdf(fp, tp + fp, negatives)).sum()
    fn_high = (w * stats.binom.sf(fn - 1, fn + tn, positives)).sum()
    fn_low = (w * stats.binom.cdf(fn, fn + tn, positives)).sum()
    return min(1, 2 * min(fp_high, fn_low)), min(1, 2 * min(fp_low, fn_high))


@pytest.mark.parametrize(
    "cell",
    # (tp, fp, fn, tn, judge-positive share): many false positives among the judge-positives,
    # few false negatives among the judge-negatives, and one as predicted.
    [(20, 9, 2, 30, 0.5), (15, 15, 0, 30, 0.5), (25, 1, 8, 20, 0.5), (33, 4, 6, 20, 0.6)],
)
def test_pvalues_are_the_posterior_predictive_tails_bonferroni_over_both_verdicts(cell):
    # Three other regions labelled at different rates per verdict, with different true rates.
    shares = [0.45, 0.7, 0.3]
    rest = ([30, 60, 10], [9, 4, 12], [12, 5, 2], [40, 30, 25])
    judged = 10**9  # every judge-positive share pinned
    tp, fp, fn, tn, q = cell
    more, fewer, *_ = consistency_pvalues(
        (tp, fp, fn, tn, judged, round(q * judged)),
        (*rest, [judged] * 3, [round(x * judged) for x in shares]),
    )
    expected_more, expected_fewer = _reference_pvalues(cell, (*rest, shares))
    # Both are grid integrals of the same smooth integrand (the check's grid adapts to the
    # posterior's mass): they agree far inside the 1e-3 relative error allowed here.
    assert more == pytest.approx(expected_more, rel=1e-3)
    assert fewer == pytest.approx(expected_fewer, rel=1e-3)


def test_a_verdict_without_labelled_pairs_or_a_rest_without_both_classes_is_not_tested():
    rest = ([30, 60], [9, 4], [12, 5], [40, 30], [1000, 1000], [450, 700])
    # No labelled judge-negative in the cell: only the judge-positives are compared.
    more, fewer, _, expected_fn, *_ = consistency_pvalues((10, 20, 0, 0, 1000, 500), rest)
    assert more < 1e-3 and fewer == 1.0 and expected_fn == 0.0
    # No human negative in the other regions: the prediction would be the prior's.
    no_negatives = ([30, 60], [0, 0], [12, 5], [0, 0], [1000, 1000], [450, 700])
    assert consistency_pvalues((10, 20, 5, 5, 1000, 500), no_negatives)[:2] == (1.0, 1.0)


def _lenient_in_one_region(specificity: float, labels: int):
    """baseline_ok, but the judge's specificity for candidate_b's correctness in eu only."""
    base = get_scenario("baseline_ok")
    se = base.sensitivity[(OTHER_CANDIDATE, "correctness")]
    return get_scenario(
        "baseline_ok",
        labels_per_model={m: labels for m in base.model_ids},
        judge_by_cell={(OTHER_CANDIDATE, "eu", "correctness"): (se, specificity)},
    )


def test_checks_have_one_row_per_cell_with_the_cells_labelled_pairs():
    data = simulate(_lenient_in_one_region(0.55, 150), seed=3, return_traces=True)
    checks = judge_consistency_checks(data.counts)
    truth = data.truth.set_index(["model_id", "region", "metric"])
    assert truth.loc[(OTHER_CANDIDATE, "eu", "correctness"), "specificity"] == 0.55
    assert truth.loc[(OTHER_CANDIDATE, "us", "correctness"), "specificity"] == 0.80
    assert list(checks.columns) == JUDGE_CHECK_COLUMNS
    assert len(checks) == len(data.truth)
    traces = data.traces[data.traces["is_human_positive"].notna()]
    for row in checks.itertuples():
        mine = traces[
            (traces["model_id"] == row.model_id)
            & (traces["region"] == row.region)
            & (traces["metric"] == row.metric)
        ]
        negatives = mine[~mine["is_human_positive"].astype(bool)]
        positives = mine[mine["is_human_positive"].astype(bool)]
        assert row.n_human_negative == len(negatives)
        assert row.n_false_positive == int(negatives["is_judge_positive"].sum())
        assert row.n_human_positive == len(positives)
        assert row.n_false_negative == int((~positives["is_judge_positive"]).sum())


def _pairs(model, region, tp, fn, tn, fp):
    return [
        {
            "model_id": model,
            "region": region,
            "metric": "correctness",
            "judge_id": "judge",
            "is_judge_positive": judge,
            "is_human_positive": human,
            "n_traces": n,
        }
        for judge, human, n in (
            (True, True, tp),
            (False, True, fn),
            (False, False, tn),
            (True, False, fp),
        )
    ]


def test_a_model_labelled_in_one_region_only_has_nothing_to_compare_with():
    # No pairs elsewhere: the prediction would be the uniform prior's, under which a judge with
    # no false negatives among 250 human positives had p = 2 / 251 < 0.01 ("favours" the
    # candidate "against its other regions", all of them n/a).
    one_region = pd.DataFrame(
        _pairs("cand", "eu", 250, 0, 50, 2) + _pairs("inc", "eu", 250, 3, 50, 2)
    )
    checks = judge_consistency_checks(one_region)
    assert (checks[["p_more_positive", "p_fewer_positive"]] == 1.0).all().all()
    # With pairs elsewhere the same cell is compared as before.
    two = pd.DataFrame(_pairs("cand", "eu", 250, 0, 50, 2) + _pairs("cand", "us", 500, 60, 100, 16))
    cell = judge_consistency_checks(two).set_index("region").loc["eu"]
    assert cell.p_more_positive < 1e-6


def test_false_alarm_rate_when_the_judge_errs_alike_in_every_region():
    # The calibration model's own assumption holds: every flag is a false alarm. 150 seeds x 18
    # cells x 2 directions; the tails are conservative, so the rate stays below alpha.
    scenario = get_scenario("baseline_ok")
    flags = []
    for seed in range(150):
        checks = judge_consistency_checks(simulate(scenario, seed).counts)
        flags.append(checks[["p_more_positive", "p_fewer_positive"]].to_numpy() < ALPHA)
    rate = np.concatenate(flags).mean()
    assert 0.005 < rate < ALPHA, rate


@pytest.mark.parametrize(
    ("specificity", "labels", "least_power"),
    # Measured on seeds 100-299: 37% and 90.5%. About 30% of a model's labels fall in eu, 18%
    # of them human negatives: 16 negatives at 300 labels, 53 at 1,000.
    [(0.55, 300, 0.2), (0.55, 1000, 0.75)],
)
def test_power_where_the_judge_is_lenient_in_one_region(specificity, labels, least_power):
    # Specificity 0.55 instead of 0.80 for one model's correctness in one region: the flag lands
    # on that cell, on the lenient side, in a share of simulations that grows with the labels.
    scenario = _lenient_in_one_region(specificity, labels)
    hit, elsewhere = [], []
    for seed in range(40):
        checks = judge_consistency_checks(simulate(scenario, seed).counts)
        is_cell = (
            (checks["model_id"] == OTHER_CANDIDATE)
            & (checks["region"] == "eu")
            & (checks["metric"] == "correctness")
        )
        hit.append(bool((checks.loc[is_cell, "p_more_positive"] < ALPHA).iloc[0]))
        elsewhere.append((checks.loc[~is_cell, "p_more_positive"] < ALPHA).mean())
    assert np.mean(hit) >= least_power, np.mean(hit)
    # The biased cell drags the other regions' reference a little; they are rarely flagged.
    assert np.mean(elsewhere) < ALPHA


def _labelled_by_verdict(rng, regions, judged=5000, sensitivity=0.9):
    """Counts of one model's correctness by region, labels drawn within each verdict.

    regions: (true rate, false-positive rate, labels) per region, labels either
    (judge-positives, judge-negatives) drawn at random within each verdict, or a number drawn
    at random from the region's traces.
    """
    rows = []
    for r, (rate, false_positive_rate, labels) in enumerate(regions):
        positive = rng.binomial(judged, rate)
        tp = rng.binomial(positive, sensitivity)
        fp = rng.binomial(judged - positive, false_positive_rate)
        kinds = [tp, fp, positive - tp, judged - positive - fp]  # tp, fp, fn, tn
        if isinstance(labels, tuple):
            chosen = np.r_[
                rng.multivariate_hypergeometric(kinds[:2], labels[0]),
                rng.multivariate_hypergeometric(kinds[2:], labels[1]),
            ]
        else:
            chosen = rng.multivariate_hypergeometric(kinds, labels)
        unlabelled = (tp + fp - chosen[0] - chosen[1], sum(kinds[2:]) - chosen[2] - chosen[3])
        for judge, human, n in (
            (True, True, chosen[0]),
            (True, False, chosen[1]),
            (False, True, chosen[2]),
            (False, False, chosen[3]),
            (True, None, unlabelled[0]),
            (False, None, unlabelled[1]),
        ):
            rows.append(
                {
                    "model_id": "cand",
                    "region": f"r{r}",
                    "metric": "correctness",
                    "judge_id": "judge",
                    "is_judge_positive": judge,
                    "is_human_positive": human,
                    "n_traces": int(n),
                }
            )
    counts = pd.DataFrame(rows)
    counts["is_human_positive"] = counts["is_human_positive"].astype("boolean")
    return counts


def test_false_alarm_rate_when_labels_are_drawn_within_each_verdict():
    # The judge errs alike everywhere (false-positive rate 0.2, sensitivity 0.9); regions with
    # different true rates are labelled at different rates per verdict. Read as they came, the
    # labelled pairs flagged r0 (10 judge-positives, 60 judge-negatives labelled: no false
    # positive among its many labelled human negatives) as a stricter judge in 100% of 200
    # simulations at p < 0.01, and r3 as a more lenient one.
    rng = np.random.default_rng(11)
    regions = [
        (0.8, 0.2, (10, 60)),
        (0.6, 0.2, (10, 40)),
        (0.7, 0.2, (25, 25)),
        (0.8, 0.2, (45, 5)),
        (0.85, 0.2, 50),
        (0.9, 0.2, (40, 10)),
    ]
    flags = []
    for _ in range(150):
        checks = judge_consistency_checks(_labelled_by_verdict(rng, regions))
        flags.append(checks[["p_more_positive", "p_fewer_positive"]].to_numpy() < ALPHA)
    flags = np.stack(flags)
    # 150 x 6 x 2 p-values; the tails are conservative: 1.7-2.4% on seeds 11-13, where the
    # pairs read as they came flagged 27-28%.
    assert flags.mean() < ALPHA, flags.mean()
    # No region stands out: 300 p-values each, at most 10% flagged (binomial sd 1.3%).
    assert flags.mean(axis=(0, 2)).max() < 2 * ALPHA, flags.mean(axis=(0, 2))


def test_a_lenient_judge_is_found_where_its_judge_negatives_were_labelled_more():
    # False-positive rate 0.45 in r0 instead of 0.2. Its labels are mostly judge-negatives
    # (40 positives, 120 negatives), so few of its labelled human negatives are false
    # positives: read as they came, the labelled pairs called the judge *stricter* there, the
    # side that never holds a candidate's region.
    rng = np.random.default_rng(5)
    regions = [(0.8, 0.45, (40, 120))] + [(rate, 0.2, (25, 25)) for rate in (0.6, 0.7, 0.8, 0.9)]
    more, fewer = [], []
    for _ in range(60):
        checks = judge_consistency_checks(_labelled_by_verdict(rng, regions)).set_index("region")
        more.append(checks.loc["r0", "p_more_positive"] < ALPHA)
        fewer.append(checks.loc["r0", "p_fewer_positive"] < ALPHA)
    # Measured 47-57% on seeds 5-7 (binomial sd 6.5 points at 60 simulations each); read as
    # they came, 0% on the lenient side and 100% on the strict one.
    assert np.mean(more) >= 0.35, np.mean(more)
    assert np.mean(fewer) < ALPHA, np.mean(fewer)


def _checks(rows):
    defaults = {
        "judge_id": "judge",
        "metric": "correctness",
        "n_human_negative": 12,
        "n_false_positive": 6,
        "n_human_positive": 40,
        "n_false_negative": 4,
        "rest_false_positive_rate": 0.15,
        "rest_false_negative_rate": 0.1,
        "n_labelled_unjudged": 0,
        "n_human_positive_unjudged": 0,
        "expected_false_positive": 1.5,
        "expected_false_negative": 8.2,
        "p_more_positive": 1.0,
        "p_fewer_positive": 1.0,
    }
    filled = []
    for row in rows:
        row = {**defaults, **row}
        # Unless a test says otherwise, the labels are a random sample of the cell's verdicts:
        # the verdict strata weigh what they weigh among the labelled pairs.
        labelled_positive = row["n_human_positive"] - row["n_false_negative"]
        labelled_positive += row["n_false_positive"]
        row.setdefault("n_judged", row["n_human_positive"] + row["n_human_negative"])
        row.setdefault("n_judged_positive", labelled_positive)
        filled.append(row)
    return pd.DataFrame(filled)[JUDGE_CHECK_COLUMNS]


def _regional(row, checks):
    (result,) = regional_regression_gates(
        comparisons_frame([row]), ["cand"], [row["metric"]], [row["region"]], POLICY, checks
    )
    return result


def test_a_region_the_judge_favours_the_candidate_in_is_not_cleared():
    clear = comparison(region="eu-west", mean=0.02, sd=0.01)
    assert _regional(clear, None)["status"] == "pass"
    lenient = _checks([{"model_id": "cand", "region": "eu-west", "p_more_positive": 0.004}])
    held = _regional(clear, lenient)
    assert held["status"] == "inconclusive"
    assert "the judge favours cand in eu-west against its other regions" in held["reason"]
    assert (
        "6 of its 42 labelled judge-positives are human negatives, 1.5 expected from the "
        "judge's error rates elsewhere; 4 of its 10 labelled judge-negatives are human "
        "positives, 8.2 expected"
    ) in held["reason"]
    assert "p=0.004) < 0.01" in held["reason"]
    # The harmless side (the judge harsher with the candidate there) does not hold a pass.
    harsh = _checks([{"model_id": "cand", "region": "eu-west", "p_fewer_positive": 0.001}])
    assert _regional(clear, harsh)["status"] == "pass"
    # Nor does a flag in another region, or at p above alpha (default 0.01).
    other = _checks([{"model_id": "cand", "region": "us-east", "p_more_positive": 0.001}])
    assert _regional(clear, other)["status"] == "pass"
    weak = _checks([{"model_id": "cand", "region": "eu-west", "p_more_positive": 0.02}])
    assert _regional(clear, weak)["status"] == "pass"
    # A failure stands: the check only withholds a clearance.
    worse = comparison(region="eu-west", mean=-0.05, sd=0.01)
    assert _regional(worse, lenient)["status"] == "fail"


def test_a_region_the_judge_disfavours_the_incumbent_in_is_not_cleared():
    clear = comparison(region="eu-west", mean=0.02, sd=0.01)
    harsh_on_incumbent = _checks(
        [{"model_id": "inc", "region": "eu-west", "p_fewer_positive": 0.001}]
    )
    held = _regional(clear, harsh_on_incumbent)
    assert held["status"] == "inconclusive"
    assert "the judge disfavours inc in eu-west" in held["reason"]


def test_a_missing_pvalue_of_the_candidate_does_not_hide_the_incumbents():
    # min() over (p, text) pairs kept a NaN that came first: the candidate's NULL p-value (a
    # checks table read back from the warehouse) hid the incumbent's p=0.001 and cleared it.
    clear = comparison(region="eu-west", mean=0.02, sd=0.01)
    checks = _checks(
        [
            {"model_id": "cand", "region": "eu-west", "p_more_positive": float("nan")},
            {"model_id": "inc", "region": "eu-west", "p_fewer_positive": 0.001},
        ]
    )
    held = _regional(clear, checks)
    assert held["status"] == "inconclusive"
    assert "the judge disfavours inc in eu-west" in held["reason"]


def test_on_a_lower_is_better_metric_fewer_positives_favour_the_candidate():
    clear = comparison(region="eu-west", metric="refusal", mean=0.02, sd=0.01)
    fewer = _checks(
        [{"model_id": "cand", "region": "eu-west", "metric": "refusal", "p_fewer_positive": 0.001}]
    )
    more = _checks(
        [{"model_id": "cand", "region": "eu-west", "metric": "refusal", "p_more_positive": 0.001}]
    )
    assert _regional(clear, fewer)["status"] == "inconclusive"
    assert _regional(clear, more)["status"] == "pass"


def test_evaluate_gates_passes_the_checks_to_the_regional_gate():
    from gate_inputs import all_good_inputs

    inputs = all_good_inputs()
    plain = evaluate_gates(**inputs, n_resamples=300, random_seed=1)
    region = "eu-west"
    lenient = _checks([{"model_id": "cand", "region": region, "p_more_positive": 0.001}])
    checked = evaluate_gates(**inputs, n_resamples=300, random_seed=1, judge_checks=lenient)

    def status(gates):
        row = gates[(gates["gate_id"] == "regional_regression") & (gates["region"] == region)]
        return row["status"].iloc[0]

    assert status(plain) == "pass"
    assert status(checked) == "inconclusive"


def test_labels_only_probability_matches_monte_carlo_in_both_directions():
    from llm_migration.gates.judge_consistency import labels_only_prob_worse

    checks = _checks(
        [
            {
                "model_id": "cand",
                "region": "eu-west",
                "n_human_positive": 30,
                "n_human_negative": 20,
            },
            {
                "model_id": "inc",
                "region": "eu-west",
                "n_human_positive": 36,
                "n_human_negative": 14,
            },
        ]
    )
    rng = np.random.default_rng(5)

    def rate(tp, fp, fn, tn, size=400_000):
        # by verdict stratum: w PPV + (1 - w) FOR, w the judge-positive share (here of the
        # labelled pairs alone: the helper's default)
        n, j = tp + fp + fn + tn, tp + fp
        w = rng.beta(1 + j, 1 + n - j, size)
        return w * rng.beta(1 + tp, 1 + fp, size) + (1 - w) * rng.beta(1 + fn, 1 + tn, size)

    cand = rate(26, 6, 4, 14)
    inc = rate(32, 6, 4, 8)
    higher, n_cand, n_inc = labels_only_prob_worse(
        checks, "cand", "inc", "eu-west", "correctness", "higher_is_better", 0.02
    )
    assert (n_cand, n_inc) == (50, 50)
    # Midpoint quantile grid, 64 points a dimension; Monte Carlo sd <= 0.0008 at 400k draws.
    assert higher == pytest.approx(np.mean(cand < inc - 0.02), abs=0.006)
    lower, _, _ = labels_only_prob_worse(
        checks, "cand", "inc", "eu-west", "correctness", "lower_is_better", 0.02
    )
    assert lower == pytest.approx(np.mean(cand > inc + 0.02), abs=0.006)
    assert np.isnan(
        labels_only_prob_worse(
            checks, "cand", "other", "eu-west", "correctness", "higher_is_better", 0.02
        )[0]
    )


def _labelled_pairs(cand_positive, inc_positive, n=100, p_more=0.001):
    return _checks(
        [
            {
                "model_id": "cand",
                "region": "eu-west",
                "p_more_positive": p_more,
                "n_human_positive": cand_positive,
                "n_human_negative": n - cand_positive,
            },
            {
                "model_id": "inc",
                "region": "eu-west",
                "n_human_positive": inc_positive,
                "n_human_negative": n - inc_positive,
            },
        ]
    )


def _labelled_within_each_verdict():
    """A review's case: the incumbent's 170 eu-west labels drawn 85 per verdict of the judge,
    the candidate's at random, the judge lenient with the candidate there (p = 0.002)."""
    return _checks(
        [
            {
                "model_id": "cand",
                "region": "eu-west",
                "p_more_positive": 0.002,
                "n_human_positive": 131,
                "n_false_negative": 16,
                "n_human_negative": 39,
                "n_false_positive": 17,
                "n_judged": 2670,
                "n_judged_positive": 2132,
            },
            {
                "model_id": "inc",
                "region": "eu-west",
                "n_human_positive": 113,
                "n_false_negative": 32,
                "n_human_negative": 57,
                "n_false_positive": 4,
                "n_judged": 2870,
                "n_judged_positive": 2085,
            },
        ]
    )


def test_labels_drawn_within_each_verdict_are_weighted_by_the_cells_verdicts():
    # README: labels may be a random sample within each verdict of the primary judge. The
    # incumbent's 170 eu-west labels are 85 of each verdict (PPV .958, FOR .374, 77% of its
    # verdicts positive: rate .807); the candidate's a random sample (.767, 4 points worse,
    # the judge lenient with it there). The labelled share put the incumbent at .665, and the
    # held region was cleared on the labels "alone" (P(worse by >2pp) 0.005).
    from llm_migration.gates.judge_consistency import labels_only_prob_worse

    checks = _labelled_within_each_verdict()
    p, _, _ = labels_only_prob_worse(
        checks, "cand", "inc", "eu-west", "correctness", "higher_is_better", 0.02
    )
    assert 0.3 < p < 0.5
    clear = comparison(region="eu-west", mean=0.02, sd=0.01)
    assert _regional(clear, checks)["status"] == "inconclusive"


def test_a_held_region_passes_only_when_its_labels_alone_clear_it():
    clear = comparison(region="eu-west", mean=0.02, sd=0.01)
    # 92 of 100 labelled candidate traces correct against 70 of 100: P(worse) ~ 0.
    cleared = _regional(clear, _labelled_pairs(92, 70))
    assert cleared["status"] == "pass"
    assert "so the labels clear it" in cleared["reason"]
    assert "eu-west's human labels alone (100 of cand, 100 of the incumbent)" in cleared["reason"]
    # 78 against 80: the labels alone leave P(worse by > 2pp) near one half.
    held = _regional(clear, _labelled_pairs(78, 80))
    assert held["status"] == "inconclusive"
    assert "its labels alone decide it" in held["reason"]


def test_a_held_region_whose_labels_alone_show_a_regression_fails():
    # 70 of 1,000 labelled candidate traces correct against 80 of 1,000: P(worse by >2pp) = 1.
    # Held open, the candidate was needs_more_labels whatever the labels said, and the plan
    # sized labels for a labels-only "fail" that could not come.
    clear = comparison(region="eu-west", mean=0.02, sd=0.01)
    gate = _regional(clear, _labelled_pairs(700, 800, n=1000))
    assert gate["status"] == "fail"
    assert "it regresses there on the labels alone" in gate["reason"]
    # A failure of the fit's own stays one, and an unsettled labels-only comparison stays open.
    assert (
        _regional(
            comparison(region="eu-west", mean=-0.05, sd=0.01), _labelled_pairs(700, 800, n=1000)
        )["status"]
        == "fail"
    )
    assert _regional(clear, _labelled_pairs(78, 80))["status"] == "inconclusive"


def test_the_check_is_off_with_a_null_alpha_and_its_alpha_is_validated():
    clear = comparison(region="eu-west", mean=0.02, sd=0.01)
    off = GatePolicy.from_vars({"judge_region_check_alpha": None})
    (result,) = regional_regression_gates(
        comparisons_frame([clear]),
        ["cand"],
        ["correctness"],
        ["eu-west"],
        off,
        _labelled_pairs(78, 80),
    )
    assert result["status"] == "pass"
    loose = GatePolicy.from_vars({"judge_region_check_alpha": 0.0001})
    (result,) = regional_regression_gates(
        comparisons_frame([clear]),
        ["cand"],
        ["correctness"],
        ["eu-west"],
        loose,
        _labelled_pairs(78, 80, p_more=0.001),
    )
    assert result["status"] == "pass"  # p = 0.001 is not below 0.0001
    for bad in (0, 0.5, "0.01", float("nan")):
        with pytest.raises(ValueError, match="judge_region_check_alpha"):
            GatePolicy.from_vars({"judge_region_check_alpha": bad})


def _plan_for(clear, gate, cells, judge_checks=None):
    """fct_labeling_plan for one held regional gate of an unsettled candidate with a trusted
    fit; ``cells``: (model, posterior_mean, human_positive_rate, n_human_labeled)."""
    from llm_migration.gates import plan_labels

    sampler = {
        **gate,
        "gate_id": "sampler_convergence",
        "region": "ALL",
        "metric": None,
        "status": "pass",
        "reason": "converged",
    }
    verdict = {"candidate_model_id": "cand", "incumbent_model_id": "inc"}
    posteriors = pd.DataFrame(
        [
            {
                "model_id": model,
                "region": clear["region"],
                "metric": clear["metric"],
                "n_traces": 2000,
                "n_human_labeled": n,
                "posterior_mean": mean,
                "posterior_sd": 0.01,
                "human_positive_rate": rate,
            }
            for model, mean, rate, n in cells
        ]
    )
    return plan_labels(
        pd.DataFrame([gate, sampler]),
        pd.DataFrame([{**verdict, "verdict": "needs_more_labels"}]),
        comparisons_frame([clear]),
        posteriors,
        POLICY,
        judge_checks=judge_checks,
    )


def test_the_labeling_plan_asks_for_labels_where_the_judge_check_holds_a_region():
    clear = comparison(region="eu-west", mean=0.02, sd=0.01)
    checks = _labelled_pairs(78, 80)
    gate = _regional(clear, checks)
    for judge_checks in (None, checks):
        plan = _plan_for(
            clear, gate, [("cand", 0.82, 0.78, 100), ("inc", 0.80, 0.80, 100)], judge_checks
        )
        assert set(plan.model_id) == {"cand", "inc"}
        assert plan.reason.str.contains("the region's human labels alone decide it").all()
        # Labels alone: diff -2pp, sd sqrt(.78*.22/100 + .8*.2/100) = 0.058 now; the
        # posterior's sd of 0.01 would have asked for none.
        assert (plan.additional_labels_needed > 100).all()


def test_the_labeling_plan_for_a_held_region_with_no_positive_label_asks_for_real_numbers():
    # 0 of 40 refusals in each cell: the share's variance was 0 (clipped to 1e-6), the
    # comparison looked settled and the plan asked for one token label; the gate (Beta(1, 1)
    # posteriors) leaves it open at 40 labels each.
    clear = comparison(region="eu-west", metric="refusal", mean=0.02, sd=0.01)
    none = {"n_human_positive": 0, "n_false_negative": 0, "n_human_negative": 40}
    cell = {**none, "region": "eu-west", "metric": "refusal", "n_false_positive": 0}
    checks = _checks(
        [{**cell, "model_id": "cand", "p_fewer_positive": 0.001}, {**cell, "model_id": "inc"}]
    )
    gate = _regional(clear, checks)
    assert gate["status"] == "inconclusive"
    for judge_checks in (None, checks):
        plan = _plan_for(
            clear, gate, [("cand", 0.02, 0.0, 40), ("inc", 0.02, 0.0, 40)], judge_checks
        )
        assert set(plan.model_id) == {"cand", "inc"}
        assert (plan.additional_labels_needed > 100).all()


def _reweighted_reference(w, ppv, false_omission, positive, labelled, size=4_000_000):
    """Mean and sd of w PPV + (1 - w) FOR under the three Beta posteriors (their parameters),
    reweighted by the binomial likelihood of ``positive`` of ``labelled`` traces: Monte Carlo
    with an effective sample size above 10^4 (standard error of the mean below sd / 100)."""
    rng = np.random.default_rng(3)
    share = rng.beta(*w, size)
    rate = share * rng.beta(*ppv, size) + (1 - share) * rng.beta(*false_omission, size)
    log_lik = stats.binom.logpmf(positive, labelled, rate)
    weights = np.exp(log_lik - log_lik.max())
    weights /= weights.sum()
    assert 1.0 / (weights**2).sum() > 1e4
    mean = float(weights @ rate)
    return mean, float(np.sqrt(weights @ (rate - mean) ** 2))


def test_labels_the_judge_did_not_score_count_in_the_labels_only_reading():
    from llm_migration.gates.judge_consistency import labels_only_prob_worse, labels_only_rate

    # The candidate's eu-west: 20 labelled pairs of the primary judge, and 200 labelled traces
    # it did not score on the metric (judge_id null in the counts), 70% positive. The labels
    # alone read only the 20 pairs before.
    pairs = _pairs("cand", "eu-west", 14, 2, 3, 1)
    pairs += [
        {
            **pairs[0],
            "judge_id": None,
            "is_judge_positive": None,
            "is_human_positive": human,
            "n_traces": n,
        }
        for human, n in ((True, 140), (False, 60))
    ]
    pairs += [{**pairs[0], "is_human_positive": None, "n_traces": 600}]  # unlabelled verdicts
    pairs += _pairs("cand", "us-east", 30, 4, 10, 3) + _pairs("inc", "eu-west", 160, 10, 25, 5)
    counts = pd.DataFrame(pairs)
    counts["is_human_positive"] = counts["is_human_positive"].astype("boolean")
    checks = judge_consistency_checks(counts)
    cell = checks.set_index(["model_id", "region"]).loc[("cand", "eu-west")]
    assert (cell.n_labelled_unjudged, cell.n_human_positive_unjudged) == (200, 140)
    mean, sd, n = labels_only_rate(checks, "cand", "eu-west", "correctness")
    assert n == 220
    reference, reference_sd = _reweighted_reference((616, 6), (15, 2), (3, 4), 140, 200)
    assert mean == pytest.approx(reference, abs=1e-3)
    assert sd == pytest.approx(reference_sd, rel=0.02)
    # The 200 traces pull the rate from the pairs' 0.87 to near their 0.70, and narrow it.
    assert 0.68 < mean < 0.76 and sd < 0.035
    # So the held region now fails on the labels alone (the incumbent near 0.85 there).
    p, n_cand, _ = labels_only_prob_worse(
        checks, "cand", "inc", "eu-west", "correctness", "higher_is_better", 0.02
    )
    assert n_cand == 220 and p > 0.95


@pytest.mark.parametrize(
    ("counts", "betas", "unscored", "mean_abs", "sd_rel"),
    [
        # 50 labelled pairs drawn 25 per verdict from a cell whose verdicts are 80% positive:
        # exact moments, so only the reference's Monte Carlo error (below 1e-4).
        ((30, 9, 20, 4, 1000, 800), ((801, 201), (22, 5), (10, 17)), (0, 0), 5e-4, 0.01),
        # 1,000 labelled traces the judge did not score, at 60%, against pairs whose posterior
        # puts the rate near 0.87: the posterior sits far in the pairs' tail. Weighting a
        # quantile grid of the pairs' posterior (tried first) put it at 0.59-0.64 with sd
        # 0.002-0.014 by the grid's size; the grid refined over the mass is within 1e-3.
        ((16, 2, 4, 1, 620, 615), ((616, 6), (15, 2), (3, 4)), (1000, 600), 1e-3, 0.03),
    ],
)
def test_labels_only_rate_has_the_moments_of_the_verdict_stratified_posterior(
    counts, betas, unscored, mean_abs, sd_rel
):
    from llm_migration.gates.judge_consistency import labels_only_rate

    names = ("n_human_positive", "n_false_negative", "n_human_negative", "n_false_positive")
    names += ("n_judged", "n_judged_positive", "n_labelled_unjudged", "n_human_positive_unjudged")
    row = dict(zip(names, (*counts, *unscored), strict=True))
    checks = _checks([{"model_id": "cand", "region": "eu-west", **row}])
    mean, sd, n = labels_only_rate(checks, "cand", "eu-west", "correctness")
    assert n == counts[0] + counts[2] + unscored[0]
    reference, reference_sd = _reweighted_reference(*betas, unscored[1], unscored[0])
    assert mean == pytest.approx(reference, abs=mean_abs)
    assert sd == pytest.approx(reference_sd, rel=sd_rel)
    assert labels_only_rate(checks, "inc", "eu-west", "correctness") is None


def test_the_labeling_plan_reads_a_held_region_by_verdict_stratum_as_the_gate_does():
    # The review case of labels drawn within each verdict (see above): the incumbent's
    # labelled share is 113 / 170 = .665, its rate by verdict stratum .788; the candidate's
    # .771 and .777. On the shares (Beta(1, 1) smoothed) the plan saw the candidate 10.5pp
    # ahead, far from the margin, and asked for one token label, while the gate, reading the
    # strata, sees it about 1pp behind and the region open.
    checks = _labelled_within_each_verdict()
    clear = comparison(region="eu-west", mean=0.02, sd=0.01)
    gate = _regional(clear, checks)
    assert gate["status"] == "inconclusive"
    cells = [("cand", 0.80, 131 / 170, 170), ("inc", 0.80, 113 / 170, 170)]
    by_share = _plan_for(clear, gate, cells)
    by_stratum = _plan_for(clear, gate, cells, checks)
    assert by_share.reason.str.contains("diff +10.5pp", regex=False).all()
    # Posterior means: cand .7985 x 116/134 + .2015 x 17/40 = .777, inc .7265 x 82/87 +
    # .2735 x 33/87 = .788 (to three places; the plan prints -1.2pp).
    assert by_stratum.reason.str.contains("diff -1.2pp", regex=False).all()
    assert set(by_stratum.model_id) == {"cand", "inc"}
    # 0.8pp from the margin instead of 12.5pp: settling it takes many times the labels.
    assert by_stratum.additional_labels_needed.sum() > 5 * by_share.additional_labels_needed.sum()


def test_a_verdict_share_below_the_coarse_grid_is_tested(monkeypatch):
    # A refusal-like metric: 25-30 of 5,000 verdicts positive per region (share ~0.5%, below the
    # coarse grid's first midpoint 1/128), 20 judge-positives and 100 judge-negatives labelled.
    # Every coarse point had f > q, so a labelled true positive had likelihood zero everywhere:
    # NaN p-values for the whole model and metric, which the regional gate skips.
    from llm_migration.gates import judge_consistency

    strata = ([12, 14, 11], [8, 6, 9], [0, 1, 0], [100, 99, 100], [5000] * 3, [28, 30, 25])
    results = judge_consistency.group_pvalues(strata)
    assert np.isfinite(results).all(), results
    # And the grid holds the posterior's mass: a much finer one agrees.
    monkeypatch.setattr(judge_consistency, "_COARSE_POINTS", 128)
    monkeypatch.setattr(judge_consistency, "_FINE_POINTS", 160)
    monkeypatch.setattr(judge_consistency, "_SHARE_POINTS", 64)
    fine = judge_consistency.group_pvalues(strata)
    assert results[:, :2] == pytest.approx(fine[:, :2], rel=0.05, abs=0.002)
    # The mirror image: 9,990-9,999 of 10,000 verdicts positive and a labelled false positive.
    high = ([50, 50, 50], [1, 0, 0], [0, 0, 1], [0, 0, 3], [10_000] * 3, [9999, 9990, 9990])
    assert np.isfinite(judge_consistency.group_pvalues(high)).all()


def test_regions_labelled_in_full_read_the_share_on_a_fine_enough_grid(monkeypatch):
    # Four regions of 80 verdicts, every one labelled: the labels pin each region's true rate
    # about as tightly as its verdicts pin the judge-positive share, so the labels' likelihood
    # can sit in the tail of the share's posterior. On 8 midpoint quantiles of that posterior
    # the p-values were up to half a dense grid's (0.014 for 0.031, 0.0043 for 0.0099) and
    # flagged 37% more often when the judge erred alike everywhere (0.0103 against 0.0075 of
    # 3,200 p-values at alpha 0.01, 400 simulations of regions 200 verdicts all labelled).
    from llm_migration.gates import judge_consistency

    tp, fp, fn, tn = [46, 49, 62, 69], [5, 6, 1, 4], [11, 6, 6, 4], [18, 19, 11, 3]
    strata = (tp, fp, fn, tn, [80] * 4, [51, 55, 63, 73])
    results = judge_consistency.group_pvalues(strata)[:, :2]
    monkeypatch.setattr(judge_consistency, "_COARSE_POINTS", 128)
    monkeypatch.setattr(judge_consistency, "_FINE_POINTS", 160)
    monkeypatch.setattr(judge_consistency, "_SHARE_POINTS", 256)
    dense = judge_consistency.group_pvalues(strata)[:, :2]
    assert results == pytest.approx(dense, rel=0.03, abs=1e-4)
