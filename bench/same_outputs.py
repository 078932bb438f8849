#!/usr/bin/python3
"""Runs the shipped scenarios (short versions of the long ones) with one spikerate binary, and
compares two such sets of outputs dataset by dataset: a refactor changes no bit.

    bench/same_outputs.py run BINARY DIR          # writes DIR/<case>.h5 and DIR/<case>.out
    bench/same_outputs.py compare DIR_A DIR_B      # exit 0 when every file is the same

Compared: every dataset's dtype, shape and bytes and every attribute, group by group; the
wall-clock datasets (names ending in _seconds) are compared by dtype and shape only, as two runs
never take the same time. The printed summaries (.out) are not compared: they hold wall times.
"""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
S = REPO / "data" / "scenarios"

# (case, scenario, overrides): every shipped scenario, the long ones shortened.
SHORT_DC = ["training.examples=200", "training.evaluate_at=[100,200]", "training.weights_every=100",
            "spiking.stdp.assignment_examples=100", "task.test_examples=200",
            "spiking.stdp.spike_windows=[0,5,190,200]"]
CASES = [
    ("coba", S / "coba.toml", []),
    ("coba_dopri5", S / "coba.toml", ["run.duration_ms=200", 'populations.exc.integration="dopri5"']),
    ("cuba", S / "cuba.toml", []),
    ("cuba_precise", S / "cuba.toml", ['run.mode="precise"', "run.duration_ms=300"]),
    ("stdp_song2000", S / "stdp_song2000.toml", []),
    ("stdp_pairing", REPO / "analysis" / "scenarios" / "stdp_pairing.toml", []),
    ("stdp_vs_backprop", S / "stdp_vs_backprop.toml", []),
    ("mlp_mnist", S / "mlp_mnist.toml", ["training.examples=120000"]),
    ("diehl_cook_100", S / "diehl_cook_100.toml", SHORT_DC),
    ("diehl_cook_400", S / "diehl_cook_400.toml", SHORT_DC),
    ("diehl_cook_euler", S / "diehl_cook_100.toml", SHORT_DC + ['spiking.stdp.integration="euler"']),
    ("bench_dc", REPO / "bench" / "scenarios" / "diehl_cook.toml", ["training.examples=50"]),
    ("bench_mlp", REPO / "bench" / "scenarios" / "mlp_784_100_10.toml", ["training.examples=60000"]),
]


def run(binary, out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for case, scenario, overrides in CASES:
        args = [str(binary), "run", str(scenario), "-o", str(out_dir / f"{case}.h5"), "--force"]
        for o in overrides:
            args += ["--set", o]
        print(f"{case}: {' '.join(args[1:])}", flush=True)
        done = subprocess.run(args, capture_output=True, text=True)
        (out_dir / f"{case}.out").write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            sys.exit(f"{case}: exit {done.returncode}\n{done.stderr}")


def contents(path):
    import h5py
    import numpy as np

    found = {}

    def as_bytes(value):
        # Variable-length strings come back as object arrays, whose raw bytes are pointers:
        # compare their values (and shape) instead.
        array = np.asarray(value)
        if array.dtype.kind == "O":
            items = [v.decode() if isinstance(v, bytes) else v for v in array.ravel()]
            return repr((array.shape, items)).encode()
        return array.dtype.str.encode() + array.tobytes()

    def visit(name, obj):
        attrs = {key: as_bytes(value) for key, value in obj.attrs.items()}
        if isinstance(obj, h5py.Dataset):
            data = None if name.endswith("_seconds") else as_bytes(obj[()])
            found[name] = (obj.dtype.str, obj.shape, data, attrs)
        else:
            found[name] = ("group", attrs)

    with h5py.File(path, "r") as f:
        visit("/", f)
        f.visititems(visit)
    return found


def compare(dir_a, dir_b):
    failures = 0
    for case, _, _ in CASES:
        a, b = Path(dir_a) / f"{case}.h5", Path(dir_b) / f"{case}.h5"
        ca, cb = contents(a), contents(b)
        differing = sorted(k for k in set(ca) | set(cb) if ca.get(k) != cb.get(k))
        if differing:
            failures += 1
            print(f"{case}: {len(differing)} differ: {', '.join(differing[:8])}")
        else:
            print(f"{case}: identical ({len(ca)} groups and datasets)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
