#pragma once
// Logging facade: one line per event, `key=value` fields, to stderr.
// Thread-safe (each line is written with a single write(2)); no allocation when the level
// is disabled. The query path never logs per query.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace beacon::log {

enum class Level : std::uint8_t { debug, info, warn, error };

/// Parses "debug", "info", "warn"/"warning" or "error".
std::optional<Level> parse_level(std::string_view text);
std::string_view level_name(Level level);

enum class Format : std::uint8_t { text, json };
std::optional<Format> parse_format(std::string_view text);
/// text: `ts level=info event=x key=value`; json: one JSON object per line.
void set_format(Format format);

void set_level(Level level);
bool is_enabled(Level level);

/// One key=value pair of a log line. Values containing spaces or quotes are quoted.
struct Field {
  std::string_view key;
  std::string value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <typename Number>
    requires std::is_arithmetic_v<Number>
  Field(std::string_view k, Number v) : key(k), value(std::to_string(v)) {}
};

void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void debug(std::string_view event, std::initializer_list<Field> fields = {}) {
  if (is_enabled(Level::debug)) write(Level::debug, event, fields);
}
inline void info(std::string_view event, std::initializer_list<Field> fields = {}) {
  if (is_enabled(Level::info)) write(Level::info, event, fields);
}
inline void warn(std::string_view event, std::initializer_list<Field> fields = {}) {
  if (is_enabled(Level::warn)) write(Level::warn, event, fields);
}
inline void error(std::string_view event, std::initializer_list<Field> fields = {}) {
  write(Level::error, event, fields);
}

}  // namespace beacon::log
