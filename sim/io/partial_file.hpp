#pragma once

// The file a run writes, "<path>.partial": created exclusively and locked for the writer's
// lifetime, published as <path> in one atomic step when the run completes. The rules
// (sim/io/FORMAT.md, "Output safety"):
//   - only a regular file or a new name is ever written; an existing directory, device, FIFO or
//     socket is refused, --force or not;
//   - a second run on the same output is refused while the first lives, --force or not (the
//     first holds an exclusive flock on its .partial file); a .partial left by a run that is
//     gone is replaced only with --force;
//   - an existing <path> is replaced only by the rename of a complete run (--force), never
//     truncated or removed before; without --force a <path> that appeared during the run is
//     left alone and the complete run stays in the .partial file.

#include <filesystem>
#include <functional>

namespace spikerate::sim::io {

class PartialFile {
  public:
    // What the constructor would refuse, checked without creating anything: throws IoError.
    static void check(const std::filesystem::path& path, bool overwrite);

    // Creates and locks <path>.partial (replacing a stale one when overwrite); throws IoError.
    PartialFile(std::filesystem::path path, bool overwrite);
    // Locks the existing <path>.partial of a stopped run, to continue it: throws IoError if it
    // is missing, not a regular file, or locked by another process.
    struct Existing {};
    PartialFile(std::filesystem::path path, bool overwrite, Existing);
    ~PartialFile();  // releases the lock; an unpublished .partial file stays
    PartialFile(const PartialFile&) = delete;
    PartialFile& operator=(const PartialFile&) = delete;

    const std::filesystem::path& path() const { return path_; }
    const std::filesystem::path& partial() const { return partial_; }

    // Replaces the .partial file by what `write(from, to)` writes into a new file beside it
    // (<path>.partial.XXXXXX, created exclusively and locked before the swap), so that the
    // .partial name is locked by this writer throughout. The new file is fsync'd, then renamed
    // over the .partial file. If `write` throws or the new file cannot be completed, the new
    // file is removed, the .partial file stays as it was and IoError is thrown.
    void rewrite(const std::function<void(const std::filesystem::path& from,
                                          const std::filesystem::path& to)>& write);

    // Moves the .partial file to <path> atomically (with overwrite replacing a regular file
    // there; without, refusing to replace anything) and releases the lock. Throws IoError, the
    // .partial file staying where it is.
    void publish();

  private:
    std::filesystem::path path_;
    std::filesystem::path partial_;
    bool overwrite_;
    int fd_ = -1;  // holds the flock
};

}  // namespace spikerate::sim::io
