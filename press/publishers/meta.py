"""Shared by the Graph API publishers (Facebook Page, Instagram, Threads): URLs and container polling."""

from __future__ import annotations

import time
from typing import Any

from press.publishers.base import Outgoing, Progress, Published, PublishError, Validating
from press.publishers.http import HttpResult, call, graph_error


class GraphClient:
    def __init__(self, base_url: str, version: str, token: str, timeout: float = 30) -> None:
        self.base = base_url.rstrip("/") + (f"/{version}" if version else "")
        self.token, self.timeout = token, timeout

    def post(self, path: str, form: dict[str, Any], stage: str) -> dict[str, Any]:
        result = call(
            "POST", f"{self.base}/{path}", form={**form, "access_token": self.token}, timeout=self.timeout
        )
        return self._ok(result, stage)

    def get(self, path: str, params: dict[str, Any], stage: str) -> dict[str, Any]:
        result = call(
            "GET", f"{self.base}/{path}", params={**params, "access_token": self.token}, timeout=self.timeout
        )
        return self._ok(result, stage)

    @staticmethod
    def _ok(result: HttpResult, stage: str) -> dict[str, Any]:
        body = result.json()
        if result.status >= 400 or (isinstance(body, dict) and "error" in body):
            raise graph_error(result, stage)
        if not isinstance(body, dict):
            raise PublishError(
                "retryable", "bad-response", f"{stage}: unexpected answer {result.body[:100]!r}"
            )
        return body

    def wait_until_ready(self, container: str, field: str, polls: int, interval: float) -> None:
        """Poll a container until FINISHED; ERROR/EXPIRED fail; still IN_PROGRESS → retry later."""
        for attempt in range(polls):
            body = self.get(container, {"fields": f"{field},status"}, "container status")
            status = str(body.get(field, "")).upper()
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status in ("ERROR", "EXPIRED"):
                # An expired or failed container will never publish: drop it so a retry makes a new one.
                raise PublishError(
                    "retryable" if status == "EXPIRED" else "permanent",
                    f"container-{status.lower()}",
                    f"container {container} is {status}: {body.get('status', '')}",
                )
            if attempt + 1 < polls:
                time.sleep(interval)
        raise PublishError("retryable", "container-not-ready", f"container {container} still in progress")


class ContainerPublisher(Validating):
    """Instagram and Threads: create a container, store its id, poll it until ready, then publish.

    The container id is stored (``progress``) before publishing, so a restart publishes that
    container, or finds it already PUBLISHED, instead of making a second post. Subclasses name the
    endpoints (``{user}/{create_path}``, ``{user}/{publish_path}``), the container's status field,
    and the form that creates a container.
    """

    create_path: str
    publish_path: str
    status_field: str

    def __init__(
        self, base_url: str, version: str, user_id: str, token: str, polls: int = 10, interval: float = 3.0
    ) -> None:
        self.graph, self.user_id = GraphClient(base_url, version, token), user_id
        self.polls, self.interval = polls, interval

    def container_form(self, post: Outgoing) -> dict[str, Any]:
        raise NotImplementedError

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        container = post.state.get("container_id")
        if container:
            body = self.graph.get(container, {"fields": self.status_field}, "container status")
            if str(body.get(self.status_field)).upper() == "PUBLISHED":
                return Published(str(post.state.get("media_id") or f"container:{container}"))
        else:
            form = self.container_form(post)
            container = str(self.graph.post(f"{self.user_id}/{self.create_path}", form, "container")["id"])
            progress({"container_id": container})
        try:
            self.graph.wait_until_ready(container, self.status_field, self.polls, self.interval)
        except PublishError as exc:
            if exc.code in ("container-expired", "container-error"):
                progress({"container_id": None})
            raise
        body = self.graph.post(f"{self.user_id}/{self.publish_path}", {"creation_id": container}, "publish")
        progress({"media_id": str(body["id"])})
        return Published(str(body["id"]))
