"""Codes shown at the counter (a pickup order, a voucher, a ticket) and their redemption."""
