"""Case statuses and consent columns in English and Spanish."""

from __future__ import annotations

import pytest

from cx360.normalize.vocabulary import (
    case_state,
    case_status,
    consent_column_name,
    is_consent_column,
)


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("Resuelto", "resolved"),
        ("RESUELTA", "resolved"),
        ("Solucionado", "resolved"),
        ("resolved", "resolved"),
        ("Solved", "resolved"),
        ("Cerrado", "closed"),
        ("cerrada", "closed"),
        ("Closed", "closed"),
        ("Completed", "closed"),
        ("Cancelado", "closed"),
        ("Abierto", "open"),
        ("abierta", "open"),
        ("open", "open"),
        ("OPEN", "open"),
    ],
)
def test_words_naming_a_state_are_stored_as_it(raw: str, state: str) -> None:
    assert case_status(raw) == state
    assert case_state(raw) == state


@pytest.mark.parametrize(
    "raw", ["Pendiente", "En proceso", "EN PROCESO", "Escalado", "In Progress", "pending"]
)
def test_cases_in_progress_are_open_and_kept_as_written(raw: str) -> None:
    assert case_status(raw) == raw  # an agent sees "Escalado", not "open"
    assert case_state(raw) == "open"


def test_unknown_statuses_are_kept_as_written_and_extra_words_win() -> None:
    assert case_status("Waiting on customer") == "Waiting on customer"
    assert case_state("Waiting on customer") is None
    assert case_status("En revisión", {"en revision": "open"}) == "open"
    assert case_status("Resuelto", {"resuelto": "closed"}) == "closed"


@pytest.mark.parametrize(
    "name",
    [
        "acepta_comunicaciones",
        "Acepta comunicaciones",
        "opt-in email",
        "Opt In SMS",
        "consentimiento_datos",
        "Autoriza tratamiento de datos",
        "habeas_data",
        "Newsletter",
        "consent_email",
        "marketing_opt_in",
    ],
)
def test_consent_columns_are_recognized(name: str) -> None:
    assert is_consent_column(name)


@pytest.mark.parametrize(
    "name", ["email", "opt-out email", "fecha_aceptacion", "Unsubscribed", "dar de baja", "notas"]
)
def test_other_columns_are_not_consents(name: str) -> None:
    assert not is_consent_column(name)


def test_consent_columns_are_stored_under_a_name_profiles_read() -> None:
    assert consent_column_name("acepta_comunicaciones") == "consent_acepta_comunicaciones"
    assert consent_column_name("opt-in email") == "consent_opt_in_email"
    assert consent_column_name("Autoriza tratamiento") == "consent_autoriza_tratamiento"
    # names the profile already reads as consents are kept
    assert consent_column_name("consent_sms") == "consent_sms"
    assert consent_column_name("marketing_opt_in") == "marketing_opt_in"
