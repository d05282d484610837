#include "zone/master_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "dns/name.hpp"

// ldns last: its headers define `bool`/`true`/`false` macros that break C++ headers after them.
#include <ldns/ldns.h>

namespace beacon::zone {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
struct ZoneFree {
  void operator()(ldns_zone* z) const { ldns_zone_deep_free(z); }
};
struct RdfFree {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
struct BufferFree {
  void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};

std::string rdf_bytes(const ldns_rdf* rdf) {
  return {reinterpret_cast<const char*>(ldns_rdf_data(rdf)), ldns_rdf_size(rdf)};
}

std::string default_origin(const std::filesystem::path& file) {
  std::string stem = file.stem().string();
  if (stem.empty() || stem.back() != '.') stem += '.';
  return stem;
}

RecordInput to_input(const ldns_rr* rr, ldns_buffer* buffer) {
  ldns_buffer_clear(buffer);
  if (ldns_rr_rdata2buffer_wire(buffer, rr) != LDNS_STATUS_OK) throw ZoneError("cannot encode RDATA");
  RecordInput input;
  input.owner = rdf_bytes(ldns_rr_owner(rr));
  input.type = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
  input.ttl = ldns_rr_ttl(rr);
  input.rdata.assign(reinterpret_cast<const char*>(ldns_buffer_begin(buffer)), ldns_buffer_position(buffer));
  return input;
}

/// ldns counts the newlines it consumed; a bad last line without a newline is one more.
int error_line(std::FILE* fp, int newlines_read) {
  const long at = std::ftell(fp);
  if (at <= 0 || std::fseek(fp, 0, SEEK_END) != 0 || std::ftell(fp) != at) return newlines_read;
  if (std::fseek(fp, -1, SEEK_END) != 0 || std::fgetc(fp) == '\n') return newlines_read;
  return newlines_read + 1;
}

Zone build_zone(const std::filesystem::path& file, const ldns_zone* parsed) {
  const ldns_rr* soa = ldns_zone_soa(parsed);
  if (soa == nullptr) throw ZoneFileError(file, 0, "no SOA record");
  const std::string origin = rdf_bytes(ldns_rr_owner(soa));
  std::unique_ptr<ldns_buffer, BufferFree> buffer(ldns_buffer_new(512));
  ZoneBuilder builder(origin);
  try {
    builder.add(to_input(soa, buffer.get()));
    const ldns_rr_list* rrs = ldns_zone_rrs(parsed);
    for (std::size_t i = 0; i < ldns_rr_list_rr_count(rrs); ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(rrs, i);
      if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
        throw ZoneError("record of a class other than IN at " +
                        dns::name_to_text({ldns_rdf_data(ldns_rr_owner(rr)), ldns_rdf_size(ldns_rr_owner(rr))}));
      builder.add(to_input(rr, buffer.get()));
    }
    return builder.build();
  } catch (const ZoneFileError&) {
    throw;
  } catch (const ZoneError& e) {
    throw ZoneFileError(file, 0, e.what());
  }
}

}  // namespace

ZoneFileError::ZoneFileError(std::filesystem::path file, int line, const std::string& reason)
    : ZoneError(file.string() + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + reason),
      file_(std::move(file)),
      line_(line) {}

Zone load_zone_file(const std::filesystem::path& file) {
  std::unique_ptr<std::FILE, FileCloser> fp(std::fopen(file.c_str(), "r"));
  if (!fp) throw ZoneFileError(file, 0, "cannot open: " + std::string(std::strerror(errno)));
  std::unique_ptr<ldns_rdf, RdfFree> origin(ldns_dname_new_frm_str(default_origin(file).c_str()));
  if (!origin) throw ZoneFileError(file, 0, "file name is not a valid zone origin");

  ldns_zone* raw = nullptr;
  int line = 0;
  const ldns_status status = ldns_zone_new_frm_fp_l(&raw, fp.get(), origin.get(), 3600, LDNS_RR_CLASS_IN, &line);
  std::unique_ptr<ldns_zone, ZoneFree> parsed(raw);
  if (status != LDNS_STATUS_OK) throw ZoneFileError(file, error_line(fp.get(), line), ldns_get_errorstr_by_id(status));
  return build_zone(file, parsed.get());
}

std::vector<std::shared_ptr<const Zone>> load_zone_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".zone") files.push_back(entry.path());
  }
  if (ec) throw ZoneFileError(dir, 0, "cannot read zone directory: " + ec.message());
  std::sort(files.begin(), files.end());

  std::vector<std::shared_ptr<const Zone>> zones;
  std::set<std::string> origins;
  for (const auto& file : files) {
    auto zone = std::make_shared<const Zone>(load_zone_file(file));
    const auto apex = zone->apex();
    if (!origins.emplace(reinterpret_cast<const char*>(apex.data()), apex.size()).second)
      throw ZoneFileError(file, 0, "zone " + dns::name_to_text(apex) + " is already loaded from another file");
    zones.push_back(std::move(zone));
  }
  return zones;
}

}  // namespace beacon::zone
