"""Building and evaluating the decision model (what ``make model`` needs), kept apart from using it.

``python -m pipeline.decision.training.recipe --help``: ``final`` writes the shipped folder, ``eval``
reports the figures of MODEL.md. Data: ``labels/`` (our labels, keyed to ``../shared/data``), the
office's labelled items in ``../shared/data/sentiment/needs-response-dev.csv``, and the July 2026
news in ``../shared/data/news/``.
"""
