#include "core/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

Status write_file_atomic(const std::string& path, const std::string& data, unsigned mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return make_error(ErrorCode::Unavailable, "cannot write " + tmp + ": " + std::strerror(errno));
  ::fchmod(fd, mode);  // an old temporary file keeps its mode through O_TRUNC
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool ok = done == data.size() && ::fsync(fd) == 0;
  const std::string why = std::strerror(errno);
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::Unavailable, "cannot write " + path + ": " + (ok ? std::strerror(errno) : why) + " (is the disk full?)");
  }
  return ok_status();
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
