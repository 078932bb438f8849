#include "sim/io/partial_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "models/error.hpp"

namespace spikerate::sim::io {

namespace fs = std::filesystem;

namespace {

std::string parent_dir(const fs::path& file) {
    const fs::path parent = file.parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

// What kind of non-regular file `st` is, for messages.
const char* kind_of(const struct stat& st) {
    if (S_ISDIR(st.st_mode)) return "a directory";
    if (S_ISCHR(st.st_mode)) return "a character device";
    if (S_ISBLK(st.st_mode)) return "a block device";
    if (S_ISFIFO(st.st_mode)) return "a FIFO";
    if (S_ISSOCK(st.st_mode)) return "a socket";
    return "not a regular file";
}

// Throws unless `file` is absent or a regular file (following a symbolic link, as the final
// rename replaces the link itself: a link to a device is refused too).
void require_regular_or_absent(const fs::path& file, const char* what) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return;  // absent (or unreachable: creation will say)
    if (!S_ISREG(st.st_mode)) {
        throw IoError(fmt::format("{}: {} is {}; spikerate writes only regular files or new names",
                                  file.string(), what, kind_of(st)));
    }
}

// Whether another process holds the lock of the existing file `partial`.
bool locked_by_another_run(const fs::path& partial) {
    const int fd = ::open(partial.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return false;
    const bool locked = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return locked;
}

[[noreturn]] void refuse_running(const fs::path& partial) {
    throw IoError(fmt::format(
        "{}: another spikerate run is writing this output (its .partial file is locked); it is "
        "left alone, --force or not: choose another output with -o",
        partial.string()));
}

}  // namespace

void PartialFile::check(const fs::path& path, bool overwrite) {
    if (path.empty()) throw IoError("the output path is empty");
    fs::path partial = path;
    partial += ".partial";
    require_regular_or_absent(path, "the output");
    require_regular_or_absent(partial, "the partial output");
    std::error_code ec;
    if (fs::exists(partial, ec) && locked_by_another_run(partial)) refuse_running(partial);
    if (fs::exists(path, ec) && !overwrite) {
        throw IoError(
            fmt::format("{}: output file exists (overwrite not requested)", path.string()));
    }
    if (fs::exists(partial, ec) && !overwrite) {
        throw IoError(fmt::format(
            "{}: partial output file exists, left by an interrupted run? (overwrite not "
            "requested)",
            partial.string()));
    }
    const std::string dir = parent_dir(partial);
    if (!fs::is_directory(dir, ec)) {
        throw IoError(fmt::format("{}: cannot create output file: directory '{}' does not exist",
                                  partial.string(), dir));
    }
    if (::access(dir.c_str(), W_OK) != 0) {
        throw IoError(fmt::format("{}: cannot create output file: directory '{}' is not writable",
                                  partial.string(), dir));
    }
}

PartialFile::PartialFile(fs::path path, bool overwrite)
    : path_(std::move(path)), partial_(path_), overwrite_(overwrite) {
    partial_ += ".partial";
    check(path_, overwrite_);
    // Create exclusively; an existing .partial is replaced only when no run holds its lock. Two
    // runs racing here: one creates, the other finds it locked. A few rounds settle any race.
    for (int attempt = 0; attempt < 8; ++attempt) {
        fd_ = ::open(partial_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd_ >= 0) {
            if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
            ::close(fd_);  // another run opened the new file and locked it first
            fd_ = -1;
            refuse_running(partial_);
        }
        if (errno != EEXIST) {
            throw IoError(fmt::format("{}: cannot create output file: {}", partial_.string(),
                                      std::strerror(errno)));
        }
        if (!overwrite_) {
            throw IoError(fmt::format("{}: partial output file exists (overwrite not requested)",
                                      partial_.string()));
        }
        const int old = ::open(partial_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
        if (old < 0) continue;  // gone meanwhile: try to create again
        struct stat st {};
        if (::fstat(old, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(old);
            require_regular_or_absent(partial_, "the partial output");
            throw IoError(
                fmt::format("{}: the partial output is not a regular file", partial_.string()));
        }
        if (::flock(old, LOCK_EX | LOCK_NB) != 0) {
            ::close(old);
            refuse_running(partial_);
        }
        // A stale file of a run that is gone: remove it while holding its lock, then create anew.
        ::unlink(partial_.c_str());
        ::close(old);
    }
    throw IoError(
        fmt::format("{}: cannot create output file: it keeps being replaced by another "
                    "process",
                    partial_.string()));
}

PartialFile::PartialFile(fs::path path, bool overwrite, Existing)
    : path_(std::move(path)), partial_(path_), overwrite_(overwrite) {
    partial_ += ".partial";
    require_regular_or_absent(partial_, "the partial output");
    fd_ = ::open(partial_.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd_ < 0) {
        throw IoError(fmt::format("{}: cannot open the partial output: {}", partial_.string(),
                                  std::strerror(errno)));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd_);
        fd_ = -1;
        refuse_running(partial_);
    }
}

PartialFile::~PartialFile() {
    if (fd_ >= 0) ::close(fd_);
}

void PartialFile::rewrite(const std::function<void(const fs::path&, const fs::path&)>& write) {
    std::string name = partial_.string() + ".XXXXXX";
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) {
        throw IoError(fmt::format("{}: cannot create a file beside it: {} (the run stays in {})",
                                  partial_.string(), std::strerror(errno), partial_.string()));
    }
    const fs::path next = name;
    const auto abandon = [&] {
        ::unlink(next.c_str());
        ::close(fd);
    };
    try {
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            throw IoError(fmt::format("{}: cannot lock: {}", next.string(), std::strerror(errno)));
        }
        struct stat st {};  // the .partial file's permissions, not mkostemp's 0600
        if (::fstat(fd_, &st) != 0 || ::fchmod(fd, st.st_mode & 07777) != 0) {
            throw IoError(
                fmt::format("{}: cannot set permissions: {}", next.string(), std::strerror(errno)));
        }
        write(partial_, next);
        if (::fsync(fd) != 0) {
            throw IoError(
                fmt::format("{}: cannot write to disk: {}", next.string(), std::strerror(errno)));
        }
        if (::rename(next.c_str(), partial_.c_str()) != 0) {
            throw IoError(fmt::format("{}: cannot rename to {}: {}", next.string(),
                                      partial_.string(), std::strerror(errno)));
        }
    } catch (const IoError& e) {
        abandon();
        throw IoError(fmt::format("{} (the run stays in {})", e.what(), partial_.string()));
    } catch (...) {
        abandon();
        throw;
    }
    ::close(fd_);  // the old .partial, now unlinked; the new one is locked by fd
    fd_ = fd;
}

void PartialFile::publish() {
    require_regular_or_absent(path_, "the output");
    if (overwrite_) {
        if (::rename(partial_.c_str(), path_.c_str()) != 0) {
            throw IoError(fmt::format("{}: cannot rename to {}: {} (the complete run stays in {})",
                                      partial_.string(), path_.string(), std::strerror(errno),
                                      partial_.string()));
        }
    } else {
        // Never replaces: an output that appeared during the run is left alone. renameat2's
        // RENAME_NOREPLACE, or on file systems without it, link() then unlink().
        int moved =
            ::renameat2(AT_FDCWD, partial_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE);
        if (moved != 0 && (errno == EINVAL || errno == ENOSYS)) {
            moved = ::link(partial_.c_str(), path_.c_str());
            if (moved == 0) ::unlink(partial_.c_str());
        }
        if (moved != 0) {
            const int error = errno;
            throw IoError(fmt::format(
                "{}: {} (overwrite not requested); the complete run stays in {}", path_.string(),
                error == EEXIST ? "output file appeared during the run" : std::strerror(error),
                partial_.string()));
        }
    }
    ::close(fd_);
    fd_ = -1;
}

}  // namespace spikerate::sim::io
