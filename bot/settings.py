"""Process settings from the environment: where to listen, which database, how to log (the YAML says who)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path

from bot.durations import parse_duration
from bot.settings_channels import SMTP_PORT, TWILIO_API_URL, VOICE_LANGUAGE, channel_settings

DEFAULT_DATABASE_URL = "sqlite:///pager.db"
DEFAULT_BIND = "127.0.0.1:8080"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
MIN_CALENDAR_KEY = 16


class SettingsError(ValueError):
    pass


def example_config_path() -> Path:
    return Path(str(resources.files("bot") / "example-config.yaml"))


@dataclass(frozen=True)
class RateLimit:
    """`rate` requests per second sustained, after a burst of `burst`; a rate of 0 turns the limit off."""

    rate: float = 300.0
    burst: int = 3000

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def __str__(self) -> str:
        return f"{self.rate:g} requests/s per service, bursts of {self.burst}"


@dataclass(frozen=True)
class Settings:
    # repr=False: a PostgreSQL URL may carry its password (the CLI logs it masked).
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
    config_path: Path = field(default_factory=example_config_path)
    bind: str = DEFAULT_BIND
    api_token: str | None = field(default=None, repr=False)
    bundle_window: timedelta = timedelta(seconds=1)
    sweep_interval: timedelta = timedelta(seconds=2)
    outbox_lease: timedelta = timedelta(seconds=60)
    delivery_deadline: timedelta = timedelta(minutes=2)
    sends_per_channel: int | None = None  # None: 8 on PostgreSQL, 2 on SQLite (see bootstrap)
    log_format: str = "console"
    access_log: bool = False
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    twilio_from: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_url: str = TWILIO_API_URL
    public_url: str | None = None
    voice_language: str = VOICE_LANGUAGE
    smtp_host: str | None = None
    smtp_port: int = SMTP_PORT
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str | None = None
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)  # set: Socket Mode
    slack_api_url: str = DEFAULT_SLACK_API_URL
    rate_limit: RateLimit = field(default_factory=RateLimit)
    # Signs each calendar feed's URL (bot/calendar_api.py); unset, the feeds are off.
    calendar_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, config_path: str | None = None) -> Settings:
        env = os.environ if env is None else env
        try:
            return cls(
                database_url=env.get("PAGER_DATABASE_URL") or DEFAULT_DATABASE_URL,
                config_path=Path(config_path or env.get("PAGER_CONFIG") or example_config_path()),
                bind=env.get("PAGER_BIND") or DEFAULT_BIND,
                api_token=env.get("PAGER_API_TOKEN") or None,
                bundle_window=_duration(env, "PAGER_BUNDLE_WINDOW", "1s"),
                sweep_interval=_duration(env, "PAGER_SWEEP_INTERVAL", "2s"),
                outbox_lease=_duration(env, "PAGER_OUTBOX_LEASE", "60s"),
                delivery_deadline=_duration(env, "PAGER_DELIVERY_DEADLINE", "2m"),
                sends_per_channel=_count(env, "PAGER_SENDS_PER_CHANNEL"),
                log_format=_choice(env, "PAGER_LOG_FORMAT", ("console", "json")),
                access_log=_choice(env, "PAGER_ACCESS_LOG", ("false", "true")) == "true",
                **channel_settings(env),
                slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
                slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
                slack_app_token=_app_token(env),
                slack_api_url=env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
                rate_limit=_rate_limit(env),
                calendar_key=_calendar_key(env),
            )
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.bind.rpartition(":")
        if not host or not port.isdigit():
            raise SettingsError(f"PAGER_BIND: expected HOST:PORT, got {self.bind!r}")
        return host.strip("[]"), int(port)


def _duration(env: Mapping[str, str], name: str, default: str) -> timedelta:
    try:
        return parse_duration(env.get(name) or default)
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from exc


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or choices[0]
    if value not in choices:
        raise SettingsError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


def _app_token(env: Mapping[str, str]) -> str | None:
    """SLACK_APP_TOKEN, an app-level token; the value is never quoted in an error (it is a secret)."""
    token = env.get("SLACK_APP_TOKEN") or None
    if token is not None and not token.startswith("xapp-"):
        raise SettingsError(
            "SLACK_APP_TOKEN: expected an app-level token starting with xapp- (Basic Information → "
            "App-Level Tokens, scope connections:write), not a bot or user token"
        )
    return token


def _calendar_key(env: Mapping[str, str]) -> str | None:
    """PAGER_CALENDAR_KEY; never quoted in an error (it is a secret)."""
    key = env.get("PAGER_CALENDAR_KEY") or None
    if key is not None and len(key) < MIN_CALENDAR_KEY:
        raise SettingsError(
            f"PAGER_CALENDAR_KEY: at least {MIN_CALENDAR_KEY} characters, or feed URLs could be guessed "
            "(`openssl rand -hex 32` makes one)"
        )
    return key


def _rate_limit(env: Mapping[str, str]) -> RateLimit:
    default = RateLimit()
    rate = _number(env, "PAGER_RATE_LIMIT", default.rate)
    burst = _number(env, "PAGER_RATE_BURST", default.burst)
    if rate > 0 and burst < 1:
        raise SettingsError(f"PAGER_RATE_BURST: must be at least 1, got {burst:g}")
    return RateLimit(rate=rate, burst=int(burst))


def _count(env: Mapping[str, str], name: str) -> int | None:
    text = env.get(name)
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{name}: expected a whole number 1 or more, got {text!r}")
    return int(text)


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name}: expected a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise SettingsError(f"{name}: expected a number 0 or more, got {text!r}")
    return value
