"""Diehl & Cook training in spikerate and in Brian2, side by side: do the two simulators learn the
same thing from the same protocol?

Reads the file bench/brian2/diehl_cook.py writes (--out) and a spikerate run of the same
protocol (no retry rule, digits in data-set order, every excitatory spike recorded), and prints,
for both: excitatory spikes per example and the share of presentations under 5 spikes per
1,000 examples, the online accuracy the released code reports during training (neurons labelled
from the previous window's responses, the next window classified with those labels), the
number of receptive fields with a weight above 0.35, and the median theta.

    N=100; E=6000
    /usr/bin/python3 bench/brian2/diehl_cook.py --n-exc $N --examples $E --out build/bench/b2.h5
    build/spikerate run data/scenarios/diehl_cook_100.toml -o build/bench/sr.h5 --force \\
        --set spiking.stdp.n_exc=$N --set training.examples=$E --set "training.evaluate_at=[]" \\
        --set task.shuffle=false --set spiking.stdp.max_presentations=1 \\
        --set "spiking.stdp.spike_windows=[0,$E]" --set training.weights_every=$E \\
        --set task.test_examples=10 --set spiking.stdp.assignment_examples=10
    /usr/bin/python3 bench/compare_diehl_cook.py build/bench/b2.h5 build/bench/sr.h5
"""
import argparse

import h5py
import numpy as np

PRESENTATION_MS = 350.0
EXAMPLE_MS = 500.0  # presentation and rest, one presentation per example (no retry rule)


def online_accuracy(counts, labels, window):
    """(examples seen, accuracy) for each window classified with the previous window's labels."""
    points = []
    for start in range(window, len(labels) - window + 1, window):
        past, past_labels = counts[start - window:start], labels[start - window:start]
        mean_response = np.array([past[past_labels == k].mean(axis=0) if (past_labels == k).any()
                                  else np.zeros(counts.shape[1]) for k in range(10)])
        assigned = mean_response.argmax(axis=0)
        now, now_labels = counts[start:start + window], labels[start:start + window]
        class_means = np.stack([now[:, assigned == k].mean(axis=1) if (assigned == k).any()
                                else np.zeros(len(now)) for k in range(10)], axis=1)
        points.append((start + window, float((class_means.argmax(axis=1) == now_labels).mean())))
    return points


def spikerate_counts(run, n_examples, n_exc):
    """Excitatory spike counts per example and neuron during the presentations."""
    times = run["spikes/stdp_exc/timestamps"][()]
    nodes = run["spikes/stdp_exc/node_ids"][()]
    example = np.floor((times - 1e-9) / EXAMPLE_MS).astype(int)  # stamped at the step's end
    keep = (times - EXAMPLE_MS * example <= PRESENTATION_MS + 1e-9) & (example < n_examples)
    counts = np.zeros((n_examples, n_exc))
    np.add.at(counts, (example[keep], nodes[keep]), 1)
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("brian2", help="file written by bench/brian2/diehl_cook.py --out")
    parser.add_argument("spikerate", help="spikerate run file of the same protocol")
    parser.add_argument("--window", type=int, default=1000, help="examples per window")
    args = parser.parse_args()
    with h5py.File(args.brian2, "r") as b, h5py.File(args.spikerate, "r") as s:
        b_counts = b["exc_counts"][()].astype(float)
        labels = b["labels"][()]
        n_examples, n_exc = b_counts.shape
        s_counts = spikerate_counts(s, n_examples, n_exc)
        b_fields = b["receptive_fields"][()]
        s_fields = s["report/stdp_input_exc/data"][-1].reshape(n_exc, -1)
        b_theta = np.median(b["theta_mV"][()])
        s_theta = np.median(s["report/stdp_theta/data"][-1])

    print(f"{n_exc} excitatory neurons, {n_examples} examples, windows of {args.window}")
    print(f"{'examples':>13} {'spikes/ex Brian2':>17} {'spikerate':>10} "
          f"{'<5 spikes Brian2':>17} {'spikerate':>10}")
    for k in range(0, n_examples, args.window):
        b_window, s_window = b_counts[k:k + args.window].sum(1), s_counts[k:k + args.window].sum(1)
        print(f"{k:>6}-{k + len(b_window):<6} {b_window.mean():>17.2f} {s_window.mean():>10.2f} "
              f"{(b_window < 5).mean():>17.2f} {(s_window < 5).mean():>10.2f}")
    print(f"{'examples':>13} {'online acc. Brian2':>19} {'spikerate':>10}")
    for (seen, b_acc), (_, s_acc) in zip(online_accuracy(b_counts, labels, args.window),
                                         online_accuracy(s_counts, labels, args.window)):
        print(f"{seen:>13} {b_acc:>19.3f} {s_acc:>10.3f}")
    print(f"receptive fields with a weight above 0.35: Brian2 {(b_fields.max(1) > 0.35).sum()}, "
          f"spikerate {(s_fields.max(1) > 0.35).sum()}")
    print(f"median theta [mV]: Brian2 {b_theta:.2f}, spikerate {s_theta:.2f}")


if __name__ == "__main__":
    main()
