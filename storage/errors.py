"""The one exception storage raises for problems the user can fix (bad URL, bad file, server down)."""


class StorageError(Exception):
    """A one-line, user-facing storage failure; the CLI maps it to a non-zero exit code."""
