"""Reading a vendor's REST API for an import: over HTTP with its paging and rate limits, or from saved files.

`HttpApi` talks to the vendor; `DirApi` reads the JSON documents `SavingApi` wrote on an earlier run (or that
someone saved with curl), so a move can be prepared on a machine that reaches the vendor and finished on one
that does not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import requests

Fetch = Callable[[str, Mapping[str, Any] | None], Any]

# Waiting longer than this for a rate limit means something is wrong; the import fails rather than hang.
MAX_WAIT_SECONDS = 60.0
TIMEOUT_SECONDS = 30.0
# More pages than this (a million items at the vendors' page sizes) means the paging loops.
MAX_PAGES = 10_000


class ImportFailed(Exception):
    """The import cannot go on; the message is for the person running it (it never holds the token)."""


@contextmanager
def reading(what: str) -> Iterator[None]:
    """Reports an answer of another shape than documented (a field missing, null or of another type) while
    `what` (the vendor's object, e.g. "PagerDuty schedule P1") is read as ImportFailed naming it."""
    try:
        yield
    except KeyError as exc:
        raise ImportFailed(f"{what}: the answer has no {exc.args[0]!r} field") from None
    except (TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        raise ImportFailed(f"{what}: the answer is not as the API documents it ({exc})") from None


def ident(item: object, key: str = "id") -> str:
    """An item's id for a message, whatever the item turned out to be."""
    return str(item.get(key)) if isinstance(item, dict) else repr(item)[:40]


class Api(Protocol):
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """The JSON document at `path` (relative to the API's base). Raises ImportFailed."""
        ...

    def items(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every item of the list endpoint at `path`, over all its pages; `key` names the field holding the
        list in each page. Raises ImportFailed."""
        ...


class Paging(Protocol):
    def pages(
        self, fetch: Fetch, path: str, key: str, params: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page's items, fetching page after page the vendor's way (offsets, cursors or next links)."""
        ...


def retry_after_header(response: requests.Response) -> float | None:
    """The wait asked for by a Retry-After header, in seconds or as an HTTP date."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class HttpApi:
    """A vendor's REST API over HTTPS: GET only, 429 waited out, 5xx and broken connections retried."""

    def __init__(
        self,
        vendor: str,
        base_url: str,
        headers: Mapping[str, str],
        paging: Paging,
        *,
        describe_error: Callable[[requests.Response], str],
        retry_after: Callable[[requests.Response], float | None] = retry_after_header,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 6,
        session: requests.Session | None = None,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self._vendor = vendor
        self._base = base_url.rstrip("/") + "/"
        self._headers = dict(headers)
        self._paging = paging
        self._describe = describe_error
        self._retry_after = retry_after
        self._sleep = sleep
        self._attempts = attempts
        self._session = session or requests.Session()
        self._max_pages = max_pages

    def __repr__(self) -> str:  # the headers hold the token
        return f"HttpApi({self._vendor}, {self._base})"

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._fetch(path, params)

    def items(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for count, page in enumerate(self._paging.pages(self._fetch, path, key, dict(params or {})), 1):
            if count > self._max_pages:
                raise ImportFailed(
                    f"GET {path}: more than {self._max_pages} pages; {self._vendor}'s paging loops"
                )
            found.extend(page)
        return found

    def _fetch(self, path: str, params: Mapping[str, Any] | None) -> Any:
        url = self._url(path)
        for attempt in range(1, self._attempts + 1):
            response = self._send(url, params, attempt)
            if response is None:
                continue
            retryable = response.status_code == 429 or response.status_code >= 500
            if retryable and attempt < self._attempts:
                self._sleep(self._wait(response, attempt))
                continue
            return self._parsed(response, path)
        raise ImportFailed(f"GET {path}: {self._vendor} did not answer after {self._attempts} attempts")

    def _url(self, path: str) -> str:
        if "://" not in path:
            return urljoin(self._base, path.lstrip("/"))
        # A link the vendor wrote (the next page) may name another host, e.g. its own behind a proxy, or its
        # US instance for an EU account: it is asked of the API URL given, the only place the token goes.
        link, base = urlsplit(path), urlsplit(self._base)
        if (link.scheme, link.netloc) == (base.scheme, base.netloc):
            return path
        return urljoin(self._base, link.path.lstrip("/")) + (f"?{link.query}" if link.query else "")

    def _send(self, url: str, params: Mapping[str, Any] | None, attempt: int) -> requests.Response | None:
        try:
            return self._session.get(url, params=params, headers=self._headers, timeout=TIMEOUT_SECONDS)
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidSchema,
            requests.exceptions.MissingSchema,
        ):
            raise ImportFailed(f"{self._base} is not an API URL (like https://api.example.com)") from None
        except (requests.exceptions.InvalidHeader, UnicodeError):
            # requests' own message would quote the header, token included.
            raise ImportFailed(
                f"the API token for {self._vendor} holds characters no HTTP header can carry"
            ) from None
        except requests.RequestException as exc:
            if attempt == self._attempts:
                raise ImportFailed(
                    f"cannot reach {self._vendor} at {self._base}: {type(exc).__name__}"
                ) from None
            self._sleep(min(2.0**attempt, MAX_WAIT_SECONDS))
            return None

    def _wait(self, response: requests.Response, attempt: int) -> float:
        asked = self._retry_after(response) if response.status_code == 429 else None
        wait = min(2.0**attempt, 30.0) if asked is None else asked
        if wait > MAX_WAIT_SECONDS:
            raise ImportFailed(f"{self._vendor} asks to wait {wait:.0f} s before the next request; try later")
        return wait

    def _parsed(self, response: requests.Response, path: str) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise ImportFailed(f"{self._vendor} refused the API token ({status}): {self._describe(response)}")
        if status >= 400:
            raise ImportFailed(f"GET {path}: {status} {self._describe(response)}")
        try:
            return response.json()
        except ValueError:
            raise ImportFailed(f"GET {path}: the answer is not JSON ({status})") from None


def _file(root: Path, path: str) -> Path:
    relative = path.split("?", 1)[0].strip("/")
    if not relative or ".." in relative.split("/"):
        raise ImportFailed(f"{path!r} is not an API path")
    return root / f"{relative}.json"


class DirApi:
    """The API read from a directory: `get("/schedules/P1")` reads `<root>/schedules/P1.json`, and a list
    endpoint's file holds all its items under the list's key. Query parameters are ignored."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        file = _file(self._root, path)
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ImportFailed(f"{file}: no such file (saved from GET {path})") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ImportFailed(f"{file}: cannot be read as JSON: {exc}") from None

    def items(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        document = self.get(path)
        found = document.get(key) if isinstance(document, dict) else None
        if not isinstance(found, list):
            raise ImportFailed(f"{_file(self._root, path)}: expected a list under {key!r}")
        return found


class SavingApi:
    """An Api that also writes each document it reads under `root`, in DirApi's layout."""

    def __init__(self, inner: Api, root: Path) -> None:
        self._inner = inner
        self._root = root

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        document = self._inner.get(path, params)
        self._save(path, document)
        return document

    def items(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        found = self._inner.items(path, key, params)
        self._save(path, {key: found})
        return found

    def _save(self, path: str, document: Any) -> None:
        file = _file(self._root, path)
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ImportFailed(f"cannot save {file}: {exc.strerror or exc}") from None
