"""Generator profiles: populations whose habits differ, so that no one set of assumptions
rules an evaluation.

- ``today``: the generator as it always was (same output for the same seed).
- ``multi_contact``: people hold several e-mails and phones, change them over time and give
  different ones to different channels; many record pairs of a person share no identifier.
- ``sparse``: channels that capture little (a first name and a phone) and names far more
  concentrated, so that a first name alone says almost nothing.
- ``households``: larger households whose members share a landline, an address and a
  family e-mail, and more sons named after their fathers (Jr./Sr.).

A profile is a set of knobs read by the people factory, the renderer and the engine; the
``today`` knobs are the generator's historical constants, and a knob that adds behaviour
draws no random number when it is off, so ``today`` output is byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["PROFILES", "Profile", "ProfileKnobs", "knobs_for"]

Profile = Literal["today", "multi_contact", "sparse", "households"]
PROFILES: tuple[Profile, ...] = get_args(Profile)


@dataclass(frozen=True, slots=True)
class ProfileKnobs:
    """What a profile changes. Defaults are the ``today`` generator."""

    # Zipf exponents of name popularity: higher means a few names cover more people.
    given_name_zipf: float = 0.85
    compound_name_zipf: float = 0.9
    hispanic_surname_zipf: float = 0.62
    us_surname_zipf: float = 0.7
    # Households: size weights for 1..6 members, family e-mail, landline, juniors.
    household_size_weights: tuple[float, ...] = (34, 28, 17, 12, 6, 3)
    family_email_rate: float = 0.13
    family_email_member_share: float = 0.35
    extra_landline_rate: float = 0.0
    junior_rate: float = 0.12
    # Multiplies the chance that a channel records the shared (household) phone rather
    # than the person's own, and the family rather than the own e-mail.
    shared_phone_factor: float = 1.0
    family_email_factor: float = 1.0
    # Several contacts: a second mobile / e-mail, and more changes over time.
    second_mobile_rate: float = 0.0
    second_email_rate: float = 0.0
    extra_phone_change_rate: float = 0.0
    extra_email_change_rate: float = 0.0
    # Share of a person's channels given the second contact rather than the first.
    second_contact_channel_share: float = 0.5
    # Sparse capture: records of these sources keep only a first name and a phone.
    sparse_sources: frozenset[str] = frozenset()
    sparse_rate: float = 0.0


_KNOBS: dict[Profile, ProfileKnobs] = {
    "today": ProfileKnobs(),
    "multi_contact": ProfileKnobs(
        second_mobile_rate=0.7,
        second_email_rate=0.75,
        extra_phone_change_rate=0.45,
        extra_email_change_rate=0.4,
    ),
    "sparse": ProfileKnobs(
        given_name_zipf=1.35,
        compound_name_zipf=1.3,
        hispanic_surname_zipf=1.1,
        us_surname_zipf=1.1,
        sparse_sources=frozenset(("whatsapp", "call_center", "store", "app", "social")),
        sparse_rate=0.7,
    ),
    "households": ProfileKnobs(
        household_size_weights=(8, 20, 24, 24, 15, 9),
        family_email_rate=0.6,
        family_email_member_share=0.8,
        extra_landline_rate=0.3,
        junior_rate=0.45,
        shared_phone_factor=3.5,
        family_email_factor=3.0,
    ),
}


def knobs_for(profile: str) -> ProfileKnobs:
    """The knobs of a profile name; ValueError names the profiles for an unknown one."""
    try:
        return _KNOBS[profile]  # type: ignore[index]
    except KeyError:
        raise ValueError(
            f"unknown generator profile {profile!r}; choose among {', '.join(PROFILES)}"
        ) from None
