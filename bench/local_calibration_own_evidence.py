"""Alternative remedy, on saved fits: a region's own evidence read with its own judge error.

``prob_worse_own_evidence`` draws each cell's rate from the cell's counts with the fit's judge
error rates, shared across regions. Here the judge error of the cell is drawn from the cell's own
labelled pairs instead (Se ~ Beta(1 + TP, 1 + FN), Sp ~ Beta(1 + TN, 1 + FP)), and the rate from
the cell's likelihood given them, so a judge lenient in one region only cannot clear it. A
regional gate that passes today would be held when this probability exceeds 0.2.

Reads the fits saved by ``bench/regional_judge_bias.py`` (bench/out/regional_judge_bias/*.pkl).
"""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path

import numpy as np

from llm_migration.calibration import cell_evidence
from llm_migration.gates.judge_consistency import judge_consistency_checks
from llm_migration.posteriors import _sample_own_rate

OUT = Path(__file__).parent / "out" / "regional_judge_bias"
SIGN = {"correctness": 1.0, "refusal": -1.0, "style": 1.0}
MARGIN, CLEARS, N = 0.02, 0.2, 4000


def local_theta(counts, seed=1):
    evidence = cell_evidence(counts).set_index(["model_id", "region", "metric"])
    checks = judge_consistency_checks(counts).set_index(["model_id", "region", "metric"])
    rng = np.random.default_rng(seed)
    out = {}
    for key, row in evidence.iterrows():
        c = checks.loc[key]
        tp = c.n_human_positive - c.n_false_negative
        tn = c.n_human_negative - c.n_false_positive
        se = rng.beta(1 + tp, 1 + c.n_false_negative, N)
        sp = rng.beta(1 + tn, 1 + c.n_false_positive, N)
        ok = se + sp > 1  # a judge better than chance, as the fit assumes
        se, sp = np.where(ok, se, 0.999), np.where(ok, sp, 0.999)
        out[key] = _sample_own_rate(row, se, sp, rng, 256)
    return out


def main(paths) -> None:
    for path in paths:
        saved = pickle.load(open(path, "rb"))  # noqa: SIM115
        theta = local_theta(saved["counts"])
        comp = saved["comparisons"]
        comp = comp[(comp.candidate_model_id == "cand-steady") & (comp.region != "ALL")]
        held, passing, planted = [], 0, None
        for row in comp.itertuples():
            diff = SIGN[row.metric] * (
                theta[("cand-steady", row.region, row.metric)]
                - theta[("incumbent-v1", row.region, row.metric)]
            )
            p_local = float((diff < -MARGIN).mean())
            passes = (
                row.prob_worse_beyond_margin <= CLEARS and row.prob_worse_own_evidence <= CLEARS
            )
            passing += bool(passes)
            if passes and p_local > CLEARS:
                held.append(f"{row.region}:{row.metric}:{p_local:.2f}")
            if (row.region, row.metric) == ("eu-west", "correctness"):
                planted = {
                    "pooled": round(row.prob_worse_beyond_margin, 3),
                    "own_shared_judge": round(row.prob_worse_own_evidence, 3),
                    "own_local_judge": round(p_local, 3),
                    "local_diff_mean": round(float(diff.mean()), 4),
                }
        print(
            json.dumps(
                {
                    "fit": Path(path).stem,
                    "eu_west_correctness": planted,
                    "regional_passes_today": passing,
                    "held_by_local_rule": held,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(str(p) for p in OUT.glob("*.pkl")))
