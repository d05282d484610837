#pragma once
// beacond's flags (Boost.Program_options). Flags override the config file.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace beacon::app {

struct CommandLine {
  std::optional<std::filesystem::path> config_file;
  std::optional<std::filesystem::path> check_config_file;
  std::vector<std::string> dns_listen;
  std::optional<std::string> zone_dir;
  std::optional<std::string> log_level;
  std::optional<std::string> http_listen;
  std::optional<std::string> data_dir;
  bool help = false;
  bool version = false;
  std::string usage;  // the --help text
};

/// Throws std::runtime_error with a message for the user on a bad command line.
CommandLine parse_command_line(int argc, const char* const* argv);

/// The file's configuration (or the defaults) with the flags applied on top; throws
/// config::ConfigError naming the flag or key at fault.
config::Config resolve_config(const CommandLine& cli);

}  // namespace beacon::app
