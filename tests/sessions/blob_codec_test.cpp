// Blob codec: float16 conversion against the compiler's _Float16 (an
// independent oracle), and randomized decoding of untrusted blobs.
#include "sessions/blob_codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "sessions/layer_step_codec.h"

namespace ssa::sessions {
namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(Float16, EveryHalfWidensLikeTheCompiler) {
  for (uint32_t h = 0; h < 65536; ++h) {
    _Float16 ref;
    uint16_t h16 = uint16_t(h);
    std::memcpy(&ref, &h16, 2);
    float expected = float(ref);
    float got = half_to_float(h16);
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got)) << h;
    } else {
      EXPECT_EQ(bits(expected), bits(got)) << "half 0x" << std::hex << h;
    }
  }
}

TEST(Float16, NarrowingRoundsLikeTheCompiler) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint32_t> any;
  auto check = [](float f) {
    _Float16 ref = _Float16(f);
    uint16_t expected;
    std::memcpy(&expected, &ref, 2);
    uint16_t got = float_to_half(f);
    if (std::isnan(f)) {
      ASSERT_EQ(got & 0x7c00u, 0x7c00u);
      ASSERT_NE(got & 0x3ffu, 0u);
    } else {
      ASSERT_EQ(expected, got) << "float bits 0x" << std::hex << bits(f);
    }
  };
  for (int i = 0; i < 2000000; ++i) {
    uint32_t u = any(rng);
    float f;
    std::memcpy(&f, &u, 4);
    check(f);
  }
  // Halfway cases, subnormal edges and overflow edges specifically.
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    float lo = half_to_float(uint16_t(h)), hi = half_to_float(uint16_t(h + 1));
    check((lo + hi) / 2);  // exact in float: ties to even
    check(std::nextafter((lo + hi) / 2, 0.f));
    check(std::nextafter((lo + hi) / 2, 1e9f));
    check(-lo);
  }
  check(65520.f);  // rounds to infinity
  check(65519.f);  // rounds to 65504
  check(1e-8f);    // below the smallest subnormal's half: zero
}

// The blob encoders may take a vectorised path (F16C): same bits required.
TEST(Float16, BlobEncodingAndDecodingMatchTheCompiler) {
  std::mt19937 rng(9);
  std::uniform_int_distribution<uint32_t> any;
  std::vector<float> values(100003);  // not a multiple of 8: the tail path runs too
  for (float& v : values) {
    uint32_t u = any(rng);
    if (rng() % 2) u = (u & 0x8fffffffu) | 0x38000000u;  // many in half's range
    std::memcpy(&v, &u, 4);
  }
  std::string blob = encode_floats(values.data(), values.size(), Dtype::kFloat16);
  ASSERT_EQ(blob.size(), values.size() * 2);
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    _Float16 ref = _Float16(values[i]);
    uint16_t want, got;
    std::memcpy(&want, &ref, 2);
    std::memcpy(&got, blob.data() + 2 * i, 2);
    ASSERT_EQ(want, got) << "float bits 0x" << std::hex << bits(values[i]);
  }
  std::string halves(65536 * 2, '\0');
  for (uint32_t h = 0; h < 65536; ++h) std::memcpy(&halves[2 * h], &h, 2);
  std::vector<float> wide =
      decode_floats(halves.data(), halves.size(), int(Dtype::kFloat16), 65536);
  for (uint32_t h = 0; h < 65536; ++h) {
    _Float16 ref;
    std::memcpy(&ref, &halves[2 * h], 2);
    if (std::isnan(float(ref))) {
      ASSERT_TRUE(std::isnan(wide[h]));
    } else {
      ASSERT_EQ(bits(float(ref)), bits(wide[h])) << h;
    }
  }
}

TEST(BlobDecode, RejectsWrongSizesAndTypes) {
  std::string four(4, '\1');
  EXPECT_THROW(decode_floats(four.data(), 4, int(Dtype::kFloat16), 3), BlobError);
  EXPECT_THROW(decode_floats(four.data(), 4, 99, 2), BlobError);
  EXPECT_THROW(decode_floats(four.data(), 4, int(Dtype::kInt32), 1), BlobError);
  EXPECT_THROW(decode_ints(four.data(), 4, int(Dtype::kFloat32), 1), BlobError);
  EXPECT_THROW(decode_int32(four.data(), 4, int(Dtype::kInt64), 0), BlobError);
  EXPECT_THROW(decode_ints(four.data(), 4, int(Dtype::kInt32), -1), BlobError);
  EXPECT_THROW(decode_ints(four.data(), 4, int(Dtype::kInt64), int64_t(1) << 62), BlobError);
  EXPECT_THROW(decode_float_at(four.data(), 4, int(Dtype::kFloat16), 2), BlobError);
  EXPECT_THROW(decode_float_at(four.data(), 4, int(Dtype::kFloat16), -1), BlobError);
  EXPECT_EQ(decode_ints(four.data(), 4, int(Dtype::kInt32), 1)[0], 0x01010101);
  EXPECT_EQ(decode_floats(nullptr, 0, int(Dtype::kFloat16), 0).size(), 0u);
}

// Mutated valid rows and random shape columns into the layer-step decoders:
// each call either throws BlobError or returns a record whose CSR arrays are
// consistent with its data (so that a GUI indexing them stays in bounds).
TEST(BlobDecode, RandomizedLayerRecordsNeverMisbehave) {
  std::mt19937 rng(2026);
  int decoded = 0, rejected = 0;
  for (int iter = 0; iter < 100000; ++iter) {
    // A valid record of random shape: ragged or shared rows, some empty.
    LayerStep r;
    LevelScores s;
    LevelSelection c;
    size_t rows = rng() % 5;
    bool ragged = rng() % 2;
    c.row_offsets.push_back(0);
    if (ragged) s.row_offsets.push_back(0);
    size_t shared_n = rng() % 6;
    for (size_t h = 0; h < rows; ++h) {
      s.heads.push_back(int32_t(h * 2));
      c.heads.push_back(int32_t(h));
      size_t n = ragged ? rng() % 6 : shared_n;
      for (size_t i = 0; i < n; ++i) {
        if (ragged || h == 0) s.candidates.push_back(int64_t(rng() % 100));
        s.scores.push_back(float(int(rng() % 1000)) / 7.f);
      }
      if (ragged) s.row_offsets.push_back(int64_t(s.candidates.size()));
      for (size_t i = 0, m = rng() % 3; i < m; ++i) c.chosen.push_back(int64_t(rng() % 100));
      c.row_offsets.push_back(int64_t(c.chosen.size()));
    }
    if (!ragged && rows == 0) s.candidates.resize(shared_n);
    r.scores.push_back(s);
    r.selections.push_back(c);
    EncodedLevel e = encode_layer_step(r, rng() % 2 ? Dtype::kFloat16 : Dtype::kFloat32)[0];
    std::vector<int64_t> candidates = e.candidates;
    int64_t score_rows = e.rows, chosen_rows = e.chosen_rows;
    int dtype = e.score_dtype;
    bool has_offsets = e.has_score_offsets;
    // Damage it (3 times in 4): a byte, a length, a shape column, or a flag.
    std::string* blobs[] = {&e.heads,        &e.score_offsets,  &e.scores,
                            &e.chosen_heads, &e.chosen_offsets, &e.chosen};
    for (int k = 0, n = int(rng() % 4); k < n; ++k) {
      std::string& b = *blobs[rng() % 6];
      switch (rng() % 7) {
        case 0:
          if (!b.empty()) b[rng() % b.size()] = char(rng());
          break;
        case 1:
          if (!b.empty()) b.resize(rng() % b.size());
          break;
        case 2:
          b.append(size_t(1 + rng() % 8), char(rng()));
          break;
        case 3:
          score_rows += int64_t(rng() % 5) - 2;
          break;
        case 4:
          chosen_rows += int64_t(rng() % 5) - 2;
          break;
        case 5:
          has_offsets = !has_offsets;
          break;
        case 6:
          candidates.resize(rng() % 8, int64_t(rng() % 9) - 1);
          dtype = int(rng() % 8);
          break;
      }
    }
    try {
      LevelScores got =
          decode_level_scores(0, score_rows, {e.heads.data(), e.heads.size()}, candidates,
                              {e.score_offsets.data(), e.score_offsets.size()}, has_offsets, dtype,
                              {e.scores.data(), e.scores.size()});
      ASSERT_EQ(got.heads.size(), size_t(score_rows));
      for (size_t row = 0; row < got.rows(); ++row) {
        ASSERT_LE(got.row_begin(row) + got.row_size(row), got.scores.size());
        if (!got.shared()) {
          ASSERT_LE(size_t(got.row_offsets[row + 1]), got.candidates.size());
        }
      }
      ++decoded;
    } catch (const BlobError&) {
      ++rejected;
    }
    try {
      LevelSelection got = decode_level_selection(
          0, chosen_rows, {e.chosen_heads.data(), e.chosen_heads.size()},
          {e.chosen_offsets.data(), e.chosen_offsets.size()}, {e.chosen.data(), e.chosen.size()});
      for (size_t row = 0; row < got.rows(); ++row) {
        ASSERT_LE(size_t(got.row_offsets[row + 1]), got.chosen.size());
        ASSERT_LE(got.row_offsets[row], got.row_offsets[row + 1]);
        for (size_t i = 0; i < got.row_size(row); ++i) ASSERT_GE(got.row_chosen(row)[i], 0);
      }
      ++decoded;
    } catch (const BlobError&) {
      ++rejected;
    }
    try {
      int64_t row = find_head_row({e.heads.data(), e.heads.size()}, score_rows, int32_t(rng() % 9));
      ASSERT_LT(row, std::max<int64_t>(score_rows, 0));
    } catch (const BlobError&) {
      ++rejected;
    }
  }
  // The generator must exercise both outcomes, or the test proves nothing.
  EXPECT_GT(decoded, 10000);
  EXPECT_GT(rejected, 10000);
}

}  // namespace
}  // namespace ssa::sessions
