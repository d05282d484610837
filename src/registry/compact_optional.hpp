#pragma once
// An optional scalar that costs no more than the scalar: one value (the type's maximum) is
// reserved to mean "absent". std::optional<TimePoint> takes 16 bytes for 8; an Instance has
// five such fields, and at 500 000 instances the padding alone was 20 MiB (issue 8's RSS
// target). Only for fields whose maximum can never be a real value: validated durations and
// TTLs, and times derived from them.

#include <chrono>
#include <limits>
#include <optional>
#include <type_traits>

namespace beacon::registry {

template <typename T>
constexpr T absent_marker() {
  if constexpr (std::is_integral_v<T>) {
    return std::numeric_limits<T>::max();
  } else {
    return T::max();  // std::chrono::duration and time_point
  }
}

template <typename T>
class CompactOptional {
 public:
  constexpr CompactOptional() = default;
  constexpr CompactOptional(std::nullopt_t) {}    // NOLINT: converts like std::optional
  constexpr CompactOptional(T value) : value_(value) {}  // NOLINT
  constexpr CompactOptional(const std::optional<T>& value) : value_(value.value_or(absent_marker<T>())) {}  // NOLINT

  constexpr bool has_value() const { return value_ != absent_marker<T>(); }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr const T& operator*() const { return value_; }
  constexpr const T* operator->() const { return &value_; }
  constexpr T value_or(T fallback) const { return has_value() ? value_ : fallback; }
  constexpr void reset() { value_ = absent_marker<T>(); }

  friend constexpr bool operator==(CompactOptional a, CompactOptional b) { return a.value_ == b.value_; }
  friend constexpr bool operator==(CompactOptional a, std::nullopt_t) { return !a.has_value(); }
  friend constexpr bool operator==(CompactOptional a, const T& b) { return a.has_value() && a.value_ == b; }

 private:
  T value_ = absent_marker<T>();
};

}  // namespace beacon::registry
