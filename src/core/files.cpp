#include "core/files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace vigil {

Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::NotFound, "cannot open " + path + ": " + std::strerror(errno));
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  if (size > max_bytes) return make_error(ErrorCode::TooLarge, path + " is larger than " + std::to_string(max_bytes) + " bytes");
  in.seekg(0);
  std::string data(size, '\0');
  if (size > 0 && !in.read(data.data(), static_cast<std::streamsize>(size)))
    return make_error(ErrorCode::Unavailable, "cannot read " + path);
  return data;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) continue;
    const auto e = line.find_last_not_of(" \t\r\n");
    out.push_back(line.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace vigil
