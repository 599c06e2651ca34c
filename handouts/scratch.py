"""A private temporary folder for each `serve` or `build`, removed on exit, and those of
runs that were killed removed at the next start.

Everything a run and its processes put in the temporary folder (multiprocessing's
socket folder, WeasyPrint's folders, the batch progress files) goes into
TMP/handouts-run-<pid>: a killed run leaves one folder whose owner is plainly gone,
instead of anonymous pymp-* and weasyprint-* folders nobody can safely remove.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from .errors import HandoutsError
from .fontlock import CACHE_DIR  # fixed first: it outlives the run, outside its folder

PREFIX = "handouts-run-"
# A Unix socket's path is at most 107 bytes; the fork server's adds 18 to the folder's.
SOCKET_FOLDER_LIMIT = 88


def use_private_temp() -> Path:
    """Point this process and the processes it starts at a fresh private folder; remove
    the folders of earlier runs whose process has ended. Idempotent."""
    current = os.environ.get("HANDOUTS_RUN_DIR")
    if current and Path(current).name == f"{PREFIX}{os.getpid()}":
        return Path(current)
    os.environ["HANDOUTS_FONTCONFIG_CACHE"] = str(CACHE_DIR)  # kept where it was
    from .worker_pool import use_temp_folder

    base = Path(tempfile.gettempdir())
    remove_stale(base)
    folder = base / f"{PREFIX}{os.getpid()}"
    if len(str(folder)) > SOCKET_FOLDER_LIMIT:
        raise HandoutsError(
            f"the temporary folder {base} has too long a path ({len(str(base))} characters) "
            "for the render processes' socket; set TMPDIR to a shorter one, such as /tmp"
        )
    folder.mkdir(mode=0o700, exist_ok=True)
    use_temp_folder(str(folder))
    os.environ["HANDOUTS_RUN_DIR"] = str(folder)
    os.environ["TMPDIR"] = str(folder)  # the fork server and workers start from this
    tempfile.tempdir = str(folder)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def remove_stale(base: Path) -> list[Path]:
    """Remove BASE/handouts-run-<pid> folders of ours whose process no longer runs."""
    removed = []
    for folder in base.glob(f"{PREFIX}*"):
        pid = folder.name.removeprefix(PREFIX)
        try:
            if not pid.isdigit() or folder.lstat().st_uid != os.getuid() or running(int(pid)):
                continue
        except OSError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: not ours to judge
        return True
    return True
