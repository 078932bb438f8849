"""One scenario run over many seeds: the machinery the reproductions' ``sweep`` commands share
(:mod:`spikerate.masquelier`, :mod:`spikerate.distal_reward`).

- :func:`parse_seeds` reads ``1-100`` or ``1,5,7-9``;
- :func:`run_seed` runs ``spikerate run SCENARIO --set run.seed=S`` into ``OUT/seed_S.h5``,
  keeping a complete file already there;
- :func:`sweep` runs every seed, a few at a time, analyses each file with the reproduction's own
  function and writes ``OUT/summary.csv`` (one row per seed);
- :func:`add_sweep_arguments` and :func:`seeds_of` give a reproduction's ``sweep`` command its
  options (--seeds, --jobs, --out, --scenario, --binary, --set, --force) and check them.
"""
import concurrent.futures
import csv
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import h5py
import numpy as np

REPO = Path(__file__).resolve().parents[2]


def add_sweep_arguments(parser, scenario, seeds="1-10", jobs=1):
    """The options of a ``sweep`` command, with the reproduction's scenario and defaults."""
    parser.add_argument("--seeds", default=seeds, help=f"e.g. 1-10 or 1,3,5-9 (default {seeds})")
    parser.add_argument("--jobs", type=int, default=jobs, help=f"runs at a time (default {jobs})")
    parser.add_argument("--out", type=Path, required=True, help="directory of the run files")
    parser.add_argument("--scenario", type=Path, default=scenario)
    parser.add_argument("--binary", type=Path, default=None,
                        help="spikerate program (default $SPIKERATE_BUILD/spikerate or build/)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="passed on to spikerate run")
    parser.add_argument("--force", action="store_true", help="run seeds that have a complete file")


def seeds_of(args, parser):
    """The seeds of parsed sweep options; a bad --seeds or --jobs ends in parser.error."""
    if args.jobs < 1:
        parser.error("--jobs must be >= 1")
    try:
        return parse_seeds(args.seeds)
    except ValueError as e:
        parser.error(str(e))


def parse_seeds(text):
    """'1-100' or '1,5,7-9' -> [1, ..., 100] / [1, 5, 7, 8, 9]."""
    seeds = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            low, high = (int(x) for x in part.split("-", 1))
            if high < low:
                raise ValueError(f"seed range {part}: the end is below the start")
            seeds.extend(range(low, high + 1))
        elif part:
            seeds.append(int(part))
    if not seeds:
        raise ValueError(f"no seeds in {text!r}")
    return seeds


def default_binary():
    """$SPIKERATE_BUILD/spikerate, or the checkout's build/spikerate."""
    return Path(os.environ.get("SPIKERATE_BUILD", REPO / "build")) / "spikerate"


def is_complete(path):
    """Whether path is a run file marked complete."""
    try:
        with h5py.File(path, "r") as f:
            return bool(f.attrs.get("complete", 0))
    except OSError:
        return False


def run_seed(seed, out_dir, scenario, binary=None, overrides=(), force=False):
    """Runs the scenario with run.seed = seed into out_dir/seed_<seed>.h5 (kept if a complete
    one is there, unless force); returns (path, wall seconds, or None when kept)."""
    path = Path(out_dir) / f"seed_{seed}.h5"
    if not force and is_complete(path):
        return path, None
    command = [str(binary or default_binary()), "run", str(scenario), "-o", str(path), "--force",
               "--set", f"run.seed={seed}"]
    for o in overrides:
        command += ["--set", o]
    start = time.monotonic()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"seed {seed}: {' '.join(command)} failed:\n{done.stderr}")
    return path, time.monotonic() - start


def sweep(seeds, out_dir, analyse, scenario, jobs=2, binary=None, overrides=(), force=False,
          log=sys.stderr):
    """Runs every seed (`jobs` at a time), analyses each run file with analyse(path) (a
    dataclass per run), writes out_dir/summary.csv and returns (results in seed order, mean wall
    seconds of the runs run now, or None when every file was kept)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    walls = []
    paths = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_seed, s, out, scenario, binary, overrides, force): s
                   for s in seeds}
        for n, future in enumerate(concurrent.futures.as_completed(futures), 1):
            path, wall = future.result()
            paths[futures[future]] = path
            if wall is not None:
                walls.append(wall)
            if log is not None:
                took = f"{wall:.1f} s" if wall is not None else "kept"
                print(f"  [{n}/{len(seeds)}] seed {futures[future]}: {took}", file=log,
                      flush=True)
    results = [analyse(paths[s]) for s in seeds]
    with open(out / "summary.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(asdict(results[0])))
        writer.writeheader()
        for r in results:
            writer.writerow(asdict(r))
    return results, (float(np.mean(walls)) if walls else None)
