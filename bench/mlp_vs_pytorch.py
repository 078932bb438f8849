"""MLP benchmark: spikerate against PyTorch (on OpenBLAS) on the same work, in the same run.

Trains 784-100-10 (ReLU, softmax cross-entropy, SGD momentum 0.9, lr 0.1, batch 64) on MNIST
for 5 epochs, in spikerate (bench/scenarios/mlp_784_100_10.toml) and in PyTorch
(bench/mlp_pytorch.py), alternating the two, for each thread count, and prints wall time per
epoch (the training loop only), their ratio and the test accuracies. Writes the figures as JSON.

    make bench-mlp                      # or, after `make build` and `bash bench/setup.sh`:
    /usr/bin/python3 bench/mlp_vs_pytorch.py --repeats 3 --threads 1 2
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

import h5py

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from benchlib import run_measured  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run_spikerate(build, mnist, threads, epochs, out_dir):
    out = pathlib.Path(out_dir) / f"mlp_{threads}.h5"
    command = [str(build / "spikerate"), "run", str(ROOT / "bench/scenarios/mlp_784_100_10.toml"),
               "-o", str(out), "--force",
               "--set", f"rate.mlp.threads={threads}",
               "--set", f"training.examples={60000 * epochs}",
               "--set", f'task.data_dir="{mnist}"',
               "--set", "run.wall_times=true"]  # training_seconds in the output
    # Eigen's OpenMP threads migrate between the cores unless bound: with 2 threads here,
    # about 0.50 s per epoch unbound and 0.39 s bound. PyTorch is run unbound: binding made it
    # slower (0.80 -> 1.07 s), since OpenBLAS's own threads then compete for the same cores.
    env = dict(os.environ, OMP_PROC_BIND="true") if threads > 1 else None
    result = run_measured(command, env=env)
    with h5py.File(out, "r") as f:
        accuracy = f["metrics/rate/mlp/curve/test_accuracy"][:].tolist()
        train_seconds = float(f["metrics/rate/mlp/training_seconds"][()])  # training loop only
    return {"epoch_seconds": train_seconds / epochs, "test_accuracy": accuracy,
            "peak_rss_mib": result.max_rss_mib, "process_seconds": result.wall_s}


def run_pytorch(openblas, mnist, threads, epochs):
    env = dict(os.environ, LD_LIBRARY_PATH=str(openblas), OMP_NUM_THREADS=str(threads))
    command = ["/usr/bin/python3", str(ROOT / "bench/mlp_pytorch.py"), "--mnist", str(mnist),
               "--epochs", str(epochs), "--threads", str(threads)]
    result = run_measured(command, env=env)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return {"epoch_seconds": statistics.mean(figures["epoch_seconds"]),
            "test_accuracy": figures["test_accuracy"], "blas": figures["blas"],
            "peak_rss_mib": result.max_rss_mib, "process_seconds": result.wall_s}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--mnist", default=str(ROOT / "data/cache/mnist"))
    parser.add_argument("--openblas", help="directory holding OpenBLAS's libblas.so.3 "
                        "(default: what bench/setup.sh prints)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--json", default=str(ROOT / "build/bench/mlp_vs_pytorch.json"))
    args = parser.parse_args()

    openblas = args.openblas or subprocess.run(
        ["bash", str(ROOT / "bench/setup.sh")], capture_output=True, text=True,
        check=True).stdout.strip().splitlines()[-1]
    if not (pathlib.Path(openblas) / "libblas.so.3").exists():
        sys.exit(f"mlp_vs_pytorch: no libblas.so.3 in {openblas}; run bench/setup.sh")
    build = pathlib.Path(args.build)

    results = []
    with tempfile.TemporaryDirectory() as out_dir:
        for threads in args.threads:
            ours, theirs = [], []
            for repeat in range(args.repeats):  # alternate, so both see the same machine state
                ours.append(run_spikerate(build, args.mnist, threads, args.epochs, out_dir))
                theirs.append(run_pytorch(openblas, args.mnist, threads, args.epochs))
                print(f"  threads {threads}, repeat {repeat + 1}: spikerate "
                      f"{ours[-1]['epoch_seconds']:.3f} s/epoch, PyTorch "
                      f"{theirs[-1]['epoch_seconds']:.3f} s/epoch", file=sys.stderr)
            s = statistics.median(r["epoch_seconds"] for r in ours)
            p = statistics.median(r["epoch_seconds"] for r in theirs)
            results.append({
                "threads": threads,
                "spikerate_epoch_seconds": [r["epoch_seconds"] for r in ours],
                "pytorch_epoch_seconds": [r["epoch_seconds"] for r in theirs],
                "spikerate_median_epoch_seconds": s,
                "pytorch_median_epoch_seconds": p,
                "ratio_spikerate_over_pytorch": s / p,
                "spikerate_test_accuracy": [r["test_accuracy"] for r in ours],
                "pytorch_test_accuracy": [r["test_accuracy"] for r in theirs],
                "spikerate_peak_rss_mib": max(r["peak_rss_mib"] for r in ours),
                "pytorch_peak_rss_mib": max(r["peak_rss_mib"] for r in theirs),
                "spikerate_process_seconds": [r["process_seconds"] for r in ours],
                "pytorch_process_seconds": [r["process_seconds"] for r in theirs],
            })

    print(f"MLP 784-100-10, {args.epochs} epochs of MNIST, batch 64, momentum SGD; median of "
          f"{args.repeats} alternating runs; PyTorch on OpenBLAS ({openblas}); spikerate with "
          f"OMP_PROC_BIND=true when threads > 1")
    print(f"{'threads':>7} {'spikerate s/epoch':>18} {'PyTorch s/epoch':>16} {'ratio':>7} "
          f"{'spikerate acc [%] (1st, last epoch)':>36} {'PyTorch acc [%]':>18}")
    for r in results:
        sa = [a for run in r["spikerate_test_accuracy"] for a in run[-1:]]
        pa = [a for run in r["pytorch_test_accuracy"] for a in run[-1:]]
        s1 = statistics.mean(run[0] for run in r["spikerate_test_accuracy"])
        p1 = statistics.mean(run[0] for run in r["pytorch_test_accuracy"])
        print(f"{r['threads']:>7} {r['spikerate_median_epoch_seconds']:>18.3f} "
              f"{r['pytorch_median_epoch_seconds']:>16.3f} {r['ratio_spikerate_over_pytorch']:>7.2f} "
              f"{100 * s1:>17.2f}, {100 * statistics.mean(sa):>5.2f} "
              f"{100 * p1:>10.2f}, {100 * statistics.mean(pa):>5.2f}")
    pathlib.Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.json).write_text(json.dumps({"epochs": args.epochs, "results": results},
                                                  indent=2) + "\n")
    print(f"figures: {args.json}")


if __name__ == "__main__":
    main()
