"""False-alarm rate and power of the per-region judge consistency check, without any fit.

Only the human-labelled pairs enter the check, so it is simulated directly at demo size: per
model 300 labels, a uniform random subset of its traces (the incumbent's 2,400 traces spread by
production traffic, each candidate's 300 per region), true rates from the demo, judge error from
the demo models. Under the correct model (judge error shared across regions) every flag is a
false alarm; with the judge's specificity for cand-steady x eu-west x correctness lowered, the
flag on that regional gate is the power.

    PYTHONPATH=python .venv/bin/python bench/judge_consistency_power.py --reps 20000
"""

from __future__ import annotations

import argparse

import numpy as np

from llm_migration import demo
from llm_migration.gates.judge_consistency import consistency_pvalues

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


def simulate_pairs(theta, se, sp, reps, labels, rng, incumbent_traces=2400, per_region=300):
    """Labelled pair counts (reps x model x region x metric): n_pos, fn, n_neg, fp."""
    n_model, n_region, _ = theta.shape
    traffic = np.array(list(demo.REGION_TRAFFIC.values()))
    n_lab = np.zeros((reps, n_model, n_region), dtype=np.int64)
    for i in range(reps):
        traces = rng.multinomial(incumbent_traces, traffic)
        n_lab[i, 0] = rng.multivariate_hypergeometric(traces, labels)
        for m in range(1, n_model):
            n_lab[i, m] = rng.multivariate_hypergeometric([per_region] * n_region, labels)
    n_lab = np.broadcast_to(n_lab[..., None], (reps, *theta.shape))
    n_pos = rng.binomial(n_lab, theta)
    n_neg = n_lab - n_pos
    fn = rng.binomial(n_pos, 1 - se)
    fp = rng.binomial(n_neg, 1 - sp)
    return n_pos, fn, n_neg, fp


def pvalues(n_pos, fn, n_neg, fp):
    def rest(x):
        return x.sum(axis=2, keepdims=True) - x

    return consistency_pvalues(fp, n_neg, rest(fp), rest(n_neg), fn, n_pos, rest(fn), rest(n_pos))


def gate_flags(more, fewer, alpha):
    """Flags per (rep, candidate, region, metric): the side that would hide a regression."""
    direction = np.array([DIRECTION[k] for k in demo.METRICS])
    favour = np.where(direction > 0, more, fewer)  # the candidate's cell judged too favourably
    disfavour = np.where(direction > 0, fewer, more)  # the incumbent's cell too unfavourably
    return (favour[:, 1:] < alpha) | (disfavour[:, :1] < alpha)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    models, regions, theta, se, sp = _setup()
    c = [m.model_id for m in models].index(CANDIDATE)
    r, k = regions.index(REGION), list(demo.METRICS).index(METRIC)
    rng = np.random.default_rng(args.seed)

    print("## Under the correct model (the demo's truth, judge error shared across regions)")
    for labels in (300, 600, 1000):
        pairs = simulate_pairs(theta, se, sp, args.reps, labels, rng)
        more, fewer = pvalues(*pairs)
        for alpha in (0.05, 0.01):
            flags = gate_flags(more, fewer, alpha)
            per_metric = {
                name: f"{100 * flags[..., i].mean():.2f}%" for i, name in enumerate(demo.METRICS)
            }
            print(
                f"labels/model {labels:5d} alpha {alpha:.2f}: per regional gate "
                f"{100 * flags.mean():.2f}% {per_metric}; per candidate (any of 18 gates) "
                f"{100 * flags.any(axis=(2, 3)).mean():.1f}%; planted cell's gate "
                f"{100 * flags[:, c - 1, r, k].mean():.2f}%"
            )

    print("\n## Power: cand-steady x eu-west x correctness true rate = incumbent's - 4 points,")
    print("## the judge's specificity there lowered to sp_r (0.84 elsewhere)")
    planted = theta.copy()
    planted[c, r, k] = theta[0, r, k] - 0.04
    usual = theta[c, r, k]
    s, f = se[c, r, k], sp[c, r, k]
    hide = 1 - ((usual * s + (1 - usual) * (1 - f)) - planted[c, r, k] * s) / (1 - planted[c, r, k])
    for sp_r in (hide, 0.65, 0.72, 0.78):
        biased = sp.copy()
        biased[c, r, k] = sp_r
        q = planted[c, r, k] * s + (1 - planted[c, r, k]) * (1 - sp_r)
        apparent = (q - (1 - f)) / (s + f - 1)  # the rate the shared error rates read off q
        line = []
        for labels in (300, 600, 1000):
            pairs = simulate_pairs(planted, se, biased, args.reps, labels, rng)
            more, fewer = pvalues(*pairs)
            for alpha in (0.05, 0.01):
                flags = gate_flags(more, fewer, alpha)
                line.append(f"{labels}/{alpha:g}: {100 * flags[:, c - 1, r, k].mean():.1f}%")
        print(
            f"sp_r {sp_r:.3f} (judge-positive rate {q:.3f}; read as true rate {apparent:.3f}, "
            f"apparent diff {100 * (apparent - theta[0, r, k]):+.1f} pp): " + "; ".join(line)
        )


if __name__ == "__main__":
    main()
