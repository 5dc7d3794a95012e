"""One record's real-time decision, inside the call's transaction: score its candidates,
rebuild their customers' groups from what is stored, join the customers the group engine
allows (`_groups.Groups`, as batch clustering does), write the assignment and the pairs.

A candidate customer's group is rebuilt from its records and the links that joined them
(`record_links`), read with them in one statement: replayed through the engine, they give
back the facets and waived guards batch kept for a customer joined across a guard, so a
record that fits one side of such a customer joins it, as the next batch run would have.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Connection, String, bindparam, or_, select

from cx360.ingest._single import RecordWrite
from cx360.models import Match, MatchAlternative, RecordRef
from cx360.models._explain import GuardReason
from cx360.models._realtime import MatchStatus
from cx360.resolve._evidence import contacts_agree, identifiers_agree
from cx360.resolve._explain import pair_explanation
from cx360.resolve._features import email_user
from cx360.resolve._groups import Groups, PairsByRecord, StoredLink
from cx360.resolve._guards import GuardLimits
from cx360.resolve._ids import new_customer_id, survivor
from cx360.resolve._incremental import GUARD_COLUMNS as _GUARD_COLUMNS
from cx360.resolve._incremental import ROW_COLUMNS
from cx360.resolve._scoring import TermFrequencies, match_probability
from cx360.resolve.realtime._candidates import (
    _query_params,
    candidate_reads,
    others_candidates,
)
from cx360.resolve.realtime._state import _ModelState
from cx360.store._customers import (
    Appends,
    alias_customers,
    create_customer,
    forget_record_pairs,
    merge_customer,
    reassign_record,
)
from cx360.store._dialects import Strategy
from cx360.store._schema import (
    overrides,
    record_customers,
    record_links,
    records,
)

_R = records.c
_L = record_links.c
_P = bindparam


def _members_and_links(strategy: type[Strategy]) -> Any:
    """Every record (but this one) of some customers, by customer, each with the stored
    links it is the left end of (one row per link; None's when it has none): the links
    come with the records at the cost of a join on an index, not of a statement."""
    of_customers = strategy.in_list(record_customers.c.customer_id, "customers", String)
    return (
        select(
            record_customers.c.customer_id,
            _R.id,
            *(_R[c] for c in _GUARD_COLUMNS),
            _L.record_id_r,
            _L.match_weight,
            _L.kind,
            _L.run_id,
            _L.id.label("link_id"),
        )
        .select_from(
            record_customers.join(records, _R.id == record_customers.c.record_id).outerjoin(
                record_links, _L.record_id_l == _R.id
            )
        )
        .where(of_customers, record_customers.c.record_id != _P("record_id"))
    )


_OTHER_MEMBER = (
    select(record_customers.c.record_id)
    .where(
        record_customers.c.customer_id == _P("customer_id"),
        record_customers.c.record_id != _P("record_id"),
    )
    .limit(1)
)

_OVERRIDES = (
    select(overrides.c.kind, overrides.c.record_id_l, overrides.c.record_id_r)
    .where(
        overrides.c.revoked_at.is_(None),
        or_(overrides.c.record_id_l == _P("record_id"), overrides.c.record_id_r == _P("record_id")),
    )
    .order_by(overrides.c.id)
)
_SEPARATIONS = select(overrides.c.record_id_l, overrides.c.record_id_r).where(
    overrides.c.kind == "separate",
    overrides.c.revoked_at.is_(None),
    overrides.c.record_id_l.in_(_P("ids", expanding=True)),
    overrides.c.record_id_r.in_(_P("ids", expanding=True)),
)
_CUSTOMERS_OF = select(record_customers.c.record_id, record_customers.c.customer_id).where(
    record_customers.c.record_id.in_(_P("ids", expanding=True))
)


@dataclass(frozen=True, slots=True)
class _Candidate:
    record_id: int
    weight: float
    features: dict[str, Any]
    key: tuple[str, str]  # (source, source_record_id)
    customer_id: str | None

    @property
    def ref(self) -> RecordRef:  # a model built for the few candidates an answer shows
        return RecordRef(source=self.key[0], source_record_id=self.key[1])


@dataclass(slots=True)
class _Stored:
    """What is stored of some customers: their records' features (but the deciding
    record's), by customer and record id, and the links that joined them."""

    members: dict[str, dict[int, dict[str, Any]]]
    links: list[StoredLink] = field(default_factory=list)  # by record id

    @classmethod
    def of_rows(cls, customer_ids: Iterable[str], rows: Iterable[Sequence[Any]]) -> _Stored:
        """From `_members_and_links` rows."""
        found = cls({cid: {} for cid in customer_ids})
        names = ("customer_id", "id", *_GUARD_COLUMNS)
        width = len(names)
        for row in rows:
            features = found.members[row[0]]
            if row[1] not in features:
                features[row[1]] = dict(zip(names, row[:width], strict=True))
            if row[width] is not None:
                found.links.append(StoredLink(row[1], *row[width:]))
        return found


@dataclass(slots=True)
class _CustomerGroups:
    """The deciding record and its candidate customers in the group engine, each customer
    one group rebuilt from what is stored (`rebuild`)."""

    groups: Groups
    stored: _Stored
    position: dict[int, int]  # the records' positions, by id
    record: int  # the deciding record's position
    anchors: dict[str, int]  # a position in each customer's group
    separations_read: bool = False  # those between the customers' records

    @classmethod
    def rebuild(
        cls,
        record_id: int,
        record: Mapping[str, Any],
        stored: _Stored,
        kept: Iterable[_Candidate],
        limits: GuardLimits,
    ) -> _CustomerGroups:
        """The groups of the stored customers, as batch joined them, and the record alone;
        `kept`: the record's pairs batch keeps (for the weak-bridge rule). Positions go by
        record id, as in batch, so each join keeps batch's root and facet order."""
        features: dict[int, Mapping[str, Any]] = {record_id: record}
        for rows in stored.members.values():
            features.update(rows)
        ids = sorted(features)
        position = {rid: at for at, rid in enumerate(ids)}
        nodes: list[Mapping[str, Any]] = [features[rid] for rid in ids]
        anchors: dict[str, int] = {}
        for customer_id, rows in stored.members.items():
            if rows:
                anchors[customer_id] = position[min(rows)]
            else:  # its records moved on since the candidates were read: seen empty
                anchors[customer_id] = len(nodes)
                nodes.append({})
        # each pair's other end: its record, or (moved on) the customer it was read with
        ends = [position.get(c.record_id, anchors.get(c.customer_id or "", -1)) for c in kept]
        ends = [end for end in ends if end >= 0]
        pairs = PairsByRecord(len(nodes), [position[record_id]] * len(ends), ends)
        groups = Groups(nodes, limits, pairs=pairs)
        # a link's other end outside the customers (-1): the deciding record's old links
        links = (
            k._replace(left=position[k.left], right=position.get(k.right, -1)) for k in stored.links
        )
        groups.replay([[position[rid] for rid in rows] for rows in stored.members.values()], links)
        return cls(groups, stored, position, position[record_id], anchors)

    def forbid(self, customer_id: str) -> None:
        """A steward's 'separate' between the record and a record of this customer."""
        if customer_id in self.anchors:
            self.groups.forbid(self.record, self.anchors[customer_id])

    def join(
        self, customer_id: str, how: Callable[[int, int], GuardReason | None]
    ) -> GuardReason | None:
        """Join the record's group and the customer's (by root) `how` batch would: a
        steward's link, a scored pair or a sole-holder link (`Groups`); None when joined."""
        mine, theirs = self.groups.find(self.record), self.groups.find(self.anchors[customer_id])
        return None if mine == theirs else how(mine, theirs)


@dataclass(frozen=True, slots=True)
class _Pairs:
    """The record's scored pairs as batch keeps them: `links` at the link weight and
    `contacts` down to the sole-holder weight for sharing a contact identifier (see
    `_evidence`), strongest first; `kept`: either, by record."""

    links: list[_Candidate]
    contacts: list[_Candidate]
    kept: dict[int, _Candidate]


class _Decision:
    """One record's decision, inside the call's transaction (see the module docstring)."""

    def __init__(
        self,
        conn: Connection,
        strategy: Strategy,
        state: _ModelState,
        ref: RecordRef,
        record: dict[str, Any],
        written: RecordWrite,
        appends: Appends,
        *,
        explain: bool = False,
    ) -> None:
        self.conn = conn
        self.strategy = strategy
        self.state = state
        self.ref = ref
        self.record = record
        self.written = written
        self.record_id = written.record_id
        self.appends = appends  # written by the caller once decided
        self.customers_locked = False  # the locks of every candidate's customer are held
        self.now = appends.now
        self.scorer = state.scorer  # with this call's term frequencies once scored
        self.explain = explain  # the deciding pair's waterfall in the answer

    def run(self) -> Match:
        """Decide as batch clustering does with the record's pairs: the record's group
        takes in each candidate customer in turn, strongest pair first (a steward's link
        first of all), unless the engine refuses it; failing any, the one customer holding
        its contact identifiers."""
        scored = self._scored()
        previous = self.written.customer_id
        if self.written.stored in ("unchanged", "late") and previous is not None:
            # the same record again (or an older observation of it): nothing to decide
            deciding = next((c for c in scored if c.customer_id == previous), None)
            return self._match("unchanged", previous, False, deciding, scored)
        pairs = self._pairs(scored)
        separated, forced = (
            self._overrides() if self.written.stored != "inserted" else (set(), None)
        )
        strongest = _strongest_by_customer(pairs.links, forced)
        holder = _sole_holder(pairs.contacts) if forced is None else None
        found = self._customer_groups(strongest, holder, pairs, separated)
        joined, alternatives = self._join_customers(found, strongest, forced)
        sole_holder = None
        if not joined and holder is not None and found.join(holder[0], found.groups.attach) is None:
            sole_holder = joined[holder[0]] = holder[1]
        customer_id, created, merged = self._assign(list(joined), found)
        self._write(scored, pairs, joined, forced, sole_holder)
        status: MatchStatus = "new"
        if alternatives and len(strongest) > 1:
            status = "ambiguous"
        elif merged:
            status = "merged"
        elif joined:
            status = "matched"
        deciding = next((c for c in joined.values() if c is not None), None)
        return self._match(status, customer_id, created, deciding, scored, alternatives, merged)

    def _pairs(self, scored: list[_Candidate]) -> _Pairs:
        rule, record = self.state.run.rule, self.record
        links = [c for c in scored if rule.links(c.weight, identifiers_agree(record, c.features))]
        floor = rule.sole_holder_match_weight
        contacts = [
            c
            for c in scored
            if floor is not None and c.weight >= floor and contacts_agree(record, c.features)
        ]
        return _Pairs(links, contacts, {c.record_id: c for c in (*links, *contacts)})

    def _customer_groups(
        self,
        strongest: Mapping[str, _Candidate | None],
        holder: tuple[str, _Candidate] | None,
        pairs: _Pairs,
        separated: set[str],
    ) -> _CustomerGroups:
        """The candidate customers' groups (and the sole holder's), rebuilt from what is
        stored once their locks are held: calls that touch the same customer take turns
        (its groups must hold both records). Locked already when the candidates statement
        took them."""
        wanted = list(strongest)
        if holder is not None and holder[0] not in strongest:
            wanted.append(holder[0])
        if not self.customers_locked:
            self.strategy.lock_customers(self.conn, wanted)
        stored = self._stored(wanted)
        found = _CustomerGroups.rebuild(
            self.record_id, self.record, stored, pairs.kept.values(), self.state.run.limits
        )
        for customer_id in separated:
            found.forbid(customer_id)
        return found

    def _join_customers(
        self,
        found: _CustomerGroups,
        strongest: Mapping[str, _Candidate | None],
        forced: tuple[str, int] | None,
    ) -> tuple[dict[str, _Candidate | None], list[MatchAlternative]]:
        """The customers the record joins, each with its strongest pair (None: a steward's
        link), and those it reaches at the link weight but does not join, with why."""
        joined: dict[str, _Candidate | None] = {}
        alternatives: list[MatchAlternative] = []
        if forced is not None:  # a steward's link: joined across the guards, as in batch
            found.join(forced[0], found.groups.must_link)
            joined[forced[0]] = strongest[forced[0]]
        for customer_id, pair in strongest.items():
            if customer_id in joined or pair is None:
                continue
            if joined and not found.separations_read:
                self._read_separations(found)
            weighed = partial(found.groups.link, weight=pair.weight, left=self.record)
            reason = found.join(customer_id, partial(weighed, right=pair.features))
            if reason is None:
                joined[customer_id] = pair
                continue
            alternatives.append(
                MatchAlternative(
                    customer_id=customer_id,
                    record=pair.ref,
                    match_weight=pair.weight,
                    match_probability=match_probability(pair.weight),
                    reason=reason,
                )
            )
        return joined, alternatives

    # -- reading ----------------------------------------------------------------------------

    def _scored(self) -> list[_Candidate]:
        """Candidates found by the blocking lookups, scored, strongest first."""
        params = _query_params(self.record)
        # a new record's candidates' customers are locked as they are read, where that
        # saves a statement
        reads = candidate_reads(params)
        rows, self.customers_locked = self.strategy.read_candidates(
            self.conn, reads, self.record, params, self.written.stored == "inserted"
        )
        more = others_candidates(self.conn, self.record, rows)
        if more:  # their customers are not locked yet
            rows, self.customers_locked = [*rows, *more], False
        found: dict[int, dict[str, Any]] = {}
        refs: dict[int, tuple[tuple[str, str], str | None]] = {}
        # rows are (id, source, source_record_id, *ROW_COLUMNS, customer_id), each once
        for rid, source, source_record_id, *values, customer_id in rows:
            if rid == self.record_id:
                continue
            features = dict(zip(ROW_COLUMNS, values, strict=True))
            features["email_user"] = email_user(features)
            found[rid] = features
            refs[rid] = ((source, source_record_id), customer_id)
        # the shared scorer, with this call's term frequencies (a shallow copy: cheap)
        scorer = self.scorer = copy.copy(self.state.scorer)
        rows_at_hand = [self.record, *found.values()]
        if self.state.frequencies is not None:
            scorer.term_frequencies = self.state.frequencies.for_rows(
                self.conn, scorer.tf_columns, rows_at_hand
            )
        else:  # a model stored before frequencies were frozen: the data's, as explain does
            wanted = {c: [row[c] for row in rows_at_hand] for c in scorer.tf_columns}
            scorer.term_frequencies = TermFrequencies.from_store(
                self.conn, scorer.tf_columns, values=wanted
            )
        candidates = [
            _Candidate(rid, scorer.match_weight(self.record, f), f, *refs[rid])
            for rid, f in found.items()
        ]
        candidates.sort(key=lambda c: (-c.weight, c.record_id))  # batch's order of pairs
        return candidates

    def _stored(self, customer_ids: Sequence[str]) -> _Stored:
        """What is stored of these customers (`_members_and_links`)."""
        if not customer_ids:
            return _Stored({})
        params = {"customers": sorted(customer_ids), "record_id": self.record_id}
        members = self.strategy.statement(_members_and_links)
        rows = self.strategy.fetch(self.conn, members, params)
        return _Stored.of_rows(customer_ids, rows)

    def _read_separations(self, found: _CustomerGroups) -> None:
        """A steward's 'separate's between the candidate customers' records (read once the
        record has joined one customer and may join another)."""
        found.separations_read = True
        if len(found.anchors) < 2:
            return
        ids = sorted(rid for rows in found.stored.members.values() for rid in rows)
        for left, right in self.conn.execute(_SEPARATIONS, {"ids": ids}):
            found.groups.forbid(found.position[left], found.position[right])

    def _overrides(self) -> tuple[set[str], tuple[str, int] | None]:
        """A steward's decisions on this (already stored) record: the customers it must
        stay apart from, and the customer it must join with the record linked to it (the
        oldest link's), if any."""
        rows = self.conn.execute(_OVERRIDES, {"record_id": self.record_id}).all()
        if not rows:
            return set(), None
        partners = [
            (
                row.kind,
                int(row.record_id_r if row.record_id_l == self.record_id else row.record_id_l),
            )
            for row in rows
        ]
        ids = sorted({other for _, other in partners})
        customer_of = {int(r): str(c) for r, c in self.conn.execute(_CUSTOMERS_OF, {"ids": ids})}
        separated = {
            customer_of[other]
            for kind, other in partners
            if kind == "separate" and other in customer_of
        }
        for kind, other in partners:
            if kind == "link" and other in customer_of and customer_of[other] not in separated:
                return separated, (customer_of[other], other)
        return separated, None

    # -- writing ----------------------------------------------------------------------------

    def _assign(self, joined: list[str], found: _CustomerGroups) -> tuple[str, bool, list[str]]:
        """Put the record in the customers it joined, made one (none: a customer of its
        own); returns (its customer, whether that ID is new, the IDs merged into it)."""
        conn, now, previous = self.conn, self.now, self.written.customer_id
        created = False
        merged: list[str] = []
        if joined:
            # batch's rule: the ID most of the records already have survives
            held = found.stored.members  # each customer's records (but this one)
            target = survivor({cid: len(held.get(cid, ())) + (cid == previous) for cid in joined})
            merged = [cid for cid in joined if cid != target]
            for old in merged:  # its records, and the aliases that pointed at it, too
                merge_customer(conn, old, target, now)
        elif previous is not None and not self._has_others(previous):
            target = previous  # already a customer of its own
        else:
            target = new_customer_id()
            created = True
            if previous is None:  # written with the record's assignment, at the end
                self.appends.new_customer = target
            else:  # now: the record is moved to it below
                create_customer(conn, target, now)
        if previous is None:
            self.appends.assignment = (self.record_id, target)
        elif previous != target and previous not in merged:
            reassign_record(conn, self.record_id, target, now)
            if not self._has_others(previous):
                # its only record moved: the old ID lives on as an alias, as in batch
                alias_customers(conn, {previous: target}, now)
                merged.append(previous)
        return target, created, merged

    def _has_others(self, customer_id: str) -> bool:
        found = self.conn.execute(
            _OTHER_MEMBER, {"customer_id": customer_id, "record_id": self.record_id}
        ).first()
        return found is not None

    def _write(
        self,
        scored: list[_Candidate],
        pairs: _Pairs,
        joined: Mapping[str, _Candidate | None],
        forced: tuple[str, int] | None,
        sole_holder: _Candidate | None,
    ) -> None:
        """The pairs batch keeps, and the links that put the record in its customer (what
        explanations walk)."""
        me = self.record_id
        if self.written.stored != "inserted":  # pairs and links scored from its old content
            forget_record_pairs(self.conn, me)
        kept = (c for c in scored if c.record_id in pairs.kept)
        edges, links = self.appends.edges, self.appends.links
        edges.extend((min(me, c.record_id), max(me, c.record_id), c.weight) for c in kept)
        for customer_id, pair in joined.items():
            if forced is not None and customer_id == forced[0]:
                links.append((min(me, forced[1]), max(me, forced[1]), None, "override"))
            elif pair is not None:
                kind = "sole_holder" if pair is sole_holder else "model"
                links.append((min(me, pair.record_id), max(me, pair.record_id), pair.weight, kind))

    # -- the answer -------------------------------------------------------------------------

    def _match(
        self,
        status: MatchStatus,
        customer_id: str,
        created: bool,
        deciding: _Candidate | None,
        scored: list[_Candidate],
        alternatives: list[MatchAlternative] | None = None,
        merged: list[str] | None = None,
    ) -> Match:
        shown = deciding or (scored[0] if scored else None)
        threshold = self.state.run.rule.match_weight
        explanation = None
        if shown is not None:
            # the pair's own link weight: a name-only pair links at the name-only one
            rule = self.state.run.rule
            identified = identifiers_agree(self.record, shown.features)
            threshold = rule.match_weight if identified else rule.name_only_match_weight
            if self.explain:
                explanation = pair_explanation(
                    self.scorer,
                    self.state.model_id,
                    (self.ref, self.record, customer_id),
                    (shown.ref, shown.features, shown.customer_id),
                    rule=rule,
                    limits=self.state.run.limits,
                )
        return Match(
            record=self.ref,
            stored=self.written.stored,
            status=status,
            customer_id=customer_id,
            created=created,
            match_weight=None if shown is None else shown.weight,
            match_probability=None if shown is None else match_probability(shown.weight),
            matched_record=None if shown is None else shown.ref,
            threshold=threshold,
            candidates=len(scored),
            alternatives=alternatives or [],
            merged_customers=merged or [],
            explanation=explanation,
            model_id=self.state.model_id,
        )


def _by_customer(pairs: Iterable[_Candidate]) -> dict[str, _Candidate]:
    """The customers of `pairs` (strongest first), each with its strongest pair."""
    found: dict[str, _Candidate] = {}
    for candidate in pairs:
        if candidate.customer_id is not None:
            found.setdefault(candidate.customer_id, candidate)
    return found


def _strongest_by_customer(
    links: Iterable[_Candidate], forced: tuple[str, int] | None
) -> dict[str, _Candidate | None]:
    """The candidate customers by their strongest pairs; the customer of a steward's link
    first of all (its pair None when it has none at the link weight)."""
    strongest: dict[str, _Candidate | None] = dict(_by_customer(links))
    if forced is not None:
        strongest = {forced[0]: strongest.get(forced[0]), **strongest}
    return strongest


def _sole_holder(contacts: Iterable[_Candidate]) -> tuple[str, _Candidate] | None:
    """The one customer holding the record's contact identifiers, with its strongest
    pair, as batch's sole-holder links find it; None when no one or several do."""
    holders = _by_customer(contacts)
    return next(iter(holders.items())) if len(holders) == 1 else None
