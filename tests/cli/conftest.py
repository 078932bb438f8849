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
