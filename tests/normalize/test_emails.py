"""Email normalization: wrappers, provider aliases, placeholders, and the fast path."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cx360.normalize import emails
from cx360.normalize.emails import NormalizedEmail, email_match_key, normalize_email


@pytest.mark.parametrize(
    ("raw", "display", "key"),
    [
        ("ana.perez@gmail.com", "ana.perez@gmail.com", "anaperez@gmail.com"),
        ("Ana.Perez+promo@GMAIL.COM", "Ana.Perez+promo@gmail.com", "anaperez@gmail.com"),
        ("a.n.a.perez@googlemail.com", "a.n.a.perez@googlemail.com", "anaperez@gmail.com"),
        ("  juan@empresa.com.co  ", "juan@empresa.com.co", "juan@empresa.com.co"),
        ("<juan@empresa.com.co>", "juan@empresa.com.co", "juan@empresa.com.co"),
        ("Juan Pérez <juan@empresa.com.co>", "juan@empresa.com.co", "juan@empresa.com.co"),
        ('"Juan" <juan@empresa.com.co>', "juan@empresa.com.co", "juan@empresa.com.co"),
        ("mailto:juan@empresa.com.co", "juan@empresa.com.co", "juan@empresa.com.co"),
        ("MAILTO:juan@empresa.com.co?subject=Hola", "juan@empresa.com.co", "juan@empresa.com.co"),
        ("juan@empresa.com.co.", "juan@empresa.com.co", "juan@empresa.com.co"),
        ("juan@empresa.com.co;", "juan@empresa.com.co", "juan@empresa.com.co"),
        ("'juan@empresa.com.co'", "juan@empresa.com.co", "juan@empresa.com.co"),
        ("Juan.Perez@Empresa.MX", "Juan.Perez@empresa.mx", "juan.perez@empresa.mx"),
        # plus tags: folded only where the provider documents them
        ("maria.g+tienda@hotmail.com", "maria.g+tienda@hotmail.com", "maria.g@hotmail.com"),
        ("maria.g+x@outlook.es", "maria.g+x@outlook.es", "maria.g@outlook.es"),
        ("maria+x@icloud.com", "maria+x@icloud.com", "maria@icloud.com"),
        ("maria+x@proton.me", "maria+x@proton.me", "maria@proton.me"),
        ("maria+x@empresa.com", "maria+x@empresa.com", "maria+x@empresa.com"),
        ("maria-x@yahoo.com", "maria-x@yahoo.com", "maria-x@yahoo.com"),
        ("maria.g@hotmail.com", "maria.g@hotmail.com", "maria.g@hotmail.com"),  # dots kept
        ("+tag@gmail.com", "+tag@gmail.com", "+tag@gmail.com"),  # nothing left: not folded
        # RFC 2142 role names are lowercased by email-validator itself
        ("Info@Empresa.com", "info@empresa.com", "info@empresa.com"),
        # internationalized
        ("josé@correo.es", "josé@correo.es", "josé@correo.es"),
        ("user@MÜNCHEN.de", "user@münchen.de", "user@münchen.de"),
        ("user@xn--mnchen-3ya.de", "user@münchen.de", "user@münchen.de"),
        ("user@ＥＸＡＭＰＬＥ-shop.co", "user@example-shop.co", "user@example-shop.co"),
        # disposable addresses are real people
        ("cliente@mailinator.com", "cliente@mailinator.com", "cliente@mailinator.com"),
    ],
)
def test_valid(raw: str, display: str, key: str) -> None:
    assert normalize_email(raw) == NormalizedEmail(raw, display, key, False, None)


@pytest.mark.parametrize(
    "raw",
    [
        "noemail@gmail.com",
        "no.email@gmail.com",
        "NoEmail@Hotmail.com",
        "sincorreo@gmail.com",
        "notiene@notiene.com",
        "n/a@n.com",
        "xxx@xxx.com",
        "aaaaaa@gmail.com",
        "0000@gmail.com",
        "cliente@noemail.com",
        "cliente@example.com",
        "cliente@sincorreo.com.co",
        "test@gmail.com",
        "prueba@hotmail.com",
    ],
)
def test_placeholders(raw: str) -> None:
    result = normalize_email(raw)
    assert result is not None
    assert result.placeholder
    assert result.issue == "placeholder"
    assert result.display is not None
    assert result.match_key is None


@pytest.mark.parametrize(
    "raw",
    [
        "juan",
        "juan@",
        "@empresa.com",
        "juan@empresa",
        "juan@@empresa.com",
        "juan@empresa..com",
        "juan..perez@empresa.com",
        ".juan@empresa.com",
        "juan perez@empresa.com",
        "juan@empresa.com, ana@empresa.com",
        "juan@localhost",
        "juan@empresa.test",
        "juan@[10.0.0.1]",
        '"juan perez"@empresa.com',
        "juan@-empresa.com",
        "juan@empresa.c0m1",
        "juan@ab--cd.com",
        "a" * 250 + "@empresa.com",
    ],
)
def test_invalid(raw: str) -> None:
    assert normalize_email(raw) == NormalizedEmail(raw, None, None, False, "invalid")


@pytest.mark.parametrize("raw", [None, "", "  ", "\n"])
def test_blank_is_none(raw: str | None) -> None:
    assert normalize_email(raw) is None


def test_huge_input_is_invalid_without_work() -> None:
    raw = "x" * 100_000
    assert normalize_email(raw) == NormalizedEmail(raw, None, None, False, "invalid")


def test_match_key_helper() -> None:
    assert email_match_key("J.Doe+x@GoogleMail.com") == "jdoe@gmail.com"
    assert email_match_key("J.Doe+x@Live.com") == "j.doe@live.com"


def _library(address: str) -> str | None:
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    normalized: str = result.normalized
    return normalized


_LABEL_63 = "d" * 63


@pytest.mark.parametrize(
    "address",
    [
        f"a@{_LABEL_63}.com",
        f"a@{_LABEL_63}e.com",  # 64-character label
        "a@" + ".".join([_LABEL_63] * 3) + "." + "e" * 61,  # 253-character domain
        "a@" + ".".join([_LABEL_63] * 3) + "." + "e" * 62,  # 254-character domain
        "l" * 10 + "@" + ".".join([_LABEL_63] * 3) + "." + "e" * 51,  # 254 in all
        "l" * 11 + "@" + ".".join([_LABEL_63] * 3) + "." + "e" * 51,  # 255 in all
        "a@b.c-d",
        "a@b.c-1",
        "a@b-c.d",
        "a@xn--abc.com",
        "a@ab--c.com",
        "a@b.onion",
        "a@b.arpa",
        "Postmaster@Example.COM",
    ],
)
def test_fast_path_boundaries(address: str) -> None:
    fast = emails._fast_display(address)
    library = _library(address)
    if fast is not None:
        assert fast == library
    result = normalize_email(address)
    assert result is not None
    assert result.display == library


_ascii_address = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.text(alphabet="aZ09._+-!#'`{}|~/=?^$%&*", min_size=0, max_size=12),
    st.builds(
        ".".join,
        st.lists(
            st.text(alphabet="abcXYZ019-", min_size=0, max_size=8)
            | st.sampled_from(
                ["com", "co", "test", "local", "xn--mnchen-3ya", "xn--abc", "123", "localhost"]
            ),
            min_size=1,
            max_size=4,
        ),
    ),
)


@settings(max_examples=300, deadline=None)
@given(_ascii_address | st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
@example("INFO@Empresa.COM")
@example("a@" + "b" * 64 + ".com")
@example("a@b." + "c" * 250)
@example("a@ab--cd.com")
@example("a@1.2")
def test_fast_path_agrees_with_library(address: str) -> None:
    # The fast path may decline (None), but when it answers it must be the library's answer.
    fast = emails._fast_display(address)
    if fast is not None:
        assert fast == _library(address)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_never_crashes_and_keeps_raw(raw: str) -> None:
    result = normalize_email(raw)
    if not raw.strip():
        assert result is None
        return
    assert result is not None
    assert result.raw == raw
    assert result.issue in (None, "invalid", "placeholder")
    assert (result.issue == "placeholder") == result.placeholder
    assert (result.display is None) == (result.issue == "invalid")
    if result.issue is None:
        assert result.match_key is not None


@settings(max_examples=150, deadline=None)
@given(_ascii_address | st.emails() | st.text(max_size=30))
def test_idempotent(raw: str) -> None:
    result = normalize_email(raw)
    if result is None or result.display is None:
        return
    again = normalize_email(result.display)
    assert again is not None
    assert again.display == result.display
    assert again.match_key == result.match_key
    if result.match_key is not None:
        from_key = normalize_email(result.match_key)
        assert from_key is not None
        assert from_key.match_key == result.match_key
