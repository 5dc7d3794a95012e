"""Words channels use for the same thing: case statuses and consent columns.

Case statuses: help desks and CRMs write a case's state in their own words and language
(``Resuelto``, ``Cerrado``, ``Abierto``, ``Pendiente``, ``In Progress``). A word that
names one of the three states every report counts by is stored as that state: ``open``,
``resolved``, ``closed`` (`case_status`). Words of a case still in progress
(``Pendiente``, ``En proceso``, ``Escalado``) are open too, and kept as written: an
agent sees that the case is pending or escalated. Any other word is kept as written
and counts as open (a case ends only on a word known to end it); `case_state` tells the
state of any word. The raw row keeps the original word.

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
    "IN_PROGRESS",
    "NOT_CONSENT_WORDS",
    "case_state",
    "case_status",
    "consent_column_name",
    "is_consent_column",
]

OPEN: Final = "open"
RESOLVED: Final = "resolved"
CLOSED: Final = "closed"

# Words that name a state outright (folded word -> the state): stored as that state.
CASE_STATUSES: Final[dict[str, str]] = {
    **dict.fromkeys(
        ("open", "opened", "reopened", "abierto", "abierta", "reabierto", "reabierta"), OPEN
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
# Words of cases still in progress: open, but kept as the channel wrote them, because an
# agent looking at an open case needs to see that it is pending or escalated.
IN_PROGRESS: Final = frozenset(
    {
        "new",
        "pending",
        "in progress",
        "on hold",
        "waiting",
        "escalated",
        "assigned",
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
    }
)
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
    """What a status is stored as: ``open``, ``resolved`` or ``closed`` for a word that
    names the state; else `raw` as given (in-progress words included).

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


def case_state(raw: str, extra: Mapping[str, str] | None = None) -> str | None:
    """The state a status word means: ``open`` (in-progress words too), ``resolved`` or
    ``closed``; None for a word not in the vocabulary (which counts as open)."""
    folded = _folded_status(raw)
    if extra and folded in extra:
        return extra[folded]
    if folded in IN_PROGRESS:
        return OPEN
    return CASE_STATUSES.get(folded)


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
