"""Huzhu's kernel: settings, storage, clock, events, auth, geo and the registry."""

__version__ = "0.1.0"
