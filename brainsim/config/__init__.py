"""Configuration: the schema of every config group, its validation into typed settings, and
the loaders of the shipped config folder."""

__all__ = ["builders", "loaders", "overrides", "schema", "settings"]
