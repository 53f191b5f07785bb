"""Gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be changed through the environment, so one file serves every deployment:

==========================  =================================  ==============================
variable                    default                            meaning
==========================  =================================  ==============================
GUNICORN_BIND               127.0.0.1:8000                     address (or ``unix:/path``)
GUNICORN_WORKERS            2 × CPU cores + 1                  worker processes
GUNICORN_THREADS            4                                  threads per worker
GUNICORN_TIMEOUT            30                                 seconds before a stuck worker
                                                               is killed and replaced
GUNICORN_GRACEFUL_TIMEOUT   30                                 seconds to finish requests on
                                                               reload / stop
GUNICORN_KEEPALIVE          5                                  keep-alive seconds (behind a
                                                               proxy)
GUNICORN_MAX_REQUESTS       2000                               recycle a worker after this
                                                               many requests (0 = never)
GUNICORN_LOG_LEVEL          info                               error log level
TRUSTED_PROXIES             0                                  reverse proxies in front of
                                                               the app (see below)
FORWARDED_ALLOW_IPS         127.0.0.1,::1                      proxy addresses gunicorn
                                                               believes
==========================  =================================  ==============================

Reverse proxies. The application itself decides which ``X-Forwarded-*`` headers to believe:
``TRUSTED_PROXIES=N`` (read by ``marketplace/config.py``) wraps it in Werkzeug's ``ProxyFix``
trusting the last N hops, which is what rate limits, logs and ``https`` URLs use. Gunicorn
has its own, separate check (``forwarded_allow_ips``): it only lets the listed peer addresses
set the request scheme. Put your proxy's address there (``FORWARDED_ALLOW_IPS``) and set
``TRUSTED_PROXIES`` to the number of proxies; leave both at their defaults when gunicorn is
reached directly.

The in-process outbox worker (``OUTBOX_INPROCESS``, on by default) runs one thread per
gunicorn worker; claims are atomic, so several never deliver a message twice. With many
workers, prefer ``OUTBOX_INPROCESS=0`` plus one ``marketplace outbox drain --loop`` process.
"""

from __future__ import annotations

import multiprocessing
import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = _env_int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
threads = _env_int("GUNICORN_THREADS", 4)
# Threads need the gthread worker; one thread keeps the plain synchronous worker.
worker_class = "gthread" if threads > 1 else "sync"

timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
# Recycling workers now and then bounds the damage of a slow memory leak; the jitter keeps
# them from all restarting at the same moment.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max(max_requests // 10, 0)

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Secrets travel in headers (API tokens, cookies) and can travel in query strings (links
# with one-time tokens, searches with personal data): log the path only — %(U)s, without the
# query string — and no header but the user agent. %(M)s is the duration in milliseconds.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

# Off by default: create_app() starts the in-process outbox thread, and threads do not
# survive the fork from a preloaded master. Turn it on only with OUTBOX_INPROCESS=0.
preload_app = os.environ.get("GUNICORN_PRELOAD", "0").strip().lower() in {"1", "true", "yes"}
proc_name = "o2o-marketplace"
