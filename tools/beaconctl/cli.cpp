#include "cli.hpp"

#include <boost/program_options.hpp>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "command.hpp"
#include "exit_status.hpp"
#include "global_options.hpp"

#ifndef BEACON_VERSION
#define BEACON_VERSION "unknown"
#endif

namespace beacon::ctl {
namespace {

namespace po = boost::program_options;

constexpr const char* exit_status_help =
    "Exit status:\n"
    "  0  success\n"
    "  1  the API refused the request (HTTP 4xx or 5xx, e.g. 404 not found), or DNS has no such\n"
    "     records (NXDOMAIN, NODATA, REFUSED, SERVFAIL)\n"
    "  2  usage error: unknown command or flag, missing or malformed argument\n"
    "  3  the API or the DNS server cannot be reached or does not answer in time; wait reaching\n"
    "     its --timeout\n";

const Command* find_command(const std::string& name) {
  for (const auto& c : all_commands())
    if (c.name == name) return &c;
  return nullptr;
}

void print_top_help(std::ostream& out) {
  GlobalOptions ignored;
  out << "usage: beaconctl [global options] COMMAND [ARGUMENTS] [options]\n"
         "       beaconctl COMMAND --help | beaconctl --help | beaconctl --version\n\n"
         "Registers service instances with beacond over its HTTP API and resolves them through\n"
         "its DNS, as applications do.\n\nCommands:\n";
  for (const auto& c : all_commands()) {
    std::string name = c.name;
    name.resize(12, ' ');
    out << "  " << name << c.summary << '\n';
  }
  out << '\n' << global_options(ignored) << "\nGlobal options may come before or after the command.\n\n"
      << exit_status_help << "\nSee beaconctl COMMAND --help, and beaconctl(1).\n";
}

po::options_description command_options(const Command& command) {
  po::options_description options(command.name + " options", 100, 60);
  command.add_options(options);
  return options;
}

void print_command_help(const Command& command, std::ostream& out) {
  GlobalOptions ignored;
  out << "usage: beaconctl " << command.name << (command.arguments.empty() ? "" : " " + command.arguments) << "\n\n"
      << command.summary << ".\n" << command.details << "\n\n";
  const auto options = command_options(command);
  if (!options.options().empty()) out << options << '\n';
  out << global_options(ignored) << '\n' << exit_status_help;
}

/// The position of the command in args: the first word that is neither a flag nor the value
/// of a global flag.
std::optional<std::size_t> command_position(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() > 2 && a.starts_with("--")) {
      if (a.find('=') == std::string::npos && global_flag_takes_value(a.substr(2))) ++i;
      continue;
    }
    if (a.size() > 1 && a.starts_with('-')) continue;
    return i;
  }
  return std::nullopt;
}

int run_command(const Command& command, std::vector<std::string> args) {
  GlobalOptions global;
  po::options_description all = global_options(global);
  all.add(command_options(command));
  po::options_description hidden;
  po::positional_options_description positional;
  for (const auto& name : command.positionals) {
    hidden.add_options()(name.c_str(), po::value<std::string>());
    positional.add(name.c_str(), 1);
  }
  all.add(hidden);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  if (vm["version"].as<bool>()) {
    std::cout << "beaconctl " << BEACON_VERSION << '\n';
    return exit_status::ok;
  }
  if (vm["help"].as<bool>()) {
    print_command_help(command, std::cout);
    return exit_status::ok;
  }
  po::notify(vm);
  for (const auto& name : command.positionals)
    if (!vm.count(name)) throw usage_error(command.name + ": missing " + name + " (usage: beaconctl " + command.name + " " + command.arguments + ")");
  global.zone = absolute_zone(global.zone);
  return command.run(Invocation{global, vm, std::cout});
}

int dispatch(std::vector<std::string> args) {
  const auto at = command_position(args);
  if (!at) {
    for (const auto& a : args) {
      if (a == "--help" || a == "-h") return print_top_help(std::cout), exit_status::ok;
      if (a == "--version") return std::cout << "beaconctl " << BEACON_VERSION << '\n', exit_status::ok;
    }
    print_top_help(std::cerr);
    return exit_status::usage;
  }
  std::string name = args[*at];
  args.erase(args.begin() + static_cast<std::ptrdiff_t>(*at));
  if (name == "help") {
    if (args.empty()) return print_top_help(std::cout), exit_status::ok;
    name = args.front();
    args = {"--help"};
  }
  const Command* command = find_command(name);
  if (command == nullptr) throw usage_error("unknown command '" + name + "' (see beaconctl --help)");
  try {
    return run_command(*command, std::move(args));
  } catch (const po::error& e) {
    throw usage_error(command->name + ": " + e.what() + " (see beaconctl " + command->name + " --help)");
  }
}

}  // namespace

const std::vector<Command>& all_commands() {
  static const std::vector<Command> commands = {register_command(), deregister_command(), heartbeat_command(),
                                                ls_command(),       show_command(),       resolve_command(),
                                                wait_command()};
  return commands;
}

int run(int argc, const char* const* argv) {
  try {
    return dispatch(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const Failure& f) {
    std::cout.flush();
    std::cerr << "beaconctl: " << f.what() << '\n';
    return f.status();
  } catch (const po::error& e) {
    std::cerr << "beaconctl: " << e.what() << " (see beaconctl --help)\n";
    return exit_status::usage;
  } catch (const std::exception& e) {
    std::cerr << "beaconctl: " << e.what() << '\n';
    return exit_status::refused;
  }
}

}  // namespace beacon::ctl
