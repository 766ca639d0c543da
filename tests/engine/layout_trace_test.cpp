// What recordings get from a layout (engine/trace/layout_trace.h): every
// array as the layout has it, the RoPE positions included.
#include "engine/trace/layout_trace.h"

#include <gtest/gtest.h>

#include "tests/engine/layout_names.h"

namespace ssa {
namespace {

TEST(LayoutTrace, DescribesPositionsRolesAndIds) {
  LayoutSettings s = parse_hierarchy("chunk2-chunk2");
  s.sink = 1;
  GistLayout layout(s, testing::iota_tokens(5));  // r0 | r1 r2 G r3 r4 G M1
  layout.append(70);
  const trace::LayoutInfo raw = trace::describe_layout(layout);
  EXPECT_EQ(raw.positions, (std::vector<int64_t>{0, 1, 2, 2, 3, 4, 4, 4, 5}));
  EXPECT_EQ(raw.roles, (std::vector<int8_t>{0, 0, 0, 1, 0, 0, 1, 2, 0}));
  EXPECT_EQ(raw.chunk_ids, (std::vector<int32_t>{0, 0, 0, 0, 1, 1, 1, 2, 2}));
  EXPECT_EQ(raw.group_ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(raw.sink_length, 1);
  EXPECT_EQ(raw.prefix_length, 8);
  EXPECT_NE(raw.settings_json.find("\"position_ids\":\"raw\""), std::string::npos);

  s.positions = PositionScheme::kStream;
  const trace::LayoutInfo stream = trace::describe_layout(GistLayout(s, testing::iota_tokens(5)));
  EXPECT_EQ(stream.positions, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

}  // namespace
}  // namespace ssa
