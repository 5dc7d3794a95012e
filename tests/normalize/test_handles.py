"""Tests for cx360.normalize.handles (all handles are synthetic)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx360.normalize.handles import normalize_handle


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("foo", "foo"),
        ("@Foo", "foo"),
        ("@@Foo", "foo"),
        ("  @Caro_Gomez  ", "caro_gomez"),
        ("@juan.perez.", "juan.perez"),
        ("ＣＡＲＯ", "caro"),
        ("@caro_gomez 🌸", "caro_gomez"),
        ("IG: @caro_gomez", "caro_gomez"),
        ("Instagram: caro_gomez", "caro_gomez"),
        ("https://twitter.com/Foo", "foo"),
        ("http://twitter.com/foo?lang=es", "foo"),
        ("https://x.com/foo/status/123", "foo"),
        ("x.com/foo", "foo"),
        ("instagram.com/foo/", "foo"),
        ("https://www.instagram.com/Caro_Gomez/?hl=es", "caro_gomez"),
        ("https://instagr.am/foo", "foo"),
        ("https://www.facebook.com/foo.bar", "foo.bar"),
        ("https://m.facebook.com/foo", "foo"),
        ("fb.com/foo", "foo"),
        ("tiktok.com/@foo", "foo"),
        ("https://www.tiktok.com/@Foo?lang=en", "foo"),
        ("https://vm.tiktok.com/@foo/video/1", "foo"),
        ("https://www.threads.net/@foo", "foo"),
        ("https://www.linkedin.com/in/juan-perez-123/", "juan-perez-123"),
        ("https://co.linkedin.com/in/juan-perez", "juan-perez"),
        ("youtube.com/@Foo", "foo"),
        ("https://www.youtube.com/c/FooChannel", "foochannel"),
        ("https://t.me/foo", "foo"),
        ("@josé", "josé"),
        ("@instagram.com", "instagram.com"),
    ],
)
def test_normalize_handle(raw: str, expected: str) -> None:
    assert normalize_handle(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "@",
        "@@",
        "😀",
        "...",
        "foo@example.com",
        "https://www.example.com/foo",
        "www.example.com",
        "https://x.com/",
        "https://www.facebook.com/profile.php?id=1000",
        "a" * 101,
    ],
)
def test_not_a_handle(raw: str | None) -> None:
    assert normalize_handle(raw) is None


def test_channels_agree() -> None:
    spellings = [
        "@Caro_Gomez",
        "caro_gomez",
        "https://www.instagram.com/caro_gomez/",
        "tiktok.com/@CARO_GOMEZ",
        "IG: @caro_gomez 🌸",
    ]
    assert {normalize_handle(raw) for raw in spellings} == {"caro_gomez"}


_handle_words = st.sampled_from(
    ["@", "@@", "foo", "Foo", ".", "-", "_", "https://", "x.com/", "www.", "instagram.com",
     "/", "🌸", " ", "IG:", "é", "İ", "ß", "?a=1", "tiktok.com/@", "in/", "ᄀ", "ᅡ"]
)  # fmt: skip
_handles = st.lists(_handle_words, max_size=6).map("".join)


@settings(max_examples=120, deadline=None)
@given(st.one_of(_handles, st.text()))
def test_normalize_handle_is_idempotent(raw: str) -> None:
    handle = normalize_handle(raw)
    if handle is not None:
        assert handle
        assert not handle.startswith("@")
        assert " " not in handle
        assert handle == handle.casefold()
        assert normalize_handle(handle) == handle
