"""Shared by the Graph API publishers (Facebook Page, Instagram, Threads): calls, container polling,
and finding one of our own posts again.

The token travels in ``Authorization: Bearer``, which the Graph API accepts in place of the
``access_token`` parameter (restfb/restfb#1107, huandu/facebook#205): no URL carries it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from press.publishers.base import (
    UNKNOWN,
    Confirmation,
    Outgoing,
    Progress,
    Published,
    PublishError,
    Validating,
    stamp,
)
from press.publishers.http import Api, HttpResult, graph_error

#: how far before the stored send time a platform's own clock may put our post
CLOCK_SLACK = timedelta(minutes=5)


def same_text(a: str, b: str) -> bool:
    """Whether a platform's copy of a text is ours (platforms trim and fold line ends)."""
    return " ".join(a.split()) == " ".join(b.split())


class GraphClient:
    def __init__(self, api: Api, version: str, token: str) -> None:
        self.api, self.prefix, self.token = api, f"{version}/" if version else "", token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, path: str, form: dict[str, Any], stage: str, *, creates: bool = False) -> dict[str, Any]:
        result = self.api.call("POST", self.api.url(self.prefix + path), form=form, headers=self._headers(),
                               creates=creates)
        return self._ok(result, stage, creates)

    def get(self, path: str, params: dict[str, Any], stage: str) -> dict[str, Any]:
        result = self.api.call("GET", self.api.url(self.prefix + path), params=params, headers=self._headers())
        return self._ok(result, stage, False)

    @staticmethod
    def _ok(result: HttpResult, stage: str, creates: bool) -> dict[str, Any]:
        body = result.json()
        if result.status >= 300 or (isinstance(body, dict) and "error" in body):
            raise graph_error(result, stage, creates=creates)
        if not isinstance(body, dict):
            raise PublishError("unknown" if creates else "retryable", "bad-response",
                               f"{stage}: unexpected answer {result.body[:100]!r}")
        return body

    def find_own(self, edge: str, fields: str, text_field: str, post: Outgoing, sent_at: str) -> Published | None:
        """Our post among the newest on ``edge`` (``{page}/posts``, ``{user}/media``): same text,
        created at or after the stored send time (less :data:`CLOCK_SLACK`)."""
        since = datetime.fromisoformat(sent_at) - CLOCK_SLACK
        body = self.get(edge, {"fields": fields, "limit": 25, "since": int(since.timestamp())}, "confirm")
        for item in body.get("data") or []:
            created = _time(item.get("created_time") or item.get("timestamp"))
            if created is not None and created < since:
                continue
            if same_text(str(item.get(text_field) or ""), post.text):
                return Published(str(item["id"]), item.get("permalink_url") or item.get("permalink"))
        return None

    def wait_until_ready(self, container: str, field: str, polls: int, interval: float) -> None:
        """Poll a container until FINISHED; ERROR/EXPIRED fail; still IN_PROGRESS → retry later."""
        for attempt in range(polls):
            status = self.status(container, field)
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status in ("ERROR", "EXPIRED"):
                # An expired or failed container will never publish: drop it so a retry makes a new one.
                raise PublishError("retryable" if status == "EXPIRED" else "permanent",
                                   f"container-{status.lower()}", f"container {container} is {status}")
            if attempt + 1 < polls:
                time.sleep(interval)
        raise PublishError("retryable", "container-not-ready", f"container {container} still in progress")

    def status(self, container: str, field: str) -> str:
        return str(self.get(container, {"fields": f"{field},id"}, "container status").get(field, "")).upper()


def _time(value: Any) -> datetime | None:
    """A Graph API time (``2024-09-02T02:30:00+0000``)."""
    if not value:
        return None
    text = str(value)
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class ContainerPublisher(Validating):
    """Instagram and Threads: create a container, store its id, poll it until ready, then publish it.

    The container id is stored (``progress``) before publishing: a restart publishes that container,
    or finds it already PUBLISHED, instead of making a second post. A container is published once
    whatever happens to the answer, so a publish call that was cut off is settled by asking the
    container (:meth:`confirm`): PUBLISHED → done; FINISHED/IN_PROGRESS → publish it (again) safely.
    Subclasses name the endpoints (``{user}/{create_path}``, ``{user}/{publish_path}``), the
    container's status field, the edge listing the account's own posts, and the container form.
    """

    create_path: str
    publish_path: str
    status_field: str
    own_edge: str
    own_fields: str
    own_text: str

    def __init__(self, api: Api, version: str, user_id: str, token: str, polls: int = 10,
                 interval: float = 3.0) -> None:
        self.graph, self.user_id = GraphClient(api, version, token), user_id
        self.polls, self.interval = polls, interval

    def container_form(self, post: Outgoing) -> dict[str, Any]:
        raise NotImplementedError

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        container = post.state.get("container_id")
        if container:
            status = self.graph.status(container, self.status_field)
            if status == "PUBLISHED":
                return self._published(post, container, progress)
            if status in ("ERROR", "EXPIRED"):
                container = None  # never published; a new container is made below
        if not container:
            form = self.container_form(post)
            container = str(self.graph.post(f"{self.user_id}/{self.create_path}", form, "container")["id"])
            progress({"container_id": container, "sent_at": stamp(post)})
        try:
            self.graph.wait_until_ready(container, self.status_field, self.polls, self.interval)
        except PublishError as exc:
            if exc.code in ("container-expired", "container-error"):
                progress({"container_id": None})
            raise
        body = self.graph.post(f"{self.user_id}/{self.publish_path}", {"creation_id": container}, "publish",
                               creates=True)
        progress({"media_id": str(body["id"])})
        return Published(str(body["id"]))

    def confirm(self, post: Outgoing) -> Confirmation:
        container = post.state.get("container_id")
        if not container:
            return None  # no container was stored, so none was published
        if post.state.get("media_id"):
            return Published(str(post.state["media_id"]))
        try:
            status = self.graph.status(container, self.status_field)
        except PublishError as exc:
            if exc.kind == "permanent":  # the container is gone: nothing tells what became of it
                return UNKNOWN
            raise
        if status == "PUBLISHED":
            return self._found(post, container)
        return None  # FINISHED, IN_PROGRESS, EXPIRED, ERROR: not published; publishing goes on safely

    def _published(self, post: Outgoing, container: str, progress: Progress) -> Published:
        found = self._found(post, container)
        progress({"media_id": found.external_id})
        return found

    def _found(self, post: Outgoing, container: str) -> Published:
        """The published media's id: stored, else looked up among the account's posts, else the
        container's (it names the post on Meta's side too)."""
        if post.state.get("media_id"):
            return Published(str(post.state["media_id"]))
        sent = post.state.get("sent_at")
        try:
            found = self.graph.find_own(f"{self.user_id}/{self.own_edge}", self.own_fields, self.own_text,
                                        post, sent) if sent else None
        except PublishError:
            found = None
        return found or Published(f"container:{container}")
