"""`pager calendar rotation <id>` and `pager calendar person <id>`: print an on-call calendar feed's URL."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from bot.calendar_api import CalendarFeeds, FeedKind
from bot.config import ConfigError, load_config
from bot.settings import Settings, SettingsError
from domain.model import Catalog

app = typer.Typer(
    help="On-call calendar feeds: the URL a calendar app subscribes to (it holds the feed's secret).",
    no_args_is_help=True,
)
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML config file (default: $PAGER_CONFIG, else the example)."),
]


@app.command("rotation")
def rotation(
    rotation_id: Annotated[str, typer.Argument(help="The rotation's id in the config.")],
    config: ConfigOption = None,
) -> None:
    """The URL of one rotation's feed: its next 12 weeks of shifts."""
    typer.echo(_feed_url(FeedKind.ROTATION, rotation_id, config))


@app.command("person")
def person(
    person_id: Annotated[str, typer.Argument(help="The person's id in the config.")],
    config: ConfigOption = None,
) -> None:
    """The URL of one person's feed: their next 12 weeks of shifts in every rotation."""
    typer.echo(_feed_url(FeedKind.PERSON, person_id, config))


def _feed_url(kind: FeedKind, ident: str, config: Path | None) -> str:
    settings = _settings(config)
    feeds = CalendarFeeds.of(settings)
    if feeds is None:
        _fail("PAGER_CALENDAR_KEY is not set: calendar feeds are off (`openssl rand -hex 32` makes a key)")
    url = feeds.url(kind, ident)
    if url is None:
        _fail("PAGER_PUBLIC_URL is not set: it is the start of every feed URL (https://pager.example.com)")
    catalog = _catalog(settings.config_path)
    known = catalog.rotations if kind is FeedKind.ROTATION else catalog.people
    if ident not in known:
        _fail(f"unknown {kind} {ident!r}: the config has {', '.join(sorted(known)) or 'none'}")
    return url


def _settings(config: Path | None) -> Settings:
    try:
        return Settings.from_env(config_path=str(config) if config else None)
    except SettingsError as exc:
        _fail(f"bad setting {exc}")


def _catalog(path: Path) -> Catalog:
    try:
        return load_config(path).catalog
    except ConfigError as exc:
        _fail(f"invalid config\n{exc}")


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(2)
