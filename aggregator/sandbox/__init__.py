"""Sandbox publishers: deterministic, fictional OCDS data served on 127.0.0.1 in several publication shapes."""

from aggregator.sandbox.publishers import SANDBOX_PUBLISHERS
from aggregator.sandbox.server import SandboxServer

__all__ = ["SANDBOX_PUBLISHERS", "SandboxServer"]
