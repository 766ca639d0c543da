// Model identity: SHA-256 against the FIPS 180-4 examples and, for a random
// file, against coreutils' sha256sum (an independent implementation).
#include "sessions/model_identity.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "sessions/errors.h"
#include "tests/sessions/temp_file.h"

namespace ssa::sessions {
namespace {

TEST(ModelIdentity, Sha256OfTheStandardExamples) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(ModelIdentity, WeightsFileMatchesSha256sum) {
  testing::TempPath path("weights");
  std::mt19937 rng(4);
  std::string bytes(3 * (1 << 20) + 12345, '\0');  // spans several read buffers
  for (char& c : bytes) c = char(rng());
  std::ofstream(path.str(), std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  std::string id = weights_identity(path.str());
  EXPECT_EQ(id, "sha256:" + sha256_hex(bytes));
  std::FILE* p = ::popen(("sha256sum '" + path.str() + "' 2>/dev/null").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char out[65] = {};
  size_t n = std::fread(out, 1, 64, p);
  ::pclose(p);
  if (n != 64) GTEST_SKIP() << "sha256sum not available";
  EXPECT_EQ(id, "sha256:" + std::string(out, 64));
  EXPECT_THROW(weights_identity(path.str() + ".missing"), Error);
}

}  // namespace
}  // namespace ssa::sessions
