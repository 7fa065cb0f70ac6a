"""Collectors: feeds, article pages and social sources, each yielding ``pipeline.items.Item``."""
