"""Helpers the benchmark scripts share: running a program with its wall time and peak memory.

Peak memory comes from GNU time (/usr/bin/time, Debian's `time`, installed by bench/setup.sh),
not from wait4 in this process: Linux carries a process's peak RSS across fork and exec, so a
program started directly from a Python process that has loaded numpy and h5py (40-50 MiB) would
report at least that much. GNU time is a few MiB, and that is the floor of what it reports.
"""
import dataclasses
import pathlib
import subprocess
import tempfile
import time

GNU_TIME = "/usr/bin/time"


@dataclasses.dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    wall_s: float        # the process from start to exit
    max_rss_mib: float   # its peak resident memory (GNU time's %M)


def run_measured(command, env=None, cwd=None, check=True):
    """Runs `command` under GNU time and returns what it printed, its wall time and its peak
    resident memory. Raises CalledProcessError (with the output) if check and it failed."""
    command = [str(c) for c in command]
    with tempfile.TemporaryDirectory() as tmp:
        usage = pathlib.Path(tmp) / "usage"
        start = time.perf_counter()
        done = subprocess.run([GNU_TIME, "-f", "%M", "-o", str(usage), *command],
                              capture_output=True, text=True, env=env, cwd=cwd)
        wall = time.perf_counter() - start
        lines = usage.read_text().strip().splitlines() if usage.exists() else []
        # With a failed command GNU time writes "Command exited with non-zero status N" first.
        max_rss_kib = float(lines[-1]) if lines and lines[-1].strip().isdigit() else float("nan")
    result = Measured(done.returncode, done.stdout, done.stderr, wall, max_rss_kib / 1024.0)
    if check and result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, command, result.stdout,
                                            result.stderr)
    return result
