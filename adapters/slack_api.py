"""Calling Slack's Web API politely: about one message per second per channel, 429 Retry-After honoured."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from domain.errors import SendFailed

# Errors that no retry can fix: the address, the app's setup or the message itself is wrong. From the
# "Errors" of https://docs.slack.dev/reference/methods/chat.postMessage (and chat.update's), each read
# for whether the same call could succeed later. Left retryable, as is any error not listed here:
# ratelimited/rate_limited (429), fatal_error, internal_error, service_unavailable, request_timeout
# ("the POST data was either missing or truncated"), team_added_to_org and org_login_required (a
# migration in progress), message_limit_exceeded (a free workspace's quota, which frees up again).
PERMANENT_ERRORS = frozenset(
    {
        # The address: a channel or user that does not exist, or that the bot cannot post to.
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "channel_type_not_supported",
        "messages_tab_disabled",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "cannot_reply_to_message",
        # The app's token or grants: fixed by a person, not by waiting.
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "not_allowed_token_type",
        "team_access_not_granted",
        "ekm_access_denied",
        "access_denied",
        "enterprise_is_restricted",
        "two_factor_setup_required",
        "as_user_not_supported",
        "deprecated_endpoint",
        "method_deprecated",
        # The message itself: Slack refuses the same payload every time.
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_attachments",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "invalid_arguments",
        "invalid_arg_name",
        "invalid_array_arg",
        "invalid_charset",
        "invalid_form_data",
        "invalid_post_type",
        "missing_post_type",
        # chat.update of a message that is gone or not the bot's.
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)


class SlackWebApi:
    """A thin layer over `WebClient` that paces calls per channel and waits out rate limits.

    Raises SendFailed (permanent when Slack says retrying cannot help) for anything else.
    A Retry-After longer than `max_wait` is not slept here: it is raised as a retryable failure that
    carries it, so the relay retries then and the sender's time stays bounded.
    `sleep` and `monotonic` are injected so tests need not wait.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        pace: float = 1.0,
        max_rate_limited: int = 5,
        max_wait: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.pace = pace
        self._max_rate_limited = max_rate_limited
        self._max_wait = max_wait
        self.sleep = sleep
        self._monotonic = monotonic
        self._last_post: dict[str, float] = {}
        self._lock = threading.Lock()

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Call `method`; a 429 is retried after its Retry-After, up to `max_rate_limited` times."""
        channel = params.get("channel")
        waited = 0.0
        for _ in range(self._max_rate_limited):
            if isinstance(channel, str):
                self._wait_turn(channel)
            try:
                return dict(self.client.api_call(method, json=params).data)  # type: ignore[arg-type]
            except SlackApiError as exc:
                delay = _retry_after(exc)
                if delay is None:
                    raise _failure(method, exc) from exc
                if waited + delay > self._max_wait:
                    reason = f"slack {method}: rate limited for {delay:g}s"
                    raise SendFailed(reason, permanent=False, retry_after=delay) from exc
                waited += delay
                self.sleep(delay)
            except SlackClientError as exc:  # connection refused, timeout: Slack may be back soon
                raise SendFailed(f"slack {method}: {type(exc).__name__}", permanent=False) from exc
            except OSError as exc:
                raise SendFailed(f"slack {method}: {exc}", permanent=False) from exc
        raise SendFailed(f"slack {method}: still rate limited", permanent=False)

    def _wait_turn(self, channel: str) -> None:
        # Slack allows about one message per second per channel; bursts beyond it are refused with 429.
        with self._lock:
            now = self._monotonic()
            start = max(now, self._last_post.get(channel, now - self.pace) + self.pace)
            self._last_post[channel] = start
        if start > now:
            self.sleep(start - now)


def _retry_after(exc: SlackApiError) -> float | None:
    if exc.response.status_code != 429:
        return None
    header = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after") or "1"
    try:
        return max(float(header), 0.0)
    except ValueError:
        return 1.0


def _failure(method: str, exc: SlackApiError) -> SendFailed:
    error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
    status = exc.response.status_code
    reason = f"slack {method}: {error or f'HTTP {status}'}"
    return SendFailed(reason, permanent=error in PERMANENT_ERRORS)
