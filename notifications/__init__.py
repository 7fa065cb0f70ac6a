"""Alerts and digests to the press officers: console, Slack, e-mail."""
