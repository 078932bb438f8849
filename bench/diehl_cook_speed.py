"""Diehl & Cook training speed: seconds per training example and the projected wall time of one
60,000-example epoch, for 100 and 400 excitatory neurons, one core.

Runs `spikerate run` on data/scenarios/diehl_cook_<n>.toml shortened to a few hundred training
examples (evaluation cut to 100 labelling and 100 test digits, not timed), with the retry rule
on (the protocol) and off (max_presentations = 1, as Brian2's standalone reference runs it),
and reads the training time from the output file. It measures spikerate alone, so it prints no
ratio: for Brian2 measured in the same invocation, run `bench/run --cases dc`.

    make build mnist && /usr/bin/python3 bench/diehl_cook_speed.py --examples 300
"""
import argparse
import json
import pathlib
import subprocess
import tempfile

import h5py

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET_EPOCH_S = 6 * 60  # issue 5: one 400-neuron epoch in under 6 minutes on one core


def run(build, n_exc, examples, retry, out_dir):
    out = pathlib.Path(out_dir) / f"dc_{n_exc}_{retry}.h5"
    command = [str(build / "spikerate"), "run", str(ROOT / f"data/scenarios/diehl_cook_{n_exc}.toml"),
               "-o", str(out), "--force", "--quiet",
               "--set", f"training.examples={examples}",
               "--set", "training.evaluate_at=[]",
               "--set", "training.weights_every=0",
               "--set", "task.test_examples=100",
               "--set", "spiking.stdp.assignment_examples=100",
               "--set", "spiking.stdp.spike_windows=[]",
               "--set", "spiking.stdp.threads=1",
               "--set", "run.wall_times=true"]  # training_seconds in the output
    if not retry:
        command += ["--set", "spiking.stdp.max_presentations=1"]
    subprocess.run(command, check=True, capture_output=True, text=True)
    with h5py.File(out, "r") as f:
        base = "metrics/spiking/stdp/"
        seconds = float(f[base + "training_seconds"][()])
        presentations = int(f[base + "operations/training/presentations"][()])
        events = float(f[base + "operations/training/synaptic_events_per_example"][()])
    return {"n_exc": n_exc, "retry": retry, "examples": examples,
            "seconds_per_example": seconds / examples,
            "presentations_per_example": presentations / examples,
            "synaptic_events_per_example": events}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--json", default=str(ROOT / "build/bench/diehl_cook_speed.json"))
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n_exc in args.sizes:
            for retry in (True, False):
                results.append(run(pathlib.Path(args.build), n_exc, args.examples, retry, tmp))
    print(f"Diehl & Cook training, one core, {args.examples} examples per row (evaluation not timed)")
    print(f"{'n_exc':>6} {'retry':>6} {'ms/example':>11} {'pres./ex':>9} {'syn.ev./ex':>11} "
          f"{'epoch [min]':>12}")
    for r in results:
        ms = 1e3 * r["seconds_per_example"]
        r["epoch_minutes"] = 60000 * r["seconds_per_example"] / 60
        print(f"{r['n_exc']:>6} {str(r['retry']):>6} {ms:>11.2f} {r['presentations_per_example']:>9.2f} "
              f"{r['synaptic_events_per_example']:>11.0f} {r['epoch_minutes']:>12.1f}")
    target = [r for r in results if r["n_exc"] == 400 and r["retry"]]
    if target:
        epoch_s = 60000 * target[0]["seconds_per_example"]
        print(f"400-neuron epoch with retries: {epoch_s / 60:.1f} min; target < {TARGET_EPOCH_S / 60:.0f} min: "
              f"{'met' if epoch_s < TARGET_EPOCH_S else 'NOT met'}")
    pathlib.Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"figures: {args.json}")


if __name__ == "__main__":
    main()
