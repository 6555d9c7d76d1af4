"""The sensitive-data guard (R10): special categories never enter the contact base.

Text is normalised (camelCase and separators split, accents stripped, lower-cased) and then
matched word by word against stems with their plural and feminine endings, so "Syndiquée" and
"syndicats" are caught while "indicateur" or "syndrome" are not. The campaign's own
support-level field is the one place a political leaning may be recorded; anything else that
speaks of political opinions is refused like the other categories.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Endings: "e" (feminine), "s"/"x" (plural), "es", "ne"/"nes" (chrétienne), "le"/"les".
_GENDER = r"(?:e|s|es|x)?"

_CATEGORIES: dict[str, list[str]] = {
    "religion": [
        r"religions?",
        r"religieu(?:x|se|ses)",
        r"religious",
        r"catholiques?",
        r"catholics?",
        r"musulman" + _GENDER,
        r"muslims?",
        r"islam(?:ique|iques|ic|iste|istes)?",
        r"jui(?:f|fs|ve|ves)",
        r"jewish",
        r"jews?",
        r"judaisme|judaism",
        r"protestant" + _GENDER,
        r"chretien(?:s|ne|nes)?",
        r"christians?",
        r"bouddhistes?|buddhists?",
        r"hindou" + _GENDER + r"|hindus?",
        r"athees?|atheists?",
        r"mosquees?|mosques?",
        r"synagogues?",
        r"pratiquant" + _GENDER,
        r"croyant" + _GENDER,
        r"ramadan",
        r"halal",
        r"casher|kasher|kosher",
        r"franc[ -]?macon(?:s|ne|nes)?|freemasons?",
    ],
    "health": [
        r"sante",
        r"health",
        r"malad(?:e|es|ie|ies)",
        r"illness(?:es)?",
        r"handicap(?:e|es|ee|ees|s)?",
        r"disabilit(?:y|ies)|disabled",
        r"cancers?",
        r"diabet(?:e|es|ique|iques|ic|ics)",
        r"vih|hiv|sida",
        r"enceinte|grossesses?|pregnan(?:t|cy)",
        r"medica(?:l|le|les|ux|tion|tions)",
        r"medicaments?",
        r"depressi(?:on|ons|f|ve)",
        r"psychiatri(?:e|que|ques|c)",
        r"alcooliques?|alcoholics?",
        r"toxicomanes?",
        r"mental health|sante mentale",
    ],
    "union membership": [
        r"syndica(?:t|ts|l|le|les|ux|liste|listes|lisme)",
        r"syndique" + _GENDER,
        r"trade unions?|labou?r unions?|union members?|unioni[sz]ed",
        r"cgt|cfdt|cftc|cfe cgc",
    ],
    "racial or ethnic origin": [
        r"ethni(?:e|es|que|ques|c|city|cities)",
        r"races?|racial(?:e|es)?|raciaux",
        r"origine ethnique|ethnic origin",
        r"couleur de peau|skin colou?r",
        r"arabes?|arabs?",
        r"maghrebin" + _GENDER,
        r"africain" + _GENDER,
        r"asiatiques?",
        r"hispanics?|latinos?",
        r"immigre" + _GENDER + r"|immigrants?",
    ],
    "sexual life or orientation": [
        r"sexu(?:el|els|elle|elles|alite|al|ality)",
        r"orientation sexuelle|sexual orientation",
        r"homosexu(?:el|els|elle|elles|al|als)",
        r"heterosexu(?:el|els|elle|elles|al|als)",
        r"bisexu(?:el|els|elle|elles|al|als)",
        r"gays?",
        r"lesbiens?|lesbiennes?|lesbians?",
        r"lgbt\w*",
        r"transgen(?:re|res|der)",
        r"queers?",
    ],
    "political opinions": [
        r"opinions? politiques?|political (?:opinions?|views?|affiliations?)",
        r"affiliation politique",
        r"extreme (?:droite|gauche)|far (?:right|left)",
        r"communistes?|communists?",
        r"fascistes?|fascists?",
        r"anarchistes?|anarchists?",
        r"royalistes?|royalists?",
        r"gauchistes?",
        r"vote pour|votes? for|voted for|a vote",
        r"electeur (?:de|du)|electrice (?:de|du)",
    ],
    "biometric or genetic data": [
        r"biometri(?:e|que|ques|c|cs)",
        r"empreintes? digitales?|fingerprints?",
        r"geneti(?:que|ques|c|cs)",
        r"adn|dna",
        r"reconnaissance faciale|facial recognition",
    ],
    "criminal record": [
        r"casiers? judiciaires?|criminal records?",
        r"condamn(?:e|es|ee|ees|ation|ations)",
        r"convicted|convictions?",
        r"delinquan(?:t|ts|te|tes|ce|cy)",
        r"infractions?",
        r"prisons?|incarcer(?:e|es|ee|ees|ated|ation)",
        r"criminals?|felon(?:y|ies|s)?",
    ],
}

_PATTERNS = [
    (category, re.compile(r"\b(?:" + "|".join(stems) + r")\b"))
    for category, stems in _CATEGORIES.items()
]
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Finding:
    """A sensitive category found in a value."""

    category: str

    def reason(self) -> str:
        return f"speaks of {self.category}, a special category of data that is never collected"


def normalise(text: str) -> str:
    """Return text as the guard reads it: words of unaccented lower-case letters and digits."""
    split = _CAMEL.sub(" ", text)
    stripped = unicodedata.normalize("NFKD", split)
    ascii_only = "".join(ch for ch in stripped if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", ascii_only.lower()).strip()


def find(text: str | None) -> Finding | None:
    """Return the first sensitive category the text speaks of, if any."""
    if not text:
        return None
    words = normalise(text)
    for category, pattern in _PATTERNS:
        if pattern.search(words):
            return Finding(category)
    return None
