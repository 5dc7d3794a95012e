"""Diagnose a resolved store against ground truth: which joins mixed people, why people split.

    python benchmarks/diagnose.py mixes  --store sqlite:///s.db --truth data/truth.csv
    python benchmarks/diagnose.py splits --store sqlite:///s.db --truth data/truth.csv --show 5

`mixes` replays the store's `record_links` in the order they were made and prints the
joins that first put two people together (both groups one person each, different
people), counted by link kind and by the contact identifiers the linking pair shared,
with a sample of both groups' features. Later joins of an already mixed group only carry
the mistake on, so these are the mistakes to look at.

`splits` takes every person whose records sit in several customers and, for each part
but the largest, says why it did not join the largest: no scored pair between them was
kept (not blocked, or below every weight), or the strongest kept pair was refused by a
guard (which one). Counts by cause, in parts and in lost true pairs, and a sample.

Both read the store's own tables (features, links, kept pairs, customers), so they work
on any store a `cx360 resolve` wrote, from the CLI or `benchmarks/accuracy.py` runs.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import create_engine, select

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # running as `python benchmarks/diagnose.py`
    sys.path.insert(0, str(ROOT))

from benchmarks._baselines import read_table  # noqa: E402
from cx360.resolve._batch import load_features  # noqa: E402
from cx360.resolve._evidence import CONTACT_COLUMNS  # noqa: E402
from cx360.resolve._features import FEATURE_COLUMNS  # noqa: E402
from cx360.resolve._guards import GuardLimits, Profile, conflict  # noqa: E402
from cx360.store._schema import match_edges, record_customers, record_links, records  # noqa: E402

# the features a sample shows (`given_keys` holds the given-name keys; no city, for width)
SHOWN = tuple(c for c in FEATURE_COLUMNS if c not in ("given_key", "given_canonical", "city_key"))


class _Store:
    """What both diagnoses read: features by record id, person and customer of each."""

    def __init__(self, url: str, truth_path: Path) -> None:
        truth = read_table(truth_path)
        person = dict(
            zip(truth["source"] + "|" + truth["source_record_id"], truth["person_id"], strict=True)
        )
        engine = create_engine(url)
        with engine.connect() as conn:
            self.features = load_features(conn).to_pandas().set_index("unique_id")
            keys = {
                row.id: f"{row.source}|{row.source_record_id}"
                for row in conn.execute(
                    select(records.c.id, records.c.source, records.c.source_record_id)
                )
            }
            self.customer: dict[int, str] = dict(
                conn.execute(
                    select(record_customers.c.record_id, record_customers.c.customer_id)
                ).all()
            )
            self.links = conn.execute(
                select(
                    record_links.c.record_id_l,
                    record_links.c.record_id_r,
                    record_links.c.match_weight,
                    record_links.c.kind,
                ).order_by(record_links.c.id)
            ).all()
            self.edges = conn.execute(
                select(
                    match_edges.c.record_id_l,
                    match_edges.c.record_id_r,
                    match_edges.c.match_weight,
                )
            ).all()
        engine.dispose()
        self.key = keys
        self.person = {rid: str(person[key]) for rid, key in keys.items()}

    def row(self, record_id: int) -> dict[str, Any]:
        values = self.features.loc[record_id].to_dict()
        return {k: (None if v is None or v != v else v) for k, v in values.items()}

    def profile(self, ids: Sequence[int]) -> Profile:
        found = Profile()
        for record_id in ids:
            found.absorb(Profile.of(self.row(record_id)))
        return found

    def show(self, ids: Sequence[int], limit: int = 6) -> str:
        frame = self.features.loc[list(ids)[:limit], list(SHOWN)]
        frame = frame.assign(source=[self.key[i].split("|", 1)[0] for i in frame.index])
        return frame.to_string(header=False)

    def shared_contacts(self, left: int, right: int) -> tuple[str, ...]:
        a, b = self.row(left), self.row(right)
        return tuple(c for c in CONTACT_COLUMNS if a[c] is not None and a[c] == b[c])


def mixes(store: _Store, show: int, seed: int) -> None:
    parent: dict[int, int] = {}
    members: dict[int, list[int]] = {}

    def find(i: int) -> int:
        parent.setdefault(i, i)
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: list[tuple[float | None, int, int, list[int], list[int], str]] = []
    for left, right, weight, kind in store.links:
        a, b = find(left), find(right)
        if a == b:
            continue
        group_a, group_b = members.get(a, [a]), members.get(b, [b])
        people_a = {store.person[i] for i in group_a}
        people_b = {store.person[i] for i in group_b}
        if len(people_a) == 1 and len(people_b) == 1 and people_a != people_b:
            first.append((weight, left, right, group_a, group_b, kind))
        parent[b] = a
        members[a] = group_a + group_b
        members.pop(b, None)
    print(f"{len(store.links):,} links; {len(first):,} first joined two people")
    print("by kind:", dict(Counter(item[5] for item in first)))
    print(
        "by contact identifiers shared:",
        dict(Counter(store.shared_contacts(*item[1:3]) for item in first)),
    )
    for weight, left, right, group_a, group_b, kind in random.Random(seed).sample(
        first, min(show, len(first))
    ):
        shown = "-" if weight is None else f"{weight:.1f}"
        print(f"\n== {kind} link {left}-{right}, weight {shown}")
        print(store.show(group_a))
        print("  +")
        print(store.show(group_b))


def splits(store: _Store, show: int, seed: int) -> None:
    strongest: dict[tuple[str, str, str], tuple[float, int, int]] = {}
    for left, right, weight in store.edges:
        person = store.person[left]
        if person != store.person[right] or store.customer[left] == store.customer[right]:
            continue
        key = (person, *sorted((store.customer[left], store.customer[right])))
        if key not in strongest or weight > strongest[key][0]:
            strongest[key] = (weight, left, right)
    by_person: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for record_id, person in store.person.items():
        by_person[person][store.customer[record_id]].append(record_id)
    parts: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    examples: dict[str, list[tuple[list[int], list[int]]]] = defaultdict(list)
    limits = GuardLimits()
    for person, groups in by_person.items():
        if len(groups) < 2:
            continue
        largest, *rest = sorted(groups.values(), key=len, reverse=True)
        for part in rest:
            key = (person, *sorted((store.customer[largest[0]], store.customer[part[0]])))
            found = strongest.get(key)
            reason = conflict(store.profile(largest), store.profile(part), limits)
            if found is None:
                cause = "no kept pair (not blocked, or below every weight)"
            elif reason is not None:
                cause = f"kept pair, refused by the {reason} guard"
            else:
                cause = "kept pair, no guard conflict (below the link weight)"
            parts[cause] += 1
            pairs[cause] += len(part) * len(largest)
            examples[cause].append((largest, part))
    print("why the parts of split people did not join their largest part:")
    for cause, count in parts.most_common():
        print(f"{count:7,} parts {pairs[cause]:9,} true pairs  {cause}")
    rng = random.Random(seed)
    for cause, _ in parts.most_common():
        sample = rng.sample(examples[cause], min(show, len(examples[cause])))
        for largest, part in sample:
            print(f"\n== {cause}")
            print(store.show(largest))
            print("  x")
            print(store.show(part, limit=3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("mixes", "splits"))
    parser.add_argument("--store", required=True, help="URL of a resolved store")
    parser.add_argument("--truth", required=True, type=Path, help="truth file of its records")
    parser.add_argument("--show", type=int, default=10, help="examples to print")
    parser.add_argument("--seed", type=int, default=1, help="of the sample of examples")
    args = parser.parse_args()
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 40)
    store = _Store(args.store, args.truth)
    (mixes if args.what == "mixes" else splits)(store, args.show, args.seed)


if __name__ == "__main__":
    main()
