#include "registry/service_records.hpp"

#include <algorithm>
#include <string_view>
#include <tuple>

#include "dns/constants.hpp"
#include "dns/message.hpp"
#include "zone/zone_builder.hpp"

namespace beacon::registry {
namespace {

/// `label` + `suffix` in wire form, into `out` (reusing its memory).
void prepend(const std::string& label, const std::string& suffix, std::string& out) {
  out.assign(1, static_cast<char>(label.size())).append(label).append(suffix);
}

std::string prepend(const std::string& label, const std::string& suffix) {
  std::string out;
  prepend(label, suffix, out);
  return out;
}

/// SRV RDATA (RFC 2782) into `out`, replacing what it held.
void srv_rdata(const Registration& r, std::string_view target, std::string& out) {
  out.resize(6);
  auto* p = reinterpret_cast<std::uint8_t*>(out.data());
  dns::write_u16(p, r.priority);
  dns::write_u16(p + 2, r.weight);
  dns::write_u16(p + 4, r.port);
  out.append(target);
}

std::string txt_rdata(const Registration& r) {
  std::string rdata;
  for (const auto& [key, value] : r.meta) {
    const std::string entry = key + "=" + value;  // validated to fit one character-string
    rdata += static_cast<char>(entry.size());
    rdata += entry;
  }
  return rdata;
}

std::string_view address_rdata(const IpAddress& ip) {
  return {reinterpret_cast<const char*>(ip.bytes.data()), ip.is_v6 ? 16u : 4u};
}

/// Writes one service's records into a ZoneBuilder. Names are built once each and records
/// go in as views: this runs for every changed service on every commit, and for every
/// service at start-up.
class FragmentWriter {
 public:
  FragmentWriter(const Service& service, const ZoneSettings& settings)
      : settings_(settings), builder_(thread_builder(settings.origin)), service_name_(prepend(service.name, settings.origin)) {}

  void add_addresses(std::string_view owner, const Instance& instance, bool rotate) {
    for (const IpAddress& ip : instance.registration.addresses) {
      const std::uint16_t type = ip.is_v6 ? dns::type::AAAA : dns::type::A;
      builder_.add(owner, type, ttl(instance), address_rdata(ip));
      if (rotate) rotate_rrset(owner, type, settings_.max_answers);
    }
  }

  void add_srv(std::string_view owner, const Instance& instance, std::string_view target) {
    srv_rdata(instance.registration, target, scratch_);
    builder_.add(owner, dns::type::SRV, ttl(instance), scratch_);
    rotate_rrset(owner, dns::type::SRV, 0);
  }

  void add_instance(std::string_view owner, const Instance& instance, bool served) {
    builder_.add_name(owner);
    if (!served) return;
    add_addresses(owner, instance, false);
    if (!instance.registration.meta.empty())
      builder_.add(owner, dns::type::TXT, ttl(instance), txt_rdata(instance.registration));
  }

  const std::string& service_name() const { return service_name_; }

  /// Gives the rotating RRsets the service's block of slots, in a fixed order, and freezes.
  std::shared_ptr<const zone::Zone> finish(const std::string& service, RotationSlots& slots) {
    builder_.add_name(service_name_);
    std::sort(rotated_.begin(), rotated_.end(),
              [](const Rotated& a, const Rotated& b) { return std::tie(a.owner, a.type) < std::tie(b.owner, b.type); });
    const std::uint32_t first = slots.acquire(service, static_cast<std::uint32_t>(rotated_.size()));
    for (std::uint32_t i = 0; i < rotated_.size(); ++i)
      builder_.rotate(rotated_[i].owner, rotated_[i].type, first + i, rotated_[i].cap);
    return std::make_shared<const zone::Zone>(builder_.build_fragment());
  }

 private:
  struct Rotated {
    std::string owner;
    std::uint16_t type;
    std::uint16_t cap;
  };

  /// One builder per thread, reset for each service: a fragment is built on every commit that
  /// changes its service, a hundred thousand at start-up, and the builder's memory is reused.
  static zone::ZoneBuilder& thread_builder(const std::string& origin) {
    thread_local zone::ZoneBuilder builder(origin);
    builder.reset(origin);
    return builder;
  }

  std::uint32_t ttl(const Instance& instance) const {
    return instance.registration.dns_ttl.value_or(settings_.default_ttl);
  }

  void rotate_rrset(std::string_view owner, std::uint16_t type, std::uint16_t cap) {
    for (const Rotated& r : rotated_) {
      if (r.type == type && r.owner == owner) return;
    }
    rotated_.push_back({std::string(owner), type, cap});
  }

  const ZoneSettings& settings_;
  zone::ZoneBuilder& builder_;
  std::string service_name_;
  std::vector<Rotated> rotated_;  // a handful per service: a linear search beats a set
  std::string scratch_;
};

}  // namespace

std::string service_srv_name(const std::string& service, Protocol protocol, const std::string& origin) {
  return prepend("_" + service, prepend(protocol == Protocol::tcp ? "_tcp" : "_udp", origin));
}

bool is_servable(const Instance& instance, const ZoneSettings& settings) {
  const Health h = instance.health();
  return settings.only_passing ? h == Health::passing : h != Health::critical;
}

bool is_failing_open(const Service& service, const ZoneSettings& settings) {
  if (!settings.fail_open || service.instances.empty()) return false;
  return std::none_of(service.instances.begin(), service.instances.end(),
                      [&](const auto& entry) { return is_servable(entry.second, settings); });
}

std::shared_ptr<const zone::Zone> build_service_fragment(const Service& service, const ZoneSettings& settings,
                                                         RotationSlots& slots) {
  FragmentWriter out(service, settings);
  const bool serve_all = is_failing_open(service, settings);
  const std::string tcp_name = service_srv_name(service.name, Protocol::tcp, settings.origin);
  const std::string udp_name = service_srv_name(service.name, Protocol::udp, settings.origin);
  std::string instance_name, tag_name;  // reused from instance to instance
  for (const auto& [id, instance] : service.instances) {
    const bool served = serve_all || is_servable(instance, settings);
    prepend(id, out.service_name(), instance_name);
    out.add_instance(instance_name, instance, served);
    if (!served) continue;
    const Registration& r = instance.registration;
    out.add_addresses(out.service_name(), instance, true);
    out.add_srv(out.service_name(), instance, instance_name);
    out.add_srv(r.protocol == Protocol::tcp ? tcp_name : udp_name, instance, instance_name);
    for (const std::string& tag : r.tags) {
      prepend(tag, out.service_name(), tag_name);
      out.add_addresses(tag_name, instance, true);
      out.add_srv(tag_name, instance, instance_name);
    }
  }
  return out.finish(service.name, slots);
}

}  // namespace beacon::registry
