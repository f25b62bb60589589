"""Posterior draws of the judge-calibration model, fitted on the counts (never on traces).

Thin: the model lives in llm_migration.calibration. When this table already holds draws for the
current run_id (same counts and settings), they are reused and the sampler does not run.
"""

import numpy as np

from llm_migration.calibration import CalibrationConfig, fit_calibration_model, posterior_draws_long
from llm_migration.dbt_support import config_literal, reuse_or_compute


def model(dbt, session):
    dbt.config(materialized="table")
    draws = dbt.config.get("draws")
    tune = dbt.config.get("tune")
    chains = dbt.config.get("chains")
    target_accept = dbt.config.get("target_accept")
    retry_target_accept = config_literal(dbt.config.get("retry_target_accept"), None)
    random_seed = dbt.config.get("random_seed")
    sampler = dbt.config.get("sampler")
    priors = dbt.config.get("priors")
    reuse = dbt.config.get("reuse")

    def compute(run_id):
        config = CalibrationConfig(
            draws=int(config_literal(draws, 500)),
            tune=int(config_literal(tune, 500)),
            chains=int(config_literal(chains, 4)),
            target_accept=float(config_literal(target_accept, 0.9)),
            # none or false: a fit with divergences is kept as it is (and marked untrusted)
            retry_target_accept=(
                None if retry_target_accept in (None, False) else float(retry_target_accept)
            ),
            random_seed=int(config_literal(random_seed, 20261122)),
            sampler=str(config_literal(sampler, "pymc")),
            **(config_literal(priors, {}) or {}),
        )
        counts = dbt.ref("int_judgement_counts_aggregated").df()
        if counts.empty:
            # Say where the rows went rather than fail inside the fit on an empty table.
            kept = []
            checked = {  # dbt.ref takes literals only
                "int_traces_checked": dbt.ref("int_traces_checked"),
                "int_judgements_checked": dbt.ref("int_judgements_checked"),
            }
            for name, relation in checked.items():
                n, rejected, common = relation.aggregate(
                    "count(*), count(rejection_reason), mode(rejection_reason)"
                ).fetchone()
                reason = f", most often: {common}" if common else ""
                kept.append(f"{name}: {n - rejected:,} of {n:,} rows kept{reason}")
            raise ValueError(
                "no judge verdict of an evaluated model was kept, so there is nothing to fit ("
                + "; ".join(kept)
                + "). rejected_input_rows lists every rejected row with its reason."
            )
        models = dbt.ref("int_evaluated_models").df()
        judges = dbt.ref("int_primary_judges").df()
        primary = dict(zip(judges["metric"], judges["judge_id"], strict=True))
        fit = fit_calibration_model(counts, models, config, primary_judge=primary)
        retried = (
            f", resampled at target_accept {fit.target_accept} after "
            f"{fit.first_fit_divergences} divergences"
            if fit.target_accept != config.target_accept
            else ""
        )
        print(
            f"int_posterior_draws: {config.sampler} fit of {len(counts)} count rows, "
            f"{config.chains} chains x {config.draws} draws, {fit.fit_seconds:.1f} s{retried}"
        )
        for (model_id, metric), ess in sorted(fit.unlabelled_quality.items()):
            print(
                f"int_posterior_draws: {model_id} has no human labels on {metric}: drawn by "
                f"importance resampling, median {float(np.median(ess)):.0f} effective of "
                f"{config.unlabelled_proposals} proposals per draw"
            )
        return posterior_draws_long(fit, run_id)

    fingerprint = dbt.ref("int_run_fingerprint")
    return reuse_or_compute(session, dbt.this, fingerprint, reuse, compute, dbt.config)
