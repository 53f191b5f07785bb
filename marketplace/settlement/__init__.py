"""Marketplace settlement: what each captured payment and refund means for the platform and
the merchant (gross, commission, net), in an append-only ledger from which balances derive."""
