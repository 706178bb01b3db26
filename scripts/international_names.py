"""Builds detectors/pii/data/international_{first,last}_names.txt: given and family names
in Latin script from Faker's person providers (MIT licence), for the names the 1990 US
Census lists lack ("Siddharth", "Okeke", "Tanaka", "Zhang").

Left out: names already in the census lists, names of one or two letters, and names
whose lower-case form is an English word in Debian's wamerican list ("Park", "Fang",
"Van"), the way the census lists leave out everyday words: the person recogniser needs
no corroboration for a name it knows. Run it by hand (not at install or run time):

    apt-get install wamerican && pip install faker
    python scripts/international_names.py
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from pathlib import Path

import faker
import faker.providers.person as person_providers

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "detectors" / "pii" / "data"
sys.path.insert(0, str(ROOT))
# _words reads one list: first_names() and last_names() hold this script's own output too,
# and a second run must not leave out every name the first one kept.
from detectors.pii.dictionaries import (_words, ambiguous_first_names, ambiguous_last_names,  # noqa: E402
                                        everyday_last_names, street_suffixes)

WORDS = Path("/usr/share/dict/american-english")
# A capitalised word of Latin letters (diacritics too), apostrophes and hyphens.
LATIN = re.compile(r"[A-ZÀ-ÖØ-ÞĀ-ŽƠƯȘȚḀ-Ỹ][A-Za-zÀ-ÖØ-öø-ÿĀ-žƠơƯưȘ-țḀ-ỹ'\-]+")


def faker_names() -> tuple[set[str], set[str]]:
    first: set[str] = set()
    last: set[str] = set()
    for module in pkgutil.iter_modules(person_providers.__path__):
        provider = importlib.import_module(f"{person_providers.__name__}.{module.name}").Provider
        for attr in dir(provider):
            if not attr.islower() or "prefix" in attr or "suffix" in attr:
                continue
            kind = first if attr.startswith("first_") else last if attr.startswith("last_") else None
            names = getattr(provider, attr)
            if kind is None or not isinstance(names, (tuple, list, dict)):
                continue
            kind.update(n for n in names if isinstance(n, str) and LATIN.fullmatch(n))
    return first, last


def main() -> None:
    words = {w.strip() for w in WORDS.read_text("utf-8").splitlines() if w[:1].islower()}
    known = _words("first_names.txt") | _words("last_names.txt") | ambiguous_first_names() | \
        ambiguous_last_names() | everyday_last_names() | street_suffixes()
    first, last = faker_names()

    def keep(name: str) -> bool:
        return len(name) > 2 and name not in known and name.lower() not in words and \
            not any(part.lower() in words for part in name.split("-"))

    header = (f"# Names in Latin script from Faker {faker.VERSION}'s person providers (MIT licence),\n"
              "# not in the census lists, longer than two letters, no English word (wamerican).\n"
              "# Built by scripts/international_names.py.\n")
    for filename, names in (("international_first_names.txt", first), ("international_last_names.txt", last)):
        kept = sorted(n for n in names if keep(n))
        (DATA / filename).write_text(header + "\n".join(kept) + "\n", "utf-8")
        print(f"{filename}: {len(kept)} of {len(names)}")


if __name__ == "__main__":
    main()
