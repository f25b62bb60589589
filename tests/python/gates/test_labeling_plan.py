"""Labeling plan: cases small enough to compute by hand, and a preposterior check.

Notation of the module docstring: a cell with mean p and sd s holds N = p(1-p)/s^2 effective
labels; a comparison with gap g = diff_mean + margin and sd s is planned to the sd s* at which
the gate settles with probability 0.8 (the default assurance), judged from the current
posterior; ``assured_sd`` solves that equation with scipy's root finder.
"""

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from gate_inputs import all_good_inputs, comparison, posterior
from scipy import optimize, stats

from llm_migration.gates import (
    LABELING_PLAN_COLUMNS,
    allocate_labels,
    decide_verdicts,
    evaluate_gates,
    plan_labels,
)

Z = NormalDist().inv_cdf
Z_BLOCK = Z(0.8)


def assured_sd(gap, sd, z_pass, z_fail=Z_BLOCK, assurance=0.8):
    """s*: P(pass) + P(fail) = assurance, with the future mean ~ Normal(gap, sd^2 - s*^2)."""

    def excess(target):
        spread = math.sqrt(sd**2 - target**2)
        settled = stats.norm.cdf((gap - z_pass * target) / spread)
        settled += stats.norm.cdf((-gap - z_fail * target) / spread)
        return settled - assurance

    return optimize.brentq(excess, 1e-12, sd * (1 - 1e-12), xtol=1e-15)


def _gate(gate_id, region="ALL", metric="correctness", status="inconclusive", candidate="cand"):
    return {
        "candidate_model_id": candidate,
        "gate_id": gate_id,
        "region": region,
        "metric": metric,
        "status": status,
        "reason": "...",
    }


def _verdicts(verdict="needs_more_labels", candidate="cand"):
    return pd.DataFrame(
        [{"candidate_model_id": candidate, "incumbent_model_id": "inc", "verdict": verdict}]
    )


def _cells(region, cand_sd, inc_sd, mean=0.5, n_traces=100_000, cand_labels=300, inc_labels=300):
    return [
        posterior("cand", region, mean=mean, sd=cand_sd, n_human=cand_labels, n_traces=n_traces),
        posterior(
            "inc",
            region,
            mean=mean,
            sd=inc_sd,
            n_human=inc_labels,
            n_traces=n_traces,
            role="incumbent",
        ),
    ]


def _plan(gates, comparisons, posteriors, verdicts=None, **kwargs):
    """plan_labels on these rows; a trusted fit unless ``gates`` has a sampler_convergence row."""
    if not any(g["gate_id"] == "sampler_convergence" for g in gates):
        gates = [*gates, _gate("sampler_convergence", metric=None, status="pass")]
    plan = plan_labels(
        pd.DataFrame(gates),
        _verdicts() if verdicts is None else verdicts,
        pd.DataFrame(comparisons),
        pd.DataFrame(posteriors),
        {},
        run_id="run-3",
        **kwargs,
    )
    assert tuple(plan.columns) == LABELING_PLAN_COLUMNS
    return plan.set_index("model_id", drop=False)


def test_symmetric_cells_split_the_labels_evenly():
    # Both cells: p = 0.5, sd = 0.05 -> N = 0.25 / 0.0025 = 100. The difference has mean 0 and
    # sd sqrt(2) * 0.05; margin 2pp. Overall: pass at z(0.95), fail at z(0.8); s* = 0.014408,
    # and by symmetry each cell must reach variance s*^2 / 2 = 0.25 / (N + a):
    #   a = 0.5 / s*^2 - 100 = 2308.7  ->  2309 labels per cell.
    row = comparison(mean=0.0, sd=math.sqrt(2) * 0.05)
    assert 0.2 < row["prob_noninferior"] < 0.95  # the gate is inconclusive
    plan = _plan([_gate("overall_noninferiority")], [row], _cells("ALL", 0.05, 0.05))
    target = assured_sd(0.02, math.sqrt(2) * 0.05, Z(0.95))
    expected = 0.5 / target**2 - 100
    assert expected == pytest.approx(2308.7, abs=0.1)
    assert plan.loc["cand", "additional_labels_needed"] == math.ceil(expected)
    assert plan.loc["inc", "additional_labels_needed"] == math.ceil(expected)
    assert plan.loc["cand", "target_posterior_sd"] == pytest.approx(target / math.sqrt(2), rel=1e-6)
    assert plan.loc["cand", "current_posterior_sd"] == 0.05
    assert plan.loc["cand", "current_n_human_labeled"] == 300
    assert (plan["gate_id"] == "overall_noninferiority").all()
    assert (plan["region"] == "ALL").all() and (plan["run_id"] == "run-3").all()
    assert "settles the gate with probability 0.80" in plan.loc["cand", "reason"]
    assert "towards pass (pass 0.48, fail 0.32)" in plan.loc["cand", "reason"]


def test_a_precise_incumbent_gets_no_labels_and_the_candidate_takes_them_all():
    # Incumbent sd 0.005 (N = 10,000) already below its share: all reduction from the candidate:
    #   0.25 / (N_c + a) = s*^2 - 0.005^2,  a = 0.25 / (s*^2 - 0.005^2) - 100 = 2803.6.
    sd = math.sqrt(0.05**2 + 0.005**2)
    row = comparison(mean=0.0, sd=sd)
    plan = _plan([_gate("overall_noninferiority")], [row], _cells("ALL", 0.05, 0.005))
    expected = 0.25 / (assured_sd(0.02, sd, Z(0.95)) ** 2 - 0.005**2) - 100
    assert expected == pytest.approx(2803.6, abs=0.1)
    assert list(plan.index) == ["cand"]
    assert plan.loc["cand", "additional_labels_needed"] == math.ceil(expected)


def test_allocation_minimises_the_total():
    cells = {"cand": (0.5, 0.05), "inc": (0.9, 0.02)}  # v = 0.25 and 0.09; N = 100 and 225
    target = 0.0008
    best = allocate_labels(cells, target)
    total = best["cand"] + best["inc"]
    # Closed form: N_m + a_m = sqrt(v_m) (sqrt(.25) + sqrt(.09)) / V* = sqrt(v_m) * 1000.
    assert best["cand"] == pytest.approx(500 - 100)
    assert best["inc"] == pytest.approx(300 - 225)
    achieved = 0.25 / (100 + best["cand"]) + 0.09 / (225 + best["inc"])
    assert achieved == pytest.approx(target)
    # Any other split reaching the same variance costs more.
    for extra_inc in (0.0, 40.0, 150.0):
        remaining = target - 0.09 / (225 + extra_inc)
        if remaining > 0:
            assert 0.25 / remaining - 100 + extra_inc > total
    assert allocate_labels(cells, 0.0) is None
    assert allocate_labels(cells, 1.0) == {"cand": 0.0, "inc": 0.0}


def test_a_probable_regional_regression_is_settled_towards_fail():
    # Region diff -4pp, margin 2pp, sd 0.05 -> P(worse) = Phi(0.4) = 0.66: inconclusive. A
    # region passes at P(worse) <= 0.2 and fails at >= 0.8: z_pass = z_fail = z(0.8), and
    # s* = 0.015620. Cells p = 0.5, sd 0.05/sqrt(2) (N = 200 each): a = 0.5 / s*^2 - 200 = 1849.2.
    row = comparison(region="eu-west", mean=-0.04, sd=0.05)
    cell_sd = 0.05 / math.sqrt(2)
    plan = _plan(
        [_gate("regional_regression", "eu-west")], [row], _cells("eu-west", cell_sd, cell_sd)
    )
    expected = 0.5 / assured_sd(-0.02, 0.05, Z(0.8)) ** 2 - 200
    assert expected == pytest.approx(1849.2, abs=0.1)
    assert plan["additional_labels_needed"].tolist() == [math.ceil(expected)] * 2
    assert (plan["region"] == "eu-west").all()
    assert "towards fail" in plan.loc["cand", "reason"]


def test_a_region_near_zero_settles_towards_pass_at_the_block_threshold():
    # A region passes when P(worse) <= 1 - 0.8, i.e. at z(0.8), not z(0.95): by symmetry the
    # same need as the regression above.
    row = comparison(region="eu-west", mean=0.0, sd=0.05)
    cell_sd = 0.05 / math.sqrt(2)
    plan = _plan(
        [_gate("regional_regression", "eu-west")], [row], _cells("eu-west", cell_sd, cell_sd)
    )
    expected = 0.5 / assured_sd(0.02, 0.05, Z(0.8)) ** 2 - 200
    assert plan.loc["cand", "additional_labels_needed"] == math.ceil(expected)
    assert "towards pass" in plan.loc["cand", "reason"]


def test_a_region_cleared_only_by_pooling_is_planned_on_its_own_evidence():
    # Pooled: diff 0, sd 0.5pp (P(worse) = Phi(-4), cleared); the region's own data: P(worse)
    # 0.345 = Phi(-0.4), i.e. sd 5pp at the same mean. The plan is the one for sd 5pp: cells
    # scaled to 0.05 / sqrt(2) (N = 200 each), as in the test above.
    own = NormalDist(0.0, 0.05).cdf(-0.02)
    row = comparison(region="latam", mean=0.0, sd=0.005, prob_worse_own_evidence=own)
    pooled_sd = 0.005 / math.sqrt(2)
    plan = _plan(
        [_gate("regional_regression", "latam")], [row], _cells("latam", pooled_sd, pooled_sd)
    )
    expected = 0.5 / assured_sd(0.02, 0.05, Z(0.8)) ** 2 - 200
    assert plan["additional_labels_needed"].tolist() == [math.ceil(expected)] * 2
    # Own data pointing to a regression: a random sample there, whatever the pooled sd says.
    row = comparison(region="latam", mean=0.0, sd=0.005, prob_worse_own_evidence=0.7)
    plan = _plan(
        [_gate("regional_regression", "latam")], [row], _cells("latam", pooled_sd, pooled_sd)
    )
    assert plan["additional_labels_needed"].tolist() == [100, 100]
    assert "own data point to a regression" in plan.loc["cand", "reason"]


def test_a_mean_on_the_margin_is_planned_and_a_tight_one_hits_the_cap():
    # Mean on the margin, sd 3pp: the new mean will move off it, so labels settle the gate at
    # s* = 0.0060097. The cells (p = 0.5, sd 0.02: N = 625) shrink by the same factor f = s* /
    # 0.03: 0.25 / (625 + a) = f^2 0.02^2, a = 0.25 / (f^2 0.02^2) - 625 = 14,949.
    row = comparison(mean=-0.02, sd=0.03)
    shrink = assured_sd(0.0, 0.03, Z(0.95)) / 0.03
    expected = 0.25 / (shrink**2 * 0.02**2) - 625
    assert expected == pytest.approx(14949.0, abs=1.0)
    plan = _plan(
        [_gate("overall_noninferiority")],
        [row],
        _cells("ALL", 0.02, 0.02),
        max_additional_labels=20_000,
    )
    assert plan["additional_labels_needed"].tolist() == [math.ceil(expected)] * 2
    # the default cap of 5000 per cell: listed at the cap, flagged
    plan = _plan([_gate("overall_noninferiority")], [row], _cells("ALL", 0.02, 0.02))
    assert plan["additional_labels_needed"].tolist() == [5000, 5000]
    assert "needs about 14950 labels, above the cap of 5000" in plan.loc["cand", "reason"]


def test_a_higher_assurance_asks_for_more_labels():
    row = comparison(mean=0.0, sd=math.sqrt(2) * 0.05)
    cells = _cells("ALL", 0.05, 0.05)
    gates = [_gate("overall_noninferiority")]
    default = _plan(gates, [row], cells).loc["cand", "additional_labels_needed"]
    plan = plan_labels(
        pd.DataFrame([*gates, _gate("sampler_convergence", metric=None, status="pass")]),
        _verdicts(),
        pd.DataFrame([row]),
        pd.DataFrame(cells),
        {"labeling_assurance": 0.95},
        max_additional_labels=50_000,
    ).set_index("model_id")
    expected = 0.5 / assured_sd(0.02, math.sqrt(2) * 0.05, Z(0.95), assurance=0.95) ** 2 - 100
    assert plan.loc["cand", "additional_labels_needed"] == math.ceil(expected) > default
    assert "with probability 0.95" in plan.loc["cand", "reason"]


@pytest.mark.parametrize(
    ("region", "candidate", "incumbent"),
    [
        ("ALL", (304, 400), (320, 400)),  # 4pp worse, margin 2pp: P(non-inferior) 0.25
        ("ALL", (78, 100), (80, 100)),  # on the margin, wide
        ("eu", (150, 200), (160, 200)),  # 5pp worse in a region
        ("eu", (318, 400), (320, 400)),  # close to even in a region
    ],
)
def test_the_planned_labels_settle_the_gate_as_often_as_promised(region, candidate, incumbent):
    """Preposterior check with labels only, where the cells' posteriors are conjugate.

    Each cell's true rate is drawn from its current Beta posterior, the planned labels from
    that rate, and the gate is decided again on the updated Beta posteriors. Over 2,000
    replicates the gate must settle (pass or fail) in 80% of them, within 4 standard errors
    of a binomial proportion (0.036). Planning to keep the current mean, as before, settled
    50-59% of the time in these cases.
    """
    (x_c, n_c), (x_i, n_i) = candidate, incumbent
    beta = {"cand": (1 + x_c, 1 + n_c - x_c), "inc": (1 + x_i, 1 + n_i - x_i)}
    mean = {m: stats.beta.mean(*ab) for m, ab in beta.items()}
    var = {m: stats.beta.var(*ab) for m, ab in beta.items()}
    row = comparison(
        region=region, mean=mean["cand"] - mean["inc"], sd=math.sqrt(var["cand"] + var["inc"])
    )
    cells = [
        posterior(
            m, region, mean=mean[m], sd=math.sqrt(var[m]), n_human=n, n_traces=10**6, role=role
        )
        for m, n, role in (("cand", n_c, "candidate"), ("inc", n_i, "incumbent"))
    ]
    gate_id = "overall_noninferiority" if region == "ALL" else "regional_regression"
    plan = _plan([_gate(gate_id, region)], [row], cells, max_additional_labels=50_000)
    added = {m: int(plan["additional_labels_needed"].get(m, 0)) for m in ("cand", "inc")}
    assert 0 < max(added.values()) < 50_000  # not capped

    rng = np.random.default_rng(11)
    reps = 2000
    updated = {}
    for m, (a, b) in beta.items():
        positives = rng.binomial(added[m], rng.beta(a, b, reps))
        updated[m] = (a + positives, b + added[m] - positives)
    (a_c, b_c), (a_i, b_i) = updated["cand"], updated["inc"]
    diff_mean = a_c / (a_c + b_c) - a_i / (a_i + b_i)
    diff_var = sum(a * b / ((a + b) ** 2 * (a + b + 1)) for a, b in updated.values())
    p_worse = stats.norm.cdf((-0.02 - diff_mean) / np.sqrt(diff_var))
    passed = (1 - p_worse >= 0.95) if region == "ALL" else (p_worse <= 0.2)
    settled = (passed | (p_worse >= 0.8)).mean()
    assert abs(settled - 0.8) < 4 * math.sqrt(0.8 * 0.2 / reps), (settled, added)


def test_more_labels_than_unlabelled_traces_is_flagged():
    row = comparison(mean=0.0, sd=math.sqrt(2) * 0.05)
    plan = _plan([_gate("overall_noninferiority")], [row], _cells("ALL", 0.05, 0.05, n_traces=1000))
    assert (
        "only 700 unlabelled traces in the cell: collect more traces"
        in (plan.loc["cand", "reason"])
    )


def test_human_label_coverage_shortfall_by_hand():
    # The candidate has 2 x 30 = 60 labels, the incumbent 2 x 80 = 160; the minimum is 100.
    posteriors = [
        posterior("cand", "ALL", mean=0.8, sd=0.02, n_human=60),
        posterior("cand", "us-east", n_human=30),
        posterior("cand", "eu-west", n_human=30),
        posterior("inc", "ALL", n_human=160, role="incumbent"),
        posterior("inc", "us-east", n_human=80, role="incumbent"),
        posterior("inc", "eu-west", n_human=80, role="incumbent"),
    ]
    plan = _plan([_gate("human_label_coverage")], [], posteriors)
    assert list(plan.index) == ["cand"]
    assert plan.loc["cand", "additional_labels_needed"] == 40
    assert plan.loc["cand", "current_n_human_labeled"] == 60
    # N = 0.16 / 0.02^2 = 400 -> sd after 40 more = sqrt(0.16 / 440).
    assert plan.loc["cand", "target_posterior_sd"] == pytest.approx(math.sqrt(0.16 / 440))


def test_only_unsettled_candidates_and_label_gates_get_rows():
    row = comparison(mean=0.0, sd=math.sqrt(2) * 0.05)
    gates = [
        _gate("overall_noninferiority"),
        _gate("p95_latency_ratio", metric=None),
        _gate("task_type_regressions"),
    ]
    settled = _plan(gates, [row], _cells("ALL", 0.05, 0.05), verdicts=_verdicts("block"))
    assert settled.empty
    unsettled = _plan(gates, [row], _cells("ALL", 0.05, 0.05))
    assert set(unsettled["gate_id"]) == {"overall_noninferiority"}
    passed = _plan(
        [_gate("overall_noninferiority", status="pass")], [row], _cells("ALL", 0.05, 0.05)
    )
    assert passed.empty


def test_an_untrusted_fit_gets_no_comparison_rows_but_keeps_coverage_rows():
    row = comparison(mean=0.0, sd=math.sqrt(2) * 0.05)
    posteriors = _cells("ALL", 0.05, 0.05, cand_labels=60)
    gates = [_gate("overall_noninferiority"), _gate("human_label_coverage")]
    assert set(_plan(gates, [row], posteriors)["gate_id"]) == {
        "overall_noninferiority",
        "human_label_coverage",
    }
    untrusted = [*gates, _gate("sampler_convergence", metric=None, status="inconclusive")]
    plan = _plan(untrusted, [row], posteriors)
    assert set(plan["gate_id"]) == {"human_label_coverage"}


def test_missing_posteriors_give_no_rows_rather_than_made_up_numbers():
    row = comparison(mean=0.0, sd=math.sqrt(2) * 0.05)
    assert _plan([_gate("overall_noninferiority")], [row], []).empty


def test_plan_from_evaluated_gates_end_to_end():
    inputs = all_good_inputs()
    # Halve the labels so coverage falls short, and make eu-west uncertain.
    inputs["posteriors"]["n_human_labeled"] = 40
    comparisons = inputs["comparisons"]
    eu = comparisons.region == "eu-west"
    for column, value in comparison("cand", "eu-west", mean=-0.01, sd=0.03).items():
        comparisons.loc[eu, column] = value
    gates = evaluate_gates(**inputs, policy={}, run_id="r", n_resamples=300)
    verdicts = decide_verdicts(gates, inputs["models"], run_id="r")
    assert verdicts["verdict"].tolist() == ["needs_more_labels"]
    plan = plan_labels(gates, verdicts, inputs["comparisons"], inputs["posteriors"], {}, run_id="r")
    assert set(zip(plan.gate_id, plan.model_id, plan.region, strict=True)) == {
        ("regional_regression", "cand", "eu-west"),
        ("regional_regression", "inc", "eu-west"),
        ("human_label_coverage", "cand", "ALL"),
        ("human_label_coverage", "inc", "ALL"),
    }
    assert (plan["additional_labels_needed"] > 0).all()
    coverage = plan[plan.gate_id == "human_label_coverage"]
    assert coverage["additional_labels_needed"].tolist() == [20, 20]


def test_comparisons_against_another_incumbent_are_not_planned_on():
    other = comparison(mean=0.0, sd=math.sqrt(2) * 0.05, incumbent_model_id="someone_else")
    assert _plan([_gate("overall_noninferiority")], [other], _cells("ALL", 0.05, 0.05)).empty


def test_without_an_hdi_the_sd_comes_from_the_gate_probability():
    row = comparison(mean=0.0, sd=math.sqrt(2) * 0.05, diff_hdi_low=None, diff_hdi_high=None)
    plan = _plan([_gate("overall_noninferiority")], [row], _cells("ALL", 0.05, 0.05))
    expected = 0.5 / assured_sd(0.02, math.sqrt(2) * 0.05, Z(0.95)) ** 2 - 100
    assert plan.loc["cand", "additional_labels_needed"] == math.ceil(expected)


def test_a_region_without_data_asks_for_a_first_sample_there():
    # ap-south carries traffic but holds no data for the candidate (the incumbent has a cell):
    # no sd can be targeted, so the plan asks for a first random sample of the coverage
    # gate's minimum, for the model lacking the cell only.
    cells = _cells("ALL", 0.05, 0.05) + [
        posterior("inc", "ap-south", mean=0.5, sd=0.05, n_human=50, role="incumbent")
    ]
    plan = _plan([_gate("regional_regression", region="ap-south")], [], cells)
    assert plan["model_id"].tolist() == ["cand"]
    row = plan.loc["cand"]
    assert (row["region"], row["additional_labels_needed"]) == ("ap-south", 100)
    assert pd.isna(row["target_posterior_sd"])
    assert "cand has no kept judged or labelled traces on correctness in ap-south" in row["reason"]
    # Neither model has the cell: both get a row.
    both = _plan([_gate("regional_regression", region="ap-south")], [], _cells("ALL", 0.05, 0.05))
    assert sorted(both["model_id"]) == ["cand", "inc"]
