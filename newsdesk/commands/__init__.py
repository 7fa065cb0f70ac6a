"""The command groups, one module per package they drive; ``newsdesk.cli`` registers them."""
