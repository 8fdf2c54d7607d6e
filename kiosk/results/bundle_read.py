"""Reading a results bundle as what it is: a file from outside (bundle.py writes them).

Nothing in it is trusted until checked, and nothing is read into memory unbounded:
- the zip's directory first: only the members a bundle has (`manifest.json`, one
  `<table>.jsonl` per table, `silhouettes/<id>.png`), each within its own bound, their
  declared sizes together within MAX_TOTAL_BYTES (a 3 MB zip declaring 3.6 GB stops here),
  no encryption, no other compression than deflate;
- the manifest (bounded, typed), then every member streamed in chunks against it (length
  and SHA-256) and the zip's CRC: a damaged or altered bundle is refused before any row;
- then the rows, streamed one line at a time (a line over MAX_LINE_BYTES is refused), each
  checked with rows.py's models: the types, ranges, fault names, timestamps, lengths and
  characters the store itself accepts.

Every refusal is BundleError with one line naming the bundle, the member, the line and the
field: `station2.hkb: reps.jsonl line 7: min_hip_to_wall_mm: input should be a valid number`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from kiosk.results import rows
from kiosk.results.model import StoreError

FORMAT = "hinge-kiosk-results-bundle"
VERSION = 1
TABLES = ("athletes", "sessions", "reps", "rep_overrides", "silhouettes")
MAX_TOTAL_BYTES = 256 * 1024 * 1024  # all members inflated; a station's season is a few MB
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_LINE_BYTES = 64 * 1024  # one row: a 4000-character note is under 16 KiB of UTF-8
MAX_PNG_BYTES = 65536  # the silhouettes table's CHECK
_CHUNK = 64 * 1024
_PNG_NAME = re.compile(r"silhouettes/([0-9A-Za-z_-]{1,64})\.png")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class BundleError(StoreError):
    """A bundle that cannot be written or imported; str() is one line."""


class _Member(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    bytes: Annotated[StrictInt, Field(ge=0, le=MAX_TOTAL_BYTES)]
    sha256: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]


class Manifest(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)  # newer minor fields are fine
    format: StrictStr
    version: StrictInt
    station_id: rows.StationId
    db_id: rows.Uuid | None = None
    counts: dict[StrictStr, Annotated[StrictInt, Field(ge=0)]]
    members: dict[StrictStr, _Member]


def _limit(name: str) -> int:
    """The largest a member called `name` may be; 0: not a member a bundle has."""
    if name == "manifest.json":
        return MAX_MANIFEST_BYTES
    if name in {f"{t}.jsonl" for t in TABLES}:
        return MAX_TOTAL_BYTES
    return MAX_PNG_BYTES if _PNG_NAME.fullmatch(name) else 0


class BundleReader:
    """An open bundle whose directory, manifest and members have been checked (module
    docstring). Use as a context manager; `rows(table)` streams a table's checked rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):  # a device (/dev/zero) or a folder
                raise BundleError(f"{self.name} is not a file: not a results bundle")
            self.zip = zipfile.ZipFile(path)
        except FileNotFoundError as err:
            raise BundleError(f"no bundle at {self.name}") from err
        except OSError as err:
            raise BundleError(f"cannot read {self.name}: {err.strerror or err}") from err
        except (zipfile.BadZipFile, ValueError, EOFError) as err:
            raise BundleError(f"{self.name} is not a results bundle (not a zip file, or truncated)") from err
        try:
            self.manifest = self._check()
        except BaseException:
            self.zip.close()
            raise

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    def fail(self, what: str) -> BundleError:
        return BundleError(f"{self.name}: {what}; nothing imported")

    def _check(self) -> Manifest:
        infos = self.zip.infolist()
        names = [i.filename for i in infos]
        if "manifest.json" not in names:
            raise BundleError(f"{self.name} is not a hinge-kiosk results bundle (no manifest.json)")
        if len(set(names)) != len(names):
            raise self.fail("a member appears twice in the zip")
        for i in infos:
            if not _limit(i.filename):
                raise self.fail(f"{i.filename[:80]!r} is not a member of a results bundle")
            if i.file_size > _limit(i.filename):
                raise self.fail(f"{i.filename} would inflate to {i.file_size >> 20} MB, over its bound")
            if i.flag_bits & 0x1 or i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise self.fail(f"{i.filename} is encrypted or compressed in a way bundles never are")
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise self.fail(f"the members would inflate to over {MAX_TOTAL_BYTES >> 20} MB")
        manifest = self._manifest()
        listed = set(manifest.members)
        if listed != set(names) - {"manifest.json"}:
            extra = sorted((listed ^ set(names)) - {"manifest.json"})
            raise self.fail(f"{extra[0][:80]} is in the zip or the manifest but not both: damaged bundle")
        if not all(f"{t}.jsonl" in listed for t in TABLES) or set(manifest.counts) != set(TABLES):
            raise self.fail("the manifest does not list every table: damaged bundle")
        for name, meta in manifest.members.items():
            n, sha = self._digest(name, meta.bytes)
            if n != meta.bytes or sha != meta.sha256:
                raise self.fail(f"{name} does not match the manifest: damaged or altered bundle")
        return manifest

    def _manifest(self) -> Manifest:
        try:
            with self.zip.open("manifest.json") as f:
                raw = json.loads(f.read(MAX_MANIFEST_BYTES + 1))
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as err:
            raise self.fail(f"damaged or truncated bundle ({err})") from err
        except ValueError as err:
            raise self.fail("manifest.json is not valid JSON: damaged bundle") from err
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise BundleError(f"{self.name} is not a hinge-kiosk results bundle (foreign manifest)")
        if not isinstance(raw.get("version"), int) or raw["version"] > VERSION:
            raise BundleError(f"{self.name} was made by newer kiosk software (bundle version "
                              f"{str(raw.get('version'))[:20]!r}, this reads {VERSION}): update it")
        try:
            return Manifest.model_validate(raw)
        except ValidationError as err:
            raise self.fail(f"manifest.json: {rows.first_error(err)}") from None

    def _digest(self, name: str, declared: int) -> tuple[int, str]:
        """Length and SHA-256 of a member, streamed; reading stops past its declared size."""
        h, n = hashlib.sha256(), 0
        try:
            with self.zip.open(name) as f:
                while chunk := f.read(_CHUNK):
                    n += len(chunk)
                    if n > declared:
                        break
                    h.update(chunk)
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as err:
            raise self.fail(f"{name} is damaged or truncated ({str(err)[:80]})") from err
        return n, h.hexdigest()

    def rows(self, table: str) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, row) of `table`, each checked with rows.py's model (BundleError naming
        member, line and field otherwise); then the count against the manifest."""
        member, n = f"{table}.jsonl", 0
        with self.zip.open(member) as f:
            while line := f.readline(MAX_LINE_BYTES + 1):
                n += 1
                if len(line) > MAX_LINE_BYTES:
                    raise self.fail(f"{member} line {n} is over {MAX_LINE_BYTES >> 10} KiB")
                try:
                    rec = json.loads(line)
                except ValueError:
                    raise self.fail(f"{member} line {n} is not JSON") from None
                png = rec.pop("png", None) if table == "silhouettes" and isinstance(rec, dict) else None
                try:
                    rows.parse_row(table, rec)
                except rows.RowError as err:
                    raise self.fail(f"{member} line {n}: {err}") from None
                if table == "silhouettes" and png != f"silhouettes/{rec['session_id']}.png":
                    raise self.fail(f"{member} line {n}: png: does not name this session's image")
                yield n, rec
        if n != self.manifest.counts[table]:
            raise self.fail(f"{member} has {n} rows, the manifest says {self.manifest.counts[table]}")

    def png(self, session_id: str) -> bytes:
        """A silhouette image (bounded; checked against the manifest already)."""
        name = f"silhouettes/{session_id}.png"
        if name not in self.manifest.members:
            raise self.fail(f"the silhouette image of session {session_id[:8]} is missing")
        with self.zip.open(name) as f:
            data = f.read(MAX_PNG_BYTES + 1)
        if len(data) > MAX_PNG_BYTES or not data.startswith(_PNG_MAGIC):
            raise self.fail(f"{name} is not a PNG of at most 64 KiB")
        return data
