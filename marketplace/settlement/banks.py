"""Where payouts go: the banks a merchant chooses from, and how an account is written.

For đồng the bank is one of NAPAS's members, named by its BIN (the 6-digit identifier every
Vietnamese transfer, VietQR included, addresses it by). For any other currency there is no
list to offer: the merchant types the bank's name or SWIFT/BIC code, and the platform's
staff read it in the bank file.
"""

from __future__ import annotations

import re

from ..validation import fold_vietnamese

# NAPAS members by BIN, the largest first (the VietQR plugin offers the same list).
NAPAS_BANKS: tuple[tuple[str, str], ...] = (
    ("970436", "Vietcombank"), ("970415", "VietinBank"), ("970418", "BIDV"),
    ("970405", "Agribank"), ("970422", "MB Bank"), ("970407", "Techcombank"),
    ("970416", "ACB"), ("970432", "VPBank"), ("970423", "TPBank"), ("970403", "Sacombank"),
    ("970437", "HDBank"), ("970441", "VIB"), ("970443", "SHB"), ("970431", "Eximbank"),
    ("970426", "MSB"), ("970448", "OCB"), ("970440", "SeABank"), ("970449", "LPBank"),
)
BANK_LISTS: dict[str, tuple[tuple[str, str], ...]] = {"VND": NAPAS_BANKS}

# Vietnamese accounts are 4–19 digits (capital letters in a virtual account); elsewhere an
# IBAN, the longest kind, has at most 34 characters.
ACCOUNT_NUMBER = {"VND": re.compile(r"[0-9A-Z]{4,19}")}
OTHER_ACCOUNT_NUMBER = re.compile(r"[0-9A-Z]{4,34}")
# What banks print as the holder: capitals without accents, a few separators.
HOLDER = re.compile(r"[A-Z0-9 .,&-]{2,50}")


def banks_for(currency: str) -> tuple[tuple[str, str], ...] | None:
    """The (code, name) choices for accounts in ``currency``; ``None``: the bank is typed."""
    return BANK_LISTS.get(currency)


def bank_name(code: str) -> str:
    """A listed bank's name (``970436`` → Vietcombank); a typed bank is its own name."""
    for banks in BANK_LISTS.values():
        for listed, name in banks:
            if listed == code:
                return name
    return code


def account_number_pattern(currency: str) -> re.Pattern:
    return ACCOUNT_NUMBER.get(currency, OTHER_ACCOUNT_NUMBER)


def normal_account_number(text: str) -> str:
    """Spaces typed to group the digits (an IBAN is printed in fours) are dropped."""
    return "".join((text or "").split()).upper()


def normal_holder(text: str) -> str:
    """The account holder as banks print it: upper case, no accents, single spaces."""
    return " ".join(fold_vietnamese(text or "").upper().split())
