"""A built-in-style folder with one test plugin: a payout method for the payout tests."""
