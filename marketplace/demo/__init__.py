"""A believable Vietnamese demo marketplace for local trials: `marketplace demo-data`.

Six approved merchants (fashion, electronics, coffee, spa and salon, shoes, sports), 26 stores
in Ho Chi Minh City and Hanoi with hours and holidays, 200+ published listings with VND prices
and per-store stock, staff accounts and a consumer. Loading is idempotent and goes through the
services. The demo passwords live in ``demo.shops`` and are printed by the command; they are
for a local demo only.
"""

from .loader import load_demo_data
from .summary import DemoSummary

__all__ = ["DemoSummary", "load_demo_data"]
