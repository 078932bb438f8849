#!/usr/bin/env bash
# What the benchmarks need beyond `make build`: Brian2 (Debian's python3-brian; its C++ and
# Cython code generation need g++ and python3-dev), PyTorch (Debian's python3-torch) and OpenBLAS
# for it, plus MNIST. OpenBLAS is NOT installed system-wide: installing libopenblas0-openmp
# would switch the system's libblas.so.3 alternative. Its package is downloaded and unpacked
# into build/bench/openblas, and only the PyTorch process loads it (LD_LIBRARY_PATH).
# Idempotent. Prints the directory to put on LD_LIBRARY_PATH as its last line.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
openblas_dir="$root/build/bench/openblas"
lib_dir="$openblas_dir/usr/lib/x86_64-linux-gnu/openblas-openmp"

# Brian2 and its compilers, GNU time (peak memory), python3-torch, and what the unpacked OpenBLAS
# links against.
missing=()
for p in python3-brian g++ python3-dev time python3-torch libgfortran5 libgomp1; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
  echo "bench/setup: installing ${missing[*]}" >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >&2
fi

if [ ! -e "$lib_dir/libblas.so.3" ]; then
  echo "bench/setup: unpacking libopenblas0-openmp into $openblas_dir (not installed)" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # apt-get download runs as the calling user; a root caller's download is done by _apt,
  # which needs a directory it can write.
  chmod 777 "$tmp"
  (cd "$tmp" && apt-get download -q libopenblas0-openmp >&2)
  mkdir -p "$openblas_dir"
  dpkg-deb -x "$tmp"/libopenblas0-openmp_*.deb "$openblas_dir"
fi
bash "$root/data/fetch_mnist.sh" >&2
echo "$lib_dir"
