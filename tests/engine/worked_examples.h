// The worked examples of ssa-spec.md, copied verbatim: rows are queries,
// columns keys, '1' = may attend, '.' = may not.
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace ssa::testing {

// Parses a spec matrix (header line of names, then one line per query).
inline std::vector<std::vector<int>> parse_spec_matrix(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // column names
  std::vector<std::vector<int>> rows;
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    std::string cell;
    cells >> cell;  // row name
    std::vector<int> row;
    while (cells >> cell) row.push_back(cell == "1" ? 1 : 0);
    if (!row.empty()) rows.push_back(row);
  }
  return rows;
}

inline const char* kOneLevelC3 = R"(      r0  r1  r2  G0  r3  r4  r5  G1  r6  r7  G2
  r0   1   .   .   .   .   .   .   .   .   .   .
  r1   1   1   .   .   .   .   .   .   .   .   .
  r2   1   1   1   .   .   .   .   .   .   .   .
  G0   1   1   1   1   .   .   .   .   .   .   .
  r3   .   .   .   1   1   .   .   .   .   .   .
  r4   .   .   .   1   1   1   .   .   .   .   .
  r5   .   .   .   1   1   1   1   .   .   .   .
  G1   .   .   .   1   1   1   1   1   .   .   .
  r6   .   .   .   1   .   .   .   1   1   .   .
  r7   .   .   .   1   .   .   .   1   1   1   .
  G2   .   .   .   1   .   .   .   1   1   1   1
)";

inline const char* kTwoLevelsC2 = R"(      r0  r1  G0  r2  r3  G1  M1  r4  r5  G2  r6  r7  G3  M1
  r0   1   .   .   .   .   .   .   .   .   .   .   .   .   .
  r1   1   1   .   .   .   .   .   .   .   .   .   .   .   .
  G0   1   1   1   .   .   .   .   .   .   .   .   .   .   .
  r2   .   .   1   1   .   .   .   .   .   .   .   .   .   .
  r3   .   .   1   1   1   .   .   .   .   .   .   .   .   .
  G1   .   .   1   1   1   1   .   .   .   .   .   .   .   .
  M1   .   .   1   .   .   1   1   .   .   .   .   .   .   .
  r4   .   .   .   .   .   .   1   1   .   .   .   .   .   .
  r5   .   .   .   .   .   .   1   1   1   .   .   .   .   .
  G2   .   .   .   .   .   .   1   1   1   1   .   .   .   .
  r6   .   .   .   .   .   .   1   .   .   1   1   .   .   .
  r7   .   .   .   .   .   .   1   .   .   1   1   1   .   .
  G3   .   .   .   .   .   .   1   .   .   1   1   1   1   .
  M1   .   .   .   .   .   .   1   .   .   1   .   .   1   1
)";

inline const char* kPreviousChunkC3 = R"(      r0  r1  r2  G0  r3  r4  r5  G1  r6  r7  r8  G2
  r0   1   .   .   .   .   .   .   .   .   .   .   .
  r1   1   1   .   .   .   .   .   .   .   .   .   .
  r2   1   1   1   .   .   .   .   .   .   .   .   .
  G0   1   1   1   1   .   .   .   .   .   .   .   .
  r3   1   1   1   1   1   .   .   .   .   .   .   .
  r4   1   1   1   1   1   1   .   .   .   .   .   .
  r5   1   1   1   1   1   1   1   .   .   .   .   .
  G1   1   1   1   1   1   1   1   1   .   .   .   .
  r6   .   .   .   1   1   1   1   1   1   .   .   .
  r7   .   .   .   1   1   1   1   1   1   1   .   .
  r8   .   .   .   1   1   1   1   1   1   1   1   .
  G2   .   .   .   1   1   1   1   1   1   1   1   1
)";

inline const char* kSinkC3 = R"(      r0  r1  r2  r3  r4  G0  r5  r6  r7  G1  r8  G2
  r0   1   .   .   .   .   .   .   .   .   .   .   .
  r1   1   1   .   .   .   .   .   .   .   .   .   .
  r2   1   1   1   .   .   .   .   .   .   .   .   .
  r3   1   1   1   1   .   .   .   .   .   .   .   .
  r4   1   1   1   1   1   .   .   .   .   .   .   .
  G0   1   1   1   1   1   1   .   .   .   .   .   .
  r5   1   1   .   .   .   1   1   .   .   .   .   .
  r6   1   1   .   .   .   1   1   1   .   .   .   .
  r7   1   1   .   .   .   1   1   1   1   .   .   .
  G1   1   1   .   .   .   1   1   1   1   1   .   .
  r8   1   1   .   .   .   1   .   .   .   1   1   .
  G2   1   1   .   .   .   1   .   .   .   1   1   1
)";

}  // namespace ssa::testing
