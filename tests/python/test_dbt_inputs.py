"""Real dbt + DuckDB on inputs in every format: rejects with reasons, counts reconcile."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from conftest import FAST_FIT_VARS, query, run_dbt
from llm_migration import demo

SMALL = demo.DemoConfig(
    seed=7,
    incumbent_traces=300,
    candidate_traces_per_region=30,
    items_per_region=40,
    human_labeled_traces_per_model=60,
    unusable_verdict_share=0.0,
)
INPUT_NAMES = ("traces", "judge_scores", "human_labels", "models")


def _reconciliation(database) -> pd.DataFrame:
    return query(
        database,
        """
        with delivered as (
            select 'traces' as input_name, count(*) as n from base_traces union all
            select 'judge_scores', count(*) from base_judge_scores union all
            select 'human_labels', count(*) from base_human_labels union all
            select 'models', count(*) from base_models
        ), kept as (
            select 'traces' as input_name, count(*) filter (where rejection_reason is null) as n
            from int_traces_checked union all
            select 'judge_scores', count(*) filter (where rejection_reason is null)
            from int_judgements_checked union all
            select 'human_labels', count(*) filter (where rejection_reason is null)
            from int_labels_checked union all
            select 'models', count(*) filter (where rejection_reason is null)
            from int_models_checked
        ), rejected as (
            select input_name, count(*) as n from rejected_input_rows group by input_name
        )
        select d.input_name, d.n as delivered, k.n as kept, coalesce(r.n, 0) as rejected
        from delivered d join kept k using (input_name) left join rejected r using (input_name)
        order by 1
        """,
    ).set_index("input_name")


@pytest.mark.dbt
def test_demo_build_rejects_only_unusable_verdicts_and_reconciles(demo_build):
    counts = _reconciliation(demo_build)
    assert (counts.delivered == counts.kept + counts.rejected).all()
    expected_rows = pd.read_json(demo.Path("data/demo/truth/row_counts.json"), typ="series")
    for name in INPUT_NAMES:
        assert counts.loc[name, "delivered"] == expected_rows[name]
    rejects = query(demo_build, "select input_name, reason from rejected_input_rows")
    # the generator plants ~0.3% unusable verdicts and nothing else
    assert set(rejects.input_name) == {"judge_scores"}
    assert rejects.reason.str.contains("cannot be read|missing required value: judgement").all()
    assert 0.001 < len(rejects) / counts.loc["judge_scores", "delivered"] < 0.006


@pytest.mark.dbt
def test_parquet_folder_builds_and_counts_match_pandas(tmp_path):
    inputs, _ = demo.generate(SMALL)
    folder = tmp_path / "inputs"
    demo.write_inputs(inputs, folder, dict.fromkeys(INPUT_NAMES, "parquet"))
    database = tmp_path / "parquet.duckdb"
    run_dbt(["build"], database, {"llm_migration_input_dir": str(folder), **FAST_FIT_VARS})
    counts = query(
        database,
        "select model_id, metric, sum(n_traces) as n from int_judgement_counts_aggregated "
        "where judge_id is not null group by all",
    )
    traces = inputs["traces"].set_index("trace_id")
    evaluated = set(inputs["models"].query("role != 'ignore'").model_id)
    expected = (
        inputs["judge_scores"]
        .assign(model_id=lambda d: d.trace_id.map(traces.model_id))
        .loc[lambda d: d.model_id.isin(evaluated)]
        .groupby(["model_id", "metric"])
        .size()
    )
    observed = counts.set_index(["model_id", "metric"])["n"]
    pd.testing.assert_series_equal(
        observed.sort_index().astype("int64"),
        expected.sort_index().astype("int64"),
        check_names=False,
    )


def _broken_inputs() -> dict[str, pd.DataFrame]:
    """Small valid inputs plus one row for each defect the staging layer must catch."""
    inputs, _ = demo.generate(SMALL)
    traces = inputs["traces"].copy()
    traces["created_at"] = traces["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    first = traces.iloc[0].to_dict()
    bad_traces = [
        {**first, "trace_id": "bad-missing-model", "model_id": None},
        {**first, "trace_id": "bad-unknown-model", "model_id": "gpt-nonexistent"},
        {**first, "trace_id": "bad-model-row", "model_id": "cand-odd-role"},
        {**first, "trace_id": "bad-timestamp", "created_at": "last tuesday"},
        {**first, "trace_id": "bad-region", "region": "ALL"},
        {**first, "trace_id": "bad-latency", "latency_ms": "fast"},
        {**first, "trace_id": "dup-conflict", "region": "eu-west"},
        {**first, "trace_id": "dup-conflict", "region": "us-east"},
        {**first, "trace_id": "dup-exact"},
        {**first, "trace_id": "dup-exact"},
        # an unreadable copy, then the corrected one: the corrected one is kept
        {**first, "trace_id": "dup-fixed", "latency_ms": "12ms"},
        {**first, "trace_id": "dup-fixed"},
    ]
    traces = pd.concat([traces.astype(object), pd.DataFrame(bad_traces)], ignore_index=True)
    score = inputs["judge_scores"].iloc[0].to_dict()
    score["scored_at"] = None
    kept_trace = first["trace_id"]
    bad_scores = [
        {**score, "trace_id": "no-such-trace"},
        {**score, "trace_id": "bad-unknown-model"},
        {**score, "trace_id": kept_trace, "metric": "helpfulness"},
        {
            **score,
            "trace_id": kept_trace,
            "judge_id": "judge-b",
            "metric": "correctness",
            "judgement": "it depends",
        },
        {
            **score,
            "trace_id": kept_trace,
            "judge_id": "judge-c",
            "metric": "correctness",
            "judgement": "correct",
        },
        {
            **score,
            "trace_id": kept_trace,
            "judge_id": "judge-c",
            "metric": "correctness",
            "judgement": "incorrect",
        },
        {
            **score,
            "trace_id": "dup-exact",
            "judge_id": "judge-d",
            "metric": "style",
            "judgement": "adherent",
        },
        {
            **score,
            "trace_id": "dup-exact",
            "judge_id": "judge-d",
            "metric": "style",
            "judgement": "Adherent",
        },
    ]
    scores = inputs["judge_scores"].copy()
    scores["scored_at"] = scores["scored_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    scores = pd.concat([scores, pd.DataFrame(bad_scores)], ignore_index=True)
    label = inputs["human_labels"].iloc[0].to_dict()
    bad_labels = [
        {**label, "trace_id": "no-such-trace"},
        {
            **label,
            "trace_id": kept_trace,
            "metric": "style",
            "annotator_id": "ann-x",
            "label": "sort of",
        },
        {
            **label,
            "trace_id": kept_trace,
            "metric": "refusal",
            "annotator_id": "ann-y",
            "label": "refused",
        },
        {
            **label,
            "trace_id": kept_trace,
            "metric": "refusal",
            "annotator_id": "ann-y",
            "label": "answered",
        },
        {
            **label,
            "trace_id": kept_trace,
            "metric": "refusal",
            "annotator_id": None,
            "label": "answered",
        },
        # an unreadable label, then the annotator's correction: the correction is kept
        {
            **label,
            "trace_id": kept_trace,
            "metric": "style",
            "annotator_id": "ann-z",
            "label": "unsure",
        },
        {
            **label,
            "trace_id": kept_trace,
            "metric": "style",
            "annotator_id": "ann-z",
            "label": "no",
        },
    ]
    labels = inputs["human_labels"].copy()
    labels["labeled_at"] = labels["labeled_at"].astype(str)
    labels = pd.concat([labels, pd.DataFrame(bad_labels)], ignore_index=True)
    models = pd.concat(
        [
            inputs["models"],
            pd.DataFrame(
                [
                    {"model_id": "cand-odd-role", "role": "champion"},
                    {"model_id": "cand-twice", "role": "candidate", "provider": "x"},
                    {"model_id": "cand-twice", "role": "candidate", "provider": "y"},
                ]
            ),
            inputs["models"].iloc[[1]],  # an exact copy of a kept row: rejected, model kept
        ],
        ignore_index=True,
    )
    return {"traces": traces, "judge_scores": scores, "human_labels": labels, "models": models}


@pytest.mark.dbt
def test_broken_inputs_are_rejected_with_reasons_and_the_rest_builds(tmp_path):
    folder = tmp_path / "broken"
    formats = {"traces": "csv", "judge_scores": "jsonl", "human_labels": "csv", "models": "jsonl"}
    broken = _broken_inputs()
    demo.write_inputs(broken, folder, formats)
    database = tmp_path / "broken.duckdb"
    build = run_dbt(["build"], database, {"llm_migration_input_dir": str(folder), **FAST_FIT_VARS})
    # A rejected models row takes its model out of every verdict: the build says so (a warning
    # by default, an error with llm_migration_gate_severity: error).
    assert (
        "llm_migration: models row 6 (model_id cand-odd-role) was rejected, so that model is in "
        "no verdict: role must be incumbent, candidate or ignore, got: champion"
    ) in build.stdout
    copied = broken["models"].model_id.iloc[-1]
    assert f"(model_id {copied}) was rejected" not in build.stdout
    assert "models row 9" not in build.stdout

    counts = _reconciliation(database)
    assert (counts.delivered == counts.kept + counts.rejected).all()
    for name in INPUT_NAMES:
        assert counts.loc[name, "delivered"] == len(broken[name])

    rejects = query(
        database, "select input_name, row_key, reason, raw_row from rejected_input_rows"
    )

    def reasons(input_name: str, key_fragment: str) -> list[str]:
        rows = rejects[
            (rejects.input_name == input_name)
            & rejects.row_key.str.contains(key_fragment, regex=False)
        ]
        return sorted(rows.reason)

    assert reasons("traces", "trace_id=bad-missing-model") == ["missing required value: model_id"]
    assert reasons("traces", "trace_id=bad-unknown-model") == [
        "unknown model_id: gpt-nonexistent (not in the models input)"
    ]
    assert reasons("traces", "trace_id=bad-model-row") == [
        "its models row was rejected: role must be incumbent, candidate or ignore, got: champion"
    ]
    assert reasons("traces", "trace_id=bad-timestamp") == [
        "created_at is not a timestamp: last tuesday"
    ]
    assert reasons("traces", "trace_id=bad-region") == [
        "region ALL is reserved for the traffic-weighted overall figure"
    ]
    assert reasons("traces", "trace_id=bad-latency") == ["latency_ms is not a number: fast"]
    assert (
        reasons("traces", "trace_id=dup-conflict")
        == ["trace_id appears more than once with conflicting content"] * 2
    )
    assert reasons("traces", "trace_id=dup-exact") == [
        "exact duplicate of an earlier row for this trace_id"
    ]
    assert reasons("traces", "trace_id=dup-fixed") == ["latency_ms is not a number: 12ms"]

    assert reasons("judge_scores", "trace_id=no-such-trace") == [
        "unknown trace_id: no-such-trace (not in the traces input)"
    ]
    assert reasons("judge_scores", "trace_id=bad-unknown-model") == [
        "its trace was rejected (see the traces rows in rejected_input_rows)"
    ]
    assert reasons("judge_scores", "metric=helpfulness") == [
        "unknown metric: helpfulness (configured: correctness, refusal, style)"
    ]
    assert reasons("judge_scores", "judge_id=judge-b") == [
        "judgement cannot be read as a correctness verdict: it depends"
    ]
    assert (
        reasons("judge_scores", "judge_id=judge-c")
        == ["conflicting judgements for the same trace, metric and judge"] * 2
    )
    assert reasons("judge_scores", "judge_id=judge-d") == [
        "duplicate judgement for the same trace, metric and judge"
    ]

    assert reasons("human_labels", "trace_id=no-such-trace") == [
        "unknown trace_id: no-such-trace (not in the traces input)"
    ]
    assert reasons("human_labels", "annotator_id=ann-x") == [
        "label cannot be read as a style label: sort of"
    ]
    assert (
        reasons("human_labels", "annotator_id=ann-y")
        == ["the same annotator gave conflicting labels for this trace and metric"] * 2
    )
    assert reasons("human_labels", "annotator_id=null") == ["missing required value: annotator_id"]
    assert reasons("human_labels", "annotator_id=ann-z") == [
        "label cannot be read as a style label: unsure"
    ]

    assert reasons("models", "model_id=cand-odd-role") == [
        "role must be incumbent, candidate or ignore, got: champion"
    ]
    assert (
        reasons("models", "model_id=cand-twice")
        == ["model_id appears more than once with conflicting role, display_name or provider"] * 2
    )
    assert reasons("models", f"model_id={copied}") == [
        "exact duplicate of an earlier row for this model_id"
    ]
    # the raw row is kept as delivered, so the row can be found and fixed
    bad_ts = rejects[rejects.row_key.str.contains("trace_id=bad-timestamp")].raw_row.iloc[0]
    assert "last tuesday" in bad_ts
    # every valid judge score of an evaluated model reached the counts table: the generated ones
    # plus the first copy of the exact duplicate on trace dup-exact
    generated, _ = demo.generate(SMALL)
    evaluated = set(generated["models"].query("role != 'ignore'").model_id)
    model_of = generated["traces"].set_index("trace_id").model_id
    n_valid = generated["judge_scores"].trace_id.map(model_of).isin(evaluated).sum()
    n_valid += int(model_of.iloc[0] in evaluated)
    n_counted = query(
        database,
        "select sum(n_traces) as n from int_judgement_counts_aggregated where judge_id is not null",
    ).n.iloc[0]
    assert n_counted == n_valid


def _failed_build(tmp_path, folder, select: str):
    """Build ``select`` from the inputs in ``folder``; the build must fail."""
    database = tmp_path / f"{folder.name}.duckdb"
    variables = {"llm_migration_input_dir": str(folder)}
    result = run_dbt(["build", "--select", select], database, variables, check=False)
    assert result.returncode != 0
    return result


def _one_line(result) -> str:
    """dbt's output with its line breaks and runs of spaces as single spaces: long messages
    are wrapped in the log."""
    return " ".join(result.stdout.split())


def _csv_inputs(tmp_path, name: str, inputs: dict[str, pd.DataFrame]):
    """Every input written as CSV into the folder ``name``."""
    folder = tmp_path / name
    demo.write_inputs(inputs, folder, dict.fromkeys(INPUT_NAMES, "csv"))
    return folder


def _run_on_csv(tmp_path, name: str, inputs: dict[str, pd.DataFrame], select: str):
    """``dbt run --select select`` on every input written as CSV into the folder ``name``: its
    database and dbt's result."""
    folder = _csv_inputs(tmp_path, name, inputs)
    database = tmp_path / f"{name}.duckdb"
    variables = {"llm_migration_input_dir": str(folder)}
    return database, run_dbt(["run", "--select", select], database, variables)


def _edit_line(path, index: int, edit) -> list[str]:
    """Rewrite line ``index`` (from 0) of a text file as ``edit(line)``; the file's new lines."""
    lines = path.read_text().splitlines()
    lines[index] = edit(lines[index])
    path.write_text("\n".join(lines) + "\n")
    return lines


@pytest.mark.dbt
def test_missing_required_column_fails_with_a_clear_error(tmp_path):
    inputs, _ = demo.generate(SMALL)
    inputs["traces"] = inputs["traces"].drop(columns=["created_at"])
    folder = _csv_inputs(tmp_path, "missing", inputs)
    result = _failed_build(tmp_path, folder, "base_traces")
    assert "input 'traces'" in result.stdout
    assert "missing required column(s): created_at" in result.stdout
    assert "traces.csv" in result.stdout
    assert "The first line" not in result.stdout  # header and rows agree: no header hint


@pytest.mark.dbt
def test_missing_input_file_and_ambiguous_files_fail_clearly(tmp_path):
    inputs, _ = demo.generate(SMALL)
    folder = _csv_inputs(tmp_path, "partial", inputs)
    database = tmp_path / "partial.duckdb"

    def dbt(command: str, model: str, check: bool = False):
        variables = {"llm_migration_input_dir": str(folder)}
        return run_dbt([command, "--select", model], database, variables, check=check)

    (folder / "models.csv").unlink()
    result = dbt("build", "base_models")
    assert result.returncode != 0
    assert "input 'models': no models.parquet, .csv or .jsonl in folder" in result.stdout

    # Exports from other systems write extensions (and names) in other cases: found all the same.
    inputs["models"].to_csv(folder / "Models.CSV", index=False)
    dbt("run", "base_models", check=True)
    n_models = query(database, "select count(*) as n from base_models").n.iloc[0]
    assert n_models == len(inputs["models"])

    # A header naming a column twice: DuckDB renamed the second (label_1) and it was ignored.
    labels = (folder / "human_labels.csv").read_text().splitlines()
    labels = [labels[0] + ",label"] + [line + ",no" for line in labels[1:]]
    (folder / "human_labels.csv").write_text("\n".join(labels) + "\n")
    result = dbt("run", "base_human_labels")
    assert result.returncode != 0
    assert "the header names label more than once" in result.stdout

    inputs["traces"].to_parquet(folder / "traces.parquet")
    result = dbt("build", "base_traces")
    assert result.returncode != 0
    assert "several files" in result.stdout


@pytest.mark.dbt
@pytest.mark.parametrize("format_", ["csv", "jsonl"])
def test_an_empty_input_file_is_named_as_empty(tmp_path, format_):
    # It used to be reported as missing every required column, "found: column0" (or json).
    inputs, _ = demo.generate(SMALL)
    folder = tmp_path / "empty"
    demo.write_inputs(inputs, folder, {**dict.fromkeys(INPUT_NAMES, "csv"), "models": format_})
    (folder / f"models.{format_}").write_text("")
    result = _failed_build(tmp_path, folder, "base_models")
    assert f"input 'models' ({folder / f'models.{format_}'}) is empty" in result.stdout


@pytest.mark.dbt
def test_a_source_table_that_does_not_exist_is_named(tmp_path):
    # Tables mode with a misspelt schema used to report every required column as missing.
    variables = {"llm_migration_input_mode": "tables", "llm_migration_source_schema": "llm_evl"}
    result = run_dbt(
        ["build", "--select", "base_models"], tmp_path / "tables.duckdb", variables, check=False
    )
    assert result.returncode != 0
    assert "input 'models': table" in result.stdout and "does not exist" in result.stdout


def _rewrite_jsonl(path, every: int, key: str, change) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for i, row in enumerate(rows):
        if i % every == 0 and row.get(key) is not None:
            row[key] = change(row[key])
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


@pytest.mark.dbt
def test_jsonl_values_of_mixed_types_read_like_csv_text(tmp_path):
    # The same inputs as JSON lines, once with consistent types and once with every 7th latency
    # as a string, every 5th label as a JSON boolean and, past the 20,480 rows read_json
    # samples for types, a judge score whose scored_at is not a timestamp. They must build the
    # same tables, apart from that one reject.
    inputs, _ = demo.generate(SMALL)
    formats = {"traces": "jsonl", "judge_scores": "jsonl", "human_labels": "jsonl", "models": "csv"}
    scores = inputs["judge_scores"]
    filler = scores.iloc[[0] * (20_600 - len(scores))].assign(trace_id="unknown-trace")
    inputs["judge_scores"] = pd.concat([scores, filler], ignore_index=True)
    plain, mixed = tmp_path / "plain", tmp_path / "mixed"
    demo.write_inputs(inputs, plain, formats)
    demo.write_inputs(inputs, mixed, formats)
    _rewrite_jsonl(mixed / "traces.jsonl", 7, "latency_ms", str)
    as_boolean = {"1": True, "0": False, "yes": True, "no": False, "true": True, "false": False}
    _rewrite_jsonl(mixed / "human_labels.jsonl", 5, "label", lambda v: as_boolean.get(v, v))
    lines = (mixed / "judge_scores.jsonl").read_text().splitlines()
    last = json.loads(lines[-1])
    lines[-1] = json.dumps({**last, "scored_at": "last week"})
    (mixed / "judge_scores.jsonl").write_text("\n".join(lines) + "\n")
    labels = [json.loads(line)["label"] for line in (mixed / "human_labels.jsonl").open()]
    assert sum(isinstance(label, bool) for label in labels) > 20

    tables = {}
    for folder in (plain, mixed):
        database = tmp_path / f"{folder.name}.duckdb"
        run_dbt(
            ["build", "--selector", "sql_layer"], database, {"llm_migration_input_dir": str(folder)}
        )
        # Not compared: when and from which bytes a row was built (JSON text differs; the
        # label text is true where it was "yes").
        bookkeeping = "raw_row, row_hash, refreshed_at"
        tables[folder.name] = {
            name: query(
                database,
                f"select * exclude ({bookkeeping}{extra}) from {name} order by source_row_number",
            )
            for name, extra in (
                ("int_traces_checked", ""),
                ("int_labels_checked", ", traces_watermark, label_text"),
                ("int_judgements_checked", ", traces_watermark"),
            )
        }
    for name in ("int_traces_checked", "int_labels_checked"):
        pd.testing.assert_frame_equal(tables["plain"][name], tables["mixed"][name], obj=name)
    plain_scores, mixed_scores = (
        tables["plain"]["int_judgements_checked"],
        tables["mixed"]["int_judgements_checked"],
    )
    assert mixed_scores["rejection_reason"].iloc[-1] == "scored_at is not a timestamp: last week"
    pd.testing.assert_frame_equal(
        plain_scores.iloc[:-1].drop(columns="scored_at"),
        mixed_scores.iloc[:-1].drop(columns="scored_at"),
    )


@pytest.mark.dbt
def test_jsonl_keys_are_read_from_every_line_not_a_sample(tmp_path):
    # A review's case: 21,000 early traces of an ignored model written by an older logger
    # (no cost_usd, status or task_type), then the evaluated traces with every key. read_json's
    # schema came from the first 20,480 rows, so those keys were dropped for every trace and
    # the build went on without costs, statuses or task types.
    inputs, _ = demo.generate(SMALL)
    folder = tmp_path / "evolved"
    demo.write_inputs(inputs, folder, {**dict.fromkeys(INPUT_NAMES, "csv"), "traces": "jsonl"})
    path = folder / "traces.jsonl"
    old = "".join(
        json.dumps(
            {
                "trace_id": f"old-{i}",
                "model_id": "legacy",
                "region": "us-east",
                "created_at": "2026-09-01T00:00:00Z",
                "latency_ms": 900.0,
            }
        )
        + "\n"
        for i in range(21_000)
    )
    path.write_text(old + path.read_text())
    database = tmp_path / "evolved.duckdb"
    run_dbt(["run", "--select", "base_traces"], database, {"llm_migration_input_dir": str(folder)})
    read = query(
        database,
        "select count(*) as n, count(cost_usd) as cost, count(status) as status, "
        "count(task_type) as task_type from base_traces where trace_id not like 'old-%'",
    ).iloc[0]
    traces = inputs["traces"]
    assert read.n == len(traces)
    assert read.cost == traces.cost_usd.notna().sum() > 0
    assert read.status == traces.status.notna().sum() > 0
    assert read.task_type == traces.task_type.notna().sum() > 0


@pytest.mark.dbt
def test_jsonl_keys_differing_in_case_and_records_that_are_not_objects_stop_the_build(tmp_path):
    # DuckDB renamed a second spelling (judgement_1) and every row spelt the other way was
    # rejected as missing its judgement; a line holding an array made the file look empty.
    inputs, _ = demo.generate(SMALL)
    formats = {**dict.fromkeys(INPUT_NAMES, "csv"), "judge_scores": "jsonl"}
    folder = tmp_path / "keycase"
    demo.write_inputs(inputs, folder, formats)
    path = folder / "judge_scores.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[3] = {("Judgement" if k == "judgement" else k): v for k, v in rows[3].items()}
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = _failed_build(tmp_path, folder, "base_judge_scores")
    assert f"input 'judge_scores' ({path}): keys that differ only in case: judgement and " in (
        result.stdout
    )
    assert "Judgement" in result.stdout

    folder = tmp_path / "array"
    demo.write_inputs(inputs, folder, formats)
    path = folder / "judge_scores.jsonl"
    lines = path.read_text().splitlines()
    lines[70] = "[1, 2]"
    path.write_text("\n".join(lines) + "\n")
    result = _failed_build(tmp_path, folder, "base_judge_scores")
    assert "every line of a JSON lines file must be one object" in result.stdout
    assert "record 71 is array" in result.stdout


@pytest.mark.dbt
def test_a_build_that_kept_no_verdict_says_where_the_rows_went(tmp_path):
    # A review's case: created_at as epoch seconds rejects every trace (each with its reason),
    # and the fit then failed with "counts is empty: nothing to fit".
    inputs, _ = demo.generate(SMALL)
    inputs["traces"]["created_at"] = "1790813020"
    folder = _csv_inputs(tmp_path, "epoch", inputs)
    result = _failed_build(tmp_path, folder, "+int_posterior_draws")
    n = len(inputs["traces"])
    assert "no judge verdict of an evaluated model was kept, so there is nothing to fit" in (
        result.stdout
    )
    assert (
        f"int_traces_checked: 0 of {n:,} rows kept, most often: created_at is not a timestamp"
        in result.stdout
    )


@pytest.mark.dbt
def test_csv_rows_with_the_wrong_number_of_fields_are_named_by_line(tmp_path):
    inputs, _ = demo.generate(SMALL)
    folder = _csv_inputs(tmp_path, "ragged", inputs)
    _edit_line(folder / "human_labels.csv", 5, lambda line: line + ",extra")
    result = _failed_build(tmp_path, folder, "base_human_labels")
    assert "input 'human_labels'" in result.stdout and "human_labels.csv" in result.stdout
    assert "rows do not have the header's 5 comma-separated fields" in result.stdout
    assert "line 6: Expected Number of Columns: 5 Found: 6" in result.stdout


@pytest.mark.dbt
def test_a_header_naming_fewer_fields_than_the_rows_is_named(tmp_path):
    # DuckDB skips a header that names fewer fields than the rows hold and takes the first data
    # row for the header: the "found" columns were data values, with no hint why.
    inputs, _ = demo.generate(SMALL)
    folder = _csv_inputs(tmp_path, "short_header", inputs)
    path = folder / "traces.csv"
    n_fields = len(path.read_text().splitlines()[0].split(","))
    lines = _edit_line(path, 0, lambda line: line.rsplit(",", 1)[0])
    result = _failed_build(tmp_path, folder, "base_traces")
    assert "input 'traces'" in result.stdout and "is missing required column(s)" in result.stdout
    assert (
        f"The first line ({lines[0]}) names {n_fields - 1} comma-separated fields but the "
        f"rows hold {n_fields}, so it was not read as the header"
    ) in _one_line(result)


@pytest.mark.dbt
def test_a_semicolon_file_missing_a_column_gets_no_header_hint(tmp_path):
    # DuckDB sniffs the delimiter; the header hint split the first line on commas and told a
    # ';' file whose header was read fine that it "names 1 comma-separated fields".
    inputs, _ = demo.generate(SMALL)
    folder = _csv_inputs(tmp_path, "semicolons", inputs)
    inputs["traces"].drop(columns=["created_at"]).to_csv(
        folder / "traces.csv", sep=";", index=False
    )
    result = _failed_build(tmp_path, folder, "base_traces")
    assert "missing required column(s): created_at" in result.stdout
    assert "The first line" not in result.stdout


@pytest.mark.dbt
def test_unit_tests_hold_under_a_customised_configuration(tmp_path):
    # The unit tests run on every `dbt build`; they must not depend on what a project
    # configures. A traffic mix as a mapping (whose branch reads no trace table), a metric
    # removed and other verdict spellings used to fail them.
    inputs, _ = demo.generate(SMALL)
    folder = tmp_path / "inputs"
    demo.write_inputs(inputs, folder, dict.fromkeys(INPUT_NAMES, "parquet"))
    variables = {
        "llm_migration_input_dir": str(folder),
        "llm_migration_traffic_mix": {"us-east": 0.6, "eu-west": 0.4},
        "llm_migration_metrics": {
            "correctness": {"direction": "higher_is_better", "margin": 0.03},
            "refusal": {"direction": "lower_is_better", "margin": 0.02},
        },
        "llm_migration_metric_aliases": {},
        "llm_migration_label_spellings": {"any": {"positive": ["yes"], "negative": ["no"]}},
    }
    database = tmp_path / "custom.duckdb"
    run_dbt(["build", "--selector", "sql_layer"], database, variables)  # raises on any failure
    assert query(database, "select count(*) as n from int_region_traffic_weights").n.item() == 2


@pytest.mark.dbt
@pytest.mark.parametrize(
    ("mix", "named"),
    [
        ({"us-east": -0.1, "eu-west": 1, "ap-south": 1}, "us-east: -0.1"),
        ({"us-east": 0, "eu-west": 1}, "us-east: 0"),
        ({"us-east": "lots", "eu-west": 1}, "us-east: lots"),
        ({}, "an empty mapping"),
    ],
)
def test_a_traffic_mix_without_positive_shares_is_an_error(tmp_path, mix, named):
    # Such a region used to be dropped without a word while the others' shares no longer
    # summed to 1 (a negative share inflated them).
    output = _compile_error(tmp_path, "int_region_traffic_weights", llm_migration_traffic_mix=mix)
    assert "var llm_migration_traffic_mix" in output and named in output


def _compile_error(tmp_path, select: str, **variables) -> str:
    """dbt compile of ``select`` under ``variables`` must fail; its output."""
    result = run_dbt(["compile", "--select", select], tmp_path / "vars.duckdb", variables, False)
    assert result.returncode != 0
    return result.stdout


@pytest.mark.dbt
@pytest.mark.parametrize(
    ("metrics", "named"),
    [
        ({"correctness": {"direction": "higher_is_better", "margin": 2}}, "correctness.margin"),
        ({"correctness": {"direction": "up", "margin": 0.02}}, "correctness.direction"),
        ({"correctness": {"direction": "higher_is_better"}}, "correctness.margin"),
    ],
)
def test_a_malformed_metric_config_stops_the_first_model(tmp_path, metrics, named):
    # A margin written in points (2 for 2 points) used to be accepted and every demo candidate
    # shipped; the fit ran before any check.
    output = _compile_error(tmp_path, "stg_judge_scores__judgements", llm_migration_metrics=metrics)
    assert "var llm_migration_metrics" in output and named in output


@pytest.mark.dbt
def test_two_incumbents_stop_the_build_with_their_names(tmp_path):
    inputs, _ = demo.generate(SMALL)
    models = inputs["models"].copy()
    models.loc[models.model_id == "cand-steady", "role"] = "incumbent"
    inputs["models"] = models
    folder = _csv_inputs(tmp_path, "two_incumbents", inputs)
    result = _failed_build(tmp_path, folder, "+int_evaluated_models assert_exactly_one_incumbent")
    assert "llm_migration: several models have role incumbent (cand-steady, incumbent-v1)" in (
        result.stdout
    )


@pytest.mark.dbt
def test_a_primary_judge_named_for_one_metric_leaves_the_others_automatic(tmp_path):
    # Naming the judge for correctness used to drop refusal and style from int_primary_judges
    # (and from the task-type counts), holding every candidate open on them.
    inputs, _ = demo.generate(SMALL)
    folder = tmp_path / "inputs"
    demo.write_inputs(inputs, folder, dict.fromkeys(INPUT_NAMES, "parquet"))
    database = tmp_path / "judges.duckdb"
    variables = {
        "llm_migration_input_dir": str(folder),
        "llm_migration_primary_judge": {"correctness": "judge-sonnet-eval", "style": "judge-x"},
    }
    run_dbt(
        ["build", "--select", "+int_primary_judges", "--indirect-selection", "cautious"],
        database,
        variables,
    )
    judges = query(database, "select * from int_primary_judges order by metric")
    assert judges[["metric", "judge_id"]].values.tolist() == [
        ["correctness", "judge-sonnet-eval"],
        ["refusal", "judge-sonnet-eval"],  # not named: the judge with the most verdicts
        ["style", "judge-x"],  # named without verdicts: kept as named, so the fit names it
    ]
    assert (judges.n_verdicts.iloc[:2] > 0).all() and judges.n_verdicts.iloc[2] == 0


@pytest.mark.dbt
def test_a_refresh_under_other_verdict_spellings_asks_for_a_full_refresh(tmp_path):
    # A refresh re-reads only changed traces: a spelling added to rescue rejected verdicts used
    # to rescue none of them (17 rows stayed rejected until a --full-refresh), silently.
    inputs, _ = demo.generate(SMALL)
    scores = inputs["judge_scores"].copy()
    scores.loc[scores.index[:5], "judgement"] = "unsure"
    inputs["judge_scores"] = scores
    folder = tmp_path / "inputs"
    demo.write_inputs(inputs, folder, dict.fromkeys(INPUT_NAMES, "parquet"))
    database = tmp_path / "spellings.duckdb"
    select = ["--select", "+int_judgements_checked", "+int_labels_checked"]
    select += ["--indirect-selection", "cautious"]
    variables = {"llm_migration_input_dir": str(folder)}
    run_dbt(["build", *select], database, variables)
    extended = {
        **variables,
        "llm_migration_label_spellings": {
            "any": {
                "positive": ["yes", "true", "1", "1.0", "pass", "passed", "positive"],
                "negative": ["no", "false", "0", "0.0", "fail", "failed", "negative", "unsure"],
            },
            "correctness": {"positive": ["correct"], "negative": ["incorrect"]},
            "refusal": {"positive": ["refused"], "negative": ["answered"]},
            "style": {"positive": ["adherent"], "negative": ["non_adherent"]},
        },
    }
    refused = run_dbt(["build", *select], database, extended, check=False)
    assert refused.returncode != 0
    assert "were read with other verdict spellings, metric names or metric aliases" in (
        refused.stdout
    )
    assert "dbt build --full-refresh" in refused.stdout
    # A release that reads rows differently changes the same digest (its reader version).
    assert "or by an earlier version of llm_migration that read input rows" in refused.stdout
    run_dbt(["build", "--full-refresh", *select], database, extended)
    # A table built before the column existed gets the same advice, not a binder error.
    with duckdb.connect(str(database)) as connection:
        connection.execute("alter table int_labels_checked drop column parse_settings")
    older = run_dbt(["build", *select], database, extended, check=False)
    assert older.returncode != 0
    assert "was built by an earlier version of llm_migration" in older.stdout
    run_dbt(["build", "--full-refresh", *select], database, extended)
    reasons = query(
        database,
        "select count(*) as n from int_judgements_checked "
        "where rejection_reason like '%cannot be read%unsure%'",
    )
    assert reasons.n.item() == 0


@pytest.mark.dbt
def test_a_time_zone_name_in_one_row_does_not_shift_the_rows_after_it(tmp_path):
    # A review's case: DuckDB's cast to timestamptz kept the zone of a text naming one
    # ("... Asia/Tokyo") for the texts without an offset after it in the same vector (up to 2,047
    # rows), so one such row moved the created_at of the traces after it by 9 hours, silently.
    inputs, _ = demo.generate(SMALL)
    traces = inputs["traces"].copy()
    traces["created_at"] = traces["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    traces.loc[0, "created_at"] = "2026-10-21 10:00:00 Asia/Tokyo"
    inputs["traces"] = traces
    database, _ = _run_on_csv(tmp_path, "zone_name", inputs, "+int_traces_checked")
    read = query(
        database,
        "select strftime(created_at, '%Y-%m-%d %H:%M:%S') as created_at "
        "from int_traces_checked order by source_row_number",
    ).created_at
    expected = traces["created_at"].tolist()
    expected[0] = "2026-10-21 01:00:00"
    assert read.tolist() == expected


@pytest.mark.dbt
def test_a_time_zone_abbreviation_is_rejected_not_read_as_another_zone(tmp_path):
    # DuckDB reads a zone abbreviation as ICU's legacy zone id of that name: "10:00 BST" (British
    # summer time, +01) as Bangladesh time (+06), AST (Atlantic) as Alaska, NST (Newfoundland)
    # as New Zealand. Those times were kept, hours off. A zone name or an offset is read.
    inputs, _ = demo.generate(SMALL)
    traces = inputs["traces"].copy()
    traces["created_at"] = traces["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    written = {
        "tr-0000000": "2026-10-21 10:00:00 BST",
        "tr-0000001": "2026-01-21 10:00:00 AST",
        "tr-0000002": "2026-10-21 10:00:00 Europe/London",
        "tr-0000003": "2026-10-21 10:00:00 UTC",
        "tr-0000004": "2026-10-21 10:00 PM",  # a 12-hour clock, not a zone: not read
    }
    traces["created_at"] = traces.trace_id.map(written).fillna(traces.created_at)
    inputs["traces"] = traces
    labels = inputs["human_labels"].copy()
    labels["labeled_at"] = labels["labeled_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    labels.loc[0, "labeled_at"] = "2026-01-21 10:00:00 nst"
    inputs["human_labels"] = labels
    database, _ = _run_on_csv(tmp_path, "zone_abbreviation", inputs, "+int_labels_checked")
    read = query(
        database,
        "select trace_id, strftime(created_at, '%Y-%m-%d %H:%M') as created_at, rejection_reason "
        f"from int_traces_checked where trace_id in {tuple(written)} order by trace_id",
    )
    assert read.created_at.tolist()[2:4] == ["2026-10-21 09:00", "2026-10-21 10:00"]
    assert read.rejection_reason.fillna("kept").tolist() == [
        "created_at names its time zone by an abbreviation that several zones share or DuckDB "
        "misreads (BST): write an offset (+01:00) or a zone name (Europe/London): "
        "2026-10-21 10:00:00 BST",
        "created_at names its time zone by an abbreviation that several zones share or DuckDB "
        "misreads (AST): write an offset (+01:00) or a zone name (Europe/London): "
        "2026-01-21 10:00:00 AST",
        "kept",
        "kept",
        "created_at is not a timestamp: 2026-10-21 10:00 PM",
    ]
    label = query(
        database,
        "select labeled_at, rejection_reason from int_labels_checked where source_row_number = 1",
    ).iloc[0]
    assert pd.isna(label.labeled_at)
    assert label.rejection_reason.startswith(
        "labeled_at names its time zone by an abbreviation that several zones share or DuckDB "
        "misreads (NST)"
    )


@pytest.mark.dbt
@pytest.mark.parametrize("format_", ["parquet", "jsonl"])
def test_http_status_codes_as_floats_read_200_as_a_success(tmp_path, format_):
    # A column of HTTP codes with a missing value is float in pandas, so it arrives as 200.0
    # (Parquet double, JSON number, pandas CSV). "200.0" was not a success: every successful
    # call counted as an error, silently.
    inputs, _ = demo.generate(SMALL)
    traces = inputs["traces"].copy()
    traces["status"] = [
        None if i % 10 == 0 else 500.0 if i % 7 == 0 else 200.0 for i in traces.index
    ]
    inputs["traces"] = traces
    folder = tmp_path / f"float_status_{format_}"
    demo.write_inputs(inputs, folder, {**dict.fromkeys(INPUT_NAMES, "csv"), "traces": format_})
    database = tmp_path / f"float_status_{format_}.duckdb"
    run_dbt(
        ["run", "--select", "+int_traces_checked"],
        database,
        {"llm_migration_input_dir": str(folder)},
    )
    read = query(
        database,
        "select is_error, count(*) as n from int_traces_checked "
        "where rejection_reason is null group by all",
    )
    counts = {
        (None if pd.isna(k) else bool(k)): n for k, n in zip(read.is_error, read.n, strict=True)
    }
    expected = traces.status.map({200.0: False, 500.0: True}).value_counts(dropna=False)
    assert counts == {(None if pd.isna(k) else k): n for k, n in expected.items()}


@pytest.mark.dbt
def test_csv_rows_beginning_with_a_hash_are_read_not_taken_for_comments(tmp_path):
    # DuckDB's CSV sniffer may decide that '#' starts comments when many rows begin with it
    # (ticket-style ids #123), and then skips those rows: here half the traces were never read,
    # and rows read = kept + rejected still held.
    inputs, _ = demo.generate(SMALL)
    traces = inputs["traces"].copy()
    number = traces.trace_id.str.removeprefix("tr-").astype(int)
    traces["trace_id"] = [f"#{n}" if n % 2 == 0 else str(n) for n in number]
    inputs["traces"] = traces
    database, _ = _run_on_csv(tmp_path, "hash_ids", inputs, "base_traces")
    read = query(database, "select trace_id from base_traces order by source_row_number")
    assert read.trace_id.tolist() == traces.trace_id.tolist()


@pytest.mark.dbt
def test_a_jsonl_record_naming_a_key_twice_stops_the_build(tmp_path):
    # {"label": "correct", ..., "label": "incorrect"} was read as correct (DuckDB takes the
    # first value) where Python's json and JavaScript read incorrect: a verdict of unknowable
    # polarity was kept.
    inputs, _ = demo.generate(SMALL)
    formats = {**dict.fromkeys(INPUT_NAMES, "csv"), "human_labels": "jsonl"}
    folder = tmp_path / "repeated_key"
    demo.write_inputs(inputs, folder, formats)
    path = folder / "human_labels.jsonl"
    lines = path.read_text().splitlines()
    lines[4] = lines[4].rstrip("}") + ', "label": "no"}'
    path.write_text("\n".join(lines) + "\n")
    result = _failed_build(tmp_path, folder, "base_human_labels")
    assert (
        f"input 'human_labels' ({path}): a record names the same key more than once (label; "
        "first in record 5"
    ) in _one_line(result)


@pytest.mark.dbt
def test_parquet_columns_differing_only_in_case_stop_the_build(tmp_path):
    # A Parquet file with columns label and Label: DuckDB renamed the second Label_1 and it was
    # ignored, so every label was read from the other column (a CSV header naming a column
    # twice already stopped the build).
    inputs, _ = demo.generate(SMALL)
    labels = inputs["human_labels"].copy()
    labels["Label"] = labels["label"]
    labels["label"] = "no"
    inputs["human_labels"] = labels
    folder = tmp_path / "case_columns"
    demo.write_inputs(
        inputs, folder, {**dict.fromkeys(INPUT_NAMES, "csv"), "human_labels": "parquet"}
    )
    result = _failed_build(tmp_path, folder, "base_human_labels")
    assert (
        f"input 'human_labels' ({folder / 'human_labels.parquet'}): the file has columns named "
        "label more than once (column names are matched without regard to case)"
    ) in _one_line(result)


@pytest.mark.dbt
def test_missing_value_markers_in_optional_numbers_and_times_are_no_value(tmp_path):
    # R writes NA, SQL exports NULL and Python None for a missing value. In status they were
    # already no status; in latency_ms they rejected the whole trace ("latency_ms is not a
    # number: NA"), taking a timed-out call out of the latency budget that counts it as
    # unbounded, and in labeled_at they rejected the label.
    inputs, _ = demo.generate(SMALL)
    traces = inputs["traces"].astype(object)
    markers = {
        "latency_ms": "NA",
        "input_tokens": "None",
        "output_tokens": "n/a",
        "cost_usd": "NULL",
    }
    for i, (column, marker) in enumerate(markers.items()):
        traces.loc[i, column] = marker
    inputs["traces"] = traces
    labels = inputs["human_labels"].copy()
    labels["labeled_at"] = labels["labeled_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    labels.loc[0, "labeled_at"] = "NA"
    inputs["human_labels"] = labels
    database, _ = _run_on_csv(tmp_path, "markers", inputs, "+int_labels_checked")
    read = query(
        database,
        "select latency_ms, input_tokens, output_tokens, cost_usd, rejection_reason "
        "from int_traces_checked where source_row_number <= 4 order by source_row_number",
    )
    assert read.rejection_reason.isna().all(), read.rejection_reason.tolist()
    for i, column in enumerate(markers):
        assert pd.isna(read.loc[i, column]) and read[column].notna().sum() == 3
    label = query(
        database,
        "select labeled_at, rejection_reason from int_labels_checked where source_row_number = 1",
    ).iloc[0]
    assert pd.isna(label.labeled_at) and pd.isna(label.rejection_reason)


@pytest.mark.dbt
def test_assessment_tags_that_disagree_are_not_read_as_the_first(tmp_path):
    # A judge restating its instructions before its verdict was read as the first tag: here a
    # correct verdict where the judge said incorrect.
    inputs, _ = demo.generate(SMALL)
    scores = inputs["judge_scores"].copy()
    rows = scores.index[scores.metric == "correctness"][:3]
    scores.loc[rows[0], "judgement"] = (
        "Answer <assessment>correct</assessment> or <assessment>incorrect</assessment>.\n"
        "The answer misses the point. <assessment>incorrect</assessment>"
    )
    scores.loc[rows[1], "judgement"] = (
        "<assessment>Correct</assessment> (restated: <assessment> correct </assessment>)"
    )
    scores.loc[rows[2], "judgement"] = (
        "<assessment>unsure</assessment><assessment>unsure</assessment>"
    )
    inputs["judge_scores"] = scores
    database, _ = _run_on_csv(tmp_path, "several_tags", inputs, "+int_judgements_checked")
    read = query(
        database,
        "select is_judge_positive, rejection_reason from int_judgements_checked "
        f"where source_row_number in {tuple(int(i) + 1 for i in rows)} order by source_row_number",
    )
    assert pd.isna(read.is_judge_positive[0])
    assert read.rejection_reason[0].startswith(
        "judgement holds several <assessment> tags that do not give one correctness verdict: "
        "Answer <assessment>correct</assessment> or <assessment>incorrect</assessment>."
    )
    assert read.is_judge_positive[1] and pd.isna(read.rejection_reason[1])
    assert read.rejection_reason[2].startswith("judgement holds several <assessment> tags")


@pytest.mark.dbt
def test_a_jsonl_line_that_is_not_json_is_named_by_its_record(tmp_path):
    # DuckDB's own error named the line after the bad one ("line 4" for line 3).
    inputs, _ = demo.generate(SMALL)
    formats = {**dict.fromkeys(INPUT_NAMES, "csv"), "judge_scores": "jsonl"}
    folder = tmp_path / "malformed"
    demo.write_inputs(inputs, folder, formats)
    path = folder / "judge_scores.jsonl"
    lines = path.read_text().splitlines()
    lines[2] = lines[2][:-5]  # cut short: line 3 is no JSON
    path.write_text("\n".join(lines) + "\n")
    result = _failed_build(tmp_path, folder, "base_judge_scores")
    assert "every line of a JSON lines file must be one object" in result.stdout
    assert "record 3 is not valid JSON" in result.stdout
    assert "in line 4" not in result.stdout


@pytest.mark.dbt
def test_extra_columns_with_a_double_quote_or_no_name_are_read_past(tmp_path):
    # An extra JSON key or CSV header such as reviewer "note" (or a JSON key "") stopped the
    # build with "Parser Error: syntax error at or near "note"", naming neither the input nor
    # the column.
    inputs, _ = demo.generate(SMALL)
    formats = {**dict.fromkeys(INPUT_NAMES, "csv"), "judge_scores": "jsonl"}
    folder = tmp_path / "odd_names"
    inputs["human_labels"] = inputs["human_labels"].assign(**{'reviewer "note"': "fine"})
    demo.write_inputs(inputs, folder, formats)
    path = folder / "judge_scores.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[3] = {**rows[3], 'reviewer "note"': "looks fine", "": "x", "a/b~c": "y"}
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    database = tmp_path / "odd_names.duckdb"
    variables = {"llm_migration_input_dir": str(folder)}
    run_dbt(
        ["run", "--select", "+int_labels_checked", "+int_judgements_checked"], database, variables
    )
    for name, model in (
        ("judge_scores", "int_judgements_checked"),
        ("human_labels", "int_labels_checked"),
    ):
        kept = query(database, f"select count(*) as n from {model} where rejection_reason is null")
        assert kept.n.item() == len(inputs[name])


@pytest.mark.dbt
def test_columns_outside_the_contract_are_named(tmp_path):
    # A near miss of an optional column (latency for latency_ms) lost every value of it, and
    # the build said nothing: every latency was missing.
    inputs, _ = demo.generate(SMALL)
    inputs["traces"] = inputs["traces"].rename(columns={"latency_ms": "latency"})
    _, result = _run_on_csv(tmp_path, "near_miss", inputs, "base_traces")
    folder = tmp_path / "near_miss"
    assert (
        f"llm_migration: input 'traces' ({folder / 'traces.csv'}): column(s) latency are not "
        "read; its optional columns are item_id, task_type, latency_ms,"
    ) in _one_line(result)


def _run_with_formats(tmp_path, name: str, inputs: dict[str, pd.DataFrame], formats, select: str):
    """``dbt run --select select`` on the inputs written in ``formats`` (CSV where not named)
    into the folder ``name``: its database and dbt's result."""
    folder = tmp_path / name
    demo.write_inputs(inputs, folder, {**dict.fromkeys(INPUT_NAMES, "csv"), **formats})
    database = tmp_path / f"{name}.duckdb"
    variables = {"llm_migration_input_dir": str(folder)}
    return database, run_dbt(["run", "--select", select], database, variables)


def _parquet_type(folder, input_name: str, column: str) -> str:
    """The type of ``column`` in the input's Parquet file as DuckDB reads it."""
    path = folder / f"{input_name}.parquet"
    return duckdb.sql(f"select typeof({column}) from '{path}' limit 1").fetchone()[0]


@pytest.mark.dbt
def test_human_labels_as_decimals_read_like_integers(tmp_path):
    # A 0/1 label column exported from a warehouse as DECIMAL(3,2) arrives as 1.00 and 0.00:
    # every such label was rejected as unreadable, where 1, 1.0 and true are read.
    from decimal import Decimal

    inputs, _ = demo.generate(SMALL)
    labels = inputs["human_labels"]
    labels = labels[labels.label.isin(["1", "0"])].reset_index(drop=True)
    labels["label"] = labels.label.map({"1": Decimal("1.00"), "0": Decimal("0.00")})
    labels.loc[[0, 1], "label"] = [Decimal("0.50"), Decimal("2.00")]
    inputs["human_labels"] = labels
    database, _ = _run_with_formats(
        tmp_path, "decimal_labels", inputs, {"human_labels": "parquet"}, "+int_labels_checked"
    )
    assert _parquet_type(tmp_path / "decimal_labels", "human_labels", "label") == "DECIMAL(3,2)"
    read = query(
        database,
        "select is_human_positive, rejection_reason from int_labels_checked "
        "order by source_row_number",
    )
    assert read.rejection_reason[:2].str.startswith("label cannot be read as a").all()
    assert read.rejection_reason[2:].isna().all(), read.rejection_reason[2:].dropna().tolist()
    expected = (labels.label[2:] == Decimal("1.00")).tolist()
    assert read.is_human_positive[2:].astype(bool).tolist() == expected


@pytest.mark.dbt
def test_trace_ids_stored_as_floats_match_the_same_ids_as_text(tmp_path):
    # Numeric trace ids in a pandas column with a missing value are floats, so the traces'
    # Parquet file held 1.0 where the judge scores' CSV said 1: no verdict found its trace, and
    # every one was rejected as of an unknown trace. A whole float is its integer; another float
    # is read as it prints (1.5), which matches the same id written as text.
    inputs, _ = demo.generate(SMALL)
    number = {t: float(t.removeprefix("tr-")) for t in inputs["traces"].trace_id}
    traces = inputs["traces"].assign(trace_id=inputs["traces"].trace_id.map(number))
    extra = traces.iloc[[0]].assign(trace_id=1.5)
    inputs["traces"] = pd.concat([traces, extra], ignore_index=True)
    as_text = {t: str(int(n)) for t, n in number.items()}
    scores = inputs["judge_scores"].assign(trace_id=lambda d: d.trace_id.map(as_text))
    extra_score = scores.iloc[[0]].assign(trace_id="1.5")
    inputs["judge_scores"] = pd.concat([scores, extra_score], ignore_index=True)
    inputs["human_labels"] = inputs["human_labels"].assign(
        trace_id=lambda d: d.trace_id.map(as_text).astype(int)
    )
    formats = {"traces": "parquet", "human_labels": "jsonl"}
    database, _ = _run_with_formats(
        tmp_path, "float_ids", inputs, formats, "+int_judgements_checked +int_labels_checked"
    )
    ids = query(database, "select trace_id from int_traces_checked order by source_row_number")
    assert ids.trace_id.tolist()[:3] == ["0", "1", "2"] and ids.trace_id.iloc[-1] == "1.5"
    for model, name in (
        ("int_judgements_checked", "judge_scores"),
        ("int_labels_checked", "human_labels"),
    ):
        read = query(
            database,
            f"select count(*) filter (where rejection_reason is null) as kept, "
            f"count(*) filter (where rejection_reason like 'unknown trace_id%') as unknown "
            f"from {model}",
        ).iloc[0]
        assert (read.kept, read.unknown) == (len(inputs[name]), 0), model


@pytest.mark.dbt
def test_a_nan_float_id_is_a_missing_id_not_the_id_nan(tmp_path):
    # A Parquet file written by a tool that keeps NaN (not null) in a float id column: the trace
    # with id NaN was kept as trace "nan", and a verdict naming "nan" was attached to it.
    inputs, _ = demo.generate(SMALL)
    number = {t: float(t.removeprefix("tr-")) for t in inputs["traces"].trace_id}
    inputs["traces"] = inputs["traces"].assign(trace_id=inputs["traces"].trace_id.map(number))
    first = inputs["traces"].trace_id.iloc[0]
    scores = inputs["judge_scores"].assign(
        trace_id=lambda d: d.trace_id.map({t: str(int(n)) for t, n in number.items()})
    )
    scores.loc[scores.trace_id == str(int(first)), "trace_id"] = "nan"
    inputs["judge_scores"] = scores
    folder = tmp_path / "nan_ids"
    demo.write_inputs(inputs, folder, {**dict.fromkeys(INPUT_NAMES, "csv"), "traces": "parquet"})
    path = folder / "traces.parquet"
    duckdb.sql(
        f"copy (select * replace (case when trace_id = {first} then 'nan'::double "
        f"else trace_id end as trace_id) from '{path}') to '{folder / 'nan.parquet'}'"
    )
    (folder / "nan.parquet").replace(path)
    assert duckdb.sql(f"select count(*) from '{path}' where isnan(trace_id)").fetchone() == (1,)
    database = tmp_path / "nan_ids.duckdb"
    select = ["--select", "+int_judgements_checked"]
    run_dbt(["run", *select], database, {"llm_migration_input_dir": str(folder)})
    traces = query(
        database, "select trace_id, rejection_reason from int_traces_checked where trace_id is null"
    )
    assert traces.rejection_reason.tolist() == ["missing required value: trace_id"]
    named = query(
        database,
        "select rejection_reason from int_judgements_checked where trace_id = 'nan'",
    ).rejection_reason
    assert len(named) == (scores.trace_id == "nan").sum() > 0
    assert named.str.startswith("unknown trace_id: nan").all(), named.tolist()


@pytest.mark.dbt
@pytest.mark.parametrize("format_", ["csv", "parquet", "jsonl"])
def test_ids_with_tabs_or_no_break_spaces_around_them_match(tmp_path, format_):
    # Ids were trimmed of spaces only: "tr-0000001<TAB>" from a spreadsheet export or a model id
    # followed by a no-break space was another id, printed alike, and its verdicts were rejected
    # as of an unknown trace, its traces as of an unknown model.
    inputs, _ = demo.generate(SMALL)
    originals = {
        "trace_id": set(inputs["traces"].trace_id),
        "model_id": set(inputs["models"].model_id),
        "judge_id": set(inputs["judge_scores"].judge_id),
    }
    traces, scores, labels, models = (
        inputs[name].copy() for name in ("traces", "judge_scores", "human_labels", "models")
    )
    traced = scores.trace_id.iloc[0]
    traces.loc[traces.trace_id == traced, "trace_id"] = traced + "\t"
    scores.loc[scores.trace_id == traced, "trace_id"] = "\u00a0" + traced
    traces.loc[1, "model_id"] = traces.loc[1, "model_id"] + "\u00a0"
    models.loc[1, "model_id"] = "\t" + models.loc[1, "model_id"]
    models.loc[2, "role"] = models.loc[2, "role"] + "\t"
    scores.loc[scores.index[1::2], "judge_id"] = scores.judge_id[1::2] + "\t"
    labels.loc[0, "annotator_id"] = "\u00a0" + labels.loc[0, "annotator_id"]
    inputs.update(traces=traces, judge_scores=scores, human_labels=labels, models=models)
    database, _ = _run_with_formats(
        tmp_path,
        f"padded_ids_{format_}",
        inputs,
        dict.fromkeys(INPUT_NAMES, format_),
        "+int_judgements_checked +int_labels_checked",
    )
    checked = ("int_traces_checked", "int_judgements_checked", "int_labels_checked")
    rejected = query(
        database,
        " union all ".join(
            f"select rejection_reason from {model} where rejection_reason is not null"
            for model in (*checked, "int_models_checked")
        ),
    )
    assert rejected.rejection_reason.tolist() == []
    for column, model in (
        ("trace_id", "int_traces_checked"),
        ("model_id", "int_models_checked"),
        ("judge_id", "int_judgements_checked"),
    ):
        read = query(database, f"select distinct {column} from {model}")[column]
        assert set(read) == originals[column], column


def _created_at_as_read(tmp_path, name: str, written: list[str]):
    """The demo's traces with the first ``written`` created_at texts (the rest ISO 8601 in
    UTC), checked from CSV: the database and, for those traces in order, created_at to the
    minute and the rejection reason."""
    inputs, _ = demo.generate(SMALL)
    traces = inputs["traces"].copy()
    traces["created_at"] = traces["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = traces.trace_id[: len(written)].tolist()
    traces.loc[: len(written) - 1, "created_at"] = written
    inputs["traces"] = traces
    database, _ = _run_on_csv(tmp_path, name, inputs, "+int_traces_checked")
    read = query(
        database,
        "select strftime(created_at, '%Y-%m-%d %H:%M') as created_at, rejection_reason "
        f"from int_traces_checked where trace_id in {tuple(ids)} order by source_row_number",
    )
    return database, read


@pytest.mark.dbt
def test_zone_names_and_unambiguous_abbreviations_are_read_misread_ones_rejected(tmp_path):
    # Every zone abbreviation was rejected, and so was an IANA zone of up to five letters:
    # "10:00 EST" (a fixed -05:00 in IANA) and "10:00 Japan" were lost with their traces. Only
    # the abbreviations DuckDB reads as another zone than meant are rejected: IST as India,
    # SST as the Solomon Islands, MIT as Apia, CET and PST with summer time in July.
    from zoneinfo import ZoneInfo

    read_as = {
        "EST": "EST",
        "MST": "MST",
        "hst": "HST",
        "JST": "Asia/Tokyo",
        "Japan": "Japan",
        "Egypt": "Egypt",
        "Singapore": "Singapore",
        "PRC": "PRC",
        "NZ": "NZ",
    }
    rejected = ["IST", "SST", "MIT", "CET", "pst", "CST"]
    written = [f"2026-07-21 10:00:00 {zone}" for zone in [*read_as, *rejected, "EDT"]]
    _, read = _created_at_as_read(tmp_path, "zone_names", written)
    expected = [
        datetime_in_utc.strftime("%Y-%m-%d %H:%M")
        for datetime_in_utc in (
            pd.Timestamp("2026-07-21 10:00:00", tz=ZoneInfo(zone)).tz_convert("UTC")
            for zone in read_as.values()
        )
    ]
    assert read.created_at[: len(read_as)].tolist() == expected
    assert read.rejection_reason[: len(read_as)].isna().all()
    assert read.rejection_reason[len(read_as) : -1].tolist() == [
        f"created_at names its time zone by an abbreviation that several zones share or DuckDB "
        f"misreads ({zone.upper()}): write an offset (+01:00) or a zone name (Europe/London): "
        f"2026-07-21 10:00:00 {zone}"
        for zone in rejected
    ]
    assert (
        read.rejection_reason.iloc[-1] == "created_at is not a timestamp: 2026-07-21 10:00:00 EDT"
    )


@pytest.mark.dbt
def test_times_to_the_minute_with_a_zone_are_read(tmp_path):
    # ISO 8601 allows a time to the minute before its offset ("2026-10-21T10:00Z"), but DuckDB's
    # cast reads such a time only without a zone after it, and no space before an offset or a
    # Z (many loggers write "10:00:00 +0200"): these traces were rejected as "not a timestamp".
    read_as = {
        "2026-10-21T10:00Z": "2026-10-21 10:00",
        "2026-10-21T10:00+02:00": "2026-10-21 08:00",
        "2026-10-21 10:00 -05:00": "2026-10-21 15:00",
        "2026-10-21 10:00 UTC": "2026-10-21 10:00",
        "2026-10-21 10:00 Europe/London": "2026-10-21 09:00",
        "2026-10-21 10:00:00 Z": "2026-10-21 10:00",
        "2026-10-21 10:00 Z": "2026-10-21 10:00",
        "2026-10-21 10:00:00 +0200": "2026-10-21 08:00",
    }
    written = [*read_as, "2026-10-21 10:00 PM", "2026-10-21 10:00 BST"]
    database, read = _created_at_as_read(tmp_path, "minute_times", written)
    assert read.created_at[: len(read_as)].tolist() == list(read_as.values())
    assert read.rejection_reason[: len(read_as)].isna().all()
    # Still not read: a 12-hour clock, and an abbreviation DuckDB misreads.
    assert read.rejection_reason.iloc[-2] == "created_at is not a timestamp: 2026-10-21 10:00 PM"
    assert "abbreviation" in read.rejection_reason.iloc[-1]
    # Every other row is read as before.
    assert (
        query(
            database,
            "select count(*) as n from int_traces_checked where rejection_reason is not null",
        ).n.item()
        == 2
    )


@pytest.mark.dbt
@pytest.mark.parametrize("dialect", ["snowflake", "bigquery"])
def test_other_warehouses_read_assessment_tags_as_the_default_does(tmp_path, dialect):
    # The Snowflake and BigQuery versions of extract_assessment took the first tag, so a judge
    # restating its instructions was read as "correct" there and rejected on DuckDB. No
    # warehouse runs here: each version must parse in its dialect, and sqlglot's translation of
    # it to DuckDB must give the default's reading of every text.
    import sqlglot

    from test_sql_macros import compile_inline

    texts = [
        "correct",
        "Reasoning: fine.\n<assessment>\n  Correct\n</assessment>",
        "<ASSESSMENT>No</ASSESSMENT>",
        "Answer <assessment>correct</assessment> or <assessment>incorrect</assessment>.\n"
        "The answer misses the point. <assessment>incorrect</assessment>",
        "<assessment>Correct</assessment> (restated: <assessment> correct </assessment>)",
        "<assessment>yes</assessment><assessment>no</assessment>",
        "<assessment>\tnon-adherent\r\n</assessment> then <assessment>Non Adherent</assessment>",
        "an open <assessment>tag",
        "",
        None,
    ]
    select = (
        "select n, {{ llm_migration.%s__extract_assessment('judgement') }} as r from t order by n"
    )
    compiled = compile_inline(select % dialect, tmp_path)
    as_duckdb = sqlglot.parse_one(compiled, read=dialect).sql(dialect="duckdb")
    default = compile_inline(select % "default", tmp_path)
    with duckdb.connect() as connection:
        connection.execute("create table t (n integer, judgement varchar)")
        connection.executemany("insert into t values (?, ?)", list(enumerate(texts)))
        expected = connection.sql(default).fetchall()
        read = connection.sql(as_duckdb).fetchall()
    assert expected[3] == (3, texts[3]) and expected[4] == (4, "correct")  # the default's reading
    assert read == expected


@pytest.mark.dbt
def test_trace_ids_past_a_4_byte_float_s_integers_are_not_read_as_other_ids(tmp_path):
    # A 4-byte float holds every integer below 2^24 only: trace id 123456789 in a float32
    # column is stored as 123456792, which was read as that integer, so the verdicts naming
    # trace 123456789 were kept against trace 123456792. Past 2^24 a 4-byte float is read as
    # it prints, like a double past 2^53, and such verdicts are rejected as of an unknown trace.
    import numpy as np

    inputs, _ = demo.generate(SMALL)
    as_text = {t: str(int(t.removeprefix("tr-"))) for t in inputs["traces"].trace_id}
    scores = inputs["judge_scores"]
    named, other = (
        scores.trace_id.iloc[0],
        scores.trace_id[scores.trace_id != scores.trace_id.iloc[0]].iloc[0],
    )
    as_text.update({named: "123456789", other: "123456792"})
    assert float(np.float32(123456789)) == 123456792.0
    inputs["traces"] = inputs["traces"].assign(trace_id=lambda d: d.trace_id.map(as_text))
    inputs["human_labels"] = inputs["human_labels"].assign(
        trace_id=lambda d: d.trace_id.map(as_text)
    )
    inputs["judge_scores"] = scores.assign(
        trace_id=scores.trace_id.map(as_text).astype(float).astype(np.float32)
    )
    database, _ = _run_with_formats(
        tmp_path, "float32_ids", inputs, {"judge_scores": "parquet"}, "+int_judgements_checked"
    )
    assert _parquet_type(tmp_path / "float32_ids", "judge_scores", "trace_id") == "FLOAT"
    read = query(
        database,
        "select trace_id, rejection_reason from int_judgements_checked order by source_row_number",
    )
    n_named, n_other = (int((scores.trace_id == t).sum()) for t in (named, other))
    kept = read[read.rejection_reason.isna()]
    assert not kept.trace_id.isin(["123456789", "123456792"]).any()
    unknown = read.rejection_reason.str.startswith("unknown trace_id", na=False)
    assert int(unknown.sum()) == n_named + n_other
    # Below 2^24 a 4-byte float is its integer, and every other verdict finds its trace.
    assert len(kept) == len(read) - n_named - n_other
