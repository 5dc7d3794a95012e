"""How an input's columns map onto the input contract, asked for and as used."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cx360._errors import ConfigurationError
from cx360.models._attributes import AttributeKind, AttributeSpec

CaseState = Literal["open", "resolved", "closed"]


class ColumnMapping(BaseModel):
    """Which input columns hold which contract column, and the words of one export.

    Everything is optional: by default common header names in English and Spanish are
    recognized (``Correo electrónico`` → `email`, ``Mobile Phone`` → `phone`, ...; see
    docs/input-contract.md). Pass it to `Hub.ingest` / `Hub.ingest_files`, or write it as
    a TOML file for `cx360 ingest --mapping FILE` (`ColumnMapping.from_toml`)::

        source = "crm"                      # every row's source (a file without one)
        delimiter = ";"                     # else detected
        encoding = "cp1252"                 # else detected
        consents = ["Acepta SMS"]           # more columns read as consents

        [columns]                           # contract column = input column(s)
        source_record_id = "Código"
        phone = ["Celular", "Teléfono"]     # several: the first valid value is used

        [statuses]                          # more case statuses
        "En revisión" = "open"

        [attributes]                        # more columns to match on (see
        loyalty_card = "identifier"         # `Hub.declare_attribute`)
        pasaporte = { kind = "identifier", column = "Pasaporte" }
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    columns: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="Contract column → the input column holding it, or several (names "
        "and addresses are joined; for phones and e-mails the first valid value is the "
        "record's and the other valid ones its further identifiers; a national ID or handle "
        "keeps the first, the others flagged `extra_values`).",
    )
    source: str | None = Field(
        default=None, description="The source of every row, for inputs without a source column."
    )
    recognize: bool = Field(
        default=True,
        description="Recognize common header names for contract columns not named in "
        "`columns`; False reads only the contract's own names.",
    )
    delimiter: str | None = Field(default=None, description="CSV delimiter; else detected.")
    encoding: str | None = Field(default=None, description="Text encoding; else detected.")
    statuses: dict[str, CaseState] = Field(
        default_factory=dict,
        description="More case-status words and the state each means (over the defaults).",
    )
    consents: list[str] = Field(
        default_factory=list, description="More input columns to read as consents."
    )
    attributes: dict[str, AttributeKind | AttributeSpec] = Field(
        default_factory=dict,
        description="Attribute name → its kind (its column: the name), or its kind and "
        "column: declared in the store before the rows are read (`Hub.declare_attribute`).",
    )

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> ColumnMapping:
        """Read a mapping file (the layout in the class docstring).

        Raises:
            ConfigurationError: the file is missing, not TOML, or has unknown keys.
        """
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(f"no mapping file {file}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigurationError(f"{file.name}: not a TOML file ({error})") from None
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
                for e in error.errors()
            )
            raise ConfigurationError(f"{file.name}: {problems}") from None


class MappingUsed(BaseModel):
    """How an input was read: its format and, for text, encoding and delimiter; which
    of its columns became which contract column; what was kept as it came."""

    format: str = Field(description="'csv', 'jsonl', 'json' (an array), 'parquet', 'objects'.")
    encoding: str | None = Field(
        default=None, description="'utf-8', 'utf-8-sig' (with a BOM), 'cp1252', 'utf-16'."
    )
    delimiter: str | None = None
    columns: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Contract column → input column(s) read for it, the first first.",
    )
    source: str | None = Field(default=None, description="The source given for every row.")
    consents: dict[str, str] = Field(
        default_factory=dict, description="Input column → the consent name it is stored as."
    )
    extra: list[str] = Field(
        default_factory=list, description="Input columns kept as extra columns, unmapped."
    )

    def lines(self) -> list[str]:
        """The mapping as lines for people: ``email ← Correo electrónico``."""
        head = [self.format]
        if self.encoding:
            head.append(self.encoding)
        if self.delimiter:
            head.append("delimiter " + ("tab" if self.delimiter == "\t" else repr(self.delimiter)))
        out = [", ".join(head)]
        if self.source is not None:
            out.append(f"source = {self.source!r} (given)")
        for target, names in self.columns.items():
            if names != [target]:
                out.append(f"{target} ← {', '.join(names)}")
        for name, stored in self.consents.items():
            out.append(f"consent {stored} ← {name}")
        if self.extra:
            out.append(f"kept as extra columns: {', '.join(self.extra)}")
        return out
