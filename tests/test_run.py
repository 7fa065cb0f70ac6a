"""`newsdesk run` as an operator starts it: a real process, the schedule, Ctrl-C, and a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from newsdesk.demo.site import serve

ROOT = Path(__file__).resolve().parents[1]


def _config(path: Path, sources: list[dict[str, object]], db: Path) -> Path:
    lines = [f'database_url = "sqlite:///{db}"', "[crawl]", "allow_private_hosts = true",
             "download_delay = 0.0", "[schedule]", "jitter = 0"]
    for src in sources:
        lines.append("[[sources]]")
        for key, value in src.items():
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}" if not isinstance(value, dict)
                         else f"{key} = {{ {', '.join(f'{k} = {json.dumps(v)}' for k, v in value.items())} }}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _count(db: Path, table: str) -> int:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    except sa.exc.OperationalError:
        return 0
    finally:
        engine.dispose()


def _start(cfg: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NEWSDESK_", "DATABASE_URL"))}
    return subprocess.Popen([sys.executable, "-m", "newsdesk", "--config", str(cfg), "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for(predicate: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.5)
    return False


def test_run_collects_on_schedule_stops_on_ctrl_c_and_restarts_without_realerting(tmp_path: Path) -> None:
    db = tmp_path / "run.db"
    with serve() as site:
        cfg = _config(tmp_path / "newsdesk.toml", site.sources(), db)
        proc = _start(cfg)
        try:
            assert _wait_for(lambda: _count(db, "items") >= 13, 120), "the first pass stored nothing"
            assert _wait_for(lambda: _count(db, "alerts") == _count(db, "alerts WHERE status = 'sent'"), 60)
        finally:
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
        assert "stopped cleanly" in out
        alerts, items = _count(db, "alerts"), _count(db, "items")

        again = _start(cfg)  # a restart: next runs are persisted, nothing is fetched or alerted twice
        time.sleep(8)
        again.send_signal(signal.SIGINT)
        out2, _ = again.communicate(timeout=60)
    assert again.returncode == 0, out2
    assert _count(db, "items") == items
    assert _count(db, "alerts") == alerts
    assert out2.count("[ALERT]") == 0
