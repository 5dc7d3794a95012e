"""Render one person's true values as one channel record, with that channel's capture habits
and realistic noise.

Each rendered record also carries *evidence keys* (never written out): which of the
person's identifying facts it shows intact (own phone, own email, national id, handle,
name + birth date, name + address, name + shared phone/email). The generator uses them to
make sure every record of a person is linkable to the others by what a careful human could
see, and repairs the few that are not.
"""

from __future__ import annotations

import random
from datetime import date

from cx360.synthetic import _data as ref
from cx360.synthetic._people import Address, Person, Phone
from cx360.synthetic._profiles import ProfileKnobs
from cx360.synthetic._util import Picker, rr, strip_accents, typo

__all__ = ["FIELD_NAMES", "Rec", "Renderer"]

FIELD_NAMES = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "national_id",
    "date_of_birth",
    "address",
    "city",
    "country",
    "handle",
)
F_FIRST, F_LAST, F_FULL, F_EMAIL, F_PHONE, F_NID, F_DOB, F_ADDR, F_CITY, F_COUNTRY, F_HANDLE = (
    range(11)
)

# Which identifying field a channel can be asked to capture when a record must be linked
# (fields a channel fixes by nature — WhatsApp's number, the email channel's address, a
# social handle — are never rewritten).
REPAIRABLE: dict[str, tuple[int, ...]] = {
    "whatsapp": (),
    "call_center": (F_PHONE, F_NID, F_EMAIL),
    "email": (F_PHONE,),
    "web": (F_EMAIL, F_PHONE, F_NID, F_HANDLE),
    "app": (F_EMAIL, F_PHONE, F_HANDLE, F_NID),
    "store": (F_NID, F_PHONE, F_EMAIL),
    "social": (F_EMAIL, F_PHONE),
}

_SOCIAL_PREFIX = {"twitter": "tw_", "instagram": "ig_", "facebook": "fb_"}


class Rec:
    """A rendered channel record before it gets its source_record_id."""

    __slots__ = ("f", "fkeys", "interactions", "person", "platform", "source", "ts", "wa_id")

    def __init__(self, source: str, ts: int, person: Person) -> None:
        self.source = source
        self.ts = ts
        self.person = person
        self.f = ["", "", "", "", "", "", "", "", "", "", ""]
        # field index -> evidence keys that field carries
        self.fkeys: dict[int, list[str]] = {}
        self.wa_id = ""
        self.platform = ""
        self.interactions: list[tuple[int, str, str, str, str]] = []

    def add_key(self, field: int, key: str) -> None:
        self.fkeys.setdefault(field, []).append(key)

    def all_keys(self) -> list[str]:
        return [key for keys in self.fkeys.values() for key in keys]


def _p(noise: float, base: float) -> float:
    return min(0.95, base * noise)


class Renderer:
    """Renders records. Probabilities of *errors* (typos, placeholders, nicknames, partial
    names, swaps, wrong dates, lost accents, case changes, Gmail variants) are scaled by
    `noise`; format variety (how a phone or a date is written) is not an error and stays."""

    def __init__(self, noise: float, knobs: ProfileKnobs | None = None) -> None:
        n = noise
        knobs = knobs or ProfileKnobs()
        self.shared_phone_factor = knobs.shared_phone_factor
        self.family_email_factor = knobs.family_email_factor
        self.p_typo_agent = _p(n, 0.07)
        self.p_typo_self = _p(n, 0.02)
        self.p_typo_header = _p(n, 0.012)
        self.p_nick_agent = _p(n, 0.035)
        self.p_nick_self = _p(n, 0.03)
        self.p_second_given_only = _p(n, 0.02)
        self.p_swap = _p(n, 0.03)
        self.p_reversed_full = _p(n, 0.04)
        self.p_accents_agent = _p(n, 0.55)
        self.p_accents_self = _p(n, 0.3)
        self.p_accents_header = _p(n, 0.25)
        self.p_upper_agent = _p(n, 0.42)
        self.p_lower_agent = _p(n, 0.06)
        self.p_lower_self = _p(n, 0.1)
        self.p_upper_self = _p(n, 0.06)
        self.p_ph_placeholder = _p(n, 0.045)
        self.p_em_placeholder = _p(n, 0.02)
        self.p_id_placeholder = _p(n, 0.045)
        self.p_dob_placeholder = _p(n, 0.03)
        self.p_ph_typo = _p(n, 0.018)
        self.p_em_typo = _p(n, 0.015)
        self.p_id_typo = _p(n, 0.012)
        self.p_dob_error = _p(n, 0.02)
        self.p_gmail_variant = _p(n, 0.08)
        self.p_email_case = _p(n, 0.1)
        self.p_addr_typo = _p(n, 0.04)
        self.p_partial_surname = _p(n, 0.02)
        self.p_dni_no_letter = _p(n, 0.03)

        self.phone_styles: dict[str, Picker[str]] = {
            "whatsapp": Picker(("digits_cc", "intl_compact", "intl", "e164"), (60, 15, 10, 15)),
            "call_center": Picker(
                (
                    "plain",
                    "national",
                    "dashes",
                    "parens",
                    "dots",
                    "e164",
                    "intl",
                    "intl_compact",
                    "00",
                    "us1",
                ),
                (40, 20, 10, 8, 4, 5, 3, 2, 3, 5),
            ),
            "store": Picker(
                ("plain", "national", "dashes", "parens", "e164", "intl"), (55, 20, 10, 5, 5, 5)
            ),
            "web": Picker(
                ("e164", "plain", "national", "intl", "parens", "dashes"), (35, 30, 15, 10, 5, 5)
            ),
            "app": Picker(("e164", "intl", "plain"), (60, 20, 20)),
            "email": Picker(("intl", "national", "e164", "parens"), (40, 30, 15, 15)),
            "social": Picker(("intl", "plain", "e164"), (40, 30, 30)),
        }
        self.dob_styles_dayfirst = Picker(
            ("dd/mm/yyyy", "d/m/yyyy", "dd-mm-yyyy", "iso", "long", "dd/mm/yy", "dd.mm.yyyy"),
            (45, 15, 10, 15, 5, 5, 5),
        )
        self.dob_styles_us = Picker(
            ("mm/dd/yyyy", "m/d/yyyy", "iso", "month d, yyyy", "mm-dd-yyyy", "mm/dd/yy"),
            (50, 15, 15, 8, 7, 5),
        )
        self.email_domain_typos = {
            "gmail.com": ("gmial.com", "gmail.con", "gmail.co", "gamil.com", "gmai.com"),
            "hotmail.com": ("hotmial.com", "hotmail.con", "hotmal.com", "hotmail.co"),
            "yahoo.com": ("yahoo.con", "yaho.com", "yahooo.com"),
            "outlook.com": ("outlok.com", "outlook.con"),
        }

    # ------------------------------------------------------------------ names
    def name(self, p: Person, mode: str, rng: random.Random) -> tuple[str, str, str, bool, bool]:
        """(first_name, last_name, full_name, given_ok, surname_ok) for a capture mode:
        "agent" (typed by staff), "self" (typed by the customer), "header" (email From
        header), "display" (WhatsApp/social profile name)."""
        if mode == "display":
            return self._display_name(p, rng)
        tokens = p.given.split(" ")
        compound = len(tokens) > 1
        given_ok = True
        surname_ok = True
        r = rng.random()
        if compound and r < 0.2:
            g = tokens[0]
        elif compound and r < 0.2 + self.p_second_given_only:
            g = tokens[1] if tokens[0] not in ("María", "José") else tokens[-1]
            given_ok = False
        else:
            g = p.given
        p_nick = self.p_nick_agent if mode == "agent" else self.p_nick_self
        if p.nick and rng.random() < p_nick:
            g = p.nick
            given_ok = False
        if p.middle:
            r = rng.random()
            if r < 0.18:
                g = f"{g} {p.middle[0]}{'.' if rng.random() < 0.5 else ''}"
            elif r < 0.28:
                g = f"{g} {p.middle}"
        if p.market == "ES" and g.startswith("María ") and rng.random() < 0.15:
            g = "Mª " + g[6:]
        sn = p.surnames
        if len(sn) == 2:
            r = rng.random()
            both = 0.5 if mode == "agent" else 0.35
            if mode == "header":
                both = 0.25
            if r < both:
                last = f"{sn[0]} {sn[1]}"
            elif r < 1.0 - self.p_partial_surname:
                last = sn[0]
            else:
                last = sn[1]
                surname_ok = False
        else:
            last = sn[0] if sn else ""
        if p.suffix and rng.random() < 0.5:
            last = f"{last} {p.suffix}"

        p_typo = (
            self.p_typo_agent
            if mode == "agent"
            else (self.p_typo_self if mode == "self" else self.p_typo_header)
        )
        if rng.random() < p_typo:
            if rng.random() < 0.5:
                g = typo(g, rng)
                given_ok = False
            else:
                last = typo(last, rng)
                surname_ok = False

        if mode == "agent":
            if rng.random() < self.p_accents_agent:
                g, last = strip_accents(g), strip_accents(last)
            r = rng.random()
            if r < self.p_upper_agent:
                g, last = g.upper(), last.upper()
            elif r < self.p_upper_agent + self.p_lower_agent:
                g, last = g.lower(), last.lower()
        elif mode == "self":
            if rng.random() < self.p_accents_self:
                g, last = strip_accents(g), strip_accents(last)
            r = rng.random()
            if r < self.p_lower_self:
                g, last = g.lower(), last.lower()
            elif r < self.p_lower_self + self.p_upper_self:
                g, last = g.upper(), last.upper()
        else:  # header
            if rng.random() < self.p_accents_header:
                g, last = strip_accents(g), strip_accents(last)

        if mode == "header":
            r = rng.random()
            if r < 0.18:
                return "", "", "", False, False
            if r < 0.3:
                return "", "", g.split(" ")[0], given_ok, False
            if r < 0.3 + self.p_reversed_full * 2:
                return "", "", f"{last}, {g}", given_ok, surname_ok
            if r < 0.4:
                return "", "", f"{g} {last}".upper(), given_ok, surname_ok
            return "", "", f"{g} {last}", given_ok, surname_ok
        return g, last, "", given_ok, surname_ok

    def _display_name(self, p: Person, rng: random.Random) -> tuple[str, str, str, bool, bool]:
        tokens = p.given.split(" ")
        first = tokens[0]
        s1 = p.surnames[0] if p.surnames else ""
        r = rng.random()
        ok_g, ok_s = True, False
        if r < 0.28:
            text = first
        elif r < 0.42:
            text = p.nick or first
            ok_g = not p.nick
        elif r < 0.66:
            text = f"{first} {s1}"
            ok_s = True
        elif r < 0.73:
            text = p.full_name
            ok_s = True
        elif r < 0.79:
            text = f"{first} {s1[:1]}."
        elif r < 0.86:
            text = p.given.upper()
        elif r < 0.9:
            text = f"{first} {s1}".lower()
            ok_s = True
        elif r < 0.95:
            text = f"{p.nick or first} {s1}"
            ok_s = True
            ok_g = not p.nick
        else:
            return "", "", "", False, False
        if rng.random() < 0.12:
            flag = rng.random() < 0.2
            emoji = ref.FLAGS[p.origin] if flag else ref.EMOJIS[rr(rng, len(ref.EMOJIS))]
            text = f"{text} {emoji}"
        return "", "", text, ok_g, ok_s

    # ------------------------------------------------------------------ phones
    def phone_text(self, ph: Phone, market: str, style: str) -> str:
        cc, nsn = ph
        foreign = _CC[market] != cc
        if foreign and style not in ("e164", "intl", "intl_compact", "digits_cc", "00"):
            style = "intl"
        if style == "e164":
            return f"+{cc}{nsn}"
        if style == "digits_cc":
            return cc + nsn
        if style == "00":
            return f"00{cc}{nsn}"
        groups = _groups(cc, nsn)
        if style == "intl":
            if cc == "1":
                return f"+1 {groups[0]}-{groups[1]}-{groups[2]}"
            return f"+{cc} " + " ".join(groups)
        if style == "intl_compact":  # as WhatsApp shows it: "+57 300 1234567"
            if cc == "1":
                return f"+1 ({groups[0]}) {groups[1]}-{groups[2]}"
            if cc == "34":
                return f"+34 {nsn}"
            if cc == "52":
                return "+52 " + " ".join(groups)
            return f"+{cc} {groups[0]} {''.join(groups[1:])}"
        if style == "plain":
            return nsn
        if style == "national":
            if cc == "57":  # Colombians write "300 1234567"
                return f"{groups[0]} {''.join(groups[1:])}"
            return " ".join(groups)
        if style == "us1":
            if cc == "1":
                return "1-" + "-".join(groups)
            return nsn
        if style == "parens":
            if len(groups) >= 3 and cc in ("1", "57", "52"):
                return f"({groups[0]}) {groups[1]}-{''.join(groups[2:])}"
            return " ".join(groups)
        if style == "dots":
            return ".".join(groups)
        if style == "dashes":
            return "-".join(groups)
        return nsn

    def _phone_field(
        self,
        rec: Rec,
        p: Person,
        source: str,
        rng: random.Random,
        *,
        own_share: float,
        placeholder: bool = True,
        allow_typo: bool = True,
        given_ok: bool = False,
        surname_ok: bool = False,
    ) -> None:
        own = p.mobile if (p.old_mobile is None or rec.ts >= p.mobile_change) else p.old_mobile
        if p.alt_mobile is not None and source in p.alt_sources:
            own = p.alt_mobile
        shared = p.shared_phone
        if self.shared_phone_factor != 1.0:
            own_share = max(0.0, 1.0 - (1.0 - own_share) * self.shared_phone_factor)
        use_own = own is not None and (shared is None or rng.random() < own_share)
        ph = own if use_own else shared
        if placeholder and rng.random() < self.p_ph_placeholder:
            rec.f[F_PHONE] = ref.PHONE_PLACEHOLDERS[rr(rng, len(ref.PHONE_PLACEHOLDERS))]
            return
        if ph is None:
            if placeholder and rng.random() < 0.3:
                rec.f[F_PHONE] = ref.PHONE_PLACEHOLDERS[rr(rng, len(ref.PHONE_PLACEHOLDERS))]
            return
        text = self.phone_text(ph, p.market, self.phone_styles[source].pick(rng))
        if allow_typo and rng.random() < self.p_ph_typo:
            rec.f[F_PHONE] = _digit_typo(text, rng)
            return
        rec.f[F_PHONE] = text
        if use_own:
            rec.add_key(F_PHONE, "ph:" + ph[0] + ph[1])
        elif given_ok and surname_ok:
            rec.add_key(F_PHONE, "np:" + ph[0] + ph[1])

    # ------------------------------------------------------------------ emails
    def email_text(self, email: str, rng: random.Random, *, tag: bool = False) -> str:
        local, _, domain = email.partition("@")
        if domain == "gmail.com" and rng.random() < self.p_gmail_variant:
            r = rng.random()
            if (tag and r < 0.6) or r < 0.25:
                local = f"{local}+{('compras', 'tienda', 'promo', 'shop', 'news')[rr(rng, 5)]}"
            elif "." in local:
                local = local.replace(".", "")
            elif len(local) > 3:
                i = rr(rng, 1, len(local) - 1)
                local = local[:i] + "." + local[i:]
        if rng.random() < self.p_email_case:
            r = rng.random()
            if r < 0.5:
                local = ".".join(part[:1].upper() + part[1:] for part in local.split("."))
                domain = domain[:1].upper() + domain[1:]
            elif r < 0.8:
                local, domain = local.upper(), domain.upper()
            else:
                local = local[:1].upper() + local[1:]
        return f"{local}@{domain}"

    def _email_field(
        self,
        rec: Rec,
        p: Person,
        rng: random.Random,
        *,
        agent: bool,
        family_share: float = 0.0,
        given_ok: bool = False,
        surname_ok: bool = False,
        upper: bool = False,
    ) -> None:
        own = p.email if (not p.old_email or rec.ts >= p.email_change) else p.old_email
        if p.alt_email and rec.source in p.alt_sources:
            own = p.alt_email
        family = p.family_email
        if self.family_email_factor != 1.0:
            family_share = min(0.9, family_share * self.family_email_factor)
        use_family = bool(family) and (not own or rng.random() < family_share)
        if agent and rng.random() < self.p_em_placeholder:
            rec.f[F_EMAIL] = ref.EMAIL_PLACEHOLDERS[rr(rng, len(ref.EMAIL_PLACEHOLDERS))]
            return
        value = family if use_family else own
        if not value:  # the customer has no email: sometimes the agent types a dummy one
            if agent and rng.random() < 0.25:
                rec.f[F_EMAIL] = ref.EMAIL_PLACEHOLDERS[rr(rng, len(ref.EMAIL_PLACEHOLDERS))]
            return
        text = self.email_text(value, rng, tag=not agent)
        if upper:
            text = text.upper()
        if agent and rng.random() < self.p_em_typo:
            local, _, domain = text.partition("@")
            # The typo goes in the domain: a mistyped address never becomes someone else's.
            typos = self.email_domain_typos.get(domain.lower())
            if typos:
                rec.f[F_EMAIL] = f"{local}@{typos[rr(rng, len(typos))]}"
            else:
                rec.f[F_EMAIL] = f"{local}@{_domain_typo(domain, rng)}"
            return
        rec.f[F_EMAIL] = text
        if use_family:
            if given_ok and surname_ok:
                rec.add_key(F_EMAIL, "nf:" + value)
        else:
            rec.add_key(F_EMAIL, "em:" + value)

    # ------------------------------------------------------------------ national ids
    def nid_text(self, p: Person, rng: random.Random, *, agent: bool) -> tuple[str, bool]:
        """(text, is_intact): formatting variants never break identity; errors do."""
        nid = p.nid
        kind = p.nid_kind
        if agent and rng.random() < self.p_id_placeholder:
            return ref.ID_PLACEHOLDERS[rr(rng, len(ref.ID_PLACEHOLDERS))], False
        r = rng.random()
        if kind == "cc":
            if r < 0.7:
                text = nid
            elif r < 0.9:
                text = _dotted(nid)
            elif r < 0.95:
                text = "CC " + nid
            else:
                text = "C.C. " + _dotted(nid)
        elif kind in ("dni", "nie"):
            body, letter = nid[:-1], nid[-1]
            if agent and rng.random() < self.p_dni_no_letter:
                text = body
            elif r < 0.6:
                text = nid
            elif r < 0.75:
                text = f"{body}-{letter}"
            elif r < 0.8:
                text = f"{body} {letter.lower()}"
            elif r < 0.85 and kind == "dni":
                text = f"{_dotted(body)}-{letter}"
            elif kind == "nie" and r < 0.9:
                text = f"{body[0]}-{body[1:]}-{letter}"
            else:
                text = nid.lower() if r > 0.95 else nid
        elif kind == "curp":
            text = nid if r < 0.95 else nid.lower()
        else:  # ssn
            if r < 0.5:
                text = f"{nid[:3]}-{nid[3:5]}-{nid[5:]}"
            elif r < 0.9:
                text = nid
            else:
                text = f"{nid[:3]} {nid[3:5]} {nid[5:]}"
        if agent and rng.random() < self.p_id_typo:
            return _digit_typo(text, rng), False
        return text, True

    def _nid_field(self, rec: Rec, p: Person, rng: random.Random, *, agent: bool) -> None:
        if not p.nid:
            return
        if p.nid_kind == "ssn" and rec.source == "call_center" and rng.random() < 0.35:
            rec.f[F_NID] = ("XXX-XX-", "***-**-", "")[rr(rng, 3)] + p.nid[5:]
            return
        text, ok = self.nid_text(p, rng, agent=agent)
        rec.f[F_NID] = text
        if ok:
            rec.add_key(F_NID, "id")

    # ------------------------------------------------------------------ dates of birth
    def dob_text(self, d: date, market: str, style: str) -> str:
        y, m, dd = d.year, d.month, d.day
        if style == "iso":
            return f"{y:04d}-{m:02d}-{dd:02d}"
        if style == "dd/mm/yyyy":
            return f"{dd:02d}/{m:02d}/{y:04d}"
        if style == "d/m/yyyy":
            return f"{dd}/{m}/{y:04d}"
        if style == "dd-mm-yyyy":
            return f"{dd:02d}-{m:02d}-{y:04d}"
        if style == "dd.mm.yyyy":
            return f"{dd:02d}.{m:02d}.{y:04d}"
        if style == "dd/mm/yy":
            return f"{dd:02d}/{m:02d}/{y % 100:02d}"
        if style == "long":
            return f"{dd} de {ref.SPANISH_MONTHS[m - 1]} de {y}"
        if style == "mm/dd/yyyy":
            return f"{m:02d}/{dd:02d}/{y:04d}"
        if style == "m/d/yyyy":
            return f"{m}/{dd}/{y:04d}"
        if style == "month d, yyyy":
            return f"{ref.ENGLISH_MONTHS[m - 1]} {dd}, {y}"
        if style == "mm-dd-yyyy":
            return f"{m:02d}-{dd:02d}-{y:04d}"
        if style == "mm/dd/yy":
            return f"{m:02d}/{dd:02d}/{y % 100:02d}"
        return f"{y:04d}-{m:02d}-{dd:02d}"

    def _dob_field(
        self,
        rec: Rec,
        p: Person,
        rng: random.Random,
        *,
        agent: bool,
        form: bool,
        given_ok: bool,
        surname_ok: bool,
    ) -> None:
        if agent and rng.random() < self.p_dob_placeholder:
            rec.f[F_DOB] = ref.DOB_PLACEHOLDERS[rr(rng, len(ref.DOB_PLACEHOLDERS))]
            return
        if form and rng.random() < 0.7:
            style = "iso"
        elif p.market == "US":
            style = self.dob_styles_us.pick(rng)
        else:
            style = self.dob_styles_dayfirst.pick(rng)
        d = p.dob
        ok = True
        if rng.random() < (self.p_dob_error if agent else self.p_dob_error / 3):
            ok = False
            r = rng.random()
            if r < 0.5 and d.day <= 12 and d.day != d.month:
                d = date(d.year, d.day, d.month)  # day and month swapped
            elif r < 0.8:
                year = d.year + rng.choice((-10, -1, 1, 10))
                d = _safe_date(year, d.month, d.day)
            else:
                d = _safe_date(d.year, d.month, min(28, max(1, d.day + rng.choice((-1, 1)))))
        rec.f[F_DOB] = self.dob_text(d, p.market, style)
        if ok and given_ok and surname_ok:
            rec.add_key(F_DOB, "nd")

    # ------------------------------------------------------------------ addresses
    def address_text(self, a: Address, rng: random.Random, *, agent: bool) -> str:
        c = a.country
        parts = a.parts
        if c == "CO":
            kind, n1, letter, n2, n3, unit = parts
            names = _CO_KINDS[int(str(kind))]
            kname = names[rr(rng, len(names))]
            hash_ = ("#", "#", "# ", "No.", "N°", "No")[rr(rng, 6)]
            text = f"{kname} {n1}{letter} {hash_}{'' if hash_.endswith(' ') else ' '}{n2}-{n3}"
            text = text.replace("  ", " ")
            if unit and rng.random() < 0.8:
                text = f"{text} {unit}"
        elif c == "MX":
            kind, street, number, inner, col, cp = parts
            names = _MX_KINDS[int(str(kind))]
            kname = names[rr(rng, len(names))]
            num = f"#{number}" if rng.random() < 0.3 else f"{number}"
            text = f"{kname} {street} {num}".strip() if kname else f"{street} {num}"
            if inner and rng.random() < 0.8:
                text += f" Int. {inner}" if rng.random() < 0.7 else f"-{inner}"
            r = rng.random()
            if r < 0.6:
                text += f" Col. {col}"
            elif r < 0.85:
                text += f", Col. {col}, C.P. {cp}"
            else:
                text += f", {col}"
        elif c == "ES":
            kind, street, number, floor, door = parts
            names = _ES_KINDS[int(str(kind))]
            kname = names[rr(rng, len(names))]
            de = (
                "de "
                if (kind == 0 and rng.random() < 0.2 and not str(street).startswith("la "))
                else ""
            )
            text = f"{kname} {de}{street} {number}".replace("  ", " ")
            if floor != -1:
                fl = "bajo" if floor == 0 else f"{floor}º"
                sep = (" ", "-", "", " ")[rr(rng, 4)]
                text += f", {fl}{sep}{door}" if floor != 0 else f", {fl} {door}"
        else:
            number, direction, street, kind, unit = parts
            names = _US_KINDS[int(str(kind))]
            kname = names[0] if rng.random() < 0.75 else names[1]
            text = f"{number} {f'{direction} ' if direction else ''}{street} {kname}"
            if unit:
                r = rng.random()
                text += (
                    f" Apt {unit}" if r < 0.5 else (f" #{unit}" if r < 0.8 else f", Apt. {unit}")
                )
        if agent:
            if rng.random() < self.p_upper_agent:
                text = text.upper()
            if rng.random() < self.p_accents_agent:
                text = strip_accents(text)
            if rng.random() < self.p_addr_typo:
                text = typo(text, rng)
        return text

    def city_text(self, a: Address, rng: random.Random, *, agent: bool) -> str:
        city = a.city
        text = city.name
        if rng.random() < 0.3 and city.aliases:
            text = city.aliases[rr(rng, len(city.aliases))]
        if agent:
            if rng.random() < self.p_upper_agent:
                text = text.upper()
            if rng.random() < self.p_accents_agent:
                text = strip_accents(text)
        return text

    def _address_fields(
        self,
        rec: Rec,
        p: Person,
        rng: random.Random,
        *,
        agent: bool,
        given_ok: bool,
        surname_ok: bool,
        p_city: float = 0.9,
    ) -> None:
        h = p.household
        if h is None or h.address is None:
            return
        a = h.old_address if (h.old_address is not None and rec.ts < h.move_ts) else h.address
        rec.f[F_ADDR] = self.address_text(a, rng, agent=agent)
        if rng.random() < p_city:
            rec.f[F_CITY] = self.city_text(a, rng, agent=agent)
        if given_ok and surname_ok:
            rec.add_key(F_ADDR, "na:" + a.key)

    def _city_only(self, rec: Rec, p: Person, rng: random.Random) -> None:
        h = p.household
        if h is None or h.address is None:
            return
        a = h.old_address if (h.old_address is not None and rec.ts < h.move_ts) else h.address
        rec.f[F_CITY] = self.city_text(a, rng, agent=False)

    # ------------------------------------------------------------------ channels
    def render(
        self,
        p: Person,
        source: str,
        ts: int,
        rng: random.Random,
        *,
        wa_phone: Phone | None = None,
        email_value: str = "",
        handle: str = "",
        platform: str = "",
    ) -> Rec:
        rec = Rec(source, ts, p)
        f = rec.f
        f[F_COUNTRY] = p.market
        m = p.market
        if source == "whatsapp":
            ph = wa_phone or p.mobile
            assert ph is not None
            rec.wa_id = ph[0] + ph[1]
            f[F_PHONE] = self.phone_text(ph, m, self.phone_styles["whatsapp"].pick(rng))
            rec.add_key(F_PHONE, "ph:" + rec.wa_id)
            _, _, f[F_FULL], _, _ = self._display_name(p, rng)
        elif source == "call_center":
            fi, la, _, g_ok, s_ok = self.name(p, "agent", rng)
            if rng.random() < 0.55:
                if rng.random() < self.p_swap:
                    fi, la = la, fi
                f[F_FIRST], f[F_LAST] = fi, la
            else:
                full = f"{la} {fi}" if rng.random() < self.p_reversed_full else f"{fi} {la}"
                f[F_FULL] = full.strip()
            upper = f[F_FIRST].isupper() or f[F_FULL].isupper()
            if rng.random() < 0.93:
                self._phone_field(
                    rec, p, source, rng, own_share=0.74, given_ok=g_ok, surname_ok=s_ok
                )
            nid_p = _NID_CC[m]
            if rng.random() < nid_p:
                self._nid_field(rec, p, rng, agent=True)
            if rng.random() < 0.3:
                self._dob_field(rec, p, rng, agent=True, form=False, given_ok=g_ok, surname_ok=s_ok)
            if rng.random() < 0.28:
                self._email_field(
                    rec,
                    p,
                    rng,
                    agent=True,
                    family_share=0.3,
                    given_ok=g_ok,
                    surname_ok=s_ok,
                    upper=upper and rng.random() < 0.5,
                )
            if rng.random() < 0.15:
                self._address_fields(rec, p, rng, agent=True, given_ok=g_ok, surname_ok=s_ok)
        elif source == "email":
            value = email_value or p.email or p.family_email
            text = self.email_text(value, rng)
            f[F_EMAIL] = text
            _, _, full, g_ok, s_ok = self.name(p, "header", rng)
            f[F_FULL] = full
            if (
                value == p.family_email
                and value != p.email
                and value != p.old_email
                and value != p.alt_email
            ):
                if g_ok and s_ok:
                    rec.add_key(F_EMAIL, "nf:" + value)
            else:
                rec.add_key(F_EMAIL, "em:" + value)
            if rng.random() < 0.1:
                self._phone_field(
                    rec,
                    p,
                    source,
                    rng,
                    own_share=0.95,
                    placeholder=False,
                    allow_typo=False,
                    given_ok=g_ok,
                    surname_ok=s_ok,
                )
        elif source == "web":
            fi, la, _, g_ok, s_ok = self.name(p, "self", rng)
            if rng.random() < self.p_swap / 2:
                fi, la = la, fi
            f[F_FIRST], f[F_LAST] = fi, la
            if rng.random() < 0.96:
                self._email_field(
                    rec, p, rng, agent=False, family_share=0.08, given_ok=g_ok, surname_ok=s_ok
                )
            if rng.random() < 0.42 or not f[F_EMAIL]:  # no email: the account uses a phone
                self._phone_field(
                    rec,
                    p,
                    source,
                    rng,
                    own_share=0.92,
                    placeholder=False,
                    given_ok=g_ok,
                    surname_ok=s_ok,
                )
            nid_p = _NID_WEB[m]
            if rng.random() < nid_p:
                self._nid_field(rec, p, rng, agent=False)
            if rng.random() < 0.25:
                self._dob_field(rec, p, rng, agent=False, form=True, given_ok=g_ok, surname_ok=s_ok)
            if rng.random() < 0.33:
                self._address_fields(rec, p, rng, agent=False, given_ok=g_ok, surname_ok=s_ok)
            elif rng.random() < 0.2:
                self._city_only(rec, p, rng)
            if p.handles and rng.random() < 0.1:  # signed up with a social login
                h = p.handles[0]
                f[F_HANDLE] = h
                rec.add_key(F_HANDLE, "h:" + h)
        elif source == "app":
            fi, la, _, g_ok, s_ok = self.name(p, "self", rng)
            if rng.random() < 0.9:
                f[F_FIRST], f[F_LAST] = fi, la
            else:
                f[F_FULL] = f"{fi} {la}".strip()
            login_email = rng.random() < 0.6
            if login_email or rng.random() < 0.3:
                self._email_field(
                    rec, p, rng, agent=False, family_share=0.05, given_ok=g_ok, surname_ok=s_ok
                )
            if not login_email or rng.random() < 0.3 or not f[F_EMAIL]:
                self._phone_field(
                    rec,
                    p,
                    source,
                    rng,
                    own_share=0.97,
                    placeholder=False,
                    given_ok=g_ok,
                    surname_ok=s_ok,
                )
            if rng.random() < 0.5:
                self._dob_field(rec, p, rng, agent=False, form=True, given_ok=g_ok, surname_ok=s_ok)
            nid_p = _NID_APP[m]
            if rng.random() < nid_p:
                self._nid_field(rec, p, rng, agent=False)
            if p.handles and rng.random() < 0.45:
                h = p.handles[0]
                f[F_HANDLE] = "@" + h if rng.random() < 0.5 else h
                rec.add_key(F_HANDLE, "h:" + h)
            if rng.random() < 0.1:
                self._address_fields(rec, p, rng, agent=False, given_ok=g_ok, surname_ok=s_ok)
        elif source == "store":
            fi, la, _, g_ok, s_ok = self.name(p, "agent", rng)
            if rng.random() < 0.88:
                if rng.random() < self.p_swap:
                    fi, la = la, fi
                f[F_FIRST], f[F_LAST] = fi, la
            else:
                f[F_FULL] = f"{fi} {la}".strip()
            nid_p = _NID_STORE[m]
            if rng.random() < nid_p:
                # The id document is checked at the till: no typos, no placeholders.
                text, _ = self.nid_text(p, rng, agent=False)
                f[F_NID] = text
                rec.add_key(F_NID, "id")
            if rng.random() < 0.7:
                self._phone_field(
                    rec, p, source, rng, own_share=0.8, given_ok=g_ok, surname_ok=s_ok
                )
            if rng.random() < 0.4:
                self._dob_field(rec, p, rng, agent=True, form=False, given_ok=g_ok, surname_ok=s_ok)
            if rng.random() < 0.35:
                self._email_field(
                    rec, p, rng, agent=True, family_share=0.2, given_ok=g_ok, surname_ok=s_ok
                )
            if rng.random() < 0.4:
                self._address_fields(rec, p, rng, agent=True, given_ok=g_ok, surname_ok=s_ok)
            elif rng.random() < 0.4:
                self._city_only(rec, p, rng)
        elif source == "social":
            h = handle or p.handles[0]
            rec.platform = platform
            r = rng.random()
            f[F_HANDLE] = ("@" + h) if r < 0.3 else (h.upper() if r < 0.33 else h)
            rec.add_key(F_HANDLE, "h:" + h)
            _, _, f[F_FULL], _, _ = self._display_name(p, rng)
            if rng.random() < 0.06:
                self._email_field(rec, p, rng, agent=False)
            if rng.random() < 0.04:
                self._phone_field(
                    rec, p, source, rng, own_share=1.0, placeholder=False, allow_typo=False
                )
            if rng.random() < 0.15:
                self._city_only(rec, p, rng)
        else:  # pragma: no cover - sources are fixed
            raise ValueError(source)
        return rec

    # ------------------------------------------------------------------ repairs
    def fill(self, rec: Rec, field: int, key: str, rng: random.Random) -> bool:
        """Write the identifier behind `key` into `rec`'s `field` (a repair); True if done."""
        p = rec.person
        m = p.market
        kind, _, value = key.partition(":")
        if field == F_PHONE and kind == "ph":
            ph = _phone_from_key(p, value)
            if ph is None:
                return False
            rec.f[F_PHONE] = self.phone_text(ph, m, self.phone_styles[rec.source].pick(rng))
        elif field == F_EMAIL and kind == "em":
            rec.f[F_EMAIL] = self.email_text(value, rng)
        elif field == F_NID and kind == "id":
            text, _ = self.nid_text(p, rng, agent=False)
            rec.f[F_NID] = text
        elif field == F_HANDLE and kind == "h":
            rec.f[F_HANDLE] = value
        else:
            return False
        rec.fkeys[field] = [key]
        return True


_CC = {"CO": "57", "MX": "52", "ES": "34", "US": "1"}
# Share of records on which a channel captures the national id, per market.
_NID_CC = {"CO": 0.5, "ES": 0.45, "MX": 0.25, "US": 0.3}
_NID_WEB = {"CO": 0.45, "ES": 0.25, "MX": 0.12, "US": 0.02}
_NID_APP = {"CO": 0.3, "ES": 0.2, "MX": 0.15, "US": 0.03}
# The id document is checked at the till: US stores do not ask for an SSN.
_NID_STORE = {"CO": 0.82, "ES": 0.6, "MX": 0.3, "US": 0.04}
_CO_KINDS: tuple[tuple[str, ...], ...] = (
    ("Calle", "Cl", "Cll", "CL", "Cl.", "Calle"),
    ("Carrera", "Cra", "Kr", "Cr", "Cra.", "KR", "Cra"),
    ("Diagonal", "Dg", "Transversal", "Tv"),
    ("Avenida", "Av", "Av.", "Ak", "Avenida Calle"),
)
_MX_KINDS: tuple[tuple[str, ...], ...] = (
    ("Calle", "C.", ""),
    ("Av.", "Avenida", "Av"),
    ("Blvd.", "Boulevard", "Blvr."),
)
_ES_KINDS: tuple[tuple[str, ...], ...] = (
    ("C/", "Calle", "C/", "Cl.", "c/"),
    ("Avda.", "Avenida", "Av."),
    ("Plaza", "Pza.", "Pl."),
    ("Paseo", "Pº", "P.º"),
)
_US_KINDS: tuple[tuple[str, ...], ...] = (
    ("St", "Street"),
    ("Ave", "Avenue"),
    ("Blvd", "Boulevard"),
    ("Dr", "Drive"),
    ("Rd", "Road"),
    ("Ln", "Lane"),
    ("Ct", "Court"),
    ("Way", "Way"),
)


def _groups(cc: str, nsn: str) -> list[str]:
    if cc == "57":
        return [nsn[:3], nsn[3:6], nsn[6:]] if len(nsn) == 10 else [nsn]
    if cc == "52":
        if nsn[:2] in ("55", "33", "81"):
            return [nsn[:2], nsn[2:6], nsn[6:]]
        return [nsn[:3], nsn[3:6], nsn[6:]]
    if cc == "34":
        if nsn[0] in "67":
            return [nsn[:3], nsn[3:5], nsn[5:7], nsn[7:]]
        if nsn[:2] in ("91", "93"):
            return [nsn[:2], nsn[2:5], nsn[5:7], nsn[7:]]
        return [nsn[:3], nsn[3:5], nsn[5:7], nsn[7:]]
    return [nsn[:3], nsn[3:6], nsn[6:]]


def _digit_typo(text: str, rng: random.Random) -> str:
    positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    if len(positions) < 4:
        return text + "0"
    i = positions[rr(rng, 2, len(positions))]
    r = rng.random()
    if r < 0.45:
        new = str((int(text[i]) + rr(rng, 1, 10)) % 10)
        return text[:i] + new + text[i + 1 :]
    if r < 0.75:
        return text[:i] + text[i + 1 :]
    j = positions[positions.index(i) - 1]
    if text[i] == text[j]:
        return text[:i] + text[i + 1 :]
    chars = list(text)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def _domain_typo(domain: str, rng: random.Random) -> str:
    name, dot, tld = domain.rpartition(".")
    if not dot or len(name) < 3:
        return domain + "m"
    return (
        f"{typo(name, rng)}.{tld}"
        if rng.random() < 0.7
        else f"{name}.{tld}{'m' if tld == 'co' else 'n'}"
    )


def _dotted(digits: str) -> str:
    out = []
    while len(digits) > 3:
        out.append(digits[-3:])
        digits = digits[:-3]
    out.append(digits)
    return ".".join(reversed(out))


def _safe_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        return date(year, month, 28)


def _phone_from_key(p: Person, digits: str) -> Phone | None:
    for ph in (p.mobile, p.old_mobile, p.origin_mobile, p.alt_mobile):
        if ph is not None and ph[0] + ph[1] == digits:
            return ph
    return None
