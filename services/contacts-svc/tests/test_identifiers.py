"""The import's short path for emails and phones gives exactly what isoloir.identity gives."""

from __future__ import annotations

import contacts_data
import pytest

from contacts_svc import identifiers
from isoloir import identity

EMAILS = [
    "Marie.Curie@Example.ORG",
    "  jean-pierre+tract@orange.fr ",
    "a@b.co",
    "x@localhost",
    "x@server.local",
    "x@domain.test",
    "x@xn--bcher-kva.example",
    "x@ab--cd.fr",
    "x..y@orange.fr",
    ".x@orange.fr",
    "x@-orange.fr",
    "x@orange-.fr",
    "x@orange.f",
    "x@orange.123",
    "élodie@orange.fr",
    "x@exämple.fr",
    "a" * 65 + "@orange.fr",
    "x@" + "a" * 64 + ".fr",
    "x@orange",
    "x y@orange.fr",
    "x@@orange.fr",
    "x@orange..fr",
    '"x"@orange.fr',
    "x_y@sub.domain.orange.fr",
]
PHONES = [
    "06 12 34 56 78",
    "06.12.34.56.78",
    "0612345678",
    "+33 6 12 34 56 78",
    "+33612345678",
    "0033 6 12 34 56 78",
    "+33 (0)6 12 34 56 78",
    "+33 06 12 34 56 78",
    "07 12 34 56 78",
    "07 73 34 56 78",
    "01 42 34 56 78",
    "08 00 12 34 56",
    "08 99 12 34 56",
    "09 12 34 56 78",
    "05 99 99 99 99",
    "06 39 12 34 56",
    "06 90 12 34 56",
    "0612",
    "12",
    "+44 20 7946 0958",
    "+32 470 12 34 56",
    "0590 12 34 56",
    "06-12-34-56-78",
    "abc",
]


def _both(fast, slow, raw):  # type: ignore[no-untyped-def]
    outcomes = []
    for normalise in (fast, slow):
        try:
            outcomes.append(("ok", normalise(raw)))
        except identity.InvalidIdentifier:
            outcomes.append(("invalid", None))
    return outcomes


class TestIdentifiers:
    @pytest.mark.parametrize("raw", EMAILS)
    def test_an_email_is_normalised_or_refused_exactly_as_identity_does(self, raw: str) -> None:
        fast, slow = _both(identifiers.normalise_email, identity.normalise_email, raw)

        assert fast == slow

    @pytest.mark.parametrize("raw", PHONES)
    def test_a_phone_is_normalised_or_refused_exactly_as_identity_does(self, raw: str) -> None:
        fast, slow = _both(identifiers.normalise_phone, identity.normalise_phone, raw)

        assert fast == slow

    def test_generated_contact_files_agree_on_every_email_and_phone(self) -> None:
        generated, _ = contacts_data.rows(3000, seed=5)

        disagreements = []
        for row in generated:
            for raw, fast, slow in (
                (row[3], identifiers.normalise_email, identity.normalise_email),
                (row[4], identifiers.normalise_phone, identity.normalise_phone),
            ):
                if raw:
                    a, b = _both(fast, slow, raw)
                    if a != b:
                        disagreements.append((raw, a, b))

        assert disagreements == []

    def test_every_french_number_prefix_is_judged_as_identity_judges_it(self) -> None:
        # The short path only changes how the number is read: validity stays phonenumbers'.
        disagreements = []
        for prefix in range(1, 100):
            for tail in ("0000000", "4567890", "9999999"):
                raw = f"0{prefix:02d}{tail}"
                a, b = _both(identifiers.normalise_phone, identity.normalise_phone, raw)
                if a != b:
                    disagreements.append(raw)

        assert disagreements == []
