# Pager: the package `make run` installs, in a virtual environment, served by `pager serve` as UID/GID 10001.
#   docker build -t pager .
# The base can be swapped (a mirror, or a digest to pin it): --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:...
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
# The environment holds the pager and its dependencies only: no pip, no setuptools, nothing to build with.
RUN python -m venv --without-pip /opt/venv
WORKDIR /src
# Every file pyproject.toml declares: the readme, the license file, the three packages (their data included).
COPY pyproject.toml README.md LICENSE ./
COPY domain ./domain
COPY adapters ./adapters
COPY bot ./bot
# pip compiles what it installs, here: a read-only root filesystem need not write bytecode at start.
RUN pip --python /opt/venv/bin/python install .

FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
ARG SOURCE_URL=https://github.com/OWNER/pager
LABEL org.opencontainers.image.title="pager" \
      org.opencontainers.image.description="On-call paging service: alerts in, escalation policies, pages out by Slack, SMS and email." \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
# A fixed, numeric user and group, so that Kubernetes' runAsNonRoot can check it and volumes can be chowned.
RUN groupadd --system --gid 10001 pager \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/pager --create-home \
       --shell /usr/sbin/nologin pager
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PAGER_BIND=0.0.0.0:8080 \
    PAGER_DATABASE_URL=sqlite:////var/lib/pager/pager.db \
    PAGER_LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/pager
EXPOSE 8080
# SQLite's file lives here; with PostgreSQL (PAGER_DATABASE_URL) nothing is written to disk.
VOLUME ["/var/lib/pager"]
# GET /healthz on $PAGER_BIND: 0 when it answers 200 within 2 s, else 1 with the reason.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["pager", "health"]
# Migrations run on start; set PAGER_CONFIG to your mounted YAML file.
CMD ["pager", "serve"]
