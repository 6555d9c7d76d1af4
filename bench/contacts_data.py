"""Realistic French contact files for the import benchmark and tests.

Names, streets and towns come from Faker's fr_FR provider (drawn once into pools, so a
million rows take seconds); phones and emails are written the many ways real files have
them. A share of rows repeats an earlier person (same email in another case, or the same
phone in another format) and a share is bad (malformed email or phone, impossible birth
year, unknown sex, a row with too many cells), with the expected counts returned.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from faker import Faker

HEADER = [
    "Civilité",
    "Prénom",
    "Nom",
    "Email",
    "Téléphone",
    "Adresse",
    "Bureau de vote",
    "Année de naissance",
]
DOMAINS = [
    "orange.fr",
    "free.fr",
    "gmail.com",
    "laposte.net",
    "sfr.fr",
    "wanadoo.fr",
    "yahoo.fr",
    "outlook.fr",
]
BAD_KINDS = ("email", "phone", "year", "sex", "width")


@dataclass
class Expected:
    rows: int = 0
    people: int = 0
    duplicates: int = 0
    bad: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BAD_KINDS, 0))

    @property
    def bad_rows(self) -> int:
        return sum(self.bad.values())


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and ord(c) < 128).lower()


class People:
    """Draws people from pools built once with Faker (fr_FR)."""

    def __init__(self, seed: int = 2026) -> None:
        fake = Faker("fr_FR")
        Faker.seed(seed)
        self.rng = random.Random(seed)
        self.women = [fake.first_name_female() for _ in range(800)]
        self.men = [fake.first_name_male() for _ in range(800)]
        self.last = [fake.last_name() for _ in range(3000)]
        self.streets = [fake.street_name() for _ in range(1500)]
        self.towns = [(fake.postcode(), fake.city()) for _ in range(300)]
        self.stations = [f"29019-{n:04d}" for n in range(1, 61)] + [
            f"75056-{n:04d}" for n in range(1, 41)
        ]

    def phone(self, number: int) -> str:
        # Valid French mobile ranges only: 06 (but 063 9x, 069 0-4) and 073 to 079.
        rest = f"{number * 7919 % 10_000_000:07d}"
        digits = (
            f"06{'0124578'[number % 7]}{rest}" if number % 3 else f"07{'3456789'[number % 7]}{rest}"
        )
        return reformat(digits, style=number % 4)

    def person(self, number: int) -> list[str]:
        rng = self.rng
        woman = rng.random() < 0.52
        first = rng.choice(self.women if woman else self.men)
        last = rng.choice(self.last)
        postcode, town = rng.choice(self.towns)
        address = f"{rng.randint(1, 180)} {rng.choice(self.streets)}, {postcode} {town}"
        email = (
            f"{_ascii(first)}.{_ascii(last)}.{number}@{rng.choice(DOMAINS)}"
            if rng.random() < 0.85
            else ""
        )
        phone = self.phone(number) if rng.random() < 0.8 or not email else ""
        return [
            "Mme" if woman else "M.",
            first,
            last,
            email,
            phone,
            address,
            rng.choice(self.stations),
            str(rng.randint(1930, 2006)),
        ]


def reformat(digits: str, *, style: int) -> str:
    """Write a national number (0XXXXXXXXX) the way files do: spaced, dotted, +33 or bare."""
    if style == 0:
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style == 1:
        return ".".join(digits[i : i + 2] for i in range(0, 10, 2))
    if style == 2:
        return "+33 " + digits[1] + " " + " ".join(digits[i : i + 2] for i in range(2, 10, 2))
    return digits


def _national(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    return "0" + digits[2:] if digits.startswith("33") else digits


def _spoil(row: list[str], kind: str) -> list[str]:
    row = list(row)
    if kind == "email":
        row[3] = row[3].replace("@", " at ") if row[3] else "pas-un-email"
    elif kind == "phone":
        row[4] = "12"
    elif kind == "year":
        row[7] = "1850"
    elif kind == "sex":
        row[0] = "X"
    else:
        row.append("cellule en trop")
    return row


def rows(
    count: int, *, seed: int = 2026, duplicate_rate: float = 0.02, bad_rate: float = 0.01
) -> tuple[Iterator[list[str]], Expected]:
    """Return the rows (lazily) and, once they are consumed, what an import should find."""
    people = People(seed)
    expected = Expected()
    recent: list[list[str]] = []

    def generate() -> Iterator[list[str]]:
        rng = people.rng
        for number in range(count):
            expected.rows += 1
            draw = rng.random()
            if draw < duplicate_rate and recent:
                earlier = list(rng.choice(recent))
                if earlier[3]:
                    earlier[3] = earlier[3].upper()  # same address, another case
                    earlier[4] = ""
                else:
                    earlier[4] = reformat(_national(earlier[4]), style=rng.randrange(4))
                expected.duplicates += 1
                yield earlier
                continue
            row = people.person(number)
            if draw < duplicate_rate + bad_rate:
                kind = BAD_KINDS[number % len(BAD_KINDS)]
                expected.bad[kind] += 1
                yield _spoil(row, kind)
                continue
            expected.people += 1
            if len(recent) < 5000:
                recent.append(row)
            elif rng.random() < 0.01:
                recent[rng.randrange(len(recent))] = row
            yield row

    return generate(), expected


def write_csv(
    path: Path, count: int, *, encoding: str = "utf-8-sig", delimiter: str = ";", **kwargs: float
) -> Expected:
    """Write a contact file and return what an import of it should find."""
    generated, expected = rows(count, **kwargs)  # type: ignore[arg-type]
    with path.open("w", encoding=encoding, newline="", errors="replace") as out:
        out.write(delimiter.join(HEADER) + "\r\n")
        for row in generated:
            out.write(delimiter.join(cell.replace(delimiter, " ") for cell in row) + "\r\n")
    return expected


if __name__ == "__main__":
    import json
    import sys

    target, size = Path(sys.argv[1]), int(sys.argv[2])
    found = write_csv(target, size)
    print(
        json.dumps(
            {
                "rows": found.rows,
                "people": found.people,
                "duplicates": found.duplicates,
                "bad": found.bad,
            }
        )
    )
