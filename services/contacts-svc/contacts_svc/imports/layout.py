"""How a campaign's CSV is laid out: encoding, separator, and which column is which field."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Mapping
from dataclasses import dataclass

from contacts_svc import sensitive
from contacts_svc.fields import FIELDS
from contacts_svc.rules import FieldProblem

KNOWN_HEADERS: dict[str, str] = {
    **dict.fromkeys(("prenom", "prenoms", "first name", "firstname", "given name"), "first_name"),
    **dict.fromkeys(
        (
            "nom",
            "nom de famille",
            "nom de naissance",
            "nom d usage",
            "last name",
            "lastname",
            "surname",
            "family name",
            "name",
        ),
        "last_name",
    ),
    **dict.fromkeys(
        ("email", "e mail", "mail", "courriel", "adresse email", "adresse mail", "email address"),
        "email",
    ),
    **dict.fromkeys(
        (
            "telephone",
            "tel",
            "portable",
            "mobile",
            "gsm",
            "phone",
            "phone number",
            "numero de telephone",
            "telephone portable",
        ),
        "phone",
    ),
    **dict.fromkeys(("adresse", "adresse postale", "address", "postal address"), "postal_address"),
    **dict.fromkeys(
        (
            "bureau de vote",
            "bureau",
            "code bureau",
            "bv",
            "polling station",
            "polling station code",
        ),
        "polling_station",
    ),
    **dict.fromkeys(
        (
            "annee de naissance",
            "annee naissance",
            "date de naissance",
            "birth year",
            "year of birth",
            "birth date",
            "date of birth",
        ),
        "birth_year",
    ),
    **dict.fromkeys(("sexe", "sex", "civilite", "title"), "sex"),
    **dict.fromkeys(("tags", "etiquettes", "labels"), "tags"),
    **dict.fromkeys(("interets", "centres d interet", "interests"), "interests"),
    **dict.fromkeys(("notes", "commentaire", "commentaires", "remarques", "comments"), "notes"),
    **dict.fromkeys(("niveau de soutien", "soutien", "support level", "support"), "support_level"),
    **{name.replace("_", " "): name for name in FIELDS},
}
_BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class Layout:
    """What the reader needs: encoding, separator, and the field of each column (or None)."""

    encoding: str
    delimiter: str
    columns: tuple[str | None, ...]
    ignored: tuple[str, ...]


class EncodingProbe:
    """Fed the upload chunk by chunk: tells UTF-8 (with or without BOM) from Windows-1252."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._start = b""
        self.utf8 = True

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        if len(self._start) < 3:
            self._start += chunk[:3]
        if self.utf8:
            try:
                self._decoder.decode(chunk, final=final)
            except UnicodeDecodeError:
                self.utf8 = False

    @property
    def encoding(self) -> str:
        if not self.utf8:
            return "cp1252"
        return "utf-8-sig" if self._start.startswith(_BOM) else "utf-8"


def sniff_delimiter(header_line: str) -> str:
    """Return the separator the header row uses most: ';', ',' or a tab."""
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_header(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter))


def map_columns(
    header: list[str], *, mapping: Mapping[str, str], encoding: str, delimiter: str
) -> tuple[Layout | None, list[FieldProblem]]:
    """Map each column to a field: the mapping given first, then known French/English names.

    Every column name is read by the sensitive-data guard, mapped or not (R10).
    """
    problems: list[FieldProblem] = []
    wanted = {sensitive.normalise(k): v for k, v in mapping.items()}
    for column, wanted_field in mapping.items():
        if wanted_field not in FIELDS:
            reason = f"{wanted_field!r} is not a contact field"
            problems.append(FieldProblem(f"mapping.{column}", reason))
        if sensitive.normalise(column) not in {sensitive.normalise(h) for h in header}:
            problems.append(
                FieldProblem(f"mapping.{column}", "no column of the file has this name")
            )
    columns: list[str | None] = []
    ignored: list[str] = []
    taken: dict[str, str] = {}
    for name in header:
        key = sensitive.normalise(name)
        finding = sensitive.find(name)
        if finding:
            problems.append(FieldProblem(f"column {name!r}", finding.reason(), "R10"))
            columns.append(None)
            continue
        target: str | None = wanted.get(key) or KNOWN_HEADERS.get(key)
        if target is None:
            ignored.append(name)
        elif target in taken:
            problems.append(
                FieldProblem(
                    f"column {name!r}", f"{target} is already read from column {taken[target]!r}"
                )
            )
            target = None
        else:
            taken[target] = name
        columns.append(target)
    if not taken and not problems:
        problems.append(FieldProblem("header", "no column could be mapped to a contact field"))
    if problems:
        return None, problems
    return Layout(
        encoding=encoding, delimiter=delimiter, columns=tuple(columns), ignored=tuple(ignored)
    ), []
