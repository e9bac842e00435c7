"""What Slack refuses in a message or a view, each rule with the page of Slack's docs that states it.

`message_error` and `view_error` give the error Slack answers with (None when it would accept), so the
fake Slack refuses what Slack refuses, and a test can hold any payload (a slash command's answer, say)
to the same rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# https://docs.slack.dev/reference/block-kit/blocks: "You can include up to 50 blocks in each message,
# and 100 blocks in modals or Home tabs."; https://docs.slack.dev/reference/views/home-tab-views:
# `blocks` "Max of 100 blocks."
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
# https://docs.slack.dev/reference/methods/chat.postMessage (`text`: "Provide no more than 40,000
# characters"; errors: `msg_too_long` "Message text is too long", `no_text` "No message text
# provided"). Slack's 2018 changelog "Truncating really long messages" says longer text is cut with a
# warning instead; refusing it here is the stricter of the two and what the method page lists.
MESSAGE_TEXT = 40_000
# Not in Slack's docs, but Slack refuses a posted or updated message whose blocks hold more than about
# 12,000 characters of text in all: `msg_blocks_too_long` ("12,000 text characters with a buffer for
# block containers", a Slack engineer in slackapi/bolt-js#2509; slackapi/bolt-js#2867 saw it from
# chat.postMessage at 11,341, never from a slash command's response).
BLOCKS_TEXT = 12_000
# https://docs.slack.dev/reference/block-kit/composition-objects/text-object: "The minimum length is
# 1 and maximum length is 3000 characters."
TEXT_OBJECT = 3_000
# https://docs.slack.dev/reference/block-kit/blocks/section-block: at most 10 `fields`, each 2000.
SECTION_FIELDS, SECTION_FIELD_TEXT = 10, 2_000
# https://docs.slack.dev/reference/block-kit/blocks/header-block: "Maximum length for the text in this
# field is 150 characters."; `block_id` "Maximum length for this field is 255 characters" and unique.
HEADER_TEXT = 150
BLOCK_ID = 255
# https://docs.slack.dev/reference/block-kit/blocks/actions-block: "There is a maximum of 25 elements
# in each action block."
ACTIONS_ELEMENTS = 25
# https://docs.slack.dev/reference/block-kit/block-elements/button-element: text 75, action_id 255,
# value 2000, url 3000.
BUTTON_TEXT, ACTION_ID, BUTTON_VALUE, BUTTON_URL = 75, 255, 2_000, 3_000
# https://docs.slack.dev/reference/block-kit/blocks/context-block: at most 10 elements.
CONTEXT_ELEMENTS = 10

_KNOWN_BLOCKS = frozenset(
    {"section", "header", "actions", "divider", "context", "image", "rich_text", "input", "markdown"}
)

Block = Mapping[str, Any]


def message_error(params: Mapping[str, Any]) -> str | None:
    """Slack's error for a message (chat.postMessage, chat.update, chat.postEphemeral, a response_url
    post), or None. Blocks may arrive as a JSON string (form-encoded calls) or a list."""
    text, blocks = params.get("text"), params.get("blocks")
    if not text and not blocks and not params.get("attachments"):
        return "no_text"
    if isinstance(text, str) and len(text) > MESSAGE_TEXT:
        return "msg_too_long"
    if blocks is None:
        return None
    if not isinstance(blocks, list):
        return "invalid_blocks_format"
    return "invalid_blocks" if blocks_problem(blocks, MESSAGE_BLOCKS) else None


def blocks_text_length(blocks: Any) -> int:
    """How many characters of text a list of blocks holds in all: every `text` string in it."""
    if isinstance(blocks, list):
        return sum(blocks_text_length(b) for b in blocks)
    if isinstance(blocks, Mapping):
        own = len(blocks["text"]) if isinstance(blocks.get("text"), str) else 0
        return own + sum(
            blocks_text_length(v) for k, v in blocks.items() if k != "text" or not isinstance(v, str)
        )
    return 0


def view_error(view: Any) -> str | None:
    """Slack's error for views.publish: a view that breaks Block Kit's rules is `invalid_arguments`
    (views.publish lists no `invalid_blocks`; its response_metadata names the rule broken)."""
    if not isinstance(view, Mapping) or not isinstance(view.get("blocks"), list):
        return "invalid_arguments"
    return "invalid_arguments" if blocks_problem(view["blocks"], VIEW_BLOCKS) else None


def blocks_problem(blocks: Sequence[Any], most: int) -> str | None:
    """What is wrong with a list of blocks for a surface holding at most `most` of them, or None."""
    if len(blocks) > most:
        return f"{len(blocks)} blocks, more than {most}"
    ids = [b.get("block_id") for b in blocks if isinstance(b, Mapping) and b.get("block_id") is not None]
    if len(ids) != len(set(ids)):
        return "a block_id is used twice"  # header-block page: "block_id should be unique for each message"
    for index, block in enumerate(blocks):
        problem = _block_problem(block)
        if problem:
            return f"block {index}: {problem}"
    return None


def _block_problem(block: Any) -> str | None:
    if not isinstance(block, Mapping) or block.get("type") not in _KNOWN_BLOCKS:
        return "not a known block"
    if len(str(block.get("block_id", ""))) > BLOCK_ID:
        return "block_id too long"
    kind = block["type"]
    if kind == "section":
        return _section_problem(block)
    if kind == "header":
        return _text_problem(block.get("text"), HEADER_TEXT, plain_only=True)
    if kind == "actions":
        return _actions_problem(block.get("elements"))
    if kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= CONTEXT_ELEMENTS:
            return "a context block holds 1 to 10 elements"
        texts = [e for e in elements if isinstance(e, Mapping) and e.get("type") != "image"]
        return next(filter(None, (_text_problem(e, TEXT_OBJECT) for e in texts)), None)
    return None


def _section_problem(block: Block) -> str | None:
    fields = block.get("fields")
    if block.get("text") is None and not fields:
        return "a section needs text or fields"
    if block.get("text") is not None and (problem := _text_problem(block["text"], TEXT_OBJECT)):
        return problem
    if fields is not None:
        if not isinstance(fields, list) or len(fields) > SECTION_FIELDS:
            return "a section holds at most 10 fields"
        return next(filter(None, (_text_problem(f, SECTION_FIELD_TEXT) for f in fields)), None)
    return None


def _actions_problem(elements: Any) -> str | None:
    if not isinstance(elements, list) or not 1 <= len(elements) <= ACTIONS_ELEMENTS:
        return "an actions block holds 1 to 25 elements"
    action_ids = [e.get("action_id") for e in elements if isinstance(e, Mapping) and e.get("action_id")]
    if len(action_ids) != len(set(action_ids)):
        return "an action_id is used twice in one actions block"
    for element in elements:
        if not isinstance(element, Mapping):
            return "an element is not an object"
        if element.get("type") == "button" and (problem := _button_problem(element)):
            return problem
    return None


def _button_problem(button: Block) -> str | None:
    if problem := _text_problem(button.get("text"), BUTTON_TEXT, plain_only=True):
        return f"button {problem}"
    for name, most in (("action_id", ACTION_ID), ("value", BUTTON_VALUE), ("url", BUTTON_URL)):
        if len(str(button.get(name, ""))) > most:
            return f"button {name} longer than {most}"
    return None


def _text_problem(text: Any, most: int, *, plain_only: bool = False) -> str | None:
    if not isinstance(text, Mapping) or text.get("type") not in {"plain_text", "mrkdwn"}:
        return "text is not a text object"
    if plain_only and text["type"] != "plain_text":
        return "text must be plain_text"
    value = text.get("text")
    if not isinstance(value, str) or not 1 <= len(value) <= most:
        return f"text of {len(value) if isinstance(value, str) else 0} characters, not 1 to {most}"
    return None
