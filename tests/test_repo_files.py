"""What a clone of the repository carries: packaging metadata a current setuptools builds
without deprecation warnings, and docs that point only at files the clone has."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_license_is_a_pep639_expression_the_pinned_setuptools_reads() -> None:
    # Issue 15: `license = { text = "Proprietary" }` made every build print the setuptools
    # `project.license` table deprecation (9 lines a build, more with -v).
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["license"] == "LicenseRef-Proprietary"
    # A license string needs setuptools >= 77 (PEP 639): the build requirement must say so.
    req = next(r for r in meta["build-system"]["requires"] if r.startswith("setuptools"))
    m = re.fullmatch(r"setuptools>=(\d+)(\.\d+)*", req.replace(" ", ""))
    assert m is not None and int(m.group(1)) >= 77, req
    # license-files names only files that exist (setuptools refuses a glob matching nothing).
    for pattern in meta["project"].get("license-files", []):
        assert list(REPO.glob(pattern)), pattern


def test_readme_and_docs_point_only_at_files_in_the_repository() -> None:
    # Issue 15: the README sent readers to ../shared/DESIGN.md, outside the repository.
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "../shared/DESIGN.md" not in text, page.name
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            assert path.is_relative_to(REPO) and path.exists(), (page.name, target)
    # What the README now points to instead is there.
    measurement = (REPO / "docs" / "measurement.md").read_text(encoding="utf-8")
    assert "## Frames" in measurement and "## `hinge-kiosk analyze` JSON" in measurement
    assert '"per_frame"' in measurement and '"skipped_frames"' in measurement
