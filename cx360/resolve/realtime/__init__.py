"""Real-time resolution: candidates, decision, the resolver that runs them per call."""

from cx360.resolve.realtime._candidates import lock_names
from cx360.resolve.realtime._resolver import RealtimeResolver

__all__ = ["RealtimeResolver", "lock_names"]
