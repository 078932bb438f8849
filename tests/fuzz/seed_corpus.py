#!/usr/bin/python3
"""Writes the seed corpus of each fuzz target, and the scenario loader's dictionary, from what the
repository ships (nothing here is a copy that could go stale):

    tests/fuzz/seed_corpus.py OUT    # OUT/fuzz_scenario/, OUT/fuzz_idx/, OUT/fuzz_spike_file/,
                                     # OUT/scenario.dict

fuzz_scenario: every shipped scenario file (data/, analysis/, bench/ and the tests' fixtures), the
TOML snippets of the scenario tests (tests/sim/io/test_scenario*.cpp, R"(...)" strings), and a few
with --set overrides (after NUL bytes, see fuzz_scenario.cpp).
fuzz_idx: small IDX files written here: MNIST-shaped labels and images with correct header counts,
a 2-d array, and headers of the other element types.
fuzz_spike_file: the spike-CSV fixtures of tests/sim/io/scenarios, and a few variants.
scenario.dict: TOML's tokens, and every section, key and quoted value of the key reference
(data/scenarios/README.md, generated from the code by `spikerate keys --markdown`).
"""
import re
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIRS = ["data/scenarios", "analysis/scenarios", "bench/scenarios", "tests/sim/io/scenarios"]
SCENARIO_TESTS = ["tests/sim/io/test_scenario.cpp", "tests/sim/io/test_scenario_errors.cpp"]


def write(directory, name, data):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def scenario_seeds(out):
    for folder in SCENARIO_DIRS:
        for path in sorted((ROOT / folder).glob("*.toml")):
            write(out, f"{folder.replace('/', '_')}_{path.name}", path.read_bytes())
    for test in SCENARIO_TESTS:
        text = (ROOT / test).read_text()
        for i, snippet in enumerate(re.findall(r'R"\((.*?)\)"', text, flags=re.S)):
            write(out, f"{Path(test).stem}_{i:03d}.toml", snippet)
    coba = (ROOT / "data/scenarios/coba.toml").read_bytes()
    overrides = {
        "coba_set_sizes": coba + b"\0run.duration_ms=500\0populations.exc.size=800",
        "coba_set_model": coba + b'\0populations.exc.model="lif_curr"\0run.mode="precise"',
        "coba_set_table": coba + b"\0populations.exc.initial={ V_m_mV = { normal = [-55, 2] } }",
        "coba_set_array": coba + b'\0record.spikes=["exc"]\0run.output="x.h5"',
        "empty_set_only": b"\0run.seed=7\0populations.p.model=\"poisson\"\0populations.p.size=3",
    }
    for name, data in overrides.items():
        write(out, name, data)


def idx(type_byte, dims, data):
    return bytes([0, 0, type_byte, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + data


def idx_seeds(out):
    write(out, "labels_10", idx(0x08, [10], bytes(range(10))))
    write(out, "images_2x28x28", idx(0x08, [2, 28, 28], bytes((i * 7) % 256 for i in range(2 * 784))))
    write(out, "matrix_3x4", idx(0x08, [3, 4], bytes(range(12))))
    write(out, "float_header", idx(0x0D, [1], b"\0\0\0\0"))
    write(out, "truncated", idx(0x08, [4, 4], bytes(10)))


def spike_file_seeds(out):
    for path in sorted((ROOT / "tests/sim/io/scenarios").glob("*.csv")):
        write(out, path.name, path.read_bytes())
    write(out, "bom_blank_lines.csv", b"\xef\xbb\xbfnode_id,time_ms\r\n\r\n0,0\r\n 3 , 1e3 \r\n")
    write(out, "size_10.csv", b"node_id,time_ms\n9,2.5\n0,0.1\n\x0010")


def dictionary():
    tokens = ["=", ".", ",", "[", "]", "[[", "]]", "{", "}", "\"", "'", '"""', "'''", "#", "\n",
              "\\u00e9", "\\", "true", "false", "inf", "-inf", "nan", "+nan", "0x7f", "0o17",
              "0b11", "1e308", "-0.0", "1_000", "9223372036854775807", "1979-05-27T07:32:00Z",
              "07:32:00", "1979-05-27", "\0"]
    reference = (ROOT / "data/scenarios/README.md").read_text()
    words = set()
    for line in reference.splitlines():
        if line.startswith("#") and "`" in line:  # ### `[populations.<name>]`, #### `model = "x"`
            words.update(re.findall(r"`\[?([^`\]]*)\]?`", line))
        elif line.startswith("| `"):  # | `key` | type | unit | default | allowed, meaning |
            words.add(line.split("`")[1])
        words.update(re.findall(r'"([A-Za-z0-9_]+)"', line))
    for word in sorted(words):
        words.update(part for part in re.split(r"[.<>\s=\"]+", word) if part)
    tokens += sorted(w for w in words if "<" not in w and w not in tokens)
    escape = lambda s: "".join(c if c.isprintable() and c not in '"\\' else f"\\x{ord(c):02x}"
                               for c in s)
    return "".join(f'"{escape(t)}"\n' for t in tokens)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    scenario_seeds(out / "fuzz_scenario")
    idx_seeds(out / "fuzz_idx")
    spike_file_seeds(out / "fuzz_spike_file")
    (out / "scenario.dict").write_text(dictionary())


if __name__ == "__main__":
    main()
