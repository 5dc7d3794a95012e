"""The Splink adapter: the only module that imports Splink.

Everything else speaks cx360's terms (records, features, models as dicts, edges as Arrow
tables). A `SplinkSession` runs Splink on a DuckDB connection in this process, or with
Splink's `SparkAPI` on a `SparkEngine` (`_spark.py`), tables going both ways as Parquet.

cx360's SQL (comparison levels, blocking rules, the queries below) is written once, in
DuckDB's dialect; on Spark it is translated with sqlglot (`_to_dialect`). Models are kept
in DuckDB's dialect whichever engine trained them (`_canonical`), so incremental and
real-time resolution read the same model JSON.
"""

from __future__ import annotations

import copy
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from cx360._errors import ResolutionError
from cx360.resolve._blocking import (
    MANY_KEYS,
    NAME,
    NAME_BLOCK_COLUMN,
    OTHERS_COLUMN,
    RULES,
    SPLINK_KEYS,
    name_block_sql,
)
from cx360.resolve._declared_comparisons import (
    comparisons_in_model,
    held_attributes,
    jaro_winkler,
)
from cx360.resolve._features import (
    COMPARISONS,
    DECLARED_NAMES,
    DECLARED_VALUES,
    FEATURE_COLUMNS,
    TF_COLUMNS,
    Comparison,
    comparisons_for,
    comparisons_of,
    declared_columns,
    splink_comparisons,
)

if TYPE_CHECKING:
    from cx360.resolve._spark import SparkEngine

log = logging.getLogger("cx360.resolve")
# Splink's own log (its warnings about levels it could not train, its progress): passed
# on here at DEBUG, seen only where the application asks for cx360's debug log.
SPLINK_LOG = logging.getLogger("cx360.resolve.splink")

# Below this many records a store is too small to learn from: EM has too few pairs and
# random sampling too few to estimate u, so the model keeps default parameters.
MIN_TRAINING_RECORDS = 50
# The prior of a model of default parameters (see `default_model`).
DEFAULT_PRIOR = 0.01
# Compared in a model of default parameters as telling nothing either way (see there).
_NEUTRAL_BY_DEFAULT = ("city", "postcode", "region")

# EM sessions: each one fixes the compared columns it blocks on, so together they
# estimate every comparison's m probabilities.
TRAINING_BLOCKS = (("phone_key",), ("given_key", "surname_key"), ("birth_date",), ("email_key",))
# Rules that find true matches with high precision, for the prior match probability.
# Name and birth date may carry one typo in one of the three: where no identifier is
# shared and every duplicate has one field typed wrong, exact agreement on all three finds
# almost no duplicates. Where the rules find no pair, the prior supposes this share of
# records has one duplicate (see `_estimate_prior`).
FALLBACK_DUPLICATED_SHARE = 0.1
DETERMINISTIC_RULES: tuple[str, ...] = (
    'l."national_id_key" = r."national_id_key" AND l."given_canonical" = r."given_canonical"',
    'l."email_key" = r."email_key" AND l."given_canonical" = r."given_canonical"',
    'l."phone_key" = r."phone_key" AND l."given_key" = r."given_key" '
    'AND l."surname_key" = r."surname_key"',
    'l."given_key" = r."given_key" AND l."surname_key" = r."surname_key" '
    'AND levenshtein(l."birth_date", r."birth_date") <= 1',
    'l."surname_key" = r."surname_key" AND l."birth_date" = r."birth_date" '
    'AND levenshtein(l."given_key", r."given_key") <= 1',
    'l."given_key" = r."given_key" AND l."birth_date" = r."birth_date" '
    'AND levenshtein(l."surname_key", r."surname_key") <= 1',
)


@dataclass
class SplinkRun:
    """Timings of the Splink steps, and notes for the user on how the model was made
    (a fallback prior, default parameters), for reports."""

    seconds: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    default_parameters: bool = False  # the model was not trained (see `default_model`)


class _ToDebugLog(logging.Handler):
    """Splink's log records, passed on to `SPLINK_LOG` at DEBUG with their level named."""

    def emit(self, record: logging.LogRecord) -> None:
        if SPLINK_LOG.isEnabledFor(logging.DEBUG):
            SPLINK_LOG.debug("%s: %s", record.levelname, record.getMessage())


def _route_splink_log() -> None:
    """Send the "splink" logger's records to `SPLINK_LOG` instead of stderr (with no
    handler anywhere, Python prints warnings there): a first resolve would print dozens
    of Splink's warnings about levels it could not train. A "splink" logger that has
    handlers already (the application's, or Splink's own from `splink.logging.enable`)
    is left as it is."""
    splink = logging.getLogger("splink")
    if splink.handlers:
        return
    splink.addHandler(_ToDebugLog())
    splink.propagate = False


def _records_sql(block_size: str, source: str, dirty: str) -> str:
    """The session's records: the features plus the columns blocking needs (DuckDB SQL)."""
    keys = "".join(f'{key.duckdb("i")} AS "{key.name}", ' for key in SPLINK_KEYS)
    return f"""
        SELECT i.*, {name_block_sql(block_size, "i")} AS "{NAME_BLOCK_COLUMN}", {keys}
            {dirty} AS is_dirty
        FROM {source}
        """


# The name block's columns, and its size: counted over the session's records, or read
# from the store's counts (`cx360_block_sizes`) when the session holds only some records.
_WINDOW_BLOCK_SIZE = f"count(*) OVER (PARTITION BY {', '.join(f'i.{c.column}' for c in NAME)})"
_JOINED_BLOCK_SIZES = "cx360_input i LEFT JOIN cx360_block_sizes b ON " + " AND ".join(
    f"i.{key.column} = b.{key.column}" for key in NAME
)


class _DuckDB:
    """Splink on a DuckDB connection in this process."""

    dialect = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        from splink import DuckDBAPI

        self.con = con
        self.db_api = DuckDBAPI(connection=con)

    def create_table(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE TABLE {name} AS {sql}")

    def create_view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE VIEW {name} AS {sql}")

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)


def register_jaro_winkler(spark: Any) -> None:
    """Spark's `jaro_winkler`, for declared text attributes: cx360's own as a Python UDF
    (`_declared_comparisons.jaro_winkler`, DuckDB's to the last bit). Spark has no
    Jaro-Winkler of its own, and the one in Splink's jar finds matching characters in
    another window, which would put some pairs in other levels than DuckDB and real time
    do. On a cluster, the executors need cx360 installed, as for any Python UDF."""
    from pyspark.sql.types import DoubleType

    spark.udf.register("jaro_winkler", _jaro_winkler_or_null, DoubleType())


def _jaro_winkler_or_null(left: str | None, right: str | None) -> float | None:
    return None if left is None or right is None else jaro_winkler(left, right)


class _Spark:
    """Splink's SparkAPI on a `SparkEngine`: tables go to Spark as Parquet files in the
    run's work directory, and query results come back the same way."""

    dialect = "spark"

    def __init__(self, engine: SparkEngine) -> None:
        from splink import SparkAPI

        self.engine = engine
        self.spark = engine.spark
        # cx360's comparisons use Spark's own functions (and its own Jaro-Winkler:
        # `register_jaro_winkler`), not the Scala UDFs in Splink's jar
        self.db_api = SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=engine.spark,
            break_lineage_method="parquet",
            register_udfs_automatically=False,
        )

    def create_table(self, name: str, sql: str) -> None:
        # written once, so Splink's many reads of it do not recompute the query
        self.spark.sql(_to_dialect(sql, "spark")).write.parquet(self.engine.uri(name))
        self.engine.frame(name).createOrReplaceTempView(name)

    def create_view(self, name: str, sql: str) -> None:
        self.create_table(name, sql)  # a table: a window over every record, computed once

    def query(self, sql: str) -> pa.Table:
        name = f"cx360_result_{uuid.uuid4().hex[:12]}"
        self.spark.sql(_to_dialect(sql, "spark")).write.parquet(self.engine.uri(name))
        return self.engine.read(name)

    def register(self, name: str, table: pa.Table) -> None:
        self.engine.write(name, table)
        self.engine.frame(name).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)


# What a session runs on: Splink's database API and plain SQL over one engine.
_Backend = _DuckDB | _Spark


class SplinkSession:
    """The records registered once with Splink, on a DuckDB connection or a `SparkEngine`.
    `dirty` (record ids), when given, marks the records an incremental run scores again (new
    or changed, and those of name blocks that have just outgrown the limit): predictions
    then cover only pairs with at least one of them. It comes with `block_sizes`
    (given_canonical, surname_key, records): the name blocks' sizes in the whole store, for
    a `table` that holds only some of its records."""

    def __init__(
        self,
        engine: duckdb.DuckDBPyConnection | SparkEngine,
        table: pa.Table,
        dirty: pa.Array | None = None,
        block_sizes: pa.Table | None = None,
    ) -> None:
        if dirty is not None and block_sizes is None:
            raise ResolutionError("an incremental session needs the store's name block sizes")
        self.num_rows = table.num_rows
        self.incremental = dirty is not None
        table, self.exploding_rules = _with_all_values(table)
        table, self.declared = _with_declared(table)
        self.compared = held_attributes(table)  # (name, kind) of declared compared attributes
        self._backend: _Backend = (
            _DuckDB(engine) if isinstance(engine, duckdb.DuckDBPyConnection) else _Spark(engine)
        )
        if isinstance(self._backend, _Spark) and any(k == "text" for _, k in self.compared):
            register_jaro_winkler(self._backend.spark)
        self._create_records(table, dirty, block_sizes)
        self._db_api = self._backend.db_api
        self._frame = self._db_api.register("cx360_records")
        self._frame_by_position: Any = None

    def _create_records(
        self, table: pa.Table, dirty: pa.Array | None, block_sizes: pa.Table | None
    ) -> None:
        backend = self._backend
        backend.register("cx360_input", table)
        source, block_size, dirty_sql = "cx360_input i", _WINDOW_BLOCK_SIZE, "FALSE"
        if block_sizes is not None:
            backend.register("cx360_block_sizes", block_sizes)
            source, block_size = _JOINED_BLOCK_SIZES, "b.records"
        if dirty is not None:
            backend.register("cx360_dirty", pa.table({"unique_id": dirty}))
            source += " LEFT JOIN cx360_dirty d ON i.unique_id = d.unique_id"
            dirty_sql = "d.unique_id IS NOT NULL"
        backend.create_table("cx360_records", _records_sql(block_size, source, dirty_sql))
        for name in ("cx360_input", "cx360_dirty", "cx360_block_sizes"):
            backend.unregister(name)

    @property
    def dialect(self) -> str:
        """The SQL dialect of the engine: "duckdb" or "spark"."""
        return self._backend.dialect

    def query(self, sql: str) -> pa.Table:
        """The result of a query in DuckDB's dialect over the session's tables
        (`cx360_records` and any registered), translated for the engine."""
        return self._backend.query(sql)

    def prediction_settings(self, model: dict[str, Any]) -> dict[str, Any]:
        """The model's settings to predict with in this session: blocked by this
        version's rules (`_blocking.RULES`, as real time and the incremental loader are,
        not the rules stored with a model trained before a rule was added), with the
        rules over every value of a key (`exploding_rules`) last, where some record holds
        several, and in an incremental session only the pairs with a dirty record."""
        rules = [{"blocking_rule": rule.splink_sql(), "sql_dialect": "duckdb"} for rule in RULES]
        missing = [rule for rule in self.exploding_rules if rule not in rules]
        settings = {**model, "blocking_rules_to_generate_predictions": [*rules, *missing]}
        return _dirty_only(settings) if self.incremental else settings

    def linker(self, settings: dict[str, Any]) -> Any:
        from splink import Linker

        _route_splink_log()
        # log_level None: Splink does not set up a handler of its own on stderr
        return Linker(self._frame, _to_dialect_settings(settings, self.dialect), log_level=None)

    def linker_by_position(self, settings: dict[str, Any]) -> Any:
        """A linker over the same records with `unique_id` their position in record-id
        order (1, 2, ...), for u's random sample: Splink draws it by hashing `unique_id`,
        and record IDs carry the store's history (a PostgreSQL sequence skips the IDs of
        an ingest that was rolled back; erased records leave holes), so equal records
        would give another sample, and another model. In a store without holes the
        positions are the IDs, and so is the sample."""
        from splink import Linker

        if self._frame_by_position is None:
            columns = self.query("SELECT * FROM cx360_records LIMIT 0").schema.names
            others = ", ".join(f'"{name}"' for name in columns if name != "unique_id")
            # BIGINT as record IDs are (int64): the same number hashes the same
            self._backend.create_view(
                "cx360_records_by_position",
                "SELECT CAST(row_number() OVER (ORDER BY unique_id) AS BIGINT) AS unique_id,"
                f" {others} FROM cx360_records",
            )
            self._frame_by_position = self._db_api.register("cx360_records_by_position")
        _route_splink_log()
        settings = _to_dialect_settings(settings, self.dialect)
        return Linker(self._frame_by_position, settings, log_level=None)


def _with_declared(table: pa.Table) -> tuple[pa.Table, bool]:
    """`table` with its records' declared identifiers as the declared comparison reads
    them (`_features.declared_columns`), and whether any record holds one (its first is
    its `declared_key`)."""
    names = table.column_names
    held = "declared_key" in names and table.column("declared_key").null_count < table.num_rows
    found: list[tuple[str | None, str | None]] = [(None, None)] * table.num_rows
    if held:
        columns = [c for c in ("declared_key", OTHERS_COLUMN) if c in names]
        found = [declared_columns(row) for row in table.select(columns).to_pylist()]
    for at, name in enumerate((DECLARED_VALUES, DECLARED_NAMES)):
        table = table.append_column(name, pa.array([pair[at] for pair in found], pa.string()))
    return table, held


def _with_all_values(table: pa.Table) -> tuple[pa.Table, list[dict[str, Any]]]:
    """`table` with, for each key some record holds several values of, the list of every
    record's values (`Key.all_values`), and the Splink rules that pair records sharing
    one; unchanged (and no rules) where each record holds one value at most: a store
    without such records blocks as it always did."""
    if OTHERS_COLUMN not in table.column_names:
        return table, []
    others = table.column(OTHERS_COLUMN)
    if others.null_count == len(others):
        return table, []
    rows = table.select([OTHERS_COLUMN, *(key.column for key in MANY_KEYS)]).to_pylist()
    rules: list[dict[str, Any]] = []
    for key in MANY_KEYS:
        if not any(key.others_of(row) for row in rows):
            continue
        values = [key.values_of(row) for row in rows]
        column = pa.array([found or None for found in values], pa.list_(pa.string()))
        table = table.append_column(key.all_values, column)
        rules.extend(
            found for rule in RULES if rule.many == key and (found := rule.splink_exploding())
        )
    return table, rules


def _to_dialect(sql: str, dialect: str) -> str:
    """SQL written for DuckDB, translated to `dialect`."""
    if dialect == "duckdb":
        return sql
    import sqlglot

    translated = str(sqlglot.transpile(sql, read="duckdb", write=dialect)[0])
    for name, registered in _FUNCTIONS_REGISTERED.get(dialect, {}).items():
        translated = translated.replace(f"{name}(", f"{registered}(")
    return translated


# Functions an engine has under another name than sqlglot writes: Jaro-Winkler on Spark
# is cx360's own, registered as `jaro_winkler` (`register_jaro_winkler`).
_FUNCTIONS_REGISTERED: dict[str, dict[str, str]] = {
    "spark": {"JAROWINKLER_SIMILARITY": "jaro_winkler"}
}


def _to_dialect_settings(settings: dict[str, Any], dialect: str) -> dict[str, Any]:
    """Splink settings (a model) written for DuckDB, with their SQL in `dialect`."""
    if settings.get("sql_dialect", "duckdb") == dialect:
        return settings
    out = copy.deepcopy(settings)
    out["sql_dialect"] = dialect
    for comparison in out["comparisons"]:
        for level in comparison["comparison_levels"]:
            if str(level["sql_condition"]).strip().upper() != "ELSE":
                level["sql_condition"] = _to_dialect(level["sql_condition"], dialect)
    for rule in out["blocking_rules_to_generate_predictions"]:
        rule["blocking_rule"] = _to_dialect(rule["blocking_rule"], dialect)
        rule.pop("sql_dialect", None)
    return out


def _canonical(trained: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """A model trained on another engine, with the SQL of `template` (the DuckDB settings
    it was trained from): the one model format that every part of cx360 reads."""
    if trained.get("sql_dialect") == template.get("sql_dialect"):
        return trained
    out = copy.deepcopy(trained)
    out["sql_dialect"] = template["sql_dialect"]
    for comparison, original in zip(out["comparisons"], template["comparisons"], strict=True):
        pairs = zip(comparison["comparison_levels"], original["comparison_levels"], strict=True)
        for level, source in pairs:
            level["sql_condition"] = source["sql_condition"]
    out["blocking_rules_to_generate_predictions"] = copy.deepcopy(
        template["blocking_rules_to_generate_predictions"]
    )
    return out


def _settings(comparisons: tuple[Comparison, ...] = COMPARISONS) -> dict[str, Any]:
    from splink import SettingsCreator

    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=list[Any](splink_comparisons(comparisons)),
        blocking_rules_to_generate_predictions=[
            {"blocking_rule": rule.splink_sql()} for rule in RULES
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    settings: dict[str, Any] = creator.get_settings("duckdb").as_dict()  # type: ignore[no-untyped-call]
    return settings


class UntrainableStoreError(ResolutionError):
    """The store's records cannot train a model (they are nearly all alike): the caller
    falls back to `default_model`."""


def default_model(comparisons: tuple[Comparison, ...] = COMPARISONS) -> dict[str, Any]:
    """A model of default parameters, for a store too small (or too uniform) to train on.

    m and u are left unset, which Splink and the real-time scorer read alike as Splink's
    defaults: each comparison's best level +10 in log2 odds, its last -5, the levels
    between spread evenly. Two things differ from a trained model's settings. There are
    no term-frequency adjustments: in a small store every value is frequent (one record
    in ten holding a name gives it a frequency of 0.1), and the adjustment would take
    most of every name's weight away. And a city tells nothing either way (m = u): many
    different people share one, and a small store cannot show how many. With the prior
    `DEFAULT_PRIOR`, a name alone (even with both surnames) stays below the name-only
    link weight, and a name with one more detail that agrees (a birth date, an address,
    an e-mail, a phone) is above the link weights.
    """
    settings = _settings(comparisons)
    # a declared attribute, as a city: how many people share a value, no small store shows
    compared = {c.name for c in comparisons_in_model(settings["comparisons"])}
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        neutral = name in _NEUTRAL_BY_DEFAULT or name in compared
        for level in comparison["comparison_levels"]:
            level.pop("tf_adjustment_column", None)
            level.pop("tf_adjustment_weight", None)
            if neutral and not level.get("is_null_level"):
                level["m_probability"] = level["u_probability"] = 0.5
    return {**settings, "probability_two_random_records_match": DEFAULT_PRIOR}


def has_trained_m(model: dict[str, Any]) -> bool:
    """Whether EM estimated any m probability: not where every session was skipped or
    failed, nor in a model of default parameters (its only m are neutral, equal to u)."""
    return any(
        level.get("m_probability") not in (None, level.get("u_probability"))
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
        if not level.get("is_null_level")
    )


def train_model(session: SplinkSession, run: SplinkRun | None = None) -> dict[str, Any]:
    """Train the Fellegi-Sunter model on the store's records (unsupervised: u by sampling,
    m by expectation maximisation); the model as a JSON-able dict. The levels trained
    apart (`Level.trained_apart`) are left out of the main EM sessions, their pairs
    counted at their comparison's last level, and learned afterwards with every other
    parameter fixed (`_train_levels_apart`)."""
    if session.num_rows < MIN_TRAINING_RECORDS:
        raise ResolutionError(
            f"too few records to train a matching model (need at least {MIN_TRAINING_RECORDS})"
        )
    run = run if run is not None else SplinkRun()
    started = time.perf_counter()
    settings = _settings(comparisons_for(session.declared, session.compared))
    linker = _estimate_prior(session, session.linker(settings), run.notes)
    max_pairs = min(5e6, max(1e5, session.num_rows * 20.0))
    # DuckDB samples in chunks to bound its memory; Spark spreads one sample over its
    # executors, where every chunk would be a round of jobs
    chunks = 1 if session.dialect == "spark" else 10
    sampler = session.linker_by_position(linker.misc.save_model_to_json())
    sampler.training.estimate_u_using_random_sampling(max_pairs=max_pairs, num_chunks=chunks)
    sampled = _canonical(sampler.misc.save_model_to_json(), settings)
    core = _without_levels_apart(sampled)
    linker = _run_em(session, session.linker(core), TRAINING_BLOCKS, run.notes)
    core = most_similar_strongest(_canonical(linker.misc.save_model_to_json(), core))
    model = _train_levels_apart(session, core, sampled, run.notes)
    trained = [c["output_column_name"] for c in model["comparisons"]]
    if trained != [c["output_column_name"] for c in settings["comparisons"]]:
        raise ResolutionError(f"training lost comparisons: the model has only {trained}")
    run.seconds["train"] = time.perf_counter() - started
    return model


def _run_em(
    session: SplinkSession,
    linker: Any,
    blocks: Sequence[tuple[str, ...]],
    notes: list[str],
) -> Any:
    """The linker after one EM session per block of `blocks` (sessions whose block is
    empty skipped; a failed one said in `notes`)."""
    from splink import block_on

    for cols in blocks:
        # An EM session takes its blocking columns' comparisons out of the model and sets
        # the prior to the block's until it ends: one that fails (an empty block, m
        # underflowing to 0) leaves them so. So empty blocks are skipped, and a failed
        # session's linker is rebuilt from the model as it stood before.
        if not _block_has_pairs(session, cols):
            log.info("EM session blocked on %s skipped: no two records share a value", cols)
            continue
        before = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*cols), estimate_without_term_frequencies=True
            )
        except Exception as error:  # Splink raises bare Exceptions and ValueErrors here
            note = f"EM session blocked on {', '.join(cols)} failed ({type(error).__name__})"
            log.info(note)
            notes.append(f"{note}: its comparisons keep the parameters they had")
            linker = session.linker(before)
    return linker


def _levels_apart() -> dict[str, frozenset[str]]:
    """Per comparison name, the labels of its levels trained apart (where it has any)."""
    return {
        comparison.name: frozenset(lv.label for lv in comparison.levels if lv.trained_apart)
        for comparison in COMPARISONS
        if any(lv.trained_apart for lv in comparison.levels)
    }


def _probability_or_zero(value: Any) -> float:
    # Splink writes a text in place of a level it did not observe in its sample
    return float(value) if isinstance(value, float) else 0.0


def _without_levels_apart(model: dict[str, Any]) -> dict[str, Any]:
    """The model without the levels trained apart: their pairs fall to their comparison's
    last level, whose u (where sampled) takes theirs in."""
    apart = _levels_apart()
    out = copy.deepcopy(model)
    for comparison in out["comparisons"]:
        labels = apart.get(comparison["output_column_name"])
        if not labels:
            continue
        levels = comparison["comparison_levels"]
        removed = [lv for lv in levels if lv.get("label_for_charts") in labels]
        kept = [lv for lv in levels if lv.get("label_for_charts") not in labels]
        last = kept[-1]
        if isinstance(last.get("u_probability"), float):
            last["u_probability"] += sum(
                _probability_or_zero(lv.get("u_probability")) for lv in removed
            )
        comparison["comparison_levels"] = kept
    return out


def _train_levels_apart(
    session: SplinkSession, core: dict[str, Any], sampled: dict[str, Any], notes: list[str]
) -> dict[str, Any]:
    """The trained model `core` with the levels trained apart put back (u from the random
    sample `sampled`, the full settings) and their m estimated by EM with every other m
    and every u fixed, in the first training block with pairs that leaves their comparison
    in play.

    So each parameter of `core` is the same with or without these levels, and a pair that
    is at none of them scores as it would without them: the rare levels cannot move the
    estimates that most pairs' scores rest on. A level EM could not estimate weighs as its
    comparison's last level (no evidence of its own).
    """
    apart = _levels_apart()
    if not apart:
        return core
    full = _with_levels_apart(core, sampled, apart)
    used = {
        column
        for comparison in COMPARISONS
        if comparison.name in apart
        for column in FEATURE_COLUMNS
        for level in comparison.levels
        if f'"{column}_l"' in level.sql
    }
    # With every other parameter held, one block's pairs estimate the few levels' m; each
    # further block would compute every comparison again for them
    blocks = [cols for cols in TRAINING_BLOCKS if not used & set(cols)]
    first = next((cols for cols in blocks if _block_has_pairs(session, cols)), None)
    linker = _run_em(session, session.linker(full), [first] if first else [], notes)
    trained = _canonical(linker.misc.save_model_to_json(), full)
    for comparison in trained["comparisons"]:
        for level in comparison["comparison_levels"]:
            level["fix_m_probability"] = False
        labels = apart.get(comparison["output_column_name"])
        if labels:
            _settle_levels_apart(comparison["comparison_levels"], labels)
    return trained


def _with_levels_apart(
    core: dict[str, Any],
    sampled: dict[str, Any],
    apart: dict[str, frozenset[str]],
) -> dict[str, Any]:
    """`core` with the levels trained apart back in their places (from `sampled`), every
    other level's m fixed for EM."""
    out = copy.deepcopy(core)
    for comparison, full in zip(out["comparisons"], sampled["comparisons"], strict=True):
        labels = apart.get(comparison["output_column_name"], frozenset())
        by_label = {lv.get("label_for_charts"): lv for lv in comparison["comparison_levels"]}
        levels = []
        for level in full["comparison_levels"]:
            label = level.get("label_for_charts")
            if label in labels:
                added = copy.deepcopy(level)
                added.pop("m_probability", None)
                levels.append(added)
            else:
                levels.append(by_label[label])
                by_label[label]["fix_m_probability"] = True
        comparison["comparison_levels"] = levels
    return out


def _settle_levels_apart(levels: list[dict[str, Any]], labels: frozenset[str]) -> None:
    """Each level trained apart, in place: weighing as the last level where EM or the
    sample left its m or u unestimated, and never above the most similar level (as
    `most_similar_strongest` keeps it)."""
    last = levels[-1]
    first = next(lv for lv in levels if not lv.get("is_null_level"))
    ceiling = _bayes_factor(first)
    for level in levels:
        if level.get("label_for_charts") not in labels:
            continue
        factor = _bayes_factor(level)
        if factor is None or level["m_probability"] <= 0.0:
            level["m_probability"] = last.get("m_probability")
            level["u_probability"] = last.get("u_probability")
        elif ceiling is not None and factor > ceiling:
            level["m_probability"] = ceiling * level["u_probability"]


def most_similar_strongest(model: dict[str, Any]) -> dict[str, Any]:
    """The model with each comparison's most similar level weighing at least as much as
    any other of its levels: its m raised until its Bayes factor (m / u) is the largest.

    EM assumes that comparisons are independent given a match. Where each duplicate
    carries one error in one field, they are not: among the pairs of a block on exact
    names, the true ones are those whose error is in the birth date, so EM learns that
    true pairs rarely agree on the date, and that a date one typo away is stronger
    evidence than an equal one. Exact agreement is never weaker evidence than a typo.
    """
    out = copy.deepcopy(model)
    for comparison in out["comparisons"]:
        trained: list[dict[str, Any]] = [
            level
            for level in comparison["comparison_levels"]
            if not level.get("is_null_level") and _bayes_factor(level) is not None
        ]
        first = next(lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level"))
        if len(trained) < 2 or trained[0] is not first:
            continue  # the most similar level untrained, or nothing to compare it with
        top: dict[str, Any] = trained[0]
        others = trained[1:]
        best = max(float(_bayes_factor(level) or 0.0) for level in others)
        if float(_bayes_factor(top) or 0.0) < best:
            # m is a probability: a common value's exact level cannot weigh more than 1/u
            top["m_probability"] = min(1.0, best * float(top["u_probability"]))
    return out


def _bayes_factor(level: dict[str, Any]) -> float | None:
    """m / u of a trained level (None where either is unset, or u is 0)."""
    m, u = level.get("m_probability"), level.get("u_probability")
    if not isinstance(m, float) or not isinstance(u, float) or u <= 0.0:
        return None
    return m / u


def _estimate_prior(session: SplinkSession, linker: Any, notes: list[str]) -> Any:
    """The linker with the prior match probability estimated from the pairs the
    deterministic rules find; where they find none (Splink would set it to 0, and every
    later step fail on log2(0)), a fallback prior weak enough that the comparisons, not
    the prior, decide, said in `notes` and the log. Raises `UntrainableStoreError` where they
    find most of all pairs (the records are nearly all alike)."""
    rules = [_to_dialect(rule, session.dialect) for rule in DETERMINISTIC_RULES]
    try:
        linker.training.estimate_probability_two_random_records_match(rules, recall=0.7)
    except ValueError as error:
        # Splink refuses when the rules find more pairs than a recall of 0.7 allows
        raise UntrainableStoreError("the training rules match most pairs of records") from error
    model = linker.misc.save_model_to_json()
    if model.get("probability_two_random_records_match", 0.0) > 0.0:
        return linker
    # share × n / 2 pairs of the n(n-1)/2
    fallback = FALLBACK_DUPLICATED_SHARE / max(session.num_rows - 1, 1)
    note = (
        f"the deterministic training rules found no matching pair among "
        f"{session.num_rows} records: prior match probability set to {fallback:.3g} "
        f"(one record in {round(1 / FALLBACK_DUPLICATED_SHARE)} with a duplicate)"
    )
    log.info(note)
    notes.append(note)
    return session.linker({**model, "probability_two_random_records_match": fallback})


def _block_has_pairs(session: SplinkSession, columns: Sequence[str]) -> bool:
    """Whether two records agree on every one of `columns` (the block makes a pair)."""
    quoted = ", ".join(f'"{c}"' for c in columns)
    present = " AND ".join(f'"{c}" IS NOT NULL' for c in columns)
    rows = session.query(
        f"SELECT 1 AS found FROM cx360_records WHERE {present} "
        f"GROUP BY {quoted} HAVING count(*) > 1 LIMIT 1"
    )
    return bool(rows.num_rows > 0)


def term_frequency_tables(session: SplinkSession) -> dict[str, pa.Table]:
    """Each frequency-adjusted column's values and relative frequencies, as Splink computes
    them (count of the value / count of non-null values), to freeze with a model."""
    return {
        column: session.query(
            f"""
            SELECT "{column}" AS value,
                   CAST(count(*) AS DOUBLE) / (SELECT count("{column}") FROM cx360_records)
                       AS frequency
            FROM cx360_records WHERE "{column}" IS NOT NULL GROUP BY 1 ORDER BY 1
            """
        )
        for column in TF_COLUMNS
    }


def _dirty_only(model: dict[str, Any]) -> dict[str, Any]:
    """The model with every prediction block limited to pairs touching a dirty record."""
    rules = [
        {**rule, "blocking_rule": f'({rule["blocking_rule"]}) AND (l."is_dirty" OR r."is_dirty")'}
        for rule in model["blocking_rules_to_generate_predictions"]
    ]
    return {**model, "blocking_rules_to_generate_predictions": rules}


def predict_edges(
    session: SplinkSession,
    model: dict[str, Any],
    *,
    min_match_weight: float,
    frequencies: dict[str, pa.Table] | None = None,
    run: SplinkRun | None = None,
) -> pa.Table:
    """Score candidate pairs with a trained model: (unique_id_l, unique_id_r, match_weight)
    for every pair at or above `min_match_weight` (l < r). With `frequencies` (frozen
    with the model) term-frequency adjustments use them instead of the data's own; in an
    incremental session only pairs with a dirty record are scored."""
    started = time.perf_counter()
    linker = session.linker(session.prediction_settings(model))
    for column, tf in (frequencies or {}).items():
        name = f"cx360_tf_{column}_{uuid.uuid4().hex[:8]}"
        session._backend.register(name, tf.rename_columns([column, f"tf_{column}"]))
        frame = session._db_api.register(name)
        linker.table_management.register_term_frequency_lookup(frame, column)
    predictions = linker.inference.predict(threshold_match_weight=min_match_weight)
    edges = session.query(
        f"SELECT unique_id_l, unique_id_r, match_weight FROM {predictions.physical_name}"
    )
    if run is not None:
        run.seconds["predict"] = time.perf_counter() - started
    return edges


def predict_details(session: SplinkSession, model: dict[str, Any]) -> pa.Table:
    """Every candidate pair with Splink's own parts of its score, to check other scorers
    against: `match_weight`, `match_probability`, and per comparison `<name>_level` (its
    comparison vector value), `<name>_weight` (log2 Bayes factor) and `<name>_tf`
    (term-frequency adjustment, 0.0 where the comparison has none)."""
    settings = {
        **session.prediction_settings(model),
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
    }
    linker = session.linker(settings)
    predictions = linker.inference.predict(warning_mode="never")
    columns = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    for comparison in comparisons_of(model):
        name = comparison.name
        adjusted = any(level.tf_column for level in comparison.levels)
        tf = f'"mw_tf_adj_{name}"' if adjusted else "0.0::DOUBLE"
        columns += [
            f'"gamma_{name}" AS "{name}_level"',
            f'"mw_{name}" AS "{name}_weight"',
            f'{tf} AS "{name}_tf"',
        ]
    return session.query(f"SELECT {', '.join(columns)} FROM {predictions.physical_name}")


# Comparison levels whose u probability is counted from clusters (see `refine_u`), with
# the value two records must share to be at that level.
_U_FROM_CLUSTERS: dict[tuple[str, str], str] = {
    ("email", "exact"): '"email_key"',
    ("phone", "exact"): '"phone_key"',
    ("national_id", "exact"): '"national_id_key"',
    ("handle", "exact"): '"handle_key"',
    ("birth_date", "exact"): '"birth_date"',
    ("address", "exact"): '"address_key"',
    ("surname", "both surnames"): (
        'CASE WHEN "surname2_key" IS NOT NULL THEN "surname_key" || \' \' || "surname2_key" END'
    ),
}


def refine_u(session: SplinkSession, model: dict[str, Any], clusters: pa.Table) -> dict[str, Any]:
    """The model with the u probabilities of exact identifier levels counted from a
    first clustering (`clusters`: `unique_id`, `cluster`) instead of random sampling (see
    `_training`): the share of all pairs of records with the value that agree on it while
    sitting in different clusters."""
    session._backend.register("cx360_clusters", clusters)
    refined = {**model, "comparisons": []}
    try:
        for comparison in model["comparisons"]:
            levels = []
            for level in comparison["comparison_levels"]:
                key = _U_FROM_CLUSTERS.get(
                    (comparison["output_column_name"], level.get("label_for_charts", ""))
                )
                if key is not None:
                    u = _exact_u(session, key)
                    if u is not None:
                        level = {**level, "u_probability": u}
                levels.append(level)
            refined["comparisons"].append({**comparison, "comparison_levels": levels})
    finally:
        session._backend.unregister("cx360_clusters")
    return refined


def _exact_u(session: SplinkSession, key: str) -> float | None:
    row = session.query(
        f"""
        WITH v AS (
            SELECT {key} AS v, c.cluster
            FROM cx360_records r JOIN cx360_clusters c USING (unique_id)
            WHERE {key} IS NOT NULL
        ),
        by_value AS (SELECT count(*) AS n FROM v GROUP BY v.v),
        by_cluster AS (SELECT count(*) AS n FROM v GROUP BY v.v, v.cluster)
        SELECT
            (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM by_value)
              - (SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM by_cluster) AS agree,
            (SELECT count(*) FROM v) AS present
        """
    ).to_pylist()[0]
    agree, present = row["agree"], row["present"]
    pairs = present * (present - 1) / 2
    if pairs < 1:
        return None
    # half a pair when none disagree-and-agree: a u of 0 would make the level certain
    return float(max(agree, 0.5) / pairs)
