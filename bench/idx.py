"""The IDX files MNIST comes in (data/cache/mnist), read with numpy for the reference scripts."""
import pathlib
import sys

import numpy as np


def read_idx(path, ndim):
    """The array of unsigned bytes in an IDX file with `ndim` dimensions; exits naming the file
    when it is not one."""
    data = pathlib.Path(path).read_bytes()
    if data[:3] != b"\x00\x00\x08" or data[3] != ndim:
        sys.exit(f"{path}: not an IDX file of unsigned bytes with {ndim} dimensions")
    dims = np.frombuffer(data, dtype=">u4", count=ndim, offset=4)
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
