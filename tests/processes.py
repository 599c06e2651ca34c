"""The machine's processes as the tests see them, from /proc (Linux)."""

from pathlib import Path


def table() -> dict[int, tuple[int, str]]:
    """Every process: its parent's id and its state (R: running)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rpartition(")")[2].split()[:2]
        except (OSError, ValueError):
            continue
        found[int(stat.parent.name)] = (int(parent), state)
    return found


def descendants(pid: int) -> list[int]:
    """Children, grandchildren... of PID."""
    processes = table()
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, (ppid, _) in processes.items() if ppid == parent]
        found += children
        frontier += children
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pids: list[int]) -> list[int]:
    """Those of PIDS still running (a zombie has ended)."""
    processes = table()
    return [pid for pid in pids if pid in processes and processes[pid][1] != "Z"]
