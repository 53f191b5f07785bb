"""What a demo-data run did, and the demo logins, printed by `marketplace demo-data`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Account:
    role: str
    email: str
    password: str
    existed: bool  # an existing account keeps its own password: the demo one may not work


@dataclass
class DemoSummary:
    created: dict[str, int] = field(default_factory=dict)  # rows created by this run
    totals: dict[str, int] = field(default_factory=dict)   # demo rows now in the database
    accounts: list[Account] = field(default_factory=list)

    @property
    def created_anything(self) -> bool:
        return any(self.created.values())

    def describe(self) -> str:
        t = self.totals
        lines = [
            "Demo marketplace ready.",
            f"  {t.get('merchants', 0)} merchants · {t.get('stores', 0)} stores · "
            f"{t.get('listings', 0)} listings ({t.get('variants', 0)} variants) · "
            f"{t.get('stock_levels', 0)} stock levels · {t.get('users', 0)} demo accounts",
        ]
        if self.created_anything:
            made = ", ".join(f"{n} {what.replace('_', ' ')}"
                             for what, n in sorted(self.created.items()) if n)
            lines.append(f"  Created now: {made}.")
        else:
            lines.append("  Nothing new: everything was already there (nothing was changed).")
        lines += ["", "Demo accounts (for a local demo only: never load demo data on a server "
                      "reachable from the internet):"]
        width = max((len(a.role) for a in self.accounts), default=10)
        mail_width = max((len(a.email) for a in self.accounts), default=10)
        for a in self.accounts:
            note = "  (existing account: its password was not changed)" if a.existed else ""
            lines.append(f"  {a.role:<{width}}  {a.email:<{mail_width}}  {a.password}{note}")
        lines += ["", "Log in at /login; the platform admin area is /admin/."]
        return "\n".join(lines)
