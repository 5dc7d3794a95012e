"""Training the matching model: Splink's EM, then u counted from a first clustering.

Splink estimates u (how often two different people agree) from random pairs, which on
omnichannel data hold true matches about as often as different people share a strong
identifier: an e-mail, a phone or a national ID would look far weaker than it is. A
first, conservative clustering (the guards on, a high link weight) tells which records
are surely one person; u for exact identifier levels is counted over pairs in different
clusters.

A store too small to learn from (fewer than `MIN_TRAINING_RECORDS` records), or one where
no EM session could estimate anything (records that share nothing, or all alike), gets a
model of default parameters instead, and the run's notes say so: it is resolved, and a
later run trains once the store allows it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa

from cx360.resolve._cluster import cluster
from cx360.resolve._features import comparisons_for
from cx360.resolve._guards import GuardLimits
from cx360.resolve._splink import (
    MIN_TRAINING_RECORDS,
    SplinkRun,
    SplinkSession,
    UntrainableStoreError,
    default_model,
    has_trained_m,
    predict_edges,
    refine_u,
    train_model,
)

# The first clustering links only pairs this strong (log2 odds; probability ≈ 0.985).
FIRST_PASS_MATCH_WEIGHT = 6.0
# A birth date that differs outright keeps two groups apart (the birth-date guard) only
# where the trained model finds it this many times likelier between two people than
# between one person's records, in log2: see `guard_limits`.
MIN_DATE_CONFLICT_EVIDENCE = 2.0


def guard_limits(limits: GuardLimits, model: Mapping[str, Any] | None) -> GuardLimits:
    """The guard limits a store's resolution uses: `limits`, with the birth-date guard
    off where the model shows the store's birth dates unfit for a veto.

    The guard treats two clearly different birth dates as proof of two people. That holds
    where one person's records agree on their date but for a typo; where they often hold
    unrelated dates (guessed, defaulted, typed from another field), the model's m for the
    comparison's last level says so, and the veto would keep one person's records apart
    on noise: the model then weighs the dates like any other evidence.
    """
    if model is None or not limits.check_birth_dates:
        return limits
    evidence = _conflict_evidence(model, "birth_date")
    if evidence is None or evidence >= MIN_DATE_CONFLICT_EVIDENCE:
        return limits
    return replace(limits, check_birth_dates=False)


def _conflict_evidence(model: Mapping[str, Any], comparison: str) -> float | None:
    """log2(u / m) of a comparison's last level ('else'): how much likelier a clear
    disagreement is between two people than within one; None where it was not trained."""
    for entry in model.get("comparisons") or []:
        if entry.get("output_column_name") != comparison:
            continue
        last = entry["comparison_levels"][-1]
        m, u = last.get("m_probability"), last.get("u_probability")
        if isinstance(m, float) and isinstance(u, float) and m > 0.0 and u > 0.0:
            return math.log2(u / m)
    return None


def train(
    session: SplinkSession,
    features: pa.Table,
    rows: Sequence[dict[str, Any]],
    *,
    limits: GuardLimits,
    run: SplinkRun | None = None,
) -> dict[str, Any]:
    """Train a model on the session's records (`features`: their table, ordered by
    `unique_id`; `rows`: the same records by position, for the guards); default
    parameters where the records cannot train one, said in `run.notes`."""
    run = run if run is not None else SplinkRun()
    if session.num_rows < MIN_TRAINING_RECORDS:
        return _with_defaults(run, _too_few(session.num_rows), session)
    noted = len(run.notes)
    try:
        model = train_model(session, run)
    except UntrainableStoreError as error:
        del run.notes[noted:]
        return _with_defaults(run, str(error), session)
    if not has_trained_m(model):
        del run.notes[noted:]  # about a prior and sessions the default model replaces
        return _with_defaults(run, "no training session found pairs to learn from", session)
    started = time.perf_counter()
    edges = predict_edges(session, model, min_match_weight=FIRST_PASS_MATCH_WEIGHT)
    ids = features.column("unique_id").to_numpy()
    first = cluster(
        rows,
        np.searchsorted(ids, edges.column("unique_id_l").to_numpy()).tolist(),
        np.searchsorted(ids, edges.column("unique_id_r").to_numpy()).tolist(),
        edges.column("match_weight").to_pylist(),
        limits=guard_limits(limits, model),
    )
    clusters = pa.table({"unique_id": ids, "cluster": pa.array(first.labels, pa.int64())})
    refined = refine_u(session, model, clusters)
    run.seconds["train"] = run.seconds.get("train", 0.0) + time.perf_counter() - started
    return refined


def _too_few(num_rows: int) -> str:
    if num_rows == 0:
        return "the store holds no records"
    held = "1 record" if num_rows == 1 else f"{num_rows} records"
    return f"the store holds {held}, fewer than the {MIN_TRAINING_RECORDS} a model is trained on"


def _with_defaults(run: SplinkRun, reason: str, session: SplinkSession) -> dict[str, Any]:
    """The model of default parameters, with the note saying why."""
    run.default_parameters = True
    run.notes.append(
        f"{reason}: resolved with default match parameters (a name and one more detail "
        "that agrees link; a name alone does not); a later resolve trains a model once "
        "the store allows it"
    )
    return default_model(comparisons_for(session.declared, session.compared))
