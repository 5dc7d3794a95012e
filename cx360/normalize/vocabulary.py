"""Words channels use for the same thing: case statuses and consent columns.

Case statuses: help desks and CRMs write a case's state in their own words and language
(``Resuelto``, ``Cerrado``, ``Pendiente``, ``In Progress``). Ingest stores the three
states every report agrees on: ``open``, ``resolved`` and ``closed`` (`case_status`);
a status not in the vocabulary is kept as the channel wrote it, and counts as open
(a case ends only on a word known to end it). The raw row keeps the original word.

Consent columns: exports name them ``acepta_comunicaciones``, ``Autoriza tratamiento de
datos``, ``opt-in email``, ``Newsletter``. `is_consent_column` recognizes such names;
ingest stores them as ``consent_<name>`` (unless the profile already reads the name as a
consent: ``consent_*``, ``*opt_in*``), and profiles list them as consents.

Both vocabularies compare words folded (case, accents and punctuation ignored). Callers
add their own words on top of these defaults (`cx360.ColumnMapping`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Final

from cx360.normalize.text import fold

__all__ = [
    "CASE_STATUSES",
    "CONSENT_WORDS",
    "NOT_CONSENT_WORDS",
    "case_status",
    "consent_column_name",
    "is_consent_column",
]

OPEN: Final = "open"
RESOLVED: Final = "resolved"
CLOSED: Final = "closed"

# folded word -> the state it means
CASE_STATUSES: Final[dict[str, str]] = {
    **dict.fromkeys(
        (
            "open",
            "opened",
            "reopened",
            "new",
            "pending",
            "in progress",
            "on hold",
            "waiting",
            "escalated",
            "assigned",
            "abierto",
            "abierta",
            "reabierto",
            "reabierta",
            "nuevo",
            "nueva",
            "pendiente",
            "en proceso",
            "en progreso",
            "en curso",
            "en espera",
            "en tramite",
            "escalado",
            "escalada",
            "asignado",
            "asignada",
        ),
        OPEN,
    ),
    **dict.fromkeys(
        (
            "resolved",
            "solved",
            "fixed",
            "resuelto",
            "resuelta",
            "solucionado",
            "solucionada",
            "atendido",
            "atendida",
        ),
        RESOLVED,
    ),
    **dict.fromkeys(
        (
            "closed",
            "completed",
            "complete",
            "done",
            "cancelled",
            "canceled",
            "cerrado",
            "cerrada",
            "completado",
            "completada",
            "finalizado",
            "finalizada",
            "terminado",
            "terminada",
            "cancelado",
            "cancelada",
            "anulado",
            "anulada",
        ),
        CLOSED,
    ),
}
STATES: Final = frozenset({OPEN, RESOLVED, CLOSED})

# Words in a column name that make it a consent (folded, matched as whole words).
CONSENT_WORDS: Final = (
    "consent",
    "consents",
    "consentimiento",
    "opt in",
    "optin",
    "acepta",
    "acepto",
    "aceptacion",
    "autoriza",
    "autorizo",
    "autorizacion",
    "habeas data",
    "newsletter",
    "suscrito",
    "suscrita",
    "suscripcion",
    "subscribed",
    "subscription",
    "permiso",
    "permission",
)
# ... and words that make it something else (an opt-out says the opposite).
NOT_CONSENT_WORDS: Final = (
    "opt out",
    "optout",
    "unsubscribed",
    "unsubscribe",
    "baja",
    "rechaza",
    "revoca",
    "fecha",
    "date",
)
# Names the profile already reads as consents: left as they are.
_PROFILE_CONSENT_NAME: Final = re.compile(r"^consent|opt_?in", re.IGNORECASE)


def _words_re(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")


_CONSENT_RE: Final = _words_re(CONSENT_WORDS)
_NOT_CONSENT_RE: Final = _words_re(NOT_CONSENT_WORDS)


@lru_cache(maxsize=1024)
def _folded_status(text: str) -> str:
    return fold(text)


def case_status(raw: str, extra: Mapping[str, str] | None = None) -> str:
    """``open``, ``resolved`` or ``closed`` for a known word; else `raw` as given.

    Args:
        raw: the status as the channel wrote it (stripped, not empty).
        extra: more words (folded) and the state each means; they win over defaults.
    """
    folded = _folded_status(raw)
    if extra:
        found = extra.get(folded)
        if found is not None:
            return found
    return CASE_STATUSES.get(folded, raw)


def is_consent_column(name: str) -> bool:
    """Whether a column name reads as a consent (``acepta_comunicaciones``, ``Opt-in``)."""
    folded = fold(name)
    return bool(_CONSENT_RE.search(folded)) and not _NOT_CONSENT_RE.search(folded)


def consent_column_name(name: str) -> str:
    """The name a consent column is stored under: as given when profiles already read
    it as a consent, else ``consent_`` and its folded words (``consent_opt_in_email``)."""
    if _PROFILE_CONSENT_NAME.search(name):
        return name
    return "consent_" + "_".join(fold(name).split())
