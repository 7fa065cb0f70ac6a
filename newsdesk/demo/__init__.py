"""A sample news site that newsdesk serves itself on 127.0.0.1 for ``newsdesk demo`` and the tests."""
