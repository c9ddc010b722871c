#pragma once

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <system_error>
#include <utility>

#include "sinapse/core/errors.hpp"
#include "sinapse/saving/file_errors.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#define SINAPSE_POSIX_FILES 1
#else
#include <filesystem>
#include <fstream>
#include <iterator>
#define SINAPSE_POSIX_FILES 0
#endif

namespace sinapse {
namespace detail {

/// Destination of the bytes of a file being written. `write` either takes every byte or
/// throws.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(const char* data, std::size_t size) = 0;
};

/// Interposes a sink between the file writer and the temporary file: it receives the
/// sink of the temporary file and returns the sink that the contents go to. Tests use it
/// to make a write fail part-way; it must forward the bytes it accepts to `file`.
using SinkWrapper = std::function<std::unique_ptr<ByteSink>(ByteSink& file)>;

/// Checks the first bytes of a file before `read_file` reads the rest, and throws to
/// reject the file. `size` is below the requested header size only for a shorter file.
using HeaderCheck = std::function<void(const char* data, std::size_t size)>;

/// The operating system's text for an errno value.
inline std::string error_text(int error) { return std::generic_category().message(error); }

/// Returns the folder that contains `path`: "." for a bare file name, "/" for a file in
/// the root folder.
inline std::string parent_folder(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

/// Returns the path of the entry `name` in `folder`.
inline std::string join_path(const std::string& folder, const std::string& name) {
  return folder == "/" ? "/" + name : folder + "/" + name;
}

/// Returns a file name that no other writer is likely to pick: ".sinapse-", 12 hex digits
/// from a random number and a per-process counter, and ".tmp". At 25 bytes it is far
/// below the usual 255-byte limit on a name, so it fits wherever the destination fits.
inline std::string temporary_name() {
  static std::atomic<std::uint64_t> counter{0};
  static const char digits[] = "0123456789abcdef";
  std::uint64_t value = (static_cast<std::uint64_t>(std::random_device{}()) << 20) ^ counter++;
  std::string name = ".sinapse-";
  for (int i = 0; i < 12; ++i, value >>= 4) name += digits[value & 0xFu];
  return name + ".tmp";
}

/// Checks a path that a caller passed to read or write a file.
/// @throws ValueError for an empty path, or one that contains a NUL byte: the operating
/// system would take that byte as the end of the path and use another file.
inline void check_path(const std::string& path, const char* caller) {
  if (path.empty()) throw ValueError(concat(caller, ": the path is empty; pass a file name"));
  const std::size_t nul = path.find('\0');
  if (nul != std::string::npos) {
    throw ValueError(concat(caller, ": the path contains a NUL byte at position ", nul,
                            ", so the operating system would use \"", path.substr(0, nul),
                            "\" instead; remove the NUL byte from the path"));
  }
}

/// Checks a path to write a file to, as check_path does, and also rejects a path that
/// ends with "/", because that names a folder.
/// @throws ValueError naming the path.
inline void check_write_path(const std::string& path, const char* caller) {
  check_path(path, caller);
  if (path.back() == '/') {
    throw ValueError(concat(caller, ": the path \"", path,
                            "\" ends with \"/\", so it names a folder, not a file; add a file "
                            "name after the last \"/\""));
  }
}

#if SINAPSE_POSIX_FILES

/// Writes to an open file descriptor, retrying partial writes and interrupted calls.
class FileDescriptorSink : public ByteSink {
 public:
  FileDescriptorSink(int descriptor, std::string path, std::string caller)
      : descriptor_(descriptor), path_(std::move(path)), caller_(std::move(caller)) {}

  void write(const char* data, std::size_t size) override {
    while (size > 0) {
      // Some systems reject single writes of 2 GiB or more, so larger buffers go in pieces.
      const std::size_t piece = size < (std::size_t{1} << 30) ? size : (std::size_t{1} << 30);
      const ssize_t written = ::write(descriptor_, data, piece);
      if (written < 0) {
        if (errno == EINTR) continue;
        const int error = errno;
        throw IOError(concat(caller_, ": writing \"", path_, "\" failed: ", error_text(error)));
      }
      data += written;
      size -= static_cast<std::size_t>(written);
    }
  }

 private:
  int descriptor_;
  std::string path_;
  std::string caller_;
};

/// A temporary file that is closed and removed when this object is destroyed, unless it
/// was renamed into place first.
struct TemporaryFile {
  std::string path;
  int descriptor = -1;
  bool renamed = false;

  TemporaryFile() = default;
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (descriptor >= 0) ::close(descriptor);
    if (!renamed && !path.empty()) ::unlink(path.c_str());
  }
};

/// Flushes the folder's entry list to disk, so that a rename in it survives a power loss.
/// @throws IOError when the folder cannot be opened or synced, except on file systems
/// that do not support syncing a folder (EINVAL), where there is nothing more to do.
inline void sync_folder(const std::string& folder, const std::string& path, const char* caller) {
  const int descriptor = ::open(folder.c_str(), O_RDONLY | O_CLOEXEC);
  int error = descriptor < 0 ? errno : 0;
  if (descriptor >= 0) {
    if (::fsync(descriptor) != 0) error = errno;
    ::close(descriptor);
  }
  if (error != 0 && error != EINVAL) {
    throw IOError(concat(caller, ": \"", path, "\" was written, but syncing its folder \"", folder,
                         "\" failed (", error_text(error),
                         "), so the new file may not survive a power loss; save again to be sure"));
  }
}

/// Describes a file type that sinapse does not replace, such as "a folder".
inline const char* file_type_text(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

/// Returns the path that a write to `path` replaces: `path` itself, or, when it is a
/// symbolic link, the file that the chain of links ends at, as `open` would write to. A
/// dangling link gives its target, which the write then creates. A relative link target
/// is taken relative to the folder of the link.
/// @throws IOError when `path` or the file that its links end at exists but is not a
/// regular file (a folder, FIFO, device or socket), or when the links form a loop.
inline std::string resolve_write_target(const std::string& path, const char* caller) {
  // Linux gives up after 40 links (ELOOP), so a longer chain cannot be opened either.
  constexpr int max_links = 40;
  std::string target = path;
  for (int links = 0;; ++links) {
    struct stat status {};
    // A missing entry is a new file. Other failures, such as a missing folder, are left
    // to the write, whose message names the step and the system's reason.
    if (::lstat(target.c_str(), &status) != 0) return target;
    if (S_ISREG(status.st_mode)) return target;
    if (!S_ISLNK(status.st_mode)) {
      const std::string what = target == path ? concat("\"", path, "\" is ")
                                              : concat("\"", path, "\" is a symbolic link to \"",
                                                       target, "\", which is ");
      throw IOError(concat(caller, ": ", what, file_type_text(status.st_mode),
                           ", but sinapse writes only regular files; pass the path of a file"));
    }
    if (links == max_links) {
      throw IOError(concat(caller, ": \"", path, "\" is a chain of more than ", max_links,
                           " symbolic links, or a loop of them; point it at a file"));
    }
    std::string link(static_cast<std::size_t>(status.st_size > 0 ? status.st_size : 0) + 256, '\0');
    const ssize_t length = ::readlink(target.c_str(), &link[0], link.size());
    if (length <= 0 || static_cast<std::size_t>(length) >= link.size()) {
      const int error = length < 0 ? errno : (length == 0 ? EINVAL : ENAMETOOLONG);
      throw IOError(
          concat(caller, ": cannot read the symbolic link \"", target, "\": ", error_text(error)));
    }
    link.resize(static_cast<std::size_t>(length));
    target = link.front() == '/' ? link : join_path(parent_folder(target), link);
  }
}

/// Replaces the file at `path` with `contents` so that readers see either the old file or
/// the complete new one, never a mix. The bytes go to a temporary file in the same
/// folder, which is flushed, synced to disk and renamed over `path`, because POSIX makes
/// a rename within one file system atomic. The folder is synced afterwards. When a step
/// throws, the temporary file is removed and `path` is unchanged. After a crash the
/// temporary file (".sinapse-*.tmp") may remain, but `path` is still the old file. An
/// existing file keeps its permission bits, and a new file gets 0666 minus the umask, as
/// with `open`. When `path` is a symbolic link, the file it points to is replaced and the
/// link stays, as with `std::ofstream`.
/// @throws ValueError for an empty path, a path with a NUL byte or one that ends with "/".
/// @throws IOError when `path` is a folder, FIFO, device or socket, or a link to one. It
/// also names the failed step and the system's reason when a step fails.
inline void write_file_atomically(const std::string& path, const std::string& contents,
                                  const char* caller, const SinkWrapper& wrap = nullptr) {
  check_write_path(path, caller);
  const std::string target = resolve_write_target(path, caller);
  const std::string folder = parent_folder(target);
  TemporaryFile temporary;
  for (int attempt = 0;; ++attempt) {
    const std::string candidate = join_path(folder, temporary_name());
    temporary.descriptor = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (temporary.descriptor >= 0) {
      temporary.path = candidate;
      break;
    }
    const int error = errno;
    if ((error == EEXIST || error == EINTR) && attempt < 100) continue;
    throw IOError(concat(caller, ": cannot create a temporary file next to \"", target, "\" (\"",
                         candidate, "\"): ", error_text(error),
                         "; check that the folder exists and is writable"));
  }
  struct stat existing {};
  if (::stat(target.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
    // Best effort: a file owned by another user cannot take its mode, and the file is
    // still written correctly without it.
    (void)::fchmod(temporary.descriptor, existing.st_mode & 07777);
  }

  FileDescriptorSink file_sink(temporary.descriptor, temporary.path, caller);
  if (wrap) {
    std::unique_ptr<ByteSink> sink = wrap(file_sink);
    sink->write(contents.data(), contents.size());
  } else {
    file_sink.write(contents.data(), contents.size());
  }
  if (::fsync(temporary.descriptor) != 0) {
    const int error = errno;
    throw IOError(concat(caller, ": syncing \"", temporary.path, "\" to disk failed: ",
                         error_text(error), "; \"", path, "\" was not changed"));
  }
  const int descriptor = temporary.descriptor;
  temporary.descriptor = -1;
  // Linux closes the descriptor even when close reports EINTR, so that is not an error.
  if (::close(descriptor) != 0 && errno != EINTR) {
    const int error = errno;
    throw IOError(concat(caller, ": closing \"", temporary.path, "\" failed: ", error_text(error),
                         "; \"", path, "\" was not changed"));
  }
  if (::rename(temporary.path.c_str(), target.c_str()) != 0) {
    const int error = errno;
    throw IOError(concat(caller, ": renaming \"", temporary.path, "\" to \"", target,
                         "\" failed: ", error_text(error), "; \"", path, "\" was not changed"));
  }
  temporary.renamed = true;
  sync_folder(folder, path, caller);
}

/// Appends bytes read from `descriptor` to `bytes` until `bytes` reaches `limit` bytes or
/// the file ends, retrying interrupted reads.
inline void read_up_to(int descriptor, std::string& bytes, std::size_t limit,
                       const std::string& path, const char* caller) {
  char buffer[1 << 16];
  while (bytes.size() < limit) {
    const std::size_t request = std::min(sizeof buffer, limit - bytes.size());
    const ssize_t count = ::read(descriptor, buffer, request);
    if (count == 0) return;
    if (count < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      throw IOError(concat(caller, ": reading \"", path, "\" failed: ", error_text(error)));
    }
    bytes.append(buffer, static_cast<std::size_t>(count));
  }
}

/// Returns the whole contents of the regular file at `path`. With `check_header`, the
/// first `header_size` bytes (fewer for a shorter file) are read and checked before the
/// rest, so a large file of another kind is rejected without reading it all.
/// @throws ValueError for an empty path or one with a NUL byte.
/// @throws IOError when the file cannot be opened or read, or is not a regular file.
/// Errors of `check_header` propagate unchanged.
inline std::string read_file(const std::string& path, const char* caller,
                             std::size_t header_size = 0,
                             const HeaderCheck& check_header = nullptr) {
  check_path(path, caller);
  // Without O_NONBLOCK, opening a FIFO waits for a writer, possibly forever, before the
  // file type can be checked.
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (descriptor < 0) {
    const int error = errno;
    throw IOError(concat(caller, ": cannot open \"", path, "\": ", error_text(error)));
  }
  struct Closer {
    int descriptor;
    ~Closer() { ::close(descriptor); }
  } closer{descriptor};
  struct stat status {};
  if (::fstat(descriptor, &status) != 0) {
    const int error = errno;
    throw IOError(concat(caller, ": cannot read \"", path, "\": ", error_text(error)));
  }
  if (!S_ISREG(status.st_mode)) {
    throw IOError(concat(caller, ": \"", path, "\" is not a regular file"));
  }
  const int flags = ::fcntl(descriptor, F_GETFL);
  if (flags < 0 || ::fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    const int error = errno;
    throw IOError(concat(caller, ": cannot read \"", path, "\": ", error_text(error)));
  }
  std::string bytes;
  if (check_header) {
    read_up_to(descriptor, bytes, header_size, path, caller);
    check_header(bytes.data(), bytes.size());
  }
  try {
    bytes.reserve(static_cast<std::size_t>(status.st_size));
  } catch (const std::bad_alloc&) {
    throw IOError(concat(caller, ": \"", path, "\" has ", status.st_size,
                         " bytes, which do not fit in memory"));
  }
  read_up_to(descriptor, bytes, std::string::npos, path, caller);
  return bytes;
}

#else  // not POSIX

/// Writes to a std::ofstream and throws IOError when the stream fails.
class StreamSink : public ByteSink {
 public:
  StreamSink(std::ofstream& stream, std::string path, std::string caller)
      : stream_(stream), path_(std::move(path)), caller_(std::move(caller)) {}

  void write(const char* data, std::size_t size) override {
    stream_.write(data, static_cast<std::streamsize>(size));
    if (!stream_) throw IOError(concat(caller_, ": writing \"", path_, "\" failed"));
  }

 private:
  std::ofstream& stream_;
  std::string path_;
  std::string caller_;
};

/// Replaces the file at `path` with `contents` through a temporary file in the same folder
/// and a rename, as the POSIX version does.
// NOTE: this version is untested. Without POSIX there is no portable fsync, so the new file
// may not survive a power loss, and std::filesystem::rename need not be atomic. It also
// neither follows symbolic links nor rejects a destination that is not a regular file.
inline void write_file_atomically(const std::string& path, const std::string& contents,
                                  const char* caller, const SinkWrapper& wrap = nullptr) {
  check_write_path(path, caller);
  const std::string temporary = join_path(parent_folder(path), temporary_name());
  struct Remover {
    std::string path;
    bool active = true;
    ~Remover() {
      std::error_code ignored;
      if (active) std::filesystem::remove(path, ignored);
    }
  } remover{temporary};
  {
    std::ofstream stream(temporary, std::ios::binary | std::ios::trunc);
    if (!stream) {
      throw IOError(concat(caller, ": cannot create the temporary file \"", temporary, "\""));
    }
    StreamSink file_sink(stream, temporary, caller);
    if (wrap) {
      wrap(file_sink)->write(contents.data(), contents.size());
    } else {
      file_sink.write(contents.data(), contents.size());
    }
    stream.flush();
    stream.close();
    if (!stream) throw IOError(concat(caller, ": writing \"", temporary, "\" failed"));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    throw IOError(concat(caller, ": renaming \"", temporary, "\" to \"", path,
                         "\" failed: ", error.message()));
  }
  remover.active = false;
}

/// Returns the whole contents of the file at `path`, after `check_header` accepted its
/// first `header_size` bytes.
// NOTE: unlike the POSIX version, this one reads the whole file before checking its header.
inline std::string read_file(const std::string& path, const char* caller,
                             std::size_t header_size = 0,
                             const HeaderCheck& check_header = nullptr) {
  check_path(path, caller);
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw IOError(concat(caller, ": cannot open \"", path, "\""));
  std::string bytes((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  if (stream.bad()) throw IOError(concat(caller, ": reading \"", path, "\" failed"));
  if (check_header) check_header(bytes.data(), std::min(header_size, bytes.size()));
  return bytes;
}

#endif

}  // namespace detail
}  // namespace sinapse
