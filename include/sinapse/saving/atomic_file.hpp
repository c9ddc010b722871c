#pragma once

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

/// Returns a name for a temporary file next to `path` that no other writer is likely to
/// pick: the path plus ".tmp-", a random number and a per-process counter.
inline std::string temporary_name(const std::string& path) {
  static std::atomic<std::uint64_t> counter{0};
  static const char digits[] = "0123456789abcdef";
  std::uint64_t value = (static_cast<std::uint64_t>(std::random_device{}()) << 20) ^ counter++;
  std::string suffix;
  for (int i = 0; i < 12; ++i, value >>= 4) suffix += digits[value & 0xFu];
  return path + ".tmp-" + suffix;
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

/// Replaces the file at `path` with `contents` so that readers see either the old file or
/// the complete new one, never a mix. The bytes go to a temporary file in the same
/// folder, which is flushed, synced to disk and renamed over `path`, because POSIX makes
/// a rename within one file system atomic. The folder is synced afterwards. When a step
/// throws, the temporary file is removed and `path` is unchanged. After a crash the
/// temporary file may remain, but `path` is still the old file. An existing file keeps
/// its permission bits, and a new file gets 0666 minus the umask, as with `open`.
/// @throws IOError naming the failed step and the system's reason.
inline void write_file_atomically(const std::string& path, const std::string& contents,
                                  const char* caller, const SinkWrapper& wrap = nullptr) {
  if (path.empty()) throw ValueError(concat(caller, ": the path is empty; pass a file name"));
  TemporaryFile temporary;
  for (int attempt = 0;; ++attempt) {
    const std::string candidate = temporary_name(path);
    temporary.descriptor = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (temporary.descriptor >= 0) {
      temporary.path = candidate;
      break;
    }
    const int error = errno;
    if ((error == EEXIST || error == EINTR) && attempt < 100) continue;
    throw IOError(concat(caller, ": cannot create a temporary file next to \"", path, "\" (\"",
                         candidate, "\"): ", error_text(error),
                         "; check that the folder exists and is writable"));
  }
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
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
  if (::rename(temporary.path.c_str(), path.c_str()) != 0) {
    const int error = errno;
    throw IOError(concat(caller, ": renaming \"", temporary.path, "\" to \"", path,
                         "\" failed: ", error_text(error), "; \"", path, "\" was not changed"));
  }
  temporary.renamed = true;
  sync_folder(parent_folder(path), path, caller);
}

/// Returns the whole contents of the regular file at `path`.
/// @throws IOError when it cannot be opened or read, or is not a regular file.
inline std::string read_file(const std::string& path, const char* caller) {
  const int descriptor = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
  std::string bytes;
  try {
    bytes.reserve(static_cast<std::size_t>(status.st_size));
  } catch (const std::bad_alloc&) {
    throw IOError(concat(caller, ": \"", path, "\" has ", status.st_size,
                         " bytes, which do not fit in memory"));
  }
  char buffer[1 << 16];
  for (;;) {
    const ssize_t count = ::read(descriptor, buffer, sizeof buffer);
    if (count == 0) break;
    if (count < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      throw IOError(concat(caller, ": reading \"", path, "\" failed: ", error_text(error)));
    }
    bytes.append(buffer, static_cast<std::size_t>(count));
  }
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
// may not survive a power loss, and std::filesystem::rename need not be atomic.
inline void write_file_atomically(const std::string& path, const std::string& contents,
                                  const char* caller, const SinkWrapper& wrap = nullptr) {
  if (path.empty()) throw ValueError(concat(caller, ": the path is empty; pass a file name"));
  const std::string temporary = temporary_name(path);
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

/// Returns the whole contents of the file at `path`.
inline std::string read_file(const std::string& path, const char* caller) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw IOError(concat(caller, ": cannot open \"", path, "\""));
  std::string bytes((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  if (stream.bad()) throw IOError(concat(caller, ": reading \"", path, "\" failed"));
  return bytes;
}

#endif

}  // namespace detail
}  // namespace sinapse
