#include "registry/writer.hpp"

#include "common/log.hpp"

namespace beacon::registry {

Writer::Writer(Registry& registry, Post post, Publish publish)
    : registry_(registry), post_(std::move(post)), publish_(std::move(publish)) {}

void Writer::commit_then(std::function<void(bool)> done) {
  waiting_.push_back(std::move(done));
  if (flush_posted_) return;
  flush_posted_ = true;
  post_([this] { flush(); });
}

bool Writer::commit_now() {
  try {
    const auto changed = registry_.commit();
    if (!changed.empty()) publish_(changed);
    return true;
  } catch (const StoreError& e) {
    log::error("store_commit_failed", {{"error", e.what()}, {"effect", "the batch was undone and refused"}});
    return false;
  }
}

void Writer::flush() {
  flush_posted_ = false;
  const bool durable = commit_now();
  auto waiting = std::exchange(waiting_, {});
  for (auto& done : waiting) done(durable);
}

}  // namespace beacon::registry
