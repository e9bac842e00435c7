"""Settings of the notification channels (Twilio SMS and voice, SMTP email) read from the environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypedDict
from urllib.parse import urlsplit

TWILIO_API_URL = "https://api.twilio.com"
SMTP_PORT = 587
VOICE_LANGUAGE = "en-US"
# A BCP 47 tag as Twilio's <Say language> takes them: en-US, fr-FR, pt-BR, cmn-CN ...
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")


class ChannelSettingsError(ValueError):
    pass


class ChannelSettings(TypedDict):
    twilio_account_sid: str | None
    twilio_auth_token: str | None
    twilio_from: str | None
    twilio_messaging_service_sid: str | None
    twilio_api_url: str
    public_url: str | None
    voice_language: str
    smtp_host: str | None
    smtp_port: int
    smtp_starttls: bool
    smtp_username: str | None
    smtp_password: str | None
    smtp_from: str | None


def channel_settings(env: Mapping[str, str]) -> ChannelSettings:
    """The Settings fields for Twilio and SMTP; a half-configured channel is refused by name."""
    found: ChannelSettings = {
        "twilio_account_sid": env.get("TWILIO_ACCOUNT_SID") or None,
        "twilio_auth_token": env.get("TWILIO_AUTH_TOKEN") or None,
        "twilio_from": env.get("TWILIO_FROM") or None,
        "twilio_messaging_service_sid": env.get("TWILIO_MESSAGING_SERVICE_SID") or None,
        "twilio_api_url": env.get("TWILIO_API_URL") or TWILIO_API_URL,
        "public_url": _public_url(env.get("PAGER_PUBLIC_URL")),
        "voice_language": _language(env.get("PAGER_VOICE_LANGUAGE")),
        "smtp_host": env.get("SMTP_HOST") or None,
        "smtp_port": _port(env.get("SMTP_PORT")),
        "smtp_starttls": _flag(env.get("SMTP_STARTTLS"), "SMTP_STARTTLS"),
        "smtp_username": env.get("SMTP_USERNAME") or None,
        "smtp_password": env.get("SMTP_PASSWORD") or None,
        "smtp_from": env.get("SMTP_FROM") or None,
    }
    _require_together(found)
    return found


def _require_together(found: ChannelSettings) -> None:
    if found["twilio_account_sid"] or found["twilio_auth_token"]:
        if not (found["twilio_account_sid"] and found["twilio_auth_token"]):
            raise ChannelSettingsError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN go together: set both")
        if not (found["twilio_from"] or found["twilio_messaging_service_sid"]):
            raise ChannelSettingsError(
                "Twilio is configured: set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"
            )
    if found["smtp_host"] and not found["smtp_from"]:
        raise ChannelSettingsError("SMTP_HOST is set: set SMTP_FROM, the address pages are sent from")


def _public_url(value: str | None) -> str | None:
    """PAGER_PUBLIC_URL without its trailing slash. Twilio signs the exact URL it calls, so a wrong one would
    make every SMS reply and call refused: refuse it here, at start."""
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ChannelSettingsError(
            "PAGER_PUBLIC_URL: expected the base URL the pager is reached at, "
            f"like https://pager.example.com, got {value!r}"
        )
    return value.rstrip("/")


def _language(value: str | None) -> str:
    if not value:
        return VOICE_LANGUAGE
    if not _LANGUAGE.fullmatch(value):
        raise ChannelSettingsError(f"PAGER_VOICE_LANGUAGE: expected a language tag like en-US, got {value!r}")
    return value


def _port(value: str | None) -> int:
    if not value:
        return SMTP_PORT
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ChannelSettingsError(f"SMTP_PORT: expected a port number, got {value!r}")
    return int(value)


def _flag(value: str | None, name: str) -> bool:
    if not value:
        return True
    if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
        raise ChannelSettingsError(f"{name}: expected true or false, got {value!r}")
    return value.lower() in ("true", "1", "yes")
