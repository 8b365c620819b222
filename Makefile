# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo venv controlplane image image-tools lock lint unit integration clean

$(STAMP): pyproject.toml requirements.lock emulator/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock  # the image's exact versions
	$(PY) -m pip install --quiet -e '.[test]' -e ./emulator
	touch $(STAMP)

venv: $(STAMP)

controlplane: $(STAMP)
	$(PY) hack/controlplane.py build
	$(PY) hack/gitops_crds.py

# The runtime dependencies, pinned with hashes for the image (Dockerfile), from pyproject.toml.
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" --quiet --output-file requirements.lock

# buildah, podman and mmdebstrap (and the Debian archive key mmdebstrap verifies bookworm with) come from
# apt; CI runs as root on a fresh Debian machine, GitHub's Ubuntu runners under sudo.
image-tools:
	@command -v buildah >/dev/null && command -v podman >/dev/null && command -v mmdebstrap >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah podman mmdebstrap debian-archive-keyring uidmap; }

image: $(STAMP) image-tools
	$(PY) hack/image.py build

lint: $(STAMP)
	$(VENV)/bin/ruff check operator emulator tests hack bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: lint controlplane image
	$(PY) -m pytest $(PYTEST_ARGS)

demo: controlplane
	$(PY) hack/demo.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
