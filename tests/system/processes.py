"""Helpers to run newsdesk as real processes against a settings file, and to read the results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]


def write_config(path: Path, database_url: str, sources: list[dict[str, Any]], **tables: dict[str, Any]) -> Path:
    lines = [f"database_url = {json.dumps(database_url)}"]
    base = {"crawl": {"allow_private_hosts": True, "download_delay": 0.0}, "schedule": {"jitter": 0}}
    for name, values in {**base, **tables}.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    for src in sources:
        lines.append("[[sources]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in src.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start(cfg: Path, *args: str, env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SLACK_", "NEWSDESK_", "DATABASE_URL", "CELERY_"))}
    if log is None:
        return subprocess.Popen([sys.executable, "-m", "newsdesk", "--config", str(cfg), *args], cwd=ROOT,
                                env={**clean, **(env or {})}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT, text=True)
    with open(log, "w") as out:  # the child keeps its own copy of the file descriptor
        return subprocess.Popen([sys.executable, "-m", "newsdesk", "--config", str(cfg), *args], cwd=ROOT,
                                env={**clean, **(env or {})}, stdout=out, stderr=subprocess.STDOUT, text=True)


def stop(*procs: subprocess.Popen[str], timeout: float = 60) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for p in procs:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)


def wait_for(predicate: Callable[[], bool], seconds: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except sa.exc.DBAPIError:
            pass  # the tables are not there yet
        time.sleep(every)
    return False


def scalar(url: str, sql: str) -> Any:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def rows(url: str, sql: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)).all())
    finally:
        engine.dispose()


def stored(url: str) -> dict[str, Any]:
    """What a run left: item URLs, stories as sets of URLs, and alerts as (kind, item URL)."""
    items = {r[0]: r[1] for r in rows(url, "SELECT canonical_url, cluster_id FROM items")}
    stories: dict[Any, set[str]] = {}
    for u, c in items.items():
        stories.setdefault(c, set()).add(u)
    alerts = sorted((r[0], r[1] or "") for r in rows(
        url, "SELECT a.kind, i.canonical_url FROM alerts a LEFT JOIN items i ON i.id = a.item_id"))
    return {"items": set(items), "stories": {frozenset(s) for s in stories.values()}, "alerts": alerts}
