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
struct RrFree {
  void operator()(ldns_rr* r) const { ldns_rr_free(r); }
};
struct RdfFree {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
struct BufferFree {
  void operator()(ldns_buffer* b) const { ldns_buffer_free(b); }
};
using Rr = std::unique_ptr<ldns_rr, RrFree>;

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

/// The records of a master file, read one at a time with ldns_rr_new_frm_fp_l.
///
/// Not ldns_zone_new_frm_fp_l: in ldns 1.8.3 it keeps a pointer to a second SOA after freeing
/// it and reads it for the next record, a use-after-free that crashed on a zone with three
/// SOAs (found by fuzz_zone_file). Reading record by record also lets a second SOA be an error
/// with its line instead of being dropped in silence. The TTL rules are those ldns applies:
/// an omitted TTL is the $TTL value if there is one, else the last TTL stated explicitly
/// (RFC 2308 §4, RFC 1035 §5.1), and a record continuing an RRset takes that RRset's TTL.
struct MasterFile {
  Rr soa;
  std::vector<Rr> records;
};

MasterFile read_records(const std::filesystem::path& file, std::FILE* fp) {
  // An omitted TTL leaves this value in the record: no zone states it (it exceeds 2^31 - 1).
  constexpr std::uint32_t implicit = 0xFFFFFFFF;
  std::unique_ptr<ldns_rdf, RdfFree> origin(ldns_dname_new_frm_str(default_origin(file).c_str()));
  if (!origin) throw ZoneFileError(file, 0, "file name is not a valid zone origin");
  // The owner a blank owner field repeats.
  std::unique_ptr<ldns_rdf, RdfFree> previous_owner(ldns_rdf_clone(origin.get()));
  MasterFile out;
  std::uint32_t dollar_ttl = 0;
  bool have_dollar_ttl = false;
  std::uint32_t last_explicit_ttl = 3600;
  const ldns_rr* previous = nullptr;
  int line = 0;
  while (!std::feof(fp)) {
    ldns_rr* raw = nullptr;
    std::uint32_t ttl = implicit;
    // ldns replaces both names in place ($ORIGIN, a new owner); they stay owned here.
    ldns_rdf* origin_now = origin.release();
    ldns_rdf* previous_now = previous_owner.release();
    const ldns_status status = ldns_rr_new_frm_fp_l(&raw, fp, &ttl, &origin_now, &previous_now, &line);
    origin.reset(origin_now);
    previous_owner.reset(previous_now);
    Rr rr(raw);
    if (status == LDNS_STATUS_SYNTAX_TTL) {
      dollar_ttl = ttl;
      have_dollar_ttl = true;
      continue;
    }
    if (status == LDNS_STATUS_SYNTAX_EMPTY || status == LDNS_STATUS_SYNTAX_ORIGIN) continue;
    if (status == LDNS_STATUS_SYNTAX_INCLUDE) throw ZoneFileError(file, line, "$INCLUDE is not supported");
    if (status != LDNS_STATUS_OK || !rr) throw ZoneFileError(file, error_line(fp, line), ldns_get_errorstr_by_id(status));
    if (ldns_rr_ttl(rr.get()) == implicit) {
      std::uint32_t inherited = have_dollar_ttl ? dollar_ttl : last_explicit_ttl;
      if (previous != nullptr && ldns_rr_get_type(previous) == ldns_rr_get_type(rr.get()) &&
          ldns_dname_compare(ldns_rr_owner(previous), ldns_rr_owner(rr.get())) == 0)
        inherited = ldns_rr_ttl(previous);
      ldns_rr_set_ttl(rr.get(), inherited);
    } else {
      last_explicit_ttl = ldns_rr_ttl(rr.get());
    }
    previous = rr.get();
    if (ldns_rr_get_type(rr.get()) == LDNS_RR_TYPE_SOA) {
      if (out.soa) throw ZoneFileError(file, line, "a second SOA record (a zone has exactly one)");
      out.soa = std::move(rr);
    } else {
      out.records.push_back(std::move(rr));
    }
  }
  return out;
}

Zone build_zone(const std::filesystem::path& file, const MasterFile& parsed) {
  if (!parsed.soa) throw ZoneFileError(file, 0, "no SOA record");
  const std::string origin = rdf_bytes(ldns_rr_owner(parsed.soa.get()));
  std::unique_ptr<ldns_buffer, BufferFree> buffer(ldns_buffer_new(512));
  ZoneBuilder builder(origin);
  try {
    builder.add(to_input(parsed.soa.get(), buffer.get()));
    for (const Rr& rr : parsed.records) {
      if (ldns_rr_get_class(rr.get()) != LDNS_RR_CLASS_IN)
        throw ZoneError("record of a class other than IN at " +
                        dns::name_to_text({ldns_rdf_data(ldns_rr_owner(rr.get())), ldns_rdf_size(ldns_rr_owner(rr.get()))}));
      builder.add(to_input(rr.get(), buffer.get()));
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
  return build_zone(file, read_records(file, fp.get()));
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
