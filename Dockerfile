# Pager: the same package `make run` installs, served by `pager serve`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY adapters ./adapters
COPY bot ./bot
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /var/lib/pager pager
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER pager
WORKDIR /var/lib/pager
ENV PAGER_BIND=0.0.0.0:8080 \
    PAGER_DATABASE_URL=sqlite:////var/lib/pager/pager.db \
    PAGER_LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/var/lib/pager"]
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"
# Migrations run on start; set PAGER_CONFIG to your mounted YAML file.
CMD ["pager", "serve"]
