"""A judge biased in one region for one model: does the regional gate still catch a regression?

Demo-sized evaluation (the demo's four models, six regions, three metrics, 2,400 incumbent
traces spread by traffic, 300 per region per candidate, 300 human labels per model), true
rates from ``llm_migration.demo.true_rate``, judge error from the demo models, except:

* ``cand-steady``'s true correctness in ``eu-west`` is the incumbent's minus 4 points (2x the
  2-point margin);
* with ``--bias``, the judge's specificity for cand-steady x eu-west x correctness is lowered
  so that its judge-positive rate is what a fair judge gives at cand-steady's usual rate there.

Each seed is fitted with the package's default sampler settings, compared, gated, and the
regional gate of the planted cell is printed with the labelled counts of the cell.

    PYTHONPATH=python .venv/bin/python bench/regional_judge_bias.py --seeds 1 2 3 --bias
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from llm_migration import demo
from llm_migration.calibration import CalibrationConfig, fit_calibration_model, posterior_draws_long
from llm_migration.gates import GatePolicy, evaluate_gates
from llm_migration.gates.quality import regional_regression_gates
from llm_migration.gates.verdicts import decide_verdicts
from llm_migration.posteriors import (
    compare_to_incumbent,
    sampler_diagnostics,
    summarise_quality,
)

CANDIDATE, REGION, METRIC = "cand-steady", "eu-west", "correctness"
MARGIN = 0.02
METRIC_CONFIG = {
    "correctness": {"direction": "higher_is_better", "margin": MARGIN},
    "refusal": {"direction": "lower_is_better", "margin": MARGIN},
    "style": {"direction": "higher_is_better", "margin": MARGIN},
}
JUDGE = demo.JUDGE_ID
OUT = Path(__file__).parent / "out" / "regional_judge_bias"
REGRESSION: float | None = 2 * MARGIN


def scenario(bias: bool, regression: float | None = 2 * MARGIN) -> dict:
    """True rates and judge error per (model, region, metric)."""
    models = [m for m in demo.DEMO_MODELS if m.role in ("incumbent", "candidate")]
    theta, se, sp = {}, {}, {}
    for m in models:
        for r in demo.REGION_TRAFFIC:
            for k in demo.METRICS:
                theta[(m.model_id, r, k)] = demo.true_rate(m, r, k)
                se[(m.model_id, r, k)] = m.judge_sensitivity[k]
                sp[(m.model_id, r, k)] = m.judge_specificity[k]
    incumbent = models[0].model_id
    usual = theta[(CANDIDATE, REGION, METRIC)]
    if regression is None:  # the demo's own truth: cand-steady better everywhere
        return {"models": models, "incumbent": incumbent, "theta": theta, "se": se, "sp": sp}
    planted = theta[(incumbent, REGION, METRIC)] - regression
    theta[(CANDIDATE, REGION, METRIC)] = planted
    if bias:
        s, f = se[(CANDIDATE, REGION, METRIC)], sp[(CANDIDATE, REGION, METRIC)]
        q_fair = usual * s + (1 - usual) * (1 - f)
        sp[(CANDIDATE, REGION, METRIC)] = 1 - (q_fair - planted * s) / (1 - planted)
    return {"models": models, "incumbent": incumbent, "theta": theta, "se": se, "sp": sp}


def simulate(spec: dict, seed: int, config: demo.DemoConfig | None = None) -> tuple:
    """Counts (warehouse shape), models and traffic weights of one demo-sized evaluation."""
    config = config or demo.DemoConfig()
    rng = np.random.default_rng(seed)
    regions = np.array(list(demo.REGION_TRAFFIC), dtype=object)
    traffic = np.array(list(demo.REGION_TRAFFIC.values()))
    rows = []
    for m in spec["models"]:
        if m.role == "incumbent":
            region = regions[rng.choice(len(regions), size=config.incumbent_traces, p=traffic)]
        else:
            region = np.repeat(regions, config.candidate_traces_per_region)
        n = region.size
        labelled = np.zeros(n, dtype=bool)
        labelled[rng.choice(n, size=config.human_labeled_traces_per_model, replace=False)] = True
        for k in demo.METRICS:
            key = [(m.model_id, r, k) for r in region]
            theta = np.array([spec["theta"][c] for c in key])
            se = np.array([spec["se"][c] for c in key])
            sp = np.array([spec["sp"][c] for c in key])
            y = rng.random(n) < theta
            j = rng.random(n) < np.where(y, se, 1 - sp)
            frame = pd.DataFrame(
                {
                    "model_id": m.model_id,
                    "region": region.astype(str),
                    "metric": k,
                    "judge_id": JUDGE,
                    "is_judge_positive": j,
                    "is_human_positive": pd.array(np.where(labelled, y, False), dtype="boolean"),
                }
            )
            frame.loc[~labelled, "is_human_positive"] = pd.NA
            rows.append(frame)
    traces = pd.concat(rows, ignore_index=True)
    keys = ["model_id", "region", "metric", "judge_id", "is_judge_positive", "is_human_positive"]
    counts = traces.groupby(keys, dropna=False).size().rename("n_traces").reset_index()
    counts["is_judge_positive"] = counts["is_judge_positive"].astype("boolean")
    counts["is_human_positive"] = counts["is_human_positive"].astype("boolean")
    models = pd.DataFrame(
        {
            "model_id": [m.model_id for m in spec["models"]],
            "model_role": [m.role for m in spec["models"]],
        }
    )
    weights = pd.DataFrame(
        {"region": list(demo.REGION_TRAFFIC), "traffic_share": list(demo.REGION_TRAFFIC.values())}
    )
    return counts, models, weights


def cell_table(counts: pd.DataFrame, model: str, region: str, metric: str) -> dict:
    c = counts[(counts.model_id == model) & (counts.region == region) & (counts.metric == metric)]
    lab = c[c.is_human_positive.notna()]

    def n(j, h):
        return int(lab[(lab.is_judge_positive == j) & (lab.is_human_positive == h)].n_traces.sum())

    return {
        "n_judged": int(c.n_traces.sum()),
        "judge_positive_rate": float(c[c.is_judge_positive].n_traces.sum() / c.n_traces.sum()),
        "n_labelled": int(lab.n_traces.sum()),
        "human_pos_judge_pos": n(True, True),
        "human_pos_judge_neg": n(False, True),
        "human_neg_judge_pos": n(True, False),
        "human_neg_judge_neg": n(False, False),
    }


def run(seed: int, bias: bool, config: CalibrationConfig, size: demo.DemoConfig, tag: str) -> dict:
    spec = scenario(bias, REGRESSION)
    counts, models, weights = simulate(spec, seed, size)
    start = time.perf_counter()
    fit = fit_calibration_model(counts, models, replace(config, random_seed=seed))
    draws = posterior_draws_long(fit, f"seed{seed}")
    comparisons = compare_to_incumbent(draws, weights, models, METRIC_CONFIG, 0.95, counts=counts)
    quality = summarise_quality(draws, counts, weights, models)
    diagnostics = sampler_diagnostics(draws)
    seconds = round(time.perf_counter() - start, 1)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / f"{tag}.pkl", "wb") as f:
        pickle.dump(
            {
                "counts": counts,
                "models": models,
                "comparisons": comparisons,
                "quality": quality,
                "diagnostics": diagnostics,
                "spec_theta": spec["theta"],
                "seconds": seconds,
            },
            f,
        )
    return gate(OUT / f"{tag}.pkl", seed, bias)


def gate(path, seed: int, bias: bool, alpha: float = 0.01) -> dict:
    from llm_migration.gates.judge_consistency import judge_consistency_checks

    with open(path, "rb") as f:
        saved = pickle.load(f)
    counts, models, comparisons = saved["counts"], saved["models"], saved["comparisons"]
    quality, diagnostics = saved["quality"], saved["diagnostics"]
    spec = scenario(bias, REGRESSION)
    checks = judge_consistency_checks(counts)
    out = {"seed": seed, "bias": bias, "fit_seconds": saved["seconds"]}
    out["trusted"] = bool(diagnostics["is_trusted"].iloc[0])
    out["divergences"] = int(diagnostics["n_divergences"].iloc[0])
    statuses = {}
    for label, extra in (
        ("current", {}),
        ("with_check", {"judge_checks": checks}),
    ):
        policy = GatePolicy.from_vars({"judge_region_check_alpha": alpha})
        (draws_say,) = regional_regression_gates(
            comparisons, [CANDIDATE], [METRIC], [REGION], policy, **extra
        )
        gates = evaluate_gates(
            comparisons, quality, diagnostics, None, None, models, policy, **extra
        )
        gates = gates[
            ~gates.gate_id.isin(
                [
                    "p95_latency_ratio",
                    "cost_per_trace_ratio",
                    "error_rate_diff",
                    "task_type_regressions",
                ]
            )
        ]
        verdicts = decide_verdicts(gates, models)
        cell = gates[
            (gates.candidate_model_id == CANDIDATE)
            & (gates.gate_id == "regional_regression")
            & (gates.region == REGION)
            & (gates.metric == METRIC)
        ].iloc[0]
        mine = gates[gates.candidate_model_id == CANDIDATE]
        statuses[label] = dict(
            zip(
                mine.gate_id.astype(str)
                + ":"
                + mine.region.astype(str)
                + ":"
                + mine.metric.astype(str),
                mine.status,
                strict=True,
            )
        )
        regional = mine[mine.gate_id == "regional_regression"]
        out[label] = {
            "regional_gate": cell.status,
            "regional_gate_before_fit_hold": draws_say["status"],
            "candidate_regional_pass": int((regional.status == "pass").sum()),
            "candidate_regional_total": len(regional),
            "reason": cell.reason,
            "verdict": verdicts.set_index("candidate_model_id").loc[CANDIDATE, "verdict"],
            "verdict_summary": verdicts.set_index("candidate_model_id").loc[CANDIDATE, "summary"],
        }
    out["flipped_by_check"] = [
        k for k, v in statuses["current"].items() if statuses["with_check"][k] != v
    ]
    comp = comparisons[
        (comparisons.candidate_model_id == CANDIDATE)
        & (comparisons.region == REGION)
        & (comparisons.metric == METRIC)
    ].iloc[0]
    out["diff_mean"] = round(float(comp.diff_mean), 4)
    out["diff_hdi"] = [round(float(comp.diff_hdi_low), 4), round(float(comp.diff_hdi_high), 4)]
    out["prob_worse_beyond_margin"] = round(float(comp.prob_worse_beyond_margin), 3)
    out["prob_worse_own_evidence"] = round(float(comp.prob_worse_own_evidence), 3)
    q = quality[
        (quality.model_id == CANDIDATE) & (quality.region == REGION) & (quality.metric == METRIC)
    ]
    out["candidate_theta_mean"] = round(float(q.posterior_mean.iloc[0]), 4)
    out["true_diff"] = round(
        spec["theta"][(CANDIDATE, REGION, METRIC)]
        - spec["theta"][(spec["incumbent"], REGION, METRIC)],
        4,
    )
    out["candidate_cell"] = cell_table(counts, CANDIDATE, REGION, METRIC)
    out["incumbent_cell"] = cell_table(counts, spec["incumbent"], REGION, METRIC)
    chk = checks[
        (checks.model_id == CANDIDATE) & (checks.region == REGION) & (checks.metric == METRIC)
    ]
    out["check"] = chk.drop(columns=["judge_id"]).iloc[0].to_dict()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--bias", action="store_true")
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--tune", type=int, default=500)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--labels", type=int, default=300, help="human labels per model")
    parser.add_argument("--trace-scale", type=int, default=1, help="traces x this")
    parser.add_argument("--demo-truth", action="store_true", help="no planted regression")
    parser.add_argument("--alpha", type=float, default=0.01, help="the check's level")
    parser.add_argument("--gate-only", action="store_true", help="re-gate saved fits")
    args = parser.parse_args()
    global REGRESSION
    if args.demo_truth:
        REGRESSION = None
    config = CalibrationConfig(draws=args.draws, tune=args.tune, chains=args.chains)
    for seed in args.seeds:
        name = f"{'bias' if args.bias else 'fair'}_seed{seed}"
        if args.demo_truth:
            name = f"null_seed{seed}"
        if args.labels != 300 or args.trace_scale != 1:
            name += f"_labels{args.labels}_x{args.trace_scale}"
        tag = OUT / f"{name}.pkl"
        size = demo.DemoConfig(
            incumbent_traces=2400 * args.trace_scale,
            candidate_traces_per_region=300 * args.trace_scale,
            human_labeled_traces_per_model=args.labels,
        )
        if args.gate_only:
            result = gate(tag, seed, args.bias, args.alpha)
        else:
            result = run(seed, args.bias, config, size, name)
        print(json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
