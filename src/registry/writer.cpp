#include "registry/writer.hpp"

#include <chrono>

#include "common/log.hpp"

namespace beacon::registry {

Writer::Writer(Registry& registry, Post post, Publish publish)
    : registry_(registry), post_(std::move(post)), publish_(std::move(publish)) {}

void Writer::commit_then(std::function<void(bool)> done) {
  waiting_.push_back(std::move(done));
  post_flush();
}

void Writer::after_pending(std::function<void()> read) {
  if (!flush_posted_ && !registry_.has_pending()) {
    read();
    return;
  }
  readers_.push_back(std::move(read));
  post_flush();
}

void Writer::post_flush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  gathered_ = waiting_.size();
  turns_ = 0;
  post_([this] { gather(); });
}

void Writer::gather() {
  // More writes came in since the last turn: others are likely still being read. Give them
  // another turn (the posted call runs after the loop has polled its sockets once more).
  if (waiting_.size() > gathered_ && turns_ < max_gather_turns) {
    gathered_ = waiting_.size();
    ++turns_;
    post_([this] { gather(); });
    return;
  }
  flush();
}

namespace {
std::uint64_t micros_since(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
}
}  // namespace

bool Writer::commit_now() {
  if (!registry_.has_pending()) return true;
  try {
    auto start = std::chrono::steady_clock::now();
    stats_.commits.add();
    const auto changed = registry_.commit();
    stats_.commit_latency.record(micros_since(start));
    if (!changed.empty()) {
      start = std::chrono::steady_clock::now();
      publish_(changed);
      stats_.publishes.add();
      stats_.publish_latency.record(micros_since(start));
    }
    return true;
  } catch (const StoreError& e) {
    stats_.commit_failures.add();
    log::error("store_commit_failed", {{"error", e.what()}, {"effect", "the batch was undone and refused"}});
    return false;
  }
}

void Writer::flush() {
  flush_posted_ = false;
  const bool durable = commit_now();
  auto waiting = std::exchange(waiting_, {});
  for (auto& done : waiting) done(durable);
  auto readers = std::exchange(readers_, {});
  for (auto& read : readers) read();
}

}  // namespace beacon::registry
