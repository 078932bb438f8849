"""Fixtures for testing the spikerate command-line program as a user runs it."""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def spikerate():
    """Runs build/spikerate (or $SPIKERATE_BUILD/spikerate) and returns the CompletedProcess."""
    binary = Path(os.environ.get("SPIKERATE_BUILD", REPO / "build")) / "spikerate"
    if not binary.exists():
        pytest.fail(f"{binary} does not exist: build first (make build)")

    def run(*args, cwd=None, timeout=600):
        return subprocess.run([str(binary), *map(str, args)], cwd=cwd, capture_output=True,
                              text=True, timeout=timeout)

    run.binary = binary
    return run


@pytest.fixture(scope="session")
def scenarios():
    return REPO / "data" / "scenarios"


def h5_contents(path, skip=lambda name: name.endswith("_seconds")):
    """Every dataset's bytes and every attribute in an HDF5 file, by path, leaving out the
    datasets `skip` names (by default the wall-clock times, which differ between runs)."""
    import h5py
    import numpy as np

    contents = {}

    def as_bytes(value):
        # Arrays of variable-length strings are object arrays, whose bytes are pointers.
        value = np.asarray(value)
        return repr(value.tolist()).encode() if value.dtype == object else value.tobytes()

    def visit(name, obj):
        attrs = {key: as_bytes(value) for key, value in obj.attrs.items()}
        if isinstance(obj, h5py.Dataset):
            data = None if skip(name) else as_bytes(obj[()])
            contents[name] = (obj.dtype.str, obj.shape, data, attrs)
        else:
            contents[name] = ("group", attrs)

    with h5py.File(path, "r") as f:
        visit("/", f)
        f.visititems(visit)
    return contents
