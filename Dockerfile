# syntax=docker/dockerfile:1
# vpclink-operator image: build a wheel and a virtualenv in one stage, copy only the virtualenv
# into a clean runtime stage. Both stages use the same pinned base, so the venv's interpreter
# path (/usr/local/bin/python3.11) exists in the runtime stage.
# Refresh the digest with: docker buildx imagetools inspect python:3.11-slim-bookworm

FROM python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91 AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator/ operator/
# Every dependency ships a manylinux wheel: no compiler is needed, even here.
RUN python -m venv /opt/venv \
 && python -m pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/venv/bin/pip install /wheels/*.whl \
 && /opt/venv/bin/pip uninstall --yes pip \
 && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +

FROM python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91
LABEL org.opencontainers.image.title="vpclink-operator" \
      org.opencontainers.image.description="AWS API Gateway VPC links and private integrations as Kubernetes resources" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 vpclink \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin vpclink
COPY --from=build /opt/venv /opt/venv
# The root filesystem is read-only in the chart: no bytecode files, logs to stdout unbuffered.
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["/opt/venv/bin/vpclink-operator"]
