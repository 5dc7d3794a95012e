"""The one exception tree of cx360.

```
Cx360Error
├── ConfigurationError          bad settings: unknown store URL scheme, bad country code, ...
├── MissingDependencyError      an optional extra is not installed (names the pip command)
├── InputError                  what a user gave us cannot be read at all
│   ├── InputFormatError        unknown file type, unreadable file
│   └── SchemaError             a file or batch lacks required columns
├── StoreError                  the store failed; wraps the driver's error at the storage boundary
│   ├── StoreIntegrityError     a constraint was violated
│   ├── StoreConnectionError    the connection to the store was lost
│   ├── StoreNotFoundError      no store at that URL, and the caller would not create one
│   └── StoreVersionError       the store's schema is newer than this cx360 knows
├── NotFoundError               a lookup found nothing
└── ResolutionError             identity resolution could not run
    └── OverrideConflictError   a steward override contradicts an active one
```

Messages never carry personal data unmasked: identifiers are shown through `mask()`.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "Cx360Error",
    "InputError",
    "InputFormatError",
    "MissingDependencyError",
    "NotFoundError",
    "OverrideConflictError",
    "ResolutionError",
    "SchemaError",
    "StoreConnectionError",
    "StoreError",
    "StoreIntegrityError",
    "StoreNotFoundError",
    "StoreVersionError",
    "mask",
]


def mask(value: object, keep: int = 2) -> str:
    """Mask a personal value for logs and messages: keep the last `keep` characters only."""
    text = "" if value is None else str(value)
    if len(text) <= keep:
        return "*" * len(text)
    return "*" * (len(text) - keep) + text[-keep:]


class Cx360Error(Exception):
    """Base of every error cx360 raises on purpose."""


class ConfigurationError(Cx360Error):
    """A setting is wrong: an unknown store URL, an invalid country code, a bad option."""


class MissingDependencyError(Cx360Error, ImportError):
    """An optional dependency is needed; the message names the extra to install."""

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(f"{package} is required for this feature: pip install 'cx360[{extra}]'")


class InputError(Cx360Error):
    """Input that cannot be read at all (row-level problems are quarantined instead)."""


class InputFormatError(InputError):
    """A file whose type is unknown or whose content cannot be parsed."""


class SchemaError(InputError):
    """A file or batch lacks required columns or has values of the wrong type."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        self.row = row
        self.column = column
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)


class StoreError(Cx360Error):
    """The store failed. The driver's exception is kept as `__cause__`."""


class StoreIntegrityError(StoreError):
    """A uniqueness or foreign-key constraint was violated."""


class StoreConnectionError(StoreError):
    """The connection to the store was lost (a server restart, a failover, the network).

    The connection pool has dropped its connections, so the next call opens new ones.
    Real-time calls and lookups are retried once on their own before this is raised.
    """


class StoreNotFoundError(StoreError):
    """No store at the URL (no SQLite file, or a database without cx360's schema), and the
    caller asked not to create one: reading an empty store would answer "nothing found"
    where the truth is a mistyped path."""


class StoreVersionError(StoreError):
    """The store was written by a newer cx360 whose schema this version does not know."""


class NotFoundError(Cx360Error):
    """A lookup (customer, record, identifier) found nothing."""


class ResolutionError(Cx360Error):
    """Identity resolution could not run (for example, too little data to train a model)."""


class OverrideConflictError(ResolutionError):
    """A steward override contradicts an active one ('link' vs 'separate' on one pair).

    `existing_id` is the active override in the way: revoke it first to change the decision.
    """

    def __init__(self, message: str, *, existing_id: int) -> None:
        self.existing_id = existing_id
        super().__init__(message)
