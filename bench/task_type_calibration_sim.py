"""Task-type gate under equal truth: the fit's judge error rates against each model's labels alone.

Every model has the same true rate (0.8) in every region and task type, and the judge the same
error rates (Se 0.9, Sp 0.8) for every model, so any ``fail`` is a false block. Each seed
simulates 4 models x 2 regions x 8,000 traces with 320 human labels per model, assigns each
trace one of 8 task types at random, fits the calibration model (4 chains x 500 + 500) and runs
the task-type gate twice on the same data: with the fit's paired Se/Sp draws (what the build
does) and with the per-model calibration from each model's labels alone. Prints the running
count of gate statuses per method after each seed (about a minute per seed on 2 cores).

    .venv/bin/python bench/task_type_calibration_sim.py --seeds 24
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
import pandas as pd

from llm_migration.calibration import (
    CalibrationConfig,
    fit_calibration_model,
    posterior_draws_long,
)
from llm_migration.gates import GatePolicy
from llm_migration.gates.task_types import task_type_gates
from llm_migration.simulation import Scenario, simulate

MODELS = ("inc", "c1", "c2", "c3")
REGIONS = ("r1", "r2")
METRIC = "correctness"
N_TASK_TYPES = 8

SCENARIO = Scenario(
    name="equal_truth",
    description="equal truth everywhere, the same judge error for every model",
    incumbent=MODELS[0],
    candidates=MODELS[1:],
    regions=REGIONS,
    metrics=(METRIC,),
    theta={(m, r, METRIC): 0.8 for m in MODELS for r in REGIONS},
    sensitivity={(m, METRIC): 0.9 for m in MODELS},
    specificity={(m, METRIC): 0.8 for m in MODELS},
    traces_per_cell=dict.fromkeys(REGIONS, 8000),
    labels_per_model=dict.fromkeys(MODELS, 320),
    directions={METRIC: "higher_is_better"},
    margins={METRIC: 0.02},
)


def one_seed(seed: int, policy: GatePolicy) -> dict[str, list[str]]:
    data = simulate(SCENARIO, seed, return_traces=True)
    traces = data.traces
    rng = np.random.default_rng(10_000 + seed)
    trace_ids = traces["trace_id"].drop_duplicates()
    task_of = pd.Series(rng.integers(0, N_TASK_TYPES, len(trace_ids)), index=trace_ids.values)
    task_quality = traces.assign(task_type=traces["trace_id"].map(task_of).map("t{}".format))
    fit = fit_calibration_model(
        data.counts,
        data.models,
        CalibrationConfig(chains=4, draws=500, tune=500, random_seed=seed),
    )
    draws = posterior_draws_long(fit, "simulation")
    error_rates = draws[draws["quantity"].isin(["sensitivity", "specificity"])]
    calibration = error_rates.pivot_table(
        index=["model_id", "metric", "chain", "draw"], columns="quantity", values="value"
    ).reset_index()
    statuses = {}
    for method, given in (("fit draws", calibration), ("labels alone", None)):
        rows = task_type_gates(
            task_quality,
            list(MODELS[1:]),
            MODELS[0],
            [METRIC],
            policy,
            {METRIC: 0.02},
            n_draws=1000,
            random_seed=seed,
            calibration=given,
        )
        statuses[method] = [row["status"] for row in rows]
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=24)
    args = parser.parse_args()
    policy = GatePolicy.from_vars({})
    totals = {"fit draws": Counter(), "labels alone": Counter()}
    for seed in range(args.seeds):
        started = time.perf_counter()
        for method, statuses in one_seed(seed, policy).items():
            totals[method].update(statuses)
        summary = "; ".join(f"{m}: {dict(sorted(c.items()))}" for m, c in totals.items())
        print(f"seed {seed} ({time.perf_counter() - started:.0f} s): {summary}", flush=True)


if __name__ == "__main__":
    main()
