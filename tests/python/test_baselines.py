"""Baselines on cases whose answer can be computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ppi_py import ppi_mean_ci

from llm_migration.baselines import (
    cell_statistics,
    naive_judge_rate,
    ppi_per_cell,
    rogan_gladen,
    rogan_gladen_per_model,
    rogan_gladen_reused_incumbent,
    wilson_interval,
)
from llm_migration.simulation import get_scenario, simulate

MODELS = pd.DataFrame({"model_id": ["inc", "cand"], "model_role": ["incumbent", "candidate"]})


def make_counts(cells: dict[tuple[str, str, str], dict[str, int]]) -> pd.DataFrame:
    """Counts from {(model, region, metric): {n11, n10, n01, n00, u1, u0}} (missing = 0)."""
    kinds = {
        "n11": (True, True),
        "n10": (True, False),
        "n01": (False, True),
        "n00": (False, False),
        "u1": (True, None),
        "u0": (False, None),
    }
    rows = []
    for (model, region, metric), parts in cells.items():
        for kind, n in parts.items():
            judge, human = kinds[kind]
            rows.append(
                {
                    "model_id": model,
                    "region": region,
                    "metric": metric,
                    "judge_id": "j",
                    "is_judge_positive": judge,
                    "is_human_positive": pd.NA if human is None else human,
                    "n_traces": n,
                }
            )
    counts = pd.DataFrame(rows)
    counts["is_judge_positive"] = counts["is_judge_positive"].astype("boolean")
    counts["is_human_positive"] = counts["is_human_positive"].astype("boolean")
    return counts


def cell(result, model: str, region: str = "r", metric: str = "m") -> pd.Series:
    c = result.cells
    hit = c[(c.model_id == model) & (c.region == region) & (c.metric == metric)]
    assert len(hit) == 1
    return hit.iloc[0]


# ---- sufficient statistics --------------------------------------------------------------------


def test_cell_statistics_totals_and_ignores_rows_without_a_judge():
    counts = make_counts({("inc", "r", "m"): {"n11": 3, "n10": 1, "n01": 2, "n00": 4, "u1": 50}})
    extra = pd.DataFrame(
        [
            {
                "model_id": "inc",
                "region": "r",
                "metric": "m",
                "judge_id": None,
                "is_judge_positive": pd.NA,
                "is_human_positive": True,
                "n_traces": 7,
            }
        ]
    )
    extra["is_judge_positive"] = extra["is_judge_positive"].astype("boolean")
    extra["is_human_positive"] = extra["is_human_positive"].astype("boolean")
    s = cell_statistics(pd.concat([counts, extra], ignore_index=True)).iloc[0]
    assert (s.n11, s.n10, s.n01, s.n00, s.u1, s.u0) == (3, 1, 2, 4, 50, 0)
    assert s.n_labeled == 10
    assert s.n_judged == 60
    assert s.n_judge_positive == 54


def test_cell_statistics_match_the_simulated_traces():
    data = simulate(get_scenario("baseline_ok"), seed=3, return_traces=True)
    s = cell_statistics(data.counts).set_index(["model_id", "region", "metric"])
    t = data.traces
    by_cell = t.groupby(["model_id", "region", "metric"])
    assert (s["n_judged"] == by_cell.size().reindex(s.index)).all()
    assert (s["n_judge_positive"] == by_cell["is_judge_positive"].sum().reindex(s.index)).all()
    labelled = t[t["is_human_positive"].notna()]
    n11 = labelled[labelled.is_judge_positive & labelled.is_human_positive.astype(bool)]
    n11_from_traces = n11.groupby(["model_id", "region", "metric"]).size()
    assert (s["n11"] == n11_from_traces.reindex(s.index, fill_value=0)).all()


def test_counts_missing_a_column_are_rejected():
    with pytest.raises(ValueError, match="missing column 'n_traces'"):
        cell_statistics(make_counts({("inc", "r", "m"): {"u1": 1}}).drop(columns="n_traces"))


# ---- naive ------------------------------------------------------------------------------------


def test_wilson_interval_known_values():
    low, high = wilson_interval(np.array([5, 0]), np.array([10, 10]))
    # 5/10: textbook Wilson interval (0.2366, 0.7634); 0/10: upper = z^2 / (n + z^2).
    z2 = 1.959963985**2
    np.testing.assert_allclose(low, [0.2366, 0.0], atol=1e-4)
    np.testing.assert_allclose(high, [0.7634, z2 / (10 + z2)], atol=1e-4)


def test_naive_rate_is_judge_positive_share_and_difference_is_newcombe():
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 vs 48/80, method 10: 0.0524 to 0.3339.
    counts = make_counts(
        {("cand", "r", "m"): {"u1": 56, "u0": 14}, ("inc", "r", "m"): {"u1": 48, "u0": 32}}
    )
    res = naive_judge_rate(counts, MODELS)
    assert cell(res, "cand").estimate == pytest.approx(0.8)
    assert cell(res, "inc").estimate == pytest.approx(0.6)
    d = res.differences.iloc[0]
    assert d.diff_estimate == pytest.approx(0.2)
    assert d.diff_low == pytest.approx(0.0524, abs=1e-4)
    assert d.diff_high == pytest.approx(0.3339, abs=1e-4)


# ---- Rogan-Gladen -----------------------------------------------------------------------------


def test_rogan_gladen_formula_clipping_and_undefined():
    # (p + Sp - 1) / (Se + Sp - 1) = (0.5 + 0.9 - 1) / (0.8 + 0.9 - 1) = 0.4 / 0.7
    assert rogan_gladen(0.5, 0.8, 0.9) == pytest.approx(4 / 7)
    assert rogan_gladen(0.05, 0.8, 0.9) == 0.0  # below the false-positive rate 1 - Sp
    assert rogan_gladen(0.95, 0.8, 0.9) == 1.0  # above Se
    assert np.isnan(rogan_gladen(0.5, 0.5, 0.5))  # judge no better than chance


def test_perfect_judge_makes_rogan_gladen_equal_the_naive_rate():
    cells = {
        ("inc", "r", "m"): {"n11": 30, "n00": 20, "u1": 420, "u0": 530},
        ("cand", "r", "m"): {"n11": 40, "n00": 10, "u1": 600, "u0": 350},
    }
    counts = make_counts(cells)
    naive = naive_judge_rate(counts, MODELS)
    for method in (rogan_gladen_reused_incumbent, rogan_gladen_per_model):
        res = method(counts, MODELS, n_boot=500, random_seed=1)
        for model in ("inc", "cand"):
            rg, nv = cell(res, model), cell(naive, model)
            assert rg.estimate == pytest.approx(nv.estimate)
            # Se = Sp = 1 in every bootstrap replicate too: only the judged traces vary.
            assert rg.ci_low < rg.estimate < rg.ci_high
            assert rg.ci_high - rg.ci_low == pytest.approx(nv.ci_high - nv.ci_low, rel=0.25)


def test_reused_incumbent_applies_the_incumbents_se_sp_to_every_model():
    # Incumbent pairs: Se = 80/100 = 0.8, Sp = 90/100 = 0.9.
    # Candidate pairs would say Se = 1, Sp = 0.5, but the reused method must ignore them.
    cells = {
        ("inc", "r", "m"): {"n11": 80, "n01": 20, "n00": 90, "n10": 10, "u1": 300, "u0": 500},
        ("cand", "r", "m"): {"n11": 50, "n10": 50, "u1": 400, "u0": 500},
    }
    counts = make_counts(cells)
    res = rogan_gladen_reused_incumbent(counts, MODELS, n_boot=500, random_seed=1)
    p_inc = (80 + 10 + 300) / 1000
    p_cand = (50 + 50 + 400) / 1000
    assert cell(res, "inc").estimate == pytest.approx((p_inc - 0.1) / 0.7)
    assert cell(res, "cand").estimate == pytest.approx((p_cand - 0.1) / 0.7)
    d = res.differences.iloc[0]
    assert d.diff_estimate == pytest.approx((p_cand - p_inc) / 0.7)
    assert d.diff_low < d.diff_estimate < d.diff_high

    own = rogan_gladen_per_model(counts, MODELS, n_boot=500, random_seed=1)
    assert cell(own, "inc").estimate == pytest.approx((p_inc - 0.1) / 0.7)
    # Candidate's own Se = 1 (no n01), Sp = 0 / 50 = 0: Se + Sp - 1 = 0, undefined.
    assert np.isnan(cell(own, "cand").estimate)
    assert np.isnan(cell(own, "cand").ci_low)


def test_per_model_uses_own_pairs_pooled_over_regions():
    # cand: Se = (40 + 20) / (40 + 10 + 20 + 10) = 0.75, Sp = (45 + 45) / (45 + 5 + 45 + 5) = 0.9
    cells = {
        ("inc", "a", "m"): {"n11": 10, "n00": 10, "u1": 50, "u0": 50},
        ("cand", "a", "m"): {"n11": 40, "n01": 10, "n00": 45, "n10": 5, "u1": 200, "u0": 300},
        ("cand", "b", "m"): {"n11": 20, "n01": 10, "n00": 45, "n10": 5, "u1": 100, "u0": 300},
    }
    res = rogan_gladen_per_model(make_counts(cells), MODELS, n_boot=200, random_seed=0)
    p_a = (40 + 5 + 200) / 600
    p_b = (20 + 5 + 100) / 480
    assert cell(res, "cand", "a").estimate == pytest.approx((p_a - 0.1) / 0.65)
    assert cell(res, "cand", "b").estimate == pytest.approx((p_b - 0.1) / 0.65)


def test_model_without_labels_is_undefined_for_per_model_rg_and_ppi():
    data = simulate(get_scenario("candidate_without_labels"), seed=0)
    for res in (
        rogan_gladen_per_model(data.counts, data.models, n_boot=200),
        ppi_per_cell(data.counts, data.models),
    ):
        unlabelled = res.cells[res.cells.model_id == "candidate_b"]
        assert len(unlabelled) == 6
        assert unlabelled[["estimate", "ci_low", "ci_high"]].isna().all().all()
        labelled = res.cells[res.cells.model_id != "candidate_b"]
        assert labelled[["estimate", "ci_low", "ci_high"]].notna().all().all()
        diffs = res.differences
        assert diffs.loc[diffs.candidate_model_id == "candidate_b", "diff_low"].isna().all()
    reused = rogan_gladen_reused_incumbent(data.counts, data.models, n_boot=200)
    assert reused.cells[["estimate", "ci_low", "ci_high"]].notna().all().all()


def test_bootstrap_is_reproducible_with_a_seed():
    data = simulate(get_scenario("baseline_ok"), seed=5)
    a = rogan_gladen_reused_incumbent(data.counts, data.models, n_boot=300, random_seed=7)
    b = rogan_gladen_reused_incumbent(data.counts, data.models, n_boot=300, random_seed=7)
    pd.testing.assert_frame_equal(a.cells, b.cells)
    pd.testing.assert_frame_equal(a.differences, b.differences)


# ---- PPI --------------------------------------------------------------------------------------


def test_ppi_from_counts_equals_ppi_on_the_trace_arrays():
    data = simulate(get_scenario("judge_error_differs_by_model"), seed=2, return_traces=True)
    res = ppi_per_cell(data.counts, data.models)
    t = data.traces
    for model, region, metric in [
        ("incumbent", "us", "correctness"),
        ("candidate_a", "eu", "refusal"),
    ]:
        c = t[(t.model_id == model) & (t.region == region) & (t.metric == metric)]
        lab = c[c.is_human_positive.notna()]
        unl = c[c.is_human_positive.isna()]
        lo, hi = ppi_mean_ci(
            lab.is_human_positive.astype(float).to_numpy(),
            lab.is_judge_positive.astype(float).to_numpy(),
            unl.is_judge_positive.astype(float).to_numpy(),
            alpha=0.05,
        )
        got = cell(res, model, region, metric)
        assert got.ci_low == pytest.approx(max(float(lo[0]), 0.0))
        assert got.ci_high == pytest.approx(min(float(hi[0]), 1.0))
        assert got.estimate == pytest.approx((float(lo[0]) + float(hi[0])) / 2)


def test_ppi_with_a_perfect_judge_and_no_tuning_is_the_unlabelled_mean():
    # With Yhat == Y the rectifier mean(Y - Yhat) is 0 and has no variance, so the PPI++
    # estimate is lam * mean(Yhat_unlabeled) + (1 - lam) * mean(Y); if both means are equal it
    # is that mean whatever lam the tuning picks.
    cells = {
        ("inc", "r", "m"): {"n11": 30, "n00": 20, "u1": 600, "u0": 400},
        ("cand", "r", "m"): {"n11": 1},
    }
    res = ppi_per_cell(make_counts(cells), MODELS)
    assert cell(res, "inc").estimate == pytest.approx(0.6)
    assert np.isnan(cell(res, "cand").estimate)  # one label, no unlabelled traces
