#include "registry/service_records.hpp"

#include <algorithm>

#include "dns/constants.hpp"
#include "dns/message.hpp"
#include "zone/zone_builder.hpp"

#include <set>

namespace beacon::registry {
namespace {

/// `label` + `suffix` in wire form.
std::string prepend(const std::string& label, const std::string& suffix) {
  return static_cast<char>(label.size()) + label + suffix;
}

std::string u16(std::uint16_t v) {
  std::string s(2, '\0');
  dns::write_u16(reinterpret_cast<std::uint8_t*>(s.data()), v);
  return s;
}

std::string srv_rdata(const Registration& r, const std::string& target) {
  return u16(r.priority) + u16(r.weight) + u16(r.port) + target;
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

class FragmentWriter {
 public:
  FragmentWriter(const Service& service, const ZoneSettings& settings, RotationSlots& slots)
      : settings_(settings),
        slots_(slots),
        builder_(settings.origin),
        service_name_(prepend(service.name, settings.origin)) {}

  void add_addresses(const std::string& owner, const Instance& instance, bool rotate) {
    for (const IpAddress& ip : instance.registration.addresses) {
      const std::uint16_t type = ip.is_v6 ? dns::type::AAAA : dns::type::A;
      add(owner, type, ttl(instance), std::string(reinterpret_cast<const char*>(ip.bytes.data()), ip.is_v6 ? 16 : 4));
      if (rotate) rotate_rrset(owner, type, settings_.max_answers);
    }
  }

  void add_srv(const std::string& owner, const Instance& instance) {
    add(owner, dns::type::SRV, ttl(instance), srv_rdata(instance.registration, instance_name(instance)));
    rotate_rrset(owner, dns::type::SRV, 0);
  }

  void add_instance(const Instance& instance, bool served) {
    const std::string owner = instance_name(instance);
    builder_.add_name(owner);
    if (!served) return;
    add_addresses(owner, instance, false);
    if (!instance.registration.meta.empty()) add(owner, dns::type::TXT, ttl(instance), txt_rdata(instance.registration));
  }

  std::string instance_name(const Instance& instance) const { return prepend(instance.id, service_name_); }
  const std::string& service_name() const { return service_name_; }

  ServiceRecords finish() {
    builder_.add_name(service_name_);
    return {std::make_shared<const zone::Zone>(builder_.build_fragment()), std::move(keys_)};
  }

 private:
  std::uint32_t ttl(const Instance& instance) const {
    return instance.registration.dns_ttl.value_or(settings_.default_ttl);
  }

  void add(const std::string& owner, std::uint16_t type, std::uint32_t ttl, std::string rdata) {
    builder_.add({owner, type, ttl, std::move(rdata)});
  }

  void rotate_rrset(const std::string& owner, std::uint16_t type, std::uint16_t cap) {
    const std::string key = owner + "|" + std::to_string(type);
    if (!rotated_.emplace(key).second) return;
    builder_.rotate(owner, type, slots_.acquire(key), cap);
    keys_.push_back(key);
  }

  const ZoneSettings& settings_;
  RotationSlots& slots_;
  zone::ZoneBuilder builder_;
  std::string service_name_;
  std::set<std::string> rotated_;
  std::vector<std::string> keys_;
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

ServiceRecords build_service_records(const Service& service, const ZoneSettings& settings, RotationSlots& slots) {
  FragmentWriter out(service, settings, slots);
  const bool serve_all = is_failing_open(service, settings);
  for (const auto& [id, instance] : service.instances) {
    const bool served = serve_all || is_servable(instance, settings);
    out.add_instance(instance, served);
    if (!served) continue;
    const Registration& r = instance.registration;
    out.add_addresses(out.service_name(), instance, true);
    out.add_srv(out.service_name(), instance);
    out.add_srv(service_srv_name(service.name, r.protocol, settings.origin), instance);
    for (const std::string& tag : r.tags) {
      const std::string tag_name = prepend(tag, out.service_name());
      out.add_addresses(tag_name, instance, true);
      out.add_srv(tag_name, instance);
    }
  }
  return out.finish();
}

}  // namespace beacon::registry
