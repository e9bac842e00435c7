"""`pager health`: does the pager serving on $PAGER_BIND answer /healthz? For container health checks."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request

import typer

from bot.settings import Settings, SettingsError

TIMEOUT_SECONDS = 2.0
# A server listening on every address is reached on loopback.
_LOOPBACK = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}


def healthz_url(settings: Settings) -> str:
    """Where the server that `settings` describe answers its liveness probe."""
    host, port = settings.host_port
    host = _LOOPBACK.get(host, host)
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return f"http://{host}:{port}/healthz"


def problem(url: str, timeout: float = TIMEOUT_SECONDS) -> str | None:
    """None when `url` answers 200, else why not, in one line."""
    # Straight to the address: a proxy from the environment (HTTP_PROXY) has no business with loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as answer:
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return f"{url}: no answer ({reason})"
    return None if status == 200 else f"{url}: answered {status}"


def health() -> None:
    """Exit 0 if the pager on $PAGER_BIND answers GET /healthz with 200 within 2 s, else 1 with the reason."""
    try:
        url = healthz_url(Settings.from_env())
    except SettingsError as exc:
        # Docker reserves exit code 2 in health checks: every failure is 1.
        typer.echo(f"unhealthy: bad setting {exc}", err=True)
        raise typer.Exit(1) from None
    found = problem(url)
    if found is not None:
        typer.echo(f"unhealthy: {found}", err=True)
        raise typer.Exit(1)
    typer.echo(f"healthy: {url}")
