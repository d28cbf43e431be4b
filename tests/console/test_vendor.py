"""The vendored front-end files are exactly the npm releases MANIFEST names, licences alongside."""

from __future__ import annotations

import hashlib
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "xiaoer" / "console" / "static" / "vendor"
LICENCES = {
    "socket.io-client": ["socket.io-client.LICENSE"],
    "echarts": ["echarts.LICENSE", "echarts.NOTICE"],
}


def manifest() -> list[list[str]]:
    lines = (VENDOR / "MANIFEST").read_text(encoding="utf-8").splitlines()
    return [line.split() for line in lines if line.strip() and not line.startswith("#")]


def test_every_vendored_script_is_in_the_manifest_with_its_sha256_and_licence():
    rows = manifest()
    assert {row[0] for row in rows} == {p.name for p in VENDOR.glob("*.js")}
    for file, package, version, _licence, sha, _path in rows:
        digest = hashlib.sha256((VENDOR / file).read_bytes()).hexdigest()
        assert digest == sha, f"{file} is not {package}@{version} as MANIFEST records; run `make vendor`"
        for licence in LICENCES[package]:
            assert (VENDOR / licence).stat().st_size > 0
