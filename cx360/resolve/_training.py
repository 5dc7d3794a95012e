"""Training the matching model: Splink's EM, then u counted from a first clustering.

Splink estimates u (how often two different people agree) from random pairs, which on
omnichannel data hold true matches about as often as different people share a strong
identifier: an e-mail, a phone or a national ID would look far weaker than it is. A
first, conservative clustering (the guards on, a high link weight) tells which records
are surely one person; u for exact identifier levels is counted over pairs in different
clusters.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from cx360.resolve._cluster import cluster
from cx360.resolve._guards import GuardLimits
from cx360.resolve._splink import SplinkRun, SplinkSession, predict_edges, refine_u, train_model

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
    `unique_id`; `rows`: the same records by position, for the guards)."""
    model = train_model(session, run)
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
    if run is not None:
        run.seconds["train"] = run.seconds.get("train", 0.0) + time.perf_counter() - started
    return refined
