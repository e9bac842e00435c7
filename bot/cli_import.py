"""`pager import <vendor>`: a Pager config made from a PagerDuty, Opsgenie or Grafana OnCall setup."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, Protocol, cast

import requests
import typer
from rich.console import Console
from rich.markup import escape

from bot.importers.api import Api, DirApi, HttpApi, ImportFailed, Paging, SavingApi, retry_after_header
from bot.importers.plan import Plan, check, render, report

# Each vendor: its module, and the environment variable its API token is read from (the module says it too).
VENDORS = {
    "pagerduty": ("bot.importers.pagerduty", "PAGERDUTY_API_TOKEN"),
    "opsgenie": ("bot.importers.opsgenie", "OPSGENIE_API_KEY"),
    "grafana-oncall": ("bot.importers.grafana_oncall", "GRAFANA_ONCALL_API_TOKEN"),
}

import_app = typer.Typer(
    help="Make a Pager config from another paging service (dry run first: --dry-run).", no_args_is_help=True
)
out = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


class Vendor(Protocol):
    NAME: str
    API_URL: str
    TOKEN_ENV: str

    def headers(self, token: str) -> dict[str, str]: ...
    def paging(self, page_size: int = ...) -> Paging: ...
    def describe_error(self, response: requests.Response) -> str: ...
    def build_plan(self, api: Api, now: datetime) -> Plan: ...


ApiUrl = Annotated[str | None, typer.Option(help="The vendor's API base URL (default: its public API).")]
FromDir = Annotated[
    Path | None,
    typer.Option(
        help="Read the API's JSON from this directory (as --save-dir writes it) instead of the network."
    ),
]
SaveDir = Annotated[
    Path | None, typer.Option(help="Also save every JSON document read, for a later --from-dir.")
]
OutFile = Annotated[Path | None, typer.Option("--out", "-o", help="Write the config here (default: stdout).")]
DryRun = Annotated[
    bool, typer.Option(help="Print what maps to what and what is not carried over; write nothing.")
]
PageSize = Annotated[int | None, typer.Option(hidden=True, min=1, help="Items per page asked of the API.")]


def _run(vendor_name: str, options: Mapping[str, Any]) -> None:
    vendor = cast(Vendor, importlib.import_module(VENDORS[vendor_name][0]))
    now = datetime.now(UTC)
    try:
        plan = vendor.build_plan(_api(vendor, options), now)
        text = render(plan, vendor.NAME, now)
        check(text)
    except ImportFailed as exc:
        _fail(str(exc))
    if options["dry_run"]:
        # Vendors' names may hold brackets, which are not markup.
        out.print(report(plan, vendor.NAME), end="", markup=False)
        return
    target: Path | None = options["out"]
    if target is None:
        out.print(text, end="", markup=False)
        return
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {target}: {exc.strerror or exc}")
    notes = f"{len(plan.notes)} things not carried over or approximated, listed at its top"
    errors.print(f"wrote {escape(str(target))}: {notes}")


def _fail(message: str) -> NoReturn:
    errors.print(f"[red]import failed[/red] {escape(message)}")
    raise typer.Exit(1)


def _api(vendor: Vendor, options: Mapping[str, Any]) -> Api:
    from_dir: Path | None = options["from_dir"]
    api: Api
    if from_dir is not None:
        if not from_dir.is_dir():
            raise ImportFailed(f"{from_dir}: no such directory")
        api = DirApi(from_dir)
    else:
        token = os.environ.get(vendor.TOKEN_ENV, "").strip()
        if not token:
            raise ImportFailed(
                f"set {vendor.TOKEN_ENV} to an API token of {vendor.NAME} (it is read from there only)"
            )
        page_size: int | None = options["page_size"]
        api = HttpApi(
            vendor.NAME,
            options["api_url"] or vendor.API_URL,
            vendor.headers(token),
            vendor.paging(page_size) if page_size else vendor.paging(),
            describe_error=vendor.describe_error,
            retry_after=getattr(vendor, "retry_after", retry_after_header),
        )
    save_dir: Path | None = options["save_dir"]
    return api if save_dir is None else SavingApi(api, save_dir)


def _command(vendor_name: str) -> Callable[..., None]:
    def command(
        api_url: ApiUrl = None,
        from_dir: FromDir = None,
        save_dir: SaveDir = None,
        out: OutFile = None,
        dry_run: DryRun = False,
        page_size: PageSize = None,
    ) -> None:
        _run(vendor_name, locals())

    return command


for _name, (_module, _token_env) in VENDORS.items():
    import_app.command(_name, help=f"Import from {_name} (API token in ${_token_env}); try --dry-run first.")(
        _command(_name)
    )
