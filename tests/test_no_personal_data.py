"""No personal data where it does not belong: with every logger at DEBUG, a whole round of
ingest, resolve, lookups, explanations, real-time calls and error paths writes none of
its people's identifiers (e-mails, phones, national IDs, handles, as given or normalized)
to the logs, to stdout/stderr or into an exception message."""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import cx360
from cx360 import Cx360Error
from cx360.normalize import normalize_email, normalize_phone
from cx360.synthetic import write_dataset

_IDENTIFIER_COLUMNS = ("email", "phone", "national_id", "handle")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("people")
    return dict(write_dataset(out, n_records=1500, seed=12, fmt="csv"))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _identifiers(rows: list[dict[str, str]]) -> set[str]:
    """Every identifier of the data as given, and as cx360 normalizes it."""
    found: set[str] = set()
    for row in rows:
        for column in _IDENTIFIER_COLUMNS:
            value = row.get(column, "").strip()
            if len(value) < 6:
                continue
            found.add(value)
            if column == "email" and (email := normalize_email(value)):
                found.update(v for v in (email.display, email.match_key) if v)
            if column == "phone" and (phone := normalize_phone(value, row["country"])):
                found.update(v for v in (phone.e164,) if v)
    return found


@pytest.fixture
def debug_logs() -> Iterator[list[logging.LogRecord]]:
    """Every log record of every logger, DEBUG and up, while the test runs."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    root = logging.getLogger()
    handler, level = Keep(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_no_identifier_reaches_logs_output_or_errors(
    store_url: str,
    dataset: dict[str, Path],
    debug_logs: list[logging.LogRecord],
    capfd: pytest.CaptureFixture[str],
) -> None:
    rows = _rows(dataset["records"])
    held, stored = rows[-20:], rows[:-20]
    person, other = stored[5], stored[40]
    errors: list[str] = []

    def refused(call: Callable[[], Any]) -> None:
        with pytest.raises(Cx360Error) as caught:
            call()
        errors.append(f"{caught.value!s} {caught.value!r} {caught.value.__cause__!r}")

    hub = cx360.connect(store_url)
    try:
        stored_file = dataset["records"].with_name("stored.csv")
        with stored_file.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(stored)
        hub.ingest_files(records=stored_file, interactions=dataset["interactions"])
        hub.resolve()
        for row in held:
            hub.resolve_record(row, explain=True)
        key = (person["source"], person["source_record_id"])
        for lookup in ({"email": person["email"]}, {"phone": person["phone"]}):
            if all(lookup.values()):
                hub.profile(**lookup)
                hub.context(**lookup)
        hub.profile(customer_id=hub.context(record=key).customer_id or "none")
        hub.explain_record(key)
        hub.explain_pair(key, (other["source"], other["source_record_id"]))
        hub.report()
        hub.export_profiles(dataset["records"].with_name("profiles.jsonl"))
        # error paths, each given a person's identifiers
        bad_time = dict(person, source_record_id="x-1", observed_at="31/31/2024 99:99")
        refused(lambda: hub.resolve_record(bad_time))
        refused(lambda: hub.profile(email=person["email"] + "@@", phone=person["phone"]))
        hub.profile(phone=person["phone"] + "99999999999")  # invalid: a status, no error
        refused(lambda: hub.explain_pair(key, ("nowhere", person["phone"] or "x")))
        refused(
            lambda: hub.record_interaction(
                source=person["source"], source_record_id=person["source_record_id"],
                interaction_id="i-x", occurred_at=person["email"] or "never",
            )
        )  # fmt: skip
        hub.ingest(
            records=[
                dict(person, source_record_id="x-2", country=person["email"] or "nowhere"),
                {"source": "web", "email": person["email"], "phone": person["phone"]},
            ]
        )
        hub.quarantined()
    finally:
        hub.close()

    identifiers = _identifiers(stored + held)
    assert len(identifiers) > 1000
    exported = dataset["records"].with_name("profiles.jsonl").read_text(encoding="utf-8")
    assert sum(value in exported for value in identifiers) > 500  # the check can see them
    written = [record.getMessage() for record in debug_logs]
    written += [str(record.exc_text or "") for record in debug_logs]
    output = capfd.readouterr()
    texts = {"logs": "\n".join(written), "output": output.out + output.err}
    texts["errors"] = "\n".join(errors)
    assert len(errors) == 4 and len(debug_logs) > 20
    for where, text in texts.items():
        leaked = sorted(value for value in identifiers if value in text)
        assert not leaked, f"{len(leaked)} identifiers in the {where}"
