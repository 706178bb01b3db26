"""Characters written another way that read the same, folded to ASCII before matching.

- Fullwidth forms: Japanese, Chinese and Korean input methods type
  "０９０－１２３４－５６７８" and "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ" (NFKC reads them as ASCII).
- Digits of other scripts: "٠٥٠١٢٣٤٥٦٧" (Arabic-Indic), "९८७६५४३२१०" (Devanagari). RE2's
  ``\\d`` is ASCII only.
- The no-break, figure, thin and ideographic spaces, and Unicode hyphens, that word
  processors and chat apps put inside numbers ("06 12 34 56 78" with no-break spaces, as
  French typography writes a phone number).
- Typographic apostrophes: phones and word processors type "O’Brien" and "don’t", read
  as "O'Brien" and "don't" are (the opening one too, as ASCII writes both the same).

One character for one: offsets into the folded text are offsets into the original, so
findings still point at what was sent.
"""

from __future__ import annotations

from typing import Final


# The zero of each run of ten digits folded: the scripts of the markets people write
# phone numbers and ids in (listing them is cheaper at import than reading every code
# point's category; tests/pii/test_fold.py checks each against unicodedata).
SCRIPT_ZEROS: Final = (
    0x0660,  # Arabic-Indic
    0x06F0,  # Extended Arabic-Indic (Persian, Urdu)
    0x07C0,  # NKo
    0x0966,  # Devanagari
    0x09E6,  # Bengali
    0x0A66,  # Gurmukhi
    0x0AE6,  # Gujarati
    0x0B66,  # Oriya
    0x0BE6,  # Tamil
    0x0C66,  # Telugu
    0x0CE6,  # Kannada
    0x0D66,  # Malayalam
    0x0E50,  # Thai
    0x0ED0,  # Lao
    0x0F20,  # Tibetan
    0x1040,  # Myanmar
    0x17E0,  # Khmer
    0x1810,  # Mongolian
)


def _table() -> dict[int, str]:
    table: dict[int, str] = {c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
    for c in (0x00A0, 0x2007, 0x2009, 0x200A, 0x202F, 0x3000):
        table[c] = " "
    # Not the en dash: "1990–2000" and "pages 10–20" are ranges, not one number.
    for c in (0x2010, 0x2011, 0x2012, 0x2212, 0xFE63):
        table[c] = "-"
    for c in (0x2018, 0x2019):
        table[c] = "'"
    for zero in SCRIPT_ZEROS:
        for d in range(10):
            table[zero + d] = str(d)
    return table


_FOLD: Final[dict[int, str]] = _table()


def fold(text: str) -> str:
    """``text`` with its fullwidth forms, digits of other scripts, odd spaces and hyphens
    and typographic apostrophes in ASCII; the same string when there are none."""
    if text.isascii():
        return text
    folded = text.translate(_FOLD)
    return text if folded == text else folded
