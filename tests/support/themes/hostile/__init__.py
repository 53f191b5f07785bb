"""A third-party theme package that tries to read what it must not (sandbox tests)."""
