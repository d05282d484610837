#include "app/command_line.hpp"

#include <boost/program_options.hpp>
#include <sstream>
#include <stdexcept>

namespace beacon::app {

namespace po = boost::program_options;

CommandLine parse_command_line(int argc, const char* const* argv) {
  CommandLine cli;
  po::options_description options("beacond options");
  std::string config_file;
  std::string check_file;
  std::string zone_dir;
  std::string log_level;
  std::string http_listen;
  std::string data_dir;
  options.add_options()
      ("help,h", "show this help and exit")
      ("version", "print the version and exit")
      ("config,c", po::value(&config_file)->value_name("FILE"), "YAML configuration file")
      ("check-config", po::value(&check_file)->value_name("FILE"),
       "validate FILE (and the zones it names), print what is wrong, exit 0 if it is usable")
      ("dns-listen", po::value(&cli.dns_listen)->value_name("ADDR:PORT")->composing(),
       "DNS address to serve on, UDP and TCP; repeatable; [::1]:PORT for IPv6")
      ("http-listen", po::value(&http_listen)->value_name("ADDR:PORT"), "registration API address (HTTP)")
      ("data-dir", po::value(&data_dir)->value_name("DIR"), "directory of the registration database (beacon.db)")
      ("zone-dir", po::value(&zone_dir)->value_name("DIR"), "directory of *.zone master files")
      ("log-level", po::value(&log_level)->value_name("LEVEL"), "debug, info, warn or error");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw std::runtime_error(std::string(e.what()) + " (see beacond --help)");
  }
  std::ostringstream usage;
  usage << "usage: beacond [--config FILE] [--dns-listen ADDR:PORT]... [--http-listen ADDR:PORT] [--zone-dir DIR]\n"
        << "               [--data-dir DIR] [--log-level LEVEL]\n"
        << "       beacond --check-config FILE\n\n"
        << options;
  cli.usage = usage.str();
  cli.help = vm.count("help") > 0;
  cli.version = vm.count("version") > 0;
  if (vm.count("config")) cli.config_file = config_file;
  if (vm.count("check-config")) cli.check_config_file = check_file;
  if (vm.count("zone-dir")) cli.zone_dir = zone_dir;
  if (vm.count("log-level")) cli.log_level = log_level;
  if (vm.count("http-listen")) cli.http_listen = http_listen;
  if (vm.count("data-dir")) cli.data_dir = data_dir;
  return cli;
}

config::Config resolve_config(const CommandLine& cli) {
  config::Config cfg = cli.config_file ? config::load_file(*cli.config_file) : config::Config{};
  if (!cli.dns_listen.empty()) {
    cfg.dns.listen.clear();
    for (const auto& text : cli.dns_listen) cfg.dns.listen.push_back(config::parse_endpoint(text, "--dns-listen"));
  }
  if (cli.zone_dir) cfg.dns.zone_dir = *cli.zone_dir;
  if (cli.http_listen) cfg.http.listen = config::parse_endpoint(*cli.http_listen, "--http-listen");
  if (cli.data_dir) cfg.storage.path = *cli.data_dir;
  if (cli.log_level) {
    const auto level = log::parse_level(*cli.log_level);
    if (!level) throw config::ConfigError("--log-level: must be one of debug, info, warn, error, not '" + *cli.log_level + "'");
    cfg.log.level = *level;
  }
  return cfg;
}

}  // namespace beacon::app
