#pragma once

#include <string>

#include "sinapse/core/errors.hpp"

namespace sinapse {

/// A model or weights file is not one that sinapse can load: it is truncated or damaged
/// (a checksum does not match), it was not written by sinapse, it comes from a newer
/// format version, or its contents describe an invalid model (an unknown layer class, a
/// dangling or cyclic connection, a weight of the wrong shape). It derives from
/// ValueError, because the file is a bad argument of the loading call.
class FileFormatError : public ValueError {
 public:
  using ValueError::ValueError;
};

/// The operating system failed to read, write, sync or rename a file. The message names
/// the file, the operation and the system's reason (such as "No space left on device").
class IOError : public Error {
 public:
  using Error::Error;
};

}  // namespace sinapse
