"""False-alarm rate and power of the per-region judge consistency check, without any fit.

Only the human-labelled pairs and the primary judge's verdict counts enter the check, so it is
simulated directly at demo size: per model 300 labels (the incumbent's 2,400 traces spread by
production traffic, each candidate's 300 per region), true rates from the demo, judge error from
the demo models. Two labelling designs: a uniform random subset of each model's traces, and
labels drawn within each verdict of the judge (half of each model's labels among its
judge-positives, half among its judge-negatives, spread over regions as the random design
spreads them), which the check must read as well. Under the correct model (judge error shared
across regions) every flag is a false alarm; with the judge's specificity for cand-steady x
eu-west x correctness lowered, the flag on that regional gate is the power.

    PYTHONPATH=python .venv/bin/python bench/judge_consistency_power.py --reps 500
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from llm_migration import demo
from llm_migration.gates.judge_consistency import group_pvalues

CANDIDATE, REGION, METRIC = "cand-steady", "eu-west", "correctness"
DIRECTION = {"correctness": 1, "refusal": -1, "style": 1}


def _setup():
    models = [m for m in demo.DEMO_MODELS if m.role in ("incumbent", "candidate")]
    regions = list(demo.REGION_TRAFFIC)
    theta = np.array(
        [[[demo.true_rate(m, r, k) for k in demo.METRICS] for r in regions] for m in models]
    )
    se = np.array([[m.judge_sensitivity[k] for k in demo.METRICS] for m in models])
    sp = np.array([[m.judge_specificity[k] for k in demo.METRICS] for m in models])
    se = np.broadcast_to(se[:, None, :], theta.shape).copy()
    sp = np.broadcast_to(sp[:, None, :], theta.shape).copy()
    return models, regions, theta, se, sp


def simulate_cells(theta, se, sp, labels, by_verdict, rng, incumbent_traces=2400, per_region=300):
    """One label set: per model x region x metric (tp, fp, fn, tn, n_judged, n_judged_positive).

    Each model's labels are spread over its regions as a random subset of its traces would be;
    with ``by_verdict`` a region's labels are then split evenly between the judge's two verdicts
    (as far as each has verdicts), otherwise drawn at random from the region's traces.
    """
    n_model, n_region, n_metric = theta.shape
    traffic = np.array(list(demo.REGION_TRAFFIC.values()))
    traces = np.empty((n_model, n_region), dtype=np.int64)
    traces[0] = rng.multinomial(incumbent_traces, traffic)
    traces[1:] = per_region
    n_lab = np.stack([rng.multivariate_hypergeometric(t, labels) for t in traces])
    out = np.zeros((n_model, n_region, n_metric, 6), dtype=np.int64)
    for m in range(n_model):
        for r in range(n_region):
            for k in range(n_metric):
                positive = rng.binomial(traces[m, r], theta[m, r, k])
                tp = rng.binomial(positive, se[m, r, k])
                fp = rng.binomial(traces[m, r] - positive, 1 - sp[m, r, k])
                kinds = [tp, fp, positive - tp, traces[m, r] - positive - fp]
                if by_verdict:
                    want = n_lab[m, r] // 2
                    pos = min(tp + fp, want + max(0, want - sum(kinds[2:])))
                    neg = min(sum(kinds[2:]), n_lab[m, r] - pos)
                    chosen = np.r_[
                        rng.multivariate_hypergeometric(kinds[:2], pos),
                        rng.multivariate_hypergeometric(kinds[2:], neg),
                    ]
                else:
                    chosen = rng.multivariate_hypergeometric(kinds, n_lab[m, r])
                out[m, r, k] = [*chosen, traces[m, r], tp + fp]
    return out


def pvalues(cells):
    """(p_more_positive, p_fewer_positive) per model x region x metric."""
    n_model, n_region, n_metric, _ = cells.shape
    more, fewer = np.ones((2, n_model, n_region, n_metric))
    for m in range(n_model):
        for k in range(n_metric):
            found = group_pvalues(tuple(cells[m, :, k, i] for i in range(6)))
            more[m, :, k], fewer[m, :, k] = found[:, 0], found[:, 1]
    return more, fewer


def gate_flags(more, fewer, alpha):
    """Flags per (candidate, region, metric): the side that would hide a regression."""
    direction = np.array([DIRECTION[k] for k in demo.METRICS])
    favour = np.where(direction > 0, more, fewer)  # the candidate's cell judged too favourably
    disfavour = np.where(direction > 0, fewer, more)  # the incumbent's cell too unfavourably
    return (favour[1:] < alpha) | (disfavour[:1] < alpha)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    models, regions, theta, se, sp = _setup()
    c = [m.model_id for m in models].index(CANDIDATE)
    r, k = regions.index(REGION), list(demo.METRICS).index(METRIC)
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()

    for by_verdict in (False, True):
        design = "within each verdict" if by_verdict else "at random from the traces"
        print(f"## Labels drawn {design}")
        print("# Under the correct model (the demo's truth, judge error shared across regions)")
        for labels in (300, 1000):
            flags = {0.05: [], 0.01: []}
            for _ in range(args.reps):
                more, fewer = pvalues(simulate_cells(theta, se, sp, labels, by_verdict, rng))
                for alpha in flags:
                    flags[alpha].append(gate_flags(more, fewer, alpha))
            for alpha, found in flags.items():
                found = np.stack(found)
                print(
                    f"labels/model {labels:5d} alpha {alpha:.2f}: per regional gate "
                    f"{100 * found.mean():.2f}%; per candidate (any of 18 gates) "
                    f"{100 * found.any(axis=(2, 3)).mean():.1f}%; planted cell's gate "
                    f"{100 * found[:, c - 1, r, k].mean():.2f}%"
                )
        print("# Power: cand-steady x eu-west x correctness 4 points below the incumbent,")
        print("# the judge's specificity there lowered to sp_r (0.84 elsewhere)")
        planted = theta.copy()
        planted[c, r, k] = theta[0, r, k] - 0.04
        usual = theta[c, r, k]
        s, f = se[c, r, k], sp[c, r, k]
        hide = 1 - ((usual * s + (1 - usual) * (1 - f)) - planted[c, r, k] * s) / (
            1 - planted[c, r, k]
        )
        for sp_r in (hide, 0.72):
            biased = sp.copy()
            biased[c, r, k] = sp_r
            line = []
            for labels in (300, 1000):
                hits = {0.05: 0, 0.01: 0}
                for _ in range(args.reps):
                    cells = simulate_cells(planted, se, biased, labels, by_verdict, rng)
                    more = group_pvalues(tuple(cells[c, :, k, i] for i in range(6)))[:, 0]
                    for alpha in hits:
                        hits[alpha] += more[r] < alpha
                line += [f"{labels}/{a:g}: {100 * h / args.reps:.1f}%" for a, h in hits.items()]
            print(f"sp_r {sp_r:.3f}: " + "; ".join(line))
        print()
    print(f"({args.reps} label sets each, {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
