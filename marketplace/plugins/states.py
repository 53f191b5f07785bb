"""The platform's states of a plugin, as a transition table."""

from __future__ import annotations

from enum import StrEnum


class PlatformStatus(StrEnum):
    AVAILABLE = "available"  # discovered, not switched on for the platform
    INSTALLED = "installed"  # merchants may enable it; platform-level hooks run
    BLOCKED = "blocked"      # never loaded again (takes full effect at the next start)


class PlatformEvent(StrEnum):
    INSTALL = "install"
    UNINSTALL = "uninstall"
    BLOCK = "block"
    UNBLOCK = "unblock"


TRANSITIONS: dict[tuple[PlatformStatus, PlatformEvent], PlatformStatus] = {
    (PlatformStatus.AVAILABLE, PlatformEvent.INSTALL): PlatformStatus.INSTALLED,
    (PlatformStatus.INSTALLED, PlatformEvent.UNINSTALL): PlatformStatus.AVAILABLE,
    (PlatformStatus.AVAILABLE, PlatformEvent.BLOCK): PlatformStatus.BLOCKED,
    (PlatformStatus.INSTALLED, PlatformEvent.BLOCK): PlatformStatus.BLOCKED,
    (PlatformStatus.BLOCKED, PlatformEvent.UNBLOCK): PlatformStatus.AVAILABLE,
}
