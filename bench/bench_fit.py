"""Fit time of the judge-calibration model: problem size, trace volume and NUTS implementation.

Prints one table of wall-clock fit times (build + compile + sample, as recorded in
``fit_seconds``) with ratios against the demo-sized PyMC fit measured in the same run, so figures
from a busy or a quiet machine compare. A warm-up fit fills PyTensor's compile cache first: the
figures are those of a refresh, and the warm-up's own time is printed as the cold-cache cost.

Scenarios (same priors and sampler settings; counts simulated from a known truth):

- demo: 4 models x 6 regions x 3 metrics (72 cells), 400 judged traces and 50 human labels per
  cell, as in the bundled demo
- cells x10: 8 models x 18 regions x 5 metrics (720 cells)
- traces x10, x100, x1000: the demo cells with 10, 100 and 1000 times the judged traces and the
  same human labels (traffic grows, labelling budgets do not); x1000 is 400,000 traces per cell,
  above the paper's 5.3M traces a month. The fit sees counts only, so the cost of a gradient
  does not grow, but the posterior gets sharper
- nutpie: the demo problem with nutpie instead of PyMC's NUTS

Run from the project root::

    .venv/bin/python bench/bench_fit.py            # CalibrationConfig's defaults (4 x 500 + 500)
    .venv/bin/python bench/bench_fit.py --quick    # 2 chains x 200 + 200, for a smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from llm_migration.calibration import (
    COUNTS_COLUMNS,
    CalibrationConfig,
    fit_calibration_model,
    posterior_draws_long,
)
from llm_migration.posteriors import sampler_diagnostics


def simulate_counts(
    n_models: int,
    n_regions: int,
    n_metrics: int,
    traces_per_cell: int = 400,
    labels_per_cell: int = 50,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sufficient statistics drawn from a known truth, one judge, judge error differing by model.

    Traces are never materialised: per cell, the labelled traces fall into the four
    (human, judge) outcomes by a multinomial draw and the unlabelled ones are judged positive by
    a binomial draw, so 100x the traces costs the simulator nothing either.
    """
    rng = np.random.default_rng(seed)
    model_ids = ["incumbent"] + [f"candidate_{i}" for i in range(1, n_models)]
    rows = []
    for m, model_id in enumerate(model_ids):
        for k in range(n_metrics):
            base = rng.normal(0.5, 1.0)
            # the last model is flattered by the judge (lenient: lower specificity)
            sensitivity = 0.9
            specificity = 0.6 if m == n_models - 1 else 0.88
            for r in range(n_regions):
                theta = 1.0 / (1.0 + np.exp(-(base + rng.normal(0.0, 0.3))))
                q = theta * sensitivity + (1 - theta) * (1 - specificity)
                n_labeled = labels_per_cell
                pairs = rng.multinomial(
                    n_labeled,
                    [
                        theta * sensitivity,
                        theta * (1 - sensitivity),
                        (1 - theta) * (1 - specificity),
                        (1 - theta) * specificity,
                    ],
                )
                unlabeled_pos = rng.binomial(traces_per_cell - n_labeled, q)
                key = (model_id, f"region_{r:02d}", f"metric_{k}", "judge")
                for (judge, human), n in zip(
                    [(True, True), (False, True), (True, False), (False, False)], pairs, strict=True
                ):
                    rows.append((*key, judge, human, int(n)))
                rows.append((*key, True, None, int(unlabeled_pos)))
                rows.append((*key, False, None, int(traces_per_cell - n_labeled - unlabeled_pos)))
    counts = pd.DataFrame(rows, columns=list(COUNTS_COLUMNS))
    models = pd.DataFrame(
        {"model_id": model_ids, "model_role": ["incumbent"] + ["candidate"] * (n_models - 1)}
    )
    return counts[counts["n_traces"] > 0].reset_index(drop=True), models


def measure(name: str, counts: pd.DataFrame, models: pd.DataFrame, config: CalibrationConfig):
    fit = fit_calibration_model(counts, models, config)
    diagnostics = sampler_diagnostics(posterior_draws_long(fit, name)).iloc[0]
    cells = counts[["model_id", "region", "metric"]].drop_duplicates().shape[0]
    return {
        "scenario": name,
        "sampler": config.sampler,
        "cells": cells,
        "traces": int(counts["n_traces"].sum()),
        "fit_s": fit.fit_seconds,
        "divergences": int(diagnostics["n_divergences"]),
        "max_r_hat": diagnostics["max_r_hat"],
        "min_ess_bulk": diagnostics["min_ess_bulk"],
        "min_ess_per_s": diagnostics["min_ess_bulk"] / fit.fit_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 chains x 200 + 200 draws")
    parser.add_argument("--skip-large", action="store_true", help="skip the 10x cells problem")
    args = parser.parse_args()

    config = CalibrationConfig()
    if args.quick:
        config = replace(config, draws=200, tune=200, chains=2)
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}; {config.chains} chains x ({config.tune} tune + "
        f"{config.draws} draws), target_accept {config.target_accept}"
    )

    demo = simulate_counts(4, 6, 3)
    start = time.perf_counter()
    fit_calibration_model(*demo, replace(config, draws=20, tune=20))
    print(f"warm-up fit (fills the compile cache when cold): {time.perf_counter() - start:.1f} s")

    results = [measure("demo", *demo, config)]
    for factor in (10, 100, 1000):
        counts = simulate_counts(4, 6, 3, traces_per_cell=400 * factor)
        results.append(measure(f"traces x{factor}", *counts, config))
    if not args.skip_large:
        results.append(measure("cells x10", *simulate_counts(8, 18, 5, seed=1), config))
    nutpie = replace(config, sampler="nutpie")
    fit_calibration_model(*demo, replace(nutpie, draws=20, tune=20))  # numba warm-up
    results.append(measure("demo", *demo, nutpie))

    table = pd.DataFrame(results)
    baseline = table.loc[0, "fit_s"]
    table["ratio_to_demo_pymc"] = table["fit_s"] / baseline
    print(
        f"load average at the end {os.getloadavg()[0]:.1f}\n"
        + table.to_string(
            index=False,
            formatters={
                "fit_s": "{:.1f}".format,
                "max_r_hat": "{:.3f}".format,
                "min_ess_bulk": "{:.0f}".format,
                "min_ess_per_s": "{:.1f}".format,
                "ratio_to_demo_pymc": "{:.2f}".format,
            },
        )
    )


if __name__ == "__main__":
    main()
