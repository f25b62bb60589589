"""Seeded generator of paper-scale inputs (5.3M traces, ~16M judge verdicts) for the benchmarks.

The data follow the demo's story and reuse its models, regions, task mix, true rates, judge
error rates and verdict spellings (``llm_migration.demo``), only bigger:

- ``incumbent-v1`` serves production traffic (skewed towards us-east): 2.3M traces;
- each of the three candidates is replayed on a region-balanced sample: 1M traces each;
- ``legacy-v0`` (role ignore) has 20k traces the build must leave out;
- one judge scores every trace on correctness, refusal and style (three verdicts per trace),
  spelled as tools emit them, 15% as whole outputs with ``<assessment>`` tags, 0.3% unusable,
  0.2% without scored_at;
- about 1,000 random traces per evaluated model carry human labels on every metric, some with two
  or three annotators.

Everything is drawn with numpy on whole columns and written with pyarrow: no per-row Python.
Low-cardinality text columns (model, region, metric, verdict) are written dictionary-encoded, as
Parquet writers do; readers see plain text.

Run ``python bench/generate_paper_scale.py [out_dir]`` (default ``bench/out/paper``);
``--scale 0.01`` gives a quick, proportionally smaller set. The truth behind the data is written to
``<out_dir>/truth/`` in the demo's layout.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from llm_migration import demo

# A judge's whole output with the verdict in tags: short notes and a longer reasoning paragraph,
# so the tag extraction works on text of realistic length.
_JUDGE_PREAMBLES = (
    "The response addresses the question. ",
    "Checked against the reference answer. ",
    "Reasoning: I compared the output with the rubric point by point. The answer states the "
    "key facts from the reference, the cited figures match the source document, the tone is "
    "appropriate for the audience and no instruction in the system prompt was ignored. Minor "
    "issues with formatting do not change the assessment.\n",
)
_ANNOTATORS = np.array([f"ann-{i:02d}" for i in range(1, 13)], dtype=object)


@dataclass(frozen=True)
class PaperScaleConfig:
    """Sizes of the paper-scale set; ``scale`` multiplies every trace count."""

    seed: int = 20261123
    incumbent_traces: int = 2_300_000
    candidate_traces_per_region: int = 166_667
    ignored_model_traces: int = 20_000
    items_per_region: int = 5_000
    human_labeled_traces_per_model: int = 1_000
    second_annotator_share: float = 0.15
    third_annotator_share: float = 0.05
    annotator_agreement: float = 0.9
    unusable_verdict_share: float = 0.003
    tagged_output_share: float = 0.15
    missing_scored_at_share: float = 0.002
    start: str = "2026-09-07"
    days: int = 56

    def scaled(self, scale: float) -> PaperScaleConfig:
        return PaperScaleConfig(
            **{
                **self.__dict__,
                "incumbent_traces": max(1, round(self.incumbent_traces * scale)),
                "candidate_traces_per_region": max(
                    1, round(self.candidate_traces_per_region * scale)
                ),
                "ignored_model_traces": max(1, round(self.ignored_model_traces * scale)),
            }
        )


def _dictionary(codes: np.ndarray, values) -> pa.DictionaryArray:
    """Text column from small integer codes into a list of distinct values."""
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32)), pa.array(list(values), type=pa.string())
    )


def _prefixed_ids(prefix: str, n: int, width: int) -> pa.Array:
    """``prefix`` + zero-padded 0..n-1, computed by Arrow rather than Python."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(n, dtype=np.int64)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _timestamps(microseconds: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(microseconds, type=pa.timestamp("us", tz="UTC"), mask=missing)


def _verdict_vocabulary(metric: str) -> tuple[list[str], int, int, int, int]:
    """Every text a judge may emit for ``metric``: plain words, tagged outputs, unusable text.

    Returns the vocabulary and the number of positive words, negative words, the offset of the
    tagged block (one block of positive + negative words per preamble) and of the unusable texts.
    """
    positive, negative = demo._SPELLINGS[metric]
    words = list(positive) + list(negative)
    tagged = [f"{p}<assessment>{w}</assessment>" for p in _JUDGE_PREAMBLES for w in words]
    vocabulary = words + tagged + list(demo._UNUSABLE)
    return vocabulary, len(positive), len(negative), len(words), len(words) + len(tagged)


def _judge_verdict_codes(
    rng: np.random.Generator, metric: str, is_positive: np.ndarray, config: PaperScaleConfig
) -> tuple[np.ndarray, list[str]]:
    vocabulary, n_pos, n_neg, tagged_at, unusable_at = _verdict_vocabulary(metric)
    n = is_positive.size
    word = np.where(is_positive, rng.integers(n_pos, size=n), n_pos + rng.integers(n_neg, size=n))
    u = rng.random(n)
    preamble = rng.integers(len(_JUDGE_PREAMBLES), size=n)
    codes = np.where(
        u < config.tagged_output_share, tagged_at + preamble * (n_pos + n_neg) + word, word
    )
    unusable = u > 1 - config.unusable_verdict_share
    codes[unusable] = unusable_at + rng.integers(len(demo._UNUSABLE), size=int(unusable.sum()))
    return codes, vocabulary


def _trace_design(rng: np.random.Generator, config: PaperScaleConfig) -> dict[str, np.ndarray]:
    """Model, region, item and task per trace, shuffled so models interleave as in production."""
    n_regions = len(demo.REGION_TRAFFIC)
    traffic = np.array(list(demo.REGION_TRAFFIC.values()))
    blocks = []
    for code, model in enumerate(demo.DEMO_MODELS):
        if model.role == "incumbent":
            region = rng.choice(n_regions, size=config.incumbent_traces, p=traffic)
        elif model.role == "candidate":
            region = np.repeat(np.arange(n_regions), config.candidate_traces_per_region)
        else:
            region = rng.choice(n_regions, size=config.ignored_model_traces, p=traffic)
        blocks.append((np.full(region.size, code, dtype=np.int8), region.astype(np.int8)))
    model_code = np.concatenate([b[0] for b in blocks])
    region_code = np.concatenate([b[1] for b in blocks])
    order = rng.permutation(model_code.size)
    model_code, region_code = model_code[order], region_code[order]
    item = region_code.astype(np.int32) * config.items_per_region + rng.integers(
        config.items_per_region, size=model_code.size, dtype=np.int32
    )
    return {"model": model_code, "region": region_code, "item": item}


def generate(out: Path, config: PaperScaleConfig) -> dict[str, int]:
    """Write traces, judge_scores, human_labels and models as Parquet, plus ``truth/``.

    Returns the row count of each input.
    """
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(config.seed)
    models = demo.DEMO_MODELS
    regions = list(demo.REGION_TRAFFIC)
    tasks = list(demo.TASK_TYPES)

    n_items = config.items_per_region * len(regions)
    item_task = rng.choice(len(tasks), size=n_items, p=list(demo.TASK_TYPES.values())).astype(
        np.int8
    )
    design = _trace_design(rng, config)
    n = design["model"].size
    task_code = item_task[design["item"]]
    trace_id = _prefixed_ids("tr-", n, 8)
    item_ids = _prefixed_ids("item-", n_items, 6)

    start_us = pd.Timestamp(config.start, tz="UTC").value // 1000
    created_us = start_us + (rng.random(n) * config.days * 86_400e6).astype(np.int64)

    median_latency = np.array([m.latency_median_ms for m in models])[design["model"]]
    latency = np.round(rng.lognormal(np.log(median_latency), 0.45), 1)
    input_tokens = rng.integers(200, 2400, size=n)
    output_tokens = rng.integers(50, 900, size=n)
    price = np.array([m.cost_per_1k_output_tokens_usd for m in models])[design["model"]]
    cost = np.round((input_tokens * 0.25 + output_tokens) / 1000 * price, 6)
    error_rate = np.array([m.error_rate for m in models])[design["model"]]
    is_error = rng.random(n) < error_rate

    traces = pa.table(
        {
            "trace_id": trace_id,
            "model_id": _dictionary(design["model"], [m.model_id for m in models]),
            "region": _dictionary(design["region"], regions),
            "item_id": pc.take(item_ids, pa.array(design["item"])),
            "task_type": _dictionary(task_code, tasks),
            "created_at": _timestamps(created_us),
            "latency_ms": latency,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cost_usd": cost,
            "status": _dictionary(is_error.astype(np.int8), ["ok", "error"]),
        }
    )
    pq.write_table(traces, out / "traces.parquet")
    del traces, latency, input_tokens, output_tokens, cost, is_error, item_ids

    # True labels and judge verdicts per metric; the truth is kept for the human labels.
    true_label = {}
    judge_path = out / "judge_scores.parquet"
    writer = None
    for metric in demo.METRICS:
        logit = np.array(
            [[[demo._logit_rate(m, r, metric, t) for t in tasks] for r in regions] for m in models]
        )
        rate = 1 / (1 + np.exp(-logit))
        truth = rng.random(n) < rate[design["model"], design["region"], task_code]
        se = np.array([m.judge_sensitivity[metric] for m in models])[design["model"]]
        sp = np.array([m.judge_specificity[metric] for m in models])[design["model"]]
        u = rng.random(n)
        judged_positive = np.where(truth, u < se, u >= sp)
        codes, vocabulary = _judge_verdict_codes(rng, metric, judged_positive, config)
        scored_us = created_us + rng.integers(60, 36 * 3600, size=n) * 1_000_000
        no_scored_at = rng.random(n) < config.missing_scored_at_share
        chunk = pa.table(
            {
                "trace_id": trace_id,
                "metric": _dictionary(np.zeros(n, dtype=np.int8), [metric]),
                "judge_id": _dictionary(np.zeros(n, dtype=np.int8), [demo.JUDGE_ID]),
                "judgement": _dictionary(codes, vocabulary),
                "scored_at": _timestamps(scored_us, no_scored_at),
            }
        )
        if writer is None:
            # Each metric has its own verdict vocabulary: write plain text dictionaries.
            schema = pa.schema(
                [
                    ("trace_id", pa.string()),
                    ("metric", pa.dictionary(pa.int32(), pa.string())),
                    ("judge_id", pa.dictionary(pa.int32(), pa.string())),
                    ("judgement", pa.dictionary(pa.int32(), pa.string())),
                    ("scored_at", pa.timestamp("us", tz="UTC")),
                ]
            )
            writer = pq.ParquetWriter(judge_path, schema)
        writer.write_table(chunk.cast(writer.schema))
        true_label[metric] = truth
        del chunk, codes, scored_us, judged_positive, se, sp, u
    writer.close()

    human_labels = _human_labels(rng, config, design["model"], trace_id, created_us, true_label)
    pq.write_table(
        pa.Table.from_pandas(human_labels, preserve_index=False), out / "human_labels.parquet"
    )

    models_table = pd.DataFrame(
        {
            "model_id": [m.model_id for m in models],
            "role": [m.role for m in models],
            "display_name": [m.display_name for m in models],
            "provider": [m.provider for m in models],
        }
    )
    pq.write_table(pa.Table.from_pandas(models_table, preserve_index=False), out / "models.parquet")

    counts = {
        "traces": n,
        "judge_scores": n * len(demo.METRICS),
        "human_labels": len(human_labels),
        "models": len(models_table),
    }
    _write_truth(out / "truth", counts, config)
    return counts


def _human_labels(
    rng: np.random.Generator,
    config: PaperScaleConfig,
    model_code: np.ndarray,
    trace_id: pa.Array,
    created_us: np.ndarray,
    true_label: dict[str, np.ndarray],
) -> pd.DataFrame:
    """A random sample of each evaluated model's traces, labelled on every metric."""
    chosen = np.concatenate(
        [
            rng.choice(
                idx := np.flatnonzero(model_code == code),
                size=min(config.human_labeled_traces_per_model, idx.size),
                replace=False,
            )
            for code, m in enumerate(demo.DEMO_MODELS)
            if m.role != "ignore"
        ]
    )
    u = rng.random(chosen.size)
    n_annotators = (
        1
        + (u < config.second_annotator_share + config.third_annotator_share)
        + (u < config.third_annotator_share)
    )
    first = rng.integers(len(_ANNOTATORS), size=chosen.size)
    chosen_ids = np.asarray(pc.take(trace_id, pa.array(chosen)).to_pylist(), dtype=object)
    frames = []
    for metric, truth in true_label.items():
        positive, negative = demo._HUMAN_SPELLINGS[metric]
        for k in range(3):
            has = n_annotators > k
            rows = chosen[has]
            value = truth[rows]
            if k > 0:
                value = np.where(rng.random(rows.size) >= config.annotator_agreement, ~value, value)
            word = np.where(
                value,
                np.asarray(positive, dtype=object)[rng.integers(len(positive), size=rows.size)],
                np.asarray(negative, dtype=object)[rng.integers(len(negative), size=rows.size)],
            )
            frames.append(
                pd.DataFrame(
                    {
                        "trace_id": chosen_ids[has],
                        "metric": metric,
                        "annotator_id": _ANNOTATORS[(first[has] + k) % len(_ANNOTATORS)],
                        "label": word,
                        "labeled_at": pd.to_datetime(
                            created_us[rows] + 3 * 86_400_000_000, unit="us", utc=True
                        ),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _write_truth(truth_dir: Path, counts: dict[str, int], config: PaperScaleConfig) -> None:
    """True rates, judge error rates, traffic shares and verdicts, as ``demo.write_demo`` does."""
    truth_dir.mkdir(parents=True, exist_ok=True)
    evaluated = [m for m in demo.DEMO_MODELS if m.role != "ignore"]
    true_rates = pd.DataFrame(
        [
            {"model_id": m.model_id, "region": r, "metric": k, "true_rate": demo.true_rate(m, r, k)}
            for m in evaluated
            for r in demo.REGION_TRAFFIC
            for k in demo.METRICS
        ]
    )
    overall = (
        true_rates.assign(
            weighted=true_rates.true_rate * true_rates.region.map(demo.REGION_TRAFFIC)
        )
        .groupby(["model_id", "metric"], as_index=False)["weighted"]
        .sum()
        .rename(columns={"weighted": "true_rate"})
        .assign(region="ALL")
    )
    true_rates = pd.concat([true_rates, overall[true_rates.columns]], ignore_index=True)
    judge_error = pd.DataFrame(
        [
            {
                "judge_id": demo.JUDGE_ID,
                "model_id": m.model_id,
                "metric": k,
                "sensitivity": m.judge_sensitivity[k],
                "specificity": m.judge_specificity[k],
            }
            for m in evaluated
            for k in demo.METRICS
        ]
    )
    traffic = pd.DataFrame(
        {"region": list(demo.REGION_TRAFFIC), "traffic_share": list(demo.REGION_TRAFFIC.values())}
    )
    expected = pd.DataFrame(
        [
            {
                "model_id": m.model_id,
                "expected_verdict": m.expected_verdict,
                "reason": m.expected_reason,
            }
            for m in evaluated
            if m.role == "candidate"
        ]
    )
    for name, frame in {
        "true_rates": true_rates,
        "judge_error": judge_error,
        "traffic_shares": traffic,
        "expected_verdicts": expected,
    }.items():
        frame.to_csv(truth_dir / f"{name}.csv", index=False, float_format="%.6f")
    (truth_dir / "row_counts.json").write_text(json.dumps(counts, indent=2) + "\n")
    (truth_dir / "config.json").write_text(json.dumps(config.__dict__, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("bench/out/paper"))
    parser.add_argument("--seed", type=int, default=PaperScaleConfig.seed)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every trace count (0.01: a quick set)"
    )
    args = parser.parse_args(argv)
    config = PaperScaleConfig(seed=args.seed).scaled(args.scale)
    started = time.perf_counter()
    counts = generate(args.out, config)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"wrote paper-scale inputs and truth to {args.out} in {seconds:.1f} s "
        f"(peak memory {peak_mib:,.0f} MiB)"
    )
    for name, rows in counts.items():
        print(f"  {name:<13} {rows:>12,} rows")


if __name__ == "__main__":
    main()
