"""fct_labeling_plan: where more human labels would settle an unsettled candidate, and how many.

For every candidate whose verdict is ``needs_more_labels``, each inconclusive gate that labels can
settle gives one row per model cell that needs labels:

**Comparison gates** (``overall_noninferiority``, ``regional_regression``). The posterior of the
difference d (candidate - incumbent, positive = better) is treated as Normal(m, s), m =
diff_mean. With margin delta and gap g = m + delta, P(not worse beyond margin) = Phi(g / s), so
the sd the gate itself saw is s = g / z(prob_noninferior) (z = standard normal quantile). Where
that is undefined (probability 0, 1 or missing, or on the other side of 1/2 from the mean, as a
skewed posterior can be) s = HDI width / (2 z_{(1+hdi_prob)/2}) instead.

**How far to shrink it: assurance.** Labels cannot be planned at the current mean as if it
would stay there: with the sd shrunk just to the point where the current mean would decide the
gate, the new mean lands on the undecided side about half the time. The plan asks instead for a
stated chance that the gate settles, either way, judged from the current posterior
(``labeling_assurance``, default 0.8). Shrinking the sd from s to s_a leaves the future posterior
mean distributed as Normal(m, s^2 - s_a^2) (the preposterior), so with tau = sqrt(s^2 - s_a^2)

    P(pass) = Phi((g - z_pass s_a) / tau),   P(fail) = Phi((-g - z_fail s_a) / tau),

with z_pass = z(p) for p = prob_noninferior_required on the overall gate and
prob_regional_regression_blocks on a region (a region passes when P(worse) <= 1 - p_block), and
z_fail = z(p_block). Both fall as s_a grows, so the target s* is the largest s_a with
P(pass) + P(fail) >= the assurance, found by bisection. A mean on the margin is no obstacle
(the truth is rarely exactly there, and the new mean moves off it), but a tight posterior on
the margin needs many labels and hits the cap.

**Variance scaling.** A cell with posterior mean p and sd s holds N = p(1 - p) / s^2 effective
Bernoulli observations (human labels plus what the calibrated judge contributes). Each new
human label is taken to add one: sd(a) = sqrt(p(1 - p) / (N + a)). This is conservative for a
judged trace (a label also sharpens the judge calibration) and honest about the judge's share.

**Allocation.** Labels go where they buy the most variance: minimise a_c + a_i subject to
v_c / (N_c + a_c) + v_i / (N_i + a_i) = V* (v = p(1 - p)). The Lagrange solution is
N_m + a_m = sqrt(v_m) (sqrt(v_c) + sqrt(v_i)) / V*; a cell whose solution would be below its
current N gets no labels and the other takes the whole reduction, v_o / (V* - v_m / N_m).

**A comparison gate without a comparison** (a region with traffic or a configured metric
where a model has no kept data): each model lacking the cell gets a row asking for a first
random sample of min_human_labels_per_model labels there (no sd to target yet).

**A region the judge check held** (``judge_region_check_alpha``: the judge errs there otherwise
than in the model's other regions, so the region's human labels alone decide it): planned as
above on the labels alone, each cell's rate as the gate reads it: from its labelled pairs by
the primary judge's verdict (the judge-positive share of its verdicts times the human-positive
rate among its labelled judge-positives, plus the rest times the rate among its labelled
judge-negatives, each Beta(1, 1) updated; exact mean and variance), so that labels drawn at
random within each verdict count as they should. The gap is their difference plus the margin;
no posterior sd is the target (``target_posterior_sd`` null).

**Coverage gate** (``human_label_coverage``): each model short of min_human_labels_per_model
gets a row for region 'ALL' with the shortfall (spread over regions by traffic).

**Untrusted fit.** A candidate whose ``sampler_convergence`` gate did not pass gets no rows for its
comparison gates: the figures they would be planned on come from a fit that is not trusted (the
sampler settings are the thing to change). Coverage rows stay.

**Caps and flags.** Needs are rounded up. A need above ``max_additional_labels`` per cell, or a
gate that no finite number settles, is reported at the cap with a reason saying so; a need larger
than the cell's unlabelled traces is flagged (collect more traces). Other inconclusive gates
(systems budgets, sampler, task types, judge coverage and drift, custom) are not settled by the
planned labels and get no rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

import pandas as pd

from llm_migration.gates.inputs import (
    COMPARISON_COLUMNS,
    GATE_INPUT_COLUMNS,
    POSTERIOR_COLUMNS,
    check_columns,
    latest_rows,
)
from llm_migration.gates.judge_consistency import HELD_BY_JUDGE_CHECK, labels_only_rate
from llm_migration.gates.policy import GatePolicy
from llm_migration.gates.results import ALL_REGIONS, INCONCLUSIVE, fmt_pp, is_missing, stamp

LABELING_PLAN_COLUMNS = (
    "candidate_model_id",
    "model_id",
    "region",
    "metric",
    "current_n_human_labeled",
    "current_posterior_sd",
    "target_posterior_sd",
    "additional_labels_needed",
    "gate_id",
    "reason",
    "run_id",
    "computed_at",
)
DEFAULT_MAX_ADDITIONAL_LABELS = 5000
_Z = NormalDist().inv_cdf


def allocate_labels(
    cells: Mapping[str, tuple[float, float]], target_variance: float
) -> dict[str, float] | None:
    """Fewest extra labels so that the cells' variances sum to ``target_variance``.

    Parameters
    ----------
    cells
        model_id -> (posterior_mean, posterior_sd) for the cells whose variances add up to the
        variance of the comparison.
    target_variance
        V*, the variance the sum must reach.

    Returns
    -------
    dict or None
        model_id -> additional labels (real-valued, >= 0), or None when no allocation reaches
        the target (V* <= 0).
    """
    if target_variance <= 0:
        return None
    info = {}
    for model, (mean, sd) in cells.items():
        v = min(max(mean * (1.0 - mean), 1e-6), 0.25)
        info[model] = (v, v / sd**2)
    free = dict(info)
    fixed = 0.0
    while free:
        root_sum = sum(math.sqrt(v) for v, _ in free.values())
        remaining = target_variance - fixed
        if remaining <= 0:
            return None
        total = {m: math.sqrt(v) * root_sum / remaining for m, (v, _) in free.items()}
        below = [m for m in free if total[m] < free[m][1]]
        if not below:
            out = {m: total[m] - info[m][1] for m in free}
            out.update({m: 0.0 for m in info if m not in free})
            return out
        for m in below:
            v, n = free.pop(m)
            fixed += v / n
    return None if fixed > target_variance else {m: 0.0 for m in info}


def settle_probabilities(
    gap: float, sd_now: float, sd_after: float, z_pass: float, z_fail: float
) -> tuple[float, float]:
    """P(pass), P(fail) once labels shrink the comparison's sd from ``sd_now`` to ``sd_after``.

    Judged from the current posterior Normal(gap, sd_now^2) of gap = diff + margin: the future
    posterior mean is Normal(gap, sd_now^2 - sd_after^2); the gate passes when it is at least
    ``z_pass`` future sds above 0 and fails when at least ``z_fail`` below.
    """
    spread = math.sqrt(max(sd_now**2 - sd_after**2, 0.0))
    if spread == 0.0:
        return float(gap >= z_pass * sd_after), float(-gap >= z_fail * sd_after)
    normal = NormalDist()
    return (
        normal.cdf((gap - z_pass * sd_after) / spread),
        normal.cdf((-gap - z_fail * sd_after) / spread),
    )


def _target_sd(gap: float, sd_now: float, z_pass: float, z_fail: float, assurance: float) -> float:
    """The largest sd at which the gate settles with probability >= ``assurance``."""
    low, high = 0.0, sd_now
    if sum(settle_probabilities(gap, sd_now, high, z_pass, z_fail)) >= assurance:
        return high
    for _ in range(80):  # both probabilities fall as the sd grows (module docstring)
        middle = (low + high) / 2.0
        if sum(settle_probabilities(gap, sd_now, middle, z_pass, z_fail)) >= assurance:
            low = middle
        else:
            high = middle
    return low


def plan_labels(
    gate_results: pd.DataFrame | None,
    verdicts: pd.DataFrame | None,
    comparisons: pd.DataFrame | None,
    posteriors: pd.DataFrame | None,
    policy: GatePolicy | Mapping[str, Any] | None = None,
    *,
    hdi_prob: float = 0.95,
    max_additional_labels: int = DEFAULT_MAX_ADDITIONAL_LABELS,
    judge_checks: pd.DataFrame | None = None,
    run_id: str | None = None,
    computed_at: Any = None,
) -> pd.DataFrame:
    """The rows of fct_labeling_plan (see the module docstring for the method).

    Parameters
    ----------
    gate_results
        fct_gate_results: candidate_model_id, gate_id, region, metric, status, reason.
    verdicts
        fct_migration_verdicts: candidate_model_id, incumbent_model_id, verdict.
    comparisons
        fct_model_comparisons (as for :func:`evaluate_gates`).
    posteriors
        fct_quality_posteriors: model_id, region, metric, n_traces, n_human_labeled,
        posterior_mean, posterior_sd.
    policy
        The policy the gates were evaluated with (GatePolicy or its plain dict).
    hdi_prob
        Probability mass of the HDIs in ``comparisons``.
    max_additional_labels
        Cap per cell.
    judge_checks
        The judge check's rows the gates were evaluated with
        (:func:`~llm_migration.gates.judge_consistency.judge_consistency_checks`). A region it
        held is planned on each model's rate from its labelled pairs by verdict stratum, as the
        gate reads them. Without them, on the cell's share of human positives, which is that
        rate only when the labels are a random sample of the cell.
    """
    if not isinstance(policy, GatePolicy):
        policy = GatePolicy.from_vars(policy)
    frames = check_columns(
        {
            "gate_results": (gate_results, GATE_INPUT_COLUMNS),
            "verdicts": (verdicts, ("candidate_model_id", "incumbent_model_id", "verdict")),
            "comparisons": (comparisons, COMPARISON_COLUMNS),
            "posteriors": (posteriors, POSTERIOR_COLUMNS),
        }
    )
    posteriors = latest_rows(frames["posteriors"], ("model_id", "region", "metric"))
    comparison_index = {
        (
            str(r["candidate_model_id"]),
            str(r["incumbent_model_id"]),
            str(r["region"]),
            str(r["metric"]),
        ): r
        for r in latest_rows(
            frames["comparisons"],
            ("candidate_model_id", "incumbent_model_id", "region", "metric"),
        ).to_dict("records")
    }
    cell_index = {
        (str(r["model_id"]), str(r["region"]), str(r["metric"])): r
        for r in posteriors.to_dict("records")
    }
    unsettled = frames["verdicts"][frames["verdicts"]["verdict"].astype(str) == "needs_more_labels"]
    incumbents = dict(
        zip(
            unsettled["candidate_model_id"].astype(str),
            unsettled["incumbent_model_id"],
            strict=True,
        )
    )
    results = frames["gate_results"]
    open_gates = results[
        (results["status"].astype(str) == INCONCLUSIVE)
        & results["candidate_model_id"].astype(str).isin(incumbents)
    ]
    # Without a trusted fit the comparisons' figures are not evidence to plan labels on.
    convergence = results[results["gate_id"].astype(str) == "sampler_convergence"]
    trusted_fit = set(
        convergence.loc[convergence["status"].astype(str) == "pass", "candidate_model_id"].astype(
            str
        )
    )
    planner = _Planner(policy, hdi_prob, max_additional_labels, cell_index, judge_checks)
    rows: list[dict] = []
    for gate in open_gates.to_dict("records"):
        candidate = str(gate["candidate_model_id"])
        incumbent = incumbents[candidate]
        if is_missing(incumbent):
            continue
        gate_id, region, metric = str(gate["gate_id"]), str(gate["region"]), gate["metric"]
        if gate_id in ("overall_noninferiority", "regional_regression"):
            if candidate not in trusted_fit:
                continue
            comparison = comparison_index.get((candidate, str(incumbent), region, str(metric)))
            if comparison is not None:
                if gate_id == "regional_regression" and HELD_BY_JUDGE_CHECK in str(
                    gate.get("reason")
                ):
                    rows += planner.labels_only_rows(candidate, str(incumbent), comparison)
                else:
                    rows += planner.comparison_rows(gate_id, candidate, str(incumbent), comparison)
            elif not is_missing(metric):
                rows += planner.missing_cell_rows(
                    gate_id, candidate, str(incumbent), region, str(metric)
                )
        elif gate_id == "human_label_coverage" and not is_missing(metric):
            rows += planner.coverage_rows(candidate, str(incumbent), str(metric))
    return stamp(
        rows,
        LABELING_PLAN_COLUMNS,
        run_id,
        computed_at,
        sort_by=("candidate_model_id", "gate_id", "metric", "region", "model_id"),
    )


class _Planner:
    def __init__(
        self, policy: GatePolicy, hdi_prob: float, cap: int, cells: dict, judge_checks=None
    ):
        self.policy = policy
        self.judge_checks = judge_checks
        self.z_hdi = _Z(0.5 + hdi_prob / 2.0)
        self.cap = int(cap)
        self.cells = cells

    def _row(self, candidate, model, region, metric, gate_id, cell, target_sd, need, reason):
        n_labeled = cell.get("n_human_labeled") if cell is not None else None
        current_sd = cell.get("posterior_sd") if cell is not None else None
        labels = self.cap if need is None else min(self.cap, max(1, math.ceil(need - 1e-9)))
        if need is None:
            reason += f"; no feasible number of labels settles it, listed at the cap {self.cap}"
        elif need > self.cap:
            reason += (
                f"; needs about {math.ceil(need)} labels, above the cap of {self.cap}: the "
                "effect is too close to the margin to settle by labelling"
            )
        if cell is not None and need is not None:
            unlabelled = _number(cell.get("n_traces")) - _number(n_labeled)
            if not math.isnan(unlabelled) and labels > unlabelled:
                reason += (
                    f"; only {max(int(unlabelled), 0)} unlabelled traces in the cell: collect "
                    "more traces"
                )
        return {
            "candidate_model_id": candidate,
            "model_id": model,
            "region": region,
            "metric": metric,
            "current_n_human_labeled": None if is_missing(n_labeled) else int(n_labeled),
            "current_posterior_sd": current_sd,
            "target_posterior_sd": target_sd,
            "additional_labels_needed": labels,
            "gate_id": gate_id,
            "reason": reason,
        }

    def comparison_rows(self, gate_id, candidate, incumbent, comparison) -> list[dict]:
        region, metric = str(comparison["region"]), str(comparison["metric"])
        rule = self.policy.for_metric(metric)
        mean, margin = _number(comparison["diff_mean"]), _number(comparison["margin"])
        width = _number(comparison["diff_hdi_high"]) - _number(comparison["diff_hdi_low"])
        cells = {model: self.cells.get((model, region, metric)) for model in (candidate, incumbent)}
        usable = {
            m: (_number(c["posterior_mean"]), _number(c["posterior_sd"]))
            for m, c in cells.items()
            if c is not None
        }
        if (
            math.isnan(mean)
            or math.isnan(margin)
            or len(usable) < 2
            or any(math.isnan(p) or math.isnan(s) or s <= 0 for p, s in usable.values())
        ):
            return []
        gap = mean + margin
        p_ok = _number(comparison["prob_noninferior"])
        if math.isnan(p_ok):
            p_ok = 1.0 - _number(comparison["prob_worse_beyond_margin"])
        if 0.0 < p_ok < 1.0 and _Z(p_ok) * gap > 0:
            sd_now = gap / _Z(p_ok)
        elif width > 0:
            sd_now = width / (2.0 * self.z_hdi)
        else:
            return []
        # A region cleared by pooling alone is held open by its own data: plan for the sd those
        # imply (the same mean, the own-data probability), and scale the cells' sds with it so
        # their effective sample sizes describe the region's own evidence.
        p_own = _number(comparison.get("prob_worse_own_evidence", float("nan")))
        if (
            gate_id == "regional_regression"
            and gap > 0
            and not math.isnan(p_own)
            and 1.0 - p_own < p_ok
            and 0.0 < p_own < 0.5
        ):
            sd_own = gap / _Z(1.0 - p_own)
            usable = {m: (p, s * sd_own / sd_now) for m, (p, s) in usable.items()}
            sd_now = sd_own
        p_pass = (
            rule.prob_noninferior_required
            if gate_id == "overall_noninferiority"
            else rule.prob_regional_regression_blocks
        )
        where = "overall" if region == ALL_REGIONS else f"in {region}"
        base = (
            f"{gate_id} for {metric} {where}: diff {fmt_pp(mean, signed=True)} vs margin "
            f"{fmt_pp(margin)}, comparison sd {sd_now:.4f}"
        )

        if gate_id == "regional_regression" and gap > 0 and p_own >= 0.5:
            # The pooled mean points away from a regression while the region's own data point
            # to one: no sd target from the pooled mean means anything; ask for a random
            # sample there, whose own labels decide.
            minimum = self.policy.min_human_labels_per_model
            pooled = 1.0 - p_ok
            cleared = pooled <= rule.prob_regional_regression_clears
            return self._both_cells(
                (candidate, incumbent, region, metric, gate_id),
                cells,
                minimum,
                f"{base}; {'clear only with pooling across regions' if cleared else 'not settled'} "
                f"(P(worse)={pooled:.2f} pooled) while {region}'s own data point to a "
                f"regression (P(worse)={p_own:.2f}): label a random sample of at least "
                f"{minimum} there",
            )
        z_pass, z_fail = _Z(p_pass), _Z(rule.prob_regional_regression_blocks)
        assurance = self.policy.labeling_assurance
        sd_target = _target_sd(gap, sd_now, z_pass, z_fail, assurance)
        p_pass_after, p_fail_after = settle_probabilities(gap, sd_now, sd_target, z_pass, z_fail)
        direction = "pass" if p_pass_after >= p_fail_after else "fail"
        shrink = min(sd_target / sd_now, 1.0)
        pair_variance = sum(s**2 for _, s in usable.values())
        return self._allocated_rows(
            (candidate, incumbent, region, metric, gate_id),
            cells,
            usable,
            shrink**2 * pair_variance,
            lambda role: (
                f"{base}; shrinking it to {sd_target:.4f} settles the gate with probability "
                f"{assurance:.2f} judged from the current posterior, most likely towards "
                f"{direction} (pass {p_pass_after:.2f}, fail {p_fail_after:.2f}); labels for "
                f"the {role} cell"
            ),
            posterior_target=True,
        )

    def _allocated_rows(
        self, gate, cells, usable, target_variance, reason_of, posterior_target
    ) -> list[dict]:
        """A row per cell of a comparison that needs labels, allocated where they shrink its
        variance to ``target_variance`` most cheaply (``allocate_labels``). ``gate``: candidate,
        incumbent, region, metric, gate id; ``reason_of(role)`` each row's reason; with
        ``posterior_target`` a row also gets the sd its cell's posterior should reach."""
        candidate, incumbent, region, metric, gate_id = gate
        allocation = allocate_labels(usable, target_variance)
        if allocation is not None and max(allocation.values()) <= 0:
            # Normal approximation says it is settled though the gate says not: a skewed
            # posterior. Ask for a token label rather than nothing.
            allocation[candidate] = 1.0
        rows = []
        for model in (candidate, incumbent):
            need = None if allocation is None else allocation[model]
            if need is not None and need <= 0:
                continue
            target = None
            if posterior_target and need is not None:
                mean_m, sd_m = usable[model]
                v = min(max(mean_m * (1 - mean_m), 1e-6), 0.25)
                target = math.sqrt(v / (v / sd_m**2 + need))
            role = "candidate" if model == candidate else "incumbent"
            rows.append(
                self._row(
                    candidate,
                    model,
                    region,
                    metric,
                    gate_id,
                    cells[model],
                    target,
                    need,
                    reason_of(role),
                )
            )
        return rows

    def _both_cells(self, gate, cells, need, reason) -> list[dict]:
        """A row asking for ``need`` labels in each of the two cells (a first random sample)."""
        candidate, incumbent, region, metric, gate_id = gate
        return [
            self._row(candidate, m, region, metric, gate_id, cells[m], None, need, reason)
            for m in (candidate, incumbent)
        ]

    def labels_only_rows(self, candidate, incumbent, comparison) -> list[dict]:
        """A region the judge check held: the judge errs there otherwise than in the models'
        other regions, so the region's human labels alone decide it. Planned like a comparison
        gate on the labels alone, each cell's rate as the gate reads it: with the judge check's
        rows, from its labelled pairs by verdict stratum (``labels_only_rate``); without them,
        Beta(1, 1) updated by x of n labels, mean p = (x + 1) / (n + 2) and variance
        p(1 - p) / (n + 2). The gap is their difference plus the margin."""
        region, metric = str(comparison["region"]), str(comparison["metric"])
        rule = self.policy.for_metric(metric)
        margin = _number(comparison["margin"])
        cells = {model: self.cells.get((model, region, metric)) for model in (candidate, incumbent)}
        minimum = self.policy.min_human_labels_per_model
        note = (
            f"regional_regression for {metric} in {region}: the judge errs there otherwise than "
            "in the models' other regions, so the region's human labels alone decide it"
        )
        usable = {m: self._labels_only_rate(m, region, metric, cells[m]) for m in cells}
        gate = (candidate, incumbent, region, metric, "regional_regression")
        if any(rate is None for rate in usable.values()):
            return self._both_cells(
                gate, cells, minimum, f"{note}; label a random sample of at least {minimum} there"
            )
        sign = 1.0 if rule.direction == "higher_is_better" else -1.0
        gap = sign * (usable[candidate][0] - usable[incumbent][0]) + margin
        sd_now = math.sqrt(sum(sd**2 for _, sd in usable.values()))
        z = _Z(rule.prob_regional_regression_blocks)
        assurance = self.policy.labeling_assurance
        sd_target = _target_sd(gap, sd_now, z, z, assurance)
        return self._allocated_rows(
            gate,
            cells,
            usable,
            sd_target**2,
            lambda role: (
                f"{note}: their comparison (diff {fmt_pp(gap - margin, signed=True)} vs margin "
                f"{fmt_pp(margin)}, sd {sd_now:.4f}) settles with probability {assurance:.2f} at "
                f"sd {sd_target:.4f}; a random sample of labels for the {role} cell"
            ),
            posterior_target=False,
        )

    def _labels_only_rate(self, model, region, metric, cell) -> tuple[float, float] | None:
        """(mean, sd) of the model's rate in a held region from its labels alone, or None
        without a labelled trace there."""
        if self.judge_checks is not None:
            found = labels_only_rate(self.judge_checks, model, region, metric)
            return None if found is None else found[:2]
        rate = _number((cell or {}).get("human_positive_rate", float("nan")))
        n = _number((cell or {}).get("n_human_labeled", float("nan")))
        if math.isnan(rate) or math.isnan(n) or n < 1:
            return None
        # Beta(1, 1) updated: with the share itself a cell of 0 of 40 had variance 1e-6 (the
        # clip), the comparison looked settled and one token label was asked for, while the
        # gate left it open.
        smoothed = (rate * n + 1.0) / (n + 2.0)
        return smoothed, math.sqrt(smoothed * (1 - smoothed) / (n + 2.0))

    def missing_cell_rows(self, gate_id, candidate, incumbent, region, metric) -> list[dict]:
        """A comparison gate without a comparison: a row per model with no posterior in the
        cell (nothing kept was judged or labelled there), asking for a first labelled sample
        of min_human_labels_per_model; no sd can be targeted before the cell has data."""
        rows = []
        minimum = self.policy.min_human_labels_per_model
        where = "overall" if region == ALL_REGIONS else f"in {region}"
        for model in (candidate, incumbent):
            if (model, region, metric) in self.cells:
                continue
            reason = (
                f"{gate_id} for {metric} {where} has no comparison: {model} has no kept judged "
                f"or labelled traces on {metric} {where}; judge its traces there and label a "
                f"random sample of at least {minimum} to start"
            )
            rows.append(
                self._row(candidate, model, region, metric, gate_id, None, None, minimum, reason)
            )
        return rows

    def coverage_rows(self, candidate, incumbent, metric) -> list[dict]:
        rows = []
        minimum = self.policy.min_human_labels_per_model
        for model in (candidate, incumbent):
            n = 0.0
            n_traces = 0.0
            for (m, region, k), cell in self.cells.items():
                if m == model and k == metric and region != ALL_REGIONS:
                    n += _zero(cell.get("n_human_labeled"))
                    n_traces += _zero(cell.get("n_traces"))
            if n >= minimum:
                continue
            need = minimum - n
            overall = self.cells.get((model, ALL_REGIONS, metric))
            target = None
            if overall is not None:
                p, s = _number(overall["posterior_mean"]), _number(overall["posterior_sd"])
                if not (math.isnan(p) or math.isnan(s)) and s > 0:
                    v = min(max(p * (1 - p), 1e-6), 0.25)
                    target = math.sqrt(v / (v / s**2 + need))
            cell = {
                "n_human_labeled": n,
                "n_traces": n_traces,
                "posterior_sd": None if overall is None else overall["posterior_sd"],
            }
            reason = (
                f"{model} has {int(n)} human labels on {metric}, fewer than the "
                f"{minimum} required; label a random sample spread over regions by traffic"
            )
            rows.append(
                self._row(
                    candidate,
                    model,
                    ALL_REGIONS,
                    metric,
                    "human_label_coverage",
                    cell,
                    target,
                    need,
                    reason,
                )
            )
        return rows


def _number(value: Any) -> float:
    if is_missing(value):
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _zero(value: Any) -> float:
    number = _number(value)
    return 0.0 if math.isnan(number) else number
