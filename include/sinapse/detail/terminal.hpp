#pragma once

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <ostream>
#include <string>

#if defined(_WIN32)
#include <io.h>
#else
#include <sys/ioctl.h>
#include <unistd.h>
#endif

namespace sinapse {
namespace detail {

/// Returns the file descriptor behind std::cout or std::cerr/std::clog, or -1 for any
/// other stream (files and string streams are never terminals).
inline int stream_descriptor(const std::ostream& out) {
  if (out.rdbuf() == std::cout.rdbuf()) return 1;
  if (out.rdbuf() == std::cerr.rdbuf() || out.rdbuf() == std::clog.rdbuf()) return 2;
  return -1;
}

/// True when the stream writes to an interactive terminal.
inline bool is_terminal(const std::ostream& out) {
  const int descriptor = stream_descriptor(out);
  if (descriptor < 0) return false;
#if defined(_WIN32)
  return _isatty(descriptor) != 0;
#else
  return isatty(descriptor) != 0;
#endif
}

/// Terminal width as Python's shutil.get_terminal_size finds it: the COLUMNS variable,
/// then the terminal behind the stream, then 80.
inline int terminal_columns(const std::ostream& out) {
  if (const char* columns = std::getenv("COLUMNS")) {
    const int value = std::atoi(columns);
    if (value > 0) return value;
  }
#if !defined(_WIN32)
  const int descriptor = stream_descriptor(out);
  winsize size{};
  if (descriptor >= 0 && isatty(descriptor) != 0 && ioctl(descriptor, TIOCGWINSZ, &size) == 0 &&
      size.ws_col > 0) {
    return size.ws_col;
  }
#else
  (void)out;
#endif
  return 80;
}

}  // namespace detail
}  // namespace sinapse
