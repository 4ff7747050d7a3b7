"""The Binder configuration: binder/ repeats the root pins and builds what the series needs.

repo2docker reads only binder/ when that folder exists, so its requirements would silently drift
from requirements.txt without a check. A real Binder build needs Docker; `repo2docker --no-build`
prints the Dockerfile it would build, which is enough to check the configuration in CI.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _lines(path: Path) -> list[str]:
    """Requirement-file lines without comments and blanks (pip's own comment rule)."""
    out = []
    for raw in path.read_text().splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line:
            out.append(line)
    return out


def _pins(path: Path) -> dict[str, str]:
    """{canonical name: exact version} for every `name==version` line; options are skipped."""
    pins = {}
    for line in _lines(path):
        if line.startswith("-"):
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"{path.name}: {line!r} is not an exact pin"
        )
        pins[canonicalize_name(req.name)] = specs[0].version
    return pins


def test_binder_pins_match_root_requirements():
    root = _pins(ROOT / "requirements.txt")
    binder = _pins(BINDER / "requirements.txt")
    only_binder, only_root = sorted(set(binder) - set(root)), sorted(set(root) - set(binder))
    assert not only_binder and not only_root, (
        f"binder/requirements.txt and requirements.txt differ: only in binder {only_binder}, "
        f"only in root {only_root}"
    )
    for name, version in root.items():
        # Only torch differs, and only by the local label of PyTorch's CPU build.
        expected = f"{version}+cpu" if name == "torch" else version
        assert binder[name] == expected, f"{name}: binder pins {binder[name]}, root pins {version}"


def test_binder_requirements_options():
    lines = _lines(BINDER / "requirements.txt")
    assert f"--extra-index-url {CPU_INDEX}" in lines
    # --index-url would replace PyPI for every package; a local path would rebuild the torch layer
    # on every commit (postBuild installs the package instead).
    assert not [line for line in lines if line.startswith(("--index-url", "-i ", "-e", "."))]
    assert (BINDER / "runtime.txt").read_text().split() == ["python-3.11"]


def test_postbuild_installs_the_package():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"
    text = post_build.read_text()
    assert text.startswith("#!")
    assert re.search(r"^pip install --no-deps -e \.\s*$", text, re.MULTILINE)


def _repo2docker_dockerfile() -> tuple[str, str]:
    if importlib.util.find_spec("repo2docker") is None:
        message = "repo2docker is missing: pip install -r requirements-test.txt"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(message)
        pytest.skip(message)
    proc = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", "--no-run", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, proc.stderr


def test_repo2docker_dockerfile():
    dockerfile, log = _repo2docker_dockerfile()
    # Build-script paths are escaped by repo2docker (escapism: "-2e" is ".", "-2d" is "-").
    decoded = re.sub(r"-([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), dockerfile)
    assert "environment.py-3.11-linux-64.lock" in decoded, "the image would not use Python 3.11"
    assert "python=3.11" in log
    # Requirements come from binder/, copied and installed before the repository so the torch layer
    # is cached across commits; the root requirements.txt (CUDA torch, `-e .`) is never used.
    copy = "COPY --chown=0:0 src/binder/requirements.txt ${REPO_DIR}/binder/requirements.txt"
    install = 'pip install --no-cache-dir -r "binder/requirements.txt"'
    assert copy in dockerfile and install in dockerfile
    assert dockerfile.index(install) < dockerfile.index("COPY --chown=0:0 src/ ${REPO_DIR}/")
    assert not re.search(r"-r \"?requirements\.txt", dockerfile)
    # What that file installs: the CPU index and the CPU torch build.
    binder_reqs = _lines(BINDER / "requirements.txt")
    assert f"--extra-index-url {CPU_INDEX}" in binder_reqs
    assert any(re.match(r"torch==[\w.]+\+cpu$", line) for line in binder_reqs)
    # postBuild runs after the repository is copied, and installs shortcut_lib.
    assert "RUN ./binder/postBuild" in dockerfile
    assert dockerfile.index("COPY --chown=0:0 src/ ${REPO_DIR}/") < dockerfile.index(
        "RUN ./binder/postBuild"
    )


def test_every_binder_link_in_the_readme_opens_a_notebook_that_exists():
    # The badge opens JupyterLab; the instructors' links open a page in Voilà (voila/render).
    readme = (ROOT / "README.md").read_text()
    links = re.findall(
        r"https://mybinder\.org/v2/gh/[^\s)]*?urlpath=([a-z]+)/(?:tree|render)/([^\s)]+)", readme
    )
    kinds = {kind for kind, _ in links}
    assert {"lab", "voila"} <= kinds, links
    for _, path in links:
        assert (ROOT / path).is_file(), f"a Binder link opens {path}, which does not exist"
    voila = [path for kind, path in links if kind == "voila"]
    assert sorted(voila) == sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "notebooks" / "instructor").glob("*.ipynb")
    ), "every instructor page has its Binder link"


def test_binder_serves_voila_and_notebook_7():
    # urlpath=voila/render/... needs Voilà's server extension in the image Binder builds.
    pins = _pins(BINDER / "requirements.txt")
    assert {"voila", "notebook", "ipywidgets"} <= set(pins)
    assert "ipympl" not in pins
