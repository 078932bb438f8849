#!/usr/bin/python3
"""Keeps the generated part of data/scenarios/README.md equal to `spikerate keys --markdown`.

    data/scenarios/key_reference.py write BINARY    # rewrites the part between the markers
    data/scenarios/key_reference.py check BINARY    # exit 1 (with a diff) when they differ
"""
import difflib
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"
BEGIN = "<!-- BEGIN spikerate keys --markdown -->\n"
END = "<!-- END spikerate keys --markdown -->\n"


def split(text):
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        sys.exit(f"{README}: expected one '{BEGIN.strip()}' before one '{END.strip()}'")
    before, rest = text.split(BEGIN)
    inside, after = rest.split(END)
    return before, inside, after


def generated(binary):
    return subprocess.run([binary, "keys", "--markdown"], check=True, capture_output=True,
                          text=True).stdout


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        sys.exit(__doc__)
    before, inside, after = split(README.read_text())
    expected = generated(sys.argv[2])
    if sys.argv[1] == "write":
        README.write_text(before + BEGIN + expected + END + after)
    elif inside != expected:
        sys.stdout.writelines(difflib.unified_diff(inside.splitlines(True),
                                                   expected.splitlines(True), "README.md",
                                                   "spikerate keys --markdown"))
        sys.exit(f"{README} differs from `spikerate keys --markdown`: run make key-reference")


if __name__ == "__main__":
    main()
