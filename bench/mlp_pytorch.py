"""The PyTorch side of bench/mlp_vs_pytorch: trains the same MLP as
bench/scenarios/mlp_784_100_10.toml on MNIST and prints one JSON object.

Same work as spikerate's: 784-100-10, ReLU, softmax cross-entropy, SGD with momentum 0.9 and
learning rate 0.1, batch 64, a fresh shuffle each epoch (the last batch of an epoch is smaller),
inputs = pixels / 255. Timed: the training loop of each epoch only (not loading, not testing).
Run with the thread count to compare: `--threads N` sets torch.set_num_threads(N).
"""
import argparse
import json
import time

import numpy as np
import torch

from idx import read_idx


def load(directory, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(f"{directory}/{prefix}-images-idx3-ubyte", 3)
    labels = read_idx(f"{directory}/{prefix}-labels-idx1-ubyte", 1)
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mnist", required=True, help="directory with the four IDX files")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x_train, y_train = load(args.mnist, "train")
    x_test, y_test = load(args.mnist, "test")

    model = torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    epoch_seconds, test_accuracy = [], []
    for _ in range(args.epochs):
        start = time.perf_counter()
        # One gather per epoch, then contiguous slices (per-batch indexing measured the same).
        order = torch.randperm(len(x_train))
        x_epoch, y_epoch = x_train[order], y_train[order]
        for i in range(0, len(order), 64):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_epoch[i:i + 64]), y_epoch[i:i + 64])
            loss.backward()
            optimizer.step()
        epoch_seconds.append(time.perf_counter() - start)
        with torch.no_grad():
            correct = (model(x_test).argmax(dim=1) == y_test).sum().item()
        test_accuracy.append(correct / len(y_test))

    print(json.dumps({
        "torch_version": torch.__version__,
        # The BLAS actually loaded (the build says "generic": it uses whatever libblas.so.3 is).
        "blas": sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line}),
        "threads": torch.get_num_threads(),
        "epoch_seconds": epoch_seconds,
        "test_accuracy": test_accuracy,
    }))


if __name__ == "__main__":
    main()
