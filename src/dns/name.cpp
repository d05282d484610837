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
  for (;;) {
    if (cursor >= message.size()) return NameError::truncated;
    const std::uint8_t len = message[cursor];
    if ((len & pointer_mask) == pointer_mask) {
      if (cursor + 1 >= message.size()) return NameError::truncated;
      const std::size_t target = static_cast<std::size_t>((len & 0x3F) << 8 | message[cursor + 1]);
      // Before the labels just read, not merely before the pointer: a target inside them
      // would lead back to this pointer. Jump targets strictly decrease, so no loop.
      if (target >= run_start) return NameError::bad_pointer;
      if (!jumped) end_in_message = cursor + 2;
      jumped = true;
      cursor = target;
      run_start = target;
      continue;
    }
    if ((len & pointer_mask) != 0) return NameError::bad_label;
    if (len == 0) {
      if (out.length + 1u > limits::max_name) return NameError::too_long;
      out.bytes[out.length++] = 0;
      pos = jumped ? end_in_message : cursor + 1;
      return NameError::none;
    }
    if (cursor + 1 + len > message.size()) return NameError::truncated;
    // The root octet must still fit after this label.
    if (out.length + 1u + len + 1u > limits::max_name) return NameError::too_long;
    out.label_offsets[out.label_count++] = out.length;
    out.bytes[out.length] = len;
    std::memcpy(&out.bytes[out.length + 1u], &message[cursor + 1], len);
    out.length = static_cast<std::uint8_t>(out.length + 1u + len);
    cursor += 1u + len;
  }
}

void to_lower(std::span<const std::uint8_t> in, std::uint8_t* out) {
  // Length octets are < 64, so lower() leaves them untouched.
  for (std::size_t i = 0; i < in.size(); ++i) out[i] = lower(in[i]);
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
  std::uint64_t h = 1469598103934665603ULL;
  for (std::uint8_t c : lower_wire) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace beacon::dns
