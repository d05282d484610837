#pragma once
// The registry: services and instances, their health, and the single writer that changes
// them. Every call happens on one thread (the control thread); DNS threads never see this
// object, only the snapshots built from it.
//
// A write is staged in memory, with the touched services' previous state kept aside;
// commit() makes all staged writes durable in one SQLite transaction and reports which
// services changed so their DNS records can be rebuilt. If the store refuses, the touched
// services are put back as they were: nothing is half-applied.

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/expected.hpp"
#include "registry/model.hpp"
#include "registry/refusal.hpp"
#include "registry/store.hpp"

namespace beacon::registry {

enum class PutOutcome { created, replaced };

struct Unit {};

class Registry {
 public:
  /// `is_reserved_name(label)`: true when a service of that name would shadow a static name
  /// of the zone (`<label>.<zone>` or `_<label>.<zone>` exists there).
  Registry(Store& store, const Clock& clock, std::function<bool(const std::string&)> is_reserved_name);

  /// Loads every stored service and registration. Heartbeat TTLs restart now: one TTL of
  /// grace; active checks start over from passing.
  void load();

  Expected<PutOutcome, Refusal> put_instance(const std::string& service, const std::string& id, Registration r);
  Expected<Unit, Refusal> heartbeat(const std::string& service, const std::string& id, std::optional<Health> status);
  Expected<Unit, Refusal> remove_instance(const std::string& service, const std::string& id);
  /// Removes a service with all its instances.
  Expected<Unit, Refusal> remove_service(const std::string& service);

  /// Records the results of active checks (memory only, like heartbeats).
  void apply_check_results(const std::vector<CheckResult>& results);

  /// Lapses heartbeat TTLs and removes instances critical for longer than deregister_after.
  void expire();

  /// Makes staged writes durable. Returns the services whose DNS records must be rebuilt
  /// (including ones now gone). Throws StoreError after undoing the staged writes.
  std::set<std::string> commit();
  /// True if commit() has anything to store or report.
  bool has_pending() const { return !staged_.empty() || !changed_.empty(); }

  const std::map<std::string, Service>& services() const { return services_; }
  const Service* find(const std::string& service) const;
  std::size_t instance_count() const { return instance_count_; }

 private:
  /// Keeps the service's state from before this batch (first touch only) and marks it changed.
  void touch(const std::string& service);
  Service& service_for_write(const std::string& service);
  void erase_instance(const std::string& service, const std::string& id);
  void note_health(const std::string& service, const std::string& id, Instance& instance, Health before,
                   const char* reason);
  std::optional<Refusal> check_conflicts(const std::string& service, const std::string& id, const Registration& r) const;
  void recount();
  /// Files the instance's TTL and deregistration deadlines in the index, replacing old ones,
  /// so expire() costs what expires, not the size of the registry.
  void index(const std::string& service, const std::string& id, Instance& instance);
  void unindex(const std::string& service, const std::string& id, const Instance& instance);
  void index_service(const std::string& service, bool add);

  Store& store_;
  const Clock& clock_;
  std::function<bool(const std::string&)> is_reserved_name_;
  std::map<std::string, Service> services_;
  std::size_t instance_count_ = 0;

  using Deadline = std::pair<TimePoint, std::pair<std::string, std::string>>;  // due, (service, id)
  std::set<Deadline> ttl_deadlines_;
  std::set<Deadline> deregister_deadlines_;

  std::vector<StoreChange> staged_;
  std::map<std::string, std::optional<Service>> before_batch_;  // nullopt: did not exist
  std::set<std::string> changed_;
};

}  // namespace beacon::registry
