"""The `Hub`: the one object channel apps and jobs hold. It composes the layers below."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cx360._errors import ConfigurationError, InputError, StoreNotFoundError
from cx360._store_reads import (
    channels,
    has_channel,
    quarantined_rows,
    store_status,
    top_customers,
)
from cx360.ingest import (
    MappingLike,
    as_mapping,
    declared_mapping,
    ingest_file,
    ingest_objects,
    named_row,
)
from cx360.ingest._declared import declare, read_declarations
from cx360.ingest._readers import RowSource
from cx360.ingest._single import record_interaction
from cx360.models import (
    AccessEntry,
    AttributeKind,
    ColumnMapping,
    ConsentEvent,
    ConsentStatus,
    ContactPermission,
    ContextLookup,
    CustomerSummary,
    CxReport,
    DeclaredAttribute,
    ErasureReceipt,
    IngestResult,
    InteractionResult,
    Match,
    Override,
    PairExplanation,
    ProfileLookup,
    ProfileRow,
    QuarantinedRow,
    RecordExplanation,
    RecordRef,
    ResolveReport,
    RetentionReport,
    StoreStatus,
    SubjectAccess,
)
from cx360.privacy import _calls as privacy
from cx360.privacy._access import Reader
from cx360.profile._lookup import lookup_context, lookup_profile, parse_query, record_ref
from cx360.profile._survivorship import DEFAULT_RULES, SurvivorshipRules
from cx360.resolve import (
    DEFAULT_SOLE_HOLDER_MATCH_WEIGHT,
    GuardLimits,
    ResolveOptions,
    _explain,
    _overrides,
    resolve_store,
)
from cx360.resolve._evidence import LinkRule
from cx360.resolve._run_state import last_finished_run
from cx360.resolve._spark import SparkOptions
from cx360.resolve.realtime import RealtimeResolver
from cx360.store import Store, resolve_store_url, retry_on_lost_connection
from cx360.store._dialects import strategy_for

RecordLike = Mapping[str, Any] | BaseModel


def connect(
    url: str | os.PathLike[str] | None = None,
    *,
    survivorship: SurvivorshipRules | None = None,
    create: bool = True,
) -> Hub:
    """Open a hub on a store, creating and migrating it if needed.

    Args:
        url: a SQLAlchemy URL (`sqlite:///path.db`, `postgresql://user@host/db`) or a file
            path for SQLite. Defaults to `$CX360_STORE`, else `sqlite:///cx360.db`.
        survivorship: the golden-record rules of profiles (default: `SurvivorshipRules()`).
        create: False to refuse a store that does not exist yet instead of creating an
            empty one (for reads: a mistyped path would otherwise answer "nothing found").

    Raises:
        StoreNotFoundError: `create` is False and there is no SQLite file at the path, or
            the database holds no cx360 schema.
    """
    resolved = resolve_store_url(url)
    if not create:
        _require_existing_store(resolved)
    return Hub(Store(resolved), survivorship=survivorship)


def shown_url(url: str) -> str:
    """A store URL as it may be shown: its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # an unparseable URL fails when opened, with its own error
        return "(invalid URL)"


def _require_existing_store(url: str) -> None:
    """Raise `StoreNotFoundError` unless `url` names a database holding cx360's schema."""
    has_schema = strategy_for(url).has_schema()
    if has_schema is None:
        raise StoreNotFoundError(
            f"no store at {shown_url(url)}: the file does not exist (a store is "
            "created when records are first ingested)"
        )
    if not has_schema:
        raise StoreNotFoundError(
            f"no store at {shown_url(url)}: the database holds no cx360 schema (a store "
            "is created when records are first ingested)"
        )


class Hub:
    """Customer 360 over one store: ingest channel records and interactions, and more."""

    def __init__(self, store: Store, *, survivorship: SurvivorshipRules | None = None) -> None:
        self._store = store
        self.survivorship = survivorship or DEFAULT_RULES
        self._realtime: RealtimeResolver | None = None  # made on the first real-time call

    @property
    def url(self) -> str:
        """The store's URL, its password hidden (for display)."""
        return shown_url(self._store.url)

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
        self._realtime = None
        self._store.close()

    def configure_source(
        self, name: str, *, default_country: str | None = None, priority: int = 0
    ) -> None:
        """Set a source's default country and its priority for survivorship."""
        self._store.configure_source(name, default_country=default_country, priority=priority)

    def declare_attribute(
        self, name: str, *, kind: AttributeKind = "identifier", column: str | None = None
    ) -> int:
        """Match on a column of your own data besides the input contract's.

        `kind="identifier"`: a number that names one person, as a loyalty card, a customer
        number or a passport does. Its values are normalized (letters and digits only,
        case-folded; placeholders such as ``0000``, ``N/A`` or ``none`` are no value; a
        cell may hold several, separated by ``;`` ``,`` ``/`` or ``|``) and used as a
        national ID is: records sharing one are compared (batch, incremental runs and
        `resolve_record` alike), a shared value is identifier evidence, and the matching
        model, trained again on the next `resolve`, weighs a shared value and two
        different values of the attribute. Values of two attributes never match.

        The compared kinds are evidence the model weighs, never a reason to compare two
        records (no candidate pairs come from them): one more comparison named after the
        attribute, trained with the others on the next `resolve` and scored alike by
        batch, incremental runs and `resolve_record`:

        - ``"exact"``: text case-folded and trimmed (a membership tier, a plan code):
          equal or not;
        - ``"text"``: folded as names are (no accents, no punctuation; an employer, a
          school): equal, Jaro-Winkler ≥ 0.92, ≥ 0.80, or else;
        - ``"date"``: read as birth dates are read, without their range checks (a first
          purchase, a contract): equal, one typo or day and month swapped, within a year;
        - ``"number"``: ``12,5`` and ``12.5`` alike (a credit limit, a household size):
          equal, within 1%, within 10%.

        A value that cannot be read (a date or a number that is none) is no value for the
        comparison and is flagged among the record's issues (``"<name>:unparseable"``);
        the raw row keeps it. A compared attribute cannot take the name of a contract
        column or of one of the model's comparisons.

        The declaration is kept in the store, for every later ingest and resolution in any
        process; declaring again replaces it. The records already stored are read again
        from their raw rows (the extra columns ingest kept).

        Args:
            name: the attribute's name: lowercase letters, digits and ``_``, up to 32.
            kind: 'identifier', 'exact', 'text', 'date' or 'number'.
            column: the input column (record key) holding it; default: `name`.

        Returns:
            How many stored records' identifiers or compared values changed.

        Raises:
            ConfigurationError: a name or kind cx360 does not take.
        """
        try:
            attribute = DeclaredAttribute(name=name, kind=kind, column=column or name)
        except ValidationError as error:
            problem = error.errors()[0]["msg"]
            raise ConfigurationError(f"attribute {name!r}: {problem}") from None
        changed = declare(self._store, attribute)
        self._realtime = None  # its cached declarations are stale
        return changed

    def declared_attributes(self) -> list[DeclaredAttribute]:
        """The attributes the store matches on besides the input contract's columns."""
        with self._store.connection() as conn:
            return list(read_declarations(conn))

    def ingest(
        self,
        records: Iterable[RecordLike] | None = None,
        interactions: Iterable[RecordLike] | None = None,
        *,
        mapping: ColumnMapping | Mapping[str, str | list[str]] | None = None,
    ) -> IngestResult:
        """Store channel records and interactions given as dicts or pydantic objects.

        Idempotent: the same `(source, source_record_id)` or `interaction_id` again updates
        (keeping history) or changes nothing. A row without its key is quarantined with a
        reason code; a bad value elsewhere keeps the row with that field unknown, listed
        in its `issues` and counted in `IngestReport.value_issues` (docs/input-contract.md).

        Args:
            records: channel records; keys are read as a file's header is: the contract's
                names in any case, and common English and Spanish names.
            interactions: interactions, likewise.
            mapping: which key holds which contract column, a source for every row, more
                case-status words (`ColumnMapping`, or a `{column: key}` dict).
        """
        result = IngestResult()
        if records is not None:
            result.records = ingest_objects(self._store, "records", records, mapping=mapping)
        if interactions is not None:
            result.interactions = ingest_objects(
                self._store, "interactions", interactions, mapping=mapping
            )
        return result

    def ingest_files(
        self,
        records: str | os.PathLike[str] | None = None,
        interactions: str | os.PathLike[str] | None = None,
        *,
        workers: int | None = None,
        progress: Callable[[RowSource, int], None] | None = None,
        mapping: ColumnMapping | Mapping[str, str | list[str]] | None = None,
        delimiter: str | None = None,
        encoding: str | None = None,
        format: str | None = None,
    ) -> IngestResult:
        """Stream CSV, JSON Lines, JSON or Parquet files of records and interactions into
        the store; '-' reads standard input.

        The delimiter (`,` `;` tab `|`) and the encoding (UTF-8 with or without a BOM,
        UTF-16, cp1252) are detected, and columns are mapped as `ingest` maps keys; the
        report's `mapping` says what was used (docs/input-contract.md).

        Args:
            mapping: which column holds which contract column, a source for every row,
                vocabulary (`ColumnMapping`, or a `{contract column: input column}` dict).
            delimiter, encoding: force them.
            format: 'csv', 'jsonl', 'json' or 'parquet' (else from the file name; for
                standard input, from its first bytes).

        Raises:
            SchemaError: a file lacks required columns (nothing is written).
            InputFormatError: no such file, an unknown format, an unreadable file.
        """
        options: dict[str, Any] = {
            "workers": workers,
            "progress": progress,
            "mapping": mapping,
            "delimiter": delimiter,
            "encoding": encoding,
            "fmt": format,
        }
        result = IngestResult()
        if records is not None:
            result.records = ingest_file(self._store, records, "records", **options)
        if interactions is not None:
            result.interactions = ingest_file(self._store, interactions, "interactions", **options)
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
        spark: SparkOptions | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> ResolveReport:
        """Resolve every stored record into customers with stable IDs.

        The matching model (Fellegi-Sunter: how much each kind of agreement between two
        records weighs) is trained on the store's own data the first time (and when
        `retrain` is set), saved in the store, and reused afterwards. After the first run,
        a run scores only pairs involving records new or changed since the last one
        (`report.mode == "incremental"`) and gives the customers a full run would; `full`
        scores every pair again. A retrain, other link weights or other `limits` than the
        last run's always make a full run.

        Pairs of records that share an identifier link at or above `match_weight` (log2
        odds); pairs that share only names need `name_only_match_weight`. Left None, each
        is derived from the store: its default lowered where the store's scored pairs
        show more matches than the model's prior expects (see `cx360.resolve._evidence`).
        A record (or group of records) whose contact identifiers (e-mail, phone, national
        ID, handle) only one customer holds joins it through pairs down to
        `sole_holder_match_weight` when the guards allow (a WhatsApp record with only a
        phone); None turns these sole-holder links off.

        `engine="spark"` runs Splink's part (training, blocking, scoring) on Spark
        (`pip install 'cx360[spark]'`, docs/spark.md), as `spark` says (`SparkOptions`:
        a SparkSession you hold, or the master, work directory and settings of one cx360
        starts; default: `local[*]` and a local temporary directory). Matching models
        trained on either engine are the same and serve both.

        `progress`, when given, is called with the name of each stage as it starts
        ("load", "train", "score", "components", "cluster", "write").

        Raises:
            ConfigurationError: Spark options without `engine="spark"`, or no Java.
            MissingDependencyError: `engine="spark"` without pyspark installed.
        """
        if engine == "spark":
            spark = spark or SparkOptions()
        elif spark is not None:
            raise ConfigurationError("Spark options apply only with engine='spark'")
        options = ResolveOptions(
            match_weight=match_weight,
            name_only_match_weight=name_only_match_weight,
            sole_holder_match_weight=sole_holder_match_weight,
            retrain=retrain,
            full=full,
            limits=limits or GuardLimits(),
            engine=engine,
            spark=spark,
            progress=progress,
        )
        return resolve_store(self._store, options)

    def resolve_record(
        self, record: RecordLike, *, mapping: MappingLike | None = None, explain: bool = False
    ) -> Match:
        """Store one channel record and resolve it into a customer now, as batch would.

        The record is stored as `ingest` stores it (the same `(source, source_record_id)`
        again updates it, keeping history, or changes nothing) and, in the same
        transaction, matched against the records sharing a blocking key with it, scored
        with the latest matching model, and put in the first candidate customer, strongest
        pair first, that the over-merge guards allow, when that pair reaches the last
        run's link weight (further candidate customers that fit merge into it, as a batch
        run would merge customers the record bridges); else in a new customer. Concurrent
        calls from other processes on the same person take turns (see docs/realtime.md).

        Check `status`: 'matched', 'merged' (`merged_customers` are now aliases of
        `customer_id`), 'new', 'ambiguous' (pairs with two or more customers, some kept
        apart by the guards: see `alternatives`), 'unchanged' (the same record again), or
        'unresolved' (stored, but no matching model yet: run `resolve()` once).

        Args:
            record: the record, as a dict or `ChannelRecord`; keys are read as `ingest`
                reads them: the contract's names in any case, and common English and
                Spanish names (`Nombre`, `Correo electrónico`, `Mobile Phone`, ...).
            mapping: which key holds which contract column and a source for the record,
                as for `ingest` (`ColumnMapping`, or a `{column: key}` dict).
            explain: also give the deciding pair's waterfall (`Match.explanation`, as
                `explain_pair` gives it); off by default, since a channel app needs the
                customer now and the waterfall costs a second scoring of the pair.

        Raises:
            SchemaError: a row ingest would quarantine (no key, an unreadable
                timestamp, a value of the wrong type, ...); `column` names the column.
                Nothing is stored.
        """
        given = record.model_dump() if isinstance(record, BaseModel) else record
        chosen = as_mapping(mapping)
        if chosen is not None and chosen.attributes:
            before = self.declared_attributes()
            declared_mapping(self._store, chosen)
            if self.declared_attributes() != before:
                self._realtime = None  # its cached declarations are stale
        row, plan = named_row("records", given, chosen)
        if plan is not None and plan.source is not None:
            row = {**row, "source": plan.source}
        calls = self._realtime_calls()
        return retry_on_lost_connection(
            lambda: calls.resolve(row, explain=explain), self._store.forget_connections
        )

    def record_interaction(
        self,
        row: Mapping[str, Any] | None = None,
        /,
        *,
        mapping: MappingLike | None = None,
        **columns: Any,
    ) -> InteractionResult:
        """Add one interaction to the timeline now (the input contract's columns).

        The columns come as keyword arguments, or as a dict (keys read as `ingest` reads
        a header: any case, common English and Spanish names), or both: `source`,
        `source_record_id` and `interaction_id` (required), `occurred_at`, `type`,
        `status`, `case_id`, `summary`, and any extra column (kept in the raw row).
        `mapping` as for `ingest` (which key holds which column, a source, more
        case-status words). Idempotent by `interaction_id`: the same content again
        changes nothing; new content (a case going from open to resolved) updates it and
        keeps the previous version in the interaction's history.

        Raises:
            SchemaError: a row ingest would quarantine; `column` names the column.
                Nothing is stored and nothing is quarantined: the caller has the error.
        """
        named, plan = named_row("interactions", {**(row or {}), **columns}, mapping)
        return retry_on_lost_connection(
            lambda: record_interaction(self._store, named, plan), self._store.forget_connections
        )

    def _realtime_calls(self) -> RealtimeResolver:
        if self._realtime is None:
            self._realtime = RealtimeResolver(self._store)
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
        return _overrides.add_override(self._store, "link", a, b, reason=reason, by=by)

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
        return _overrides.add_override(self._store, "separate", a, b, reason=reason, by=by)

    def revoke_override(self, override_id: int, *, reason: str, by: str) -> Override:
        """Revoke a steward override; the next `resolve()` returns to the scores' decision.

        The override stays in the store with who revoked it, when and why.

        Raises:
            NotFoundError: no override has this id.
            InputError: it is already revoked, or the reason or `by` is empty.
        """
        return _overrides.revoke_override(self._store, override_id, reason=reason, by=by)

    def overrides(self, include_revoked: bool = False) -> list[Override]:
        """The steward overrides, oldest first: the active ones, or all with `include_revoked`."""
        return _overrides.list_overrides(self._store, include_revoked=include_revoked)

    def explain_pair(
        self,
        a: tuple[str, str] | RecordRef,
        b: tuple[str, str] | RecordRef,
        *,
        threshold: float | None = None,
    ) -> PairExplanation:
        """Why two records score what they do: the matching model's waterfall and the guards'
        verdict.

        Args:
            a: a record as `(source, source_record_id)`.
            b: the other record.
            threshold: link threshold (match weight) to compare with, for any pair; by
                default the ones resolution uses (higher for pairs that share only names).

        Raises:
            NotFoundError: a record is not in the store.
            ResolutionError: no matching model has been trained yet (run `resolve` first).
        """
        rule = self._last_rule() if threshold is None else LinkRule(threshold, threshold)
        return _explain.explain_pair(self._store, a, b, rule=rule)

    def _last_rule(self) -> LinkRule:
        """The link rule the last resolution run used (its link weights may be derived
        from the store), as real time uses it; the defaults before any run."""
        with self._store.connection() as conn:
            last = last_finished_run(conn)
        return last.state.rule if last is not None and last.state is not None else LinkRule()

    def explain_record(self, record: tuple[str, str] | RecordRef) -> RecordExplanation:
        """Why a record is in its customer: the chain of links to each of its other records.

        Raises:
            NotFoundError: the record is not in the store.
            ResolutionError: nothing has been resolved yet (run `resolve` first).
        """
        return _explain.explain_record(self._store, record)

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
            InputError: `since` is not before `until`, or no record or interaction comes
                from `channel` (a misspelt channel would report zeros as if true).
        """
        from cx360.profile._measures import build_report

        if channel is not None and not has_channel(self._store, channel):
            known = ", ".join(self.channels()) or "none yet"
            raise InputError(f"unknown channel {channel!r}: the store knows {known}")

        return build_report(self._store, customer_id, since=since, until=until, channel=channel)

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
        actor: str | None = None,
        purpose: str | None = None,
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
            actor, purpose: who reads and why: the read is written to the access log
                (`access_log`); nothing is logged without an actor.

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
        reader = Reader.of(actor, purpose)
        return retry_on_lost_connection(
            lambda: lookup_profile(self._store, query, chosen, limit, reader),
            self._store.forget_connections,
        )

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
        actor: str | None = None,
        purpose: str | None = None,
    ) -> ContextLookup:
        """The compact card for an agent: the same lookup as `profile()`, a smaller result.

        `context` (set when `status == 'found'`) holds the best name, identifiers already
        verified on some channel, open cases, the last 5 interactions, the preferred and
        last-used channels, consents and their current state. Same arguments, statuses and
        errors as `profile()`; with an `actor`, the read is written to the access log.
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
        reader = Reader.of(actor, purpose)
        return retry_on_lost_connection(
            lambda: lookup_context(self._store, query, chosen, reader),
            self._store.forget_connections,
        )

    def export(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
    ) -> int:
        """Write one row per channel record: `source, source_record_id, customer_id`.

        The format follows the file name (`.csv`, `.parquet`, `.jsonl`, `.json`) unless
        `format` names it; '-' writes to standard output (CSV by default). Records not
        resolved yet have an empty customer_id. Returns the rows written.

        Raises:
            InputError: a file name that says no known format, or an unknown `format`.
        """
        from cx360.profile._export import export_assignments

        return export_assignments(self._store, path, format)

    def export_profiles(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        rules: SurvivorshipRules | None = None,
        actor: str | None = None,
        purpose: str | None = None,
    ) -> int:
        """Write one row per customer: its golden values and the channel each came from,
        valid identifiers, channels, counts and open cases (`ProfileRow`'s columns).

        Streamed: customers are read in chunks, memory stays flat. The format follows the
        file name as for `export`; '-' writes to standard output. Returns the rows written.
        With an `actor`, the export is one entry of the access log (every customer read).

        Raises:
            InputError: a file name that says no known format, or an unknown `format`.
        """
        from cx360.profile._export import export_profiles

        reader = Reader.of(actor, purpose)
        written = export_profiles(self._store, path, rules or self.survivorship, format)
        if reader is not None:
            privacy.log_reads(self._store, reader, "export", [], every=written)
        return written

    def iter_profiles(self, *, rules: SurvivorshipRules | None = None) -> Iterator[ProfileRow]:
        """Yield one `ProfileRow` per customer, in customer-id order, streamed (what
        `export_profiles` writes). Records not resolved yet belong to no customer."""
        from cx360.profile._export import iter_profile_rows

        yield from iter_profile_rows(self._store, rules or self.survivorship)

    def quarantined(self, batch_id: int | None = None, limit: int = 1000) -> list[QuarantinedRow]:
        """Rows ingest set aside, newest first: reason code, column and its masked value.

        Args:
            batch_id: only this ingest batch (`IngestReport.batch_id`).
            limit: at most this many rows (`status().quarantined` counts them all).
        """
        return quarantined_rows(self._store, batch_id, limit)

    def status(self) -> StoreStatus:
        """What the store holds: records, customers, interactions, quarantined rows, the
        last resolution run and its matching model, and the schema revision."""
        return store_status(self._store, self.url)

    def channels(self) -> list[str]:
        """The channels (sources) the store has records or interactions from, sorted."""
        return channels(self._store)

    def top_customers(self, limit: int = 10) -> list[CustomerSummary]:
        """Customers seen on the most channels first, then those holding the most records."""
        return top_customers(self._store, limit)

    # -- the people in the store: consents, reads, subject access ----------------------

    def record_consent(
        self,
        purpose: str,
        status: ConsentStatus,
        *,
        customer_id: str | None = None,
        record: tuple[str, str] | RecordRef | None = None,
        channel: str | None = None,
        at: datetime | None = None,
        source: str,
        evidence: str | None = None,
        by: str | None = None,
    ) -> None:
        """Add a consent given, refused or withdrawn to the ledger (history is kept).

        Args:
            purpose: what the data may be used for ('marketing', 'service', 'profiling'...).
            status: 'granted', 'denied' or 'revoked'.
            customer_id, record: whose: exactly one. A record's consent follows the record
                through merges and splits; a customer's follows the customer ID.
            channel: the channel it applies to; None: every channel.
            at: when the person gave it (default: now).
            source: where it was given (a channel, a form, the caller's system).
            evidence, by: what shows it, and who records it.

        Raises:
            InputError: an unknown status, no purpose or source, not exactly one owner.
            NotFoundError: no such customer or record.
        """
        ref = None if record is None else record_ref(record)
        privacy.record_consent(
            self._store, customer_id=customer_id, record=ref, purpose=purpose, status=status,
            channel=channel, at=at, source=source, evidence=evidence, by=by,
        )  # fmt: skip

    def consents(self, customer_id: str) -> list[ConsentEvent]:
        """Every consent event of a customer, oldest first: its records' consent columns
        (current and earlier versions) and the recorded ones. Raises NotFoundError."""
        return privacy.consent_history(self._store, customer_id)

    def may_contact(self, customer_id: str, purpose: str, channel: str) -> ContactPermission:
        """Whether the customer may be contacted for `purpose` on `channel`: the latest
        consent for that purpose on that channel or on every channel decides; no consent
        on record is not a grant (`status='unknown'`). Raises NotFoundError."""
        return privacy.may_contact(self._store, customer_id, purpose, channel)

    def access_log(
        self,
        *,
        customer_id: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[AccessEntry]:
        """Reads of customers' data that said who read (newest first): of one customer
        (aliases and exports included), of one actor, or all."""
        return privacy.access_entries(
            self._store, customer_id=customer_id, actor=actor, since=since, limit=limit
        )

    def subject_access(
        self, customer_id: str, *, actor: str | None = None, purpose: str | None = None
    ) -> SubjectAccess:
        """Everything the store holds about a customer, as one document: records as given
        with their versions, interactions with theirs, consents, the profile, resolution
        links and steward decisions, and the access log (this read included when an
        `actor` is given). Raises NotFoundError."""
        reader = Reader.of(actor, purpose)

        def profile_of(owner: str) -> dict[str, Any] | None:
            found = self.profile(customer_id=owner, limit=1_000_000).profile
            return None if found is None else found.model_dump(mode="json")

        return privacy.subject_access_of(self._store, customer_id, profile_of, reader)

    def retain(
        self,
        *,
        interactions: timedelta | None = None,
        versions: timedelta | None = None,
        dry_run: bool = False,
    ) -> RetentionReport:
        """Purge interactions older than `interactions` (with their versions; those of a
        case still open are kept) and earlier versions of records and interactions
        replaced longer than `versions` ago. Current records stay whatever their age.
        `dry_run` counts without deleting.

        Raises:
            InputError: a period that is not positive.
        """
        from cx360.privacy._retention import retain

        return retain(
            self._store, interactions_for=interactions, versions_for=versions, dry_run=dry_run
        )

    # -- erasure -----------------------------------------------------------------------

    def erase(
        self,
        *,
        customer_id: str | None = None,
        record: tuple[str, str] | RecordRef | None = None,
        email: str | None = None,
        phone: str | None = None,
        national_id: str | None = None,
        handle: str | None = None,
        country: str | None = None,
        reason: str,
        by: str,
    ) -> ErasureReceipt:
        """Erase a person from the store: a customer (every record of it), one record,
        or every record holding an identifier (named as `profile` takes it: a phone a
        family shares erases every record holding it, as its first phone or a further one).

        The records go with their versions, interactions, scored pairs, links, the
        steward's overrides naming them, consent events, the quarantine rows holding
        their keys or identifiers, and their names from the model's frozen term
        frequencies when no other record holds them; a customer left with no record goes
        with its aliases. What remains of a customer that lost a record is resolved
        again (the erased record may have joined two halves: the larger keeps the ID).
        The keys and identifiers go on the suppression list (salted hashes), so a later
        ingest or `resolve_record` of them is set aside as 'erased' (`unsuppress` lets a
        person who comes back with fresh consent in again). One transaction; the receipt
        (`erasures`) says who, when, why and the rows removed per table, without
        personal data. `reason` and `by` must not hold personal data either.

        Raises:
            InputError: not exactly one subject, an invalid or placeholder identifier,
                an empty `reason` or `by`.
            NotFoundError: no customer with that `customer_id`.
        """
        from cx360.privacy._erase import check_customer, erase, subject_of

        subject = subject_of(
            customer_id=customer_id, record=record, email=email, phone=phone,
            national_id=national_id, handle=handle, country=country,
        )  # fmt: skip
        if subject.kind == "customer":
            check_customer(self._store, subject.value)
        (receipt,) = erase(self._store, [subject], reason=reason, by=by)
        self._realtime = None  # its cached term frequencies may hold an erased name
        return receipt

    def erase_many(
        self, subjects: Iterable[Mapping[str, Any]], *, reason: str, by: str
    ) -> list[ErasureReceipt]:
        """Erase many people at once: each item names one subject with `erase`'s keywords
        (`{"customer_id": ...}`, `{"email": ...}`, `{"phone": ..., "country": "CO"}`,
        `{"record": (source, id)}`). Written in chunks, each one transaction of whole
        erasures; one receipt per item, in order. A customer ID that names no customer
        (erased already) gets a receipt that removed nothing.

        Raises:
            InputError: an item that names no single valid subject (nothing is erased).
        """
        from cx360.privacy._erase import erase, subject_of

        parsed = [subject_of(**dict(item)) for item in subjects]
        receipts = erase(self._store, parsed, reason=reason, by=by)
        self._realtime = None
        return receipts

    def erasures(self, limit: int = 100) -> list[ErasureReceipt]:
        """Erasure receipts, newest first."""
        from cx360.privacy._erase import receipts

        return receipts(self._store, limit)

    def unsuppress(
        self,
        *,
        record: tuple[str, str] | RecordRef | None = None,
        email: str | None = None,
        phone: str | None = None,
        national_id: str | None = None,
        handle: str | None = None,
        country: str | None = None,
    ) -> int:
        """Take a record key or an identifier off the suppression list, for a person who
        came back with fresh consent: later ingests store it again. Returns how many
        entries were removed (0: it was not on the list).

        Raises:
            InputError: not exactly one of them, or an invalid identifier.
        """
        from cx360.privacy._erase import subject_of
        from cx360.privacy._suppress import unsuppress

        subject = subject_of(
            record=record, email=email, phone=phone, national_id=national_id,
            handle=handle, country=country,
        )  # fmt: skip
        return unsuppress(self._store, [(subject.kind, subject.value)])
