"""Errors that reach the user as one clear line (the CLI prints them without a traceback)."""


class GanbenchError(Exception):
    """Base class: the message says what is wrong and how to fix it."""


class ConfigError(GanbenchError, ValueError):
    """A study config or method spec names an unknown key/value or an invalid number."""


class DataMissingError(GanbenchError, FileNotFoundError):
    """A data set or weights file is not on disk; the message says how to get it."""
