"""Score a pair of records with a trained model, in pure Python, the way Splink does.

Batch resolution scores pairs with Splink in SQL; real-time resolution and explanations
score a handful of pairs at a time, where starting a DuckDB query costs more than the
arithmetic. The `Scorer` reads the model dict Splink saved (m and u probabilities per
comparison level, the prior) and reproduces Splink's match weight exactly:

    match_weight = log2(prior / (1 - prior))
                 + Σ log2(m / u) of each comparison's level        (clamped like Splink)
                 + Σ tf_weight · (log2 u_exact − log2 tf(value))    (term-frequency levels)

Which level holds comes from the Python twins of the SQL conditions
(`_features.COMPARISONS`, and the declared identifiers' where the model has it). Levels
the training never saw take Splink's default m and u, as Splink does on loading the
model.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from cx360._errors import ResolutionError
from cx360.resolve._features import Comparison, Record, comparisons_of
from cx360.store._schema import records, term_frequencies

# Splink's constants (splink/internals/comparison_level.py, constants.py): m and u are
# clamped to this before taking log2(m/u); an unobserved level's stored probability.
_M_U_CLAMP_MIN = 1e-300
_LEVEL_NOT_OBSERVED = "level not observed in training dataset"
_NOT_OBSERVED_PROBABILITY = 1e-6
# A single-column exact match (`"col_l" = "col_r"`): the level whose u a tf adjustment
# compares against (Splink's `_u_probability_corresponding_to_exact_match`).
_EXACT = re.compile(r'^\s*"?([a-z0-9_]+)_([lr])"?\s*=\s*"?([a-z0-9_]+)_([lr])"?\s*$')
_COLUMN = re.compile(r'"([A-Za-z0-9_]+)_[lr]"')


class TermFrequencies:
    """Relative frequency of each value of the term-frequency columns. `frequency(column,
    value)` is the share of the column's non-null values equal to `value` (Splink's
    `tf_<column>`), or None for a value not seen."""

    __slots__ = ("_frequencies",)

    def __init__(self, frequencies: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self._frequencies: dict[str, dict[str, float]] = {
            column: dict(values) for column, values in (frequencies or {}).items()
        }

    @classmethod
    def from_counts(
        cls, counts: Mapping[str, Mapping[str, int]], totals: Mapping[str, int] | None = None
    ) -> TermFrequencies:
        """From value counts per column; `totals` (non-null values per column) defaults to
        the sum of the counts, and is needed when the counts cover only some values."""
        frequencies: dict[str, dict[str, float]] = {}
        for column, by_value in counts.items():
            total = (totals or {}).get(column, sum(by_value.values()))
            # the same division Splink does in SQL: count(*) / count(column), as doubles
            frequencies[column] = {v: float(n) / float(total) for v, n in by_value.items() if n}
        return cls(frequencies)

    @classmethod
    def from_records(cls, rows: Sequence[Record], columns: Sequence[str]) -> TermFrequencies:
        """Count the values of `columns` over records held in memory."""
        return cls.from_counts(
            {c: Counter(row[c] for row in rows if row.get(c) is not None) for c in columns}
        )

    @classmethod
    def from_store(
        cls,
        conn: Connection,
        columns: Sequence[str],
        values: Mapping[str, Iterable[str | None]] | None = None,
    ) -> TermFrequencies:
        """One GROUP BY per column over the store's `records`. With `values`, only those
        values' frequencies are read (plus each column's non-null count): what explaining
        one pair needs, without loading every name."""
        counts: dict[str, dict[str, int]] = {}
        totals: dict[str, int] = {}
        for name in columns:
            column = records.c[name]
            query = select(column, func.count()).where(column.is_not(None)).group_by(column)
            if values is not None:
                wanted = sorted({v for v in values.get(name, ()) if v is not None})
                if not wanted:
                    continue
                query = query.where(column.in_(wanted))
                totals[name] = int(conn.execute(select(func.count(column))).scalar_one())
            counts[name] = {value: int(n) for value, n in conn.execute(query)}
        return cls.from_counts(counts, totals)

    @classmethod
    def from_model(
        cls,
        conn: Connection,
        model_id: int,
        values: Mapping[str, Iterable[str | None]] | None = None,
    ) -> TermFrequencies | None:
        """The frequencies frozen when the model was trained (what batch runs score with),
        only for `values` when given; None for a model stored without them."""
        tf = term_frequencies.c
        query = select(tf.column_name, tf.value, tf.frequency).where(tf.model_id == model_id)
        asked: dict[str, set[str | None]] | None = None
        if values is not None:
            has_any = select(tf.model_id).where(tf.model_id == model_id).limit(1)
            if conn.execute(has_any).first() is None:
                return None
            asked = {column: set(vs) for column, vs in values.items()}
            wanted = sorted({v for vs in asked.values() for v in vs if v is not None})
            query = query.where(tf.value.in_(wanted))
        # the query matches a value in any column: keep each column's own values only
        frequencies: dict[str, dict[str, float]] = {}
        for column, value, frequency in conn.execute(query):
            if asked is None or value in asked.get(column, ()):
                frequencies.setdefault(column, {})[value] = float(frequency)
        if values is None and not frequencies:
            return None
        return cls(frequencies)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._frequencies)

    def frequency(self, column: str, value: Any) -> float | None:
        return None if value is None else self._frequencies.get(column, {}).get(value)

    def of_column(self, column: str) -> Mapping[str, float]:
        """Each value seen in `column`, with its frequency."""
        return self._frequencies.get(column, {})


@dataclass(frozen=True, slots=True)
class _TfParams:
    column: str
    weight: float
    log2_u_exact: float
    minimum_u: float


@dataclass(frozen=True, slots=True)
class LevelParams:
    """One comparison level of a trained model, with its weight precomputed."""

    label: str
    gamma: int  # Splink's comparison vector value: -1 null, else counting down to 0
    is_null: bool
    m: float | None
    u: float | None
    log2_bayes_factor: float
    tf: _TfParams | None


@dataclass(frozen=True, slots=True)
class ComparisonScore:
    """How one comparison scored a pair: its level, and the level's term-frequency
    adjustment for the pair's values."""

    name: str
    level: LevelParams
    tf_adjustment: float

    @property
    def match_weight(self) -> float:
        """The comparison's whole contribution to the pair's match weight."""
        return self.level.log2_bayes_factor + self.tf_adjustment


@dataclass(frozen=True, slots=True)
class PairScore:
    prior_match_weight: float
    match_weight: float
    match_probability: float
    comparisons: tuple[ComparisonScore, ...]


def match_probability(weight: float) -> float:
    """Probability from a match weight (log2 odds), stable at both ends like Splink's."""
    if weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -weight))
    odds = math.pow(2.0, weight)
    return odds / (1.0 + odds)


class Scorer:
    """Scores record pairs with a stored Splink model; build once, score many pairs. Records
    are mappings with the `FEATURE_COLUMNS` (None for unknown); the e-mail user name the
    handle comparison needs is derived from `email_key` by the comparison."""

    def __init__(
        self,
        model: Mapping[str, Any],
        term_frequencies: TermFrequencies | None = None,
        comparisons: Sequence[Comparison] | None = None,
    ) -> None:
        # by default the comparisons the model was trained with (a declared one or not)
        comparisons = comparisons_of(model) if comparisons is None else comparisons
        self.term_frequencies = term_frequencies or TermFrequencies()
        prior = float(model["probability_two_random_records_match"])
        self.prior_match_weight = _prior_weight(prior)
        if not fits_comparisons(model, comparisons):
            # batch resolution trains a new model for such a store (see `fits_comparisons`)
            raise ResolutionError(
                "the stored model was trained on other comparisons than this cx360's; "
                "run resolve() once to train a new one"
            )
        stored = list(model["comparisons"])
        self.comparisons: tuple[Comparison, ...] = tuple(comparisons)
        self.levels: tuple[tuple[LevelParams, ...], ...] = tuple(
            _levels(comparison, spec) for comparison, spec in zip(comparisons, stored, strict=True)
        )
        self.columns: tuple[tuple[str, ...], ...] = tuple(_columns_of(spec) for spec in stored)
        # the hot loop's data: per comparison, its level finder and each level's weight
        self._plan = tuple(
            (comparison.level_of, tuple(p.log2_bayes_factor for p in params), params)
            for comparison, params in zip(self.comparisons, self.levels, strict=True)
        )

    @property
    def tf_columns(self) -> tuple[str, ...]:
        """The columns whose term frequencies the model's levels use."""
        found = {p.tf.column for params in self.levels for p in params if p.tf is not None}
        return tuple(sorted(found))

    def match_weight(self, left: Record, right: Record) -> float:
        """The pair's match weight (log2 odds of a match); the fast path."""
        total = self.prior_match_weight
        for level_of, weights, params in self._plan:
            index = level_of(left, right)
            total += weights[index]
            tf = params[index].tf
            if tf is not None:
                total += self._tf_adjustment(tf, left, right)
        return total

    def gammas(self, left: Record, right: Record) -> tuple[int, ...]:
        """Each comparison's level as Splink numbers it (its comparison vector)."""
        return tuple(params[level_of(left, right)].gamma for level_of, _, params in self._plan)

    def score(self, left: Record, right: Record) -> PairScore:
        """The match weight and probability with every comparison's part (the waterfall)."""
        parts: list[ComparisonScore] = []
        total = self.prior_match_weight
        for comparison, (level_of, _, params) in zip(self.comparisons, self._plan, strict=True):
            level = params[level_of(left, right)]
            tf = 0.0 if level.tf is None else self._tf_adjustment(level.tf, left, right)
            total += level.log2_bayes_factor + tf
            parts.append(ComparisonScore(comparison.name, level, tf))
        return PairScore(self.prior_match_weight, total, match_probability(total), tuple(parts))

    def _tf_adjustment(self, tf: _TfParams, left: Record, right: Record) -> float:
        # Splink: weight * (log2(u_exact) - log2(greatest(tf_l, tf_r, min_u))), and 0
        # when neither side's value has a term frequency
        freq_l = self.term_frequencies.frequency(tf.column, left.get(tf.column))
        freq_r = self.term_frequencies.frequency(tf.column, right.get(tf.column))
        if freq_l is None and freq_r is None:
            return 0.0
        freq = max(f for f in (freq_l, freq_r, tf.minimum_u) if f is not None)
        return tf.weight * (tf.log2_u_exact - math.log2(freq))


def _prior_weight(prior: float) -> float:
    return math.inf if prior >= 1.0 else math.log2(prior / (1.0 - prior))


def _default_m(num_levels: int) -> list[float]:
    # splink/internals/comparison_level.py::_default_m_values, indexed by gamma
    remainder = (1 - 0.95) / (num_levels - 1)
    return [remainder] * (num_levels - 1) + [0.95]


def _default_u(num_levels: int) -> list[float]:
    # splink/internals/comparison_level.py::_default_u_values
    step = (3.0 - -5.0) / max(num_levels - 2, 1)  # from -5 to 3, then 10 for the last
    weights = [-5.0 + i * step for i in range(num_levels - 1)] + [10.0]
    return [m / 2**w for m, w in zip(_default_m(num_levels), weights, strict=True)]


def _probability(value: Any, default: float) -> float:
    if value is None:
        return default
    if value == _LEVEL_NOT_OBSERVED:
        return _NOT_OBSERVED_PROBABILITY
    return float(value)


def _exact_column(sql: str) -> str | None:
    found = _EXACT.match(sql.lower())
    return found[1] if found and found[1] == found[3] and found[2] != found[4] else None


def fits_comparisons(
    model: Mapping[str, Any], comparisons: Sequence[Comparison] | None = None
) -> bool:
    """Whether a stored model was trained on these comparisons (by default those it
    names: with the declared identifiers' or without), level for level. A model of an
    earlier cx360 may lack a comparison added since (postcode, region): it cannot score,
    and the next batch run trains a new one."""
    comparisons = comparisons_of(model) if comparisons is None else comparisons
    stored = list(model.get("comparisons") or [])
    if [c.get("output_column_name") for c in stored] != [c.name for c in comparisons]:
        return False
    for comparison, spec in zip(comparisons, stored, strict=True):
        levels = list(spec.get("comparison_levels") or [])
        if len(levels) != len(comparison.levels) or any(
            bool(s.get("is_null_level")) != level.is_null
            for s, level in zip(levels, comparison.levels, strict=True)
        ):
            return False
    return True


def _levels(comparison: Comparison, spec: Mapping[str, Any]) -> tuple[LevelParams, ...]:
    stored = list(spec["comparison_levels"])
    num_levels = sum(1 for s in stored if not s.get("is_null_level"))
    default_m, default_u = _default_m(num_levels), _default_u(num_levels)
    countdown = iter(range(num_levels - 1, -1, -1))
    gammas = [-1 if s.get("is_null_level") else next(countdown) for s in stored]
    m_u: list[tuple[float, float] | None] = [
        None
        if gamma == -1
        else (
            _probability(s.get("m_probability"), default_m[gamma]),
            _probability(s.get("u_probability"), default_u[gamma]),
        )
        for s, gamma in zip(stored, gammas, strict=True)
    ]
    out: list[LevelParams] = []
    for s, level, gamma, probabilities in zip(stored, comparison.levels, gammas, m_u, strict=True):
        if probabilities is None:
            m = u = None
            log2_bf = 0.0
        else:
            m, u = probabilities
            log2_bf = math.log2(max(m, _M_U_CLAMP_MIN) / max(u, _M_U_CLAMP_MIN))
        label = str(s.get("label_for_charts") or level.label)
        tf = None if gamma == -1 else _tf_params(s, u, stored, m_u)
        out.append(LevelParams(label, gamma, level.is_null, m, u, log2_bf, tf))
    return tuple(out)


def _tf_params(
    level: Mapping[str, Any],
    u: float | None,
    stored: Sequence[Mapping[str, Any]],
    m_u: Sequence[tuple[float, float] | None],
) -> _TfParams | None:
    """A level's term-frequency adjustment, if it has one (never on the 'else' level)."""
    column = level.get("tf_adjustment_column")
    weight = float(level.get("tf_adjustment_weight", 1.0))
    is_else = str(level.get("sql_condition", "")).strip().upper() == "ELSE"
    if not column or weight == 0 or is_else:
        return None
    u_exact = _u_of_exact_match(level, u, stored, m_u, column)
    minimum_u = float(level.get("tf_minimum_u_value", 0.0))
    return _TfParams(column, weight, math.log2(u_exact), minimum_u)


def _u_of_exact_match(
    level: Mapping[str, Any],
    own_u: float | None,
    stored: Sequence[Mapping[str, Any]],
    m_u: Sequence[tuple[float, float] | None],
    tf_column: str,
) -> float:
    # The tf adjustment is relative to the u of the level that is an exact match on the
    # tf column (the first such level), unless the level opts out of that detection.
    if level.get("disable_tf_exact_match_detection") and own_u is not None:
        return own_u
    for other, probabilities in zip(stored, m_u, strict=True):
        if probabilities is not None and _exact_column(str(other.get("sql_condition"))) == (
            tf_column.lower()
        ):
            return probabilities[1]
    raise ResolutionError(f"no exact-match level for the term-frequency column {tf_column!r}")


def _columns_of(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """The record columns a comparison's SQL conditions read, in order of appearance."""
    levels = spec.get("comparison_levels") or []
    conditions = (str(level.get("sql_condition", "")) for level in levels)
    return tuple(dict.fromkeys(name for sql in conditions for name in _COLUMN.findall(sql)))
