"""The one place that reads configuration files and the environment.

Precedence, lowest to highest (like Scrapy's ``SETTINGS_PRIORITIES``):

1. the defaults shipped in ``pipeline/default.toml``;
2. the user's TOML file (``--config`` or ``NEWSDESK_CONFIG``, else ``./newsdesk.toml`` if present),
   merged table by table over the defaults (lists replace lists);
3. environment variables (``DATABASE_URL``, ``SLACK_API_URL``, ... and every secret);
4. command-line overrides passed to :func:`load_settings`.

Secrets (tokens, passwords) are read from the environment only and never printed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_CONFIG = Path(__file__).with_name("default.toml")
TIMEZONE = "Asia/Taipei"

#: Every environment variable newsdesk reads, with what it is for (``config check`` documents them).
ENVIRONMENT: dict[str, str] = {
    "NEWSDESK_CONFIG": "path of the TOML settings file",
    "DATABASE_URL": "any SQLAlchemy URL; a plain path means a SQLite file",
    "NEWSDESK_SENTIMENT_MODEL": "model folder or Hugging Face id, overrides sentiment.model",
    "SLACK_BOT_TOKEN": "secret: Slack bot token (xoxb-...); alerts go to Slack when set",
    "SLACK_SIGNING_SECRET": "secret: verifies Slack interactivity requests",
    "SLACK_API_URL": "Slack Web API base URL (tests and staging point it at a local server)",
    "META_ACCESS_TOKEN": "secret: Graph API token for Facebook/Instagram",
    "THREADS_ACCESS_TOKEN": "secret: Threads API token",
    "YOUTUBE_API_KEY": "secret: YouTube Data API key",
    "SMTP_PASSWORD": "secret: password for the SMTP notifier",
    "YOUTUBE_ACCESS_TOKEN": "secret: OAuth access token for YouTube uploads (youtube.upload scope)",
    "X_ACCESS_TOKEN": "secret: X API v2 OAuth 2.0 user access token (tweet.write)",
    "LINE_CHANNEL_ACCESS_TOKEN": "secret: LINE Messaging API channel access token",
    "SMS_PASSWORD": "secret: the SMS provider's password (press.notify.sms)",
    "BLUESKY_APP_PASSWORD": "secret: Bluesky app password for press.platforms.bluesky.account",
    "MASTODON_ACCESS_TOKEN": "secret: Mastodon access token (write:statuses)",
    "NEWSDESK_SECRET_KEY": "secret: signs the dashboard's session cookies (default: web.secret_file)",
    "CELERY_BROKER_URL": "secret: the Celery broker for `run --engine celery` and `worker` (redis://host:6379/0)",
}
#: The platforms newsdesk publishes to (one module each in ``press/publishers``).
PLATFORMS = ("facebook", "instagram", "threads", "youtube", "x", "line", "bluesky", "mastodon")
SECRET_ENV = tuple(k for k, v in ENVIRONMENT.items() if v.startswith("secret:"))


class ConfigError(Exception):
    """A settings problem; the message names the file and the key."""


class _Model(BaseModel):
    # strict: a TOML value of the wrong type is an error ("yes" is not true, "30" is not 30)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _zone(value: str) -> str:
    """An IANA time zone that this machine knows (``Asia/Taipei``)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Taipei)") from None
    return value


def _clock(value: str) -> str:
    """``HH:MM`` on a 24-hour clock: 00:00 to 23:59."""
    import re

    m = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value)
    if not m:
        raise ValueError(f"{value!r} is not a time of day HH:MM between 00:00 and 23:59")
    return value


def _hours(value: str | None) -> str | None:
    """``HH:MM-HH:MM`` (quiet hours), each end a valid time of day."""
    if value is None:
        return value
    start, sep, end = value.partition("-")
    if not sep:
        raise ValueError(f"{value!r} is not HH:MM-HH:MM (e.g. 23:00-07:00)")
    _clock(start.strip())
    _clock(end.strip())
    return value


def _url(value: str) -> str:
    """Empty, or an http(s) URL with a host."""
    from urllib.parse import urlsplit

    if not value:
        return value
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL with a host")
    return value


def _email(value: str) -> str:
    import re

    if not re.fullmatch(r"[^@\s]+@[^@\s]+", value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


Zone = Annotated[str, AfterValidator(_zone)]
Clock = Annotated[str, AfterValidator(_clock)]
Url = Annotated[str, AfterValidator(_url)]
Email = Annotated[str, AfterValidator(_email)]


class OfficeSettings(_Model):
    name: str = Field(description="the office running newsdesk (本處), an agency short name")
    city: str = Field(default="臺北市", description="the city whose policy is watched")
    timezone: Zone = Field(default=TIMEZONE, description="IANA zone for display and schedules")
    government: Literal["TPE", "NTPC", "KHH", "TXG", "TYN", "TNN", "CENTRAL"] = Field(
        default="TPE", description="the government the office speaks for; items about others never alert")


class SourceSettings(_Model):
    name: str
    type: Literal["feed", "site", "ptt", "dcard", "threads", "facebook", "instagram", "youtube",
                  "mastodon", "bluesky"] = "feed"
    url: Url = ""
    outlet: str | None = None
    language: str = "zh-Hant"
    interval: int = Field(default=900, ge=30, description="seconds between polls")
    enabled: bool = True
    fetch_articles: bool = True
    allow_private_hosts: bool = Field(
        default=False, description="this source may reach private/loopback addresses (an intranet feed)")
    allowed_hosts: list[str] = Field(
        default_factory=list, description="more domains this source's redirects may lead to")
    options: dict[str, Any] = Field(default_factory=dict)


class AgencySettings(_Model):
    short: str = Field(description="the short form used in reports, e.g. 捷運局")
    name: str = Field(default="", description="the full name")
    keywords: list[str] = Field(default_factory=list)
    sensitivity: float = Field(default=1.0, ge=0)


class TopicSettings(_Model):
    name: str
    query: str = Field(description="boolean query: AND / OR / NOT, \"phrases\", parentheses")
    agencies: list[str] = Field(default_factory=list)


class OfficialSettings(_Model):
    name: str
    aliases: list[str] = Field(default_factory=list)
    agency: str | None = None


class SentimentSettings(_Model):
    model: str = Field(default="builtin", description="'builtin', a local folder or a Hugging Face id")
    threshold: float = Field(default=0.5, gt=0, lt=1)
    batch_size: int = Field(default=32, ge=1)
    max_length: int = Field(default=128, ge=8)
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="model label -> 'negative' | 'not_negative' | 'neutral' (empty: use the model's)",
    )

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: dict[str, str]) -> dict[str, str]:
        bad = {k: t for k, t in v.items() if t not in ("negative", "not_negative", "neutral")}
        if bad:
            raise ValueError(f"labels must map to negative/not_negative/neutral, got {bad}")
        return v


class DecisionSettings(_Model):
    model: str = Field(default="current", description="'current' (the version last promoted by `sentiment "
                       "train`, else the shipped one), 'builtin' (the shipped one) or a model folder")
    threshold: float = Field(default=0.4, gt=0, lt=1,
                             description="P(needs a response from the office) at or above which an item does")
    batch_size: int = Field(default=64, ge=1, description="texts per forward pass (sorted by length)")
    max_length: int = Field(default=96, ge=16, le=512, description="tokens of title + lead the model reads")
    skip_below: float = Field(default=0.1, ge=0, lt=1, description="the network reads only items the "
                              "lexical model gives at least this P(our government), or that name the city or "
                              "match the watchlist (the others' P(needs a response) is capped at that "
                              "P(our government)); 0 reads every item")
    models_dir: str = Field(default="var/models", description="where retrained versions are kept")
    min_corrections: int = Field(default=30, ge=1, description="corrections needed before retraining")


class AlertSettings(_Model):
    only_relevant: bool = Field(default=False, description="alert only items that match the watchlist "
                                "(the decision model reads every item; true narrows alerts to the watchlist)")


class SlackSettings(_Model):
    channel: str = "#press-alerts"
    channels: dict[str, str] = Field(default_factory=dict, description="agency or priority -> channel")
    per_channel_per_second: float = Field(default=1.0, gt=0, le=10,
                                          description="messages per second per channel")
    digest_channel: str | None = Field(default=None,
                                       description="where the daily digest goes (default: channel)")
    timeout: int = Field(default=10, ge=1, description="seconds to wait for one Slack API answer")


class EmailSettings(_Model):
    host: str = Field(default="", description="SMTP server; empty disables e-mail alerts")
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str = ""
    sender: Email = "newsdesk@localhost"
    recipients: list[Email] = Field(default_factory=list)
    timeout: int = Field(default=30, ge=1)


class NotificationSettings(_Model):
    console: bool = True
    slack: SlackSettings = SlackSettings()
    email: EmailSettings = EmailSettings()
    quiet_hours: Annotated[str | None, AfterValidator(_hours)] = Field(
        default=None, description="HH:MM-HH:MM, office time, when alerts wait (23:00-07:00)")
    breakthrough: list[str] = Field(default_factory=lambda: ["critical"],
                                    description="priorities sent even in quiet hours")
    max_attempts: int = Field(default=12, ge=1, description="tries before an alert is dead-lettered")
    backoff_cap: int = Field(default=900, ge=1, description="longest wait between tries, seconds")
    backoff_base: float = Field(default=10, gt=0, description="first wait after a failed try, seconds (doubles)")
    lease_seconds: int = Field(default=120, ge=10,
                               description="how long a worker holds an alert it is sending before "
                                           "another may take it over (after looking it up)")
    fallback: Literal["console", "email", "none"] = Field(
        default="console", description="where alerts also go when Slack cannot deliver them")
    fallback_after: int = Field(default=120, ge=0,
                                description="seconds an alert waits for Slack before the fallback gets it")
    fallback_timeout: int = Field(default=10, ge=1, description="longest wait for the fallback (SMTP), seconds")


class ScheduleSettings(_Model):
    digest_time: Clock = Field(default="08:00", description="office time of the daily digest, HH:MM")
    jitter: int = Field(default=30, ge=0)


class EngineSettings(_Model):
    name: Literal["inline", "celery"] = Field(
        default="inline", description="inline: one process does everything; celery: `run` enqueues, workers do")
    deliver_every: float = Field(default=2.0, gt=0, description="seconds between delivery tasks (celery)")
    visibility_timeout: int = Field(
        default=1800, ge=5, description="seconds before a task taken by a worker that died is given to another "
                                        "(Redis broker); longer than the longest task")
    rate_limit_prefix: str = Field(default="newsdesk:rate:", description="Redis key prefix of the shared "
                                                                         "Slack rate limit")


class CrawlSettings(_Model):
    user_agent: str = "newsdesk/0.1 (+https://github.com/newsdesk; press-office media monitoring)"
    concurrency_per_domain: int = Field(default=2, ge=1)
    download_delay: float = Field(default=1.0, ge=0)
    timeout: int = Field(default=30, ge=1)
    max_page_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    allow_private_hosts: bool = Field(default=False, description="allow 127.0.0.1 etc. (demo, tests)")
    obey_robots: bool = True
    http_cache_dir: str | None = Field(default=None, description="development only: keep fetched pages in "
                                       "this folder (Scrapy's HTTP cache) and replay them")


class DedupeSettings(_Model):
    threshold: float = Field(
        default=0.5, gt=0, le=1,
        description="estimated Jaccard of character shingles at or above which two items are one story")
    shingle: int = Field(default=4, ge=2, le=12, description="characters per shingle")
    max_chars: int = Field(default=20000, ge=100, description="characters of a body used for clustering")
    window_days: float = Field(default=14, gt=0,
                               description="only stories with a copy this recent are joined")


DEFAULT_OTHER_PLACES = [
    "新北市", "新北", "新臺北", "新台北", "臺北縣", "台北縣", "基隆", "桃園", "新竹", "苗栗", "臺中", "台中",
    "彰化", "南投", "雲林", "嘉義", "臺南", "台南", "高雄", "屏東", "宜蘭", "花蓮", "臺東", "台東", "澎湖",
    "金門", "連江", "馬祖", "北京", "上海", "香港",
]


#: Words that place an item in a government's city, per [office] government (the default home_terms).
HOME_TERMS: dict[str, list[str]] = {
    "TPE": ["臺北", "北市", "北捷", "雙北", "新北投", "北投", "士林", "內湖", "南港", "萬華"],
    "NTPC": ["新北", "板橋", "三重", "中和", "永和", "新莊", "新店", "土城", "蘆洲", "汐止", "樹林", "淡水"],
    "KHH": ["高雄", "高市", "鳳山", "左營", "前鎮", "苓雅", "楠梓", "岡山"],
    "TXG": ["臺中", "中市", "豐原", "大里", "太平", "烏日", "沙鹿"],
    "TYN": ["桃園", "桃市", "中壢", "平鎮", "八德", "楊梅", "蘆竹", "龜山"],
    "TNN": ["臺南", "南市", "永康", "安南", "新營", "歸仁"],
    "CENTRAL": [],
}


class MatchSettings(_Model):
    other_places: list[str] | None = Field(
        default=None,
        description="names of other places: a term inside or right after one does not count (新北市警察局); "
                    "unset: the other cities and counties of Taiwan, and the office's home terms removed")
    home_terms: list[str] | None = Field(
        default=None,
        description="words that place an item in the office's city; without one, an item that names "
                    "another place matches only officials, full agency names and terms containing these; "
                    "unset: those of [office] government (pipeline/settings.py HOME_TERMS)")
    near: int = Field(default=20, ge=1, description="characters for a bare NEAR in queries")


class TriageRule(_Model):
    name: str
    priority: Literal["critical", "high", "normal", "low"]
    action: Literal["alert", "digest", "store"]
    min_score: float | None = Field(default=None, ge=0, le=1, description="P(needs a response from the "
                                    "office) at least this; unset: [decision] threshold")
    ours: bool | None = Field(default=None, description="true: the item must concern the office's government; "
                              "false: must not; unset: no condition")
    relevant: bool | None = Field(default=None,
                                  description="must match the watchlist; unset: [alerts] only_relevant")
    min_negative: float | None = Field(default=None, ge=0, le=1,
                                       description="P(negative emotion) at least this; unset: no condition")
    min_urgency: float = Field(default=0, ge=0,
                               description="P(needs a response) x sensitivity x reach x velocity factors")
    min_velocity: float = Field(default=0, ge=0, description="copies of the story in the last hour")
    min_reach: int = Field(default=0, ge=0)
    agencies: list[str] = Field(default_factory=list, description="only items routed to one of these")


def _default_rules() -> list[TriageRule]:
    return [
        TriageRule(name="breaking", priority="critical", action="alert", min_urgency=2.0),
        TriageRule(name="needs-response", priority="high", action="alert"),
        TriageRule(name="ours", priority="normal", action="digest", min_score=0, ours=True),
        TriageRule(name="rest", priority="low", action="store", min_score=0),
    ]


class TriageSettings(_Model):
    outlet_weights: dict[str, int] = Field(default_factory=dict,
                                           description="outlet -> reach points per copy")
    default_outlet_weight: int = Field(default=100, ge=0)
    rules: list[TriageRule] = Field(default_factory=_default_rules, description="first matching rule wins")
    deadlines: dict[str, float] = Field(
        default_factory=lambda: {"critical": 2.0, "high": 8.0, "normal": 48.0, "low": 168.0},
        description="priority -> hours to respond")


class SpikeSettings(_Model):
    window_minutes: int = Field(default=60, ge=5)
    baseline_hours_news: float = Field(default=14 * 24, gt=0)
    baseline_hours_social: float = Field(default=12, gt=0)
    min_count: int = Field(default=5, ge=1, description="fewer items in the window never spike")
    min_rate: float = Field(default=0.5, gt=0, description="floor of the baseline rate per window")
    p_value: float = Field(default=0.001, gt=0, lt=1, description="Poisson upper tail below this is a spike")


class ContactSettings(_Model):
    agency: str = Field(description="the agency (short name) whose releases name this contact")
    name: str = Field(description="a press contact printed on that agency's releases")
    title: str = Field(default="", description="their title, e.g. 科長")
    phone: str = ""
    email: Annotated[str, AfterValidator(lambda v: _email(v) if v else v)] = ""


class PlatformSettings(_Model):
    enabled: bool = Field(default=False, description="publish to this platform")
    dry_run: bool | Literal["auto"] = Field(
        default="auto", description="'auto': dry run until the platform's token is in the environment")
    base_url: Url = Field(default="", description="API base URL (tests point it at a local stub)")
    allow_private_hosts: bool = Field(
        default=False, description="the API may be on a private/loopback address (on-premises, tests)")
    account: str = Field(default="", description="page id, IG/Threads user id, handle or channel")
    token_env: str = Field(default="", description="environment variable holding the token")
    slots: list[Clock] = Field(default_factory=list, description="Asia/Taipei HH:MM publishing slots")
    api_version: str = Field(default="", description="e.g. v25.0 for the Graph API")
    poll_interval: float = Field(default=3.0, ge=0, description="seconds between container status checks")
    daily_limit: int | None = Field(
        default=None, ge=1, description="posts per rolling 24 h (default: the platform's documented limit)")

    @field_validator("slots")
    @classmethod
    def _slots(cls, v: list[str]) -> list[str]:
        return sorted(v)


class FeedSettings(_Model):
    path: str = Field(default="releases.xml", description="where the office's Atom feed is written")
    url: Url = Field(default="https://www.gov.taipei/press/releases.xml", description="its public URL")
    title: str = Field(default="臺北市政府新聞稿", description="the feed's title")
    entries: int = Field(default=50, ge=1, description="how many latest releases the feed keeps")


class SmsSettings(_Model):
    provider: Literal["mitake"] = Field(default="mitake", description="the SMS gateway (one module each in "
                                        "notifications/sms.py); its password: SMS_PASSWORD")
    base_url: Url = Field(default="https://smsapi.mitake.com.tw", description="the gateway's HTTP API")
    username: str = Field(default="", description="the account; empty: no SMS")
    max_chars: int = Field(default=300, ge=70, le=1000, description="an SMS notice is clipped to this")


MediaChannel = Literal["line", "email", "sms"]


def _media_channels() -> list[MediaChannel]:
    return ["line", "email", "sms"]


class MediaNotifySettings(_Model):
    line_base_url: Url = Field(default="https://api.line.me",
                               description="LINE Messaging API (push to journalists who added the account)")
    channels: list[MediaChannel] = Field(default_factory=_media_channels,
                                         description="channels `press notify` uses by default")
    max_attempts: int = Field(default=5, ge=1, description="tries before a notice is given up (dead)")
    retry_minutes: int = Field(default=2, ge=1, description="first retry delay, doubled after each failure")
    timeout: int = Field(default=15, ge=1, description="seconds per request to LINE or the SMS gateway")
    sms: SmsSettings = SmsSettings()


class PressSettings(_Model):
    contacts: list[ContactSettings] = Field(
        default_factory=list, description="press contacts per agency; none are shipped (no invented contact)")
    template_dir: str | None = Field(
        default=None, description="folder whose templates override the shipped ones")
    second_approver: bool = Field(default=True, description="the approver must not be the author")
    missed_slot: Literal["publish", "next_slot", "hold"] = Field(
        default="publish", description="a post later than the grace: publish anyway | next_slot | hold")
    missed_grace_minutes: int = Field(default=60, ge=0, description="lateness that still counts as on time")
    max_attempts: int = Field(default=5, ge=1, description="retryable failures before a post is failed")
    retry_minutes: int = Field(default=5, ge=1, description="first retry delay, doubled each time")
    media_base_url: Url = Field(default="", description="public URL prefix where media files are served")
    pickup_days: int = Field(default=3, ge=1, description="days after publication to look for coverage")
    pickup_threshold: float = Field(
        default=0.4, gt=0, le=1, description="share of the release's character pairs an article must repeat")
    feed: FeedSettings = FeedSettings()
    notify: MediaNotifySettings = MediaNotifySettings()
    platforms: dict[str, PlatformSettings] = Field(default_factory=dict)


class WebSettings(_Model):
    host: str = Field(default="127.0.0.1", description="address `newsdesk web` listens on")
    port: int = Field(default=8000, ge=1, le=65535, description="its port")
    secret_file: str = Field(default="var/web-secret.key",
                             description="session signing key, made on first start (NEWSDESK_SECRET_KEY wins)")
    session_hours: float = Field(default=12, gt=0, description="a login lasts this long")
    secure_cookies: bool = Field(default=False, description="mark the session cookie Secure (behind HTTPS)")
    login_attempts: int = Field(default=5, ge=1, description="failed logins allowed per name and address ...")
    login_window_minutes: float = Field(default=15, gt=0, description="... in this many minutes")
    poll_seconds: int = Field(default=20, ge=1, description="how often the inbox asks for new alerts")
    page_size: int = Field(default=30, ge=5, le=500, description="cards or rows per page")


class Settings(_Model):
    office: OfficeSettings
    database_url: str = "sqlite:///newsdesk.db"
    sources: list[SourceSettings] = Field(default_factory=list)
    disable_sources: list[str] = Field(
        default_factory=list, description="names of sources (e.g. shipped ones) to keep but not poll")
    agencies: list[AgencySettings] = Field(default_factory=list)
    topics: list[TopicSettings] = Field(default_factory=list)
    officials: list[OfficialSettings] = Field(default_factory=list)
    sentiment: SentimentSettings = SentimentSettings()
    decision: DecisionSettings = DecisionSettings()
    alerts: AlertSettings = AlertSettings()
    notifications: NotificationSettings = NotificationSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    crawl: CrawlSettings = CrawlSettings()
    dedupe: DedupeSettings = DedupeSettings()
    match: MatchSettings = MatchSettings()
    triage: TriageSettings = TriageSettings()
    spikes: SpikeSettings = SpikeSettings()
    press: PressSettings = PressSettings()
    web: WebSettings = WebSettings()
    engine: EngineSettings = EngineSettings()
    config_path: str | None = Field(default=None, description="where these settings came from")

    @model_validator(mode="before")
    @classmethod
    def _disable_sources(cls, data: Any) -> Any:
        """``disable_sources = ["ptt-gossiping"]`` turns shipped sources off without copying the list."""
        if not isinstance(data, dict) or not data.get("disable_sources"):
            return data
        off = set(data["disable_sources"])
        sources = data.get("sources") or []
        known = {s.get("name") if isinstance(s, dict) else getattr(s, "name", None) for s in sources}
        unknown = sorted(off - known)
        if unknown:
            raise ValueError(f"disable_sources names no configured source: {', '.join(unknown)}")
        data = dict(data)
        data["sources"] = [({**s, "enabled": False} if isinstance(s, dict) else s.model_copy(update={"enabled": False}))
                           if (s.get("name") if isinstance(s, dict) else s.name) in off else s for s in sources]
        return data

    @field_validator("sources")
    @classmethod
    def _unique_sources(cls, v: list[SourceSettings]) -> list[SourceSettings]:
        names = [s.name for s in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate source names: {', '.join(dup)}")
        return v

    def home_terms(self) -> list[str]:
        """``[match] home_terms``, or the shipped ones of the office's government."""
        given = self.match.home_terms
        return list(HOME_TERMS[self.office.government]) if given is None else list(given)

    def other_places(self) -> list[str]:
        """``[match] other_places``, or every place of :data:`DEFAULT_OTHER_PLACES` and Taipei's names
        (the watchlist removes the office's own home terms from them)."""
        given = self.match.other_places
        return [*DEFAULT_OTHER_PLACES, "臺北", "台北", "北市"] if given is None else list(given)

    def agency_names(self) -> list[str]:
        return [a.short for a in self.agencies]

    def contacts_for(self, agency: str) -> list[ContactSettings]:
        """The press contacts configured for ``agency`` (none is invented when there are none)."""
        return [c for c in self.press.contacts if c.agency == agency]

    def notifier_names(self) -> list[str]:
        """Which notifiers alerts go to: Slack when its token is set, e-mail when an SMTP host is set,
        else the console (when enabled). ``notifications.factory`` builds exactly these."""
        names = [n for n, on in (("slack", self.secret("SLACK_BOT_TOKEN") is not None),
                                 ("email", bool(self.notifications.email.host))) if on]
        return names or (["console"] if self.notifications.console else [])

    def secret(self, name: str) -> SecretStr | None:
        """A secret from the environment, or None. Never log the value."""
        if name not in SECRET_ENV:
            raise KeyError(f"{name} is not a declared secret")
        value = os.environ.get(name)
        return SecretStr(value) if value else None

    def env(self, name: str, default: str | None = None) -> str | None:
        if name not in ENVIRONMENT:
            raise KeyError(f"{name} is not a declared environment variable")
        return os.environ.get(name, default)


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except PermissionError:
        raise ConfigError(f"{path}: config file is not readable (permission denied)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text: {exc}") from None


def _describe(exc: ValidationError, origin: str) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        lines.append(f"{origin}: {key}: {msg}")
    return "\n".join(lines)


def sqlite_url(value: str) -> str:
    """``DATABASE_URL`` may be a plain path: turn it into a SQLite URL."""
    return value if "://" in value else f"sqlite:///{value}"


def resolve_config_path(path: str | os.PathLike[str] | None) -> Path | None:
    if path:
        return Path(path)
    env = os.environ.get("NEWSDESK_CONFIG")
    if env:
        return Path(env)
    local = Path("newsdesk.toml")
    return local if local.is_file() else None


def load_settings(
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    use_env: bool = True,
) -> Settings:
    """Read defaults, the config file, the environment and overrides, and validate them."""
    data = _read_toml(DEFAULT_CONFIG)
    origin = str(DEFAULT_CONFIG)
    cfg = resolve_config_path(path) if use_env else (Path(path) if path else None)
    if cfg is not None:
        data = _merge(data, _read_toml(cfg))
        origin = str(cfg)
        data["config_path"] = str(cfg)
    db_origin = f"{origin}: database_url"
    if use_env:
        if os.environ.get("DATABASE_URL"):
            data["database_url"] = sqlite_url(os.environ["DATABASE_URL"])
            db_origin = "DATABASE_URL"
        if os.environ.get("NEWSDESK_SENTIMENT_MODEL"):
            data.setdefault("sentiment", {})["model"] = os.environ["NEWSDESK_SENTIMENT_MODEL"]
    if overrides:
        data = _merge(data, overrides)
        if "database_url" in overrides:
            db_origin = "database_url (command line)"
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None
    _check_database(settings.database_url, db_origin)
    _check_references(settings, origin)
    _check_queries(settings, origin)
    _check_paths(settings, origin)
    from pipeline.redact import register_url

    register_url(settings.database_url)  # a password in a settings file is masked like one from the environment
    return settings


def _check_database(url: str, origin: str) -> None:
    """A malformed database URL is a settings error, reported before any command runs."""
    from pipeline.db import DatabaseError, check_url

    try:
        check_url(url)
    except DatabaseError as exc:
        raise ConfigError(f"{origin}: {exc}") from None


def _check_paths(settings: Settings, origin: str) -> None:
    folder = settings.press.template_dir
    if folder and not Path(folder).is_dir():
        raise ConfigError(f"{origin}: press.template_dir: {folder} is not a folder")


def _check_queries(settings: Settings, origin: str) -> None:
    """Parse every topic query now, so a typo is reported at start with its key and position."""
    from pipeline.query import QueryError, parse

    for i, topic in enumerate(settings.topics):
        try:
            parse(topic.query, settings.match.near)
        except QueryError as exc:
            raise ConfigError(f"{origin}: topics.{i}.query: {exc} in {topic.query!r}") from None


def _check_references(settings: Settings, origin: str) -> None:
    known = set(settings.agency_names())
    for i, topic in enumerate(settings.topics):
        for a in topic.agencies:
            if a not in known:
                raise ConfigError(f"{origin}: topics.{i}.agencies: unknown agency {a!r} (not in [[agencies]])")
    for i, off in enumerate(settings.officials):
        if off.agency and off.agency not in known:
            raise ConfigError(f"{origin}: officials.{i}.agency: unknown agency {off.agency!r}")
    for name, platform in settings.press.platforms.items():
        if name not in PLATFORMS:
            raise ConfigError(
                f"{origin}: press.platforms.{name}: unknown platform (one of {', '.join(PLATFORMS)})")
        if platform.token_env and platform.token_env not in SECRET_ENV:
            raise ConfigError(f"{origin}: press.platforms.{name}.token_env: {platform.token_env!r} "
                              "is not a declared secret (pipeline/settings.py ENVIRONMENT)")
    if settings.office.name not in known:
        raise ConfigError(f"{origin}: office.name: {settings.office.name!r} is not one of the [[agencies]]")
    for i, contact in enumerate(settings.press.contacts):
        if contact.agency not in known:
            raise ConfigError(f"{origin}: press.contacts.{i}.agency: unknown agency {contact.agency!r}")
    for i, rule in enumerate(settings.triage.rules):
        for a in rule.agencies:
            if a not in known:
                raise ConfigError(f"{origin}: triage.rules.{i}.agencies: unknown agency {a!r}")
    targets = known | {t.name for t in settings.topics} | set(settings.triage.deadlines) | {"spike"}
    for key in settings.notifications.slack.channels:
        if key not in targets:
            raise ConfigError(f"{origin}: notifications.slack.channels: {key!r} is not an agency, a topic, a "
                              f"priority ({', '.join(settings.triage.deadlines)}) or 'spike'")


def effective(settings: Settings) -> dict[str, Any]:
    """The settings as a plain dict, plus which secrets are set, for ``config check``: every value
    goes through the redaction layer (secrets, passwords in URLs such as ``DATABASE_URL``, keys in
    query strings), so neither the text nor the JSON form can show one."""
    from pipeline.redact import redact_data

    out = settings.model_dump(mode="json")
    out["database_url"] = _mask_url(settings.database_url)
    out["environment"] = {
        k: ("****" if os.environ.get(k) else "(unset)") if k in SECRET_ENV else os.environ.get(k, "(unset)")
        for k in ENVIRONMENT
    }
    if os.environ.get("DATABASE_URL"):
        out["environment"]["DATABASE_URL"] = _mask_url(os.environ["DATABASE_URL"])
    redacted: dict[str, Any] = redact_data(out)
    return redacted


def _mask_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is reported by the engine later
        return url
