"""Tests of the synthetic omnichannel data generator (cx360.synthetic)."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import re
import subprocess
import sys
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import phonenumbers
import pytest

from cx360._errors import ConfigurationError
from cx360.synthetic import (
    INTERACTION_COLUMNS,
    RECORD_COLUMNS,
    SOURCES,
    TRUTH_COLUMNS,
    Bundle,
    CollectedDataset,
    DatasetFormat,
    SyntheticConfig,
    SyntheticDataset,
    _writer,
    generate,
    summarize,
    write_dataset,
)
from cx360.synthetic import _data as ref

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
PHONE_PLACEHOLDER_DIGITS = {re.sub(r"\D", "", v) for v in ref.PHONE_PLACEHOLDERS}


@pytest.fixture(scope="module")
def data() -> CollectedDataset:
    return generate(6_000, seed=7).collect()


def _digest(ds: SyntheticDataset) -> str:
    return _digest_stream(ds.stream())


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_data_and_other_seed_other_data() -> None:
    a = generate(1_000, seed=3).collect()
    b = generate(1_000, seed=3).collect()
    c = generate(1_000, seed=4).collect()
    assert a.records == b.records
    assert a.interactions == b.interactions
    assert a.truth == b.truth
    assert a.records != c.records


def test_deterministic_across_processes_and_hash_seeds() -> None:
    code = (
        "import hashlib\n"
        "from cx360.synthetic import generate\n"
        "h = hashlib.sha256()\n"
        "for b in generate(400, seed=11): h.update(repr(b).encode())\n"
        "print(h.hexdigest())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "987", "PATH": ""},
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == _digest(generate(400, seed=11))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_files_identical_whatever_the_number_of_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: DatasetFormat
) -> None:
    monkeypatch.setattr(_writer, "_MIN_PARALLEL", 0)
    ds = generate(1_200, seed=6)
    outs = {}
    for workers in (1, 2):
        out = write_dataset(
            ds, tmp_path / str(workers), format=fmt, workers=workers, row_group_size=500
        )
        assert out.workers == workers
        outs[workers] = out
        assert sorted(p.name for p in (tmp_path / str(workers)).iterdir()) == sorted(
            f"{n}.{fmt}" for n in ("interactions", "records", "truth")
        )
    for name in ("records", "interactions", "truth"):
        assert outs[1][name].read_bytes() == outs[2][name].read_bytes(), name
    assert outs[1].stats == outs[2].stats
    expected = ds.collect()
    assert outs[2].stats == expected.stats
    assert list(_read(outs[2]["records"], fmt)) == expected.records
    assert list(_read(outs[2]["interactions"], fmt)) == expected.interactions


def _digest_stream(stream: Iterator[Bundle]) -> str:
    h = hashlib.sha256()
    for b in stream:
        h.update(repr(b).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- contract


def test_exact_record_count_and_columns(data: CollectedDataset) -> None:
    assert len(data.records) == 6_000
    assert all(tuple(r) == RECORD_COLUMNS for r in data.records)
    assert all(tuple(i) == INTERACTION_COLUMNS for i in data.interactions)
    assert all(tuple(t) == TRUTH_COLUMNS for t in data.truth)
    assert RECORD_COLUMNS == (
        "source", "source_record_id", "observed_at", "first_name", "last_name", "full_name",
        "email", "phone", "national_id", "date_of_birth", "address", "city", "country", "handle",
    )  # fmt: skip
    for rows in (data.records, data.interactions, data.truth):
        for row in rows[:2000]:
            assert all(isinstance(v, str) for v in row.values())


def test_values_are_in_their_domains(data: CollectedDataset) -> None:
    iso = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
    for r in data.records:
        assert r["source"] in SOURCES
        assert r["country"] in ("CO", "MX", "ES", "US")
        assert iso.match(r["observed_at"])
        assert r["source_record_id"]
    assert {r["source"] for r in data.records} == set(SOURCES)
    for i in data.interactions:
        assert iso.match(i["occurred_at"])
        assert i["type"] in ("inquiry", "complaint", "case", "contact", "purchase", "return",
                             "feedback")  # fmt: skip
        assert i["status"] in ("open", "resolved", "pending", "escalated", "completed",
                               "cancelled")  # fmt: skip
        assert i["summary"]


def test_source_record_ids_unique_and_realistic(data: CollectedDataset) -> None:
    keys = [(r["source"], r["source_record_id"]) for r in data.records]
    assert len(set(keys)) == len(keys)
    shapes = {
        "whatsapp": r"^\d{11,13}$",
        "call_center": r"^CC-\d{7}$",
        "email": r"^EM\d{8}$",
        "web": r"^u_[0-9a-f]{10}$",
        "app": r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
        "store": r"^7707\d{12}$",
        "social": r"^(tw|ig|fb)_\d+$",
    }
    for r in data.records:
        assert re.match(shapes[r["source"]], r["source_record_id"]), r
        if r["source"] == "whatsapp":  # wa_id: the number itself
            assert re.sub(r"\D", "", r["phone"]).endswith(r["source_record_id"][-9:])
        if r["source"] == "store":  # loyalty card numbers carry a Luhn check digit
            digits = [int(c) for c in reversed(r["source_record_id"])]
            total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2)
                        for i, d in enumerate(digits))  # fmt: skip
            assert total % 10 == 0


def test_interactions_unique_and_point_to_records(data: CollectedDataset) -> None:
    ids = [i["interaction_id"] for i in data.interactions]
    assert len(set(ids)) == len(ids)
    observed = {(r["source"], r["source_record_id"]): r["observed_at"] for r in data.records}
    for i in data.interactions:
        key = (i["source"], i["source_record_id"])
        assert key in observed
        assert i["occurred_at"] >= observed[key]
        assert i["occurred_at"] <= "2025-06-30T23:59:59Z"
    per_record = Counter((i["source"], i["source_record_id"]) for i in data.interactions)
    assert len(per_record) < len(data.records)  # some records have no interaction
    assert max(per_record.values()) >= 4


def test_truth_covers_every_record(data: CollectedDataset) -> None:
    rec_keys = {(r["source"], r["source_record_id"]) for r in data.records}
    truth_keys = {(t["source"], t["source_record_id"]) for t in data.truth}
    assert rec_keys == truth_keys
    assert len(data.truth) == len(data.records)
    assert all(t["person_id"] and t["household_id"] for t in data.truth)
    per_person = Counter(t["person_id"] for t in data.truth)
    counts = Counter(per_person.values())
    n = len(per_person)
    assert counts[1] / n > 0.3  # many people with one record
    assert (counts[1] + counts[2]) / n > 0.55
    assert max(per_person.values()) >= 10  # power users
    # a person's records stay in one household and one country
    hh: dict[str, set[str]] = defaultdict(set)
    for t in data.truth:
        hh[t["person_id"]].add(t["household_id"])
    assert all(len(v) == 1 for v in hh.values())


def test_output_order_is_not_grouped_by_person(data: CollectedDataset) -> None:
    pids = [t["person_id"] for t in data.truth]
    adjacent_same = sum(1 for a, b in itertools.pairwise(pids) if a == b)
    assert adjacent_same / len(pids) < 0.02


# --------------------------------------------------------------------------- cases


def test_cases_span_several_channels(data: CollectedDataset) -> None:
    by_case: dict[str, list[dict[str, str]]] = defaultdict(list)
    for i in data.interactions:
        if i["case_id"]:
            by_case[i["case_id"]].append(i)
    person_of = {(t["source"], t["source_record_id"]): t["person_id"] for t in data.truth}
    multi = 0
    three = 0
    for rows in by_case.values():
        sources = {r["source"] for r in rows}
        people = {person_of[(r["source"], r["source_record_id"])] for r in rows}
        assert len(people) == 1  # a case belongs to one customer
        if len(sources) > 1:
            multi += 1
        if len(sources) > 2:
            three += 1
    assert multi >= 100
    assert three >= 10
    statuses = Counter(i["status"] for i in data.interactions if i["case_id"])
    assert statuses["open"] > 0
    assert statuses["resolved"] > 0
    assert statuses["escalated"] > 0
    assert statuses["pending"] > 0
    # repeat contacts about the same case
    assert any(len(rows) >= 3 for rows in by_case.values())


# --------------------------------------------------------------------------- noise


def test_noise_is_present_at_sensible_rates(data: CollectedDataset) -> None:
    s = summarize(data)
    # agents' placeholder values: a few percent of the fields a call centre captures
    cc = [r for r in data.records if r["source"] == "call_center"]
    ph = [r["phone"] for r in cc if r["phone"]]
    ph_placeholder = sum(1 for p in ph if re.sub(r"\D", "", p) in PHONE_PLACEHOLDER_DIGITS)
    assert 0.015 < ph_placeholder / len(ph) < 0.08
    em = [r["email"] for r in cc if r["email"]]
    em_placeholder = sum(1 for e in em if e.lower() in ref.EMAIL_PLACEHOLDERS)
    assert 0.02 < em_placeholder / len(em) < 0.2
    ids = [r["national_id"] for r in cc if r["national_id"]]
    assert 0.01 < sum(1 for v in ids if v in ref.ID_PLACEHOLDERS) / len(ids) < 0.08
    # nicknames, ALL CAPS, lost accents
    assert 0.01 < s["records_with_nickname"] < 0.1
    caps = sum(1 for r in cc if (r["first_name"] or r["full_name"]).isupper())
    assert 0.25 < caps / len(cc) < 0.6
    names = " ".join(r["last_name"] + " " + r["full_name"] for r in data.records)
    assert "Garcia" in names
    assert "García" in names
    # common names are very common
    fulls = Counter(
        (r["first_name"].split(" ")[0].lower(), r["last_name"].split(" ")[0].lower())
        for r in data.records
        if r["first_name"] and r["last_name"]
    )
    assert fulls.most_common(1)[0][1] >= 15
    # shared household phones and family emails
    assert s["phone_values_shared_by_several_people"] > 50
    assert s["email_values_shared_by_several_people"] > 0
    # Gmail variants (+tags) and phone format variety
    emails = [r["email"] for r in data.records if r["email"]]
    assert any("+" in e.split("@")[0] for e in emails)
    phones = [r["phone"] for r in data.records if r["phone"]]
    assert any(p.startswith("(") for p in phones)
    assert any(p.startswith("+") for p in phones)
    assert any(p.startswith("00") for p in phones)
    assert any(re.fullmatch(r"\d{3}\.\d{3}\.\d{4}", p) for p in phones)
    # date formats: ISO, day-first and month-first, and spelt-out Spanish dates
    dobs = [r for r in data.records if r["date_of_birth"]]
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["date_of_birth"]) for r in dobs)
    assert any(" de " in r["date_of_birth"] for r in dobs)
    us = [r["date_of_birth"] for r in dobs if r["country"] == "US"]
    assert any(re.fullmatch(r"(0[1-9]|1[0-2])/(1[3-9]|2\d|3[01])/\d{4}", d) for d in us)
    # WhatsApp display names: first names, nicknames, emoji
    wa = [r["full_name"] for r in data.records if r["source"] == "whatsapp"]
    assert sum(1 for n in wa if " " not in n) / len(wa) > 0.2
    assert any(not n.isascii() and not any(c.isalpha() and not c.isascii() for c in n[-2:])
               for n in wa)  # fmt: skip


def test_noise_multiplier() -> None:
    def placeholder_share(noise: float) -> float:
        recs = generate(1_500, seed=5, noise=noise).records()
        phones = [r["phone"] for r in recs if r["source"] == "call_center" and r["phone"]]
        bad = sum(1 for p in phones if re.sub(r"\D", "", p) in PHONE_PLACEHOLDER_DIGITS)
        return bad / len(phones)

    clean, normal, noisy = placeholder_share(0.0), placeholder_share(1.0), placeholder_share(2.5)
    assert clean < normal < noisy
    assert clean < 0.02  # with noise 0 only customers without any phone get a placeholder


def test_channels_capture_what_they_should(data: CollectedDataset) -> None:
    s = summarize(data)["fill_rate"]
    assert s["whatsapp"]["phone"] == 1.0
    assert s["whatsapp"]["email"] == 0.0
    assert s["whatsapp"]["national_id"] == 0.0
    assert s["social"]["handle"] == 1.0
    assert s["social"]["email"] < 0.3
    assert s["social"]["national_id"] == 0.0
    assert s["email"]["email"] == 1.0
    assert s["store"]["national_id"] > 0.35
    assert s["call_center"]["phone"] > 0.85
    assert s["web"]["email"] > 0.75
    assert 0.2 < s["app"]["date_of_birth"] < 0.8
    for src in SOURCES:
        assert s[src]["country"] == 1.0


# --------------------------------------------------------------------------- identifiers


def _parse_phone(text: str, region: str, source: str) -> phonenumbers.PhoneNumber:
    t = text.strip()
    if t.startswith("00"):
        t = "+" + t[2:]
    elif source == "whatsapp" and t.isdigit():
        t = "+" + t  # wa_id: digits with the country code
    return phonenumbers.parse(t, region)


def test_phones_are_valid_numbers(data: CollectedDataset) -> None:
    total = valid = 0
    wa_invalid = 0
    for r in data.records:
        text = r["phone"]
        if not text or re.sub(r"\D", "", text) in PHONE_PLACEHOLDER_DIGITS:
            continue
        total += 1
        try:
            ok = phonenumbers.is_valid_number(_parse_phone(text, r["country"], r["source"]))
        except phonenumbers.NumberParseException:
            ok = False
        valid += ok
        if r["source"] == "whatsapp" and not ok:
            wa_invalid += 1
    assert wa_invalid == 0
    # the rest are deliberate agent typos (a digit dropped or changed)
    assert valid / total > 0.98


def test_national_ids_are_well_formed(data: CollectedDataset) -> None:
    checked: Counter[str] = Counter()
    for r in data.records:
        nid = r["national_id"]
        if not nid or nid in ref.ID_PLACEHOLDERS:
            continue
        compact = re.sub(r"[\s.\-]", "", nid).upper()
        if r["country"] == "ES" and re.fullmatch(r"\d{8}[A-Z]", compact):
            ok = DNI_LETTERS[int(compact[:8]) % 23] == compact[8]
            checked["dni_ok" if ok else "dni_bad"] += 1
            if r["source"] == "store":  # checked at the till: never wrong
                assert ok, nid
        elif r["country"] == "ES" and re.fullmatch(r"[XYZ]\d{7}[A-Z]", compact):
            num = int("XYZ".index(compact[0]).__str__() + compact[1:8])
            assert DNI_LETTERS[num % 23] == compact[8] or r["source"] == "call_center"
            checked["nie"] += 1
        elif r["country"] == "MX" and len(compact) == 18 and r["source"] == "store":
            body = compact[:17]
            total = sum(CURP_ALPHABET.index(c) * (18 - i) for i, c in enumerate(body))
            assert str((10 - total % 10) % 10) == compact[17], nid
            assert re.fullmatch(r"[A-Z]{4}\d{6}[HM][A-Z]{2}[A-Z]{3}[0-9A-Z]\d", compact)
            checked["curp"] += 1
        elif r["country"] == "US" and re.fullmatch(r"\d{9}", compact):
            area = int(compact[:3])
            assert area not in (0, 666)
            assert area < 900
            assert compact[3:5] != "00"
            checked["ssn"] += 1
        elif r["country"] == "CO" and re.fullmatch(r"(CC|C\.C\.)?\s?[\d.]+", nid.strip()):
            digits = re.sub(r"\D", "", nid)
            assert 7 <= len(digits) <= 10
            checked["co"] += 1
    assert checked["dni_ok"] > 100
    assert checked["curp"] > 20
    assert checked["co"] > 100
    assert checked["dni_bad"] / (checked["dni_ok"] + checked["dni_bad"]) < 0.03


def test_emails_look_like_emails(data: CollectedDataset) -> None:
    domains: Counter[str] = Counter()
    for r in data.records:
        e = r["email"]
        if e:
            assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z.]+", e.lower()), e
            domains[e.lower().split("@")[1]] += 1
    assert domains.most_common(1)[0][0] == "gmail.com"
    assert {"hotmail.com", "yahoo.com", "outlook.com", "icloud.com"} <= set(domains)


# --------------------------------------------------------------------------- output files


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_formats_written_and_read_back(tmp_path: Path, fmt: str) -> None:
    ds = generate(1_200, seed=2)
    out = write_dataset(ds, tmp_path / fmt, format=fmt)  # type: ignore[arg-type]
    expected = ds.collect()
    assert sorted(p.name for p in (tmp_path / fmt).iterdir()) == sorted(
        f"{n}.{fmt}" for n in ("interactions", "records", "truth")
    )
    assert out.stats.records == 1_200
    assert out.stats.interactions == len(expected.interactions)
    for name, rows, columns in (
        ("records", expected.records, RECORD_COLUMNS),
        ("interactions", expected.interactions, INTERACTION_COLUMNS),
        ("truth", expected.truth, TRUTH_COLUMNS),
    ):
        path = out.paths[name]
        got = list(_read(path, fmt))
        assert got == rows, name
        assert tuple(got[0]) == columns


def _read(path: Path, fmt: str) -> Iterator[dict[str, str]]:
    if fmt == "csv":
        with open(path, encoding="utf-8", newline="") as fh:
            yield from csv.DictReader(fh)
    elif fmt == "jsonl":
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)
    else:
        import pyarrow.parquet as pq

        yield from pq.read_table(path).to_pylist()


def test_write_shorthand_and_result_mapping(tmp_path: Path) -> None:
    out = write_dataset(tmp_path, n_records=300, seed=3, fmt="jsonl")
    assert dict(out) == {
        "records": tmp_path / "records.jsonl",
        "interactions": tmp_path / "interactions.jsonl",
        "truth": tmp_path / "truth.jsonl",
    }
    assert out.stats.records == 300
    expected = generate(300, seed=3).collect().records
    assert list(_read(out["records"], "jsonl")) == expected


def test_parquet_is_written_in_row_groups(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = write_dataset(generate(2_000, seed=1), tmp_path, format="parquet", row_group_size=500)
    meta = pq.ParquetFile(out.records_path).metadata
    assert meta.num_row_groups == 4
    assert meta.num_rows == 2_000


def test_unknown_format_and_bad_config_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        write_dataset(generate(10), tmp_path, format="xlsx")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        generate(10, countries={"FR": 1.0})
    with pytest.raises(ConfigurationError):
        generate(-1)
    with pytest.raises(ConfigurationError):
        generate(10, noise=-0.5)
    with pytest.raises(ConfigurationError):
        generate(10, start=datetime(2025, 1, 1))  # naive datetime


def test_country_weights_and_window() -> None:
    ds = generate(
        1_000,
        seed=9,
        countries={"ES": 1.0},
        start=datetime(2023, 1, 1, tzinfo=UTC),
        end=datetime(2023, 12, 31, tzinfo=UTC),
    )
    recs = ds.collect().records
    assert {r["country"] for r in recs} == {"ES"}
    assert all("2023-01-01" <= r["observed_at"] < "2024-01-01" for r in recs)


# --------------------------------------------------------------------------- streaming


def test_generation_is_lazy_and_streams() -> None:
    ds = generate(50_000, seed=1)
    assert isinstance(ds, SyntheticDataset)
    stream = ds.stream()
    assert iter(stream) is stream
    first = next(stream)
    assert first.record[0] in SOURCES
    # Only about one shuffle buffer of records exists so far, not 50,000.
    cfg = SyntheticConfig()
    assert stream.stats.records == 1
    assert stream.stats.people * 2 < cfg.shuffle_buffer + 50


def test_memory_stays_flat_while_writing(tmp_path: Path) -> None:
    def peak(n: int) -> int:
        ds = SyntheticDataset(SyntheticConfig(n_records=n, seed=4, shuffle_buffer=256))
        tracemalloc.start()
        write_dataset(ds, tmp_path / str(n), format="csv")
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    peak(120)  # warm caches
    small, large = peak(250), peak(1_000)
    assert large < small * 1.5 + 2_000_000
