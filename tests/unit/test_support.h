// Helpers shared by the unit tests: where the shared real models and media are, and skipping politely when a
// user's clone has no ../shared (CI always has it).
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace vigil::test {

inline std::string shared_path(const std::string& rel) { return std::string(VIGIL_SHARED_DIR) + "/" + rel; }
inline std::string test_model(const std::string& rel) { return std::string(VIGIL_TEST_MODELS) + "/" + rel; }
inline const char* kVtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

}  // namespace vigil::test

#define REQUIRE_FILE(path)                                                                  \
  do {                                                                                      \
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "test data not found: " << (path)   \
                                                     << " (needs ../shared or opencv-doc)"; \
  } while (0)
