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

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from cx360.resolve._cluster import cluster
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
        return _with_defaults(run, _too_few(session.num_rows))
    noted = len(run.notes)
    try:
        model = train_model(session, run)
    except UntrainableStoreError as error:
        del run.notes[noted:]
        return _with_defaults(run, str(error))
    if not has_trained_m(model):
        del run.notes[noted:]  # about a prior and sessions the default model replaces
        return _with_defaults(run, "no training session found pairs to learn from")
    started = time.perf_counter()
    edges = predict_edges(session, model, min_match_weight=FIRST_PASS_MATCH_WEIGHT)
    ids = features.column("unique_id").to_numpy()
    first = cluster(
        rows,
        np.searchsorted(ids, edges.column("unique_id_l").to_numpy()).tolist(),
        np.searchsorted(ids, edges.column("unique_id_r").to_numpy()).tolist(),
        edges.column("match_weight").to_pylist(),
        limits=limits,
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


def _with_defaults(run: SplinkRun, reason: str) -> dict[str, Any]:
    """The model of default parameters, with the note saying why."""
    run.default_parameters = True
    run.notes.append(
        f"{reason}: resolved with default match parameters (a name and one more detail "
        "that agrees link; a name alone does not); a later resolve trains a model once "
        "the store allows it"
    )
    return default_model()
