"""CX measures on SQLite and PostgreSQL: hand-built cases with known answers, and a
generated dataset checked against an independent pandas computation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import insert, select

from cx360 import CxReport, Hub, InputError, NotFoundError
from cx360.profile._measures import duration_stats
from cx360.store import Store, utcnow
from cx360.store._schema import customers, record_customers, records
from cx360.synthetic import generate, write_dataset

ALICE = [("whatsapp", "wa-alice"), ("call_center", "cc-alice"), ("email", "em-alice")]
BOB = ("web", "web-bob")
CAROL = ("app", "app-carol")


def _record(source: str, record_id: str, **fields: str) -> dict[str, str]:
    return {"source": source, "source_record_id": record_id, **fields}


def _contact(
    key: tuple[str, str], iid: str, when: str, kind: str, status: str, case: str = ""
) -> dict[str, str]:
    return {
        "source": key[0],
        "source_record_id": key[1],
        "interaction_id": iid,
        "occurred_at": when,
        "type": kind,
        "status": status,
        "case_id": case,
        "summary": "synthetic",
    }


# C-1: whatsapp → call_center → email, resolved by the email 78 h after it opened.
# C-2: one web contact, resolved ("Resolved": statuses are folded at ingest): FCR, 0 h.
# C-3: two app contacts, still escalated: open.
# C-4: two contacts of a store record never ingested, closed 24 h later: unresolved bucket.
# A social record ingested after resolution has one interaction: stored but not resolved.
INTERACTIONS = [
    _contact(ALICE[0], "i-1", "2024-03-01T10:00:00Z", "complaint", "open", "C-1"),
    _contact(ALICE[1], "i-2", "2024-03-02T12:30:00Z", "case", "pending", "C-1"),
    _contact(ALICE[2], "i-3", "2024-03-04T16:00:00Z", "case", "resolved", "C-1"),
    _contact(ALICE[0], "i-4", "2024-03-10T08:00:00Z", "purchase", "completed"),
    _contact(BOB, "i-5", "2024-04-01T09:00:00Z", "inquiry", "Resolved", "C-2"),
    _contact(CAROL, "i-6", "2024-05-01T11:00:00Z", "complaint", "open", "C-3"),
    _contact(CAROL, "i-7", "2024-05-03T11:00:00Z", "contact", "escalated", "C-3"),
    _contact(("store", "st-ghost"), "i-8", "2024-05-05T10:00:00Z", "purchase", "completed"),
    _contact(("store", "st-ghost"), "i-9", "2024-06-01T00:00:00Z", "complaint", "open", "C-4"),
    _contact(("store", "st-ghost"), "i-10", "2024-06-02T00:00:00Z", "case", "closed", "C-4"),
    _contact(("social", "so-late"), "i-11", "2024-06-10T10:00:00Z", "feedback", "resolved"),
]


def _customer_of(store: Store, key: tuple[str, str]) -> str:
    with store.connection() as conn:
        return str(
            conn.execute(
                select(record_customers.c.customer_id)
                .join(records, records.c.id == record_customers.c.record_id)
                .where(records.c.source == key[0], records.c.source_record_id == key[1])
            ).scalar_one()
        )


def _known_store(store: Store) -> Hub:
    """Filler records (resolution needs enough to train) plus the hand-built ones."""
    hub = Hub(store)
    filler = generate(200, seed=11).collect().records
    people = [
        _record(*ALICE[0], full_name="Zephyrine Quillbottom", phone="+57 300 555 0101"),
        _record(*ALICE[1], full_name="Zephyrine Quillbottom", phone="+57 300 555 0101"),
        _record(*ALICE[2], email="zephyrine.quillbottom@example.com"),
        _record(*BOB, full_name="Barnaby Wrixlethorpe", email="bwrix@example.org"),
        _record(*CAROL, full_name="Carolina Yzquibel", email="cyz@example.net"),
    ]
    hub.ingest(records=filler + people, interactions=INTERACTIONS)
    # a steward's links make Alice one customer whatever the model makes of so few records
    hub.link_records(ALICE[0], ALICE[1], reason="same person (test)", by="test")
    hub.link_records(ALICE[1], ALICE[2], reason="same person (test)", by="test")
    hub.resolve()
    hub.ingest(records=[_record("social", "so-late", handle="@late_one")])
    return hub


def test_known_cases_store_wide(store: Store) -> None:
    hub = _known_store(store)
    report = hub.report()
    assert isinstance(report, CxReport)
    assert report.customer_id is None

    contacts = report.contacts
    assert contacts.interactions == 11
    assert contacts.resolved_interactions == 7
    assert contacts.customers == 3
    assert contacts.per_customer == pytest.approx(7 / 3)
    assert contacts.unresolved.interactions == 4
    assert contacts.unresolved.without_record == 3
    assert contacts.unresolved.not_resolved == 1
    assert contacts.unresolved.by_channel == {"social": 1, "store": 3}
    whatsapp = contacts.by_channel["whatsapp"]
    assert (whatsapp.interactions, whatsapp.customers) == (2, 1)
    assert whatsapp.per_customer == pytest.approx(2 / 3)
    assert contacts.by_channel["store"].resolved_interactions == 0
    assert sum(c.interactions for c in contacts.by_channel.values()) == 11

    cases = report.cases
    assert (cases.cases, cases.contacts, cases.repeat_contacts) == (4, 8, 4)
    assert cases.cases_with_repeats == 3 and cases.repeat_case_share == pytest.approx(0.75)
    assert cases.contacts_distribution == {1: 1, 2: 2, 3: 1}
    assert (cases.channel_hops, cases.cross_channel_cases) == (2, 1)
    assert cases.cross_channel_share == pytest.approx(0.25)
    assert (cases.resolved_cases, cases.open_cases, cases.first_contact_resolutions) == (3, 1, 1)
    assert cases.fcr_rate == pytest.approx(1 / 4)
    assert cases.fcr_rate_of_resolved == pytest.approx(1 / 3)
    ttr = cases.time_to_resolution
    assert ttr.count == 3
    assert ttr.median_hours == pytest.approx(24.0)
    assert ttr.mean_hours == pytest.approx((0 + 24 + 78) / 3)
    assert ttr.p90_hours == pytest.approx(24 + 0.8 * (78 - 24))
    assert cases.contacts_per_resolved_case == pytest.approx(2.0)

    assert list(report.cases_by_channel) == ["app", "store", "web", "whatsapp"]
    journey = report.cases_by_channel["whatsapp"]
    assert (journey.cases, journey.contacts, journey.repeat_contacts) == (1, 3, 2)
    assert (journey.channel_hops, journey.cross_channel_cases) == (2, 1)
    assert journey.first_contact_resolutions == 0 and journey.fcr_rate == 0.0
    assert journey.time_to_resolution.median_hours == pytest.approx(78.0)
    web = report.cases_by_channel["web"]
    assert web.first_contact_resolutions == 1 and web.fcr_rate == 1.0
    assert web.time_to_resolution.median_hours == 0.0
    app = report.cases_by_channel["app"]
    assert (app.open_cases, app.fcr_rate, app.time_to_resolution.count) == (1, 0.0, 0)
    assert app.time_to_resolution.median_hours is None
    assert app.contacts_per_resolved_case is None

    # the report survives a JSON round trip (what `cx360 report --json` prints)
    assert CxReport.model_validate_json(report.model_dump_json()) == report


def test_known_cases_windows_channels_and_customers(store: Store) -> None:
    hub = _known_store(store)

    # cases that started in the window; interactions in the window
    later = hub.report(since=date(2024, 4, 1))
    assert later.since == datetime(2024, 4, 1, tzinfo=UTC)
    assert later.cases.cases == 3 and "whatsapp" not in later.cases_by_channel
    assert later.contacts.interactions == 7

    # until: a case is seen as it stood then (C-1 had 2 contacts and was still open)
    early = hub.report(until=datetime(2024, 3, 3, tzinfo=UTC))
    assert (early.cases.cases, early.cases.contacts, early.cases.channel_hops) == (1, 2, 1)
    assert (early.cases.resolved_cases, early.contacts.interactions) == (0, 2)
    # a naive datetime is UTC
    assert hub.report(until=datetime(2024, 3, 3)) == early

    # channel: its interactions, and cases that started on it
    whatsapp = hub.report(channel="whatsapp")
    assert whatsapp.contacts.interactions == 2 and list(whatsapp.contacts.by_channel) == [
        "whatsapp"
    ]
    assert whatsapp.cases.cases == 1 and whatsapp.cases.channel_hops == 2
    assert hub.report(channel="email").cases.cases == 0  # C-1 only passed through email

    # one customer: its interactions on every channel, and every case it took part in
    alice = _customer_of(store, ALICE[0])
    assert {_customer_of(store, key) for key in ALICE} == {alice}
    mine = hub.report(alice)
    assert mine.customer_id == alice
    assert mine.contacts.interactions == 4 and mine.contacts.customers == 1
    assert mine.contacts.per_customer == 4.0
    assert {k: v.interactions for k, v in mine.contacts.by_channel.items()} == {
        "call_center": 1,
        "email": 1,
        "whatsapp": 2,
    }
    assert mine.contacts.unresolved.interactions == 0
    assert (mine.cases.cases, mine.cases.channel_hops, mine.cases.fcr_rate) == (1, 2, 0.0)
    assert mine.cases.time_to_resolution.median_hours == pytest.approx(78.0)
    bob = hub.report(_customer_of(store, BOB))
    assert bob.cases.first_contact_resolutions == 1 and bob.cases.fcr_rate == 1.0

    # a merged ID stands for its survivor
    with store.transaction() as conn:
        now = utcnow()
        conn.execute(
            insert(customers).values(
                customer_id="cus_test_alias",
                status="merged",
                merged_into=alice,
                created_at=now,
                updated_at=now,
            )
        )
    assert hub.report("cus_test_alias") == mine

    with pytest.raises(NotFoundError):
        hub.report("cus_nobody")
    with pytest.raises(InputError):
        hub.report(since=date(2024, 5, 1), until=date(2024, 4, 1))


def test_empty_store_reports_zeros(store: Store) -> None:
    report = Hub(store).report()
    assert report.contacts.interactions == 0 and report.contacts.per_customer is None
    assert report.cases.cases == 0 and report.cases.fcr_rate is None
    assert report.cases.time_to_resolution.count == 0
    assert report.cases_by_channel == {}


def test_duration_stats_match_numpy_percentiles() -> None:
    import numpy as np

    values = [5.0, 0.0, 1.5, 100.0, 7.25, 3.0, 3.0]
    stats = duration_stats(values)
    assert stats.count == 7
    assert stats.median_hours == pytest.approx(float(np.percentile(values, 50)))
    assert stats.p90_hours == pytest.approx(float(np.percentile(values, 90)))
    assert stats.mean_hours == pytest.approx(float(np.mean(values)))
    assert duration_stats([4.0]).p90_hours == 4.0


# -- a generated dataset, checked against pandas ------------------------------------------------


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return dict(write_dataset(tmp_path_factory.mktemp("measures"), n_records=2000, seed=17))


def _expected_cases(frame: pd.DataFrame, until: pd.Timestamp | None = None) -> pd.DataFrame:
    """The case measures by the definitions in docs/measures.md, computed with pandas."""
    df = frame[frame["case_id"] != ""]
    if until is not None:
        df = df[df["occurred_at"] < until]
    df = df.sort_values(["case_id", "occurred_at", "interaction_id"])
    df = df.assign(resolved=df["status"].str.casefold().isin(["resolved", "closed"]))
    grouped = df.groupby("case_id", sort=False)
    first_resolved = df[df["resolved"]].groupby("case_id")["occurred_at"].min()
    cases = pd.DataFrame(
        {
            "start_channel": grouped["source"].first(),
            "opened": grouped["occurred_at"].min(),
            "contacts": grouped.size(),
            "hops": grouped["source"].agg(lambda s: int((s != s.shift()).sum()) - 1),
            "resolved": grouped["resolved"].last(),
        }
    )
    cases["ttr"] = (first_resolved.reindex(cases.index) - cases["opened"]).dt.total_seconds()
    cases["ttr"] = cases["ttr"] / 3600
    return cases


def _check(measures: Any, cases: pd.DataFrame) -> None:
    assert measures.cases == len(cases)
    assert measures.contacts == int(cases["contacts"].sum())
    assert measures.repeat_contacts == int((cases["contacts"] - 1).sum())
    assert measures.cases_with_repeats == int((cases["contacts"] > 1).sum())
    assert measures.contacts_distribution == {
        int(k): int(v) for k, v in cases["contacts"].value_counts().sort_index().items()
    }
    assert measures.channel_hops == int(cases["hops"].sum())
    assert measures.cross_channel_cases == int((cases["hops"] > 0).sum())
    resolved = cases[cases["resolved"]]
    assert measures.resolved_cases == len(resolved)
    fcr = int((resolved["contacts"] == 1).sum())
    assert measures.first_contact_resolutions == fcr
    assert measures.fcr_rate == pytest.approx(fcr / len(cases))
    ttr = resolved["ttr"]
    assert measures.time_to_resolution.count == len(ttr)
    assert measures.time_to_resolution.median_hours == pytest.approx(ttr.median())
    assert measures.time_to_resolution.p90_hours == pytest.approx(ttr.quantile(0.9))
    assert measures.time_to_resolution.mean_hours == pytest.approx(ttr.mean())
    assert measures.contacts_per_resolved_case == pytest.approx(
        resolved["contacts"].sum() / len(resolved)
    )


def test_generated_dataset_matches_pandas(
    dataset: dict[str, Path], store: Store, tmp_path: Path
) -> None:
    hub = Hub(store)
    hub.ingest_files(dataset["records"], dataset["interactions"])
    hub.resolve()
    assigned = tmp_path / "assigned.csv"
    hub.export(assigned)

    frame = pd.read_csv(dataset["interactions"], dtype=str, keep_default_na=False)
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    owners = pd.read_csv(assigned, dtype=str, keep_default_na=False)
    frame = frame.merge(owners, on=["source", "source_record_id"], how="left")
    frame["customer_id"] = frame["customer_id"].fillna("")

    report = hub.report()
    # contacts per customer, by channel
    owned = frame[frame["customer_id"] != ""]
    assert report.contacts.interactions == len(frame)
    assert report.contacts.unresolved.interactions == len(frame) - len(owned)
    assert report.contacts.customers == owned["customer_id"].nunique()
    for channel, rows in frame.groupby("source"):
        figures = report.contacts.by_channel[str(channel)]
        assert figures.interactions == len(rows)
        mine = rows[rows["customer_id"] != ""]
        assert figures.customers == mine["customer_id"].nunique()
        assert figures.per_customer == pytest.approx(len(mine) / owned["customer_id"].nunique())

    # case measures, overall and by the channel a case started on
    cases = _expected_cases(frame)
    assert len(cases) > 300 and cases["hops"].sum() > 0  # the data exercises the measures
    _check(report.cases, cases)
    assert set(report.cases_by_channel) == set(cases["start_channel"])
    for channel, part in cases.groupby("start_channel"):
        _check(report.cases_by_channel[str(channel)], part)

    # a window: interactions in it, cases that started in it seen as they stood at `until`
    since, until = pd.Timestamp("2023-01-01", tz="UTC"), pd.Timestamp("2024-07-01", tz="UTC")
    windowed = hub.report(since=since.to_pydatetime(), until=until.to_pydatetime())
    in_window = frame[(frame["occurred_at"] >= since) & (frame["occurred_at"] < until)]
    assert windowed.contacts.interactions == len(in_window)
    seen = _expected_cases(frame, until)
    _check(windowed.cases, seen[seen["opened"] >= since])

    # one customer's report agrees with the customer's rows
    busiest = owned["customer_id"].value_counts().index[0]
    theirs = hub.report(busiest)
    assert theirs.contacts.interactions == int((owned["customer_id"] == busiest).sum())
    their_cases = set(owned.loc[owned["customer_id"] == busiest, "case_id"]) - {""}
    _check(theirs.cases, cases.loc[sorted(their_cases)])
