// A minimal reader and writer of the protobuf wire format: enough to inspect and rewrite TensorFlow GraphDef
// and ONNX ModelProto files without linking protobuf or generated code. Fields are visited in file order;
// unknown fields are skipped (or copied verbatim when rewriting). Pure functions over byte strings.
//
//   tag = varint (field_number << 3 | wire_type)
//   wire_type 0 varint | 1 fixed64 | 2 length-delimited | 5 fixed32   (3/4 groups are rejected)
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::vision::pb {

enum class WireType : std::uint8_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

struct Field {
  std::uint32_t number = 0;
  WireType type = WireType::Varint;
  std::uint64_t varint = 0;     // Varint, Fixed64, Fixed32 values
  std::string_view bytes;       // Bytes payload (a view into the input)
  std::string_view raw;         // the whole field as it appears on the wire, tag included
};

// Calls `visit` for every top-level field of `message`. Returns false if the bytes are not valid wire format
// (truncated, bad wire type) or if `visit` returns false.
bool for_each_field(std::string_view message, const std::function<bool(const Field&)>& visit);

// All top-level fields, or an empty vector with ok=false on malformed input.
std::vector<Field> parse_fields(std::string_view message, bool& ok);

void append_varint(std::string& out, std::uint64_t v);
void append_bytes_field(std::string& out, std::uint32_t number, std::string_view payload);

// Unpacks packed little-endian floats (fixed32) as found in TensorProto.float_val / tensor_content.
std::vector<float> unpack_floats(std::string_view packed);

}  // namespace vigil::vision::pb
