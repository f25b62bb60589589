"""Seeded generator of demo inputs with known truth.

The demo tells the story the package exists for. One incumbent is being retired and three
candidates are evaluated on replayed production items:

- ``cand-steady`` is genuinely a little better on every metric, in every region;
- ``cand-regional`` looks better on average but regresses on correctness in ``eu-west``;
- ``cand-flattered`` is genuinely worse, but the judge (from the same family) is lenient with it,
  so its judge-only scores look best of all.

The incumbent's traces follow production traffic (skewed towards ``us-east``); candidates are
replayed on a region-balanced sample of the same items, so the small regions are over-sampled and
only post-stratification gives the right overall figure.

Judge verdicts come in the spellings real tools emit (``Correct``, ``yes``, ``1``, ``PASS``,
``non-adherent``, whole outputs with ``<assessment>`` tags) and a few are unusable, so the rejects
table has something honest to show. Human labels cover a random subset of each model's traces;
some traces have two or three annotators.

Everything the generator used is written next to the data under ``truth/``: the true rate per
model x region x metric, the judge's sensitivity and specificity per model x metric, the traffic
shares and the verdict each candidate deserves. Tests compare the package's output with it.

Run ``python -m llm_migration.demo --out data/demo`` to regenerate the bundled demo.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

METRICS = ("correctness", "refusal", "style")
JUDGE_ID = "judge-sonnet-eval"

REGION_TRAFFIC = {
    "us-east": 0.38,
    "eu-west": 0.24,
    "ap-south": 0.14,
    "us-west": 0.11,
    "sa-east": 0.08,
    "af-south": 0.05,
}
TASK_TYPES = {"qa": 0.4, "summarisation": 0.25, "extraction": 0.2, "coding": 0.15}
# Logit-scale task effect on correctness and style (refusal does not depend on the task here).
TASK_EFFECT = {"qa": 0.0, "summarisation": 0.25, "extraction": 0.35, "coding": -0.45}
# Logit-scale region effect shared by all models: some markets are harder.
REGION_EFFECT = {
    "us-east": 0.10,
    "eu-west": 0.0,
    "ap-south": -0.15,
    "us-west": 0.12,
    "sa-east": -0.10,
    "af-south": -0.20,
}


@dataclass(frozen=True)
class DemoModel:
    model_id: str
    role: str
    display_name: str
    provider: str
    # Baseline true rate per metric (before region and task effects), on the probability scale.
    base_rate: dict[str, float]
    # Extra logit-scale effect per (region, metric): planted regressions.
    regional_effect: dict[tuple[str, str], float] = field(default_factory=dict)
    # Judge sensitivity / specificity per metric for this model's outputs.
    judge_sensitivity: dict[str, float] = field(default_factory=dict)
    judge_specificity: dict[str, float] = field(default_factory=dict)
    latency_median_ms: float = 900.0
    cost_per_1k_output_tokens_usd: float = 0.01
    error_rate: float = 0.005
    expected_verdict: str = ""
    expected_reason: str = ""


_FAIR_SE = {"correctness": 0.88, "refusal": 0.92, "style": 0.86}
_FAIR_SP = {"correctness": 0.84, "refusal": 0.97, "style": 0.78}

DEMO_MODELS = (
    DemoModel(
        model_id="incumbent-v1",
        role="incumbent",
        display_name="Incumbent v1 (retiring)",
        provider="provider-a",
        base_rate={"correctness": 0.80, "refusal": 0.06, "style": 0.84},
        judge_sensitivity=_FAIR_SE,
        judge_specificity=_FAIR_SP,
        latency_median_ms=900.0,
        cost_per_1k_output_tokens_usd=0.012,
        error_rate=0.006,
    ),
    DemoModel(
        model_id="cand-steady",
        role="candidate",
        display_name="Candidate: steady",
        provider="provider-b",
        base_rate={"correctness": 0.85, "refusal": 0.05, "style": 0.88},
        judge_sensitivity=_FAIR_SE,
        judge_specificity=_FAIR_SP,
        latency_median_ms=820.0,
        cost_per_1k_output_tokens_usd=0.010,
        error_rate=0.004,
        expected_verdict="ship",
        expected_reason="better than the incumbent on every metric in every region",
    ),
    DemoModel(
        model_id="cand-regional",
        role="candidate",
        display_name="Candidate: regional regression",
        provider="provider-c",
        base_rate={"correctness": 0.87, "refusal": 0.05, "style": 0.87},
        regional_effect={("eu-west", "correctness"): -1.25},
        judge_sensitivity=_FAIR_SE,
        judge_specificity=_FAIR_SP,
        latency_median_ms=860.0,
        cost_per_1k_output_tokens_usd=0.011,
        error_rate=0.005,
        expected_verdict="block",
        expected_reason="correctness regresses in eu-west although the traffic-weighted "
        "average is better",
    ),
    DemoModel(
        model_id="cand-flattered",
        role="candidate",
        display_name="Candidate: flattered by the judge",
        provider="provider-a",
        base_rate={"correctness": 0.75, "refusal": 0.08, "style": 0.80},
        judge_sensitivity={"correctness": 0.97, "refusal": 0.92, "style": 0.97},
        judge_specificity={"correctness": 0.45, "refusal": 0.97, "style": 0.45},
        latency_median_ms=880.0,
        cost_per_1k_output_tokens_usd=0.009,
        error_rate=0.005,
        expected_verdict="block",
        expected_reason="truly worse on correctness and style; only the judge says otherwise",
    ),
    DemoModel(
        model_id="legacy-v0",
        role="ignore",
        display_name="Legacy v0 (not evaluated)",
        provider="provider-a",
        base_rate={"correctness": 0.70, "refusal": 0.10, "style": 0.75},
        judge_sensitivity=_FAIR_SE,
        judge_specificity=_FAIR_SP,
    ),
)


@dataclass(frozen=True)
class DemoConfig:
    """Sizes of the generated data set. Defaults give the bundled demo."""

    seed: int = 20261122
    incumbent_traces: int = 2400
    candidate_traces_per_region: int = 300
    ignored_model_traces: int = 60
    items_per_region: int = 400
    human_labeled_traces_per_model: int = 300
    second_annotator_share: float = 0.15
    third_annotator_share: float = 0.05
    annotator_agreement: float = 0.9
    unusable_verdict_share: float = 0.003
    tagged_output_share: float = 0.15
    start: str = "2026-10-01"
    days: int = 28


def _logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p / (1 - p))


def _expit(x: np.ndarray | float) -> np.ndarray:
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def _logit_rate(model: DemoModel, region: str, metric: str, task: str) -> float:
    task_effect = TASK_EFFECT[task] if metric != "refusal" else 0.0
    region_effect = REGION_EFFECT[region] if metric != "refusal" else -REGION_EFFECT[region]
    return (
        float(_logit(model.base_rate[metric]))
        + region_effect
        + task_effect
        + model.regional_effect.get((region, metric), 0.0)
    )


def true_rate(model: DemoModel, region: str, metric: str) -> float:
    """Expected positive rate of ``metric`` for ``model`` in ``region`` over the task mix."""
    return float(
        sum(
            share * _expit(_logit_rate(model, region, metric, task))
            for task, share in TASK_TYPES.items()
        )
    )


_SPELLINGS = {
    "correctness": (
        ["correct", "Correct", "CORRECT", "yes", "1", "pass", "True"],
        ["incorrect", "Incorrect", "INCORRECT", "no", "0", "fail", "False", "wrong"],
    ),
    "refusal": (
        ["refused", "Refused", "yes", "true", "1"],
        ["answered", "Answered", "no", "false", "0", "not refused"],
    ),
    "style": (
        ["adherent", "Adherent", "pass", "yes", "1"],
        ["non_adherent", "non-adherent", "Non-Adherent", "fail", "no", "0"],
    ),
}
_UNUSABLE = ["unsure", "N/A", "", "<assessment></assessment>", "I cannot tell from the context."]
_HUMAN_SPELLINGS = {
    "correctness": (["correct", "yes", "1"], ["incorrect", "no", "0"]),
    "refusal": (["refused", "yes", "1"], ["answered", "no", "0"]),
    "style": (["adherent", "yes", "1"], ["non_adherent", "no", "0"]),
}


def _spell(rng: np.random.Generator, metric: str, positive: np.ndarray, table: dict) -> np.ndarray:
    pos_words, neg_words = table[metric]
    out = np.where(
        positive,
        np.asarray(pos_words, dtype=object)[rng.integers(len(pos_words), size=positive.size)],
        np.asarray(neg_words, dtype=object)[rng.integers(len(neg_words), size=positive.size)],
    )
    return out


def _tagged(rng: np.random.Generator, verdicts: np.ndarray) -> np.ndarray:
    openers = np.array(
        [
            "The response addresses the question. ",
            "Checked against the reference answer. ",
            "Reasoning: the output was compared with the rubric.\n",
        ],
        dtype=object,
    )
    picks = openers[rng.integers(len(openers), size=verdicts.size)]
    return np.array(
        [f"{o}<assessment>{v}</assessment>" for o, v in zip(picks, verdicts, strict=True)],
        dtype=object,
    )


def generate(config: DemoConfig | None = None, models: tuple[DemoModel, ...] = DEMO_MODELS):
    """Generate the four inputs and the truth behind them.

    Parameters
    ----------
    config : DemoConfig, optional
        Sizes and seed; the defaults give the bundled demo.
    models : tuple of DemoModel
        The models to simulate; exactly one must have role ``incumbent``.

    Returns
    -------
    inputs : dict of str to pandas.DataFrame
        ``traces``, ``judge_scores``, ``human_labels`` and ``models`` in the input contract.
    truth : dict of str to pandas.DataFrame
        ``true_rates``, ``judge_error``, ``traffic_shares`` and ``expected_verdicts``.
    """
    config = config or DemoConfig()
    rng = np.random.default_rng(config.seed)
    regions = np.array(list(REGION_TRAFFIC), dtype=object)
    traffic = np.array(list(REGION_TRAFFIC.values()))
    tasks = np.array(list(TASK_TYPES), dtype=object)
    task_p = np.array(list(TASK_TYPES.values()))

    # Items: test questions, each belonging to a region and a task type.
    n_items = config.items_per_region * len(regions)
    item_task = tasks[rng.choice(len(tasks), size=n_items, p=task_p)]
    item_ids = np.array([f"item-{i:05d}" for i in range(n_items)], dtype=object)

    start = pd.Timestamp(config.start, tz="UTC")
    trace_frames = []
    for model in models:
        if model.role == "incumbent":
            region_idx = rng.choice(len(regions), size=config.incumbent_traces, p=traffic)
        elif model.role == "candidate":
            region_idx = np.repeat(np.arange(len(regions)), config.candidate_traces_per_region)
        else:
            region_idx = rng.choice(len(regions), size=config.ignored_model_traces, p=traffic)
        n = region_idx.size
        item_idx = region_idx * config.items_per_region + rng.integers(
            config.items_per_region, size=n
        )
        latency = rng.lognormal(np.log(model.latency_median_ms), 0.45, size=n)
        input_tokens = rng.integers(200, 2400, size=n)
        output_tokens = rng.integers(50, 900, size=n)
        status = np.where(rng.random(n) < model.error_rate, "error", "ok")
        created = start + pd.to_timedelta(rng.random(n) * config.days * 86400, unit="s")
        trace_frames.append(
            pd.DataFrame(
                {
                    "model_id": model.model_id,
                    "region": regions[region_idx],
                    "item_id": item_ids[item_idx],
                    "task_type": item_task[item_idx],
                    "created_at": created,
                    "latency_ms": np.round(latency, 1),
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                    "cost_usd": np.round(
                        (input_tokens * 0.25 + output_tokens)
                        / 1000
                        * model.cost_per_1k_output_tokens_usd,
                        6,
                    ),
                    "status": status,
                }
            )
        )
    traces = pd.concat(trace_frames, ignore_index=True)
    traces = traces.sample(frac=1.0, random_state=config.seed).reset_index(drop=True)
    traces.insert(0, "trace_id", [f"tr-{i:07d}" for i in range(len(traces))])
    by_id = {m.model_id: m for m in models}

    judge_frames, label_frames = [], []
    for metric in METRICS:
        logit_rate = np.array(
            [
                _logit_rate(by_id[m], r, metric, t)
                for m, r, t in zip(traces.model_id, traces.region, traces.task_type, strict=True)
            ]
        )
        truth = rng.random(len(traces)) < _expit(logit_rate)
        se = traces.model_id.map(lambda m, k=metric: by_id[m].judge_sensitivity[k]).to_numpy()
        sp = traces.model_id.map(lambda m, k=metric: by_id[m].judge_specificity[k]).to_numpy()
        judged_positive = np.where(
            truth, rng.random(len(traces)) < se, rng.random(len(traces)) >= sp
        )
        verdict = _spell(rng, metric, judged_positive, _SPELLINGS)
        tagged = rng.random(len(traces)) < config.tagged_output_share
        verdict[tagged] = _tagged(rng, verdict[tagged])
        unusable = rng.random(len(traces)) < config.unusable_verdict_share
        verdict[unusable] = np.asarray(_UNUSABLE, dtype=object)[
            rng.integers(len(_UNUSABLE), size=int(unusable.sum()))
        ]
        scored_at = traces.created_at + pd.to_timedelta(
            rng.integers(60, 36 * 3600, size=len(traces)), unit="s"
        )
        judge_frames.append(
            pd.DataFrame(
                {
                    "trace_id": traces.trace_id,
                    "metric": metric,
                    "judge_id": JUDGE_ID,
                    "judgement": verdict,
                    "scored_at": scored_at,
                }
            )
        )
        label_frames.append((metric, truth))

    # Human labels: a random subset of each evaluated model's traces, every metric labelled.
    annotators = np.array([f"ann-{i:02d}" for i in range(1, 9)], dtype=object)
    label_rows = []
    for model in models:
        if model.role == "ignore":
            continue
        idx = np.flatnonzero(traces.model_id.to_numpy() == model.model_id)
        chosen = rng.choice(
            idx, size=min(config.human_labeled_traces_per_model, idx.size), replace=False
        )
        u = rng.random(chosen.size)
        n_annotators = np.where(
            u < config.third_annotator_share,
            3,
            np.where(u < config.third_annotator_share + config.second_annotator_share, 2, 1),
        )
        first_annotator = rng.integers(len(annotators), size=chosen.size)
        for metric, truth in label_frames:
            for k in range(3):
                has = n_annotators > k
                rows = chosen[has]
                value = truth[rows]
                if k > 0:
                    flip = rng.random(rows.size) >= config.annotator_agreement
                    value = np.where(flip, ~value, value)
                ann = annotators[(first_annotator[has] + k) % len(annotators)]
                label_rows.append(
                    pd.DataFrame(
                        {
                            "trace_id": traces.trace_id.to_numpy()[rows],
                            "metric": metric,
                            "annotator_id": ann,
                            "label": _spell(rng, metric, value, _HUMAN_SPELLINGS),
                            "labeled_at": (
                                traces.created_at.iloc[rows] + pd.Timedelta(days=3)
                            ).to_numpy(),
                        }
                    )
                )
    human_labels = pd.concat(label_rows, ignore_index=True)
    judge_scores = pd.concat(judge_frames, ignore_index=True)

    models_df = pd.DataFrame(
        {
            "model_id": [m.model_id for m in models],
            "role": [m.role for m in models],
            "display_name": [m.display_name for m in models],
            "provider": [m.provider for m in models],
        }
    )

    true_rates = pd.DataFrame(
        [
            {
                "model_id": m.model_id,
                "region": r,
                "metric": k,
                "true_rate": true_rate(m, r, k),
            }
            for m in models
            if m.role != "ignore"
            for r in REGION_TRAFFIC
            for k in METRICS
        ]
    )
    overall = (
        true_rates.assign(w=true_rates.region.map(REGION_TRAFFIC))
        .assign(wr=lambda d: d.w * d.true_rate)
        .groupby(["model_id", "metric"], as_index=False)["wr"]
        .sum()
        .rename(columns={"wr": "true_rate"})
        .assign(region="ALL")
    )
    true_rates = pd.concat([true_rates, overall[true_rates.columns]], ignore_index=True)
    judge_error = pd.DataFrame(
        [
            {
                "judge_id": JUDGE_ID,
                "model_id": m.model_id,
                "metric": k,
                "sensitivity": m.judge_sensitivity[k],
                "specificity": m.judge_specificity[k],
            }
            for m in models
            if m.role != "ignore"
            for k in METRICS
        ]
    )
    traffic_shares = pd.DataFrame(
        {"region": list(REGION_TRAFFIC), "traffic_share": list(REGION_TRAFFIC.values())}
    )
    expected = pd.DataFrame(
        [
            {
                "model_id": m.model_id,
                "expected_verdict": m.expected_verdict,
                "reason": m.expected_reason,
            }
            for m in models
            if m.role == "candidate"
        ]
    )
    inputs = {
        "traces": traces,
        "judge_scores": judge_scores,
        "human_labels": human_labels,
        "models": models_df,
    }
    truth = {
        "true_rates": true_rates,
        "judge_error": judge_error,
        "traffic_shares": traffic_shares,
        "expected_verdicts": expected,
    }
    return inputs, truth


# The bundled demo mixes formats on purpose, so format detection is exercised on every build.
DEMO_FORMATS = {
    "traces": "parquet",
    "judge_scores": "parquet",
    "human_labels": "csv",
    "models": "csv",
}


def write_inputs(
    inputs: dict[str, pd.DataFrame], out: Path, formats: dict[str, str] | None = None
) -> dict[str, Path]:
    """Write each input as ``<name>.<format>`` (parquet, csv or jsonl) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    formats = formats or DEMO_FORMATS
    paths = {}
    for name, frame in inputs.items():
        fmt = formats.get(name, "parquet")
        path = out / f"{name}.{fmt}"
        for other in ("parquet", "csv", "jsonl"):
            (out / f"{name}.{other}").unlink(missing_ok=True)
        frame = frame.copy()
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
                frame[col] = (
                    frame[col].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                    if fmt != "parquet"
                    else frame[col]
                )
        if fmt == "parquet":
            frame.to_parquet(path, index=False)
        elif fmt == "csv":
            frame.to_csv(path, index=False)
        elif fmt == "jsonl":
            frame.to_json(path, orient="records", lines=True, date_format="iso")
        else:
            raise ValueError(
                f"unknown format {fmt!r} for input {name!r}: use parquet, csv or jsonl"
            )
        paths[name] = path
    return paths


def write_demo(out: Path, config: DemoConfig | None = None) -> None:
    """Generate the demo and write inputs plus ``truth/`` into ``out``."""
    inputs, truth = generate(config)
    write_inputs(inputs, out)
    truth_dir = out / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in truth.items():
        frame.to_csv(truth_dir / f"{name}.csv", index=False, float_format="%.6f")
    summary = {name: int(len(frame)) for name, frame in inputs.items()}
    (truth_dir / "row_counts.json").write_text(json.dumps(summary, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("data/demo"), help="output folder")
    parser.add_argument("--seed", type=int, default=DemoConfig.seed)
    args = parser.parse_args(argv)
    write_demo(args.out, DemoConfig(seed=args.seed))
    print(f"wrote demo inputs and truth to {args.out}")


if __name__ == "__main__":
    main()
