"""Synthetic omnichannel customer data with ground truth.

Fictional people in Colombia, Mexico, Spain and the United States (names, birth dates,
national ids, phones, emails, addresses, households) are seen through seven channels —
``whatsapp``, ``call_center``, ``email``, ``web``, ``app``, ``store``, ``social`` — each
capturing what that channel really captures, with the noise real data has: typos, lost
accents, ALL CAPS, nicknames, partial and swapped names, many phone and date formats,
Gmail dot/+tag variants, agents' placeholder values, outdated phones/emails/addresses,
shared household phones and family emails, Jr./Sr. namesakes and twins.

Every record of a person is linkable to the person's other records by evidence a careful
human could use (a shared own phone, email, national id or handle, or the person's name
together with birth date, address or a shared household contact); the generator checks
this and repairs the rare record that would otherwise carry nothing linkable.

Quick use::

    from cx360.synthetic import generate, summarize, write_dataset

    ds = generate(15_000, seed=7)                    # lazy; nothing generated yet
    for bundle in ds:                                # one record + its interactions + truth
        ...
    small = generate(2_000, seed=1).collect()        # lists of row dicts, for tests
    written = write_dataset(ds, "bench-data/15k", format="parquet")
    print(written.stats.people, written.records_path)
    write_dataset(generate(1_000_000, seed=7), "bench-data/1m", workers=2)  # 2 processes
    print(summarize(ds)["fill_rate"]["call_center"])
    generate(15_000, seed=7, profile="multi_contact")  # see PROFILES

Profiles (``generate(..., profile=...)``) change the population's habits so that an
evaluation is not ruled by one set of assumptions: ``today`` (the default, unchanged
output for a seed), ``multi_contact`` (several e-mails and phones per person, changed over
time and given to different channels), ``sparse`` (thin channels: a first name and a phone;
very common names) and ``households`` (members sharing phones, addresses and e-mails; more
juniors). The truth is a person id per record whatever the profile.

Scale: generation streams in constant memory (a bounded shuffle buffer decorrelates the
output order from people; uniqueness of ids, phones, emails and handles needs no growing
state). The population is split into LANES independent lanes emitted one after the
other; ``write_dataset(..., workers=k)`` writes lanes in k processes and joins them, so the
files are byte-identical for any k (1..4). See benchmarks/generate.py for the command line.

Output contract (all values text, "" = unknown):

- ``records``: RECORD_COLUMNS — source, source_record_id, observed_at, first_name,
  last_name, full_name, email, phone, national_id, date_of_birth, address, city, country,
  handle. (source, source_record_id) is unique.
- ``interactions``: INTERACTION_COLUMNS — source, source_record_id, interaction_id,
  occurred_at, type, status, case_id, summary. interaction_id is unique; case_id groups
  contacts about the same case, across channels. Types: inquiry, complaint, case, contact,
  purchase, return, feedback. Statuses: open, resolved, pending, escalated (and
  completed/cancelled for purchases).
- ``truth``: TRUTH_COLUMNS — source, source_record_id, person_id, household_id.

Generation is deterministic for a seed, streams in constant memory, and takes no
dependency beyond the standard library (pyarrow only for Parquet output).
"""

from __future__ import annotations

from cx360.synthetic._generator import (
    DEFAULT_COUNTRIES,
    INTERACTION_COLUMNS,
    LANES,
    RECORD_COLUMNS,
    SOURCES,
    SUPPORTED_COUNTRIES,
    TRUTH_COLUMNS,
    Bundle,
    CollectedDataset,
    DatasetStream,
    GenerationStats,
    SyntheticConfig,
    SyntheticDataset,
    generate,
)
from cx360.synthetic._profiles import PROFILES, Profile
from cx360.synthetic._summary import summarize
from cx360.synthetic._writer import FORMATS, DatasetFormat, WrittenDataset, write_dataset

__all__ = [
    "DEFAULT_COUNTRIES",
    "FORMATS",
    "INTERACTION_COLUMNS",
    "LANES",
    "PROFILES",
    "RECORD_COLUMNS",
    "SOURCES",
    "SUPPORTED_COUNTRIES",
    "TRUTH_COLUMNS",
    "Bundle",
    "CollectedDataset",
    "DatasetFormat",
    "DatasetStream",
    "GenerationStats",
    "Profile",
    "SyntheticConfig",
    "SyntheticDataset",
    "WrittenDataset",
    "generate",
    "summarize",
    "write_dataset",
]
