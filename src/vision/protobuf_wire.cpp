#include "vision/protobuf_wire.h"

#include <cstring>

namespace vigil::vision::pb {
namespace {

bool read_varint(std::string_view s, std::size_t& pos, std::uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= s.size()) return false;
    const auto byte = static_cast<std::uint8_t>(s[pos++]);
    out |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

bool for_each_field(std::string_view s, const std::function<bool(const Field&)>& visit) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    const std::size_t start = pos;
    std::uint64_t tag = 0;
    if (!read_varint(s, pos, tag)) return false;
    Field f;
    f.number = static_cast<std::uint32_t>(tag >> 3);
    if (f.number == 0) return false;
    switch (tag & 7) {
      case 0:
        f.type = WireType::Varint;
        if (!read_varint(s, pos, f.varint)) return false;
        break;
      case 1:
        f.type = WireType::Fixed64;
        if (s.size() - pos < 8) return false;
        std::memcpy(&f.varint, s.data() + pos, 8);
        pos += 8;
        break;
      case 2: {
        f.type = WireType::Bytes;
        std::uint64_t len = 0;
        if (!read_varint(s, pos, len) || len > s.size() - pos) return false;
        f.bytes = s.substr(pos, static_cast<std::size_t>(len));
        pos += static_cast<std::size_t>(len);
        break;
      }
      case 5: {
        f.type = WireType::Fixed32;
        if (s.size() - pos < 4) return false;
        std::uint32_t v = 0;
        std::memcpy(&v, s.data() + pos, 4);
        f.varint = v;
        pos += 4;
        break;
      }
      default:
        return false;
    }
    f.raw = s.substr(start, pos - start);
    if (!visit(f)) return false;
  }
  return true;
}

std::vector<Field> parse_fields(std::string_view message, bool& ok) {
  std::vector<Field> out;
  ok = for_each_field(message, [&](const Field& f) {
    out.push_back(f);
    return true;
  });
  if (!ok) out.clear();
  return out;
}

void append_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void append_bytes_field(std::string& out, std::uint32_t number, std::string_view payload) {
  append_varint(out, (static_cast<std::uint64_t>(number) << 3) | 2);
  append_varint(out, payload.size());
  out.append(payload);
}

std::vector<float> unpack_floats(std::string_view packed) {
  std::vector<float> out(packed.size() / 4);
  if (!out.empty()) std::memcpy(out.data(), packed.data(), out.size() * 4);
  return out;
}

}  // namespace vigil::vision::pb
