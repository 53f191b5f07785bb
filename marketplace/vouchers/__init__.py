"""Vouchers and promotion campaigns: a merchant's offer, claimed online into a wallet, used at
a counter or on an online order."""
