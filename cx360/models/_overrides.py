"""A data steward's decision about two records, as stored and audited."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from cx360.models._explain import RecordRef

OverrideKind = Literal["link", "separate"]


class Override(BaseModel):
    """A steward's 'link' (always one customer) or 'separate' (never one customer).

    Overrides are never deleted: revoking one fills `revoked_at`, `revoked_by` and
    `revoke_reason`, so the store keeps who decided what, when and why.
    """

    id: int
    kind: OverrideKind
    record_a: RecordRef
    record_b: RecordRef
    reason: str
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoke_reason: str | None = None

    @property
    def active(self) -> bool:
        """Whether resolution still honours it (not revoked)."""
        return self.revoked_at is None
