"""Opening a directory that only its owner can change, component by component, so that nobody else can swap it.

Loading a compiled module runs its code, so the cache directory must be one that no other user can change, and
so must every directory above it: a directory writable by another user lets that user rename the one below it
and put their own in its place. Each directory on the way is opened relative to its parent with ``O_NOFOLLOW``
(a symbolic link that appears later is refused, not followed) and checked through the descriptor, so the check
and the use are of the same directory. Symbolic links in the configured path are resolved once, when the cache is
first opened (``os.path.realpath``), and the resolved path is what is walked on each later open.

An ancestor passes when root or the current user owns it and only its owner can write to it, or it has the
sticky bit (as ``/tmp``: others may create entries there but not rename or remove ours). The directory itself
must belong to the current user and be writable by nobody else.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .errors import CacheUnusable, UnsafeCacheDir

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_OTHERS_WRITE = stat.S_IWGRP | stat.S_IWOTH


def open_private_dir(path: Path, create: bool = True) -> int:
    """A descriptor of the directory ``path`` (absolute, already resolved), after checking it and every directory
    above it; missing components are created with mode 0700 when ``create``. The caller closes it."""
    if not path.is_absolute():
        raise ValueError(f"the cache directory must be an absolute path, got {path}")
    fd = os.open("/", DIR_FLAGS)
    try:
        parts = path.parts[1:]
        if not parts:
            check_private(fd, path)
            return fd
        check_ancestor(fd, Path("/"))
        for depth, name in enumerate(parts, start=2):
            where = Path(*path.parts[:depth])
            child = open_child_dir(fd, name, where, create)
            os.close(fd)
            fd = child
            (check_private if depth == len(path.parts) else check_ancestor)(fd, where)
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_child_dir(parent: int, name: str, where: Path, create: bool) -> int:
    """Open the directory ``name`` in ``parent`` without following a symbolic link; create it (0700) if missing."""
    for _ in range(2):
        try:
            return os.open(name, DIR_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                raise
            try:
                os.mkdir(name, 0o700, dir_fd=parent)
            except FileExistsError:
                pass  # made meanwhile by another process: open it
            except OSError as exc:
                raise CacheUnusable(exc.errno, f"cannot create the directory {where}: {exc.strerror}") from exc
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise CacheUnusable(exc.errno, f"cannot open the directory {where}: {exc.strerror}") from exc
            if stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode):
                raise UnsafeCacheDir(f"{where} has become a symbolic link since the cache was opened; refusing to "
                                     "follow it (someone may have swapped the directory)") from exc
            raise CacheUnusable(errno.ENOTDIR, f"{where} is not a directory") from exc
    raise CacheUnusable(errno.ENOENT, f"the directory {where} keeps disappearing")


def check_ancestor(fd: int, where: Path) -> None:
    """A directory above the cache: owned by root or by us, and writable only by its owner unless sticky."""
    info = os.fstat(fd)
    if info.st_uid not in (0, os.getuid()):
        raise UnsafeCacheDir(f"{where}, above the cache directory, belongs to user id {info.st_uid}, neither you "
                             f"({os.getuid()}) nor root: that user could replace the cache directory with their own. "
                             "Choose another directory with Mode(options={'cache_dir': ...}) or ARIGNOTE_CACHE_DIR")
    if info.st_mode & _OTHERS_WRITE and not info.st_mode & stat.S_ISVTX:
        raise UnsafeCacheDir(f"{where}, above the cache directory, is writable by other users without the sticky "
                             f"bit (mode {stat.S_IMODE(info.st_mode):o}): any of them could replace the cache "
                             f"directory with their own. Fix it with: chmod o-w,g-w {where} (or chmod +t), or choose "
                             "another directory with Mode(options={'cache_dir': ...}) or ARIGNOTE_CACHE_DIR")


def check_private(fd: int, where: Path) -> None:
    """The cache directory itself (or one inside it): ours and writable by nobody else."""
    info = os.fstat(fd)
    if info.st_uid != os.getuid():
        raise UnsafeCacheDir(f"cache directory {where} belongs to user id {info.st_uid}, not to you "
                             f"({os.getuid()}); refusing to load compiled code from it. Choose another directory "
                             "with Mode(options={'cache_dir': ...}) or ARIGNOTE_CACHE_DIR")
    if info.st_mode & _OTHERS_WRITE:
        raise UnsafeCacheDir(f"cache directory {where} is writable by other users (mode "
                             f"{stat.S_IMODE(info.st_mode):o}); refusing to load compiled code from it. Fix it "
                             f"with: chmod 700 {where}")
