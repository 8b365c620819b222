# syntax=docker/dockerfile:1
# vpclink-operator image. One Dockerfile for every build:
# - releases use the default BASE, the pinned public Python image
#   (refresh the digest with: docker buildx imagetools inspect python:3.11-slim-bookworm);
# - `make image` passes BASE=<a Debian bookworm root file system with python3.11>, built by
#   hack/image.py with mmdebstrap where there is no Docker daemon and no base-image registry.
# Both stages use the same BASE, so the virtualenv's interpreter link (python3.11 on PATH) exists
# in the runtime stage.
ARG BASE=python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91

FROM ${BASE} AS build
# A CA bundle for reaching the package index through a TLS-inspecting proxy (hack/image.py mounts the
# host's; releases leave it unset). Build-stage only: nothing of it reaches the runtime stage.
ARG PIP_CERT
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# Dependencies first (a layer that changes only with the lock): exact versions, every file hash-checked,
# wheels only, so no compiler is needed and the result does not depend on the day of the build.
COPY requirements.lock ./
RUN python3.11 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-deps --require-hashes --only-binary=:all: -r requirements.lock
COPY pyproject.toml README.md ./
COPY operator/ operator/
# The operator itself (no dependencies: they all came from the lock), then no pip in the result, and
# bytecode compiled now: the chart's root file system is read-only, so an image without .pyc files
# recompiles every module on every start. unchecked-hash: the files never change, don't stat sources.
RUN /opt/venv/bin/pip install --no-deps . \
 && /opt/venv/bin/pip uninstall --yes pip setuptools \
 && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} + \
 && python3.11 -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/venv \
 && /opt/venv/bin/python -c 'import vpclink_operator.cli'

FROM ${BASE}
LABEL org.opencontainers.image.title="vpclink-operator" \
      org.opencontainers.image.description="AWS API Gateway VPC links and private integrations as Kubernetes resources" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/vpclink-dev/vpclink-operator"
RUN groupadd --system --gid 10001 vpclink \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin vpclink
COPY --from=build /opt/venv /opt/venv
# Read-only root file system: never try to write bytecode; logs to stdout unbuffered.
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/opt/venv/bin/vpclink-operator"]
