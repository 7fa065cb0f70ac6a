"""Two processes clustering the same stories into one SQLite file create each story once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import func, select

from pipeline.db import open_database
from pipeline.models import Cluster, ClusterMember
from pipeline.settings import load_settings

STORIES = [
    "臺北市政府交通局今天宣布，{n}號公車路線將自下月起調整，行經信義區的班次增加，尖峰時段每8分鐘一班，"
    "市民可上網查詢新的時刻表，交通局也提醒民眾多利用大眾運輸，減少開車進入市區造成的壅塞問題。",
    "北市環保局表示，第{n}次資源回收稽查發現部分社區分類不確實，將加強宣導並派員到場輔導，"
    "若經勸導仍未改善將依廢棄物清理法開罰，罰鍰最高可達六千元，呼籲市民一起做好垃圾分類。",
    "臺北市衛生局公布第{n}週流感疫情，門急診類流感就診人次較上週上升一成，醫院急診壅塞，"
    "衛生局呼籲高風險族群儘速接種疫苗，出現發燒咳嗽症狀應在家休息，避免到人多的場所。",
]


def worker(db: str, name: str, out: str) -> None:
    from pipeline.items import Item
    from pipeline.stages import Context, run_item
    from pipeline.stages.dedupe import dedupe
    from pipeline.stages.normalize import normalize

    settings = load_settings(None, {"database_url": f"sqlite:///{db}"}, use_env=False)
    sessions = open_database(settings.database_url)
    results = []
    for n in range(4):
        for s, story in enumerate(STORIES):
            text = story.format(n=n + 1)
            with sessions() as session:  # one transaction per item: as much interleaving as possible
                ctx = Context(settings=settings, session=session)
                item = run_item(Item(url=f"https://{name}.tw/{n}/{s}", title="", text=f"{name}報導：{text}",
                                     source=name, outlet=name), [normalize, dedupe], ctx)
                session.commit()
            results.append(f"{n}/{s}={item.cluster_id if item else None}")
    Path(out).write_text("\n".join(results))


def test_two_processes_do_not_duplicate_clusters(tmp_path: Path) -> None:
    db = str(tmp_path / "shared.db")
    open_database(f"sqlite:///{db}")  # migrate once, as `newsdesk run` would on start
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=worker, args=(db, name, str(tmp_path / f"{name}.txt")))
             for name in ("cna", "ltn")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    a = (tmp_path / "cna.txt").read_text().split()
    b = (tmp_path / "ltn.txt").read_text().split()
    assert [x.split('=')[1] for x in a] == [x.split('=')[1] for x in b]  # same stories, same clusters
    sessions = open_database(f"sqlite:///{db}")
    with sessions() as s:
        # each story's four lightly edited copies from two outlets: three stories, eight copies each
        assert s.scalar(select(func.count()).select_from(Cluster)) == 3
        assert sorted(s.scalars(select(Cluster.item_count))) == [8, 8, 8]
        assert s.scalar(select(func.count()).select_from(ClusterMember)) == 24


def test_second_writer_waits_for_the_first_and_joins_its_story(tmp_path: Path) -> None:
    """Deterministic race: writer 1 has created a story but not committed when writer 2 sees a copy."""
    import threading
    import time

    from pipeline.items import Item
    from pipeline.stages import Context
    from pipeline.stages.dedupe import dedupe
    from pipeline.stages.normalize import normalize

    settings = load_settings(None, {"database_url": f"sqlite:///{tmp_path / 'race.db'}"}, use_env=False)
    sessions = open_database(settings.database_url)
    text = STORIES[0].format(n=5)

    def run(session: object, outlet: str) -> int | None:
        ctx = Context(settings=settings, session=session)  # type: ignore[arg-type]
        item = dedupe(normalize(Item(url=f"https://{outlet}.tw/1", title="", text=text, source=outlet,
                                     outlet=outlet), ctx), ctx)
        return item.cluster_id

    first = sessions()
    story = run(first, "cna")
    second_result: list[int | None] = []

    def second() -> None:
        with sessions() as s:
            second_result.append(run(s, "ltn"))
            s.commit()

    t = threading.Thread(target=second)
    t.start()
    time.sleep(0.5)
    assert t.is_alive()  # waiting for the first writer
    first.commit()
    first.close()
    t.join(15)
    assert second_result == [story]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Cluster)) == 1
