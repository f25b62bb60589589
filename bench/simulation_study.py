"""Run the full simulation study and write docs/simulation_study.md.

Every scenario in llm_migration.simulation is simulated for --seeds seeds; each data set is
estimated by the Bayesian calibration model (real PyMC sampling) and by every baseline, and the
intervals and non-inferiority decisions are scored against the known truth.

    .venv/bin/python bench/simulation_study.py                  # 20 seeds, ~1-2 hours on 2 cores
    .venv/bin/python bench/simulation_study.py --seeds 3 --out bench/out/study.md   # a quick look

The hand-written reading of the results between the ``findings`` markers of the output file is
kept when the file is regenerated; re-read it against the new tables.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from llm_migration.calibration import CalibrationConfig
from llm_migration.simulation import (
    METHOD_LABELS,
    METHODS,
    SCENARIO_NAMES,
    StudyResults,
    coverage_table,
    decision_table,
    get_scenario,
    run_study,
    summarise_study,
)

PROJECT_DIR = Path(__file__).resolve().parents[1]
FINDINGS_START = "<!-- findings:start -->"
FINDINGS_END = "<!-- findings:end -->"


def markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def pct(x: float) -> str:
    return "–" if pd.isna(x) else f"{100 * x:.1f}%"


def num(x: float, digits: int = 3) -> str:
    return "–" if pd.isna(x) else f"{x:.{digits}f}"


def results_table(summary: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in summary.itertuples(index=False):
        rows.append(
            {
                "scenario": r.scenario,
                "method": r.method,
                "coverage (± se)": f"{pct(r.coverage)} ± {pct(r.coverage_se)}",
                "undefined": f"{int(r.n_undefined)}/{int(r.n_cells)}",
                "coverage of defined": pct(r.coverage_defined),
                "mean width": num(r.mean_width),
                "MAE": num(r.mae),
                "NI agreement": pct(r.agreement),
                "false ship": pct(r.false_ship),
                "power": pct(r.power),
            }
        )
    return pd.DataFrame(rows)


def coverage_by_model(cells: pd.DataFrame) -> pd.DataFrame:
    table = coverage_table(cells, ["scenario", "method", "model_id"])
    wide = table.pivot_table(
        index=["scenario", "method"], columns="model_id", values="coverage", sort=False
    )
    out = wide.map(pct).reset_index()
    out.columns.name = None
    return out


def coverage_by_metric(cells: pd.DataFrame) -> pd.DataFrame:
    table = coverage_table(cells[cells["method"] == "bayes"], ["scenario", "model_id", "metric"])
    wide = table.pivot_table(
        index=["scenario", "model_id"], columns="metric", values="coverage", sort=False
    )
    out = wide.map(pct).reset_index()
    out.columns.name = None
    return out


def decisions_by_candidate(differences: pd.DataFrame) -> pd.DataFrame:
    table = decision_table(differences, ["scenario", "method", "candidate_model_id"])
    table["false ship"] = table["false_ship"].map(pct)
    table["agreement"] = table["agreement"].map(pct)
    wide = table.pivot_table(
        index=["scenario", "method"],
        columns="candidate_model_id",
        values=["agreement", "false ship"],
        aggfunc="first",
        sort=False,
    )
    wide.columns = [f"{cand}: {what}" for what, cand in wide.columns]
    return wide.reset_index()


def fits_table(fits: pd.DataFrame) -> pd.DataFrame:
    g = fits.groupby("scenario", sort=False)
    return pd.DataFrame(
        {
            "fits": g.size(),
            "median fit s": g["fit_seconds"].median().map(lambda x: f"{x:.0f}"),
            "fits with divergences": g["n_divergences"].apply(lambda s: int((s > 0).sum())),
            "max R-hat (theta)": g["max_r_hat_theta"].max().map(lambda x: f"{x:.3f}"),
            "min bulk ESS (theta)": g["min_ess_bulk_theta"].min().map(lambda x: f"{x:.0f}"),
        }
    ).reset_index()


def scenario_table() -> pd.DataFrame:
    rows = []
    for name in SCENARIO_NAMES:
        s = get_scenario(name)
        judge = "; ".join(
            f"{m}: "
            + ", ".join(
                f"{k} {s.sensitivity[(m, k)]:.2f}/{s.specificity[(m, k)]:.2f}" for k in s.metrics
            )
            for m in s.model_ids
        )
        labels = ", ".join(f"{m} {s.labels_per_model[m]}" for m in s.model_ids)
        rows.append(
            {
                "scenario": name,
                "what it probes": s.description,
                "judge Se/Sp": judge,
                "labels": labels,
            }
        )
    return pd.DataFrame(rows)


def truth_table() -> pd.DataFrame:
    s = get_scenario(SCENARIO_NAMES[0])
    rows = []
    for m in s.model_ids:
        for k in s.metrics:
            rows.append(
                {
                    "model": m,
                    "metric": f"{k} ({s.directions[k].replace('_', ' ')})",
                    **{r: f"{s.theta[(m, r, k)]:.2f}" for r in s.regions},
                }
            )
    return pd.DataFrame(rows)


def previous_findings(path: Path) -> str:
    if path.exists():
        text = path.read_text()
        if FINDINGS_START in text and FINDINGS_END in text:
            return text[text.index(FINDINGS_START) : text.index(FINDINGS_END) + len(FINDINGS_END)]
    return f"{FINDINGS_START}\n_Not yet written: read the tables above._\n{FINDINGS_END}"


def render(results, args, seconds: float, findings: str) -> str:
    summary = summarise_study(results)
    summary["method"] = pd.Categorical(summary["method"], METHODS, ordered=True)
    summary = summary.sort_values(["scenario", "method"], key=_scenario_order).reset_index(
        drop=True
    )
    s0 = get_scenario(SCENARIO_NAMES[0])
    traces = ", ".join(f"{r} {n}" for r, n in s0.traces_per_cell.items())
    method_lines = "\n".join(f"- `{k}`: {v}" for k, v in METHOD_LABELS.items())
    last_seed = args.first_seed + args.seeds - 1
    return f"""# Simulation study: does the Bayesian judge calibration cover the truth?

Generated by `bench/simulation_study.py`: seeds {args.first_seed}..{last_seed} per scenario;
PyMC NUTS with {args.chains} chains x {args.draws} draws after {args.tune} tuning steps;
{args.n_boot} bootstrap replicates; {seconds / 60:.0f} min on {_cpu_count()} cores;
{_model_provenance()}. Regenerate with
`{_command(args)}`.

## Method

Each seed simulates one evaluation from a scenario with known truth
(`llm_migration.simulation`): an incumbent and two candidates; regions us / eu / apac with
{traces} judged traces per model and metric; metrics correctness (higher is
better) and refusal (lower is better, so refusal's "positive" is the bad outcome). Every trace's
true label is drawn from theta[model, region, metric]; the judge's verdict from its sensitivity
and specificity for that model and metric; human labels (equal to the truth) on a uniform random
subset of each model's traces. The data reach every method as the warehouse's sufficient statistics.

Methods (95% intervals for every model x region x metric cell):

{method_lines}

The Bayesian interval is the 95% HDI of the posterior draws, the interval `fct_quality_posteriors`
reports; the estimate is the posterior mean. Rogan-Gladen intervals are percentile intervals of a
bootstrap that resamples the labelled pairs (of the incumbent, or of each model) and each cell's
judged traces. PPI++ uses `ppi_py.ppi_mean_ci` on the cell's own labelled and unlabelled traces.

Scores, over all cells and seeds of a scenario:

- **coverage**: share of cells whose interval contains the true theta. An undefined interval (a
  model without labels for per-model Rogan-Gladen, a cell with under two labels for PPI) counts
  as a miss; "undefined" says how many, "coverage of defined" leaves them out. The ± is the
  standard error across seeds (cells of one data set share the judge's error, so they are not
  independent draws).
- **mean width** and **MAE** (mean absolute error of the estimate), over defined cells.
- **non-inferiority decisions**, per candidate x region x metric: a method declares the candidate
  non-inferior when the lower end of its 95% interval for the oriented difference to the
  incumbent (positive = candidate better) is above -margin (0.02); the truth declares it when the
  true difference is. **NI agreement** is the share of comparisons where the two decisions match,
  **false ship** the share of truly inferior comparisons declared non-inferior (the costly
  error), **power** the share of truly non-inferior comparisons declared so. An undefined
  interval declares nothing. Of the 6 comparisons per candidate, candidate_a is truly inferior in
  4 (correctness everywhere, refusal in apac) and candidate_b in none; candidate_a's eu refusal
  difference is exactly 0, so showing non-inferiority there needs an interval narrower than the
  margin.

## Scenarios

{markdown(scenario_table())}

True rates (the same in every scenario):

{markdown(truth_table())}

## Results

{markdown(results_table(summary))}

### Coverage by model

{markdown(coverage_by_model(results.cells))}

### Bayesian coverage by model and metric

{markdown(coverage_by_metric(results.cells))}

### Decisions by candidate

{markdown(decisions_by_candidate(results.differences))}

### Sampler diagnostics of the Bayesian fits

{markdown(fits_table(results.fits))}

## Reading the results

{findings}
"""


def _scenario_order(col: pd.Series) -> pd.Series:
    if col.name == "scenario":
        return col.map({n: i for i, n in enumerate(SCENARIO_NAMES)})
    return col


def _model_provenance() -> str:
    """Which calibration model was validated: MODEL_VERSION and the git state of its file."""
    import subprocess

    from llm_migration import calibration

    path = Path(calibration.__file__).resolve()
    try:
        git = ["git", "-C", str(path.parent)]
        commit = subprocess.run(
            [*git, "log", "-1", "--format=%h", "--", str(path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", str(path)], capture_output=True, text=True
        ).stdout.strip()
        state = f"commit {commit}" + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        state = "git state unknown"
    return f"calibration model version {calibration.MODEL_VERSION} ({state})"


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


def _command(args: argparse.Namespace) -> str:
    """The command line that reproduces this study (arguments that differ from the defaults)."""
    defaults = _parser().parse_args([])
    parts = [".venv/bin/python bench/simulation_study.py"]
    for name in ("seeds", "first_seed", "draws", "tune", "chains", "n_boot"):
        if getattr(args, name) != getattr(defaults, name):
            parts.append(f"--{name.replace('_', '-')} {getattr(args, name)}")
    if list(args.scenarios) != list(defaults.scenarios):
        parts.append("--scenarios " + " ".join(args.scenarios))
    return " ".join(parts)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds per scenario")
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--scenarios", nargs="*", default=list(SCENARIO_NAMES))
    parser.add_argument("--draws", type=int, default=300)
    parser.add_argument("--tune", type=int, default=300)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=PROJECT_DIR / "docs" / "simulation_study.md")
    parser.add_argument(
        "--raw-out", type=Path, default=None, help="folder for the per-cell results as CSV"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    config = CalibrationConfig(draws=args.draws, tune=args.tune, chains=args.chains)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    start = time.perf_counter()

    parts: list[StudyResults] = []
    for name in args.scenarios:
        for seed in seeds:
            replicate_start = time.perf_counter()
            parts.append(run_study([name], [seed], config, n_boot=args.n_boot))
            print(
                f"{name} seed {seed}: {time.perf_counter() - replicate_start:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            results = StudyResults(
                *(
                    pd.concat([getattr(p, f) for p in parts], ignore_index=True)
                    for f in StudyResults._fields
                )
            )
            if args.raw_out is not None:  # after every replicate, so a long run can be inspected
                args.raw_out.mkdir(parents=True, exist_ok=True)
                for field in results._fields:
                    getattr(results, field).to_csv(args.raw_out / f"{field}.csv", index=False)
    seconds = time.perf_counter() - start

    text = render(results, args, seconds, previous_findings(args.out))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(markdown(results_table(summarise_study(results))))
    print(f"\nwrote {args.out} in {seconds / 60:.1f} min", file=sys.stderr)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
