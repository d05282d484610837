#pragma once
// Durations as operators write them: "500ms", "15s", "2m", "1h", "7d", or a bare integer of seconds.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace beacon {

/// Parses a duration; nullopt for anything else (negative, empty, unknown unit, overflow).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// "1500ms", "15s", "2m": the shortest exact form.
std::string format_duration(std::chrono::milliseconds d);

}  // namespace beacon
