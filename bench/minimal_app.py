"""The baseline of ``bench/run_http.py``: the smallest Flask app, one route, a small JSON body.

Served by gunicorn with the same settings as the marketplace, it shows what the framework and
the server cost on this machine, so the marketplace's figures can be read as a ratio.
"""

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify(status="ok", service="minimal")
