"""The `pager` command: serve, check a config, show status, migrate the database."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import structlog
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from adapters.db.process_lock import DatabaseInUse, SqliteProcessLock
from bot import cli_calendar, cli_health, cli_oncall
from bot.cli_heartbeats import heartbeat_warnings, heartbeats_table
from bot.cli_import import import_app
from bot.cli_maintenance import maintenance_table
from bot.config import ConfigError, PagerConfig, load_config
from bot.config_notify import notify_warnings
from bot.config_oncall import unreachable_warnings
from bot.settings import Settings, SettingsError
from domain.errors import NotFound
from domain.queries import OPEN_STATES, IncidentView, ServiceView

app = typer.Typer(help="Pager: on-call paging service.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(cli_calendar.app, name="calendar")
console = Console()
errors = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="YAML config file (default: $PAGER_CONFIG, else the example)."),
]


def _settings(config: Path | None) -> Settings:
    try:
        return Settings.from_env(config_path=str(config) if config else None)
    except SettingsError as exc:
        errors.print(f"[red]bad setting[/red] {exc}")
        raise typer.Exit(2) from None


def _config(path: Path) -> PagerConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        errors.print(f"[red]invalid config[/red]\n{exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _count(n: int, forms: str) -> str:
    one, many = forms.split("/")
    return f"{n} {one if n == 1 else many}"


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Run the pager: webhooks, API, escalation timer and senders (bind: $PAGER_BIND)."""
    import uvicorn

    from bot.bootstrap import bootstrap
    from bot.http import create_app
    from bot.logs import configure_logging, log_uncaught_exceptions

    settings = _settings(config)
    configure_logging(settings.log_format)
    log_uncaught_exceptions()
    if make_url(settings.database_url).get_backend_name() == "sqlite":
        try:
            SqliteProcessLock(settings.database_url).acquire()  # held until this process exits
        except DatabaseInUse as exc:
            errors.print(f"[red]cannot start[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
    runtime = bootstrap(settings, config=_config(settings.config_path))
    host, port = settings.host_port
    structlog.get_logger("pager").info(
        "serving",
        url=f"http://{host}:{port}",
        config=str(settings.config_path),
        database=safe_url(settings.database_url),
    )
    web = create_app(runtime)
    # What start-up built lives as long as the process: keep it out of the collector's full passes, which
    # otherwise walk it all and stall every request for tens of milliseconds.
    gc.collect()
    gc.freeze()
    # log_config=None: uvicorn's records go through the pager's logging (bot/logs.py), JSON included.
    uvicorn.run(web, host=host, port=port, log_config=None, log_level=None, access_log=settings.access_log)


@app.command("check-config")
def check_config(path: Annotated[Path, typer.Argument(help="The YAML file to check.")]) -> None:
    """Load a config file and report every problem in it, with its path."""
    loaded = _config(path)
    c = loaded.catalog
    counts = ", ".join(
        _count(n, word)
        for n, word in [
            (len(c.people), "person/people"),
            (len(c.rotations), "rotation/rotations"),
            (len(c.policies), "escalation policy/escalation policies"),
            (len(c.services), "service/services"),
            *([(len(c.heartbeats), "heartbeat/heartbeats")] if c.heartbeats else []),
        ]
    )
    console.print(f"{path}: OK — {counts}", highlight=False, soft_wrap=True)
    for service in sorted(c.services.values(), key=lambda s: s.id):
        if service.id not in loaded.integration_keys.values():
            console.print(f"warning: services.{service.id} has no integration key: no monitor can page it")
    for warning in unreachable_warnings(c.rotations, c.people, datetime.now(UTC)):
        console.print(f"warning: {warning}", highlight=False)
    for warning in heartbeat_warnings(loaded):
        console.print(f"warning: {warning}", highlight=False)
    for warning in notify_warnings(c.people):
        console.print(f"warning: {warning}", highlight=False)


@app.command()
def status(
    config: ConfigOption = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Show at most this many open incidents, newest first.")
    ] = 20,
) -> None:
    """Services and the newest open incidents, as tables."""
    from bot.bootstrap import bootstrap

    settings = _settings(config)
    runtime = bootstrap(settings, config=_config(settings.config_path), migrate=False)
    try:
        services = runtime.queries.services()
        incidents = runtime.queries.incident_page(OPEN_STATES, limit).views
        unshown = runtime.queries.open_incident_count() - len(incidents)
        heartbeats = runtime.pager.heartbeats.views()
        maintenance = runtime.pager.maintenance.view()
    finally:
        runtime.engine.dispose()
    _print_status(services, incidents)
    if heartbeats:
        console.print(heartbeats_table(heartbeats))
    if maintenance.windows:
        console.print(maintenance_table(maintenance))
    if unshown > 0:
        more = _count(unshown, "more open incident/more open incidents")
        console.print(f"… and {more}: raise --limit, or page through GET /api/incidents", highlight=False)


def _print_status(services: Sequence[ServiceView], incidents: Sequence[IncidentView]) -> None:
    table = Table("service", "name", "health", "open incident", title="Services")
    for s in services:
        colour = "green" if s.health == "healthy" else "red"
        table.add_row(
            s.id, s.name, f"[{colour}]{s.health}[/{colour}]", f"#{s.open_incident}" if s.open_incident else ""
        )
    console.print(table)
    table = Table("#", "service", "summary", "state", "level", "ack deadline", title="Open incidents")
    for view in incidents:
        i = view.incident
        deadline = i.ack_deadline.strftime("%Y-%m-%d %H:%M:%S UTC") if i.ack_deadline else "—"
        table.add_row(str(i.id), view.service_name, i.summary, i.state.value, str(i.level), deadline)
    console.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations ($PAGER_DATABASE_URL)."""
    from adapters.db import make_engine, upgrade

    settings = _settings(None)
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    console.print(f"database {safe_url(settings.database_url)} is up to date", highlight=False)


@app.command()
def oncall(
    rotation: Annotated[str | None, typer.Argument(help="Only this rotation.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="An instant with its offset (default: now).")] = None,
    config: ConfigOption = None,
) -> None:
    """Who is on call in each rotation, and the next handoffs."""
    catalog = _config(_settings(config).config_path).catalog
    try:
        console.print(cli_oncall.oncall_table(catalog, cli_oncall.parse_instant(at), rotation))
    except NotFound as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


app.command("health")(cli_health.health)


def main() -> None:
    app()
