// Where the shared test data lives: $EDGERUN_MODELS_DIR / $EDGERUN_ONNX_TESTS_DIR, else ../shared.
// Tests that need it call EDGERUN_REQUIRE_DATA(path) and skip with a message when it is absent.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace edgerun::testing {

inline std::string models_dir() {
  const char* env = std::getenv("EDGERUN_MODELS_DIR");
  return env && *env ? env : EDGERUN_DEFAULT_MODELS_DIR;
}

inline std::string onnx_tests_dir() {
  const char* env = std::getenv("EDGERUN_ONNX_TESTS_DIR");
  return env && *env ? env : EDGERUN_DEFAULT_ONNX_TESTS_DIR;
}

inline std::string model_path(const std::string& rel) { return models_dir() + "/" + rel; }

}  // namespace edgerun::testing

#define EDGERUN_REQUIRE_DATA(path)                                                              \
  do {                                                                                          \
    if (!std::filesystem::exists(path))                                                         \
      GTEST_SKIP() << "test data not found: " << (path)                                         \
                   << " (set EDGERUN_MODELS_DIR to the shared/models folder to run this test)"; \
  } while (0)
