// CLI11 validators for values CLI11's own conversions get wrong: a seed of
// "-1" (strtoull wraps it to 2^64 - 1) or "1e23", a probability of "nan"
// (which every comparison lets through). Attach with ->check(...).
#pragma once

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace ssa::cli {

// A decimal integer in [0, 2^64 - 1], digits only.
inline CLI::Validator seed_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
          return "expected a whole number >= 0, got " + text;
        errno = 0;
        std::strtoull(text.c_str(), nullptr, 10);
        if (errno == ERANGE) return "expected a number below 2^64, got " + text;
        return "";
      },
      "UINT64");
}

// A decimal integer >= lo (ids, layers, steps: a negative one used to mean "all").
inline CLI::Validator whole_number_at_least(long long lo) {
  return CLI::Validator(
      [lo](std::string& text) -> std::string {
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || errno == ERANGE || v < lo)
          return "expected a whole number >= " + std::to_string(lo) + ", got " + text;
        return "";
      },
      "INT >= " + std::to_string(lo));
}

// A finite number in [lo, hi].
inline CLI::Validator finite_between(double lo, double hi) {
  auto g = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return std::string(text);
  };
  const std::string range = "[" + g(lo) + ", " + g(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(v) || v < lo || v > hi)
          return "expected a number in " + range + ", got " + text;
        return "";
      },
      "FLOAT in " + range);
}

}  // namespace ssa::cli
