"""Street addresses and cities as match keys.

`normalize_address` folds an address (see `cx360.normalize.text.fold`) and expands the
abbreviations people type, so that ``"Cra. 7 # 45-10 Apto 301"`` and
``"CARRERA 7 No 45 10 apartamento 301"`` give the same key
``"carrera 7 45 10 apartamento 301"``.

Rules:

* Number markers are dropped and the numbers kept: ``"Cl 45 # 12-34"``,
  ``"Calle 45 No. 12 - 34"`` and ``"calle 45 nro 12-34"`` all give ``"calle 45 12 34"``.
* A single letter after a number is joined to it (``"45 A"`` -> ``"45a"``) because
  Colombian addresses write both; ``"bis"`` stays a word.
* Abbreviations are expanded word by word. Some are language dependent ("av" is
  *avenida* or *avenue*, "apt" *apartamento* or *apartment*, "pl" *plaza* or *place*),
  so the address is first classified as English when it has more English votes than
  Spanish ones, and as Spanish otherwise (the default: CO, MX and ES come first).
  English votes are English street words (street, st, road, suite, nw, 5th, ...) and
  a leading house number ("1600 Pennsylvania Ave"); Spanish votes are Spanish street
  words (calle, carrera, colonia, piso, ...).
* English only: ``#`` after the house number means apartment (``"123 Main St #4"`` ->
  ``"123 main street apartment 4"``); standalone n/s/e/w/ne/... become directions;
  "st" before a name that is followed by a street type is *saint*
  (``"St Charles Ave"`` -> ``"saint charles avenue"``).
* Spain: ``"C/ Mayor 5"`` -> ``"calle mayor 5"``; ``"s/n"`` -> ``"sin numero"``.

The result is idempotent: ``normalize_address(normalize_address(x)) ==
normalize_address(x)``. Every expansion lands on a word of the language the address was
classified as, so a second pass classifies it the same way.

`normalize_city` folds a city and maps common aliases to one name
(``"Bogotá D.C."``, ``"Santa Fe de Bogotá"`` -> ``"bogota"``; ``"CDMX"``,
``"México D.F."`` -> ``"ciudad de mexico"``; ``"NYC"`` -> ``"new york"``). Text after a
comma, " - ", "/" or "(" is a region and is dropped (``"Medellín, Antioquia"``).

`postcode_reading` / `normalize_postcode` give a postcode key: upper case, without spaces,
dashes or dots (``"sw1a 1aa"`` -> ``"SW1A1AA"``, ``"01310-100"`` -> ``"01310100"``).
Unknown (None) are empty cells and what is typed for "none" (``0000``, ``00000``,
``99999``, ``N/A``, ``S/N``, ``XXXX``: issue ``placeholder``) and text that cannot be a
postcode (no digit, or over 10 characters: issue ``invalid``). Where the country is
known, two cheap fixes: a US ZIP+4 is its 5-digit ZIP (``"12345-6789"`` -> ``"12345"``),
and an all-digit code shorter than the country's fixed length gets back the leading
zeros a spreadsheet took (``"2134"`` in the US -> ``"02134"``; AU 4 digits, CO 6; US,
MX, ES, FR, DE, IT 5). Nothing else is checked against a country's format: a wrong but
well-formed code only fails to agree.

`normalize_region` gives a state / province / department key: folded, without a leading
"state of", "provincia de", "departamento del"... or an ISO 3166-2 country prefix
(``"AU-NSW"``), and, where the country is known (AU, US, CA, MX, CO), its common
abbreviations mapped to the full name (``"NSW"`` and ``"New South Wales"`` ->
``"new south wales"``; ``"Edomex"`` -> ``"estado de mexico"``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from cx360.normalize.text import fold

__all__ = [
    "normalize_address",
    "normalize_city",
    "normalize_postcode",
    "normalize_region",
    "postcode_reading",
]

_CACHE_SIZE: Final = 1 << 17

# Stands in for "#" through `fold` (which would delete it): a letter no address uses.
_HASH: Final = "ǂ"
_HASH_SIGNS: Final = re.compile("[#\uff03\ufe5f]")  # "#", fullwidth and small "#"

_SPANISH: Final[dict[str, str]] = {
    # street types
    "cl": "calle", "cll": "calle", "clle": "calle", "call": "calle",
    "cra": "carrera", "cr": "carrera", "kr": "carrera", "kra": "carrera", "crr": "carrera",
    "av": "avenida", "avda": "avenida", "avd": "avenida", "ave": "avenida", "aven": "avenida",
    "ak": "avenida carrera", "ac": "avenida calle",
    "dg": "diagonal", "diag": "diagonal", "dig": "diagonal",
    "tv": "transversal", "tr": "transversal", "trans": "transversal",
    "transv": "transversal", "tranv": "transversal", "trv": "transversal",
    "trav": "travesia",
    "blvd": "bulevar", "blvr": "bulevar", "bv": "bulevar", "bulev": "bulevar",
    "boulevard": "bulevar",
    "priv": "privada", "prol": "prolongacion", "cda": "cerrada", "cerr": "cerrada",
    "calz": "calzada", "cto": "circuito", "circ": "circuito",
    "ctra": "carretera", "crta": "carretera", "carr": "carretera",
    "autop": "autopista", "aut": "autopista",
    "pza": "plaza", "pl": "plaza", "plza": "plaza", "plz": "plaza",
    "po": "paseo", "pso": "paseo",
    "pje": "pasaje", "psje": "pasaje",
    "gta": "glorieta", "glta": "glorieta", "rda": "ronda",
    "km": "kilometro", "esq": "esquina",
    # units and buildings
    "apto": "apartamento", "apt": "apartamento", "ap": "apartamento", "aptos": "apartamento",
    "dpto": "departamento", "depto": "departamento", "dto": "departamento",
    "int": "interior", "of": "oficina", "ofi": "oficina", "ofic": "oficina",
    "lc": "local", "loc": "local", "ed": "edificio", "edif": "edificio", "edf": "edificio",
    "tor": "torre", "bl": "bloque", "blq": "bloque", "bloq": "bloque",
    "mz": "manzana", "mza": "manzana", "manz": "manzana", "lt": "lote", "lte": "lote",
    "et": "etapa", "conj": "conjunto", "cjto": "conjunto", "bod": "bodega", "bdg": "bodega",
    "esc": "escalera", "pta": "puerta", "izq": "izquierda", "izqda": "izquierda",
    "izda": "izquierda", "dcha": "derecha", "dch": "derecha", "der": "derecha",
    "unid": "unidad", "res": "residencial", "hda": "hacienda",
    # areas
    "col": "colonia", "fracc": "fraccionamiento", "frac": "fraccionamiento",
    "br": "barrio", "bo": "barrio", "barr": "barrio", "brr": "barrio",
    "urb": "urbanizacion", "sec": "sector", "sect": "sector", "vda": "vereda",
    "mpio": "municipio",
    # directions
    "pte": "poniente", "ote": "oriente", "nte": "norte", "occ": "occidente",
}  # fmt: skip

_ENGLISH: Final[dict[str, str]] = {
    "st": "street", "str": "street",
    "ave": "avenue", "av": "avenue", "avn": "avenue",
    "rd": "road", "blvd": "boulevard", "blv": "boulevard", "dr": "drive", "drv": "drive",
    "ln": "lane", "ct": "court", "crt": "court", "pl": "place", "hwy": "highway",
    "pkwy": "parkway", "pky": "parkway", "cir": "circle", "ter": "terrace", "sq": "square",
    "trl": "trail", "expy": "expressway", "fwy": "freeway", "aly": "alley", "cv": "cove",
    "xing": "crossing", "jct": "junction", "ctr": "center", "plz": "plaza", "pt": "point",
    "tpke": "turnpike", "mt": "mount", "ft": "fort", "hts": "heights",
    "apt": "apartment", "unit": "apartment", "ste": "suite", "bldg": "building",
    "rm": "room", "flr": "floor",
    "n": "north", "s": "south", "e": "east", "w": "west",
    "ne": "northeast", "nw": "northwest", "se": "southeast", "sw": "southwest",
}  # fmt: skip

# Words that only occur in one language's addresses. Ambiguous abbreviations ("av",
# "apt", "pl", "blvd", "dr") are in neither set: they are what the vote decides.
_SPANISH_MARKERS: Final = frozenset(
    {"calle", "cl", "cll", "clle", "carrera", "cra", "kr", "kra", "cr", "avenida", "avda",
     "diagonal", "dg", "diag", "transversal", "tv", "transv", "travesia", "colonia", "col",
     "apartamento", "apto", "piso", "barrio", "manzana", "mz", "interior", "esquina", "esq",
     "carretera", "ctra", "paseo", "local", "oficina", "edificio", "torre",
     "conjunto", "casa", "sur", "norte", "oriente", "poniente", "occidente", "pte", "ote",
     "nte", "bis", "bulevar", "privada", "cerrada", "calzada", "urbanizacion", "vereda",
     "kilometro", "municipio", "fraccionamiento", "fracc", "lote", "bloque", "etapa",
     "sector", "departamento", "depto", "sin", "glorieta", "pasaje", "ronda", "izquierda",
     "derecha", "escalera", "puerta", "autopista", "circuito", "prolongacion", "unidad",
     "residencial", "hacienda", "bodega"}
)  # fmt: skip
_ENGLISH_MARKERS: Final = frozenset(
    {"street", "st", "avenue", "road", "rd", "lane", "ln", "drive", "boulevard", "court",
     "ct", "highway", "hwy", "suite", "ste", "apartment", "unit", "parkway", "pkwy",
     "place", "saint", "floor", "circle", "terrace", "trail", "building", "room", "north",
     "south", "east", "west", "northeast", "northwest", "southeast", "southwest",
     "expressway", "freeway", "alley", "turnpike", "heights", "square", "nw", "sw", "ne",
     "se"}
)  # fmt: skip
_ENGLISH_ORDINAL: Final = re.compile(r"\d*(?:1st|2nd|3rd|[04-9]th|1[123]th)")

# Street types after which "st" + name is "saint" ("St Charles Ave").
_ENGLISH_STREET_TYPES: Final = frozenset(
    {"street", "st", "avenue", "ave", "av", "road", "rd", "boulevard", "blvd", "drive", "dr",
     "lane", "ln", "court", "ct", "place", "pl", "way", "highway", "hwy", "parkway", "pkwy"}
)  # fmt: skip
_NUMBER_MARKERS: Final = frozenset({"no", "nro", "nr", "num", "numero", "n", "nos", "number"})
_ENGLISH_NUMBER_MARKERS: Final = frozenset({"no", "nr", "num", "number", "nos"})
_UNIT_WORDS: Final = frozenset({"apartment", "suite", "room", "floor"})
_NOT_JOINED: Final = frozenset({"y", "o", "e", "u"})  # conjunctions: "calle 5 y 6"

# Abbreviations glued to a number: "Cll45", "KR7", "apt4b", "No12".
_GLUED: Final = re.compile(r"([a-z]+)(\d\w*)")
_GLUE_PREFIXES: Final = (
    frozenset(_SPANISH)
    | frozenset(_ENGLISH)
    | _SPANISH_MARKERS
    | _ENGLISH_MARKERS
    | _NUMBER_MARKERS
) - {"n", "s", "e", "w", "x"}
_SPAIN_CALLE: Final = re.compile(r"(?i)(?<![^\W\d_])c\s*/")
_SIN_NUMERO: Final = re.compile(r"(?i)(?<![^\W_])s\s*/\s*n(?![^\W_])")


def _split_glued(tokens: list[str]) -> list[str]:
    result: list[str] = []
    for token in tokens:
        match = _GLUED.fullmatch(token)
        if match is not None and match.group(1) in _GLUE_PREFIXES:
            result.extend(match.groups())
        else:
            result.append(token)
    return result


def _drop_number_markers(tokens: list[str], markers: frozenset[str]) -> list[str]:
    """Drop "#", and "no"/"nro"/... before a number: "45 # 12" / "45 no. 12" -> "45 12".

    Right to left, so "n no 12" loses both markers in one pass (idempotence).
    """
    kept: list[str] = []
    for token in reversed(tokens):
        if token == _HASH or (token in markers and kept and kept[-1][:1].isdigit()):
            continue
        kept.append(token)
    kept.reverse()
    return kept


def _starts_with_number(tokens: list[str]) -> bool:
    """US style: the house number comes first ("123 Main St")."""
    kept = _drop_number_markers(tokens, _NUMBER_MARKERS)
    return bool(kept) and kept[0][:1].isdigit()


def _is_english(tokens: list[str]) -> bool:
    english = 1 if _starts_with_number(tokens) else 0
    spanish = 0
    for token in tokens:
        if token in _SPANISH_MARKERS:
            spanish += 1
        elif token in _ENGLISH_MARKERS or (
            token[0].isdigit() and _ENGLISH_ORDINAL.fullmatch(token)
        ):
            english += 1
    return english > spanish


def _joins(word: str, out: list[str]) -> bool:
    """A lone letter right after a number belongs to it: "45 a" -> "45a"."""
    return len(word) == 1 and word.isalpha() and bool(out) and out[-1].isdigit()


def _expand_spanish(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for token in _drop_number_markers(tokens, _NUMBER_MARKERS):
        word = _SPANISH.get(token, token)
        if _joins(word, out) and word not in _NOT_JOINED:
            out[-1] += word
        else:
            out.extend(word.split())
    return out


def _resolve_hash(tokens: list[str]) -> list[str]:
    """English "#": apartment after the house number ("Main St #4"), else nothing."""
    out: list[str] = []
    for token in tokens:
        if token != _HASH:
            out.append(token)
        elif out and _ENGLISH.get(out[-1], out[-1]) not in _UNIT_WORDS:
            out.append("apartment")
    return out


def _expand_english(tokens: list[str]) -> list[str]:
    words = _drop_number_markers(_resolve_hash(tokens), _ENGLISH_NUMBER_MARKERS)
    out: list[str] = []
    for index, part in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if part == "st":
            after = words[index + 2] if index + 2 < len(words) else ""
            saint = following.isalpha() and after in _ENGLISH_STREET_TYPES
            word = "saint" if saint else "street"
        elif part == "fl":
            # "fl" is also Florida: only a floor next to a small number.
            previous = out[-1] if out else ""
            near_number = (following.isdigit() and len(following) <= 3) or previous[:1].isdigit()
            word = "floor" if near_number else part
        else:
            word = _ENGLISH.get(part, part)
        if _joins(word, out):
            out[-1] += word
        else:
            out.append(word)
    return out


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_address(raw: str | None) -> str | None:
    """Fold a street address into a match key, expanding abbreviations.

    Args:
        raw: The address as typed, or None.

    Returns:
        The key (``"calle 45 12 34 apartamento 301"``), or None when nothing is left.

    Examples:
        >>> normalize_address("Cl. 45 # 12-34 Apto 301")
        'calle 45 12 34 apartamento 301'
        >>> normalize_address("123 N Main St. Apt #4")
        '123 north main street apartment 4'
    """
    if raw is None:
        return None
    text = raw.replace(_HASH, " ")
    if "/" in text:
        text = _SIN_NUMERO.sub(" sin numero ", _SPAIN_CALLE.sub(" calle ", text))
    if _HASH_SIGNS.search(text):
        text = _HASH_SIGNS.sub(f" {_HASH} ", text)
    tokens = _split_glued(fold(text).split())
    if not tokens:
        return None
    expanded = _expand_english(tokens) if _is_english(tokens) else _expand_spanish(tokens)
    return " ".join(expanded) or None


_CITY_ALIASES: Final[dict[str, str]] = {
    alias: city
    for city, aliases in {
        "bogota": ("bogota dc", "bogota d c", "santa fe de bogota", "santafe de bogota",
                   "bogota distrito capital", "bta", "bogota d c colombia"),
        "ciudad de mexico": ("cdmx", "cd mx", "ciudad mexico", "mexico city", "mexico df",
                             "mexico d f", "df", "d f", "distrito federal",
                             "mexico distrito federal", "ciudad de mexico df"),
        "new york": ("nyc", "new york city", "ny", "n y", "n y c", "new york ny",
                     "nueva york"),
        "los angeles": ("la", "l a"),
        "san francisco": ("sf",),
        "washington": ("washington dc", "washington d c", "dc", "d c"),
        "cali": ("santiago de cali",),
        "cartagena": ("cartagena de indias",),
        "cucuta": ("san jose de cucuta",),
        "barranquilla": ("bquilla", "b quilla", "baq"),
        "monterrey": ("mty",),
        "guadalajara": ("gdl",),
        "san sebastian": ("donostia", "donostia san sebastian", "san sebastian donostia"),
        "vitoria": ("vitoria gasteiz", "gasteiz"),
        "bilbao": ("bilbo",),
        "a coruna": ("la coruna", "coruna"),
        "palma": ("palma de mallorca",),
        "philadelphia": ("philly",),
        "las vegas": ("vegas",),
        "new orleans": ("nola",),
        "puebla": ("heroica puebla de zaragoza", "puebla de zaragoza"),
        "miami": ("miami fl",),
    }.items()
    for alias in aliases
}  # fmt: skip
_CITY_PREFIXES: Final[dict[str, str]] = {
    "cd": "ciudad", "sta": "santa", "sto": "santo", "gral": "general", "st": "saint",
    "ft": "fort", "mt": "mount", "pto": "puerto",
}  # fmt: skip
_CITY_REGION: Final = re.compile(r",|\s[-–—/]\s|/|\(")


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_city(raw: str | None) -> str | None:
    """Fold a city name and map common aliases to one spelling.

    Args:
        raw: The city as typed, or None.

    Returns:
        The city key (``"bogota"``, ``"ciudad de mexico"``), or None when empty.

    Examples:
        >>> normalize_city("Bogotá, D.C.")
        'bogota'
        >>> normalize_city("CDMX")
        'ciudad de mexico'
    """
    if raw is None:
        return None
    text = raw
    region = _CITY_REGION.search(text)
    if region is not None and fold(text[: region.start()]):
        text = text[: region.start()]
    words = fold(text).split()
    if not words:
        return None
    words[0] = _CITY_PREFIXES.get(words[0], words[0]) if len(words) > 1 else words[0]
    key = " ".join(words)
    return _CITY_ALIASES.get(key, key)


# -- postcodes ----------------------------------------------------------------------------

# What is typed for "no postcode", as the key reads it (upper case, no separators).
_POSTCODE_PLACEHOLDERS: Final = frozenset(
    {"NA", "NONE", "NULL", "NIL", "NO", "SN", "SIN", "SINCP", "SINCODIGO", "NOTIENE",
     "NOAPLICA", "UNKNOWN", "DESCONOCIDO", "TBD", "ND", "NN"}
)  # fmt: skip
# Countries whose postcodes are all digits of one length: a shorter all-digit code lost
# its leading zeros in a spreadsheet.
_POSTCODE_DIGITS: Final[dict[str, int]] = {
    "US": 5, "MX": 5, "ES": 5, "FR": 5, "DE": 5, "IT": 5, "AU": 4, "CO": 6,
}  # fmt: skip
_POSTCODE_MAX: Final = 10
_FLOAT_TAIL: Final = re.compile(r"^(\d+)\.0+$")  # "2000.0": a number read as a float


def _postcode_placeholder(key: str) -> bool:
    if key in _POSTCODE_PLACEHOLDERS or set(key) == {"X"}:
        return True
    # all zeros, or all nines (of a full code's length)
    return key.isdigit() and (set(key) == {"0"} or (set(key) == {"9"} and len(key) >= 4))


@lru_cache(maxsize=_CACHE_SIZE)
def postcode_reading(raw: str | None, country: str | None = None) -> tuple[str | None, str | None]:
    """A postcode's key and issue (see the module docstring).

    Args:
        raw: The postcode as typed, or None.
        country: The record's ISO alpha-2 country, or None.

    Returns:
        ``(key, issue)``: the key, or None when unknown; the issue, ``"placeholder"`` or
        ``"invalid"``, or None.

    Examples:
        >>> postcode_reading("12345-6789", "US")
        ('12345', None)
        >>> postcode_reading("N/A", None)
        (None, 'placeholder')
    """
    if raw is None:
        return None, None
    text = raw.strip()
    number = _FLOAT_TAIL.match(text)
    if number is not None:
        text = number.group(1)
    key = fold(text).replace(" ", "").upper()
    if not key:
        return None, None
    if _postcode_placeholder(key):
        return None, "placeholder"
    if key.isdigit() and country is not None:
        length = _POSTCODE_DIGITS.get(country.upper(), 0)
        if country.upper() == "US" and len(key) == 9:
            key = key[:5]  # ZIP+4
        elif 3 <= len(key) < length:
            key = key.zfill(length)
        if _postcode_placeholder(key):
            return None, "placeholder"
    if len(key) > _POSTCODE_MAX or not any(ch.isdigit() for ch in key):
        return None, "invalid"
    return key, None


def normalize_postcode(raw: str | None, country: str | None = None) -> str | None:
    """A postcode's match key, or None when unknown (see `postcode_reading`).

    Examples:
        >>> normalize_postcode("sw1a 1aa")
        'SW1A1AA'
        >>> normalize_postcode("2134", "US")
        '02134'
    """
    return postcode_reading(raw, country)[0]


# -- regions (states, provinces, departments) ---------------------------------------------


def _region_table(rows: str) -> dict[str, str]:
    """`"name: alias, alias; name: ..."` as alias -> name (each name its own alias)."""
    table: dict[str, str] = {}
    for row in rows.split(";"):
        name, _, aliases = row.partition(":")
        name = name.strip()
        if not name:
            continue
        table[name] = name
        for alias in aliases.split(","):
            if alias.strip():
                table[alias.strip()] = name
    return table


# Per country, the regions' common abbreviations (postal and ISO 3166-2 codes, usual short
# forms), folded. Only where the country is known: "wa" is Western Australia in AU and
# Washington in the US.
_REGIONS: Final[dict[str, dict[str, str]]] = {
    "AU": _region_table(
        "new south wales: nsw; victoria: vic; queensland: qld; south australia: sa;"
        "western australia: wa; tasmania: tas; northern territory: nt;"
        "australian capital territory: act"
    ),
    "US": _region_table(
        "alabama: al; alaska: ak; arizona: az; arkansas: ar; california: ca, calif;"
        "colorado: co; connecticut: ct; delaware: de; florida: fl, fla; georgia: ga;"
        "hawaii: hi; idaho: id; illinois: il; indiana: in; iowa: ia; kansas: ks;"
        "kentucky: ky; louisiana: la; maine: me; maryland: md; massachusetts: ma, mass;"
        "michigan: mi; minnesota: mn; mississippi: ms; missouri: mo; montana: mt;"
        "nebraska: ne; nevada: nv; new hampshire: nh; new jersey: nj; new mexico: nm;"
        "new york: ny; north carolina: nc; north dakota: nd; ohio: oh; oklahoma: ok;"
        "oregon: or; pennsylvania: pa; rhode island: ri; south carolina: sc;"
        "south dakota: sd; tennessee: tn; texas: tx; utah: ut; vermont: vt; virginia: va;"
        "washington: wa; west virginia: wv; wisconsin: wi; wyoming: wy;"
        "district of columbia: dc, d c, washington dc, washington d c; puerto rico: pr"
    ),
    "CA": _region_table(
        "alberta: ab; british columbia: bc; manitoba: mb; new brunswick: nb;"
        "newfoundland and labrador: nl, newfoundland; nova scotia: ns;"
        "northwest territories: nt; nunavut: nu; ontario: on; prince edward island: pe;"
        "quebec: qc, pq; saskatchewan: sk; yukon: yt"
    ),
    "MX": _region_table(
        "aguascalientes: ags, agu; baja california: bc, bcn; baja california sur: bcs;"
        "campeche: camp, cam; chiapas: chis, chp; chihuahua: chih, chh;"
        "ciudad de mexico: cdmx, cmx, df, d f, distrito federal, mexico df;"
        "coahuila: coah, coa, coahuila de zaragoza; colima: col; durango: dgo, dur;"
        "guanajuato: gto, gua; guerrero: gro; hidalgo: hgo, hid; jalisco: jal;"
        "estado de mexico: mexico, mex, edomex, edo mex, edo de mexico;"
        "michoacan: mich, mic, michoacan de ocampo; morelos: mor; nayarit: nay;"
        "nuevo leon: nl, nle; oaxaca: oax; puebla: pue; queretaro: qro, que,"
        "queretaro de arteaga; quintana roo: q roo, qroo, roo; san luis potosi: slp;"
        "sinaloa: sin; sonora: son; tabasco: tab; tamaulipas: tamps, tam; tlaxcala: tlax,"
        "tla; veracruz: ver, veracruz de ignacio de la llave; yucatan: yuc; zacatecas: zac"
    ),
    "CO": _region_table(
        "bogota: bogota dc, bogota d c, distrito capital, dc, d c; valle del cauca: valle;"
        "norte de santander: n santander; san andres: san andres y providencia"
    ),
}
# Words naming the kind of region before its name ("Estado de Jalisco", "State of Texas").
_REGION_PREFIXES: Final = (
    "state of ", "province of ", "estado de ", "estado del ", "provincia de ",
    "provincia del ", "departamento de ", "departamento del ", "depto de ", "depto del ",
    "dpto de ", "dpto del ", "depto ", "dpto ", "departamento ", "provincia ", "estado ",
)  # fmt: skip
_REGION_PLACEHOLDERS: Final = frozenset(
    {"n a", "na", "none", "null", "nil", "no", "sin dato", "sin datos", "unknown", "ninguno",
     "desconocido", "otro", "other", "xx", "xxx"}
)  # fmt: skip
_REGION_MAX: Final = 128


@lru_cache(maxsize=_CACHE_SIZE)
def normalize_region(raw: str | None, country: str | None = None) -> str | None:
    """A state, province or department as a match key (see the module docstring).

    Args:
        raw: The region as typed, or None.
        country: The record's ISO alpha-2 country, or None.

    Returns:
        The region key, or None when unknown (empty, a placeholder, or too long).

    Examples:
        >>> normalize_region("NSW", "AU")
        'new south wales'
        >>> normalize_region("Estado de Jalisco", "MX")
        'jalisco'
    """
    if raw is None:
        return None
    key = fold(raw)
    if not key or key in _REGION_PLACEHOLDERS or len(key) > _REGION_MAX:
        return None
    code = country.lower() + " " if country is not None else None
    table = _REGIONS.get(country.upper(), {}) if country is not None else {}
    while key not in table:
        # "AU-NSW", "MX-JAL", "Estado de Jalisco": the name after its country or kind
        if code is not None and key.startswith(code) and len(key) > len(code):
            key = key[len(code) :]
            continue
        prefix = next((p for p in _REGION_PREFIXES if key.startswith(p) and len(key) > len(p)), "")
        if not prefix:
            return None if key in _REGION_PLACEHOLDERS else key
        key = key[len(prefix) :]
    return table[key]
