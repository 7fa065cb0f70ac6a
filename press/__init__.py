"""Drafting, approving, scheduling and publishing releases and posts, and the office's tallies."""
