"""The HDF5 run file as documented in sim/io/FORMAT.md, read with h5py from a file that the C++
writer produced.

The file comes from the Catch2 test case tagged [fixture] in
tests/sim/io/test_run_file_reader.cpp, which writes it to $SPIKERATE_WRITE_FIXTURE. The values
checked here are the ones hard-coded in write_fixture() there: keep both in step. The test
binary is looked up in $SPIKERATE_BUILD/tests (default: <repo>/build/tests).
"""

import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")
pd = pytest.importorskip("pandas")

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("SPIKERATE_BUILD", REPO / "build"))
TEST_BINARY = BUILD / "tests" / "spikerate_tests"
FORMAT_MD = REPO / "sim" / "io" / "FORMAT.md"


def write_fixture(path):
    """Runs the [fixture] test case, which writes the example run file to `path`."""
    if not TEST_BINARY.is_file():
        pytest.skip(f"C++ test binary {TEST_BINARY} not built (build it, or set SPIKERATE_BUILD)")
    env = dict(os.environ, SPIKERATE_WRITE_FIXTURE=str(path))
    # --warn NoTests: a binary built before the [fixture] test case existed fails loudly.
    result = subprocess.run(
        [str(TEST_BINARY), "[fixture]", "--warn", "NoTests"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"{TEST_BINARY} [fixture] failed (stale build? rebuild it):\n"
        f"{result.stdout}\n{result.stderr}"
    )
    assert path.is_file(), f"{TEST_BINARY} [fixture] did not write {path}"
    return path


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    return write_fixture(tmp_path_factory.mktemp("run_file") / "fixture.h5")


@pytest.fixture()
def f(run_file):
    with h5py.File(run_file, "r") as handle:
        yield handle


def attr_dtype(obj, name):
    return obj.attrs.get_id(name).dtype


def assert_string_attr(obj, name, value):
    dtype = attr_dtype(obj, name)
    info = h5py.check_string_dtype(dtype)
    assert info is not None, f"{obj.name}@{name} is not a string"
    assert info.length is None, f"{obj.name}@{name} is not variable-length"
    assert info.encoding == "utf-8"
    assert obj.attrs[name] == value


def test_root_attributes(f):
    assert set(f.attrs) == {
        "spikerate_version", "format_version", "seed", "scenario", "dt_ms", "complete"}
    assert_string_attr(f, "spikerate_version", "0.1.0")
    assert_string_attr(f, "scenario", '# fixture\n[run]\nname = "fixture"\n')
    assert attr_dtype(f, "format_version") == np.dtype("<i4")
    assert f.attrs["format_version"] == 1
    assert attr_dtype(f, "seed") == np.dtype("<u8")
    assert f.attrs["seed"] == 20240917
    assert attr_dtype(f, "dt_ms") == np.dtype("<f8")
    assert f.attrs["dt_ms"] == 0.1
    assert attr_dtype(f, "complete") == np.dtype("u1")
    assert f.attrs["complete"] == 1
    assert set(f) == {"spikes", "report", "metrics", "populations", "projections"}


def assert_string_array_attr(obj, name, values):
    dtype = attr_dtype(obj, name)
    info = h5py.check_string_dtype(dtype)
    assert info is not None and info.length is None and info.encoding == "utf-8", name
    stored = obj.attrs[name]
    assert stored.shape == (len(values),), name
    assert [str(v) for v in stored] == list(values), name


def assert_u64_attr(obj, name, value):
    assert attr_dtype(obj, name) == np.dtype("<u8"), name
    np.testing.assert_array_equal(obj.attrs[name], value, err_msg=name)


def test_populations(f):
    assert sorted(f["populations"]) == ["exc", "inh", "input"]
    expected = {"exc": (1, "lif_cond", "neuron", 4, "nS", ["V_m", "g_e"], ["mV", "nS"]),
                "inh": (2, "lif_cond", "neuron", 2, "nS", ["V_m", "g_e"], ["mV", "nS"]),
                "input": (0, "poisson", "source", 4, "", [], [])}
    for name, (index, model, kind, size, weight_unit, variables, units) in expected.items():
        g = f["populations"][name]
        assert isinstance(g, h5py.Group) and len(g) == 0
        assert set(g.attrs) == {"network", "local_name", "index", "model", "kind", "size",
                                "weight_unit", "variables", "variable_units"}
        assert_string_attr(g, "network", "")
        assert_string_attr(g, "local_name", name)
        assert_u64_attr(g, "index", index)
        assert_string_attr(g, "model", model)
        assert_string_attr(g, "kind", kind)
        assert_u64_attr(g, "size", size)
        assert_string_attr(g, "weight_unit", weight_unit)
        assert_string_array_attr(g, "variables", variables)
        assert_string_array_attr(g, "variable_units", units)


def test_projections(f):
    assert list(f["projections"]) == ["exc->inh"]
    g = f["projections/exc->inh"]
    assert isinstance(g, h5py.Group) and len(g) == 0
    assert set(g.attrs) == {"network", "local_name", "pre", "post", "synapses", "weight_unit",
                            "plasticity", "receptor"}
    for name, value in (("network", ""), ("local_name", "exc->inh"), ("pre", "exc"),
                        ("post", "inh"), ("weight_unit", "nS"), ("plasticity", "pair_stdp"),
                        ("receptor", "excitatory")):
        assert_string_attr(g, name, value)
    assert_u64_attr(g, "synapses", 5)


def test_roles(f):
    """Role attributes on spike groups and reports: network and role always, the rest when set;
    none at all on a group written without a role."""
    exc = f["spikes/exc"]
    assert set(exc.attrs) == {"sorting", "network", "role", "population"}
    assert_string_attr(exc, "network", "")
    assert_string_attr(exc, "role", "spikes")
    assert_string_attr(exc, "population", "exc")
    assert set(f["spikes/input"].attrs) == {"sorting"}
    w = f["report/exc_to_inh"]
    assert set(w.attrs) == {"network", "role", "population", "projection", "input_shape"}
    assert_string_attr(w, "role", "weights")
    assert_string_attr(w, "population", "inh")
    assert_string_attr(w, "projection", "exc->inh")
    assert_u64_attr(w, "input_shape", [2, 2])
    assert f["projections"][w.attrs["projection"]].attrs["post"] == w.attrs["population"]
    v = f["report/exc_v"]
    assert set(v.attrs) == {"network", "role", "population", "variable"}
    assert_string_attr(v, "role", "state")
    assert_string_attr(v, "variable", "V_m")
    population = f["populations"][v.attrs["population"]]
    unit = dict(zip(population.attrs["variables"], population.attrs["variable_units"]))["V_m"]
    assert unit == v["data"].attrs["units"]


def test_spikes(f):
    assert sorted(f["spikes"]) == ["exc", "inh", "input"]
    expected = {
        "exc": ([0.5, 1.0, 1.0, 2.5, 7.25], [3, 0, 2, 1, 3]),
        "inh": ([4.0], [1]),
        "input": ([], []),
    }
    for name, (times, ids) in expected.items():
        g = f["spikes"][name]
        assert isinstance(g, h5py.Group)
        assert set(g) == {"timestamps", "node_ids"}
        ts, nodes = g["timestamps"], g["node_ids"]
        assert ts.dtype == np.dtype("<f8")
        assert nodes.dtype == np.dtype("<u8")
        assert ts.shape == nodes.shape == (len(times),)
        assert ts.maxshape == nodes.maxshape == (None,)
        assert ts.chunks == nodes.chunks == (65536,)
        assert_string_attr(ts, "units", "ms")
        np.testing.assert_array_equal(ts[:], times)
        np.testing.assert_array_equal(nodes[:], ids)

        # sorting: HDF5 enum on uint8 {none=0, by_id=1, by_time=2}, value by_time.
        dtype = attr_dtype(g, "sorting")
        assert h5py.check_enum_dtype(dtype) == {"none": 0, "by_id": 1, "by_time": 2}
        assert dtype == np.dtype("u1")
        assert g.attrs["sorting"] == 2


def test_spikes_into_pandas(f):
    g = f["spikes/exc"]
    df = pd.DataFrame({"t_ms": g["timestamps"][:], "node": g["node_ids"][:]})
    assert len(df) == 5
    assert df["t_ms"].dtype == np.float64
    assert df["node"].dtype == np.uint64
    assert df["t_ms"].is_monotonic_increasing
    assert df.groupby("node").size().to_dict() == {0: 1, 1: 1, 2: 1, 3: 2}


def check_mapping(mapping, node_ids, index_pointers, element_ids, time, extra=None):
    extra = extra or {}
    assert set(mapping) == {"node_ids", "index_pointers", "element_ids", "time", *extra}
    for name, values in [("node_ids", node_ids), ("index_pointers", index_pointers),
                         ("element_ids", element_ids), *extra.items()]:
        assert mapping[name].dtype == np.dtype("<u8"), name
        np.testing.assert_array_equal(mapping[name][:], values, err_msg=name)
    assert len(mapping["index_pointers"]) == len(mapping["node_ids"]) + 1
    assert mapping["index_pointers"][0] == 0
    assert mapping["index_pointers"][-1] == len(mapping["element_ids"])
    assert mapping["time"].dtype == np.dtype("<f8")
    assert mapping["time"].shape == (3,)
    assert_string_attr(mapping["time"], "units", "ms")
    np.testing.assert_allclose(mapping["time"][:], time)


def test_weight_report(f):
    assert sorted(f["report"]) == ["exc_to_inh", "exc_v"]
    r = f["report/exc_to_inh"]
    assert set(r) == {"data", "mapping"}
    data = r["data"]
    assert data.dtype == np.dtype("<f4")
    assert data.shape == (3, 5)
    assert data.maxshape == (None, 5)
    assert data.chunks is not None and data.chunks[1] == 5
    assert_string_attr(data, "units", "nS")
    # time = [start, stop, step], stop = start + frames * step (exclusive).
    check_mapping(r["mapping"], [0, 1], [0, 3, 5], [0, 1, 2, 3, 4], [0.0, 150.0, 50.0],
                  extra={"source_node_ids": [0, 1, 3, 0, 2]})
    expected = np.array([[fr + 0.1 * (e + 1) for e in range(5)] for fr in range(3)], np.float32)
    np.testing.assert_array_equal(data[:], expected)

    # Receptive field of post neuron 0: synapses ip[0]:ip[1], from exc 0, 1 and 3.
    ip = r["mapping/index_pointers"][:]
    sources = r["mapping/source_node_ids"][ip[0]:ip[1]]
    np.testing.assert_array_equal(sources, [0, 1, 3])
    np.testing.assert_array_equal(data[-1, ip[0]:ip[1]], np.float32([2.1, 2.2, 2.3]))


def test_state_report(f):
    r = f["report/exc_v"]
    data = r["data"]
    assert data.dtype == np.dtype("<f4")
    assert data.shape == (4, 4)
    assert_string_attr(data, "units", "mV")
    check_mapping(r["mapping"], [0, 1, 2, 3], [0, 1, 2, 3, 4], [0, 0, 0, 0], [0.0, 0.4, 0.1])
    start, stop, step = r["mapping/time"][:]
    assert len(np.arange(start, stop, step)) == data.shape[0]
    expected = np.array([[-65 + fr + 0.25 * n for n in range(4)] for fr in range(4)], np.float32)
    np.testing.assert_array_equal(data[:], expected)


def test_metrics(f):
    m = f["metrics"]
    assert sorted(m) == ["accuracy", "counts", "energy", "train"]
    cases = [("accuracy", "<f8", 0.875, "1"), ("train/loss", "<f8", 0.5, ""),
             ("energy/total", "<f8", 2.5e-6, "J"), ("counts/synaptic_events", "<u8", 12345, "")]
    for path, dtype, value, units in cases:
        ds = m[path]
        assert ds.shape == (), path
        assert ds.dtype == np.dtype(dtype), path
        assert ds[()] == value, path
        assert_string_attr(ds, "units", units)


def test_format_md_snippet_runs(run_file):
    """The h5py snippet in FORMAT.md runs against a real file and gives the expected values."""
    text = FORMAT_MD.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1
    scope = {"path": str(run_file)}
    exec(compile(blocks[0], str(FORMAT_MD), "exec"), scope)  # noqa: S102 - our own document
    assert scope["complete"] is True
    assert len(scope["spikes"]) == 5
    assert scope["weights"].shape == (3, 5)
    np.testing.assert_allclose(scope["t_ms"], [0.0, 50.0, 100.0])
    np.testing.assert_array_equal(scope["sources"], [0, 1, 3])
    np.testing.assert_array_equal(scope["field"], np.float32([2.1, 2.2, 2.3]))
    assert scope["accuracy"] == 0.875
    assert scope["units"] == "1"


def test_identical_runs_give_identical_bytes(run_file, tmp_path):
    """A second writer process with the same inputs writes the same bytes."""
    again = write_fixture(tmp_path / "again.h5")
    assert run_file.read_bytes() == again.read_bytes()
