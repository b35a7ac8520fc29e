#include "hub/outbox_space.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace vigil::hub {

const char* space_state_name(SpaceState s) {
  switch (s) {
    case SpaceState::Ok: return "ok";
    case SpaceState::Low: return "low";
    case SpaceState::Full: return "full";
  }
  return "?";
}

std::optional<VolumeSpace> volume_space(const std::string& path) {
  const auto folder = std::filesystem::path(path).parent_path();
  struct statvfs st {};
  if (statvfs(folder.empty() ? "." : folder.c_str(), &st) != 0) return std::nullopt;
  return VolumeSpace{static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize,
                     static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize};
}

SpaceLimits space_limits(std::uint64_t total, std::uint64_t wanted_reserve) {
  SpaceLimits l;
  l.reserve = std::min(wanted_reserve, total / 8);
  l.capacity = total - l.reserve;
  l.ballast = std::clamp<std::uint64_t>(total / 32, 16 * 1024, 8 * 1024 * 1024);
  l.wal_bytes = std::clamp<std::uint64_t>(total / 32, 64 * 1024, 4 * 1024 * 1024);
  return l;
}

bool Ballast::present() const {
  std::error_code ec;
  return std::filesystem::file_size(path_, ec) == bytes_ && !ec;
}

void Ballast::make() {
  if (present() || bytes_ == 0) return;
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  bool ok = posix_fallocate(fd, 0, static_cast<off_t>(bytes_)) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok) ::unlink(path_.c_str());
}

bool Ballast::release() {
  const bool was = present();
  ::unlink(path_.c_str());
  return was;
}

}  // namespace vigil::hub
