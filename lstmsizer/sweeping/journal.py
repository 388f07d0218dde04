"""The study journal file, checked before Optuna opens it: a torn last record is repaired.

Optuna's `JournalFileBackend.append_logs` (optuna/storages/journal/_file.py) takes the
journal's lock (the `study.journal.lock` symlink), writes the whole batch, each record ended
by a newline, with one `write` on the file opened for appending, then flushes and fsyncs;
`JournalStorage._write_log` hands it one record at a time. So writers never interleave and
each record goes down in one piece, and a crash mid-write can only leave the last record
torn: a prefix without its newline. `read_logs` skips such a last line, but the next append
would be glued onto it, and that broken line in the middle stops every later read: hence
the repair here, under the same lock, before the storage is opened. A lock left behind by a
crashed writer is broken by Optuna after 30 s without change, so opening may wait that long.
"""

from __future__ import annotations

import json
import os
import shutil
import string
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from optuna.storages.journal import JournalFileSymlinkLock

from lstmsizer.errors import JournalError, LstmsizerWarning

# Every record JournalStorage writes starts so; json.dumps makes the rest printable ASCII.
_RECORD_START = '{"op_code":'
_PRINTABLE = frozenset(string.printable) - frozenset("\n\x0b\x0c")
_BARE = frozenset(string.ascii_letters + string.digits + ",:.+- \t\r")


class TornJournalWarning(LstmsizerWarning):
    """The journal's last record was cut off mid-write; it was dropped and a backup kept."""


@dataclass(frozen=True)
class Damage:
    """Where a journal is damaged: line (1-based), its byte offset, whether it is torn."""

    line: int
    offset: int
    torn: bool
    reason: str = ""


def check_journal(path: Path) -> None:
    """Repair a torn last record of the journal at path; refuse any other damage.

    Raises:
        JournalError: A line other than a torn last record is not a journal record; the
            file's bytes are left as they were.
    """
    if not path.is_file() or _damage(path.read_bytes()) is None:
        return
    lock = JournalFileSymlinkLock(str(path))
    lock.acquire()  # a writer may have been mid-record: look again while none can write
    try:
        damage = _damage(path.read_bytes())
        if damage is None:
            return
        if not damage.torn:
            raise JournalError(
                f"journal {path} is damaged at line {damage.line}: {damage.reason}; it was "
                "left unchanged: restore it from a copy, or move it away to start afresh"
            )
        backup = _backup(path)
        with open(path, "r+b") as file:
            file.truncate(damage.offset)
            os.fsync(file.fileno())
    finally:
        lock.release()
    warnings.warn(
        f"journal {path}: its last record (line {damage.line}) was cut off mid-write, as by "
        f"a crash; dropped it and kept the file as it was in {backup.name}",
        TornJournalWarning,
        stacklevel=2,
    )


def _damage(data: bytes) -> Damage | None:
    """The first damaged line of a journal's bytes, or None when every line is a record."""
    *lines, tail = data.split(b"\n")  # tail: what follows the last newline, b"" if nothing
    offset = 0
    for number, line in enumerate(lines, start=1):
        reason = _not_a_record(line)
        if reason:
            last = number == len(lines) and not tail
            return Damage(number, offset, last and _torn(line), reason)
        offset += len(line) + 1
    if tail:
        reason = _not_a_record(tail) or "the file does not end with a newline"
        return Damage(len(lines) + 1, offset, _torn(tail), reason)
    return None


def _not_a_record(line: bytes) -> str:
    """Why line is not a journal record; empty when it is one."""
    if b"\x00" in line:
        return "it holds NUL bytes, as a disk leaves after losing data"
    try:
        record = json.loads(line)
    except ValueError:  # JSONDecodeError, or UnicodeDecodeError for bytes that are not text
        return "it is not JSON" if line.strip() else "it is empty"
    if not isinstance(record, dict) or "op_code" not in record:
        return "it is JSON but no journal record"
    return ""


def _torn(line: bytes) -> bool:
    """Whether line is the start of a journal record cut off before its end."""
    text = line.decode("ascii", errors="replace").rstrip("\r")
    if not text or not set(text) <= _PRINTABLE:
        return False
    if not (text.startswith(_RECORD_START) or _RECORD_START.startswith(text)):
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:  # a whole record, then more: not a cut-off one
                return False
        elif char not in _BARE:
            return False
    return depth > 0


def _backup(path: Path) -> Path:
    """A copy of path beside it, named <name>.bak-<time>, never over an older backup."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.bak-{stamp}")
    count = 1
    while backup.exists():
        count += 1
        backup = path.with_name(f"{path.name}.bak-{stamp}-{count}")
    shutil.copy2(path, backup)
    return backup
