"""Production entry point: ``gunicorn -c gunicorn.conf.py wsgi:app``."""

from marketplace import create_app

app = create_app()
