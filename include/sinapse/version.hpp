#pragma once

#define SINAPSE_VERSION_MAJOR 0
#define SINAPSE_VERSION_MINOR 1
#define SINAPSE_VERSION_PATCH 0

namespace sinapse {

/// Library version, "major.minor.patch".
inline constexpr const char* version = "0.1.0";

}  // namespace sinapse
