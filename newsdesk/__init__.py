"""The application layer: the ``newsdesk`` command, its app object, the demo and (later) the worker.

The packages below it (``crawlers``, ``pipeline``, ``notifications``, ``press``) never import it;
each module here is a thin layer that builds settings, a session factory and the stages, and calls
the core.
"""
