"""Incremental refresh picks up late data, equals a full refresh, and is a no-op when unchanged."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from conftest import FAST_FIT_VARS, query, run_dbt
from llm_migration import demo

SMALL = demo.DemoConfig(
    seed=11,
    incumbent_traces=300,
    candidate_traces_per_region=30,
    items_per_region=40,
    human_labeled_traces_per_model=60,
)
FORMATS = {"traces": "parquet", "judge_scores": "csv", "human_labels": "jsonl", "models": "csv"}
# Columns that record when, by which build or how fast a row was computed, not what it says.
BOOKKEEPING = {
    "refreshed_at",
    "computed_at",
    "traces_watermark",
    "fit_seconds",
    "is_full_refresh",
    "replaced_trace_id",
}


def _split(inputs: dict[str, pd.DataFrame]):
    """First delivery: 80% of traces, without some judge scores and labels that arrive late."""
    traces = inputs["traces"]
    early_traces = traces.iloc[: int(len(traces) * 0.8)]
    early_ids = set(early_traces.trace_id)
    scores = inputs["judge_scores"]
    labels = inputs["human_labels"]
    on_early = scores.trace_id.isin(early_ids)
    late_scores = on_early & (scores.index % 17 == 0)  # judged after the first refresh
    late_labels = labels.trace_id.isin(early_ids) & (labels.index % 5 == 0)
    first = {
        "traces": early_traces,
        "judge_scores": scores[on_early & ~late_scores],
        "human_labels": labels[labels.trace_id.isin(early_ids) & ~late_labels],
        "models": inputs["models"],
    }
    # Second delivery appends: everything, in an order that keeps the first delivery's rows first,
    # plus a conflicting copy of one early trace (which must now reject that trace everywhere).
    conflicting = early_traces.iloc[[3]].assign(
        region="sa-east" if early_traces.iloc[3].region != "sa-east" else "us-east"
    )
    second = {
        "traces": pd.concat(
            [early_traces, traces.iloc[len(early_traces) :], conflicting], ignore_index=True
        ),
        "judge_scores": pd.concat(
            [first["judge_scores"], scores[~scores.index.isin(first["judge_scores"].index)]]
        ),
        "human_labels": pd.concat(
            [first["human_labels"], labels[~labels.index.isin(first["human_labels"].index)]]
        ),
        "models": inputs["models"],
    }
    return first, second, conflicting.trace_id.iloc[0]


def _tables(database) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(database), read_only=True) as connection:
        names = [
            row[0]
            for row in connection.sql(
                "select table_name from information_schema.tables "
                "where table_name not like 'dbt_%' "
                # intermediate views too (the verdict-label join); not the views over the inputs
                "and (table_type = 'BASE TABLE' or table_name like 'int_%') order by 1"
            ).fetchall()
        ]
        return {name: connection.sql(f'select * from "{name}"').df() for name in names}


SQL_LAYER = ["build", "--selector", "sql_layer"]


def _refreshed_and_full(tmp_path, first, second, between=None):
    """The SQL layer built on ``first`` and refreshed on ``second`` (``between(database)``
    runs in between), and a ``--full-refresh`` on ``second``: both builds' tables."""
    folder = tmp_path / "inputs"
    variables = {"llm_migration_input_dir": str(folder)}
    database = tmp_path / "incremental.duckdb"
    demo.write_inputs(first, folder, FORMATS)
    run_dbt(SQL_LAYER, database, variables)
    if between is not None:
        between(database)
    demo.write_inputs(second, folder, FORMATS)
    run_dbt(SQL_LAYER, database, variables)  # the row-number and reconciliation tests pass
    full_db = tmp_path / "full.duckdb"
    run_dbt([*SQL_LAYER, "--full-refresh"], full_db, variables)
    return _tables(database), _tables(full_db)


def _canonical(frame: pd.DataFrame, drop: set[str]) -> pd.DataFrame:
    frame = frame.drop(columns=[c for c in frame.columns if c in drop])
    # parallel float sums differ in the last bits between builds; compare to 12 significant digits
    for column in frame.select_dtypes("float").columns:
        frame[column] = frame[column].map(lambda v: f"{v:.12g}")
    frame = frame.astype(str)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _assert_same_tables(incremental: dict, full: dict) -> None:
    """Every table of an incremental refresh equals the full rebuild's, bookkeeping aside."""
    assert set(incremental) == set(full)
    for name in sorted(full):
        pd.testing.assert_frame_equal(
            _canonical(incremental[name], BOOKKEEPING),
            _canonical(full[name], BOOKKEEPING),
            obj=name,
        )


@pytest.mark.dbt
def test_incremental_refresh_equals_full_refresh_and_unchanged_refresh_is_a_no_op(tmp_path):
    inputs, _ = demo.generate(SMALL)
    first, second, conflicted_trace = _split(inputs)
    folder = tmp_path / "inputs"
    variables = {"llm_migration_input_dir": str(folder), **FAST_FIT_VARS}

    incremental_db = tmp_path / "incremental.duckdb"
    demo.write_inputs(first, folder, FORMATS)
    run_dbt(["build"], incremental_db, variables)
    before = _tables(incremental_db)

    # Late judge scores on traces built in the first delivery: an exact copy of a kept verdict
    # (a duplicate, the original stays kept), and "yes" and "no" on another kept verdict's
    # trace, metric and judge (a conflict that must now reject the original too). Only their
    # traces are re-checked, so this proves the duplicate checks see a refreshed trace whole.
    kept = before["int_judgements_checked"]
    kept = kept[kept.rejection_reason.isna() & (kept.trace_id != conflicted_trace)]
    kept = kept.sort_values("source_row_number")
    duplicated = first["judge_scores"].iloc[[kept.source_row_number.iloc[0] - 1]]
    contested = first["judge_scores"].iloc[[kept.source_row_number.iloc[-1] - 1]]
    assert duplicated.trace_id.iloc[0] != contested.trace_id.iloc[0]
    n_scores = len(second["judge_scores"])
    second["judge_scores"] = pd.concat(
        [
            second["judge_scores"],
            duplicated,
            contested.assign(judgement="yes"),
            contested.assign(judgement="no"),
        ],
        ignore_index=True,
    )

    demo.write_inputs(second, folder, FORMATS)
    run_dbt(["build"], incremental_db, variables)
    incremental = _tables(incremental_db)

    full_db = tmp_path / "full.duckdb"
    run_dbt(["build", "--full-refresh"], full_db, variables)
    full = _tables(full_db)

    # the late rows were picked up ...
    assert len(incremental["int_judgements_checked"]) == len(second["judge_scores"])
    assert len(incremental["int_labels_checked"]) == len(second["human_labels"])
    assert len(incremental["int_judgements_checked"]) > len(before["int_judgements_checked"])
    # ... only the affected traces were recomputed: those with a new judge score, and the one
    # whose trace row changed. Every other first-delivery row kept its refresh time.
    checked = incremental["int_judgements_checked"]
    first_refresh = before["int_judgements_checked"].refreshed_at.max()
    n_first = len(first["judge_scores"])
    affected = set(second["judge_scores"].trace_id.iloc[n_first:]) | {conflicted_trace}
    old_rows = checked[checked.source_row_number <= n_first]
    untouched = ~old_rows.trace_id.isin(affected)
    assert 0 < untouched.sum() < len(old_rows)
    assert (old_rows[untouched].refreshed_at == first_refresh).all()
    assert (old_rows[~untouched].refreshed_at > first_refresh).all()
    # ... the conflicting copy rejected the early trace and, downstream, its judgements
    traces = incremental["int_traces_checked"]
    assert (
        traces[traces.trace_id == conflicted_trace].rejection_reason
        == "trace_id appears more than once with conflicting content"
    ).all()
    judged = checked[checked.trace_id == conflicted_trace]
    assert (
        len(judged) > 0 and judged.rejection_reason.str.startswith("its trace was rejected").all()
    )
    joined = incremental["int_judgements_joined_to_labels"]
    assert not (joined.trace_id == conflicted_trace).any()
    # ... the late duplicate was rejected and its original kept ...
    reasons = checked.set_index("source_row_number").rejection_reason
    assert reasons[n_scores + 1] == "duplicate judgement for the same trace, metric and judge"
    assert pd.isna(reasons[kept.source_row_number.iloc[0]])
    # ... and the late conflict rejected all three verdicts, the first delivery's included
    conflict = "conflicting judgements for the same trace, metric and judge"
    for row in (kept.source_row_number.iloc[-1], n_scores + 2, n_scores + 3):
        assert reasons[row] == conflict, row

    # ... and every table equals a full rebuild of the same inputs
    _assert_same_tables(incremental, full)

    # An unchanged refresh changes no output table at all, computed_at included.
    run_dbt(["build"], incremental_db, variables)
    again = _tables(incremental_db)
    for name in sorted(incremental):
        pd.testing.assert_frame_equal(
            _canonical(again[name], set()), _canonical(incremental[name], set()), obj=name
        )


@pytest.mark.dbt
def test_shrunken_input_asks_for_a_full_refresh(tmp_path):
    inputs, _ = demo.generate(SMALL)
    folder = tmp_path / "inputs"
    variables = {"llm_migration_input_dir": str(folder), **FAST_FIT_VARS}
    database = tmp_path / "shrink.duckdb"
    demo.write_inputs(inputs, folder, FORMATS)
    run_dbt(["run", "--select", "+int_traces_checked"], database, variables)
    demo.write_inputs({**inputs, "traces": inputs["traces"].iloc[:-10]}, folder, FORMATS)
    result = run_dbt(["run", "--select", "int_traces_checked"], database, variables, check=False)
    assert result.returncode != 0
    assert "input 'traces' now has" in result.stdout
    assert "--full-refresh" in result.stdout


@pytest.mark.dbt
def test_a_trace_id_corrected_in_place_moves_its_row_on_a_refresh(tmp_path):
    # A traces row first delivered under a misspelled id, and a judge score whose trace id was
    # misspelled (an unknown trace), are both corrected in place. Each row now belongs to
    # another trace: the refresh must drop the old copies, check the trace the judge score
    # joins (it duplicates a verdict there), and equal a full rebuild.
    inputs, _ = demo.generate(SMALL)
    traces, scores = inputs["traces"], inputs["judge_scores"]
    extra_trace = traces.iloc[[5]].assign(trace_id="typo-trace")
    target = scores.iloc[0]
    misspelled_score = scores.iloc[[0]].assign(trace_id=target.trace_id + "-typo")
    first = {
        **inputs,
        "traces": pd.concat([traces, extra_trace], ignore_index=True),
        "judge_scores": pd.concat([scores, misspelled_score], ignore_index=True),
    }
    # A judged and labelled trace whose id is corrected in place too: its verdicts and labels,
    # still on the old id, lost their trace (a refresh left them kept, 474 rows in a review).
    judged_and_labelled = sorted(
        set(scores.trace_id) & set(inputs["human_labels"].trace_id) & set(traces.trace_id)
    )[0]
    renamed = traces.trace_id.where(
        traces.trace_id != judged_and_labelled, judged_and_labelled + "-fixed"
    )
    corrected = {
        **first,
        "traces": pd.concat(
            [traces.assign(trace_id=renamed), extra_trace.assign(trace_id="fixed-trace")],
            ignore_index=True,
        ),
        "judge_scores": pd.concat(
            [scores, misspelled_score.assign(trace_id=target.trace_id)], ignore_index=True
        ),
    }

    def misspelled_score_is_rejected(database):
        before = _tables(database)["int_judgements_checked"].set_index("source_row_number")
        assert before.loc[len(before), "rejection_reason"].startswith("unknown trace_id")

    incremental, full = _refreshed_and_full(
        tmp_path, first, corrected, between=misspelled_score_is_rejected
    )

    checked_traces = incremental["int_traces_checked"]
    assert "typo-trace" not in set(checked_traces.trace_id)
    assert "fixed-trace" in set(checked_traces.trace_id)
    judged = incremental["int_judgements_checked"].set_index("source_row_number")
    assert len(judged) == len(corrected["judge_scores"])
    assert judged.loc[len(judged), "rejection_reason"] == (
        "duplicate judgement for the same trace, metric and judge"
    )
    for table in ("int_judgements_checked", "int_labels_checked"):
        orphans = incremental[table].query("trace_id == @judged_and_labelled")
        assert len(orphans) > 0
        assert orphans.rejection_reason.str.startswith("unknown trace_id").all(), table
    _assert_same_tables(incremental, full)


@pytest.mark.dbt
def test_a_corrected_trace_id_is_rechecked_after_a_refresh_whose_verdict_model_failed(tmp_path):
    # A trace id is corrected in place in a refresh in which int_judgements_checked fails (here:
    # its input shrank). The next refresh, with the input restored and the corrected trace's row
    # changed again, must still reject the verdicts of the vanished trace: it left 3 of them
    # kept, as the row's replaced_trace_id named only the id it held in the failed build.
    inputs, _ = demo.generate(SMALL)
    traces, scores = inputs["traces"], inputs["judge_scores"]
    vanished = sorted(set(scores.trace_id) & set(traces.trace_id))[0]
    renamed = traces.assign(
        trace_id=traces.trace_id.where(traces.trace_id != vanished, vanished + "-fixed")
    )
    slower = renamed.assign(
        latency_ms=renamed.latency_ms.where(renamed.trace_id != vanished + "-fixed", 12345.0)
    )
    folder = tmp_path / "inputs"
    variables = {"llm_migration_input_dir": str(folder)}
    database = tmp_path / "incremental.duckdb"
    demo.write_inputs(inputs, folder, FORMATS)
    run_dbt(SQL_LAYER, database, variables)
    demo.write_inputs(
        {**inputs, "traces": renamed, "judge_scores": scores.iloc[:-1]}, folder, FORMATS
    )
    failed = run_dbt(SQL_LAYER, database, variables, check=False)
    assert failed.returncode != 0 and "input 'judge_scores' now has" in failed.stdout
    corrected = {**inputs, "traces": slower}
    demo.write_inputs(corrected, folder, FORMATS)
    run_dbt(SQL_LAYER, database, variables)
    full_db = tmp_path / "full.duckdb"
    run_dbt([*SQL_LAYER, "--full-refresh"], full_db, variables)
    incremental, full = _tables(database), _tables(full_db)

    orphans = incremental["int_judgements_checked"].query("trace_id == @vanished")
    assert len(orphans) > 0
    assert orphans.rejection_reason.str.startswith("unknown trace_id").all()
    _assert_same_tables(incremental, full)


@pytest.mark.dbt
def test_run_id_changes_with_roles_task_types_and_the_days_of_labelled_pairs(tmp_path):
    # The outputs are reused whenever run_id is unchanged, so run_id must change with whatever
    # they read: who is the incumbent (with a configured traffic mix the traffic shares stay
    # the same), the task types (the task-type gate) and the days of labelled pairs (the drift
    # table's weeks). Each used to leave it unchanged and stale outputs were reused.
    inputs, _ = demo.generate(SMALL)
    models = inputs["models"]
    swapped = models.assign(
        role=models.role.replace({"incumbent": "candidate"}).where(
            models.model_id != "cand-steady", "incumbent"
        )
    )
    variants = {
        "same": inputs,
        "roles": {**inputs, "models": swapped},
        "task_types": {
            **inputs,
            "traces": inputs["traces"].assign(
                task_type=inputs["traces"].task_type.replace("qa", "q_and_a")
            ),
        },
        "label_days": {
            **inputs,
            "judge_scores": inputs["judge_scores"].assign(
                scored_at=inputs["judge_scores"].scored_at + pd.Timedelta(days=14)
            ),
        },
        "latency_tail": {**inputs, "traces": _slowest_tripled(inputs["traces"], "cand-steady")},
    }
    assert (
        swapped.role == "incumbent"
    ).sum() == 1 and swapped.role.tolist() != models.role.tolist()
    run_ids = {}
    for name, variant in {"base": inputs, **variants}.items():
        folder = tmp_path / name
        demo.write_inputs(variant, folder, FORMATS)
        variables = {
            "llm_migration_input_dir": str(folder),
            "llm_migration_traffic_mix": {"us-east": 0.5, "eu-west": 0.5},
        }
        database = tmp_path / f"{name}.duckdb"
        run_dbt(SQL_LAYER, database, variables)
        run_ids[name] = query(database, "select run_id from int_run_fingerprint").run_id.item()
    assert run_ids["same"] == run_ids["base"]
    for name in ("roles", "task_types", "label_days", "latency_tail"):
        assert run_ids[name] != run_ids["base"], name


def _slowest_tripled(traces: pd.DataFrame, model_id: str) -> pd.DataFrame:
    """The model's slowest trace three times as slow: its p50 and p95 latencies unchanged.

    The latency gate bootstraps every value, but run_id hashed only p95 latency (and mean
    cost): such a change reused the old gate rows under an unchanged run_id.
    """
    mine = traces.model_id == model_id
    slowest = traces.loc[mine, "latency_ms"].idxmax()
    changed = traces.copy()
    changed.loc[slowest, "latency_ms"] *= 3
    region = traces.loc[slowest, "region"]
    for rows in (mine, mine & (traces.region == region)):
        for q in (0.5, 0.95):
            assert changed.loc[rows, "latency_ms"].quantile(q) == pytest.approx(
                traces.loc[rows, "latency_ms"].quantile(q), rel=1e-12
            )
    return changed


@pytest.mark.dbt
def test_rows_redelivered_in_another_order_move_their_rejects(tmp_path):
    # The same judge scores re-exported in another row order (or, in tables mode, a day's rows
    # reloaded by delete and insert): nothing is new, but every rejected row has another row
    # number. rejected_input_rows reuses its rows under an unchanged run_id, and run_id hashed
    # only the rejected rows' content: it kept listing the old row numbers (8 of 8 in a review
    # pointed at rows that the same build kept).
    inputs, _ = demo.generate(SMALL)
    reordered = {**inputs, "judge_scores": inputs["judge_scores"].sample(frac=1, random_state=1)}
    incremental, full = _refreshed_and_full(tmp_path, inputs, reordered)

    rejected = incremental["rejected_input_rows"].query("input_name == 'judge_scores'")
    checked = incremental["int_judgements_checked"]
    assert len(rejected) > 0
    assert sorted(rejected.source_row_number) == sorted(
        checked.loc[checked.rejection_reason.notna(), "source_row_number"]
    )
    _assert_same_tables(incremental, full)


@pytest.mark.dbt
def test_a_refresh_whose_clock_reads_earlier_still_rechecks_and_equals_a_full_refresh(tmp_path):
    # Build stamps are wall-clock times, and the checked verdict models re-check the verdicts of
    # traces refreshed after their watermark. A clock that reads earlier than at the last build
    # (summer time ending in a session not pinned to UTC, an NTP step, runners with skewed
    # clocks) made the traces a refresh delivered look older than the watermark: their judge
    # scores and labels stayed rejected as of an unknown trace (60 and 21 rows in a review).
    # The first build is stamped an hour ahead here, as if its clock had been.
    inputs, _ = demo.generate(SMALL)
    late = set(inputs["traces"].trace_id.iloc[-20:])
    first = {**inputs, "traces": inputs["traces"].iloc[:-20]}

    def stamped_an_hour_ahead(database):
        with duckdb.connect(str(database)) as connection:
            connection.execute(
                "update int_traces_checked set refreshed_at = refreshed_at + interval 1 hour"
            )
            for table in ("int_judgements_checked", "int_labels_checked"):
                connection.execute(
                    f"update {table} set refreshed_at = refreshed_at + interval 1 hour, "
                    "traces_watermark = traces_watermark + interval 1 hour"
                )

    incremental, full = _refreshed_and_full(tmp_path, first, inputs, between=stamped_an_hour_ahead)

    for table in ("int_judgements_checked", "int_labels_checked"):
        rows = incremental[table][incremental[table].trace_id.isin(late)]
        assert len(rows) > 0 and rows.rejection_reason.isna().all(), table
    _assert_same_tables(incremental, full)
