"""How much does trace volume cost a `dbt build`, against one plain query doing the same work?

One run measures, each in its own process (wall time and peak resident memory):

(a) the floor: one DuckDB query that computes the sufficient statistics (counts per model x
    region x metric x judge x judge verdict x consensus human label) straight from the paper-scale
    Parquet files, with the same verdict spellings, tag extraction, majority consensus and joins
    as the package but none of its checks, rejects, tests or persisted intermediate tables;
(b) `dbt build` on the bundled demo (about 5k traces): start-up plus fixed costs such as a
    Bayesian fit, which do not depend on volume;
(c) `dbt build` on the paper-scale folder (5.3M traces, 16M judge verdicts).

The marginal cost of scale is (c - b) / a: what the package pays per unit of volume compared
with one well-written query. Target: at most 3. It also prints the slowest nodes of each build
from dbt's run_results.json and checks that the floor and the package agree on every count.

With ``--refresh`` it then times two scheduled refreshes on copies of the paper-scale warehouse:
(d) inputs unchanged, (e) one more day of traces, verdicts and labels appended.

Run ``python bench/bench_build.py`` (full build) or ``python bench/bench_build.py --select sql``
(only the SQL models and the tests on them). The paper-scale inputs are generated first if
``bench/out/paper`` has none (``bench/generate_paper_scale.py``, about 30 s).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).parent / "dbt")
SELECT_PRESETS = {
    # The project's selector (selectors.yml): every SQL model that does not read a Python model's
    # output, plus the tests whose parents are all selected (cautious: a test that also reads a
    # Python model is left out rather than run against a table that was not built).
    "sql": ["--selector", "sql_layer"],
    "all": [],
}

GROUP_COLUMNS = "model_id, region, metric, judge_id, is_judge_positive, is_human_positive"


@dataclass
class Measurement:
    label: str
    wall_seconds: float
    peak_rss_mib: float
    returncode: int
    log_path: Path
    # 1-minute load average at the end: other work on the machine slows every figure.
    load_after: float


def run_measured(label: str, command: list[str], env: dict, log_path: Path) -> Measurement:
    """Run ``command`` to completion; wall time and the peak RSS of it and its children.

    ``os.wait4`` returns the resource usage of exactly this child (and the descendants it waited
    for), so several measured runs in one benchmark do not blur into each other.
    """
    with log_path.open("w") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        label, wall, usage.ru_maxrss / 1024, process.returncode, log_path, os.getloadavg()[0]
    )


# --------------------------------------------------------------------------------------------
# (a) the floor
# --------------------------------------------------------------------------------------------


def _project_vars() -> dict:
    import yaml

    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


def _sql_list(values) -> str:
    return ", ".join("'" + str(v).lower().replace("'", "''") + "'" for v in values)


def floor_sql(input_dir: Path) -> str:
    """The sufficient statistics in one query, from the Parquet files in ``input_dir``."""
    variables = _project_vars()
    spellings = variables["llm_migration_label_spellings"]
    aliases = variables.get("llm_migration_metric_aliases") or {}
    generic = spellings.get("any", {})
    spelling_rows = []
    for metric in variables["llm_migration_metrics"]:
        for polarity, value in (("positive", "true"), ("negative", "false")):
            words = set(spellings.get(metric, {}).get(polarity, [])) | set(
                generic.get(polarity, [])
            )
            spelling_rows += [f"('{metric}', '{w.lower()}', {value})" for w in sorted(words)]
    alias_cases = " ".join(f"when '{a.lower()}' then '{m}'" for a, m in aliases.items())

    def token(column: str) -> str:
        extracted = (
            f"case when lower({column}) like '%<assessment>%</assessment>%' "
            f"then regexp_extract(lower({column}), '<assessment>(.*?)</assessment>', 1) "
            f"else {column} end"
        )
        return f"replace(replace(lower(trim({extracted})), ' ', '_'), '-', '_')"

    def metric(column: str) -> str:
        normalised = f"replace(replace(lower(trim({column})), ' ', '_'), '-', '_')"
        return (
            f"case {normalised} {alias_cases} else {normalised} end" if alias_cases else normalised
        )

    def read(name: str) -> str:
        return f"read_parquet('{(input_dir / f'{name}.parquet').as_posix()}')"

    return f"""
with
spellings(metric, token, is_positive) as (values {", ".join(spelling_rows)}),
evaluated_traces as (
    select
        traces.trace_id,
        traces.model_id,
        replace(replace(lower(trim(traces.region)), '_', '-'), ' ', '-') as region
    from {read("traces")} as traces
    inner join {read("models")} as models
        on traces.model_id = models.model_id
    where lower(trim(models.role)) in ('incumbent', 'candidate')
),
verdicts as (
    select scores.trace_id, scores.metric, scores.judge_id, spellings.is_positive
    from (
        select trace_id, {metric("metric")} as metric, judge_id, {token("judgement")} as token
        from {read("judge_scores")}
    ) as scores
    inner join spellings
        on scores.metric = spellings.metric and scores.token = spellings.token
),
votes as (
    select labels.trace_id, labels.metric, spellings.is_positive
    from (
        select trace_id, {metric("metric")} as metric, {token("label")} as token
        from {read("human_labels")}
    ) as labels
    inner join spellings
        on labels.metric = spellings.metric and labels.token = spellings.token
),
consensus as (
    select
        trace_id,
        metric,
        case
            when count_if(is_positive) > count_if(not is_positive) then true
            when count_if(is_positive) < count_if(not is_positive) then false
        end as is_human_positive
    from votes
    group by trace_id, metric
),
joined as (
    select
        coalesce(verdicts.trace_id, consensus.trace_id) as trace_id,
        coalesce(verdicts.metric, consensus.metric) as metric,
        verdicts.judge_id,
        verdicts.is_positive as is_judge_positive,
        consensus.is_human_positive
    from verdicts
    full outer join consensus
        on verdicts.trace_id = consensus.trace_id and verdicts.metric = consensus.metric
)
select
    evaluated_traces.model_id,
    evaluated_traces.region,
    joined.metric,
    joined.judge_id,
    joined.is_judge_positive,
    joined.is_human_positive,
    count(*) as n_traces
from joined
inner join evaluated_traces
    on joined.trace_id = evaluated_traces.trace_id
group by all
"""


def floor_worker(input_dir: Path, result_path: Path) -> None:
    """Run the floor query in this process; write its counts and its query time."""
    import duckdb

    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    sql = floor_sql(input_dir)
    started = time.perf_counter()
    counts = connection.sql(sql).df()
    seconds = time.perf_counter() - started
    counts.to_parquet(result_path.with_suffix(".parquet"), index=False)
    result_path.write_text(json.dumps({"query_seconds": seconds, "rows": len(counts)}))


# --------------------------------------------------------------------------------------------
# (b), (c) dbt builds
# --------------------------------------------------------------------------------------------


@dataclass
class Build:
    measurement: Measurement
    database: Path
    run_results: list[dict]


def dbt_build(
    label: str,
    input_dir: Path,
    work_dir: Path,
    select: list[str],
    env: dict,
    start_from: Path | None = None,
) -> Build:
    """`dbt build` into a new DuckDB file, or into a copy of ``start_from`` (a refresh)."""
    build_dir = work_dir / label
    shutil.rmtree(build_dir, ignore_errors=True)
    build_dir.mkdir(parents=True)
    database = build_dir / "warehouse.duckdb"
    if start_from is not None:
        shutil.copyfile(start_from, database)
    command = [
        DBT,
        "build",
        "--target-path",
        str(build_dir / "target"),
        "--vars",
        json.dumps({"llm_migration_input_dir": str(input_dir)}),
        *select,
    ]
    measurement = run_measured(
        label, command, dict(env, LLM_MIGRATION_DB=str(database)), build_dir / "dbt.log"
    )
    results_path = build_dir / "target" / "run_results.json"
    results = json.loads(results_path.read_text())["results"] if results_path.exists() else []
    if measurement.returncode != 0:
        tail = measurement.log_path.read_text()[-4000:]
        print(f"\n!! dbt build on {label} failed ({measurement.returncode}); log tail:\n{tail}")
    return Build(measurement, database, results)


def print_build_line(label: str, build: Build, suffix: str = "") -> None:
    """One result line: wall time, peak memory, load after, status."""
    m = build.measurement
    status = "ok" if m.returncode == 0 else f"FAILED ({m.returncode})"
    print(
        f"  {label:<18} {m.wall_seconds:8.1f} s  {m.peak_rss_mib:8,.0f} MiB"
        f"  load {m.load_after:4.1f}  {status}{suffix}"
    )


def node_seconds(build: Build) -> dict[str, tuple[float, str]]:
    """unique_id -> (execution seconds, status) from run_results.json."""
    return {r["unique_id"]: (float(r["execution_time"]), r["status"]) for r in build.run_results}


def _short(unique_id: str) -> str:
    kind, _, *rest = unique_id.split(".")
    # unit_test.<project>.<model>.<test>: name both, the model alone is ambiguous.
    name = "::".join(rest[:2]) if kind == "unit_test" else (rest[0] if rest else unique_id)
    if kind == "test" and len(name) > 60:
        name = name[:57] + "..."
    return f"{kind:<5} {name}"


def print_slowest(demo: Build, paper: Build, top: int, title: str = "paper-scale build") -> None:
    demo_nodes, paper_nodes = node_seconds(demo), node_seconds(paper)
    ranked = sorted(paper_nodes.items(), key=lambda item: item[1][0], reverse=True)
    print(f"\nslowest {top} nodes of the {title} (dbt run_results.json, seconds):")
    print(f"  {'node':<68} {'demo':>7} {'paper':>8} {'share':>6}  status")
    total = sum(seconds for seconds, _ in paper_nodes.values()) or 1.0
    for unique_id, (seconds, status) in ranked[:top]:
        demo_seconds = demo_nodes.get(unique_id, (float("nan"), ""))[0]
        print(
            f"  {_short(unique_id):<68} {demo_seconds:>7.2f} {seconds:>8.2f} "
            f"{seconds / total:>6.1%}  {status}"
        )
    by_kind: dict[str, float] = {}
    for unique_id, (seconds, _) in paper_nodes.items():
        kind = unique_id.split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + seconds
    print(
        "  sum of node times: "
        + ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in sorted(by_kind.items()))
        + f" (threads run in parallel: the sum can exceed the wall time"
        f" {paper.measurement.wall_seconds:.1f} s)"
    )


def compare_counts(floor_counts_path: Path, paper: Build) -> str:
    """Do the floor and the package produce the same sufficient statistics?"""
    import duckdb

    with duckdb.connect(str(paper.database), read_only=True) as connection:
        difference = connection.sql(
            f"""
            with
            package as (
                select {GROUP_COLUMNS}, n_traces from int_judgement_counts_aggregated
            ),
            floor as (
                select {GROUP_COLUMNS}, n_traces
                from read_parquet('{floor_counts_path.as_posix()}')
            ),
            only_package as (select * from package except all select * from floor),
            only_floor as (select * from floor except all select * from package)
            select
                (select count(*) from package) as n_package,
                (select count(*) from floor) as n_floor,
                (select count(*) from only_package) as n_only_package,
                (select count(*) from only_floor) as n_only_floor
            """
        ).fetchone()
    n_package, n_floor, only_package, only_floor = difference
    if only_package == 0 and only_floor == 0:
        return f"identical ({n_package} count rows)"
    return (
        f"DIFFERENT: package {n_package} rows, floor {n_floor} rows; "
        f"{only_package} only in the package, {only_floor} only in the floor"
    )


# --------------------------------------------------------------------------------------------
# (d), (e) scheduled refreshes
# --------------------------------------------------------------------------------------------


def next_day_inputs(paper_dir: Path, out_dir: Path) -> dict[str, int]:
    """The paper-scale inputs plus one more day of traffic, appended at the end of each file.

    The new day replays the last day's traces under new trace_ids, one day later, with their
    judge verdicts and human labels: what a daily export adds. Rows already in the files keep
    their place, so a refresh sees only the new rows as new. Returns the rows each file gained.
    """
    import duckdb

    out_dir.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")

    def read(name: str) -> str:
        return f"read_parquet('{(paper_dir / f'{name}.parquet').as_posix()}', file_row_number=true)"

    connection.execute(
        f"""
        create temp table new_traces as
        select trace_id as old_trace_id, trace_id || '-next' as trace_id
        from {read("traces")}
        where created_at >= (select max(created_at) from {read("traces")}) - interval 1 day
        """
    )
    # The input and its timestamp column, moved one day on.
    shifted = {"traces": "created_at", "judge_scores": "scored_at", "human_labels": "labeled_at"}
    added = {}
    for name, time_column in shifted.items():
        columns = [r[0] for r in connection.sql(f"describe select * from {read(name)}").fetchall()]
        columns = [c for c in columns if c != "file_row_number"]
        moved = {
            "trace_id": "new_traces.trace_id as trace_id",
            time_column: f"rows.{time_column} + interval 1 day as {time_column}",
        }
        renamed = ", ".join(moved.get(c, f"rows.{c}") for c in columns)
        target = out_dir / f"{name}.parquet"
        connection.execute(
            f"""
            copy (
                select {", ".join(columns)} from (
                    select {", ".join(columns)}, 0 as part, file_row_number from {read(name)}
                    union all
                    select {renamed}, 1 as part, rows.file_row_number
                    from {read(name)} as rows
                    inner join new_traces on rows.trace_id = new_traces.old_trace_id
                ) order by part, file_row_number
            ) to '{target.as_posix()}' (format parquet)
            """
        )
        added[name] = (
            connection.sql(f"select count(*) from '{target.as_posix()}'").fetchone()[0]
            - connection.sql(f"select count(*) from {read(name)}").fetchone()[0]
        )
    shutil.copyfile(paper_dir / "models.parquet", out_dir / "models.parquet")
    return added


def measure_refreshes(
    paper: Build,
    paper_dir: Path,
    demo: Build,
    floor_seconds: float,
    work_dir: Path,
    select: list[str],
    env: dict,
    top: int,
) -> bool:
    """(d), (e): incremental builds on copies of the paper-scale warehouse; True if one failed."""
    next_dir = paper_dir.parent / f"{paper_dir.name}_next_day"
    print("\nscheduled refreshes, each on a copy of the paper-scale warehouse:", flush=True)
    started = time.perf_counter()
    added = next_day_inputs(paper_dir, next_dir)
    print(
        f"  next day's inputs in {next_dir} ({time.perf_counter() - started:.1f} s): "
        + ", ".join(f"+{n:,} {name}" for name, n in added.items()),
        flush=True,
    )
    print("  (d) dbt build, inputs unchanged ...", flush=True)
    same = dbt_build("refresh_unchanged", paper_dir, work_dir, select, env, paper.database)
    print("  (e) dbt build, one more day of inputs ...", flush=True)
    next_day = dbt_build("refresh_next_day", next_dir, work_dir, select, env, paper.database)
    print("  floor query on the next day's inputs, to check the refreshed counts ...", flush=True)
    _, _, next_floor = run_floor("floor_next_day", next_dir, work_dir, env)

    demo_seconds = demo.measurement.wall_seconds
    print("\nrefresh results (wall time; peak memory; cost beyond the demo build / floor):")
    for label, build in (("(d) unchanged", same), ("(e) next day", next_day)):
        beyond = build.measurement.wall_seconds - demo_seconds
        # A whole-build refresh with unchanged inputs reuses the posterior while the demo build
        # fits one, so it can cost less than the demo: say so instead of a negative multiple.
        cost = (
            f"{beyond:+.1f} s -> {beyond / floor_seconds:.1f}x the floor"
            if beyond >= 0
            else f"{-beyond:.1f} s less than the demo build: outputs of unchanged data reused"
        )
        print_build_line(label, build, f"  ({cost})")
    if next_day.run_results:
        print_slowest(demo, next_day, top, "next-day refresh")
    if next_day.measurement.returncode == 0 and next_floor.with_suffix(".parquet").exists():
        try:
            agreement = compare_counts(next_floor.with_suffix(".parquet"), next_day)
        except Exception as error:
            agreement = f"not compared ({error.__class__.__name__}: {error})"
        print(f"\nnext-day floor vs the refreshed int_judgement_counts_aggregated: {agreement}")
    return same.measurement.returncode != 0 or next_day.measurement.returncode != 0


# --------------------------------------------------------------------------------------------


def run_floor(
    label: str, input_dir: Path, work_dir: Path, env: dict
) -> tuple[Measurement, float, Path]:
    """The floor query in its own process: (measurement, query seconds, result file)."""
    result = work_dir / f"{label}.json"
    measurement = run_measured(
        label,
        [sys.executable, str(Path(__file__).resolve()), "--floor-worker", str(input_dir)]
        + [str(result)],
        env,
        work_dir / f"{label}.log",
    )
    if measurement.returncode != 0:
        print(measurement.log_path.read_text()[-4000:], file=sys.stderr)
        return measurement, float("nan"), result
    return measurement, json.loads(result.read_text())["query_seconds"], result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--select",
        default="all",
        help="'all' (default): the whole `dbt build`; 'sql': only SQL models and their tests; "
        "anything else is passed to dbt as --select",
    )
    parser.add_argument("--paper-dir", type=Path, default=Path("bench/out/paper"))
    parser.add_argument("--demo-dir", type=Path, default=Path("data/demo"))
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="where the builds' DuckDB files go (default: a new temporary folder, removed after)",
    )
    parser.add_argument(
        "--no-warmup",
        action="store_true",
        help="skip the untimed demo build that warms caches (PyTensor compile cache, OS files)",
    )
    parser.add_argument("--top", type=int, default=15, help="slowest nodes to list")
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="also time two scheduled refreshes of the paper-scale warehouse: one with unchanged "
        "inputs, one with a day of new traces, verdicts and labels appended",
    )
    parser.add_argument("--floor-worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.floor_worker:
        floor_worker(*args.floor_worker)
        return 0

    paper_dir = (PROJECT_DIR / args.paper_dir).resolve()
    demo_dir = (PROJECT_DIR / args.demo_dir).resolve()
    missing = [
        n
        for n in ("traces", "judge_scores", "human_labels", "models")
        if not (paper_dir / f"{n}.parquet").exists()
    ]
    if missing:
        print(f"no paper-scale inputs in {paper_dir}: generating them (about 30 s) ...", flush=True)
        generator = Path(__file__).resolve().parent / "generate_paper_scale.py"
        subprocess.run([sys.executable, str(generator), str(paper_dir)], check=True)
    select = SELECT_PRESETS.get(args.select, ["--select", args.select])
    keep = args.work_dir is not None
    work_dir = (args.work_dir or Path(tempfile.mkdtemp(prefix="llm_migration_bench_"))).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    # As the Makefile does: one PyTensor compile cache shared by the builds, so the fixed cost of
    # a Bayesian fit is the same in the demo and the paper build.
    env.setdefault("PYTENSOR_FLAGS", f"base_compiledir={PROJECT_DIR / 'target' / 'pytensor'}")

    rows = json.loads((paper_dir / "truth" / "row_counts.json").read_text())
    print(
        f"inputs: {rows['traces']:,} traces, {rows['judge_scores']:,} judge verdicts, "
        f"{rows['human_labels']:,} human labels ({paper_dir.name}); "
        f"machine: {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; "
        f"dbt build {' '.join(select) or '(everything)'}"
    )
    print(f"work folder: {work_dir}; load average now {os.getloadavg()[0]:.1f}")

    try:
        if not args.no_warmup:
            print("warm-up: untimed dbt build on the demo ...", flush=True)
            dbt_build("warmup", demo_dir, work_dir, select, env)

        print("(a) floor: one DuckDB query on the paper-scale Parquet files ...", flush=True)
        floor, floor_seconds, floor_result = run_floor("floor", paper_dir, work_dir, env)
        if floor.returncode != 0:
            return 1

        print("(b) dbt build on the demo ...", flush=True)
        demo = dbt_build("demo", demo_dir, work_dir, select, env)
        print("(c) dbt build on the paper-scale inputs ...", flush=True)
        paper = dbt_build("paper", paper_dir, work_dir, select, env)

        print(
            "\nresults (wall time; peak resident memory of the process and its children; "
            "1-min load average after):"
        )
        print(
            f"  (a) floor query      {floor_seconds:8.1f} s  {floor.peak_rss_mib:8,.0f} MiB"
            f"  load {floor.load_after:4.1f}"
            f"  (process incl. Python start: {floor.wall_seconds:.1f} s)"
        )
        for label, build in (("(b) demo build", demo), ("(c) paper build", paper)):
            print_build_line(label, build)
        marginal = paper.measurement.wall_seconds - demo.measurement.wall_seconds
        ratio = marginal / floor_seconds
        print(
            f"\nmarginal cost of scale: (paper - demo) / floor = {marginal:.1f} s / "
            f"{floor_seconds:.1f} s = {ratio:.1f}x  (target <= 3x: "
            f"{'met' if ratio <= 3 else 'NOT met'})"
        )
        if paper.run_results:
            print_slowest(demo, paper, args.top)
        if paper.measurement.returncode == 0 and paper.database.exists():
            try:
                agreement = compare_counts(floor_result.with_suffix(".parquet"), paper)
            except Exception as error:  # the counts table may not be in the selection
                agreement = f"not compared ({error.__class__.__name__}: {error})"
            print(f"\nfloor vs int_judgement_counts_aggregated: {agreement}")
        failed = demo.measurement.returncode != 0 or paper.measurement.returncode != 0
        if args.refresh and not failed:
            failed = measure_refreshes(
                paper, paper_dir, demo, floor_seconds, work_dir, select, env, args.top
            )
        return 1 if failed else 0
    finally:
        if not keep:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
