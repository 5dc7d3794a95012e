"""Case statuses written in Spanish count as the state they name, in the profile's open
cases and in the CX measures, whatever channel wrote them and however they arrived."""

from __future__ import annotations

from pathlib import Path

import cx360

OPEN_WORDS = ("Pendiente", "En proceso", "Escalado", "Abierto")
RESOLVED_WORDS = ("Resuelto", "Cerrado", "Solucionado")


def _interaction(number: int, status: str) -> dict[str, str]:
    return {
        "source": "call_center",
        "source_record_id": "cc-1",
        "interaction_id": f"t-{number}",
        "occurred_at": f"2026-03-{number + 1:02d}T10:00:00Z",
        "type": "complaint",
        "status": status,
        "case_id": f"K-{number}",
    }


def test_spanish_statuses_count_as_open_or_resolved(store_url: str, tmp_path: Path) -> None:
    words = (*OPEN_WORDS, *RESOLVED_WORDS)
    with cx360.connect(store_url, create=True) as hub:
        hub.ingest(
            records=[
                {
                    "source": "call_center",
                    "source_record_id": "cc-1",
                    "country": "CO",
                    "full_name": "Rosa Elena Quintero",
                    "phone": "310 456 7890",
                }
            ],
            interactions=[_interaction(number, word) for number, word in enumerate(words)],
        )
        # the same words through real time, on cases of their own
        for number, word in enumerate(words, start=len(words)):
            hub.record_interaction(**_interaction(number, word))
        found = hub.profile(record=("call_center", "cc-1"))
        report = hub.report()
    assert found.profile is not None
    open_statuses = sorted(case.status or "" for case in found.profile.open_cases)
    # words of a case in progress are kept as written, the rest stored as the state
    assert open_statuses == sorted(["Pendiente", "En proceso", "Escalado", "open"] * 2)
    assert report.cases.cases == 2 * len(words)
    assert report.cases.open_cases == 2 * len(OPEN_WORDS)
    assert report.cases.resolved_cases == 2 * len(RESOLVED_WORDS)
