from __future__ import annotations

from cx360.resolve._ids import assign_ids


def test_first_run_gives_new_opaque_ids() -> None:
    result = assign_ids([0, 0, 2], [10, 11, 12], {})
    assert len(result.created) == 2
    assert result.customer_of_label[0] != result.customer_of_label[2]
    assert all(cid.startswith("cus_") and not cid[4:].isdigit() for cid in result.created)


def test_unchanged_clusters_keep_their_ids() -> None:
    previous = {10: "cus_a", 11: "cus_a", 12: "cus_b"}
    result = assign_ids([0, 0, 2], [10, 11, 12], previous)
    assert result.customer_of_label == {0: "cus_a", 2: "cus_b"}
    assert not result.created
    assert not result.merged


def test_new_record_joins_existing_customer() -> None:
    result = assign_ids([0, 0, 0], [10, 11, 99], {10: "cus_a", 11: "cus_a"})
    assert result.customer_of_label == {0: "cus_a"}


def test_merge_keeps_one_id_and_the_other_is_an_alias() -> None:
    previous = {10: "cus_a", 11: "cus_a", 12: "cus_b"}
    result = assign_ids([0, 0, 0], [10, 11, 12], previous)
    assert result.customer_of_label == {0: "cus_a"}
    assert result.merged == {"cus_b": "cus_a"}


def test_split_larger_part_keeps_the_id() -> None:
    previous = {10: "cus_a", 11: "cus_a", 12: "cus_a"}
    result = assign_ids([0, 0, 2], [10, 11, 12], previous)
    assert result.customer_of_label[0] == "cus_a"
    assert result.customer_of_label[2] != "cus_a"
    assert result.split == ["cus_a"]
