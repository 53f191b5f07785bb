"""Text folding for diacritics-insensitive Vietnamese search.

Unicode decomposes "ở" into "o" plus marks, but "đ" is a letter of its own that no
normalisation turns into "d"; Vietnamese typed without marks writes it as "d", so both the
indexed text and the query fold it by hand."""

from __future__ import annotations

import re
import unicodedata

_D = str.maketrans({"đ": "d", "Đ": "D"})
WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case, without marks, đ → d: "Cà phê sữa đá" → "ca phe sua da"."""
    decomposed = unicodedata.normalize("NFD", (text or "").translate(_D))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    """The folded words of a query, in order (punctuation and operators dropped)."""
    return WORD.findall(fold(text))
