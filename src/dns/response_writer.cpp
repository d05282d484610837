#include "dns/response_writer.hpp"

#include <cassert>
#include <cstring>

#include "dns/message.hpp"

namespace beacon::dns {

ResponseWriter::ResponseWriter(std::span<std::uint8_t> buffer, std::size_t limit)
    : buf_(buffer.data()), limit_(limit < buffer.size() ? limit : buffer.size()) {
  assert(buffer.size() >= limits::header_size);
}

void ResponseWriter::write_header(std::uint16_t id, std::uint16_t flags) {
  std::memset(buf_, 0, limits::header_size);
  write_u16(buf_ + header::id, id);
  write_u16(buf_ + header::flags, flags);
  size_ = limits::header_size;
  qdcount_ = 0;
  counts_[0] = counts_[1] = counts_[2] = 0;
  reserved_ = 0;
}

bool ResponseWriter::write_question(std::span<const std::uint8_t> qname, std::uint16_t qtype,
                                    std::uint16_t qclass) {
  if (!fits(qname.size() + 4)) return false;
  std::memcpy(buf_ + size_, qname.data(), qname.size());
  size_ += qname.size();
  write_u16(buf_ + size_, qtype);
  write_u16(buf_ + size_ + 2, qclass);
  size_ += 4;
  qdcount_ = 1;
  return true;
}

bool ResponseWriter::add_record(Section section, std::uint16_t owner_offset, std::span<const std::uint8_t> tail) {
  assert(owner_offset < 0x4000);
  if (!fits(2 + tail.size())) return false;
  write_u16(buf_ + size_, static_cast<std::uint16_t>(0xC000 | owner_offset));
  std::memcpy(buf_ + size_ + 2, tail.data(), tail.size());
  size_ += 2 + tail.size();
  ++counts_[static_cast<int>(section)];
  return true;
}

bool ResponseWriter::add_record(Section section, std::uint16_t owner_offset, std::span<const std::uint8_t> tail,
                                const std::array<std::uint16_t, 2>& owner_pointers) {
  const std::size_t at = size_ + 2;
  if (!add_record(section, owner_offset, tail)) return false;
  for (const std::uint16_t p : owner_pointers) {
    if (p != 0) write_u16(buf_ + at + p, static_cast<std::uint16_t>(0xC000 | owner_offset));
  }
  return true;
}

bool ResponseWriter::spells(std::size_t offset, std::span<const std::uint8_t> name) const {
  return offset + name.size() <= size_ && std::memcmp(buf_ + offset, name.data(), name.size()) == 0;
}

bool ResponseWriter::add_record(Section section, std::span<const std::uint8_t> owner,
                                std::span<const std::uint8_t> tail) {
  if (!fits(owner.size() + tail.size())) return false;
  std::memcpy(buf_ + size_, owner.data(), owner.size());
  std::memcpy(buf_ + size_ + owner.size(), tail.data(), tail.size());
  size_ += owner.size() + tail.size();
  ++counts_[static_cast<int>(section)];
  return true;
}

bool ResponseWriter::add_opt(std::uint16_t udp_size, std::uint8_t extended_rcode, bool dnssec_ok) {
  reserved_ = reserved_ >= opt_record_size ? reserved_ - opt_record_size : 0;
  if (!fits(opt_record_size)) return false;
  std::uint8_t* p = buf_ + size_;
  p[0] = 0;  // root owner
  write_u16(p + 1, type::OPT);
  write_u16(p + 3, udp_size);
  const std::uint32_t ttl = static_cast<std::uint32_t>(extended_rcode) << 24 | (dnssec_ok ? edns_do_bit : 0u);
  write_u32(p + 5, ttl);
  write_u16(p + 9, 0);  // no options
  size_ += opt_record_size;
  ++counts_[static_cast<int>(Section::additional)];
  return true;
}

void ResponseWriter::rollback(const Mark& m) {
  size_ = m.size;
  counts_[0] = m.counts[0];
  counts_[1] = m.counts[1];
  counts_[2] = m.counts[2];
}

void ResponseWriter::set_flags(std::uint16_t set_bits) {
  write_u16(buf_ + header::flags, static_cast<std::uint16_t>(read_u16(buf_ + header::flags) | set_bits));
}

void ResponseWriter::set_rcode(std::uint16_t rcode) {
  const auto flags = static_cast<std::uint16_t>((read_u16(buf_ + header::flags) & 0xFFF0) | (rcode & 0x0F));
  write_u16(buf_ + header::flags, flags);
}

std::size_t ResponseWriter::finish() {
  write_u16(buf_ + header::qdcount, qdcount_);
  write_u16(buf_ + header::ancount, counts_[0]);
  write_u16(buf_ + header::nscount, counts_[1]);
  write_u16(buf_ + header::arcount, counts_[2]);
  return size_;
}

}  // namespace beacon::dns
