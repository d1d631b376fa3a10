"""The one exception of the extraction package."""

from __future__ import annotations


class ExtractionError(Exception):
    """No article could be extracted. ``reason`` is a short stable code ("empty",
    "too_large", "no_text", "compressed") that pipelines count in their stats."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason
        self.message = message
