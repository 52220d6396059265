"""Output files: checked before anything is computed, written to a temporary name in the same
folder and renamed into place, so a crash leaves no half file; an existing file is kept unless
the command is given --force. Every refusal is an OutputError (a ValueError) naming the option
and the rule, one line."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from programs.safeload import quote


class OutputError(ValueError):
    def __init__(self, field: str, rule: str, message: str) -> None:
        self.field, self.rule = field, rule
        super().__init__(f"{field}: {message} (rule: {rule})")


def check_output(path: Path | str, *, field: str, force: bool = False) -> Path:
    """`path` as a place to write a new file, or OutputError: a directory, a missing or
    unwritable folder, a special file, or an existing file without `force`."""
    target = Path(path)
    shown = quote(str(target), 80)
    if str(target) in ("", "."):
        raise OutputError(field, "output_path", "give a file name")
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(
            field, "output_unwritable", f"{shown} cannot be used ({exc.strerror})"
        ) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputError(field, "output_is_directory", f"{shown} is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(field, "output_not_regular", f"{shown} is not a regular file")
        if not force:
            raise OutputError(field, "output_exists", f"{shown} exists; pass --force to replace it")
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(field, "output_folder_missing", f"the folder of {shown} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(field, "output_unwritable", f"the folder of {shown} is not writable")
    try:  # what access() cannot tell (/proc, a read-only mount, root's view of permissions)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".probe.", suffix=".part")
    except OSError as exc:
        raise OutputError(
            field, "output_unwritable", f"{shown} cannot be written ({exc.strerror})"
        ) from None
    os.close(handle)
    os.unlink(probe)
    return target


def write_output(
    path: Path | str, write: Callable[[Path], object], *, field: str, force: bool = False
) -> Path:
    """Check `path`, let `write` fill a temporary file beside it, then rename it into place
    (atomically; without `force` an existing file is never replaced, even one that appeared
    meanwhile). Returns the path written."""
    target = check_output(path, field=field, force=force)
    try:
        handle, temp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name[:40]}.", suffix=".part"
        )
    except OSError as exc:
        raise OutputError(
            field,
            "output_unwritable",
            f"{quote(str(target), 80)} cannot be written ({exc.strerror})",
        ) from None
    os.close(handle)
    temp = Path(temp_name)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(temp, 0o666 & ~mask)  # as an ordinary new file, not mkstemp's 0600
    try:
        write(temp)
        with temp.open("rb+") as written:
            os.fsync(written.fileno())
        if force:
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)  # fails if the name exists: nothing is overwritten
            except FileExistsError:
                raise OutputError(
                    field,
                    "output_exists",
                    f"{quote(str(target), 80)} exists; pass --force to replace it",
                ) from None
            except OSError:  # a file system without hard links
                if target.exists():
                    raise OutputError(
                        field,
                        "output_exists",
                        f"{quote(str(target), 80)} exists; pass --force to replace it",
                    ) from None
                os.replace(temp, target)
    except OSError as exc:
        raise OutputError(
            field,
            "output_unwritable",
            f"{quote(str(target), 80)} cannot be written ({exc.strerror})",
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return target
