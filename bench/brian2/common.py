"""What the Brian2 benchmark scripts share: the cpp_standalone set-up, the timings and peak memory
of the compiled simulation, and the one-line JSON report that bench/run reads.

Timings of a cpp_standalone run, in seconds:
  codegen_s   Python: building the objects and generating the C++ code (device.build up to make)
  compile_s   make (g++), the first time about 20 s, less when the directory already holds the
              objects of an identical project
  binary_s    the compiled program from start to exit: loading arrays, creating synapses,
              simulating, writing results
  run_s       the simulation loop alone, as the program measures it (Brian2's _last_run_time):
              what bench/run compares with spikerate's simulation phase
and max_rss_mib, the peak resident memory of the compiled program alone (not of Python or g++):
the program runs under GNU time (/usr/bin/time), which writes it to results/rusage.json.
"""
import json
import os
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_OUT = ROOT / "build" / "bench" / "brian2"


def use_standalone(directory, threads=1):
    """Selects cpp_standalone with `threads` OpenMP threads (1: no OpenMP at all)."""
    import brian2
    brian2.set_device("cpp_standalone", directory=str(directory), build_on_run=False)
    brian2.prefs.devices.cpp_standalone.openmp_threads = 0 if threads <= 1 else threads
    brian2.prefs.devices.cpp_standalone.run_cmd_unix = [
        "/usr/bin/time", "-o", "results/rusage.json", "-f",
        '{"max_rss_kib": %M, "wall_s": %e, "user_s": %U, "system_s": %S}', "./main"]
    brian2.prefs.logging.file_log = False
    brian2.prefs.logging.delete_log_on_exit = True


def build_and_run(directory, started):
    """device.build for the network defined so far; returns the timings described above.
    `started` is time.perf_counter() at the start of the script's network definition."""
    import brian2
    device = brian2.get_device()
    before_build = time.perf_counter()
    device.build(directory=str(directory), compile=True, run=True, with_output=False)
    total = time.perf_counter() - before_build
    compile_s = sum(v for v in device.timers["compile"].values() if v)
    binary_s = device.timers["run_binary"]
    usage = json.loads((pathlib.Path(directory) / "results" / "rusage.json").read_text())
    return {
        "codegen_s": (before_build - started) + (total - compile_s - binary_s),
        "compile_s": compile_s,
        "binary_s": binary_s,
        "run_s": float(device._last_run_time),
        "max_rss_mib": usage["max_rss_kib"] / 1024.0,
        "brian2_version": brian2.__version__,
        "threads": max(1, brian2.prefs.devices.cpp_standalone.openmp_threads),
    }


def report(result, out=None):
    """Prints `result` as one JSON line (the last line of stdout) and writes it to `out`."""
    text = json.dumps(result)
    if out:
        pathlib.Path(out).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(out).write_text(json.dumps(result, indent=2) + "\n")
    print(text)
    sys.stdout.flush()


def standard_arguments(parser, name):
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1,
                        help="OpenMP threads of the standalone program (default 1: no OpenMP)")
    parser.add_argument("--directory", default=None,
                        help=f"standalone project directory (default {DEFAULT_OUT}/{name}_<threads>t)")
    parser.add_argument("--out", default=None, help="also write the JSON report to this file")


def directory_for(args, name):
    if args.directory:
        return pathlib.Path(args.directory)
    return DEFAULT_OUT / f"{name}_{args.threads}t"


def quiet_brian():
    """Brian2's INFO messages (method choice, ...) to nowhere: stdout carries the report."""
    import brian2
    brian2.BrianLogger.log_level_warn()
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
