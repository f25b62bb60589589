"""Hand-made inputs for the gate tests: small frames with known answers."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

REGIONS = ("us-east", "eu-west")
METRICS = ("correctness",)
RUN_ID = "run-1"


def comparison(
    candidate="cand",
    region="ALL",
    metric="correctness",
    *,
    mean=0.01,
    sd=0.01,
    margin=0.02,
    run_id=RUN_ID,
    **overrides,
) -> dict:
    """A comparison row whose probabilities follow from a Normal(mean, sd) posterior."""
    normal = NormalDist(mean, sd)
    row = {
        "candidate_model_id": candidate,
        "incumbent_model_id": "inc",
        "region": region,
        "metric": metric,
        "margin": margin,
        "diff_mean": mean,
        "diff_hdi_low": mean - 1.959964 * sd,
        "diff_hdi_high": mean + 1.959964 * sd,
        "prob_better": 1 - normal.cdf(0.0),
        "prob_noninferior": 1 - normal.cdf(-margin),
        "prob_worse_beyond_margin": normal.cdf(-margin),
        # the region's own data, unpooled: as sure as the pooled figure unless a test says not
        "prob_worse_own_evidence": None if region == "ALL" else normal.cdf(-margin),
        "run_id": run_id,
        "computed_at": pd.Timestamp("2026-01-01", tz="UTC"),
    }
    row.update(overrides)
    return row


def comparisons_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def good_comparisons(candidate="cand") -> pd.DataFrame:
    """Non-inferior overall and clear of regression in every region."""
    rows = [comparison(candidate, "ALL", mean=0.01, sd=0.01)]
    rows += [comparison(candidate, r, mean=0.01, sd=0.015) for r in REGIONS]
    return comparisons_frame(rows)


def posterior(
    model,
    region,
    metric="correctness",
    *,
    mean=0.8,
    sd=0.02,
    n_human=80,
    n_traces=1500,  # equal_systems: every kept trace judged
    role="candidate",
) -> dict:
    return {
        "model_id": model,
        "model_role": role,
        "region": region,
        "metric": metric,
        "n_traces": n_traces,
        "n_judged": n_traces,
        "n_human_labeled": n_human,
        "judge_positive_rate": mean,
        "human_positive_rate": mean,
        "posterior_mean": mean,
        "posterior_sd": sd,
        "hdi_low": mean - 2 * sd,
        "hdi_high": mean + 2 * sd,
        "run_id": RUN_ID,
        "computed_at": pd.Timestamp("2026-01-01", tz="UTC"),
    }


def good_posteriors(models=("cand", "inc")) -> pd.DataFrame:
    rows = []
    for model in models:
        role = "incumbent" if model == "inc" else "candidate"
        rows.append(posterior(model, "ALL", sd=0.01, n_human=160, role=role))
        rows += [posterior(model, r, n_human=80, role=role) for r in REGIONS]
    return pd.DataFrame(rows)


def diagnostics(trusted=True, reason=None, run_id=RUN_ID) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "run_id": run_id,
                "sampler": "pymc",
                "chains": 4,
                "draws": 500,
                "max_r_hat": 1.004 if trusted else 1.21,
                "min_ess_bulk": 900.0 if trusted else 12.0,
                "n_divergences": 0 if trusted else 57,
                "fit_seconds": 7.0,
                "is_trusted": trusted,
                "untrusted_reason": reason,
            }
        ]
    )


def models_frame(candidates=("cand",), incumbent="inc") -> pd.DataFrame:
    rows = [{"model_id": c, "model_role": "candidate"} for c in candidates]
    if incumbent:
        rows.append({"model_id": incumbent, "model_role": "incumbent"})
    return pd.DataFrame(rows)


def systems_traces(spec: dict, seed: int = 7) -> pd.DataFrame:
    """spec: model -> region -> dict(n, latency_median, cost, error_rate).

    Latency is lognormal (sigma 0.5) around the median; cost is exponential around its mean.
    """
    rng = np.random.default_rng(seed)
    frames = []
    for model, regions in spec.items():
        for region, s in regions.items():
            n = s["n"]
            frames.append(
                pd.DataFrame(
                    {
                        "model_id": model,
                        "region": region,
                        "task_type": "qa",
                        "latency_ms": s["latency_median"] * rng.lognormal(0.0, 0.5, n),
                        "cost_usd": rng.exponential(s["cost"], n),
                        "is_error": rng.random(n) < s["error_rate"],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def equal_systems(n=1500) -> pd.DataFrame:
    base = {"n": n, "latency_median": 800.0, "cost": 0.002, "error_rate": 0.01}
    return systems_traces({m: {r: base for r in REGIONS} for m in ("cand", "inc")})


def task_rows(
    model,
    task_type,
    metric="correctness",
    *,
    n,
    rate,
    n_labeled=0,
    judge_se=1.0,
    judge_sp=1.0,
    seed=0,
) -> pd.DataFrame:
    """Trace-level judge and human verdicts with a known true rate and judge error."""
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < rate
    judge = np.where(truth, rng.random(n) < judge_se, rng.random(n) >= judge_sp)
    human = pd.array(
        [bool(t) if i < n_labeled else None for i, t in enumerate(truth)], dtype="boolean"
    )
    return pd.DataFrame(
        {
            "model_id": model,
            "task_type": task_type,
            "metric": metric,
            "is_judge_positive": judge,
            "is_human_positive": human,
        }
    )


def good_task_quality(n=2000) -> pd.DataFrame:
    """Both models identical per task type (same seed): the ground truth is "no regression"."""
    return pd.concat(
        [
            task_rows(m, t, n=n, rate=0.8, n_labeled=150, seed=i)
            for m in ("cand", "inc")
            for i, t in enumerate(("qa", "code", "summarize"))
        ],
        ignore_index=True,
    )


def steady_drift(metrics=METRICS, judge="judge-a", flagged=()) -> pd.DataFrame:
    """The latest week of fct_judge_agreement_over_time per metric; ``flagged``: drifted ones."""
    return pd.DataFrame(
        [
            {
                "judge_id": judge,
                "metric": metric,
                "week_start": pd.Timestamp("2026-01-05").date(),
                "is_drift_flagged": metric in flagged,
                "drift_reason": "specificity 0.52 vs 0.84 before" if metric in flagged else None,
                "prob_worse": 0.4,
                "prob_sensitivity_worse": 0.3,
                "prob_specificity_worse": 0.99 if metric in flagged else 0.2,
            }
            for metric in metrics
        ]
    )


def all_good_inputs() -> dict:
    return {
        "comparisons": good_comparisons(),
        "posteriors": good_posteriors(),
        "diagnostics": diagnostics(),
        "systems_traces": equal_systems(),
        "task_quality": good_task_quality(),
        "models": models_frame(),
        "judge_drift": steady_drift(),
    }
