"""Build the operator's container image without a Docker daemon or a base-image registry.

    python hack/image.py build       # base (cached) -> `buildah bud`; prints the tag, size and times
    python hack/image.py base        # only the Debian base image

The Dockerfile's `ARG BASE` defaults to the pinned public Python image used for releases. Here that
registry is out of reach, so the base is made from Debian's own packages: `mmdebstrap` writes a
bookworm root file system with python3.11 to a tarball in the control plane's cache directory (keyed
by everything that goes into it, so it is built once), `podman import` makes it a local image, and
`buildah bud --isolation chroot --build-arg BASE=...` builds the same Dockerfile on it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import controlplane

REPO = Path(__file__).resolve().parent.parent
IMAGE = "localhost/vpclink-operator:dev"

# Everything that decides the base tarball's content; its hash names the cache entry.
BASE_RECIPE = {
    "suite": "bookworm",
    "mirror": "http://deb.debian.org/debian",
    "variant": "minbase",
    # python3.11-venv: `python3.11 -m venv` with pip for the build stage (the release base has pip too).
    "packages": ["python3.11", "python3.11-venv", "ca-certificates"],
    "options": [
        "--aptopt=APT::Install-Recommends \"false\"",
        "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-exclude=/usr/share/locale/*",
        "--customize-hook=rm -rf \"$1\"/var/lib/apt/lists/* \"$1\"/var/cache/apt/*",
    ],
}
TOOLS = ("mmdebstrap", "podman", "buildah")


def base_key() -> str:
    return hashlib.sha256(json.dumps(BASE_RECIPE, sort_keys=True).encode()).hexdigest()[:12]


def base_tarball() -> Path:
    return controlplane.cache_root() / f"image-base-{BASE_RECIPE['suite']}-{base_key()}" / "rootfs.tar"


def base_image() -> str:
    return f"localhost/vpclink-operator-base:{BASE_RECIPE['suite']}-{base_key()}"


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, text=True, **kwargs)  # type: ignore[call-overload,no-any-return]


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def ensure_base() -> str:
    """The local base image, from the cached tarball (made with mmdebstrap on first use)."""
    tarball = base_tarball()
    if not tarball.exists():
        tarball.parent.mkdir(parents=True, exist_ok=True)
        partial = tarball.with_suffix(".partial.tar")
        _run(["mmdebstrap", f"--variant={BASE_RECIPE['variant']}",
              f"--include={','.join(BASE_RECIPE['packages'])}", *BASE_RECIPE["options"],
              str(BASE_RECIPE["suite"]), str(partial), str(BASE_RECIPE["mirror"])],
             env={**os.environ, "SOURCE_DATE_EPOCH": "0"})
        os.replace(partial, tarball)
    image = base_image()
    if subprocess.run(["podman", "image", "exists", image], check=False).returncode != 0:
        _run(["podman", "import", "--message", f"mmdebstrap {base_key()}", str(tarball), image])
    return image


def _ca_bundle_args() -> list[str]:
    """Let pip in the build stage trust what pip on this host trusts (e.g. a TLS-inspecting proxy's CA)."""
    bundle = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE")
    if not bundle or not Path(bundle).is_file():
        return []
    return ["--volume", f"{Path(bundle).resolve()}:/run/build-ca.pem:ro", "--build-arg", "PIP_CERT=/run/build-ca.pem"]


def build(tag: str = IMAGE) -> str:
    """Build the Dockerfile on the local base; layers are cached, so an unchanged tree rebuilds in seconds."""
    if missing := missing_tools():
        raise SystemExit(f"missing {', '.join(missing)}: run `make image-tools` (apt-get install) first")
    _run(["buildah", "bud", "--isolation", "chroot", "--layers", "--build-arg", f"BASE={ensure_base()}",
          *_ca_bundle_args(), "--tag", tag, str(REPO)], stdout=sys.stderr)
    return tag


def image_size(tag: str = IMAGE) -> int:
    out = _run(["podman", "image", "inspect", "--format", "{{.Size}}", tag], capture_output=True).stdout
    return int(out.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("command", choices=["build", "base"])
    parser.add_argument("--tag", default=IMAGE)
    args = parser.parse_args()
    started = time.monotonic()
    if args.command == "base":
        print(ensure_base())
    else:
        build(args.tag)
        print(f"image {args.tag}: {image_size(args.tag) / 1e6:.0f} MB, built in "
              f"{time.monotonic() - started:.1f}s (base {base_image()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
