#pragma once
// What a beaconctl command is: a name, its arguments and flags, and the function that runs it.

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "global_options.hpp"

namespace beacon::ctl {

/// What a command runs with: the global options, its own parsed flags, and stdout.
struct Invocation {
  const GlobalOptions& global;
  const boost::program_options::variables_map& flags;
  std::ostream& out;

  /// The value of a flag or positional argument the command declared.
  template <typename T>
  const T& get(const char* name) const { return flags[name].as<T>(); }
  bool has(const char* name) const { return flags.count(name) > 0 && !flags[name].defaulted(); }
};

struct Command {
  std::string name;
  std::string arguments;  // synopsis after the name, e.g. "SERVICE ID --address A --port P"
  std::string summary;    // one line
  std::string details;    // the paragraph after the synopsis in `beaconctl NAME --help`
  std::vector<std::string> positionals;  // names of the required positional arguments, in order
  std::function<void(boost::program_options::options_description&)> add_options;
  std::function<int(const Invocation&)> run;
};

/// Every command, in the order --help lists them.
const std::vector<Command>& all_commands();

// One factory per command file.
Command register_command();
Command deregister_command();
Command heartbeat_command();
Command ls_command();
Command show_command();
Command resolve_command();
Command wait_command();

}  // namespace beacon::ctl
