"""The on-disk module cache: content-addressed, private to its owner, safe under concurrent processes.

Layout under the root (created with mode 0700)::

    <root>/modules/<key[:2]>/<key>/<module>.so   the compiled module
    <root>/modules/<key[:2]>/<key>/entry.json     its name, size and SHA-256
    <root>/locks/<key>.lock                       one lock per entry (flock)
    <root>/tmp/                                   builds in progress

An entry is built in a private temporary directory and published by renaming that directory into place, so a
reader never sees half an entry. Builders of the same key take the entry's lock and look again before
building, so concurrent processes build once. An entry whose file does not match its recorded size and hash is
damaged: it is removed and rebuilt. The root must belong to the current user and be writable by nobody else;
otherwise it is refused (UnsafeCacheDir), since a module loaded from it runs as that user.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class UnsafeCacheDir(PermissionError):
    """The cache directory is owned by another user or writable by others."""


def default_cache_dir() -> Path:
    """``$ARIGNOTE_CACHE_DIR``, else ``$XDG_CACHE_HOME/arignote/c``, else ``~/.cache/arignote/c``."""
    explicit = os.environ.get("ARIGNOTE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "arignote" / "c"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) if needed and check that it is ours and not writable by others."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise UnsafeCacheDir(f"cache directory {path} is not a plain directory")
    if info.st_uid != os.getuid():
        raise UnsafeCacheDir(f"cache directory {path} belongs to user id {info.st_uid}, not to you "
                             f"({os.getuid()}); refusing to load compiled code from it. Choose another directory "
                             "with Mode(options={'cache_dir': ...}) or ARIGNOTE_CACHE_DIR")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        mode = stat.S_IMODE(info.st_mode)
        raise UnsafeCacheDir(f"cache directory {path} is writable by other users (mode {mode:o}); "
                             f"refusing to load compiled code from it. Fix it with: chmod 700 {path}")
    return path


@dataclass(frozen=True)
class Entry:
    """A published module: where its shared library is, and whether this process built it."""

    key: str
    module: str
    path: Path
    built: bool


def cache_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class ModuleCache:
    """Compiled modules by key, in a private directory."""

    def __init__(self, root: Path) -> None:
        self.root = ensure_private_dir(Path(root))
        for sub in ("modules", "locks", "tmp"):
            ensure_private_dir(self.root / sub)

    def entry_dir(self, key: str) -> Path:
        return self.root / "modules" / key[:2] / key

    def lookup(self, key: str) -> Entry | None:
        """The entry for ``key`` if it exists and is intact."""
        folder = self.entry_dir(key)
        try:
            meta = json.loads((folder / "entry.json").read_text())
            path = folder / meta["file"]
            if path.stat().st_size != meta["size"] or _sha256(path) != meta["sha256"]:
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return Entry(key, meta["module"], path, built=False)

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        fd = os.open(self.root / "locks" / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def get_or_build(self, key: str, module: str, filename: str, build: Callable[[Path], Path]) -> Entry:
        """The entry for ``key``, built by ``build(workdir) -> library path`` if missing or damaged."""
        found = self.lookup(key)
        if found is not None:
            return found
        with self.lock(key):
            found = self.lookup(key)
            if found is not None:
                return found
            folder = self.entry_dir(key)
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)  # damaged: rebuild it
            work = Path(tempfile.mkdtemp(prefix=f"{key[:12]}-", dir=self.root / "tmp"))
            try:
                library = build(work)
                staged = work / "entry"
                staged.mkdir()
                final_lib = staged / filename
                os.replace(library, final_lib)
                meta = {"module": module, "file": filename, "size": final_lib.stat().st_size,
                        "sha256": _sha256(final_lib)}
                (staged / "entry.json").write_text(json.dumps(meta))
                folder.parent.mkdir(mode=0o700, exist_ok=True)
                os.replace(staged, folder)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            return Entry(key, module, folder / filename, built=True)

    # -- maintenance ---------------------------------------------------------------------------------------

    def info(self) -> dict[str, int | str]:
        """Number of entries, their total size in bytes, and the root."""
        entries = [p for p in (self.root / "modules").glob("*/*") if p.is_dir()]
        size = sum(f.stat().st_size for e in entries for f in e.iterdir() if f.is_file())
        return {"root": str(self.root), "entries": len(entries), "bytes": size}

    def clear(self) -> int:
        """Remove every entry (and stale temporary builds); returns how many entries were removed."""
        entries = [p for p in (self.root / "modules").glob("*/*") if p.is_dir()]
        for sub in ("modules", "tmp", "locks"):
            shutil.rmtree(self.root / sub, ignore_errors=True)
            ensure_private_dir(self.root / sub)
        return len(entries)
