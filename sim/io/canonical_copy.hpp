#pragma once

// Private to sim/io, like hdf5_handles.hpp (only the writer calls it; no HDF5 type here).
//
// The canonical copy of a run file: a new HDF5 file that holds the same groups, datasets and
// attributes, with the same types, shapes, maximum shapes and chunking, written in one fixed
// order (depth first, every group's members and every object's attributes in name order, each
// dataset whole, chunk row by chunk row). Its bytes therefore depend on what the file holds and
// not on how it came to hold it: the flushes, the datasets grown and cut back on resume, the
// space HDF5 freed and could not give back. RunFileWriter::finish() publishes the canonical
// copy, so a run killed and resumed ends byte for byte as the run that was never interrupted
// (sim/io/FORMAT.md, "Checkpoints").

#include <string>

namespace spikerate::sim::io {

// Writes the canonical copy of the HDF5 file `source` to `destination` (created, or truncated if
// it exists). Throws IoError naming the file and object on any HDF5 failure (a full disk).
void write_canonical_copy(const std::string& source, const std::string& destination);

}  // namespace spikerate::sim::io
