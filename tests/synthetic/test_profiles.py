"""Generator profiles: `today` unchanged, each other profile shows its defining habit."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

import pytest

from cx360._errors import ConfigurationError
from cx360.synthetic import PROFILES, CollectedDataset, generate, write_dataset

N = 6_000

# Digests of the generator's output taken before profiles existed: `today` must not move.
TODAY_DIGESTS = {
    (3_000, 1): "632ced25b5d095d50db8279820585d65b70610054bfcb588a1527802cd64b481",
    (2_000, 5): "cc1d83e0cfe1b8a3d597f5d25b983d257f02b13a180972476f4a96c3a911a5ba",
}


def _digest(n: int, seed: int, **kwargs: object) -> str:
    h = hashlib.sha256()
    for bundle in generate(n, seed=seed, **kwargs):  # type: ignore[arg-type]
        h.update(repr(bundle).encode())
    return h.hexdigest()


@cache
def _collected(profile: str) -> CollectedDataset:
    return generate(N, seed=11, profile=profile).collect()  # type: ignore[arg-type]


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)[-7:]


def _email(text: str) -> str:
    local, _, domain = text.lower().partition("@")
    return local.split("+")[0].replace(".", "") + "@" + domain if domain else ""


@pytest.mark.parametrize(("n", "seed"), sorted(TODAY_DIGESTS))
def test_today_is_the_generator_as_it_was(n: int, seed: int) -> None:
    assert _digest(n, seed) == TODAY_DIGESTS[(n, seed)]
    assert _digest(n, seed, profile="today") == TODAY_DIGESTS[(n, seed)]


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="profile"):
        generate(10, profile="weekend")  # type: ignore[arg-type]


@pytest.mark.parametrize("profile", PROFILES)
def test_every_record_has_its_person(profile: str) -> None:
    data = _collected(profile)
    assert len(data.records) == N
    keys = [(r["source"], r["source_record_id"]) for r in data.records]
    assert len(set(keys)) == N
    assert keys == [(t["source"], t["source_record_id"]) for t in data.truth]
    assert all(t["person_id"].startswith("P") for t in data.truth)
    assert repr(generate(N, seed=11, profile=profile)).endswith(f"profile={profile!r})")  # type: ignore[arg-type]


def _people_with_several_contacts(data: CollectedDataset) -> float:
    """Among people with ≥ 2 records, the share showing ≥ 2 distinct e-mails or phones."""
    emails: dict[str, set[str]] = defaultdict(set)
    phones: dict[str, set[str]] = defaultdict(set)
    records = Counter(t["person_id"] for t in data.truth)
    for record, truth in zip(data.records, data.truth, strict=True):
        person = truth["person_id"]
        if email := _email(record["email"]):
            emails[person].add(email)
        if len(phone := _digits(record["phone"])) == 7:
            phones[person].add(phone)
    several = [p for p, n in records.items() if n >= 2]
    return sum(len(emails[p]) >= 2 or len(phones[p]) >= 2 for p in several) / len(several)


def test_multi_contact_people_show_several_emails_and_phones() -> None:
    today = _people_with_several_contacts(_collected("today"))
    multi = _people_with_several_contacts(_collected("multi_contact"))
    assert multi >= 0.3
    assert multi >= 1.7 * today


def _thin_record_share(data: CollectedDataset) -> float:
    rest = ("last_name", "full_name", "email", "national_id", "date_of_birth", "address", "city")
    thin = sum(
        bool(r["first_name"] and r["phone"]) and not any(r[c] for c in (*rest, "handle"))
        for r in data.records
    )
    return thin / len(data.records)


def _top_first_name_share(data: CollectedDataset, top: int = 10) -> float:
    names = Counter(
        (r["first_name"] or r["full_name"]).split(" ")[0].lower()
        for r in data.records
        if r["first_name"] or r["full_name"]
    )
    return sum(n for _, n in names.most_common(top)) / sum(names.values())


def test_sparse_records_carry_a_first_name_and_a_phone_and_names_are_common() -> None:
    assert _thin_record_share(_collected("today")) == 0.0
    assert _thin_record_share(_collected("sparse")) >= 0.3
    assert (
        _top_first_name_share(_collected("sparse"))
        >= _top_first_name_share(_collected("today")) + 0.08
    )


def _phones_of_several_people(data: CollectedDataset) -> float:
    """The share of phone numbers that records of ≥ 2 distinct people show."""
    people: dict[str, set[str]] = defaultdict(set)
    for record, truth in zip(data.records, data.truth, strict=True):
        if len(phone := _digits(record["phone"])) == 7:
            people[phone].add(truth["person_id"])
    return sum(len(p) >= 2 for p in people.values()) / len(people)


def _people_in_shared_homes(data: CollectedDataset) -> float:
    """The share of people whose household has ≥ 2 people in the data."""
    members: dict[str, set[str]] = defaultdict(set)
    for truth in data.truth:
        members[truth["household_id"]].add(truth["person_id"])
    people = [p for group in members.values() for p in group]
    return sum(len(g) for g in members.values() if len(g) >= 2) / len(people)


def test_households_share_phones_and_homes() -> None:
    today, households = _collected("today"), _collected("households")
    assert _phones_of_several_people(households) >= 1.5 * _phones_of_several_people(today)
    assert _people_in_shared_homes(households) >= _people_in_shared_homes(today) + 0.1


def test_profiles_write_the_same_files_with_any_number_of_workers(tmp_path: Path) -> None:
    one = write_dataset(generate(8_000, seed=2, profile="sparse"), tmp_path / "one")
    two = write_dataset(generate(8_000, seed=2, profile="sparse"), tmp_path / "two", workers=2)
    assert one.records_path.read_bytes() == two.records_path.read_bytes()
    assert one.truth_path.read_bytes() == two.truth_path.read_bytes()


def test_write_shorthand_and_command_line_know_the_profiles(tmp_path: Path) -> None:
    from benchmarks.generate import main as generate_main

    written = write_dataset(tmp_path / "hh", n_records=300, seed=3, profile="households")
    assert written.stats.records == 300
    assert (
        generate_main(
            ["--records", "300", "--profile", "multi_contact", "--out", str(tmp_path / "mc")]
        )
        == 0
    )
    assert (tmp_path / "mc" / "records.csv").exists()


@pytest.mark.parametrize("profile", PROFILES)
def test_cx360_generate_takes_every_profile(tmp_path: Path, profile: str) -> None:
    from cx360.cli._main import main as cli_main

    out = tmp_path / profile
    assert cli_main(["generate", "--records", "200", "--profile", profile, "--out", str(out)]) == 0
    assert (out / "truth.csv").read_text().count("\n") == 201


def test_writer_workers_are_not_forked_from_a_process_running_other_threads(
    tmp_path: Path,
) -> None:
    import threading

    from cx360.synthetic._writer import _pool_context

    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert _pool_context().get_start_method() == "spawn"
        one = write_dataset(generate(6_000, seed=9, profile="households"), tmp_path / "one")
        two = write_dataset(
            generate(6_000, seed=9, profile="households"), tmp_path / "two", workers=2
        )
        assert one.records_path.read_bytes() == two.records_path.read_bytes()
    finally:
        release.set()
        other.join()
