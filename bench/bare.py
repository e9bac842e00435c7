"""The ceiling: the same server stack (uvicorn + FastAPI) with an alert endpoint that only answers 202."""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def create_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None)

    @app.post("/webhooks/generic", status_code=202)
    async def generic(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"incident_id": None, "result": "ignored"}, status_code=202)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    """Serve on $PAGER_BIND as `pager serve` does: one process, no access log."""
    host, _, port = os.environ.get("PAGER_BIND", "127.0.0.1:8090").rpartition(":")
    uvicorn.run(create_app(), host=host, port=int(port), log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
