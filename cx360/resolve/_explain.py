"""Explanations: why two records score what they do, and why a record is in its customer.

A pair is explained by the stored model's waterfall (`Scorer.score`) on the records as
stored now, and by the guards' verdict on the two. A record is explained by the links
the latest resolution kept within its customer: a breadth-first walk over them gives the
shortest chain of links to every other record of the customer.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from typing import Any

from sqlalchemy import Connection, select

from cx360._errors import ResolutionError
from cx360.models import (
    ComparisonContribution,
    LinkHop,
    PairExplanation,
    RecordExplanation,
    RecordPath,
    RecordRef,
)
from cx360.models._explain import GuardReason
from cx360.resolve._batch import _latest_model
from cx360.resolve._evidence import LinkRule, identifiers_agree
from cx360.resolve._features import email_user
from cx360.resolve._guards import GuardLimits, Profile, conflict
from cx360.resolve._incremental import GUARD_COLUMNS, ROW_SQL
from cx360.resolve._overrides import RecordLike, as_ref, record_row
from cx360.resolve._scoring import Scorer, TermFrequencies
from cx360.resolve._training import guard_limits
from cx360.store import Store
from cx360.store._schema import record_customers, record_links, records


def _read_record(conn: Connection, ref: RecordRef) -> dict[str, Any]:
    row = record_row(conn, ref, records.c.id, *ROW_SQL)
    record = dict(row._mapping)
    return {**record, "email_user": email_user(record)}


def _customer_of(conn: Connection, record_id: int) -> str | None:
    found = conn.execute(
        select(record_customers.c.customer_id).where(record_customers.c.record_id == record_id)
    ).scalar()
    return None if found is None else str(found)


def explain_pair(
    store: Store,
    a: RecordLike,
    b: RecordLike,
    *,
    rule: LinkRule | None = None,
    limits: GuardLimits | None = None,
) -> PairExplanation:
    """Score two stored records with the latest model, comparison by comparison."""
    left_ref, right_ref = as_ref(a), as_ref(b)
    with store.connection() as conn:
        left, right = _read_record(conn, left_ref), _read_record(conn, right_ref)
        stored = _latest_model(conn)
        if stored is None:
            raise ResolutionError("no matching model yet: run resolve first")
        model_id, model = stored
        scorer = Scorer(model)
        # only the two records' values are needed, not every value's frequency; those
        # frozen with the model are what batch runs scored with (older models: the data's)
        wanted = {c: (left.get(c), right.get(c)) for c in scorer.tf_columns}
        scorer.term_frequencies = TermFrequencies.from_model(
            conn, model_id, wanted
        ) or TermFrequencies.from_store(conn, scorer.tf_columns, values=wanted)
        left_customer, right_customer = (_customer_of(conn, r["id"]) for r in (left, right))
        # the guards as the store's model has them, as batch runs and real time do
        limits = guard_limits(limits or GuardLimits(), model)
        customer_conflict = None
        if left_customer and right_customer and left_customer != right_customer:
            customer_conflict = conflict(
                _customer_profile(conn, left_customer),
                _customer_profile(conn, right_customer),
                limits,
            )
    return pair_explanation(
        scorer,
        model_id,
        (left_ref, left, left_customer),
        (right_ref, right, right_customer),
        rule=rule or LinkRule(),
        limits=limits,
        customer_conflict=customer_conflict,
    )


def _customer_profile(conn: Connection, customer_id: str) -> Profile:
    """What the guards see of a customer: every record it holds."""
    rows = conn.execute(
        select(*(records.c[c] for c in GUARD_COLUMNS))
        .join(record_customers, record_customers.c.record_id == records.c.id)
        .where(record_customers.c.customer_id == customer_id)
    )
    return Profile.of_records(dict(row._mapping) for row in rows)


def pair_explanation(
    scorer: Scorer,
    model_id: int,
    left_side: tuple[RecordRef, dict[str, Any], str | None],
    right_side: tuple[RecordRef, dict[str, Any], str | None],
    *,
    rule: LinkRule,
    limits: GuardLimits,
    customer_conflict: GuardReason | None = None,
) -> PairExplanation:
    """A pair's waterfall; each side is (its key, its features, its customer or None);
    `customer_conflict`: the guards' reason between the two customers, when known."""
    left_ref, left, left_customer = left_side
    right_ref, right, right_customer = right_side
    score = scorer.score(left, right)
    identified = identifiers_agree(left, right)
    threshold = rule.match_weight if identified else rule.name_only_match_weight
    contributions = [
        ComparisonContribution(
            comparison=part.name,
            level=part.level.label,
            gamma=part.level.gamma,
            m_probability=part.level.m,
            u_probability=part.level.u,
            bayes_factor=math.pow(2.0, part.level.log2_bayes_factor),
            log2_bayes_factor=part.level.log2_bayes_factor,
            tf_adjustment=part.tf_adjustment,
            match_weight=part.match_weight,
            values_left={c: left.get(c) for c in columns},
            values_right={c: right.get(c) for c in columns},
        )
        for part, columns in zip(score.comparisons, scorer.columns, strict=True)
    ]
    return PairExplanation(
        left=left_ref,
        right=right_ref,
        model_id=model_id,
        prior_match_weight=score.prior_match_weight,
        comparisons=contributions,
        match_weight=score.match_weight,
        match_probability=score.match_probability,
        threshold=threshold,
        identifier_backed=identified,
        above_threshold=score.match_weight >= threshold,
        guard_conflict=conflict(Profile.of(left), Profile.of(right), limits),
        left_customer_id=left_customer,
        right_customer_id=right_customer,
        same_customer=left_customer is not None and left_customer == right_customer,
        customer_conflict=customer_conflict,
    )


def explain_record(store: Store, key: RecordLike) -> RecordExplanation:
    """The chain of stored links from a record to each other record of its customer."""
    ref = as_ref(key)
    with store.connection() as conn:
        start = int(_read_record(conn, ref)["id"])
        customer_id = _customer_of(conn, start)
        if customer_id is None:
            if _latest_model(conn) is None:
                raise ResolutionError("nothing resolved yet: run resolve first")
            return RecordExplanation(record=ref)  # ingested since the last resolution
        members = {
            int(row.id): RecordRef(source=row.source, source_record_id=row.source_record_id)
            for row in conn.execute(
                select(records.c.id, records.c.source, records.c.source_record_id)
                .join(record_customers, record_customers.c.record_id == records.c.id)
                .where(record_customers.c.customer_id == customer_id)
            )
        }
        # links whose two ends are both in this customer (the join keeps it one query)
        lhs, rhs = record_customers.alias("lhs"), record_customers.alias("rhs")
        link = record_links.c
        links = conn.execute(
            select(link.record_id_l, link.record_id_r, link.match_weight, link.kind)
            .join(lhs, lhs.c.record_id == link.record_id_l)
            .join(rhs, rhs.c.record_id == link.record_id_r)
            .where(lhs.c.customer_id == customer_id, rhs.c.customer_id == customer_id)
            .order_by(link.id)
        ).all()
    neighbours: dict[int, list[tuple[int, float | None, str]]] = defaultdict(list)
    for left, right, weight, kind in links:
        neighbours[left].append((right, weight, kind))
        neighbours[right].append((left, weight, kind))
    # breadth first: each record is reached by its shortest chain of links
    hops: dict[int, list[LinkHop]] = {start: []}
    paths: list[RecordPath] = []
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for other, weight, kind in neighbours[node]:
            if other not in hops:
                hop = LinkHop(
                    left=members[node], right=members[other], match_weight=weight, kind=kind
                )
                hops[other] = [*hops[node], hop]
                paths.append(RecordPath(record=members[other], hops=hops[other]))
                queue.append(other)
    unreachable = [ref_ for rid, ref_ in sorted(members.items()) if rid not in hops]
    return RecordExplanation(
        record=ref, customer_id=customer_id, paths=paths, unreachable=unreachable
    )
