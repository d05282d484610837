#include "registry/registry.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace beacon::registry {

Registry::Registry(Store& store, const Clock& clock, std::function<bool(const std::string&)> is_reserved_name)
    : store_(store), clock_(clock), is_reserved_name_(std::move(is_reserved_name)) {}

void Registry::load() {
  const TimePoint now = clock_.now();
  for (StoredInstance& row : store_.load_all()) {
    Instance instance;
    instance.id = row.id;
    instance.registration = std::move(row.registration);
    instance.registered_at = row.registered_at;
    instance.last_heartbeat = now;
    auto& service = services_[row.service];
    service.name = row.service;
    service.instances[row.id] = std::move(instance);
    ++instance_count_;
    changed_.insert(row.service);
  }
}

const Service* Registry::find(const std::string& service) const {
  const auto it = services_.find(service);
  return it == services_.end() ? nullptr : &it->second;
}

std::optional<Refusal> Registry::check_conflicts(const std::string& service, const std::string& id,
                                                 const Registration& r) const {
  // <x>.<service> must name either an instance or a tag, never both (design.md, DNS names).
  if (std::find(r.tags.begin(), r.tags.end(), id) != r.tags.end())
    return Refusal{Refusal::Kind::conflict, "tags", "an instance cannot carry a tag equal to its own id"};
  if (const Service* s = find(service)) {
    for (const auto& [other_id, other] : s->instances) {
      if (other_id == id) continue;
      const auto& tags = other.registration.tags;
      if (std::find(tags.begin(), tags.end(), id) != tags.end())
        return Refusal{Refusal::Kind::conflict, "id", "'" + id + "' is a tag of instance " + other_id + " of this service"};
      if (std::find(r.tags.begin(), r.tags.end(), other_id) != r.tags.end())
        return Refusal{Refusal::Kind::conflict, "tags", "tag '" + other_id + "' is the id of another instance of this service"};
    }
  } else if (is_reserved_name_ && is_reserved_name_(service)) {
    return Refusal{Refusal::Kind::conflict, "service", "'" + service + "' is a static name of the zone"};
  }
  return std::nullopt;
}

Expected<PutOutcome, Refusal> Registry::put_instance(const std::string& service, const std::string& id, Registration r) {
  if (auto conflict = check_conflicts(service, id, r)) return unexpected(std::move(*conflict));
  const TimePoint now = clock_.now();
  const Service* s = find(service);
  const Instance* existing = nullptr;
  if (s != nullptr) {
    const auto it = s->instances.find(id);
    if (it != s->instances.end()) existing = &it->second;
  }
  Instance instance;
  instance.id = id;
  instance.registration = std::move(r);
  // Replacing keeps the registration time and the health the instance has earned.
  instance.registered_at = existing ? existing->registered_at : now;
  instance.reported = existing ? existing->reported : Health::passing;
  instance.last_heartbeat = now;
  // A registration renews the heartbeat TTL; an instance still critical by its own report
  // stays critical since when it became so, or deregister_after would never be reached.
  if (instance.health() == Health::critical)
    instance.critical_since = existing && existing->critical_since ? existing->critical_since : std::optional(now);
  const PutOutcome outcome = existing ? PutOutcome::replaced : PutOutcome::created;
  staged_.push_back(StoredInstance{service, id, instance.registration, instance.registered_at});
  set_instance(service, std::move(instance));
  return outcome;
}

Expected<Unit, Refusal> Registry::heartbeat(const std::string& service, const std::string& id,
                                            std::optional<Health> status) {
  const Service* s = find(service);
  if (s == nullptr || !s->instances.contains(id))
    return unexpected(Refusal{Refusal::Kind::not_found, "id", "no instance " + id + " of service " + service});
  // Heartbeats live in memory only (design.md, Storage): nothing to stage or undo.
  Instance& instance = services_.at(service).instances.at(id);
  const Health before = instance.health();
  instance.last_heartbeat = clock_.now();
  instance.ttl_expired = false;
  if (status) instance.reported = *status;
  if (instance.health() != Health::critical) instance.critical_since.reset();
  else if (!instance.critical_since) instance.critical_since = instance.last_heartbeat;
  if (instance.health() != before) {
    log::info("health_changed", {{"service", service}, {"instance", id}, {"from", health_name(before)},
                                 {"to", health_name(instance.health())}, {"reason", "heartbeat"}});
    changed_.insert(service);
  }
  return Unit{};
}

Expected<Unit, Refusal> Registry::remove_instance(const std::string& service, const std::string& id) {
  const Service* s = find(service);
  if (s == nullptr || !s->instances.contains(id))
    return unexpected(Refusal{Refusal::Kind::not_found, "id", "no instance " + id + " of service " + service});
  staged_.push_back(RemovedInstance{service, id});
  erase_instance(service, id);
  return Unit{};
}

void Registry::expire() {
  const TimePoint now = clock_.now();
  std::vector<std::pair<std::string, std::string>> lapsed;
  std::vector<std::pair<std::string, std::string>> gone;
  for (const auto& [name, service] : services_) {
    for (const auto& [id, instance] : service.instances) {
      const auto& r = instance.registration;
      if (r.ttl && !instance.ttl_expired && now - instance.last_heartbeat > *r.ttl) lapsed.emplace_back(name, id);
    }
  }
  for (const auto& [name, id] : lapsed) {
    Instance instance = services_.at(name).instances.at(id);
    instance.ttl_expired = true;
    if (!instance.critical_since) instance.critical_since = instance.last_heartbeat + *instance.registration.ttl;
    log::info("health_changed", {{"service", name}, {"instance", id}, {"from", health_name(instance.reported)},
                                 {"to", "critical"}, {"reason", "heartbeat ttl lapsed"}});
    set_instance(name, std::move(instance));
  }
  // After the lapses, so that a late run removes an instance whose TTL lapsed long ago.
  for (const auto& [name, service] : services_) {
    for (const auto& [id, instance] : service.instances) {
      const auto& r = instance.registration;
      if (r.deregister_after && instance.critical_since && now - *instance.critical_since >= *r.deregister_after)
        gone.emplace_back(name, id);
    }
  }
  for (const auto& [name, id] : gone) {
    log::info("instance_deregistered", {{"service", name}, {"instance", id}, {"reason", "critical past deregister_after"}});
    staged_.push_back(RemovedInstance{name, id});
    erase_instance(name, id);
  }
}

void Registry::remember(const std::string& service, const std::string& id) {
  std::optional<Instance> before;
  if (const Service* s = find(service)) {
    const auto it = s->instances.find(id);
    if (it != s->instances.end()) before = it->second;
  }
  undo_.push_back({service, id, std::move(before)});
  changed_.insert(service);
}

void Registry::set_instance(const std::string& service, Instance instance) {
  remember(service, instance.id);
  auto& s = services_[service];
  s.name = service;
  const bool is_new = !s.instances.contains(instance.id);
  const std::string id = instance.id;
  s.instances[id] = std::move(instance);
  if (is_new) ++instance_count_;
}

void Registry::erase_instance(const std::string& service, const std::string& id) {
  remember(service, id);
  auto it = services_.find(service);
  if (it == services_.end()) return;
  if (it->second.instances.erase(id) > 0) --instance_count_;
  if (it->second.instances.empty()) services_.erase(it);
}

std::set<std::string> Registry::commit() {
  try {
    store_.commit(staged_);
  } catch (const StoreError&) {
    // Undo newest first, so each instance ends as it was before the batch.
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
      auto& s = services_[it->service];
      s.name = it->service;
      const bool had = s.instances.contains(it->id);
      if (it->before) {
        s.instances[it->id] = *it->before;
        if (!had) ++instance_count_;
      } else if (had) {
        s.instances.erase(it->id);
        --instance_count_;
      }
      if (s.instances.empty()) services_.erase(it->service);
    }
    staged_.clear();
    undo_.clear();
    // changed_ is kept: heartbeats are not undone and their health changes must still reach
    // DNS; the undone services are rebuilt once more unchanged, which is harmless.
    throw;
  }
  staged_.clear();
  undo_.clear();
  return std::exchange(changed_, {});
}

}  // namespace beacon::registry
