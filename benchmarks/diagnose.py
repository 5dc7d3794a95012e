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

`recluster` clusters the store's kept pairs again with the code as it is now and its
default options (no Splink: the scored pairs are in `match_edges`) and prints the
accuracy, then, with `--joins`, every join it made counted by how it went past the
guards, by group sizes, weight and what the linking pair shared, in true and false pairs
and in joins that first mixed two people, with `--show` examples of the worst:

    python benchmarks/diagnose.py recluster --store sqlite:///s.db --truth t.csv --joins

A join "fits" when the two groups' merged profiles have no conflict; "crossed" when they
do and neither group had crossed one before (the linking pair overrode the guard: it is
corroborated or overwhelming, or a steward's link); "via facet" when a group that had
crossed before let it through by one of its facets. A cheap way to try a clustering or
guard change on a large store before running the whole resolution again.

All read the store's own tables (features, links, kept pairs, customers), so they work
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

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, select

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # running as `python benchmarks/diagnose.py`
    sys.path.insert(0, str(ROOT))

from benchmarks._baselines import read_table  # noqa: E402
from benchmarks._metrics import evaluate  # noqa: E402
from cx360.resolve._batch import ResolveOptions, _Rows, load_features  # noqa: E402
from cx360.resolve._cluster import cluster  # noqa: E402
from cx360.resolve._evidence import CONTACT_COLUMNS, LinkRule, pair_evidence  # noqa: E402
from cx360.resolve._features import FEATURE_COLUMNS  # noqa: E402
from cx360.resolve._groups import PairsByRecord  # noqa: E402
from cx360.resolve._guards import GuardLimits, Profile, conflict  # noqa: E402
from cx360.resolve._incremental import GUARD_COLUMNS  # noqa: E402
from cx360.resolve._overrides import active_overrides  # noqa: E402
from cx360.resolve._run_state import last_finished_run  # noqa: E402
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
            self.table = load_features(conn)
            self.features = self.table.to_pandas().set_index("unique_id")
            self.steward = active_overrides(conn)
            # the link rule the run resolved with (its weights may be derived from the store)
            last = last_finished_run(conn)
            self.rule = last.state.rule if last and last.state else LinkRule()
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
        return Profile.of_records(self.row(record_id) for record_id in ids)

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


def recluster(store: _Store, joins: bool, show: int, seed: int) -> None:
    table = store.table
    ids = table.column("unique_id").to_numpy()
    edges = np.array([(left, right) for left, right, _ in store.edges], dtype=np.int64)
    left = np.searchsorted(ids, edges[:, 0]) if len(edges) else np.array([], dtype=np.int64)
    right = np.searchsorted(ids, edges[:, 1]) if len(edges) else np.array([], dtype=np.int64)
    weights = np.array([weight for _, _, weight in store.edges], dtype=np.float64)
    options = ResolveOptions()
    rule = store.rule
    evidence = pair_evidence(table, left, right, weights, rule)
    rows = _Rows({c: table.column(c).to_pylist() for c in GUARD_COLUMNS})
    position = {int(rid): k for k, rid in enumerate(ids)}
    must = [(position[a], position[b]) for _, a, b in store.steward.links]
    apart = [(position[a], position[b]) for _, a, b in store.steward.separations]
    person = [store.person[int(rid)] for rid in ids]
    members: dict[int, list[int]] = {}
    profiles: dict[int, Profile] = {}  # of the groups of several records, by root
    # each join: route, group sizes, true and false pairs, whether it mixed two people
    made: list[tuple[str, str, int, int, bool]] = []
    groups: list[tuple[list[int], list[int]]] = []  # each join's two groups (positions)
    pairs_of = PairsByRecord(len(ids), left.tolist(), right.tolist())
    crossed_before: set[int] = set()
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    limits = options.limits

    def decided(a: int, b: int, reason: str | None) -> None:
        if reason is not None or not joins:
            return
        group_a, group_b = members.pop(a, [a]), members.pop(b, [b])
        merged_a = profiles.pop(a, None) or Profile.of(rows[a])
        merged_b = profiles.pop(b, None) or Profile.of(rows[b])
        crossed = conflict(merged_a, merged_b, limits)
        if crossed is None:
            route = "fits"
        elif a in crossed_before or b in crossed_before:
            route = f"via facet ({crossed})"
        else:
            route = f"crossed ({crossed})"
        count_a, count_b = Counter(person[i] for i in group_a), Counter(person[i] for i in group_b)
        true_pairs = sum(n * count_b[p] for p, n in count_a.items())
        false_pairs = len(group_a) * len(group_b) - true_pairs
        tally[route]["joins"] += 1
        tally[route]["true pairs"] += true_pairs
        tally[route]["false pairs"] += false_pairs
        sizes = "-".join(sorted("1" if len(g) == 1 else "n" for g in (group_a, group_b)))
        if sizes == "n-n":  # how many of the pairs across are scored and kept
            other = set(group_b)
            across = sum(1 for i in group_a for j in pairs_of.others(i) if j in other)
            sizes += f"({_how_many(across, len(group_a) * len(group_b))})"
        # the join that first makes a customer hold two people (a mixed customer)
        mixing = len(count_a) == 1 and len(count_b) == 1 and count_a.keys() != count_b.keys()
        made.append((route, sizes, true_pairs, false_pairs, mixing))
        groups.append((group_a, group_b))
        root = min(a, b)
        members[root] = group_a + group_b
        merged_a.absorb(merged_b)
        profiles[root] = merged_a
        if crossed is not None or a in crossed_before or b in crossed_before:
            crossed_before.discard(max(a, b))
            crossed_before.add(root)

    clustered = cluster(
        rows,
        left.tolist(),
        right.tolist(),
        weights.tolist(),
        limits=limits,
        must_link=must,
        cannot_link=apart,
        links_on_weight=evidence.links.tolist(),
        contacts=(None if rule.sole_holder_match_weight is None else evidence.contacts.tolist()),
        on_decision=decided,
    )
    keys = [store.key[int(rid)] for rid in ids]
    predicted = pd.Series([str(label) for label in clustered.labels], index=keys)
    truth = pd.Series(person, index=keys)
    metrics = evaluate(predicted, truth)
    print(
        f"P {metrics.precision:.5f} R {metrics.recall:.5f} F1 {metrics.f1:.5f}"
        f"  pairs {metrics.true_positive_pairs:,} true / "
        f"{metrics.predicted_pairs - metrics.true_positive_pairs:,} false"
        f"  mixed {metrics.mixed_clusters:,} of {metrics.multi_record_clusters:,} multi-record"
        f" ({metrics.mixed_cluster_share:.2%}), {metrics.mixed_clusters / metrics.clusters:.2%}"
        f" of {metrics.clusters:,}"
    )
    print("blocked:", dict(sorted(clustered.blocked.items())))
    for route, counts in sorted(tally.items(), key=lambda item: -item[1]["false pairs"]):
        print(f"{route:32} {dict(counts)}")
    if not joins or must:
        return  # steward's joins come first and are not among the pairs: no pairing
    # joins were made in the order of these pairs: weighted links, then sole-holder ones
    made_by = [("model", pair) for pair in clustered.links] + [
        ("sole_holder", pair) for pair in clustered.sole_holder
    ]
    by_features: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    by_sizes: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    wrong: dict[tuple[str, ...], list[tuple[int, int, float, list[int], list[int]]]]
    wrong = defaultdict(list)
    for (route, sizes, true_pairs, false_pairs, mixing), (kind, (i, j, weight)), (
        group_a,
        group_b,
    ) in zip(made, made_by, groups, strict=True):
        key = (kind, route, sizes, _band(weight), *_pair_features(rows[i], rows[j]))
        if false_pairs:
            wrong[key].append((i, j, weight, group_a, group_b))
        for counted, k in ((by_features, key), (by_sizes, (kind, sizes, _band(weight)))):
            counted[k]["joins"] += 1
            counted[k]["true"] += true_pairs
            counted[k]["false"] += false_pairs
            counted[k]["mixing"] += mixing
    print("\njoins by kind, group sizes, weight:")
    for key, counts in sorted(by_sizes.items()):
        print(f"{' '.join(key):40} {dict(counts)}")
    print("\njoins by kind, route, group sizes, weight, what the linking pair shared:")
    ranked = sorted(by_features.items(), key=lambda item: -item[1]["false"])
    for key, counts in ranked[:40]:
        print(f"{' '.join(key):90} {dict(counts)}")
    rng = random.Random(seed)
    for key, _ in ranked[:3]:
        for i, j, weight, group_a, group_b in rng.sample(wrong[key], min(show, len(wrong[key]))):
            print(f"\n== {' '.join(key)}: pair {ids[i]}-{ids[j]}, weight {weight:.1f}")
            print(store.show([int(ids[x]) for x in group_a]))
            print("  +")
            print(store.show([int(ids[x]) for x in group_b]))


def _how_many(across: int, cells: int) -> str:
    """Of the `cells` pairs between two groups, `across` scored and kept: one, a few (under
    a quarter), or many."""
    if across == 1:
        return "one"
    return "few" if across * 4 < cells else "many"


def _band(weight: float) -> str:
    for bound in (0, 2, 5, 10, 15, 20, 25):
        if weight < bound:
            return f"w<{bound}"
    return "w>=25"


def _pair_features(a: dict[str, Any], b: dict[str, Any]) -> tuple[str, ...]:
    def same(column: str) -> str:
        if not a[column] or not b[column]:
            return "-"
        return "=" if a[column] == b[column] else "x"

    shared = "+".join(c.split("_")[0] for c in CONTACT_COLUMNS if same(c) == "=") or "none"
    givens_a = set((a["given_keys"] or "").split())
    givens_b = set((b["given_keys"] or "").split())
    if not givens_a or not givens_b:
        given = "-"
    elif givens_a == givens_b:
        given = "="
    elif givens_a < givens_b or givens_b < givens_a:
        given = "part"
    else:
        given = "x"
    return (
        shared,
        f"addr{same('address_key')}",
        f"dob{same('birth_date')}",
        f"sur{same('surname_key')}{same('surname2_key')}",
        f"given{given}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("mixes", "splits", "recluster"))
    parser.add_argument("--store", required=True, help="URL of a resolved store")
    parser.add_argument("--truth", required=True, type=Path, help="truth file of its records")
    parser.add_argument("--show", type=int, default=10, help="examples to print")
    parser.add_argument("--seed", type=int, default=1, help="of the sample of examples")
    parser.add_argument("--joins", action="store_true", help="recluster: joins by route")
    args = parser.parse_args()
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 40)
    store = _Store(args.store, args.truth)
    if args.what == "recluster":
        recluster(store, args.joins, args.show, args.seed)
    else:
        (mixes if args.what == "mixes" else splits)(store, args.show, args.seed)


if __name__ == "__main__":
    main()
