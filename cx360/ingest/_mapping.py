"""Column mapping: which input column holds which contract column.

An export's header names its columns in the CRM's words and language (``Correo
electrónico``, ``Mobile Phone Number``, ``Apellido materno``). `plan_header` decides, once
per header, the name every column is stored under:

1. columns named in the caller's `ColumnMapping` (`--map target=column`);
2. the contract's own names, in any case (`email`, `Phone`);
3. unless recognition is off, common names in English and Spanish (`_SYNONYMS`), compared
   folded, without filler words (``Número de documento`` is ``documento``), qualifiers
   (``Mailing City`` is ``city``) or a trailing number (``phone_2`` is a second phone);
4. consent columns (``acepta_comunicaciones``) as ``consent_<name>``.

Several columns may hold one contract column: parts of a name or an address are joined
(``Primer apellido`` + ``Segundo apellido``), and further identifiers (a second phone
column, ``Teléfono`` beside ``Celular``) are stored as ``phone_2``, ``phone_3``...: ingest
reads the first valid value as the record's and keeps and flags the others. Other
contract columns take the best-ranked column (``Last Modified Date`` over ``Create
Date`` for `observed_at`); the rest stay extra columns, kept as given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from cx360._errors import ConfigurationError, SchemaError
from cx360.models import INTERACTION_COLUMNS, RECORD_COLUMNS
from cx360.models._mapping import ColumnMapping, MappingUsed
from cx360.normalize.text import fold
from cx360.normalize.vocabulary import consent_column_name, is_consent_column

CONTRACT: Final = {"records": RECORD_COLUMNS, "interactions": INTERACTION_COLUMNS}
# Standard names a column may be mapped onto besides the contract's (none at present).
EXTRA_TARGETS: Final[dict[str, tuple[str, ...]]] = {"records": (), "interactions": ()}
# Contract columns several input columns may hold: joined in order (names, addresses) or
# the first valid value, the others kept as `<target>_2`, `<target>_3`, ... (identifiers).
JOINED: Final = frozenset({"first_name", "last_name", "address"})
MULTI_VALUE: Final = frozenset({"email", "phone", "national_id", "handle"})
SEVERAL: Final = JOINED | MULTI_VALUE
IDENTITY: Final = frozenset(RECORD_COLUMNS) - {"source", "source_record_id", "observed_at"}
_REQUIRED: Final = {
    "records": ("source", "source_record_id"),
    "interactions": ("source", "source_record_id", "interaction_id"),
}
# "Nombre" / "Name" alone: a first name beside a surname column, else a whole name.
_NAME: Final = "_name"

# Words that say nothing about the column ("Número de documento", "Date of birth") ...
_FILLER: Final = frozenset(
    {"de", "del", "la", "el", "los", "las", "y", "and", "of", "the", "su", "your", "tu"}
)
_NUMBER_WORDS: Final = frozenset({"no", "n", "nro", "num", "numero", "number", "nr", "nbr"})
# ... format hints ("Fecha de nacimiento (dd/mm/aaaa)") ...
_HINTS: Final = frozenset({"dd", "mm", "aaaa", "yyyy", "yy", "aa", "hh", "ss", "formato"})
# ... whose or which one it is ("Mailing City", "Email del cliente", "Address line 2") ...
_QUALIFIERS: Final = frozenset(
    {
        "mailing",
        "billing",
        "shipping",
        "primary",
        "principal",
        "main",
        "contact",
        "contacto",
        "customer",
        "client",
        "cliente",
        "personal",
        "line",
        "linea",
        "home",
        "work",
        "business",
        "office",
        "casa",
        "trabajo",
        "oficina",
        "corporativo",
        "empresa",
    }
)
# ... and qualifiers that make it a second one ("Other Phone", "Correo alternativo").
_SECONDARY: Final = frozenset(
    {
        "other",
        "otro",
        "otra",
        "alternativo",
        "alternativa",
        "alternate",
        "alternative",
        "secondary",
        "secundario",
        "secundaria",
        "adicional",
    }
)
_TRAILING_NUMBER: Final = re.compile(r"^([a-z]+?)(\d+)$")


def _entries(target: str, rank: int, names: str) -> dict[str, tuple[str, int]]:
    return {name.strip(): (target, rank) for name in names.split(",") if name.strip()}


# folded name -> (target, rank): a lower rank is read first (mobile before landline;
# `observed_at`: last modified before created). Names are matched as written here, or
# without their filler, number words and qualifiers.
_COMMON: Final = {
    **_entries("source", 0, "source, fuente, source system, sistema origen"),
    **_entries(
        "email",
        0,
        "email, e mail, mail, emails, email address, e mail address, mail address, correo, "
        "correos, correo electronico, direccion correo, direccion correo electronico, "
        "direccion email, direccion e mail",
    ),
    **_entries(
        "phone",
        0,
        "mobile, mobile phone, cell, cell phone, cellphone, cellular, celular, movil, "
        "telefono movil, telefono celular, tel celular, tel movil, cel, whatsapp",
    ),
    **_entries(
        "phone",
        1,
        "phone, telephone, tel, telefono, telefonos, phones, fono, numero telefono, "
        "phone number, telephone number",
    ),
    **_entries("phone", 2, "telefono fijo, fijo, landline, tel fijo"),
    **_entries(
        "national_id",
        0,
        "national id, documento, documento identidad, documento identificacion, doc, "
        "cedula, cedula ciudadania, cedula identidad, cc, dni, nie, nif, dni nie, nif nie, "
        "dni nif, curp, rfc, ssn, social security, social security number, identificacion, "
        "numero identificacion, numero documento, numero cedula",
    ),
    **_entries("national_id", 1, "tax id, rut, cuit, cuil, cpf, ruc, nit"),
    **_entries(
        "handle",
        0,
        "handle, username, user name, usuario, nombre usuario, social handle, instagram, "
        "twitter, facebook, tiktok, perfil, perfil social, profile url, social profile",
    ),
    **_entries(
        "first_name",
        0,
        "first name, firstname, first, given name, given names, forename, primer nombre, "
        "nombre pila",
    ),
    **_entries("first_name", 1, "middle name, middle names, segundo nombre, otros nombres"),
    **_entries(
        "last_name",
        0,
        "last name, lastname, last, surname, surnames, family name, apellido, apellidos, "
        "primer apellido, apellido paterno",
    ),
    **_entries(
        "last_name", 1, "second surname, second last name, segundo apellido, apellido materno"
    ),
    **_entries(
        "full_name",
        0,
        "full name, fullname, complete name, nombre completo, nombres completos, "
        "nombre apellidos, nombres apellidos, apellidos nombres, display name",
    ),
    **_entries(_NAME, 0, "name, nombre, nombres"),
    **_entries(
        "date_of_birth",
        0,
        "date birth, birth date, birthdate, birthday, dob, fecha nacimiento, nacimiento, "
        "f nacimiento, fec nacimiento, fecha nac, cumpleanos, fecha cumpleanos",
    ),
    **_entries(
        "address",
        0,
        "address, street address, street, direccion, domicilio, direccion residencia, "
        "residencia, calle, direccion postal",
    ),
    **_entries("address", 1, "complemento, apartment, apto, suite"),
    **_entries(
        "city",
        0,
        "city, ciudad, municipio, localidad, poblacion, town, ciudad residencia, comuna",
    ),
    **_entries(
        "country",
        0,
        "country, pais, country region, country code, codigo pais, pais residencia, country name",
    ),
    **_entries(
        "postcode",
        0,
        "postcode, post code, postal code, zip, zip code, zipcode, codigo postal, cp, c p, "
        "zip postal code, postal, codigo zip, cod postal",
    ),
    **_entries(
        "region",
        0,
        "region, state, province, state province, province state, state region, "
        "state or province, provincia, estado, departamento, depto, dpto, "
        "region estado, estado provincia, comunidad autonoma, entidad federativa",
    ),
}
_RECORDS_ONLY: Final = {
    **_entries(
        "source_record_id",
        0,
        "source record id, record id, id, contact id, customer id, client id, id cliente, "
        "cliente id, user id, id usuario, usuario id, codigo, codigo cliente, numero cliente, "
        "lead id, external id, id externo, identificador, uid",
    ),
    **_entries(
        "observed_at",
        0,
        "observed at, last modified date, last modified, modified date, modified, "
        "last updated, updated at, updated, update date, last update, fecha actualizacion, "
        "ultima actualizacion, fecha modificacion, ultima modificacion, modificado, "
        "actualizado",
    ),
    **_entries("observed_at", 1, "fecha, date, timestamp, fecha hora, datetime"),
    **_entries(
        "observed_at",
        2,
        "created at, created, create date, created date, creation date, fecha creacion, "
        "fecha alta, fecha registro, creado",
    ),
}
_INTERACTIONS: Final = {
    **_entries("source", 0, "source, fuente, source system, sistema origen"),
    **_entries(
        "source_record_id",
        0,
        "source record id, record id, contact id, customer id, client id, id cliente, "
        "cliente id, requester id, id solicitante, user id, id usuario, id contacto, "
        "codigo cliente, numero cliente",
    ),
    **_entries(
        "interaction_id",
        0,
        "interaction id, id, ticket id, id ticket, ticket, ticket number, numero ticket, "
        "activity id, id actividad, id interaccion, interaccion id, event id, id evento, "
        "message id, id mensaje, call id, id llamada, conversation id, id conversacion",
    ),
    **_entries("occurred_at", 0, "occurred at, fecha, date, timestamp, fecha hora, datetime"),
    **_entries(
        "occurred_at",
        1,
        "created at, created, create date, created date, fecha creacion, opened at, "
        "fecha apertura, started at, start time, fecha inicio",
    ),
    **_entries(
        "type",
        0,
        "type, tipo, ticket type, tipo ticket, interaction type, tipo interaccion, "
        "tipo contacto, category, categoria, activity type, tipo actividad",
    ),
    **_entries(
        "status", 0, "status, estado, ticket status, estado ticket, estado caso, case status"
    ),
    **_entries(
        "case_id",
        0,
        "case id, case, caso, id caso, case number, numero caso, expediente, radicado",
    ),
    **_entries(
        "summary",
        0,
        "summary, subject, asunto, resumen, descripcion, description, detalle, comentario, "
        "comentarios, comments, comment, notes, notas, nota, motivo, observaciones",
    ),
}
_SYNONYMS: Final = {"records": {**_COMMON, **_RECORDS_ONLY}, "interactions": _INTERACTIONS}


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a header name says: the synonym forms to look up, and a position number."""

    forms: tuple[str, ...]
    number: int


def _read_name(name: str) -> _Reading:
    words = [w for w in fold(name).split() if w not in _FILLER and w not in _HINTS]
    number = 1
    if words and words[-1].isdigit():
        number = int(words.pop())
    elif words and (match := _TRAILING_NUMBER.match(words[-1])):
        words[-1], number = match.group(1), int(match.group(2))
    secondary = [w for w in words if w not in _SECONDARY]
    if len(secondary) != len(words):
        number = max(number, 2)
        words = secondary
    plain = [w for w in words if w not in _NUMBER_WORDS]
    core = [w for w in plain if w not in _QUALIFIERS]
    forms = dict.fromkeys(" ".join(f) for f in (words, plain, core) if f)
    return _Reading(tuple(forms), number)


def recognize(name: str, kind: str) -> tuple[str, int, int] | None:
    """(target, rank, number) a header name is recognized as, or None."""
    table = _SYNONYMS[kind]
    reading = _read_name(name)
    for form in reading.forms:
        found = table.get(form)
        if found is not None:
            return found[0], found[1], reading.number
    return None


@dataclass(slots=True)
class HeaderPlan:
    """What every column of a header is stored as, and the mapping used (for reports)."""

    names: list[str]
    used: MappingUsed
    identity: bool = False  # every name unchanged: rows need no renaming
    targets: dict[str, list[int]] = field(default_factory=dict)
    given: list[str] = field(default_factory=list)  # the header as given (names unique)

    def rename(self, values: Iterable[object]) -> dict[str, object]:
        return dict(zip(self.names, values, strict=True))


def _unique(header: list[str]) -> list[str]:
    """Header names stripped; a repeated name gets `_2`, `_3`, ... (a repeated column,
    e.g. two 'Teléfono', is then read as a second one)."""
    seen: dict[str, int] = {}
    out = []
    for raw in header:
        name = str(raw).strip()
        count = seen.get(name, 0) + 1
        seen[name] = count
        out.append(name if count == 1 else f"{name}_{count}")
    return out


def _find(header: list[str], wanted: str, origin: str, strict: bool) -> int | None:
    if wanted in header:
        return header.index(wanted)
    folded = fold(wanted)
    for i, name in enumerate(header):
        if fold(name) == folded:
            return i
    if not strict:
        return None
    raise SchemaError(
        f"{origin}: the mapping names column {wanted!r}, which is not in the input; "
        f"found {', '.join(header[:30])}",
        column=wanted,
    )


def _explicit(
    header: list[str], kind: str, mapping: ColumnMapping, origin: str, strict: bool
) -> dict[str, list[int]]:
    allowed = (*CONTRACT[kind], *EXTRA_TARGETS[kind])
    chosen: dict[str, list[int]] = {}
    for target, wanted in mapping.columns.items():
        if target not in allowed:
            raise ConfigurationError(
                f"cannot map onto {target!r}: the {kind} columns are {', '.join(allowed)}"
            )
        if target == "source" and mapping.source is not None:
            raise ConfigurationError("give the source as a column or as a name, not both")
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        if len(names) > 1 and target not in SEVERAL:
            raise ConfigurationError(f"{target!r} takes one column, not {len(names)}")
        found = [_find(header, name, origin, strict) for name in names]
        positions = [i for i in found if i is not None]
        if positions:
            chosen[target] = positions
    return chosen


def _candidates(
    header: list[str], kind: str, recognizing: bool, taken: set[int]
) -> dict[str, list[tuple[int, int, int]]]:
    """target → (rank, number, position) of the columns that name it; the contract's own
    names rank first."""
    contract = frozenset(CONTRACT[kind])
    found: dict[str, list[tuple[int, int, int]]] = {}
    for i, name in enumerate(header):
        if i in taken:
            continue
        lowered = name.lower()
        if lowered in contract:
            found.setdefault(lowered, []).append((-1, 1, i))
            continue
        hit = recognize(name, kind) if recognizing else None
        if hit is not None:
            target, rank, number = hit
            found.setdefault(target, []).append((rank, number, i))
    return found


def _settle_names(found: dict[str, list[tuple[int, int, int]]], fixed: set[str]) -> None:
    """A bare 'Nombre' / 'Name' is a first name beside a surname column, else whole."""
    bare = found.pop(_NAME, None)
    if not bare:
        return
    target = "first_name" if "last_name" in found or "last_name" in fixed else "full_name"
    found.setdefault(target, []).extend(bare)


def plan_header(
    header: list[str],
    kind: str,
    mapping: ColumnMapping | None = None,
    origin: str = "input",
    *,
    strict: bool = True,
) -> HeaderPlan:
    """The names a header's columns are stored under (see the module docstring).

    Raises:
        ConfigurationError: the mapping names a column that is not in the contract.
        SchemaError: the mapping names a column the header lacks (unless not `strict`:
            rows given one by one, or JSON objects after the first, may lack a column).
    """
    mapping = mapping or ColumnMapping()
    names = _unique(header)
    targets = _explicit(names, kind, mapping, origin, strict)
    taken = {i for positions in targets.values() for i in positions}
    # a declared attribute's column is read as it came, whatever its name says
    declared = {
        name if isinstance(spec, str) else spec.column or name
        for name, spec in mapping.attributes.items()
    }
    taken |= {i for i, name in enumerate(names) if name in declared}
    found = _candidates(names, kind, mapping.recognize, taken)
    _settle_names(found, set(targets))
    for target, columns in found.items():
        if target in targets:
            continue  # the caller's mapping decides this one
        ordered = [i for _, _, i in sorted(columns)]
        targets[target] = ordered if target in SEVERAL else ordered[:1]
    stored = list(names)
    for target, positions in targets.items():
        for n, i in enumerate(positions):
            stored[i] = target if n == 0 else f"{target}_{n + 1}"
    mapped = {i for positions in targets.values() for i in positions}
    consents: dict[str, str] = {}
    if kind == "records":
        wanted = {fold(c) for c in mapping.consents}
        for i, name in enumerate(names):
            if i in mapped:
                continue
            if fold(name) in wanted or (mapping.recognize and is_consent_column(name)):
                stored[i] = consent_column_name(name)
                consents[name] = stored[i]
                mapped.add(i)
    _keep_apart(stored, mapped)
    used = MappingUsed(
        format="",
        columns={t: [names[i] for i in targets[t]] for t in _ordered(targets, kind)},
        source=mapping.source,
        consents=consents,
        extra=[names[i] for i in range(len(names)) if i not in mapped],
    )
    return HeaderPlan(stored, used, stored == [str(h) for h in header], targets, names)


def _ordered(targets: dict[str, list[int]], kind: str) -> list[str]:
    order = (*CONTRACT[kind], *EXTRA_TARGETS[kind])
    return [t for t in order if t in targets]


def _keep_apart(stored: list[str], mapped: set[int]) -> None:
    """An unmapped column whose own name is now another column's (an extra column named
    'phone_2' beside two mapped phones) is renamed so that neither is lost."""
    taken = {stored[i] for i in mapped}
    for i, name in enumerate(stored):
        if i in mapped:
            continue
        candidate = name
        while candidate in taken:
            candidate += "_input"
        stored[i] = candidate
        taken.add(candidate)


def check_plan(plan: HeaderPlan, kind: str, origin: str, source_given: bool) -> None:
    """Refuse an input that cannot be of this kind: a key column missing, or no identity."""
    present = set(plan.targets)
    if source_given:
        present.add("source")
    missing = [c for c in _REQUIRED[kind] if c not in present]
    if missing:
        hints = []
        if "source" in missing:
            hints.append(
                "give every row's source (cx360 ingest --source NAME, ColumnMapping(source=NAME))"
            )
        if len(plan.given) == 1 and any(d in plan.given[0] for d in ",;\t|"):
            hints.append("the header reads as one column: another delimiter (--delimiter)?")
        others = [c for c in missing if c != "source"]
        if others:
            hints.append(
                "name the column with --map "
                + " --map ".join(f"{c}=COLUMN" for c in others)
                + (" (or --id-column COLUMN)" if "source_record_id" in others else "")
            )
        raise SchemaError(
            f"{origin}: missing required column(s) {', '.join(missing)} for {kind}; found "
            f"{_found(plan)}; " + "; ".join(hints),
            column=missing[0],
        )
    if kind == "records" and not IDENTITY & present:
        raise SchemaError(
            f"{origin}: no identity column (e.g. email, phone, full_name) in a records "
            f"input; found {_found(plan)}"
        )


def _found(plan: HeaderPlan) -> str:
    """The header as read, and what was recognized in it (a wrong delimiter shows as one
    long column name)."""
    shown = ", ".join(repr(name) for name in plan.given[:20]) or "no column"
    recognized = [t for t, columns in plan.used.columns.items() if columns]
    return shown + (f" (read as {', '.join(recognized)})" if recognized else "")
