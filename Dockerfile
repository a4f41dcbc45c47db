# Lasting's web image: non-root, runs with a read-only root filesystem; everything it
# writes goes to the /var/lib/lasting volume (static assets, numba's cache) or /tmp (tmpfs).
#   docker build -t lasting .
#   docker run --read-only --tmpfs /tmp -v lasting-var:/var/lib/lasting \
#     --env-file /etc/lasting/lasting.env -p 127.0.0.1:8000:8000 lasting
# Workers: the same image with `lasting manage rqworker default --job-class django_tasks_rq.Job`;
# one scheduler per deployment: `lasting scheduler` (docs/operations.md).
FROM python:3.11.11-slim-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system lasting && useradd --system --gid lasting --home-dir /var/lib/lasting lasting

WORKDIR /opt/lasting
COPY requirements.lock pyproject.toml README.md ./
COPY src ./src
# The runtime dependencies only, at the versions of the lock file (which also pins the
# test tools, left out here).
RUN python -m venv /opt/lasting/.venv \
    && /opt/lasting/.venv/bin/pip install --no-cache-dir --constraint requirements.lock . \
    && mkdir -p /var/lib/lasting && chown lasting:lasting /var/lib/lasting && chmod 0700 /var/lib/lasting

ENV PATH="/opt/lasting/.venv/bin:$PATH" \
    LASTING_VAR_DIR=/var/lib/lasting \
    NUMBA_CACHE_DIR=/var/lib/lasting/numba-cache \
    XDG_CACHE_HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

USER lasting
VOLUME ["/var/lib/lasting"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["lasting", "serve", "--no-worker", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
