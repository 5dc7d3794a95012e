"""The `Hub`: the one object channel apps and jobs hold. It composes the layers below."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from sqlalchemy import select

from cx360._errors import ConfigurationError
from cx360.ingest import ingest_file, ingest_objects
from cx360.ingest._readers import RowSource
from cx360.models import (
    ContextLookup,
    CxReport,
    IngestResult,
    InteractionResult,
    Match,
    Override,
    PairExplanation,
    ProfileLookup,
    RecordExplanation,
    RecordRef,
    ResolveReport,
)
from cx360.profile._lookup import lookup_context, lookup_profile, parse_query
from cx360.profile._survivorship import DEFAULT_RULES, SurvivorshipRules
from cx360.resolve import (
    DEFAULT_MATCH_WEIGHT,
    DEFAULT_NAME_ONLY_MATCH_WEIGHT,
    DEFAULT_SOLE_HOLDER_MATCH_WEIGHT,
    GuardLimits,
    ResolveOptions,
    _explain,
    _overrides,
    resolve_store,
)
from cx360.resolve._evidence import LinkRule
from cx360.resolve.realtime import RealtimeResolver
from cx360.resolve._spark import SparkOptions
from cx360.store import Store, retry_on_lost_connection
from cx360.store._schema import quarantine

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

RecordLike = Mapping[str, Any] | BaseModel


def connect(
    url: str | os.PathLike[str] | None = None, *, survivorship: SurvivorshipRules | None = None
) -> Hub:
    """Open a hub on a store, creating and migrating it if needed.

    Args:
        url: a SQLAlchemy URL (`sqlite:///path.db`, `postgresql://user@host/db`) or a file
            path for SQLite. Defaults to `$CX360_STORE`, else `sqlite:///cx360.db`.
        survivorship: the golden-record rules of profiles (default: `SurvivorshipRules()`).
    """
    return Hub(Store.open(url), survivorship=survivorship)


class Hub:
    """Customer 360 over one store: ingest channel records and interactions, and more."""

    def __init__(self, store: Store, *, survivorship: SurvivorshipRules | None = None) -> None:
        self.store = store
        self.survivorship = survivorship or DEFAULT_RULES
        self._realtime: RealtimeResolver | None = None  # made on the first real-time call

    def __enter__(self) -> Hub:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the store's connections."""
        if self._realtime is not None:
            self._realtime.close()
            self._realtime = None
        self.store.close()

    def configure_source(
        self, name: str, *, default_country: str | None = None, priority: int = 0
    ) -> None:
        """Set a source's default country and its priority for survivorship."""
        self.store.configure_source(name, default_country=default_country, priority=priority)

    def ingest(
        self,
        records: Iterable[RecordLike] | None = None,
        interactions: Iterable[RecordLike] | None = None,
    ) -> IngestResult:
        """Store channel records and interactions given as dicts or models.

        Idempotent: the same `(source, source_record_id)` or `interaction_id` again updates
        (keeping history) or changes nothing; bad rows are quarantined with a reason code.
        """
        result = IngestResult()
        if records is not None:
            result.records = ingest_objects(self.store, "records", records)
        if interactions is not None:
            result.interactions = ingest_objects(self.store, "interactions", interactions)
        return result

    def ingest_files(
        self,
        records: str | os.PathLike[str] | None = None,
        interactions: str | os.PathLike[str] | None = None,
        *,
        workers: int | None = None,
        progress: Callable[[RowSource, int], None] | None = None,
    ) -> IngestResult:
        """Stream CSV, JSON Lines or Parquet files of records and interactions into the store."""
        result = IngestResult()
        if records is not None:
            result.records = ingest_file(
                self.store, records, "records", workers=workers, progress=progress
            )
        if interactions is not None:
            result.interactions = ingest_file(
                self.store, interactions, "interactions", workers=workers, progress=progress
            )
        return result

    def resolve(
        self,
        *,
        retrain: bool = False,
        full: bool = False,
        match_weight: float | None = None,
        name_only_match_weight: float | None = None,
        sole_holder_match_weight: float | None = DEFAULT_SOLE_HOLDER_MATCH_WEIGHT,
        limits: GuardLimits | None = None,
        engine: Literal["duckdb", "spark"] = "duckdb",
        spark: SparkSession | None = None,
        spark_master: str | None = None,
        spark_work_dir: str | None = None,
        spark_conf: Mapping[str, str] | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> ResolveReport:
        """Resolve every stored record into customers with stable IDs.

        The matching model is trained on the store's own data the first time (and when
        `retrain` is set), saved in the store, and reused afterwards. After the first run,
        a run scores only pairs involving records new or changed since the last one
        (`report.mode == "incremental"`) and gives the customers a full run would; `full`
        scores every pair again. A retrain, other link weights or other `limits` than the
        last run's always make a full run.

        Pairs of records that share an identifier link at or above `match_weight` (log2
        odds); pairs that share only names need `name_only_match_weight`. A record (or
        group of records) whose contact identifiers (e-mail, phone, national ID, handle)
        only one customer holds joins it through pairs down to `sole_holder_match_weight`
        when the guards allow (a WhatsApp record with only a phone); None turns these
        sole-holder links off.

        `engine="spark"` runs Splink's part (training, blocking, scoring) on Spark
        (`pip install 'cx360[spark]'`, docs/spark.md): on `spark`, a SparkSession you
        hold, or on one cx360 starts with `spark_master` (default `local[*]`) and
        `spark_conf`; files go through `spark_work_dir`, which must be storage that this
        process and the executors share when the master is a cluster. Models trained on
        either engine are the same and serve both.

        `progress`, when given, is called with the name of each stage as it starts
        ("load", "train", "score", "components", "cluster", "write").

        Raises:
            ConfigurationError: Spark options without `engine="spark"`, or no Java.
            MissingDependencyError: `engine="spark"` without pyspark installed.
        """
        spark_options = None
        if engine == "spark":
            spark_options = SparkOptions(
                master=spark_master, work_dir=spark_work_dir, session=spark, conf=spark_conf or {}
            )
        elif spark is not None or spark_master or spark_work_dir or spark_conf:
            raise ConfigurationError("Spark options apply only with engine='spark'")
        options = ResolveOptions(
            match_weight=DEFAULT_MATCH_WEIGHT if match_weight is None else match_weight,
            name_only_match_weight=(
                DEFAULT_NAME_ONLY_MATCH_WEIGHT
                if name_only_match_weight is None
                else name_only_match_weight
            ),
            sole_holder_match_weight=sole_holder_match_weight,
            retrain=retrain,
            full=full,
            limits=limits or GuardLimits(),
            engine=engine,
            spark=spark_options,
            progress=progress,
        )
        return resolve_store(self.store, options)

    def resolve_record(self, record: RecordLike) -> Match:
        """Store one channel record and resolve it into a customer now, as batch would.

        The record is stored as `ingest` stores it (the same `(source, source_record_id)`
        again updates it, keeping history, or changes nothing) and, in the same
        transaction, matched against the records sharing a blocking key with it, scored
        with the latest trained model, and put in the first candidate customer, strongest
        pair first, that the over-merge guards allow, when that pair reaches the last
        run's link weight (further candidate customers that fit merge into it, as a batch
        run would merge customers the record bridges); else in a new customer. Concurrent
        calls from other processes on the same person take turns (see docs/realtime.md).

        Check `status`: 'matched', 'merged' (`merged_customers` are now aliases of
        `customer_id`), 'new', 'ambiguous' (pairs with two or more customers, some kept
        apart by the guards: see `alternatives`), 'unchanged' (the same record again), or
        'unresolved' (stored, but no model yet: run `resolve()` once).

        Args:
            record: the record's input-contract columns, as a dict or `ChannelRecord`.

        Raises:
            SchemaError: a row ingest would quarantine (no key, an unreadable
                timestamp, a value of the wrong type, ...); `column` names the column.
                Nothing is stored.
        """
        row = record.model_dump() if isinstance(record, BaseModel) else record
        return retry_on_lost_connection(lambda: self._realtime_calls().resolve(row))

    def record_interaction(self, **columns: Any) -> InteractionResult:
        """Add one interaction to the timeline now (the input contract's columns).

        Keyword arguments: `source`, `source_record_id` and `interaction_id` (required),
        `occurred_at`, `type`, `status`, `case_id`, `summary`, and any extra column (kept
        in the raw row). Idempotent by `interaction_id`: the same content again changes
        nothing; new content (a case going from open to resolved) updates it and keeps
        the previous version in the interaction's history.

        Raises:
            SchemaError: a row ingest would quarantine; `column` names the column.
                Nothing is stored and nothing is quarantined: the caller has the error.
        """
        return retry_on_lost_connection(lambda: self._realtime_calls().record_interaction(columns))

    def _realtime_calls(self) -> RealtimeResolver:
        if self._realtime is None:
            self._realtime = RealtimeResolver(self.store)
        return self._realtime

    def link_records(
        self,
        a: tuple[str, str] | RecordRef,
        b: tuple[str, str] | RecordRef,
        *,
        reason: str,
        by: str,
    ) -> int:
        """A steward's decision: these two records are one person. Returns the override id.

        Takes effect at the next `resolve()`, and every resolve after it until revoked: the
        two records' customers become one (the smaller one's ID an alias of the larger),
        even where the over-merge guards would object. The same decision again on the same
        pair returns the active override's id and writes nothing.

        Args:
            a: a record as `(source, source_record_id)`.
            b: the other record.
            reason: why (kept for audit).
            by: who decided (kept for audit).

        Raises:
            NotFoundError: a record is not in the store.
            InputError: the same record twice, or an empty reason or `by`.
            OverrideConflictError: a 'separate' is active on the same two records.
        """
        return _overrides.add_override(self.store, "link", a, b, reason=reason, by=by)

    def separate_records(
        self,
        a: tuple[str, str] | RecordRef,
        b: tuple[str, str] | RecordRef,
        *,
        reason: str,
        by: str,
    ) -> int:
        """A steward's decision: these two records are never one person. Returns the id.

        Takes effect at the next `resolve()`, and every resolve after it until revoked: the
        customer holding `a` and the customer holding `b` are never joined, whatever the
        match weights or steward links (a link that would join them is refused and listed in
        `ResolveReport.overrides_refused`). When they are one customer now, it splits and the
        larger part keeps the ID.

        Raises:
            NotFoundError: a record is not in the store.
            InputError: the same record twice, or an empty reason or `by`.
            OverrideConflictError: a 'link' is active on the same two records.
        """
        return _overrides.add_override(self.store, "separate", a, b, reason=reason, by=by)

    def revoke_override(self, override_id: int, *, reason: str, by: str) -> Override:
        """Revoke a steward override; the next `resolve()` returns to the model's decision.

        The override stays in the store with who revoked it, when and why.

        Raises:
            NotFoundError: no override has this id.
            InputError: it is already revoked, or the reason or `by` is empty.
        """
        return _overrides.revoke_override(self.store, override_id, reason=reason, by=by)

    def overrides(self, include_revoked: bool = False) -> list[Override]:
        """The steward overrides, oldest first: the active ones, or all with `include_revoked`."""
        return _overrides.list_overrides(self.store, include_revoked=include_revoked)

    def explain_pair(
        self,
        a: tuple[str, str] | RecordRef,
        b: tuple[str, str] | RecordRef,
        *,
        threshold: float | None = None,
    ) -> PairExplanation:
        """Why two records score what they do: the model's waterfall and the guards' verdict.

        Args:
            a: a record as `(source, source_record_id)`.
            b: the other record.
            threshold: link threshold (match weight) to compare with, for any pair; by
                default the ones resolution uses (higher for pairs that share only names).

        Raises:
            NotFoundError: a record is not in the store.
            ResolutionError: no model has been trained yet (run `resolve` first).
        """
        rule = LinkRule() if threshold is None else LinkRule(threshold, threshold)
        return _explain.explain_pair(self.store, a, b, rule=rule)

    def explain_record(self, record: tuple[str, str] | RecordRef) -> RecordExplanation:
        """Why a record is in its customer: the chain of links to each of its other records.

        Raises:
            NotFoundError: the record is not in the store.
            ResolutionError: nothing has been resolved yet (run `resolve` first).
        """
        return _explain.explain_record(self.store, record)

    def report(
        self,
        customer_id: str | None = None,
        *,
        since: datetime | date | None = None,
        until: datetime | date | None = None,
        channel: str | None = None,
    ) -> CxReport:
        """CX measures from the unified timeline: for the whole store, or for one customer.

        Repeat contacts, channel hops, first-contact resolution, time to resolution,
        contacts per customer by channel and an effort indicator, overall and by the
        channel a case started on (definitions: docs/measures.md). Interactions that belong
        to no customer yet are counted apart in `contacts.unresolved`. Store-wide reports
        stream cases and aggregate in the database, in bounded memory.

        Args:
            customer_id: report on this customer (a merged ID stands for its survivor):
                its interactions, and every case it had a contact on.
            since: only interactions at or after this time, and cases that started then
                (a date is midnight UTC; a naive datetime is UTC).
            until: only interactions before this time (exclusive); cases are seen as they
                stood then.
            channel: only interactions on this channel, and cases that started on it.

        Raises:
            NotFoundError: no customer has this ID.
            InputError: `since` is not before `until`.
        """
        from cx360.profile._measures import build_report

        return build_report(self.store, customer_id, since=since, until=until, channel=channel)

    def profile(
        self,
        *,
        phone: str | None = None,
        email: str | None = None,
        national_id: str | None = None,
        handle: str | None = None,
        customer_id: str | None = None,
        record: tuple[str, str] | RecordRef | None = None,
        country: str | None = None,
        rules: SurvivorshipRules | None = None,
        limit: int = 50,
    ) -> ProfileLookup:
        """Look a customer up by exactly one identifier and build the unified profile.

        The identifier may be typed in any format: it is normalized as ingest does (a
        phone in national format needs `country`). Check `status` before using the result:

        - `found`: `profile` is the customer's (a `customer_id` merged into another gives
          the survivor's, with `alias` set), or, for a record `resolve()` has not assigned
          yet, a `provisional` profile of that record alone. Unresolved records that
          hold the identifier are listed in `unresolved`, never dropped silently.
        - `ambiguous`: a placeholder (`reason='placeholder'`) or an identifier held by
          several customers (`reason='shared'`, see `candidates`); `profile` is None.
        - `not_found`: `reason` 'no_match' or 'invalid'; `profile` is None.

        Args:
            phone, email, national_id, handle: an identifier as typed.
            customer_id: a customer id (or a merged-away alias of one).
            record: a record as `(source, source_record_id)`.
            country: ISO alpha-2 country for reading a phone or national ID.
            rules: survivorship rules for this call (default: the hub's).
            limit: interactions in `profile.interactions` (newest first); the total is
                `profile.interaction_count`.

        Raises:
            InputError: not exactly one identifier, an empty one, `country` with an
                identifier it does not apply to, or a national-format phone without it.
        """
        query = parse_query(
            phone=phone,
            email=email,
            national_id=national_id,
            handle=handle,
            customer_id=customer_id,
            record=record,
            country=country,
        )
        chosen = rules or self.survivorship
        return retry_on_lost_connection(lambda: lookup_profile(self.store, query, chosen, limit))

    def context(
        self,
        *,
        phone: str | None = None,
        email: str | None = None,
        national_id: str | None = None,
        handle: str | None = None,
        customer_id: str | None = None,
        record: tuple[str, str] | RecordRef | None = None,
        country: str | None = None,
        rules: SurvivorshipRules | None = None,
    ) -> ContextLookup:
        """The compact card for an agent: the same lookup as `profile()`, a smaller result.

        `context` (set when `status == 'found'`) holds the best name, identifiers already
        verified on some channel, open cases, the last 5 interactions, the preferred and
        last-used channels, and consents. Same arguments, statuses and errors as `profile()`.
        """
        query = parse_query(
            phone=phone,
            email=email,
            national_id=national_id,
            handle=handle,
            customer_id=customer_id,
            record=record,
            country=country,
        )
        chosen = rules or self.survivorship
        return retry_on_lost_connection(lambda: lookup_context(self.store, query, chosen))

    def export(self, path: str | os.PathLike[str]) -> int:
        """Write one row per channel record: `source, source_record_id, customer_id`.

        CSV, or Parquet when the file name ends in `.parquet`; returns the rows written.
        Records not resolved yet have an empty customer_id.
        """
        from cx360.profile._export import export_assignments

        return export_assignments(self.store, path)

    def quarantined(self, batch_id: int | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Quarantined rows (newest first): reason code, column, row number and the row as given."""
        query = select(
            quarantine.c.batch_id,
            quarantine.c.kind,
            quarantine.c.row_number,
            quarantine.c.reason,
            quarantine.c.column_name,
            quarantine.c.raw,
        ).order_by(quarantine.c.id.desc())
        if batch_id is not None:
            query = query.where(quarantine.c.batch_id == batch_id)
        with self.store.connection() as conn:
            return [dict(row._mapping) for row in conn.execute(query.limit(limit))]
