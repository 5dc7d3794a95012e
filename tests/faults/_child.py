"""One cx360 operation in a process of its own, for the fault tests to kill.

Run as `python -m tests.faults._child '<json>'` from the repository's root. The JSON says
the operation (`ingest`, `resolve`, `stream`, `erase`) and its store; the process writes one line
per step to standard output, flushed, which the parent reads to time its kill:

    ready                      the hub is open; the operation starts now
    stage <name>               a resolve stage starts (`ResolveOptions.progress`)
    rows <n>                   rows ingested so far, or records resolved by the stream
    decision <key> <text>      what the stream's call on that record decided (`decision`)
    paused <stage> / resumed   waiting at `pause_at` until the file `go` exists
    done <json>                finished (exit status 0)
    error <class> <message>    a cx360 error (exit status 3)
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

import cx360

ERROR_EXIT = 3


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _wait_for(go: str, stage: str) -> None:
    _say(f"paused {stage}")
    while not Path(go).exists():
        time.sleep(0.02)
    _say("resumed")


def _ingest(hub: cx360.Hub, spec: dict[str, Any]) -> dict[str, Any]:
    result = hub.ingest_files(
        records=spec.get("records"),
        interactions=spec.get("interactions"),
        workers=spec.get("workers", 0),
        progress=lambda _source, rows: _say(f"rows {rows}"),
    )
    counts = {}
    if result.records is not None:
        counts["records"] = result.records.inserted
    if result.interactions is not None:
        counts["interactions"] = result.interactions.inserted
    return counts


def _resolve(hub: cx360.Hub, spec: dict[str, Any]) -> dict[str, Any]:
    pause_at, go = spec.get("pause_at"), spec.get("go")

    def progress(stage: str) -> None:
        _say(f"stage {stage}")
        if stage == pause_at and go:
            _wait_for(go, stage)

    report = hub.resolve(full=bool(spec.get("full")), progress=progress)
    return {"mode": report.mode, "customers": report.customers, "records": report.records}


def _stream(hub: cx360.Hub, spec: dict[str, Any]) -> dict[str, Any]:
    from tests.faults._harness import decision, key_text

    with open(spec["records"], newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    statuses: dict[str, int] = {}
    for number, row in enumerate(rows, 1):
        match = hub.resolve_record(row)
        statuses[match.status] = statuses.get(match.status, 0) + 1
        _say(f"decision {key_text(row)} {decision(match)}")
        _say(f"rows {number}")
    return statuses


def _erase(hub: cx360.Hub, spec: dict[str, Any]) -> dict[str, Any]:
    from tests.faults._harness import erase_plan

    erase_plan(hub, Path(spec["plan"]), lambda n: _say(f"rows {n}"))
    return {"erasures": len(hub.erasures(limit=100_000))}


OPERATIONS = {"ingest": _ingest, "resolve": _resolve, "stream": _stream, "erase": _erase}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    try:
        with cx360.connect(spec["url"]) as hub:
            _say("ready")
            outcome = OPERATIONS[spec["op"]](hub, spec)
    except cx360.Cx360Error as error:
        _say(f"error {type(error).__name__} {error}")
        return ERROR_EXIT
    _say(f"done {json.dumps(outcome)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
