"""Files written whole: atomic writes, into folders checked before anything is created."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from lstmsizer.errors import OptionError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, exclusive: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` in one rename.

    The temporary name is hidden and keeps the suffix, so writers that pick a format from it
    (matplotlib's savefig, pandas' compression) behave as with the real name. The writer
    creates the file itself, so it gets the usual permissions. On an exception the temporary
    file is removed and `path` is left as it was.

    Args:
        path: The file to write.
        exclusive: Only create `path`: raise FileExistsError, leaving it untouched, when it
            exists (two processes racing to create it: exactly one wins).

    Yields:
        The temporary path to write to.
    """
    target = Path(path)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}{target.suffix}")
    try:
        yield temp
        with open(temp, "rb+") as written:  # durable before it becomes visible
            os.fsync(written.fileno())
        if exclusive:
            _link(temp, target)
        else:
            os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _link(temp: Path, target: Path) -> None:
    """Give temp the name target unless target exists (FileExistsError)."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: create exclusively, then fill
        with open(target, "xb") as created:
            created.write(temp.read_bytes())


def write_text(path: str | os.PathLike[str], text: str, *, exclusive: bool = False) -> Path:
    """Write `text` (UTF-8) to `path` atomically; see atomic_write.

    Returns:
        The path written.
    """
    with atomic_write(path, exclusive=exclusive) as temp:
        temp.write_text(text, encoding="utf-8")
    return Path(path)


def check_writable(argument: str, path: str | os.PathLike[str]) -> None:
    """Raise OptionError unless `path` is a folder, or can be made one, that can be written to.

    Nothing is created: the nearest existing ancestor must be a folder this user may write to.

    Args:
        argument: The option the path came from, named in the message (e.g. "out").
        path: The folder to check.
    """
    folder = Path(path)
    if os.path.lexists(folder) and not folder.is_dir():
        raise OptionError(f"{argument} must be a folder, got {str(folder)!r}, which is a file")
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OptionError(
            f"{argument} must be a folder, got {str(folder)!r}, but {str(existing)!r} is a file"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OptionError(
            f"{argument} must be a folder this user can write to, got {str(folder)!r}, "
            f"but {str(existing)!r} is not writable"
        )
