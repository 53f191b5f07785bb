"""Printable QR posters and flyers, and the online-to-offline funnel they start."""
