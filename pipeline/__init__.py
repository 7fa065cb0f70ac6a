"""newsdesk's monitoring pipeline: items, settings, storage, stages and the CLI."""

__version__ = "0.1.0"
