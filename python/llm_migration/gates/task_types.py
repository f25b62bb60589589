"""Per-task-type regressions: how many task types are credibly worse for the candidate.

Method (per metric; one gate row per candidate x metric):

1. **Judge calibration per model.** The judge's error rates differ by the model under test
   (DESIGN). In the build they are the posterior fit's draws of each model's sensitivity and
   specificity (``calibration``; the same draws for both models, paired), so this gate corrects
   the judge exactly as the overall and regional gates do, with the fit's pooling across models.
   In a simulation with equal truth everywhere (4 models, 2 regions x 8,000 traces and 320
   labels per model, Se 0.9 and Sp 0.8 for all, 8 task types; 24 seeds, 72 gates) the fit's
   draws failed none of the gates where the label-only calibration below failed 3 (it passed
   5 against 9; the rest inconclusive at this volume).
   Without them (the function called on its own) they are estimated for each model x metric
   from that model's human-labelled traces alone, pooled over task types (labels are too few
   per task type),
   through the predictive values, which hold for random labels and for labels sampled within
   each judge verdict alike: PPV ~ Beta(1 + #judge+ & human+, 1 + #judge+ & human-),
   NPV ~ Beta(1 + #judge- & human-, 1 + #judge- & human+), q ~ Beta(1 + J, 1 + T - J) over all
   the model's judged traces; theta = q PPV + (1 - q)(1 - NPV), Se = q PPV / theta,
   Sp = (1 - q) NPV / (1 - theta).
   ``n_draws`` seeded draws of (Se, Sp) per model; draws with Se + Sp <= 1 (a judge no better
   than chance) are dropped. With no human labels Se and Sp stay uniform and every corrected rate
   is nearly uninformative, so the task types end up "possibly worse" — never silently fine.
2. **Corrected difference per task type, given a calibration draw.** With T judged traces of
   which J judged positive, the judge rate is q = (J + 1) / (T + 2) with variance
   q(1 - q) / (T + 3) (its Beta(1 + J, 1 + T - J) posterior), and the Rogan-Gladen rate is
   theta = (q + Sp - 1) / (Se + Sp - 1) with variance var(q) / (Se + Sp - 1)^2. The difference
   d_t = s * (theta_candidate - theta_incumbent) (s = +1 when higher is better, -1 when lower is
   better, so d > 0 is better for the candidate) has variance v_t = the sum of the two.
3. **Partial pooling across task types.** Looking at many task types, some dip by chance. The
   d_t are pooled with a random-effects model d_t ~ Normal(mu, tau^2), flat prior on mu and a
   half-normal prior (scale 0.1) on tau, integrated on a grid (``pooled_prob_worse``): given
   tau each task type's posterior is shrunk towards the common mean by B_t = v_t / (v_t +
   tau^2). A task type stays worse only if it stands out from the others by more than noise,
   or if the whole metric is worse; a task type with few traces is not taken to equal the
   others just because the data cannot show the spread (and step 5 asks its own data too).
   One task type: no pooling.
4. **P(worse)** = P(d_t < -margin), the normal probability averaged over the calibration draws
   (so the judge's uncertainty is carried through).
5. **Counting.** A task type is *credibly worse* when its pooled P(worse) >= p_block (the
   metric's ``prob_regional_regression_blocks``) and *possibly worse* when its pooled P(worse)
   or its P(worse) on its own data alone (no pooling) is > 1 - p_block: when many large task
   types agree, the spread between them is estimated near 0 and pooling alone would clear a
   small task type on the strength of the others (the regional gate's own-evidence rule). With
   N = max_worse_task_types: fail when more than N task types are credibly worse; pass when no
   more than N are possibly worse (the regional gate's rule: a region passes only at P(worse)
   <= 1 - p_block); else inconclusive, naming the task types that could be worse. Inconclusive
   too when a probability cannot be computed or a model has fewer human labels on the metric
   than ``min_human_labels_per_model``: the judge is calibrated per model here, without
   borrowing from the other models, so with a handful of labels the prior on its error rates
   decides. observed_value is the number credibly worse.

Only task types judged for both models are compared; a task type judged for the incumbent but
not for the candidate keeps the gate from passing (inconclusive, named in the reason). The
margin is the metric's configured margin, else the one in fct_model_comparisons. Assumes the
judge's error rates for a model do not vary by task type, and ignores the region mix within a
task type.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import special

from llm_migration.gates.inputs import flag_values
from llm_migration.gates.policy import LOWER_IS_BETTER, GatePolicy
from llm_migration.gates.results import (
    ALL_REGIONS,
    FAIL,
    INCONCLUSIVE,
    PASS,
    fmt_pp,
    fmt_prob,
    gate_row,
)

GATE_ID = "task_type_regressions"
_MIN_VALID_SHARE = 0.1


def _calibrated_rates(
    rows: pd.DataFrame,
    task_types: Sequence[str],
    n_draws: int,
    rng: np.random.Generator,
    fit: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Corrected rates and their sampling variances, (n_draws, n_task_types) each.

    Also the validity mask per draw (Se + Sp > 1) and the number of human-labelled traces.
    ``fit``: the model's (Se, Sp) draws from the posterior fit, used instead of the model's own
    labels alone.
    """
    judge = rows["judge"].to_numpy()
    human = rows["human"].to_numpy()
    weight = rows["n_traces"].to_numpy(dtype=float)
    paired = ~np.isnan(judge) & ~np.isnan(human)
    jp, hp, w = judge[paired] == 1.0, human[paired] == 1.0, weight[paired]
    # Se and Sp through the predictive values, which stay unbiased when labels are sampled
    # within each judge verdict (a design the README allows), and the model's judged-positive
    # share q over all its judged traces: theta = q PPV + (1 - q)(1 - NPV), Se = q PPV / theta,
    # Sp = (1 - q) NPV / (1 - theta). Counting Se and Sp from the pairs directly is right for
    # random labels only: with stratified labels it doubled false blocks in a simulation.
    ppv = rng.beta(1 + np.sum(w[jp & hp]), 1 + np.sum(w[jp & ~hp]), size=n_draws)
    npv = rng.beta(1 + np.sum(w[~jp & ~hp]), 1 + np.sum(w[~jp & hp]), size=n_draws)
    is_judged = ~np.isnan(judge)
    n_judged, n_positive = weight[is_judged].sum(), (weight * (judge == 1.0))[is_judged].sum()
    q_model = rng.beta(1 + n_positive, 1 + n_judged - n_positive, size=n_draws)
    theta_model = q_model * ppv + (1.0 - q_model) * (1.0 - npv)
    se = q_model * ppv / theta_model
    sp = (1.0 - q_model) * npv / (1.0 - theta_model)
    if fit is not None:
        se, sp = fit
    judged = rows[~np.isnan(judge)].assign(positive=lambda d: d["judge"] * d["n_traces"])
    per_task = judged.groupby("task_type")[["n_traces", "positive"]].sum().reindex(list(task_types))
    total = per_task["n_traces"].to_numpy(dtype=float)
    positive = per_task["positive"].to_numpy(dtype=float)
    q = (positive + 1.0) / (total + 2.0)
    q_var = q * (1.0 - q) / (total + 3.0)
    youden = (se + sp - 1.0)[:, None]
    valid = youden[:, 0] > 1e-6
    safe = np.where(youden > 1e-6, youden, 1.0)
    theta = (q[None, :] + sp[:, None] - 1.0) / safe
    theta_var = q_var[None, :] / safe**2
    return theta, theta_var, valid, int(w.sum())


CALIBRATION_COLUMNS = ("model_id", "metric", "chain", "draw", "sensitivity", "specificity")


def _fit_calibration(
    calibration: pd.DataFrame | None,
    models: tuple[str, str],
    metric: str,
    n_draws: int,
    rng: np.random.Generator,
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Each model's (Se, Sp) on ``metric`` at the same ``n_draws`` posterior draws, or None.

    The same draws for both models: the fit pools the judge's error rates across models, so a
    model's draws are correlated with the other's, and a difference needs them paired.
    """
    if calibration is None or calibration.empty:
        return None
    rows = calibration[
        (calibration["metric"].astype(str) == metric)
        & calibration["model_id"].astype(str).isin(models)
    ]
    wide = rows.pivot_table(
        index=["chain", "draw"],
        columns=rows["model_id"].astype(str),
        values=["sensitivity", "specificity"],
        aggfunc="first",
    ).dropna()
    if wide.empty or any(
        (q, m) not in wide.columns for q in ("sensitivity", "specificity") for m in models
    ):
        return None
    picked = rng.choice(len(wide), size=n_draws, replace=len(wide) < n_draws)
    return [
        (
            wide[("sensitivity", m)].to_numpy(dtype=float)[picked],
            wide[("specificity", m)].to_numpy(dtype=float)[picked],
        )
        for m in models
    ]


TAU_PRIOR_SCALE = 0.1  # half-normal prior on the spread of true differences across task types
_TAU_GRID = np.linspace(0.0, 0.5, 101)


def pooled_prob_worse(diff: np.ndarray, variance: np.ndarray, margin: float) -> np.ndarray:
    """P(d_t < -margin) per task type after random-effects pooling, averaged over draws.

    d_t ~ Normal(mu, v_t + tau^2) with a flat prior on mu and a half-normal prior (scale
    ``TAU_PRIOR_SCALE``) on tau, integrated on a grid: a point estimate of tau (the
    DerSimonian-Laird estimate used before) is often 0, which pools completely and let a task
    type with 22 traces, truly 16 points worse, pass at P(worse) 0.02 on the strength of the
    others. Given tau, task type t is shrunk towards the weighted mean by B_t = v_t / (v_t +
    tau^2): mean (1 - B_t) d_t + B_t mu_hat, variance v_t (1 - B_t) + B_t^2 var(mu_hat).

    Parameters
    ----------
    diff, variance
        (n_draws, n_task_types): the estimated differences and their sampling variances, one
        row per calibration draw.
    margin
        Non-inferiority margin.
    """
    n_types = diff.shape[1]
    variance = np.maximum(variance, 1e-12)
    if n_types == 1:
        return own_prob_worse(diff, variance, margin)
    d, v = diff[:, None, :], variance[:, None, :]  # (draws, 1, types)
    tau2 = (_TAU_GRID**2)[None, :, None]  # (1, grid, 1)
    weight = 1.0 / (v + tau2)
    total = weight.sum(axis=2, keepdims=True)
    mu = (weight * d).sum(axis=2, keepdims=True) / total
    # log p(d | tau) with mu integrated out (flat prior), plus the log prior of tau
    log_post = (
        0.5 * np.log(weight).sum(axis=2)
        - 0.5 * np.log(total[..., 0])
        - 0.5 * (weight * (d - mu) ** 2).sum(axis=2)
        - 0.5 * (_TAU_GRID / TAU_PRIOR_SCALE) ** 2
    )
    post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    post /= post.sum(axis=1, keepdims=True)  # (draws, grid)
    shrink = v / (v + tau2)
    mean = (1.0 - shrink) * d + shrink * mu
    var = v * (1.0 - shrink) + shrink**2 / total
    p_given_tau = special.ndtr((-margin - mean) / np.sqrt(var))  # (draws, grid, types)
    return (post[..., None] * p_given_tau).sum(axis=1).mean(axis=0)


def own_prob_worse(diff: np.ndarray, variance: np.ndarray, margin: float) -> np.ndarray:
    """P(d_t < -margin) per task type on its own data (no pooling), averaged over draws."""
    sd = np.sqrt(np.maximum(variance, 1e-12))
    return special.ndtr((-margin - diff) / sd).mean(axis=0)


def task_type_gates(
    task_quality: pd.DataFrame,
    candidates: Sequence[str],
    incumbent: str | None,
    metrics: Sequence[str],
    policy: GatePolicy,
    margins: Mapping[str, float],
    *,
    n_draws: int = 2000,
    random_seed: int = 20261122,
    calibration: pd.DataFrame | None = None,
) -> list[dict]:
    """One ``task_type_regressions`` row per candidate x metric (region 'ALL').

    Parameters
    ----------
    task_quality
        Trace-level rows: model_id, task_type, metric, is_judge_positive, is_human_positive
        (nullable: most traces have no human label); or the same columns aggregated, with the
        number of traces each row stands for in ``n_traces`` (the warehouse sends counts, not
        millions of rows).
    metrics
        Metrics to check; a metric without task-type data for a model is inconclusive.
    margins
        Metric -> margin from fct_model_comparisons, used when the policy sets none.
    calibration
        Optional posterior draws of the primary judge's error rates from the fit
        (``CALIBRATION_COLUMNS``: model_id, metric, chain, draw, sensitivity, specificity).
        Where both models have them, they replace the per-model calibration from each model's
        own labels (step 1), so this gate corrects the judge as the overall and regional gates
        do.
    """
    if policy.max_worse_task_types is None:
        return []
    limit = policy.max_worse_task_types
    data = pd.DataFrame(
        {
            "model_id": task_quality["model_id"].astype("string"),
            "task_type": task_quality["task_type"].astype("string"),
            "metric": task_quality["metric"].astype("string"),
            "judge": flag_values(task_quality["is_judge_positive"]),
            "human": flag_values(task_quality["is_human_positive"]),
            "n_traces": (
                pd.to_numeric(task_quality["n_traces"]).to_numpy(dtype=float)
                if "n_traces" in task_quality.columns
                else np.ones(len(task_quality))
            ),
        }
    )
    data = data[data["task_type"].notna()]
    rows = []
    for candidate in candidates:
        for metric in metrics:
            rule = policy.for_metric(metric)
            margin = rule.margin if rule.margin is not None else margins.get(metric)

            def inconclusive(why: str, candidate=candidate, metric=metric) -> dict:
                return gate_row(
                    candidate,
                    GATE_ID,
                    ALL_REGIONS,
                    metric,
                    None,
                    limit,
                    INCONCLUSIVE,
                    f"task types on {metric} cannot be compared: {why}",
                )

            if incumbent is None:
                rows.append(inconclusive("no single incumbent"))
                continue
            if margin is None or pd.isna(margin):
                rows.append(inconclusive("no non-inferiority margin is known for the metric"))
                continue
            on_metric = data[data["metric"] == metric]
            cand = on_metric[(on_metric["model_id"] == candidate) & on_metric["judge"].notna()]
            inc = on_metric[(on_metric["model_id"] == incumbent) & on_metric["judge"].notna()]
            shared = sorted(set(cand["task_type"]) & set(inc["task_type"]))
            if not shared:
                rows.append(inconclusive("no task type was judged for both models"))
                continue
            seed = [int(random_seed), zlib.crc32(f"{candidate}|{incumbent}|{metric}".encode())]
            rng = np.random.default_rng(seed)
            cand_rows = on_metric[on_metric["model_id"] == candidate]
            inc_rows = on_metric[on_metric["model_id"] == incumbent]
            fit = _fit_calibration(calibration, (candidate, incumbent), metric, n_draws, rng)
            theta_c, var_c, valid_c, labels_c = _calibrated_rates(
                cand_rows, shared, n_draws, rng, fit[0] if fit else None
            )
            theta_i, var_i, valid_i, labels_i = _calibrated_rates(
                inc_rows, shared, n_draws, rng, fit[1] if fit else None
            )
            sign = -1.0 if rule.direction == LOWER_IS_BETTER else 1.0
            valid = valid_c & valid_i
            if valid.mean() < _MIN_VALID_SHARE:
                p_worse = p_own = np.full(len(shared), np.nan)
            else:
                diff = sign * (theta_c[valid] - theta_i[valid])
                variance = var_c[valid] + var_i[valid]
                p_worse = pooled_prob_worse(diff, variance, float(margin))
                p_own = own_prob_worse(diff, variance, float(margin))
            row = _count_row(
                candidate,
                metric,
                shared,
                (p_worse, p_own),
                margin,
                rule.prob_regional_regression_blocks,
                limit,
                (labels_c, labels_i),
                policy.min_human_labels_per_model,
                from_fit=fit is not None,
            )
            # A task type the incumbent serves but the candidate was not judged on cannot be
            # shown not to regress: the gate does not pass without it (a failure stands).
            unseen = sorted(set(inc["task_type"]) - set(cand["task_type"]))
            if unseen and row["status"] == PASS:
                row["status"] = INCONCLUSIVE
                row["reason"] = (
                    f"{row['reason']}; but {candidate} has no judged traces on {metric} in task "
                    f"type(s) the incumbent serves: {', '.join(unseen[:5])}"
                    + (f" and {len(unseen) - 5} more" if len(unseen) > 5 else "")
                )
            rows.append(row)
    return rows


def _count_row(
    candidate, metric, task_types, p_worse, margin, p_block, limit, labels, min_labels, from_fit
) -> dict:
    """The gate row from each task type's P(worse): pooled, and on its own data alone."""
    pooled, own = p_worse
    unknown = np.isnan(pooled) | np.isnan(own)
    credible = [t for t, p in zip(task_types, pooled, strict=True) if p >= p_block]
    # Cleared only when neither the pooled nor the task type's own data leave it possibly
    # worse (the regional gate's rule): when many large task types agree, the spread between
    # task types is estimated near 0 and pooling set a small one equal to them (10 traces, 50
    # points worse, passed at pooled P(worse) 0.18).
    possible = [
        t
        for t, p, o, u in zip(task_types, pooled, own, unknown, strict=True)
        if u or p > 1 - p_block or o > 1 - p_block
    ]
    n_credible, n_possible = len(credible), len(possible)
    # It fails when more task types than allowed are credibly worse, and passes only when no
    # more than allowed could be worse: a task type that may well regress (P(worse) up to 0.79
    # passed before) must not hide behind the others, as a region must not. It stays
    # inconclusive when a task type's probability cannot be computed or a model has fewer human
    # labels on the metric than the policy's minimum: the judge is calibrated per model here,
    # without borrowing from the other models, so with a handful of labels its error rates come
    # from the prior (cut to Se + Sp > 1), which pulls the corrected rate towards 0.5 and made
    # a model with 2 labels "credibly worse" than an equal one with 450.
    uncalibrated = min(labels) < max(min_labels, 1)
    if uncalibrated:
        status = INCONCLUSIVE
    elif n_credible > limit:
        status = FAIL
    elif unknown.any() or n_possible > limit:
        status = INCONCLUSIVE
    else:
        status = PASS
    by_type = dict(zip(task_types, zip(pooled, own, strict=True), strict=True))

    def listed(names: list[str]) -> str:
        def one(t: str) -> str:
            p, o = by_type[t]
            return f"{t} P={fmt_prob(p, p_block)} (own data {fmt_prob(o, p_block)})"

        shown = ", ".join(one(t) for t in names[:5])
        return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")

    worse = f"worse by >{fmt_pp(margin)}"
    if status == FAIL:
        reason = (
            f"{candidate} is credibly {worse} on {metric} in {n_credible} task type(s) "
            f"(max allowed {limit}): {listed(credible)}"
        )
    elif status == PASS:
        highest = np.nanmax(np.maximum(pooled, own)) if not unknown.all() else float("nan")
        reason = (
            f"{n_credible} of {len(task_types)} task types credibly {worse} on {metric} "
            f"(max allowed {limit}; highest P(worse)={fmt_prob(highest, p_block)}, pooled or "
            f"on a task type's own data; {n_possible} could be)"
        )
    else:
        reason = (
            f"{n_possible} task type(s) could be {worse} on {metric}, {n_credible} credibly "
            f"(max allowed {limit}): {listed(possible)}"
        )
    reason += (
        "; judge error rates per model from the posterior fit"
        if from_fit
        else "; judge error rates from each model's own labels"
    )
    if uncalibrated:
        reason += (
            f"; too few human labels on this metric to calibrate the judge per model "
            f"({candidate} {labels[0]}, incumbent {labels[1]}; {min_labels} needed), so no "
            "task type is read"
        )
    return gate_row(candidate, GATE_ID, ALL_REGIONS, metric, n_credible, limit, status, reason)
