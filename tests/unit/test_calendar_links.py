"""Each calendar feed's secret and URL, and the setting they come from."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bot.calendar_api import CalendarFeeds, FeedKind, feed_path
from bot.settings import Settings, SettingsError

KEY = "calendar-key-0123456789abcdef"
FEEDS = CalendarFeeds(KEY, "https://pager.example.com")


def test_a_feeds_token_is_the_hex_hmac_sha256_of_its_name_under_the_key() -> None:
    expected = hmac.new(KEY.encode(), b"rotation:primary", hashlib.sha256).hexdigest()

    assert FEEDS.token(FeedKind.ROTATION, "primary") == expected


def test_a_rotation_and_a_person_of_the_same_name_have_different_tokens() -> None:
    assert FEEDS.token(FeedKind.ROTATION, "ops") != FEEDS.token(FeedKind.PERSON, "ops")


def test_the_feeds_own_token_is_accepted() -> None:
    assert FEEDS.accepts(FeedKind.PERSON, "alice", FEEDS.token(FeedKind.PERSON, "alice"))


@pytest.mark.parametrize("token", [None, "", "0" * 64, "é" * 64])
def test_a_missing_or_wrong_token_is_refused(token: str | None) -> None:
    assert not FEEDS.accepts(FeedKind.PERSON, "alice", token)


def test_another_feeds_token_is_refused() -> None:
    assert not FEEDS.accepts(FeedKind.PERSON, "alice", FEEDS.token(FeedKind.PERSON, "bob"))


def test_a_new_key_revokes_every_url() -> None:
    rotated = CalendarFeeds("another-key-0123456789abcdef", FEEDS.public_url)

    assert not rotated.accepts(FeedKind.ROTATION, "primary", FEEDS.token(FeedKind.ROTATION, "primary"))


def test_the_url_is_the_public_url_the_path_and_the_token() -> None:
    token = FEEDS.token(FeedKind.PERSON, "alice")

    assert FEEDS.url(FeedKind.PERSON, "alice") == (
        f"https://pager.example.com/api/people/alice/oncall.ics?token={token}"
    )


def test_an_id_is_escaped_in_the_path() -> None:
    assert feed_path(FeedKind.ROTATION, "db/ops team") == "/api/oncall/db%2Fops%20team.ics"


def test_there_is_no_url_without_a_public_url() -> None:
    assert CalendarFeeds(KEY).url(FeedKind.ROTATION, "primary") is None


def test_feeds_are_off_without_PAGER_CALENDAR_KEY() -> None:
    assert CalendarFeeds.of(Settings.from_env({})) is None


def test_PAGER_CALENDAR_KEY_and_PAGER_PUBLIC_URL_make_the_feeds() -> None:
    env = {"PAGER_CALENDAR_KEY": KEY, "PAGER_PUBLIC_URL": "https://pager.example.com/"}

    assert CalendarFeeds.of(Settings.from_env(env)) == FEEDS


def test_a_short_key_is_refused_without_being_quoted() -> None:
    with pytest.raises(SettingsError, match="PAGER_CALENDAR_KEY") as refused:
        Settings.from_env({"PAGER_CALENDAR_KEY": "short-S3CRET"})

    assert "short-S3CRET" not in str(refused.value)


def test_the_key_is_not_in_the_settings_repr() -> None:
    assert KEY not in repr(Settings.from_env({"PAGER_CALENDAR_KEY": KEY}))
    assert KEY not in repr(FEEDS)
