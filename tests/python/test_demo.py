"""The demo generator: deterministic, in the input contract, and its data agree with its truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llm_migration import demo

SMALL = demo.DemoConfig(
    incumbent_traces=600,
    candidate_traces_per_region=60,
    items_per_region=80,
    human_labeled_traces_per_model=120,
)


@pytest.fixture(scope="module")
def generated():
    return demo.generate(demo.DemoConfig())


def test_same_seed_same_data_and_other_seed_differs():
    first, _ = demo.generate(SMALL)
    again, _ = demo.generate(SMALL)
    other, _ = demo.generate(demo.DemoConfig(**{**SMALL.__dict__, "seed": 1}))
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not first["judge_scores"]["judgement"].equals(other["judge_scores"]["judgement"])


def test_inputs_follow_the_contract(generated):
    inputs, _ = generated
    required = {
        "traces": {"trace_id", "model_id", "region", "created_at"},
        "judge_scores": {"trace_id", "metric", "judge_id", "judgement"},
        "human_labels": {"trace_id", "metric", "annotator_id", "label"},
        "models": {"model_id", "role"},
    }
    for name, columns in required.items():
        assert columns <= set(inputs[name].columns), name
    assert inputs["traces"]["trace_id"].is_unique
    roles = inputs["models"].set_index("model_id")["role"]
    assert (roles == "incumbent").sum() == 1
    assert (roles == "candidate").sum() == 3
    # items are shared across models (paired designs)
    per_item = inputs["traces"].groupby("item_id")["model_id"].nunique()
    assert (per_item >= 2).mean() > 0.5


def test_story_planted_in_the_truth(generated):
    _, truth = generated
    rates = truth["true_rates"].set_index(["model_id", "region", "metric"])["true_rate"]
    incumbent = "incumbent-v1"
    # the regional candidate is better on average but clearly worse in eu-west
    assert rates["cand-regional", "ALL", "correctness"] > rates[incumbent, "ALL", "correctness"]
    assert (
        rates["cand-regional", "eu-west", "correctness"]
        < rates[incumbent, "eu-west", "correctness"] - 0.05
    )
    # the flattered candidate is truly worse, and the judge is more lenient with it
    assert (
        rates["cand-flattered", "ALL", "correctness"]
        < rates[incumbent, "ALL", "correctness"] - 0.02
    )
    error = truth["judge_error"].set_index(["model_id", "metric"])
    assert (
        error.loc[("cand-flattered", "correctness"), "specificity"]
        < error.loc[(incumbent, "correctness"), "specificity"] - 0.2
    )
    expected = truth["expected_verdicts"].set_index("model_id")["expected_verdict"].to_dict()
    assert expected == {"cand-steady": "ship", "cand-regional": "block", "cand-flattered": "block"}


def test_judge_positive_rate_matches_truth_within_sampling_error(generated):
    """The judge-positive rate per model x metric must equal theta*Se + (1-theta)*(1-Sp)."""
    inputs, truth = generated
    traces = inputs["traces"][["trace_id", "model_id", "region"]]
    scores = inputs["judge_scores"].merge(traces, on="trace_id")
    token = scores["judgement"].str.extract(r"(?is)<assessment>(.*?)</assessment>")[0]
    text = (
        token.fillna(scores["judgement"])
        .str.strip()
        .str.lower()
        .str.replace("-", "_")
        .str.replace(" ", "_")
    )
    positive = {"correct", "yes", "1", "pass", "true", "refused", "adherent"}
    negative = {
        "incorrect",
        "no",
        "0",
        "fail",
        "false",
        "wrong",
        "answered",
        "not_refused",
        "non_adherent",
    }
    scores = scores.assign(pos=text.isin(positive), usable=text.isin(positive | negative))
    scores = scores[scores.usable]
    rates = truth["true_rates"]
    error = truth["judge_error"]
    weights = traces.groupby(["model_id", "region"]).size().rename("n").reset_index()
    checked = 0
    for (model_id, metric), group in scores.groupby(["model_id", "metric"]):
        if model_id not in set(error.model_id):
            continue
        theta = rates[
            (rates.model_id == model_id) & (rates.metric == metric) & (rates.region != "ALL")
        ]
        theta = theta.merge(weights[weights.model_id == model_id], on=["model_id", "region"])
        theta_bar = np.average(theta.true_rate, weights=theta.n)
        se, sp = error[(error.model_id == model_id) & (error.metric == metric)][
            ["sensitivity", "specificity"]
        ].iloc[0]
        expected = theta_bar * se + (1 - theta_bar) * (1 - sp)
        observed = group.pos.mean()
        standard_error = np.sqrt(expected * (1 - expected) / len(group))
        assert abs(observed - expected) < 4 * standard_error, (model_id, metric, observed, expected)
        checked += 1
    assert checked == 12


def test_human_labels_on_about_300_traces_per_model_some_with_several_annotators(generated):
    inputs, _ = generated
    labels = inputs["human_labels"].merge(inputs["traces"][["trace_id", "model_id"]], on="trace_id")
    per_model = labels.groupby("model_id")["trace_id"].nunique()
    assert set(per_model.index) == {
        "incumbent-v1",
        "cand-steady",
        "cand-regional",
        "cand-flattered",
    }
    assert (per_model == 300).all()
    annotators = labels.groupby(["trace_id", "metric"])["annotator_id"].nunique()
    assert annotators.max() == 3
    assert 0.1 < (annotators >= 2).mean() < 0.3


def test_bundled_demo_is_what_the_generator_writes(tmp_path):
    demo.write_demo(tmp_path)
    bundled = demo.DEMO_FORMATS
    from conftest import DEMO_DIR

    for name, fmt in bundled.items():
        fresh = tmp_path / f"{name}.{fmt}"
        committed = DEMO_DIR / f"{name}.{fmt}"
        if fmt == "parquet":
            pd.testing.assert_frame_equal(pd.read_parquet(fresh), pd.read_parquet(committed))
        else:
            assert fresh.read_text() == committed.read_text(), name
