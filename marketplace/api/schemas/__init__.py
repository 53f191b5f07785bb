"""Marshmallow schemas of the REST API, one module per domain.

They check types and shape only; the services check the business rules, so a rule is written
once and its ``ValidationError.fields`` come back in the problem's ``errors``.
"""
