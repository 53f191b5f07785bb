"""Test data constants; the factory fixtures live in ``marketplace.plugins.testing``."""

from marketplace.plugins.testing_factories import PASSWORD, WEEKDAYS_8_TO_22

__all__ = ["PASSWORD", "WEEKDAYS_8_TO_22"]
