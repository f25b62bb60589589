"""Small helpers the thin dbt Python models share: reading config, reusing current outputs.

dbt renders a model's YAML config to strings, so a var that holds a mapping or a number arrives
as its Python-literal text; :func:`config_literal` turns it back into a value.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
from typing import Any

import pandas as pd


def config_literal(raw: Any, default: Any = None) -> Any:
    """A config value as a Python value: numbers, booleans, None, lists and dicts from their text.

    Plain strings that are not literals (``"pymc"``) come back unchanged.
    """
    if raw is None:
        return default
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if text in ("", "None", "none", "null"):
        return default
    if text in ("true", "True"):
        return True
    if text in ("false", "False"):
        return False
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def utc_now() -> pd.Timestamp:
    """The time a row was computed: UTC, without a zone (as the SQL models write it)."""
    return pd.Timestamp(dt.datetime.now(dt.UTC).replace(tzinfo=None))


def current_run_id(fingerprint: pd.DataFrame) -> str:
    """The run_id of int_run_fingerprint (one row)."""
    if len(fingerprint) != 1:
        raise ValueError(f"int_run_fingerprint must hold one row, found {len(fingerprint)}")
    return str(fingerprint["run_id"].iloc[0])


def reusable_output(session, relation: str, run_id: str, reuse: bool) -> pd.DataFrame | None:
    """This model's existing rows when they were computed for ``run_id``; else None.

    ``session`` is the DuckDB connection dbt-duckdb hands a Python model; ``relation`` is
    ``str(dbt.this)``. With ``reuse`` false (var llm_migration_reuse_unchanged_outputs, or a
    --full-refresh) the model always recomputes.
    """
    if not reuse:
        return None
    try:
        # Through Arrow, so every column keeps its stored type when the rows are written back
        # (a DATE read into pandas came back as TIMESTAMP).
        existing = (
            session.sql(f"select * from {relation}")
            .to_arrow_table()
            .to_pandas(types_mapper=pd.ArrowDtype)
        )
    except Exception:  # no such table yet: the first build
        return None
    if "run_id" not in existing.columns or existing.empty:
        return None
    if (existing["run_id"].astype(str) == run_id).all():
        return existing
    return None


def _normalised(value: Any) -> str:
    return json.dumps(config_literal(value) if isinstance(value, str) else value, sort_keys=True)


def check_fingerprint_settings(fingerprint: pd.DataFrame, settings: dict | None, this) -> None:
    """Stop when int_run_fingerprint was built with other vars than this model runs with.

    A partial selection (``dbt build -s some_model+``) after a change of vars leaves the
    fingerprint of the earlier build in place: this model would then reuse rows computed for
    other settings, or stamp new ones with a run_id that names other settings.
    """
    if not settings or "settings" not in fingerprint.columns:
        return
    built = json.loads(str(fingerprint["settings"].iloc[0]))
    stale = sorted(
        name
        for name, value in settings.items()
        if value is not None and name in built and _normalised(built[name]) != _normalised(value)
    )
    if stale:
        raise ValueError(
            f"{this}: int_run_fingerprint was built with other settings than this build "
            f"({', '.join(stale)} differ), so its run_id does not describe this build. Build it "
            "in the same invocation, e.g. `dbt build -s +<model>`, or run a full `dbt build`."
        )


def _settings_of_config(fingerprint: pd.DataFrame, config) -> dict[str, Any] | None:
    """The vars int_run_fingerprint was built with, as this model's config holds them: a
    model's config key is its var's name without the ``llm_migration_`` prefix (``gates`` is
    ``llm_migration_gates``); keys the model does not read come back None and are not
    compared (dbt hands a Python model only the config keys its source reads with
    ``dbt.config.get``, which are the vars it depends on)."""
    if config is None or "settings" not in fingerprint.columns:
        return None
    built = json.loads(str(fingerprint["settings"].iloc[0]))
    return {name: config.get(name.removeprefix("llm_migration_")) for name in built}


def reuse_or_compute(session, this, fingerprint, reuse, compute, config=None) -> pd.DataFrame:
    """The body every output Python model shares.

    ``fingerprint`` is the model's ``dbt.ref("int_run_fingerprint")`` (dbt only sees refs written
    in the model file itself). Returns this model's existing rows when they were computed for
    that run_id (and ``reuse`` allows it), else ``compute(run_id)`` stamped with run_id and
    computed_at.
    """
    fingerprint = fingerprint.df()
    run_id = current_run_id(fingerprint)
    check_fingerprint_settings(fingerprint, _settings_of_config(fingerprint, config), this)
    # --full-refresh recomputes every output; the fingerprint model knows the flag, which a
    # Python model cannot read.
    full_refresh = "is_full_refresh" in fingerprint and bool(fingerprint["is_full_refresh"].iloc[0])
    reuse = bool(config_literal(reuse, True)) and not full_refresh
    existing = reusable_output(session, str(this), run_id, reuse)
    if existing is not None:
        print(f"{this}: data and settings unchanged (run_id {run_id}); reusing its rows")
        return existing
    return compute(run_id).assign(run_id=run_id, computed_at=utc_now())
