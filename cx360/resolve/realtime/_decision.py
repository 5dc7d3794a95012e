"""One record's real-time decision, inside the call's transaction: score its candidates, join
the customers the guards allow, write the assignment and the pairs."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, any_, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql

from cx360.models import Match, MatchAlternative, RecordRef
from cx360.models._explain import GuardReason
from cx360.models._realtime import MatchStatus
from cx360.resolve._evidence import contacts_agree, identifiers_agree
from cx360.resolve._explain import pair_explanation
from cx360.resolve._features import email_user
from cx360.resolve._guards import Profile as GuardProfile
from cx360.resolve._guards import conflict, overridden
from cx360.resolve._ids import new_customer_id, survivor
from cx360.resolve._scoring import TermFrequencies, match_probability
from cx360.resolve.realtime._candidates import (
    _CANDIDATES,
    _CANDIDATES_LOCKING_CUSTOMERS,
    _GUARD_COLUMNS,
    _PG_CANDIDATES,
    _kept,
    _query_params,
)
from cx360.resolve.realtime._state import _ModelState
from cx360.store._realtime import Appends, RecordWrite, execute_on_driver, lock_customers
from cx360.store._schema import (
    customers,
    match_edges,
    overrides,
    record_customers,
    record_links,
    records,
)

_R = records.c
_P = bindparam

_MEMBERS = (
    select(record_customers.c.customer_id, _R.id, *(_R[c] for c in _GUARD_COLUMNS))
    .select_from(record_customers.join(records, _R.id == record_customers.c.record_id))
    .where(
        record_customers.c.customer_id.in_(_P("customers", expanding=True)),
        record_customers.c.record_id != _P("record_id"),
    )
)


# PostgreSQL: an array parameter, one statement text whatever the number of customers
_PG_MEMBERS = (
    select(record_customers.c.customer_id, _R.id, *(_R[c] for c in _GUARD_COLUMNS))
    .select_from(record_customers.join(records, _R.id == record_customers.c.record_id))
    .where(
        record_customers.c.customer_id == any_(_P("customers", type_=postgresql.ARRAY(String))),
        record_customers.c.record_id != _P("record_id"),
    )
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
_NEW_CUSTOMER = insert(customers)
_REASSIGN = (
    update(record_customers)
    .where(record_customers.c.record_id == _P("b_record_id"))
    .values(customer_id=_P("b_customer_id"), assigned_at=_P("b_now"), run_id=None)
)
_ALIAS = (
    update(customers)
    .where(customers.c.customer_id == _P("b_old"))
    .values(status="merged", merged_into=_P("b_new"), updated_at=_P("b_now"))
)
# a merged customer's records, and the aliases that pointed at it, go to the survivor
_MOVE_MEMBERS = (
    update(record_customers)
    .where(record_customers.c.customer_id == _P("b_old"))
    .values(customer_id=_P("b_new"), assigned_at=_P("b_now"), run_id=None)
)
_MOVE_ALIASES = (
    update(customers)
    .where(customers.c.merged_into == _P("b_old"))
    .values(merged_into=_P("b_new"), updated_at=_P("b_now"))
)
_STALE = (
    delete(match_edges).where(match_edges.c.record_id_l == _P("record_id")),
    delete(match_edges).where(match_edges.c.record_id_r == _P("record_id")),
    delete(record_links).where(record_links.c.record_id_l == _P("record_id")),
    delete(record_links).where(record_links.c.record_id_r == _P("record_id")),
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


class _Decision:
    """One record's decision, inside the call's transaction (see the module docstring)."""

    def __init__(
        self,
        conn: Connection,
        state: _ModelState,
        ref: RecordRef,
        record: dict[str, Any],
        written: RecordWrite,
        appends: Appends,
    ) -> None:
        self.conn = conn
        self.state = state
        self.ref = ref
        self.record = record
        self.written = written
        self.record_id = written.record_id
        self.appends = appends  # written by the caller once decided
        self.customers_locked = False  # the locks of every candidate's customer are held
        self.now = appends.now
        self.scorer = state.scorer  # with this call's term frequencies once scored

    def run(self) -> Match:
        state, written = self.state, self.written
        scored = self._scored()
        record = self.record
        links = [
            c for c in scored if state.rule.links(c.weight, identifiers_agree(record, c.features))
        ]
        previous = written.customer_id
        if written.stored in ("unchanged", "late") and previous is not None:
            # the same record again (or an older observation of it): nothing to decide
            deciding = next((c for c in scored if c.customer_id == previous), None)
            return self._match("unchanged", previous, False, deciding, scored)

        separated, forced = self._overrides() if written.stored != "inserted" else (set(), None)
        # candidate customers, each by its strongest pair, strongest first
        strongest: dict[str, _Candidate | None] = {}
        for candidate in links:
            if candidate.customer_id is not None:
                strongest.setdefault(candidate.customer_id, candidate)
        if forced is not None:
            strongest = {forced[0]: strongest.get(forced[0]), **strongest}
        # calls that touch the same customer take turns (its guard profile must hold both)
        # (locked already when the candidates statement took them: only for a new record,
        # which has no steward overrides, so `forced` is then None)
        if not self.customers_locked:
            lock_customers(self.conn, strongest)
        members = self._members(strongest)
        profiles = {cid: GuardProfile.of_records(rows) for cid, rows in members.items()}
        # as batch clustering does with the record's pairs: the record's group takes in
        # each candidate customer in turn, strongest pair first, unless the guards (or a
        # steward's 'separate') object to everything the group holds so far
        group = GuardProfile.of(self.record)
        contact_pairs = [c for c in scored if self._contact_pair(c)]  # strongest first
        kept = {c.record_id: c for c in (*links, *contact_pairs)}  # the pairs batch keeps
        joined: dict[str, _Candidate | None] = {}
        apart: dict[str, set[str]] | None = None  # separations between candidate customers
        alternatives: list[MatchAlternative] = []
        for customer_id, strongest_pair in strongest.items():
            reason: GuardReason | None = None
            if forced is not None and customer_id == forced[0]:
                pass  # a steward's link: joined across the guards, as in batch
            elif customer_id in separated:
                reason = GuardReason.OVERRIDE_SEPARATE
            elif self._weak_bridge(customer_id, strongest_pair, joined, members, kept):
                reason = GuardReason.WEAK_BRIDGE
            else:
                if joined:
                    apart = apart if apart is not None else self._separations(members)
                    if apart.get(customer_id, set()) & joined.keys():
                        reason = GuardReason.OVERRIDE_SEPARATE
                reason = reason or conflict(
                    group, profiles.get(customer_id, GuardProfile()), state.limits
                )
                if (
                    reason not in (None, GuardReason.OVERRIDE_SEPARATE)
                    and strongest_pair is not None
                    and overridden(
                        self.record,
                        strongest_pair.features,
                        strongest_pair.weight,
                        reason,
                        state.limits,
                    )
                ):
                    reason = None  # as in batch: a corroborated or overwhelming pair
            if reason is None:
                joined[customer_id] = strongest_pair
                group.absorb(profiles.get(customer_id, GuardProfile()))
            elif strongest_pair is not None:
                alternatives.append(
                    MatchAlternative(
                        customer_id=customer_id,
                        record=strongest_pair.ref,
                        match_weight=strongest_pair.weight,
                        match_probability=match_probability(strongest_pair.weight),
                        reason=reason,
                    )
                )
        sole_holder = None
        if not joined and forced is None:
            sole_holder = self._sole_holder(contact_pairs, separated, group, members, profiles)
            if sole_holder is not None and sole_holder.customer_id is not None:
                joined[sole_holder.customer_id] = sole_holder
        sizes = {cid: len(rows) for cid, rows in members.items()}
        customer_id, created, merged = self._assign(list(joined), sizes)
        self._write_pairs([c for c in scored if c.record_id in kept])
        for joined_customer, pair in joined.items():
            if forced is not None and joined_customer == forced[0]:
                self._write_link(forced[1], None, "override")
            elif pair is not None:
                kind = "sole_holder" if pair is sole_holder else "model"
                self._write_link(pair.record_id, pair.weight, kind)
        status: MatchStatus = "new"
        if alternatives and len(strongest) > 1:
            status = "ambiguous"
        elif merged:
            status = "merged"
        elif joined:
            status = "matched"
        deciding = next((c for c in joined.values() if c is not None), None)
        return self._match(status, customer_id, created, deciding, scored, alternatives, merged)

    def _weak_bridge(
        self,
        customer_id: str,
        pair: _Candidate | None,
        joined: Mapping[str, _Candidate | None],
        members: Mapping[str, Sequence[Any]],
        kept: Mapping[int, _Candidate],
    ) -> bool:
        """As batch clustering decides (`GuardLimits.bridge_match_weight`): once the record
        is in a customer, a pair below the bridge weight joins a second customer of several
        records only when another kept pair leads there too. A call sees its record's own
        pairs; batch also counts pairs between the two customers' other records, so the
        next batch run may join what a call left apart."""
        bridge = self.state.limits.bridge_match_weight
        if bridge is None or pair is None or pair.weight >= bridge or not joined:
            return False
        if len(members.get(customer_id, ())) < 2:
            return False
        return sum(1 for c in kept.values() if c.customer_id == customer_id) < 2

    def _contact_pair(self, candidate: _Candidate) -> bool:
        """Whether batch keeps this pair as a sole-holder candidate (see `_evidence`)."""
        floor = self.state.rule.sole_holder_match_weight
        return (
            floor is not None
            and candidate.weight >= floor
            and contacts_agree(self.record, candidate.features)
        )

    def _sole_holder(
        self,
        contact_pairs: list[_Candidate],
        separated: set[str],
        group: GuardProfile,
        members: dict[str, list[dict[str, Any]]],
        profiles: dict[str, GuardProfile],
    ) -> _Candidate | None:
        """As batch's sole-holder links: a record that joined no one on weight joins the
        one customer holding its contact identifiers (`contact_pairs`: its pairs kept for
        sharing one), if the guards allow; its pair."""
        holders: dict[str, _Candidate] = {}
        for candidate in contact_pairs:  # strongest first
            if candidate.customer_id is not None:
                holders.setdefault(candidate.customer_id, candidate)
        if len(holders) != 1:
            return None  # no one holds them, or a household does
        customer_id, pair = next(iter(holders.items()))
        if customer_id in separated:
            return None
        if customer_id not in members:
            if not self.customers_locked:
                lock_customers(self.conn, [customer_id])
            members.update(self._members({customer_id: pair}))
            profiles[customer_id] = GuardProfile.of_records(members[customer_id])
        if conflict(group, profiles[customer_id], self.state.limits) is not None:
            return None
        return pair

    # -- reading ----------------------------------------------------------------------------

    def _scored(self) -> list[_Candidate]:
        """Candidates found by the blocking lookups, scored, strongest first."""
        params = _query_params(self.record)
        rows: Iterable[Sequence[Any]]
        if self.conn.dialect.name != "postgresql":
            rows = _kept(self.record, self.conn.execute(_CANDIDATES, params).all())
        elif self.written.stored == "inserted":
            # the candidates' customers are locked as they are read (one statement less)
            read = execute_on_driver(self.conn, _CANDIDATES_LOCKING_CUSTOMERS, params)
            customers = {row[-2] for row in read} - {None}
            self.customers_locked = not customers or any(row[-1] for row in read)
            rows = [row[:-1] for row in read]
        else:
            rows = execute_on_driver(self.conn, _PG_CANDIDATES, params)
        found: dict[int, dict[str, Any]] = {}
        refs: dict[int, tuple[tuple[str, str], str | None]] = {}
        # rows are (id, source, source_record_id, *_GUARD_COLUMNS, customer_id), each once
        for rid, source, source_record_id, *values, customer_id in rows:
            if rid == self.record_id:
                continue
            features = dict(zip(_GUARD_COLUMNS, values, strict=True))
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

    def _members(
        self, strongest: Mapping[str, _Candidate | None]
    ) -> dict[str, list[dict[str, Any]]]:
        """Every record (but this one) of the candidate customers, by customer."""
        found: dict[str, list[dict[str, Any]]] = {cid: [] for cid in strongest}
        if not strongest:
            return found
        params = {"customers": sorted(strongest), "record_id": self.record_id}
        rows: Iterable[Sequence[Any]]
        if self.conn.dialect.name == "postgresql":
            rows = execute_on_driver(self.conn, _PG_MEMBERS, params)
        else:
            rows = self.conn.execute(_MEMBERS, params)
        names = ("customer_id", "id", *_GUARD_COLUMNS)
        for row in rows:
            found[row[0]].append(dict(zip(names, row, strict=True)))
        return found

    def _separations(self, members: Mapping[str, list[dict[str, Any]]]) -> dict[str, set[str]]:
        """Customers a steward's 'separate' keeps apart, among the candidate ones."""
        customer_of = {m["id"]: cid for cid, rows in members.items() for m in rows}
        apart: dict[str, set[str]] = {}
        if len(members) < 2:
            return apart
        found = self.conn.execute(_SEPARATIONS, {"ids": sorted(customer_of)})
        for left, right in found:
            a, b = customer_of[left], customer_of[right]
            if a != b:
                apart.setdefault(a, set()).add(b)
                apart.setdefault(b, set()).add(a)
        return apart

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

    def _assign(self, joined: list[str], sizes: Mapping[str, int]) -> tuple[str, bool, list[str]]:
        """Put the record in the customers it joined, made one (none: a customer of its
        own); returns (its customer, whether that ID is new, the IDs merged into it)."""
        conn, now, previous = self.conn, self.now, self.written.customer_id
        created = False
        merged: list[str] = []
        if joined:
            # batch's rule: the ID most of the records already have survives
            target = survivor({cid: sizes.get(cid, 0) + (cid == previous) for cid in joined})
            merged = [cid for cid in joined if cid != target]
            for old in merged:
                params = {"b_old": old, "b_new": target, "b_now": now}
                conn.execute(_MOVE_MEMBERS, params)
                conn.execute(_ALIAS, params)
                conn.execute(_MOVE_ALIASES, params)
        elif previous is not None and not self._has_others(previous):
            target = previous  # already a customer of its own
        else:
            target = new_customer_id()
            created = True
            if previous is None:  # written with the record's assignment, at the end
                self.appends.new_customer = target
            else:  # now: the record is moved to it below
                conn.execute(
                    _NEW_CUSTOMER,
                    {
                        "customer_id": target,
                        "status": "active",
                        "merged_into": None,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
        if previous is None:
            self.appends.assignment = (self.record_id, target)
        elif previous != target and previous not in merged:
            conn.execute(
                _REASSIGN,
                {"b_record_id": self.record_id, "b_customer_id": target, "b_now": now},
            )
            if not self._has_others(previous):
                # its only record moved: the old ID lives on as an alias, as in batch
                params = {"b_old": previous, "b_new": target, "b_now": now}
                conn.execute(_ALIAS, params)
                conn.execute(_MOVE_ALIASES, params)
                merged.append(previous)
        return target, created, merged

    def _has_others(self, customer_id: str) -> bool:
        found = self.conn.execute(
            _OTHER_MEMBER, {"customer_id": customer_id, "record_id": self.record_id}
        ).first()
        return found is not None

    def _write_pairs(self, links: list[_Candidate]) -> None:
        conn, record_id = self.conn, self.record_id
        if self.written.stored != "inserted":
            for statement in _STALE:  # pairs and links scored from its old content
                conn.execute(statement, {"record_id": record_id})
        self.appends.edges.extend(
            (min(record_id, c.record_id), max(record_id, c.record_id), c.weight) for c in links
        )

    def _write_link(self, other: int, weight: float | None, kind: str) -> None:
        """The link that put the record in its customer (what explanations walk)."""
        self.appends.links.append(
            (min(self.record_id, other), max(self.record_id, other), weight, kind)
        )

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
        explanation = None
        if shown is not None:
            explanation = pair_explanation(
                self.scorer,
                self.state.model_id,
                (self.ref, self.record, customer_id),
                (shown.ref, shown.features, shown.customer_id),
                rule=self.state.rule,
                limits=self.state.limits,
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
            threshold=(
                self.state.rule.match_weight if explanation is None else explanation.threshold
            ),
            candidates=len(scored),
            alternatives=alternatives or [],
            merged_customers=merged or [],
            explanation=explanation,
            model_id=self.state.model_id,
        )
