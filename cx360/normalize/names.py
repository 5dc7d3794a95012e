"""Person names: split into given names and surnames, with display forms and match keys.

Customers reach us through WhatsApp display names ("Caro 🌸"), call-center forms
("GARCIA MARQUEZ, JOSE LUIS"), web sign-ups ("josé luis garcía") and US-style
first/last fields. `normalize_name` turns any of them into a `NormalizedName` whose keys
compare equal across those spellings.

Rules (each one is covered by tests):

* Noise is removed first: emoji and symbols, digits, e-mail addresses and URLs, text in
  brackets (``"Ana (mamá)"``) or double quotes (``'Juan "el Flaco" Pérez'``), leading
  titles (Sr., Dra., Mr., Ing., Lic., ...) and contact labels (Tía, Mamá, ...), trailing
  suffixes (Jr., Sr., II, III, "hijo", PhD). Suffixes are dropped from display too; the
  generational one is read apart by `name_suffix` (it tells a father from his son of the
  same name). "Don"/"Doña" before a known given name is a title; "Don Johnson" keeps Don
  as a given name.
* Casing: a word typed ALL CAPS or all lower case is title-cased ("JOSÉ" -> "José",
  "o'brien" -> "O'Brien", "MCDONALD" -> "McDonald"); particles become lower case
  ("DE LA CRUZ" -> "de la Cruz"). Mixed-case words are kept as typed.
* Particles (de, del, de la, de los, y, da, dos, van, van der, von, du, di, St, San,
  Mc, ...) are attached to the word that follows: "de la Cruz" is *one* surname.
* Keys are `text.fold` of the display form with every space, hyphen and apostrophe
  removed, so "De La Cruz", "de la cruz", "DELACRUZ" and "Delacruz" all give
  ``"delacruz"``, "Ruiz-Tagle" and "Ruiz Tagle" written as one surname give
  ``"ruiztagle"``, "O'Brien" gives ``"obrien"``. A hyphen never splits a name:
  "Jean-Pierre" is one given name with key ``"jeanpierre"`` (while "Jean Pierre" is two
  given names, ``("jean", "pierre")``). The conjunction "y" joining two surnames
  ("Ortega y Gasset") stays in the display ("y Gasset") but not in the key (``"gasset"``).
  In *given* names particles are dropped from the key ("María del Carmen" ->
  ``("maria", "carmen")``) because forms routinely omit them.
* With a comma, surnames come first: "García Márquez, José Luis".
* Without one, words are grouped into units (a particle and the word after it are one
  unit) and split by count:

  - 1 unit: a given name (WhatsApp display names are often just that), unless it
    starts with a particle ("de la Cruz") or followed a title such as "Sr." ("Sr. Pérez"),
    which marks a surname;
  - 2 units: given + surname, except well-known compound given names
    ("María José", "Juan Camilo", "Mary Ann"), which are both given;
  - 3 units: if the middle unit is a known given name or an initial
    ("Juan Carlos Pérez", "John F. Kennedy") it is a second given name; otherwise it
    is a first surname in Hispanic countries ("Juan García López") and a middle name
    elsewhere ("John Fitzgerald Kennedy"); a unit starting with a particle is always a
    surname;
  - 4 units: 2 given + 2 surnames (outside Hispanic countries 3 + 1 when the third
    unit is a known given name);
  - 5+ units: all but the last two are given names (outside Hispanic countries all
    but the last one when the second-to-last unit is a known given name).

  "Hispanic" means `country` is a Spanish-speaking ISO 3166 code (CO, MX, ES, AR, ...;
  alpha-2 or alpha-3) or is unknown (None). Devotional complements stay with the given
  name: "María del Carmen", "José de Jesús", "Juan de Dios", "María de los Ángeles".
* Placeholders ("Cliente", "Usuario WhatsApp", "N/A", "NN", "Sin nombre", "xxx", ".",
  "Test", "Mamá") give ``issue="placeholder"`` with empty names and keys, so they can
  never link two people. Input that had content but nothing readable (only emoji) gives
  ``issue="empty"``.

Nicknames: `canonical_given_name` maps a hypocorism to its formal name ("pepe" ->
"jose", "bill" -> "william"); the table is ``data/nicknames.csv`` (``nickname,formal,
language``). When a nickname stands for several names ("beto": Alberto, Roberto,
Humberto, ...) the first row in the file wins; rows are ordered most common first.
`given_name_variants` returns all of them.

Performance: every field string, word and token is cached (`functools.lru_cache`), so
a name whose parts were seen before costs a few dictionary look-ups. `normalize_name`
itself is deliberately *not* cached: whole (first, last, full, country) tuples rarely
repeat, and a four-argument cache miss costs more than rebuilding the result from the
cached parts.
"""

from __future__ import annotations

import csv
import re
import string
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Final, NamedTuple, TypeAlias

from cx360.normalize.text import _CharMap, clean_display, fold

__all__ = [
    "HISPANIC_COUNTRIES",
    "NormalizedName",
    "canonical_given_name",
    "given_name_variants",
    "name_suffix",
    "normalize_name",
]

_CACHE_SIZE: Final = 1 << 17

HISPANIC_COUNTRIES: Final[frozenset[str]] = frozenset(
    {
        # alpha-2
        "AR", "BO", "CL", "CO", "CR", "CU", "DO", "EC", "ES", "GQ", "GT", "HN", "MX", "NI",
        "PA", "PE", "PR", "PY", "SV", "UY", "VE",
        # alpha-3
        "ARG", "BOL", "CHL", "COL", "CRI", "CUB", "DOM", "ECU", "ESP", "GNQ", "GTM", "HND",
        "MEX", "NIC", "PAN", "PER", "PRI", "PRY", "SLV", "URY", "VEN",
    }
)  # fmt: skip

# Particles attach to the following word. The first group is written in lower case.
_LOWER_PARTICLES: Final = frozenset(
    {"de", "del", "la", "las", "los", "le", "da", "das", "do", "dos", "di", "du", "van",
     "von", "der", "den", "ter", "ten", "y", "bin", "ibn"}
)  # fmt: skip
_CAPITAL_PARTICLES: Final = frozenset({"st", "saint", "san", "santa", "mc"})
_PARTICLES: Final = _LOWER_PARTICLES | _CAPITAL_PARTICLES
_CONJUNCTIONS: Final = frozenset({"y"})

_TITLES: Final = frozenset(
    {"sr", "sra", "srta", "sres", "senor", "senora", "senorita", "dr", "dra", "doctor",
     "doctora", "don", "dona", "mr", "mrs", "ms", "miss", "mx", "mister", "ing", "ingeniero",
     "ingeniera", "lic", "licda", "licdo", "licenciado", "licenciada", "prof", "profa",
     "profesor", "profesora", "arq", "abg", "abog", "mtro", "mtra", "maestro", "maestra",
     "sir", "rev", "padre", "sor", "fray", "hno", "hna"}
)  # fmt: skip
# Titles that are also given names: only a title before a known given name.
_AMBIGUOUS_TITLES: Final = frozenset({"don"})
# Titles that precede a given name ("Doña Carmen"), unlike "Sr. Pérez".
_GIVEN_NAME_TITLES: Final = frozenset({"don", "dona", "sor", "fray", "padre"})
_SUFFIXES: Final = frozenset(
    {"jr", "jnr", "junior", "sr", "snr", "senior", "ii", "iii", "iv", "hijo", "phd", "md", "esq"}
)
# Suffixes that tell a father from his son of the same name, by generation: dropped from
# the name like the others, but kept apart by `name_suffix` ("Juan Pérez hijo" is a
# junior in Latin America).
_GENERATIONS: Final = {
    "jr": "jr", "jnr": "jr", "junior": "jr", "hijo": "jr",
    "sr": "sr", "snr": "sr", "senior": "sr",
    "ii": "ii", "iii": "iii", "iv": "iv",
}  # fmt: skip
# Suffixes that are also given names on their own ("Junior" is common in Colombia).
_NAME_SUFFIXES: Final = frozenset({"junior", "senior"})
# Words a phone owner types instead of a name ("Mamá", "Tía Carmen").
_LABELS: Final = frozenset(
    {"mama", "mami", "mamita", "mom", "mommy", "papa", "papi", "papito", "dad", "daddy",
     "tia", "tio", "tita", "aunt", "auntie", "uncle", "abuela", "abuelo", "abue", "abuelita",
     "abuelito", "grandma", "grandpa", "granny", "prima", "hermana", "hermano", "hermanita",
     "hermanito", "amor", "bebe", "baby", "babe", "vecina", "vecino", "suegra",
     "suegro", "cunada", "cunado", "sobrina", "sobrino", "hija", "esposa", "esposo",
     "novia", "novio", "jefe", "jefa", "profe", "amiga", "amigo", "nena", "nene", "gordo",
     "gorda", "flaco", "flaca"}
)  # fmt: skip
# Unambiguous "no name" words: stripped wherever they lead or trail a name.
_STRONG_PLACEHOLDERS: Final = frozenset(
    {"cliente", "clienta", "clientes", "client", "customer", "usuario", "usuaria", "user",
     "unknown", "desconocido", "desconocida", "anonimo", "anonima", "anonymous", "anon",
     "test", "testing", "prueba", "pruebas", "guest", "invitado", "invitada", "whatsapp",
     "contacto", "contact", "null", "undefined", "none"}
)  # fmt: skip
# Words that make a placeholder only when the whole name is made of them.
_PLACEHOLDER_WORDS: Final = _STRONG_PLACEHOLDERS | frozenset(
    {"na", "nn", "nd", "sn", "ns", "nr", "nan", "nil", "sin", "nombre", "nombres", "name",
     "noname", "sinnombre", "apellido", "apellidos", "lastname", "firstname", "surname",
     "nuevo", "nueva", "new", "web", "app", "online", "demo", "ejemplo", "example",
     "sample", "default", "pendiente", "pending", "tbd", "otro", "otra", "other", "ninguno",
     "ninguna", "no", "aplica", "registra", "tiene", "informa", "dato", "datos",
     "informacion", "sabe", "responde", "asdf", "asd", "qwerty", "abc", "fake", "wa",
     "mi"}
)  # fmt: skip
_PLACEHOLDER_PHRASES: Final = frozenset({"n a", "n n", "n d", "s n", "s d", "x x"})

# Devotional complements that belong to the given name ("María del Carmen").
_DEVOTIONAL: Final = frozenset(
    {"carmen", "jesus", "angeles", "luz", "rosario", "pilar", "lourdes", "guadalupe",
     "fatima", "paz", "socorro", "dolores", "mercedes", "consuelo", "mar", "remedios",
     "concepcion", "asuncion", "rocio", "soledad", "cielo", "milagros", "sagrario",
     "montserrat", "nieves", "belen", "gracia", "gloria", "esperanza", "refugio",
     "trinidad", "encarnacion", "dios", "lujan", "providencia", "sol"}
)  # fmt: skip
# First names that take a devotional complement even with no surname after it.
_DEVOTIONAL_FIRST: Final = frozenset({"maria", "ma", "mari", "jose", "juan", "ana"})

# Token flags.
_PARTICLE: Final = 1
_CONJUNCTION: Final = 2
_TITLE: Final = 4
_SUFFIX: Final = 8
_LABEL: Final = 16
_STRONG: Final = 32
_PLACEHOLDER: Final = 64  # placeholder word, label, title or suffix: "no name" material

_EMAIL_OR_URL: Final = re.compile(r"\S*@\S+|(?:https?://|www\.)\S*", re.IGNORECASE)
_NOISE_HINT: Final = re.compile(r"[@(\[{\"“”„«»]|://|www\.", re.IGNORECASE)
_BRACKETED: Final = re.compile(r"[(\[{][^)\]}]*[)\]}]?")
_QUOTED: Final = re.compile(r"[\"“”„«»][^\"“”„«»]*[\"“”„«»]")
# Separators WhatsApp users put between a name and a tagline ("Juan | Ventas").
_SEGMENT_BREAK: Final = re.compile(r"\s[-–—|/•·:~]+\s|[|•·]")
# "," and what NFKC turns into one (fullwidth, small, vertical, "0," digit commas).
_COMMA: Final = re.compile("[,\ufe10\ufe50\uff0c\U0001f101-\U0001f10a]")
_RUNS: Final = re.compile(r"[-']{2,}")
# Word separators: whitespace, digits and ASCII punctuation except hyphens and
# apostrophes (other characters are classified one by one, see `_word_tokens`).
_ASCII_SEPARATORS: Final = re.compile(r"[\s\d_!-&(-,./:-@\[-`{-~]+")
_WORD_PIECES: Final = re.compile(r"([-'])")
_HYPHENS: Final = frozenset("-\u2010\u2011")


def _name_char(char: str) -> str | None:
    """Map a `clean_display`-ed character to a name character or a word separator."""
    if char in _HYPHENS:
        return "-"
    if char == "'" or unicodedata.category(char)[0] in "LM":
        return char
    # Digits, punctuation and spaces separate words.
    return " "


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


_NAME_MAP: Final = _CharMap(_name_char)


@dataclass(frozen=True, slots=True)
class NormalizedName:
    """A person name split into given names and surnames.

    Attributes:
        given_names: Display forms, cleaned, accents kept (``("José", "Luis")``).
        surnames: Display forms; particles stay with their surname
            (``("de la Cruz", "López")``).
        given_keys: Folded match keys, one per given name (``("jose", "luis")``);
            particles are left out ("del Carmen" -> ``"carmen"``).
        surname_keys: Folded match keys, one per surname, with particles joined and
            spaces, hyphens and apostrophes removed (``("delacruz", "lopez")``).
        issue: None, ``"placeholder"`` (a "no name" value such as "Cliente"; names and
            keys are then empty) or ``"empty"`` (nothing readable was left).
    """

    given_names: tuple[str, ...]
    surnames: tuple[str, ...]
    given_keys: tuple[str, ...]
    surname_keys: tuple[str, ...]
    issue: str | None = None

    def __reduce__(
        self,
    ) -> tuple[
        type[NormalizedName],
        tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], str | None],
    ]:
        # Pickled through the constructor, so that unpickling works the same when this
        # module is compiled (mypyc would otherwise assign to the frozen fields).
        return (
            NormalizedName,
            (self.given_names, self.surnames, self.given_keys, self.surname_keys, self.issue),
        )

    @property
    def first_given_key(self) -> str | None:
        """Key of the first given name, or None."""
        return self.given_keys[0] if self.given_keys else None

    @property
    def first_surname_key(self) -> str | None:
        """Key of the first (paternal) surname, or None."""
        return self.surname_keys[0] if self.surname_keys else None

    @property
    def display(self) -> str:
        """The whole name for display: ``"José Luis García Márquez"``."""
        return " ".join(self.given_names + self.surnames)


# A `NormalizedName`'s fields in order (see `name_parts`).
NameParts: TypeAlias = tuple[
    tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], str | None
]


class _Token(NamedTuple):
    text: str  # display form
    key: str  # folded, no separators
    flags: int


_Unit = tuple[_Token, ...]


class _Tables(NamedTuple):
    nicknames: dict[str, tuple[str, ...]]
    given: frozenset[str]
    compounds: frozenset[str]


def _phrase_key(text: str) -> str:
    """Fold a multi-word given name, leaving out particles ("maría del carmen")."""
    words = fold(text).split()
    kept = [word for word in words if word not in _PARTICLES]
    return " ".join(kept or words)


@cache
def _tables() -> _Tables:
    """Load the nickname and given-name tables once, on first use."""
    data = files("cx360.normalize").joinpath("data")
    nicknames: dict[str, list[str]] = {}
    formals: set[str] = set()
    table = data.joinpath("nicknames.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(table.splitlines()):
        nickname = fold(row["nickname"]).replace(" ", "")
        formal = _phrase_key(row["formal"])
        if not nickname or not formal:
            continue
        formals.add(formal)
        targets = nicknames.setdefault(nickname, [])
        if formal not in targets:
            targets.append(formal)
    given: set[str] = {formal for formal in formals if " " not in formal}
    compounds: set[str] = {formal for formal in formals if " " in formal}
    for line in data.joinpath("given_names.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key = _phrase_key(line)
        (compounds if " " in key else given).add(key)
    return _Tables(
        {nickname: tuple(targets) for nickname, targets in nicknames.items()},
        frozenset(given),
        frozenset(compounds),
    )


def _title_case(text: str) -> str:
    """Title-case one word: "o'brien" -> "O'Brien", "mcdonald" -> "McDonald"."""
    pieces = _WORD_PIECES.split(text.lower())
    cased = "".join(piece[:1].title() + piece[1:] for piece in pieces)
    if cased.startswith("Mc") and len(cased) > 3 and cased[2].isalpha():
        cased = "Mc" + cased[2].upper() + cased[3:]
    return cased


def _is_junk(key: str) -> bool:
    """Keyboard filler: a lone "x", or one letter repeated ("xx", "aaaa")."""
    return key == "x" or (len(key) > 1 and key.count(key[0]) == len(key))


@lru_cache(maxsize=_CACHE_SIZE)
def _token(raw: str) -> _Token | None:
    """Clean one whitespace-separated word; None if no letter is left."""
    word = raw.strip("-'")
    if "--" in word or "''" in word or "-'" in word or "'-" in word:
        word = _RUNS.sub(lambda match: match.group()[0], word)
    while word and _is_mark(word[0]):
        word = word[1:].strip("-'")
    if not _has_letter(word):
        return None
    key = fold(word).replace(" ", "")
    if not key:
        return None
    flags = 0
    if key in _PARTICLES:
        flags |= _PARTICLE
    if key in _CONJUNCTIONS:
        flags |= _CONJUNCTION
    if key in _TITLES:
        flags |= _TITLE
    if key in _SUFFIXES:
        flags |= _SUFFIX
    if key in _LABELS:
        flags |= _LABEL
    if key in _STRONG_PLACEHOLDERS:
        flags |= _STRONG
    if (
        key in _PLACEHOLDER_WORDS
        or flags & _LABEL
        or (flags & _SUFFIX and key not in _NAME_SUFFIXES)
        or (flags & _TITLE and key not in _AMBIGUOUS_TITLES)
        or _is_junk(key)
    ):
        flags |= _PLACEHOLDER
    if word.isupper() or word.islower():
        cased = word.lower() if key in _LOWER_PARTICLES else _title_case(word)
        word = unicodedata.normalize("NFC", cased)  # case mapping can denormalize Greek
    return _Token(word, key, flags)


def _strip_noise(text: str) -> str:
    """Remove e-mails, URLs, bracketed and quoted asides, keeping text if nothing else."""
    if _NOISE_HINT.search(text) is None:
        return text  # the common case: one regex scan, no substitutions
    if "@" in text or "://" in text or "www." in text.lower():
        text = _EMAIL_OR_URL.sub(" ", text)
    for pattern in (_BRACKETED, _QUOTED):
        stripped = pattern.sub(" ", text)
        if stripped != text and _has_letter(stripped):
            text = stripped
    return text


@lru_cache(maxsize=_CACHE_SIZE)
def _word_tokens(word: str) -> tuple[_Token, ...]:
    """Tokens of one chunk between ASCII separators ("José", "Ana·María", "😎")."""
    if word.isalpha() or word.replace("-", "").replace("'", "").isalpha():
        token = _token(word)
        return () if token is None else (token,)
    # Marks, digits of other scripts, non-ASCII punctuation: classify every character.
    tokens = (_token(piece) for piece in word.translate(_NAME_MAP).split())
    return tuple(token for token in tokens if token is not None)


def _tokens(text: str) -> list[_Token]:
    """Split cleaned text into word tokens."""
    result: list[_Token] = []
    for word in _ASCII_SEPARATORS.split(text):
        if word:
            result.extend(_word_tokens(word))
    return result


class _Part(NamedTuple):
    tokens: tuple[_Token, ...]
    placeholder: bool  # the part was a "no name" value
    titled: bool  # a title such as "Sr." was removed from the front


def _trim(tokens: list[_Token]) -> _Part:
    """Drop leading titles/labels/placeholders and trailing suffixes/placeholders."""
    titled = False
    while len(tokens) > 1 and tokens[-1].flags & (_SUFFIX | _STRONG):
        tokens.pop()
    while len(tokens) > 1 and tokens[0].flags & (_TITLE | _LABEL | _STRONG):
        head = tokens[0]
        if head.flags & _TITLE:
            if head.key in _AMBIGUOUS_TITLES and tokens[1].key not in _tables().given:
                break
            titled = head.key not in _GIVEN_NAME_TITLES
        del tokens[0]
    if not tokens:
        return _Part((), False, False)
    if (tokens[0].flags & _PLACEHOLDER and all(token.flags & _PLACEHOLDER for token in tokens)) or (
        len(tokens) == 2 and f"{tokens[0].key} {tokens[1].key}" in _PLACEHOLDER_PHRASES
    ):
        return _Part((), True, False)
    return _Part(tuple(tokens), False, titled)


def _clean_field(raw: str | None, full: bool) -> _Part | None:
    """Clean one input field. None when the field is blank."""
    if raw is None or not raw.strip():
        return None
    text = raw
    if full and _SEGMENT_BREAK.search(text):
        # Keep the name, drop the tagline: the first segment that has letters.
        text = next(
            (segment for segment in _SEGMENT_BREAK.split(text) if _has_letter(segment)), text
        )
    part = _trim(_tokens(_strip_noise(clean_display(text))))
    if not part.tokens and not part.placeholder and _is_filler(raw):
        return _Part((), True, False)
    return part


# One cache per kind of field: single-argument caches are much cheaper to miss.
@lru_cache(maxsize=_CACHE_SIZE)
def _name_part(raw: str | None) -> _Part | None:
    """A first-name or last-name field (or one side of "Surnames, Given names")."""
    return _clean_field(raw, False)


@lru_cache(maxsize=_CACHE_SIZE)
def _full_name(raw: str | None) -> _Part | None:
    """A full-name field (WhatsApp taglines after " | " are dropped)."""
    return _clean_field(raw, True)


def _has_letter(text: str) -> bool:
    return any(char.isalpha() for char in text)


def _is_filler(raw: str) -> bool:
    """Only punctuation and digits (".", "-", "0"): typed to get past a required field."""
    return all(char in string.punctuation or char.isdigit() or char.isspace() for char in raw)


def _group(tokens: Sequence[_Token]) -> list[_Unit]:
    """Attach particles to the following word: [de, la, Cruz] -> one unit."""
    units: list[_Unit] = []
    pending: list[_Token] = []
    for token in tokens:
        if token.flags & _PARTICLE:
            pending.append(token)
        else:
            units.append((*pending, token))
            pending = []
    if pending:
        # A trailing particle is kept as its own unit ("Minh Do"): never lose a word.
        units.append(tuple(pending))
    return units


def _display(unit: _Unit) -> str:
    return " ".join(token.text for token in unit)


def _given_key(unit: _Unit) -> str:
    keys = [token.key for token in unit if not token.flags & _PARTICLE]
    return "".join(keys) if keys else "".join(token.key for token in unit)


def _surname_key(unit: _Unit) -> str:
    start = 1 if len(unit) > 1 and unit[0].flags & _CONJUNCTION else 0
    return "".join(token.key for token in unit[start:])


def _starts_with_particle(unit: _Unit) -> bool:
    return len(unit) > 1 and bool(unit[0].flags & _PARTICLE)


def _is_known_given(unit: _Unit) -> bool:
    key = _given_key(unit)
    return len(key) == 1 or key in _tables().given


def _is_devotional(unit: _Unit) -> bool:
    return (
        _starts_with_particle(unit)
        and not unit[0].flags & _CONJUNCTION
        and _given_key(unit) in _DEVOTIONAL
    )


def _given_count(units: Sequence[_Unit], hispanic: bool, titled: bool) -> int:
    """How many leading units of an uncommaed full name are given names."""
    total = len(units)
    if total == 1:
        # "Sr. Pérez", "de la Cruz": a surname; "Sr. Juan", "Caro": a given name.
        if _starts_with_particle(units[0]) or (titled and not _is_known_given(units[0])):
            return 0
        return 1
    # Devotional complements extend the first given name ("María del Carmen").
    block = 1
    while block < total and _is_devotional(units[block]):
        if block == total - 1 and _given_key(units[0]) not in _DEVOTIONAL_FIRST:
            break
        block += 1
    rest = units[block:]  # what the count rules below see after the first given name
    count = len(rest) + 1
    if count == 1:
        given = 0
    elif count == 2:
        pair = f"{_given_key(units[0])} {_given_key(rest[0])}"
        given = 1 if block == 1 and pair in _tables().compounds else 0
    elif count == 3:
        middle = rest[0]
        if _starts_with_particle(middle):
            given = 0
        elif _is_known_given(middle) or not hispanic:
            given = 1
        else:
            given = 0
    elif count == 4:
        given = 2 if not hispanic and _is_known_given(rest[1]) else 1
    else:
        given = count - 2
        if not hispanic and _is_known_given(rest[-2]):
            given += 1
    # A unit starting with a particle ("de la Cruz") begins the surnames.
    for index, unit in enumerate(rest[:given]):
        if _starts_with_particle(unit):
            given = index
            break
    return block + given


def _build(
    given_units: Iterable[_Unit], surname_units: Iterable[_Unit], issue: str | None = None
) -> NameParts:
    given_names: list[str] = []
    given_keys: list[str] = []
    for unit in given_units:
        if len(unit) == 1:  # the common case, without joins
            given_names.append(unit[0].text)
            given_keys.append(unit[0].key)
        else:
            given_names.append(_display(unit))
            given_keys.append(_given_key(unit))
    surnames: list[str] = []
    surname_keys: list[str] = []
    for unit in surname_units:
        if len(unit) == 1:
            surnames.append(unit[0].text)
            surname_keys.append(unit[0].key)
        else:
            surnames.append(_display(unit))
            surname_keys.append(_surname_key(unit))
    return tuple(given_names), tuple(surnames), tuple(given_keys), tuple(surname_keys), issue


def _parse_full(raw: str, hispanic: bool) -> tuple[list[_Unit], list[_Unit]] | None:
    """Split a full name into (given units, surname units); None if nothing usable."""
    if _COMMA.search(raw):
        head, _, tail = _strip_noise(clean_display(raw)).partition(",")
        surnames = _name_part(head)
        given = _name_part(tail)
        if surnames is not None and given is not None and surnames.tokens and given.tokens:
            return _group(given.tokens), _group(surnames.tokens)
    part = _full_name(raw)
    if part is None or not part.tokens:
        return None
    units = _group(part.tokens)
    count = _given_count(units, hispanic, part.titled)
    return units[:count], units[count:]


def _drop_repeated_surnames(
    given: tuple[_Token, ...], surnames: tuple[_Token, ...]
) -> tuple[_Token, ...]:
    """first="Juan Pérez", last="Pérez": the surname was typed in both fields.

    Repeats are dropped (and what is left trimmed again) until none is left, so the
    result is stable when normalized again. Given names are never emptied.
    """
    surname_keys = [token.key for token in surnames]
    if given[-1].key not in surname_keys:
        return given  # the common case
    while True:
        for size in range(min(len(given) - 1, len(surname_keys)), 0, -1):
            if [token.key for token in given[-size:]] == surname_keys[:size]:
                kept = _trim(list(given[:-size])).tokens
                if kept:
                    given = kept
                    break
                return given
        else:
            return given


@lru_cache(maxsize=1024)
def _is_hispanic(country: str | None) -> bool:
    if country is None or not country.strip():
        return True
    return country.strip().upper() in HISPANIC_COUNTRIES


def normalize_name(
    first_name: str | None,
    last_name: str | None,
    full_name: str | None,
    country: str | None = None,
) -> NormalizedName | None:
    """Normalize a person name given as first/last fields and/or a full name.

    First and last name fields win when both are usable (the first-name field may
    hold several given names, the last-name field one or more surnames). Otherwise the
    full name is parsed (see the module docstring for the rules); failing that, a lone
    first or last name is used as given names or surnames.

    Args:
        first_name: Given name(s) field, or None.
        last_name: Surname(s) field, or None.
        full_name: Whole name in one string ("José Luis García Márquez",
            "García Márquez, José Luis", a WhatsApp display name), or None.
        country: ISO 3166 alpha-2/alpha-3 code of the record; decides how three-word
            full names split. None means unknown (treated as Hispanic).

    Returns:
        The normalized name, or None when all three inputs are None or blank. A value
        with ``issue`` set has empty names and keys.

    Examples:
        >>> normalize_name(None, None, "GARCÍA MÁRQUEZ, JOSÉ LUIS").display
        'José Luis García Márquez'
        >>> normalize_name("Ana", "De La Cruz", None).surname_keys
        ('delacruz',)
    """
    parts = name_parts(first_name, last_name, full_name, country)
    return None if parts is None else NormalizedName(*parts)


def name_parts(
    first_name: str | None,
    last_name: str | None,
    full_name: str | None,
    country: str | None = None,
) -> NameParts | None:
    """`normalize_name`'s fields (given_names, surnames, given_keys, surname_keys, issue)
    as a tuple, without building the `NormalizedName` (compiled, a frozen dataclass is
    still built by its Python `__init__`: ~0.8 µs, on the ingest hot path)."""
    first = _name_part(first_name) if first_name else None
    last = _name_part(last_name) if last_name else None
    full = full_name if full_name and not full_name.isspace() else None
    if first is None and last is None and full is None:
        return None
    if first is not None and last is not None and first.tokens and last.tokens:
        given = _drop_repeated_surnames(first.tokens, last.tokens)
        return _build(_group(given), _group(last.tokens))
    if full is not None:
        parsed = _parse_full(full, _is_hispanic(country))
        if parsed is not None:
            return _build(*parsed)
    if first is not None and first.tokens:
        return _build(_group(first.tokens), ())
    if last is not None and last.tokens:
        return _build((), _group(last.tokens))
    placeholder = any(
        part is not None and part.placeholder for part in (first, last, _full_name(full_name))
    )
    return _build((), (), "placeholder" if placeholder else "empty")


def name_suffix(first_name: str | None, last_name: str | None, full_name: str | None) -> str | None:
    """The generational suffix a name ends with, which `normalize_name` drops: ``"jr"``
    (Jr., Jnr., Junior, hijo), ``"sr"`` (Sr., Snr., Senior), ``"ii"``, ``"iii"`` or
    ``"iv"``; None when the name has none. A father and his son often share every other
    part of the name, and this is what tells them apart. The last-name field is read
    first, then the full name, then the first-name field; a lone word ("Junior") is a
    given name, and a leading "Sr." is a title, not a suffix.

    Examples:
        >>> name_suffix("Matthew", "Clark Jr.", None)
        'jr'
        >>> name_suffix(None, None, "MATTHEW CLARK SR.")
        'sr'
        >>> name_suffix(None, None, "Sr. Pérez") is None
        True
    """
    for field in (last_name, full_name, first_name):
        if field and not field.isspace():
            found = _field_suffix(field)
            if found is not None:
                return found
    return None


@lru_cache(maxsize=_CACHE_SIZE)
def _field_suffix(raw: str) -> str | None:
    """The generational suffix ending one field, or either side of its first comma, as
    `normalize_name` splits it ("Clark Jr., Matthew", "Clark, Matthew, Jr.")."""
    for part in _COMMA.split(raw, maxsplit=1):
        tokens = _tokens(_strip_noise(clean_display(part)))
        # as `_trim` reads a name's end: suffixes and placeholders, never the last word
        while len(tokens) > 1 and tokens[-1].flags & (_SUFFIX | _STRONG):
            found = _GENERATIONS.get(tokens[-1].key)
            if found is not None:
                return found
            tokens.pop()
    return None


@lru_cache(maxsize=_CACHE_SIZE)
def canonical_given_name(key: str) -> str:
    """Map a given-name key to its formal name: "pepe" -> "jose", "bill" -> "william".

    The input is folded first, so display forms work too ("Toño" -> "antonio").
    Formal names and unknown names map to themselves. A nickname of a compound name
    maps to the compound ("juanjo" -> "juan jose", "chema" -> "jose maria"); compare
    ``.split()[0]`` with a `NormalizedName.first_given_key`. For an ambiguous nickname
    ("beto", "alex", "fer") the most common formal name (first row of the table) wins.

    Args:
        key: A given-name key or display form.

    Returns:
        The folded formal name.
    """
    folded = fold(key)
    formals = _tables().nicknames.get(folded.replace(" ", ""))
    return formals[0] if formals else folded


def is_given_name(key: str) -> bool:
    """Whether a one-word given-name key is a known formal given name ("jose", "laura"),
    not a nickname, short form or typo of one ("pepe", "caro", "jsoe")."""
    return key in _tables().given


@lru_cache(maxsize=_CACHE_SIZE)
def given_name_variants(key: str) -> frozenset[str]:
    """Every formal name a given-name key may stand for, plus the key itself.

    ``given_name_variants("beto")`` is ``{"beto", "alberto", "roberto", "humberto",
    ...}``. For compound formal names both the compound and its first name are
    included (``"juanjo"`` -> ``{"juanjo", "juan jose", "juan"}``), so the result can be
    intersected with another name's variants or with a `first_given_key`.

    Args:
        key: A given-name key or display form (folded first).

    Returns:
        A non-empty frozenset of folded names (empty only for an empty key).
    """
    folded = fold(key)
    if not folded:
        return frozenset()
    formals = _tables().nicknames.get(folded.replace(" ", ""), ())
    variants = {folded, *formals}
    variants.update(formal.split()[0] for formal in formals)
    return frozenset(variants)
