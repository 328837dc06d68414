"""The on-disk module cache: content-addressed, private to its owner, safe under concurrent processes and faults.

Layout under the root (every directory mode 0700)::

    <root>/modules/<key[:2]>/<key>/<module>.so   the compiled module
    <root>/modules/<key[:2]>/<key>/entry.json     its name, size and SHA-256
    <root>/locks/<key>.lock                       one lock per entry (flock)
    <root>/tmp/w-<token>/                         a build in progress; its builder holds the lock of its .owner
    <root>/kernels/, toolchain-*.json             the kernel index (library.py) and compiler probes (notes)
    <root>/failed/<module>.c                      the source of a module gcc rejected, for the bug report

- Atomic: an entry is built in a private temporary directory and published by renaming it into place, so a
  reader never sees half an entry. An entry whose file does not match its recorded size and hash is rebuilt.
- Concurrent: builders of one key take its lock and look again before building, so concurrent processes build
  once; a lock file removed meanwhile (by ``clear``) is noticed and taken anew.
- Private: every operation opens the root anew through ``private_dir`` (the root and each directory above it
  checked, no symbolic link followed) and works relative to that descriptor; a module is loaded through the
  descriptor of the folder whose file's hash was checked (``OpenEntry.loadable``).
- Self-repairing: whatever is missing (the root itself, ``locks/``, ``tmp/``) is made again when needed; a
  temporary directory whose builder is gone (its ``.owner`` lock is free: killed, even by ``kill -9``) is removed
  by the next build, by ``clear`` and when a process opens the cache. ``clear`` leaves builds in progress alone.
- Bounded: waiting for another process's build of the same entry gives up after the build timeout
  (BuildTimeout), and a wait can be cancelled (BuildCancelled).

Filesystem failures of the cache itself are raised as CacheUnusable (UnsafeCacheDir for a directory another
user could change), which the backend turns into a warning and a private temporary cache.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import CacheUnusable, stop_if_due
from .private_dir import DIR_FLAGS, check_private, open_child_dir, open_private_dir

#: the default bound on a build, and on a wait for another process's build (the ``build_timeout`` option)
DEFAULT_BUILD_TIMEOUT_S = 600.0
#: a temporary directory gets its owner lock microseconds after it is made (under a name starting with
#: ``.new-``); one still without it after this long was left by a process that died in between
SETUP_GRACE_S = 60.0
#: the subdirectories made when the cache is opened (the others are made on first use)
SUBDIRS = ("modules", "locks", "tmp")
#: how often a build (or a note's write) is restarted when its directory is removed under it (a whole-cache
#: deletion, a concurrent clear)
_BUILD_ATTEMPTS = 3
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
#: whether a file in an open directory can be named (and so loaded) as /proc/self/fd/N/name
_FD_PATHS = os.path.isdir("/proc/self/fd")


def default_cache_dir() -> Path:
    """``$ARIGNOTE_CACHE_DIR``, else ``$XDG_CACHE_HOME/arignote/c``, else ``~/.cache/arignote/c``."""
    explicit = os.environ.get("ARIGNOTE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "arignote" / "c"


@dataclass(frozen=True)
class Entry:
    """A published module: where its shared library is, and whether this process built it."""

    key: str
    module: str
    path: Path
    built: bool


@dataclass(frozen=True)
class OpenEntry:
    """An intact entry whose folder is held open: ``loadable`` names its library through that folder's descriptor
    (``/proc/self/fd/N/<file>``) for as long as the entry is open, so that the file loaded is the one whose hash
    was checked, wherever the folder has been renamed to meanwhile."""

    entry: Entry
    loadable: str


def cache_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


class ModuleCache:
    """Compiled modules by key, in a private directory."""

    def __init__(self, root: Path) -> None:
        given = Path(os.path.expanduser(root))  # leaves "~" when there is no home directory (Path's would raise)
        if str(given).startswith("~"):
            raise CacheUnusable(errno.ENOENT, f"cache directory {root}: there is no home directory to put it in "
                                f"(HOME is not set and user id {os.getuid()} has none in the password database)")
        self.root = Path(os.path.realpath(given.absolute()))
        for sub in SUBDIRS:
            with self._dirs(sub):
                pass
        self.sweep()

    def entry_dir(self, key: str) -> Path:
        return self.root / "modules" / key[:2] / key

    # -- reading ---------------------------------------------------------------------------------------------

    def lookup(self, key: str) -> Entry | None:
        """The entry for ``key`` if it exists and is intact."""
        with self.open(key) as found:
            return None if found is None else found.entry

    @contextmanager
    def open(self, key: str) -> Iterator[OpenEntry | None]:
        """The entry for ``key``, held open while the block runs, if it exists and is intact (else None)."""
        held = self._open_intact(key)
        try:
            yield None if held is None else held[0]
        finally:
            if held is not None:
                os.close(held[1])

    def _open_intact(self, key: str) -> tuple[OpenEntry, int] | None:
        """The entry for ``key`` if intact, with the descriptor of its folder (which the caller closes)."""
        try:
            with self._dirs("modules", key[:2], create=False) as shard:
                folder = open_child_dir(shard, key, self.entry_dir(key), create=False)
        except OSError:
            return None
        try:
            check_private(folder, self.entry_dir(key))
            meta = json.loads(_read_text(folder, "entry.json"))
            name = meta["file"]
            if _intact(folder, name, meta["size"], meta["sha256"]):
                path = self.entry_dir(key) / name
                return OpenEntry(Entry(key, meta["module"], path, built=False), _loadable(folder, name, path)), folder
        except (OSError, ValueError, KeyError, TypeError):
            pass
        os.close(folder)
        return None

    # -- building --------------------------------------------------------------------------------------------

    def get_or_build(self, key: str, module: str, filename: str, build: Callable[[Path], Path],
                     timeout: float = DEFAULT_BUILD_TIMEOUT_S) -> Entry:
        """The entry for ``key``, built by ``build(workdir) -> library path`` if missing or damaged."""
        with self.obtain(key, module, filename, build, timeout) as found:
            return found.entry

    @contextmanager
    def obtain(self, key: str, module: str, filename: str, build: Callable[[Path], Path],
               timeout: float = DEFAULT_BUILD_TIMEOUT_S, cancel: threading.Event | None = None
               ) -> Iterator[OpenEntry]:
        """The entry for ``key``, held open while the block runs; built by ``build(workdir) -> library path`` if
        missing or damaged. Waits at most ``timeout`` seconds for another builder of the same key."""
        held = self._open_intact(key)
        if held is None:
            with self.lock(key, timeout, cancel):
                held = self._open_intact(key) or self._build(key, module, filename, build)
        try:
            yield held[0]
        finally:
            os.close(held[1])

    def _build(self, key: str, module: str, filename: str, build: Callable[[Path], Path]) -> tuple[OpenEntry, int]:
        self.sweep()
        for _ in range(_BUILD_ATTEMPTS):
            with self.workdir() as work:
                try:
                    return self._publish(key, module, filename, work, build(work))
                except Exception:
                    if work.is_dir():
                        raise
                    # the directory was removed under the build (the whole cache deleted): build again
        raise CacheUnusable(errno.ENOENT, f"the build directory of cache entry {key[:16]} in {self.root} was "
                            f"removed while it was in use, {_BUILD_ATTEMPTS} times in a row")

    @contextmanager
    def workdir(self) -> Iterator[Path]:
        """A new directory under ``tmp/``, marked live (its ``.owner`` locked) until the block ends, then removed.
        It is made as ``.new-<token>`` and renamed once locked, so that a sweeper never takes it for abandoned."""
        token = secrets.token_hex(8)
        fresh, name = f".new-{token}", f"w-{token}"
        with self._dirs("tmp") as tmp:
            with _unusable(f"cannot make a build directory in {self.root / 'tmp'}"):
                os.mkdir(fresh, 0o700, dir_fd=tmp)
                owner = os.open(f"{fresh}/.owner", os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                                0o600, dir_fd=tmp)
            try:
                fcntl.flock(owner, fcntl.LOCK_EX)
                with _unusable(f"cannot make a build directory in {self.root / 'tmp'}"):
                    os.rename(fresh, name, src_dir_fd=tmp, dst_dir_fd=tmp)
                yield self.root / "tmp" / name
            finally:
                shutil.rmtree(name, dir_fd=tmp, ignore_errors=True)
                shutil.rmtree(fresh, dir_fd=tmp, ignore_errors=True)
                os.close(owner)

    def _publish(self, key: str, module: str, filename: str, work: Path, library: Path) -> tuple[OpenEntry, int]:
        """Move the built library into an entry and rename the entry into place; returns it with the descriptor
        of its folder (which the caller closes)."""
        with _unusable(f"cannot publish cache entry {key[:16]} in {self.root}"):
            staged = work / "entry"
            staged.mkdir(mode=0o700)
            os.replace(library, staged / filename)
            folder = os.open(staged, DIR_FLAGS)
            try:
                with open(os.open(filename, _FILE_FLAGS, dir_fd=folder), "rb") as f:
                    meta = {"module": module, "file": filename, "size": os.fstat(f.fileno()).st_size,
                            "sha256": hashlib.file_digest(f, "sha256").hexdigest()}
                (staged / "entry.json").write_text(json.dumps(meta))
                self._place(staged, key)
            except BaseException:
                os.close(folder)
                raise
        path = self.entry_dir(key) / filename
        return OpenEntry(Entry(key, module, path, built=True), _loadable(folder, filename, path)), folder

    def _place(self, staged: Path, key: str) -> None:
        """Rename ``staged`` to the entry's folder. An entry already there is kept if intact (another builder
        published the same module) and replaced if damaged. If the shard keeps vanishing (a clear running), the
        entry stays unpublished: its builder still loads it from the descriptor it holds."""
        for _ in range(3):
            with self._dirs("modules", key[:2]) as shard:
                try:
                    os.rename(staged, key, dst_dir_fd=shard)
                    return
                except FileNotFoundError:
                    if not staged.is_dir():
                        raise
                    continue  # the shard was removed after we opened it: open it again
                except OSError as exc:
                    if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                        raise
                if self._open_intact_close(key):
                    return
                self._discard(shard, key)

    def _open_intact_close(self, key: str) -> bool:
        with self.open(key) as found:
            return found is not None

    @contextmanager
    def lock(self, key: str, timeout: float = DEFAULT_BUILD_TIMEOUT_S,
             cancel: threading.Event | None = None) -> Iterator[None]:
        """Hold the lock of entry ``key``; BuildTimeout after ``timeout`` seconds of waiting for another holder,
        BuildCancelled as soon as ``cancel`` is set."""
        fd = self._acquire(f"{key}.lock", timeout, cancel)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _acquire(self, name: str, timeout: float, cancel: threading.Event | None) -> int:
        deadline = time.monotonic() + timeout
        pause = 0.002
        while True:
            with self._dirs("locks") as locks:
                with _unusable(f"cannot open the lock file {self.root / 'locks' / name}"):
                    fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=locks)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                else:
                    if _same_file(fd, name, locks):
                        return fd
                    os.close(fd)  # removed (by clear) between our open and our lock: take the new one
                    continue
            lock = self.root / "locks" / name
            stop_if_due(cancel, deadline, f"stopped waiting for the lock {lock}",
                        f"waited {timeout:g} s for another process building the same module (it holds {lock}); it "
                        "may be hung. Stop it, or raise the bound with Mode(options={'build_timeout': seconds})")
            if cancel is not None:
                cancel.wait(pause)
            else:
                time.sleep(pause)
            pause = min(pause * 2, 0.05)

    # -- notes: small files (the kernel index, compiler probes, failed sources) ------------------------------

    def read_note(self, name: str) -> str | None:
        """The text of ``<root>/<name>`` (``/``-separated), or None if it is missing or unreadable."""
        *folders, leaf = name.split("/")
        try:
            with self._dirs(*folders, create=False) as folder:
                return _read_text(folder, leaf)
        except (OSError, UnicodeDecodeError):
            return None

    def write_note(self, name: str, text: str) -> Path:
        """Write ``<root>/<name>`` atomically (its folders made as needed); returns its path. A folder that a
        concurrent ``clear`` removes while the note is written is made again, as the build directory is."""
        *folders, leaf = name.split("/")
        for _ in range(_BUILD_ATTEMPTS):
            try:
                with self._dirs(*folders) as folder, _unusable(f"cannot write {self.root / name}"):
                    temporary = f".{leaf}.{os.getpid()}.{threading.get_ident()}"
                    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC,
                                 0o600, dir_fd=folder)
                    with os.fdopen(fd, "w") as out:
                        out.write(text)
                    os.replace(temporary, leaf, src_dir_fd=folder, dst_dir_fd=folder)
                return self.root / name
            except CacheUnusable as exc:
                if exc.errno != errno.ENOENT:
                    raise
        raise CacheUnusable(errno.ENOENT, f"the folder of {self.root / name} was removed while it was written, "
                            f"{_BUILD_ATTEMPTS} times in a row")

    # -- maintenance -----------------------------------------------------------------------------------------

    def info(self) -> dict[str, int | str]:
        """Number of entries, their total size in bytes, and the root."""
        entries = [p for p in (self.root / "modules").glob("*/*") if p.is_dir()]
        size = 0
        for entry in entries:
            for f in entry.glob("*"):
                try:
                    size += f.stat().st_size
                except OSError:
                    pass  # removed meanwhile
        return {"root": str(self.root), "entries": len(entries), "bytes": size}

    def clear(self) -> int:
        """Remove every entry, the kernel index, kept sources, free lock files and abandoned temporary
        directories; returns how many entries were removed. Builds in progress, in any process, are left to
        finish (their directories are live and their locks held)."""
        removed = int(self.info()["entries"])
        with self._dirs() as root:
            for sub in ("modules", "kernels", "failed"):
                self._discard(root, sub)
        with self._dirs("locks") as locks:
            for name in os.listdir(locks):
                _remove_if_free(locks, name)
        self.sweep()
        return removed

    def sweep(self) -> int:
        """Remove the temporary directories whose builder is gone; returns how many. Best effort: what cannot be
        removed stays for the next sweep."""
        removed = 0
        try:
            with self._dirs("tmp") as tmp:
                for name in os.listdir(tmp):
                    if _abandoned(tmp, name):
                        _remove(tmp, name)
                        removed += 1
        except OSError:
            pass
        return removed

    def _discard(self, parent: int, name: str) -> None:
        """Remove ``name`` (in ``parent``) at once for everyone: rename it into ``tmp/``, then delete it there."""
        trash = f".trash-{secrets.token_hex(8)}"
        with self._dirs("tmp") as tmp:
            try:
                os.rename(name, trash, src_dir_fd=parent, dst_dir_fd=tmp)
            except FileNotFoundError:
                return
            _remove(tmp, trash)

    @contextmanager
    def _dirs(self, *names: str, create: bool = True) -> Iterator[int]:
        """A descriptor of ``<root>/<names...>`` (made where missing when ``create``), every level checked."""
        where = self.root
        with _unusable(f"cannot open the cache directory {where}"):
            fd = open_private_dir(where, create)
        try:
            for name in names:
                where = where / name
                with _unusable(f"cannot open {where}"):
                    child = open_child_dir(fd, name, where, create)
                    os.close(fd)
                    fd = child
                    check_private(fd, where)
            yield fd
        finally:
            os.close(fd)


@contextmanager
def _unusable(what: str) -> Iterator[None]:
    """Raise a filesystem failure as CacheUnusable saying ``what`` failed."""
    try:
        yield
    except CacheUnusable:
        raise
    except OSError as exc:
        raise CacheUnusable(exc.errno, f"{what}: {exc.strerror or exc}") from exc


def _read_text(folder: int, name: str) -> str:
    with open(os.open(name, _FILE_FLAGS, dir_fd=folder), encoding="utf-8") as f:
        return f.read()


def _intact(folder: int, name: object, size: object, sha256: object) -> bool:
    """Whether the file ``name`` of an entry's folder has the recorded size and hash."""
    if not isinstance(name, str) or "/" in name or name in ("", ".", ".."):
        return False
    with open(os.open(name, _FILE_FLAGS, dir_fd=folder), "rb") as f:
        return os.fstat(f.fileno()).st_size == size and hashlib.file_digest(f, "sha256").hexdigest() == sha256


def _loadable(folder: int, name: str, path: Path) -> str:
    """A path to the file ``name`` through the descriptor of its (checked) folder: what it names cannot be swapped
    by renaming any directory, and differs for every module (the dynamic loader takes an already loaded path for
    the same library)."""
    return f"/proc/self/fd/{folder}/{name}" if _FD_PATHS else str(path)


def _same_file(fd: int, name: str, folder: int) -> bool:
    """Whether ``name`` in ``folder`` is still the file open as ``fd``."""
    try:
        there = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    here = os.fstat(fd)
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _remove_if_free(folder: int, name: str) -> None:
    """Unlink the lock file ``name`` if nobody holds it (a holder who opened it before notices, see _acquire)."""
    try:
        fd = os.open(name, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if _same_file(fd, name, folder):
            os.unlink(name, dir_fd=folder)
    except OSError:
        pass  # held: a build is using it
    finally:
        os.close(fd)


def _abandoned(tmp: int, name: str) -> bool:
    """Whether ``tmp/<name>`` is left over: not a directory, no live builder holding its ``.owner``, or (during
    its setup, as ``.new-*``) without an owner for longer than SETUP_GRACE_S."""
    try:
        info = os.stat(name, dir_fd=tmp, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return True
    if name.startswith(".new-"):  # being set up: its owner file may exist before its builder has locked it
        return time.time() - info.st_mtime > SETUP_GRACE_S
    try:
        owner = os.open(f"{name}/.owner", os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=tmp)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(owner)


def _remove(folder: int, name: str) -> None:
    try:
        if stat.S_ISDIR(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode):
            shutil.rmtree(name, dir_fd=folder, ignore_errors=True)
        else:
            os.unlink(name, dir_fd=folder)
    except OSError:
        pass
