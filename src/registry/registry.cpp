#include "registry/registry.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace beacon::registry {
namespace {

Refusal no_instance(const std::string& service, const std::string& id) {
  return {Refusal::Kind::not_found, "id", "no instance " + id + " of service " + service};
}

bool has_tag(const Registration& r, const std::string& tag) {
  return std::find(r.tags.begin(), r.tags.end(), tag) != r.tags.end();
}

}  // namespace

Registry::Registry(Store& store, const Clock& clock, std::function<bool(const std::string&)> is_reserved_name)
    : store_(store), clock_(clock), is_reserved_name_(std::move(is_reserved_name)) {}

void Registry::load() {
  const TimePoint now = clock_.now();
  for (const StoredService& row : store_.load_services()) {
    Service& service = services_[row.name];
    service.name = row.name;
    service.created_at = row.created_at;
    changed_.insert(row.name);
  }
  store_.for_each_instance([&](StoredInstance&& row) {
    Instance instance;
    instance.registration = std::move(row.registration);
    instance.registered_at = row.registered_at;
    instance.last_heartbeat = now;
    if (instance.registration.check) instance.check = CheckState{Health::passing, "", {}, now};
    Service& service = services_[row.service];
    if (service.name.empty()) service = {row.service, row.registered_at, {}};  // stored before services were
    service.instances[row.id] = std::move(instance);
    changed_.insert(row.service);
  });
  recount();
  for (const auto& [name, service] : services_) index_service(name, true);
}

const Service* Registry::find(const std::string& service) const {
  const auto it = services_.find(service);
  return it == services_.end() ? nullptr : &it->second;
}

std::optional<Refusal> Registry::check_conflicts(const std::string& service, const std::string& id,
                                                 const Registration& r) const {
  // <x>.<service> must name either an instance or a tag, never both (design.md, DNS names).
  if (has_tag(r, id)) return Refusal{Refusal::Kind::conflict, "tags", "an instance cannot carry a tag equal to its own id"};
  const Service* s = find(service);
  if (s == nullptr) {
    if (is_reserved_name_ && is_reserved_name_(service))
      return Refusal{Refusal::Kind::conflict, "service", "'" + service + "' is a static name of the zone"};
    return std::nullopt;
  }
  for (const auto& [other_id, other] : s->instances) {
    if (other_id == id) continue;
    if (has_tag(other.registration, id))
      return Refusal{Refusal::Kind::conflict, "id", "'" + id + "' is a tag of instance " + other_id + " of this service"};
    if (has_tag(r, other_id))
      return Refusal{Refusal::Kind::conflict, "tags", "tag '" + other_id + "' is the id of another instance of this service"};
  }
  return std::nullopt;
}

Expected<PutOutcome, Refusal> Registry::put_instance(const std::string& service, const std::string& id, Registration r) {
  if (auto conflict = check_conflicts(service, id, r)) return unexpected(std::move(*conflict));
  const TimePoint now = clock_.now();
  const bool service_is_new = find(service) == nullptr;
  Service& s = service_for_write(service);
  if (service_is_new) {
    s.created_at = now;
    staged_.push_back(StoredService{service, now});
  }
  const auto existing = s.instances.find(id);
  const bool is_new = existing == s.instances.end();
  Instance instance;
  instance.registration = std::move(r);
  instance.last_heartbeat = now;
  instance.registered_at = is_new ? now : existing->second.registered_at;
  if (!is_new) {
    // Replacing keeps the health the instance has earned, and since when it is critical,
    // or deregister_after could never be reached by re-registering.
    instance.reported = existing->second.reported;
    instance.critical_since = existing->second.critical_since;
    if (instance.registration.check && existing->second.check &&
        instance.registration.check == existing->second.registration.check)
      instance.check = existing->second.check;
  }
  if (instance.registration.check && !instance.check) instance.check = CheckState{Health::passing, "", {}, now};
  if (instance.health() != Health::critical) instance.critical_since.reset();
  else if (!instance.critical_since) instance.critical_since = now;
  staged_.push_back(StoredInstance{service, id, instance.registration, instance.registered_at});
  if (!is_new) unindex(service, id, existing->second);
  Instance& stored = s.instances[id] = std::move(instance);
  index(service, id, stored);
  if (is_new) ++instance_count_;
  return is_new ? PutOutcome::created : PutOutcome::replaced;
}

Expected<Unit, Refusal> Registry::heartbeat(const std::string& service, const std::string& id,
                                            std::optional<Health> status) {
  auto it = services_.find(service);
  if (it == services_.end() || !it->second.instances.contains(id)) return unexpected(no_instance(service, id));
  // Heartbeats live in memory only (design.md, Storage): nothing to stage.
  Instance& instance = it->second.instances.at(id);
  const Health before = instance.health();
  instance.last_heartbeat = clock_.now();
  instance.ttl_expired = false;
  if (status) instance.reported = *status;
  note_health(service, id, instance, before, "heartbeat");
  index(service, id, instance);
  return Unit{};
}

Expected<Unit, Refusal> Registry::remove_instance(const std::string& service, const std::string& id) {
  const Service* s = find(service);
  if (s == nullptr || !s->instances.contains(id)) return unexpected(no_instance(service, id));
  staged_.push_back(RemovedInstance{service, id});
  erase_instance(service, id);
  return Unit{};
}

Expected<Unit, Refusal> Registry::remove_service(const std::string& service) {
  const Service* s = find(service);
  if (s == nullptr) return unexpected(Refusal{Refusal::Kind::not_found, "service", "no service " + service});
  touch(service);
  index_service(service, false);
  instance_count_ -= s->instances.size();
  services_.erase(service);
  staged_.push_back(RemovedService{service});
  return Unit{};
}

void Registry::apply_check_results(const std::vector<CheckResult>& results) {
  for (const CheckResult& result : results) {
    auto it = services_.find(result.service);
    if (it == services_.end()) continue;  // removed while its check ran
    auto instance = it->second.instances.find(result.id);
    if (instance == it->second.instances.end() || !instance->second.check) continue;
    const Health before = instance->second.health();
    CheckState& check = *instance->second.check;
    if (check.status != result.status) check.last_change = result.checked_at;
    check.status = result.status;
    check.output = result.output;
    check.last_check = result.checked_at;
    note_health(result.service, result.id, instance->second, before, "check");
    index(result.service, result.id, instance->second);
  }
}

void Registry::note_health(const std::string& service, const std::string& id, Instance& instance, Health before,
                           const char* reason) {
  const Health now = instance.health();
  if (now == Health::critical && !instance.critical_since) instance.critical_since = clock_.now();
  if (now != Health::critical) instance.critical_since.reset();
  if (now == before) return;
  std::string why = reason;
  if (instance.check && std::string_view(reason) == "check") why += ": " + instance.check->output;
  log::info("health_changed", {{"service", service}, {"instance", id}, {"from", health_name(before)},
                               {"to", health_name(now)}, {"reason", why}});
  changed_.insert(service);
}

void Registry::expire() {
  const TimePoint now = clock_.now();
  while (!ttl_deadlines_.empty() && ttl_deadlines_.begin()->first < now) {
    const auto [service, id] = ttl_deadlines_.begin()->second;
    Instance& instance = services_.at(service).instances.at(id);
    const Health before = instance.health();
    instance.ttl_expired = true;
    // Critical since the TTL ran out, not since this sweep noticed.
    if (!instance.critical_since) instance.critical_since = *instance.ttl_due;
    note_health(service, id, instance, before, "heartbeat ttl lapsed");
    index(service, id, instance);  // leaves the TTL index, may enter the deregistration one
  }
  while (!deregister_deadlines_.empty() && deregister_deadlines_.begin()->first <= now) {
    const auto [service, id] = deregister_deadlines_.begin()->second;
    log::info("instance_deregistered", {{"service", service}, {"instance", id}, {"reason", "critical past deregister_after"}});
    staged_.push_back(RemovedInstance{service, id});
    erase_instance(service, id);
  }
}

void Registry::index(const std::string& service, const std::string& id, Instance& instance) {
  unindex(service, id, instance);
  const auto& r = instance.registration;
  instance.ttl_due.reset();
  instance.deregister_due.reset();
  if (r.ttl && !instance.ttl_expired) {
    instance.ttl_due = instance.last_heartbeat + *r.ttl;
    ttl_deadlines_.insert({*instance.ttl_due, {service, id}});
  }
  if (r.deregister_after && instance.critical_since) {
    instance.deregister_due = *instance.critical_since + *r.deregister_after;
    deregister_deadlines_.insert({*instance.deregister_due, {service, id}});
  }
}

void Registry::unindex(const std::string& service, const std::string& id, const Instance& instance) {
  if (instance.ttl_due) ttl_deadlines_.erase({*instance.ttl_due, {service, id}});
  if (instance.deregister_due) deregister_deadlines_.erase({*instance.deregister_due, {service, id}});
}

void Registry::index_service(const std::string& service, bool add) {
  const auto it = services_.find(service);
  if (it == services_.end()) return;
  for (auto& [id, instance] : it->second.instances) {
    if (add) index(service, id, instance);
    else unindex(service, id, instance);
  }
}

void Registry::touch(const std::string& service) {
  if (!before_batch_.contains(service)) {
    const Service* s = find(service);
    before_batch_.emplace(service, s ? std::optional<Service>(*s) : std::nullopt);
  }
  changed_.insert(service);
}

Service& Registry::service_for_write(const std::string& service) {
  touch(service);
  Service& s = services_[service];
  s.name = service;
  return s;
}

void Registry::erase_instance(const std::string& service, const std::string& id) {
  Service& s = service_for_write(service);
  const auto it = s.instances.find(id);
  if (it == s.instances.end()) return;
  unindex(service, id, it->second);
  s.instances.erase(it);
  --instance_count_;
}

void Registry::recount() {
  instance_count_ = 0;
  for (const auto& [name, service] : services_) instance_count_ += service.instances.size();
}

std::set<std::string> Registry::commit() {
  try {
    store_.commit(staged_);
  } catch (const StoreError&) {
    for (auto& [name, before] : before_batch_) {
      index_service(name, false);
      if (before) {
        services_[name] = std::move(*before);
        index_service(name, true);
      } else {
        services_.erase(name);
      }
    }
    recount();
    staged_.clear();
    before_batch_.clear();
    // changed_ is kept: health changes are not undone and must still reach DNS; the undone
    // services are rebuilt once more, unchanged, which is harmless.
    throw;
  }
  staged_.clear();
  before_batch_.clear();
  return std::exchange(changed_, {});
}

}  // namespace beacon::registry
