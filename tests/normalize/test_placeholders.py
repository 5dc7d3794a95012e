"""Placeholder recognition: what agents type when a customer has no phone, email or ID."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cx360.normalize.placeholders import (
    is_placeholder_digits,
    is_placeholder_email,
    is_placeholder_national_id,
)


@pytest.mark.parametrize(
    "digits",
    [
        "0",
        "0000000",
        "0000000000",
        "1111111",
        "5555555555",
        "9999999999",
        "1234567",
        "1234567890",
        "0123456789",
        "987654321",
        "9876543210",
        "8901234",  # ascending, wrapping 9 -> 0
        "121212",
        "123123123",
        "3000000000",  # mobile prefix then zeros
        "6000000000",
        "1010101010",
        "3150000000",
        "5511111111",
        "300-000-0000",  # formatting is ignored
        "(300) 000 0000",
        "３０００００００００",  # full-width digits
    ],
)
def test_placeholder_digits(digits: str) -> None:
    assert is_placeholder_digits(digits)


@pytest.mark.parametrize(
    "digits",
    [
        "",
        "7",
        "12",
        "3001234567",  # a plausible Colombian mobile
        "3000000001",
        "5512345678",
        "612345678",
        "2125550123",  # only a placeholder when known to be +1 (see below)
        "3005550123",  # a Colombian number with 555 01 inside
        "79845123",
        "1020304050",
        "2468013579",
    ],
)
def test_not_placeholder_digits(digits: str) -> None:
    assert not is_placeholder_digits(digits)


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("2125550123", True),  # 555-0100..0199 is the fictional range
        ("12125550199", True),
        ("5550100", True),
        ("2125551212", True),  # directory assistance
        ("4158675309", True),
        ("2125550200", False),
        ("2125560123", False),
    ],
)
def test_nanp_fictional_numbers(digits: str, expected: bool) -> None:
    assert is_placeholder_digits(digits, nanp=True) is expected


@pytest.mark.parametrize(
    "email",
    [
        "noemail@gmail.com",
        "no-email@hotmail.com",
        "no_email@empresa.co",
        "nomail@yahoo.com",
        "sincorreo@gmail.com",
        "sin.correo@outlook.com",
        "notiene@gmail.com",
        "ninguno@hotmail.com",
        "none@company.com",
        "na@company.com",
        "n/a@company.com",
        "null@company.com",
        "test@company.com",
        "prueba@empresa.com.mx",
        "correo@gmail.com",
        "email@gmail.com",
        "xxx@gmail.com",
        "asdf@gmail.com",
        "123@gmail.com",
        "0000000@gmail.com",
        "aaaa@gmail.com",
        "noemail+3@gmail.com",
        "ana@noemail.com",
        "ana@nomail.com",
        "ana@na.com",
        "ana@sincorreo.com",
        "ana@correo.com",
        "ana@example.com",
        "ana@example.org",
        "ana@example.net",
        "ana@test.com",
        "ana@noemail.com.co",
        "ana@sincorreo.com.mx",
        "ana@xxx.com.co",
        "ana@mail.example",
        "ana@host.test",
        "NOEMAIL@NOEMAIL.COM",
        "a@a.com",
        "xx@xx.com.mx",
    ],
)
def test_placeholder_email(email: str) -> None:
    assert is_placeholder_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "ana.perez@gmail.com",
        "juan@mailinator.com",  # disposable, but a real person read it
        "ana@mail.com",
        "ana@email.com",
        "pedro@correo.unal.edu.co",
        "testa@company.com",
        "noemi@gmail.com",
        "j@company.com",
        "a@b.com",
        "3001234567@gmail.com",
        "not-an-email",
    ],
)
def test_not_placeholder_email(email: str) -> None:
    assert not is_placeholder_email(email)


@pytest.mark.parametrize(
    "value",
    [
        "NA",
        "n/a",
        "N.A.",
        "SINID",
        "sin id",
        "NOTIENE",
        "ninguno",
        "0",
        "00000000",
        "1111111111",
        "XXXXXXXX",
        "12345678",
        "12345678Z",
        "12.345.678-Z",
        "X0000000T",
        "23456789D",
        "XAXX010101000",
        "XEXX010101000",
        "078-05-1120",
        "123-45-6789",
        "000-00-0000",
    ],
)
def test_placeholder_national_id(value: str) -> None:
    assert is_placeholder_national_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "79845123",
        "1020304050",
        "48151623K",
        "X4815162L",
        "BEML920313HMCLNS09",
        "GOMA000101HDFRRN07",  # born 2000-01-01: "000101" inside is a date, not filler
        "GODE561231GR8",
        "536-22-1234",
        "AB482913",
    ],
)
def test_not_placeholder_national_id(value: str) -> None:
    assert not is_placeholder_national_id(value)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_crash(text: str) -> None:
    assert isinstance(is_placeholder_digits(text), bool)
    assert isinstance(is_placeholder_email(text), bool)
    assert isinstance(is_placeholder_national_id(text), bool)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=1, max_size=15), st.sampled_from(["-", " ", "."]))
def test_digit_formatting_is_ignored(digits: str, separator: str) -> None:
    spaced = separator.join(digits)
    assert is_placeholder_digits(spaced) == is_placeholder_digits(digits)
