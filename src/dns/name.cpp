#include "dns/name.hpp"

#include <cctype>
#include <cstdio>
#include <cstring>

namespace beacon::dns {
namespace {

constexpr std::uint8_t pointer_mask = 0xC0;

std::uint8_t lower(std::uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<std::uint8_t>(c | 0x20) : c; }

bool is_special(std::uint8_t c) { return c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' || c == '@' || c == '$'; }

}  // namespace

NameError read_name(std::span<const std::uint8_t> message, std::size_t& pos, WireName& out) {
  out.length = 0;
  out.label_count = 0;
  std::size_t cursor = pos;
  std::size_t run_start = pos;     // first octet of the labels read since the last jump
  std::size_t end_in_message = 0;  // where the name ends in the message (set at the first pointer)
  bool jumped = false;
  // Labels are validated one by one but copied a run at a time: a query's name is one run.
  const auto copy_run = [&](std::size_t end) {
    std::memcpy(&out.bytes[out.length], &message[run_start], end - run_start);
    out.length = static_cast<std::uint8_t>(out.length + (end - run_start));
  };
  for (;;) {
    if (cursor >= message.size()) return NameError::truncated;
    const std::uint8_t len = message[cursor];
    if ((len & pointer_mask) == pointer_mask) {
      if (cursor + 1 >= message.size()) return NameError::truncated;
      const std::size_t target = static_cast<std::size_t>((len & 0x3F) << 8 | message[cursor + 1]);
      // Before the labels just read, not merely before the pointer: a target inside them
      // would lead back to this pointer. Jump targets strictly decrease, so no loop.
      if (target >= run_start) return NameError::bad_pointer;
      copy_run(cursor);
      if (!jumped) end_in_message = cursor + 2;
      jumped = true;
      cursor = target;
      run_start = target;
      continue;
    }
    if ((len & pointer_mask) != 0) return NameError::bad_label;
    const std::size_t written = out.length + (cursor - run_start);  // octets of the name so far
    if (len == 0) {
      if (written + 1u > limits::max_name) return NameError::too_long;
      copy_run(cursor + 1);
      pos = jumped ? end_in_message : cursor + 1;
      return NameError::none;
    }
    if (cursor + 1 + len > message.size()) return NameError::truncated;
    // The root octet must still fit after this label.
    if (written + 1u + len + 1u > limits::max_name) return NameError::too_long;
    out.label_offsets[out.label_count++] = static_cast<std::uint8_t>(written);
    cursor += 1u + len;
  }
}

void to_lower(std::span<const std::uint8_t> in, std::uint8_t* out) {
  // Eight octets at a time (SWAR): a byte gets 0x20 if it lies in 'A'..'Z'. Length octets are
  // < 64, so they are never touched. Bytes >= 0x80 are excluded by the `~word` term.
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  std::size_t i = 0;
  for (; i + 8 <= in.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, in.data() + i, 8);
    const std::uint64_t low7 = word & ~high;
    const std::uint64_t at_least_a = low7 + ones * (0x80 - 'A');
    const std::uint64_t above_z = low7 + ones * (0x80 - 'Z' - 1);
    const std::uint64_t upper = at_least_a & ~above_z & ~word & high;
    word |= upper >> 2;
    std::memcpy(out + i, &word, 8);
  }
  if (i == in.size()) return;
  if (in.size() >= 8) {
    to_lower(in.last(8), out + in.size() - 8);  // the last eight again, overlapping: idempotent
    return;
  }
  for (; i < in.size(); ++i) out[i] = lower(in[i]);
}

bool equal_names(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::size_t wire_length(std::span<const std::uint8_t> wire) {
  std::size_t i = 0;
  while (i < wire.size() && wire[i] != 0) i += wire[i] + 1u;
  return i + 1;
}

std::size_t count_labels(std::span<const std::uint8_t> name) {
  std::size_t labels = 0;
  for (std::size_t i = 0; i < name.size() && name[i] != 0; i += name[i] + 1u) ++labels;
  return labels;
}

bool is_subdomain(std::span<const std::uint8_t> name, std::span<const std::uint8_t> ancestor) {
  if (ancestor.size() > name.size()) return false;
  // Walk label boundaries of `name` until the remaining suffix has the ancestor's length;
  // comparing at a boundary avoids matching "xample.com" inside "example.com".
  std::size_t i = 0;
  while (name.size() - i > ancestor.size()) {
    i += name[i] + 1u;
  }
  if (name.size() - i != ancestor.size()) return false;
  return equal_names(name.subspan(i), ancestor);
}

std::optional<std::string> name_from_text(std::string_view text) {
  std::string wire;
  if (text == "." || text.empty()) return std::string(1, '\0');
  std::string label;
  auto flush = [&]() -> bool {
    if (label.empty() || label.size() > limits::max_label) return false;
    wire += static_cast<char>(label.size());
    wire += label;
    label.clear();
    return true;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (!flush()) return std::nullopt;
      continue;
    }
    if (c != '\\') {
      label += c;
      continue;
    }
    if (i + 1 >= text.size()) return std::nullopt;
    if (i + 3 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isdigit(static_cast<unsigned char>(text[i + 2])) && std::isdigit(static_cast<unsigned char>(text[i + 3]))) {
      const int value = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
      if (value > 255) return std::nullopt;
      label += static_cast<char>(value);
      i += 3;
    } else {
      label += text[++i];
    }
  }
  if (!label.empty() && !flush()) return std::nullopt;
  wire += '\0';
  if (wire.size() > limits::max_name) return std::nullopt;
  return wire;
}

std::string name_to_text(std::span<const std::uint8_t> wire) {
  std::string text;
  std::size_t i = 0;
  while (i < wire.size() && wire[i] != 0) {
    const std::size_t len = wire[i];
    for (std::size_t j = i + 1; j <= i + len && j < wire.size(); ++j) {
      const std::uint8_t c = wire[j];
      if (c <= 0x20 || c >= 0x7F) {
        char buf[5];
        std::snprintf(buf, sizeof buf, "\\%03u", static_cast<unsigned>(c));
        text += buf;
      } else {
        if (is_special(c)) text += '\\';
        text += static_cast<char>(c);
      }
    }
    text += '.';
    i += len + 1;
  }
  return text.empty() ? "." : text;
}

std::uint64_t hash_lower_name(std::span<const std::uint8_t> lower_wire) {
  // Eight octets per step, then the murmur3 finalizer so every output bit depends on every
  // input bit (the name index and the fragment map take their slots from different bits).
  constexpr std::uint64_t k = 0x9E3779B97F4A7C15ULL;
  std::uint64_t h = lower_wire.size() * k;
  const std::uint8_t* p = lower_wire.data();
  std::size_t left = lower_wire.size();
  for (; left >= 8; left -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * k;
    h ^= h >> 32;
  }
  if (left > 0) {
    // The last eight octets (overlapping the previous word) when there are that many: one
    // load instead of a byte loop. The length went into the seed, so this stays unambiguous.
    std::uint64_t word = 0;
    if (lower_wire.size() >= 8) {
      std::memcpy(&word, lower_wire.data() + lower_wire.size() - 8, 8);
    } else {
      for (std::size_t j = 0; j < left; ++j) word |= static_cast<std::uint64_t>(p[j]) << (8 * j);
    }
    h = (h ^ word) * k;
  }
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace beacon::dns
