#include "tests/tokenizer/parity_corpus.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "engine/tokenizer/unicode_text.h"

namespace ssa::test {
namespace {

const char* const kFixed[] = {
    // prose
    "The quick brown fox jumps over the lazy dog.",
    "It's a truth universally acknowledged, isn't it? They'll say we'd rather've gone. I'm "
    "sure you're right; he'd've LIKED IT'S CAPS'LL 'S 'T.",
    "  Leading spaces, trailing spaces   ",
    "Hello,world!How are you?I'm fine...thanks--really; (really) [yes] {no} \"quoted\" 'single'",
    // code
    "int main(int argc, char** argv) {\n  for (int i = 0; i < argc; ++i) printf(\"%s\\n\", "
    "argv[i]);\n"
    "  return 0;\n}\n",
    "def f(x):\n    return [y ** 2 for y in range(x) if y % 3 == 0]\n\n\nclass A:\n\tpass\n",
    "    if (a && b || !c) { x <<= 2; y->z = &w; } // comment\r\n#include <vector>",
    "SELECT name, COUNT(*) FROM t WHERE id>=10 GROUP BY name;  -- sql",
    // numbers (Llama 3 splits digits in groups of three, Qwen2 one by one)
    "1234567 12345678901234567890 3.14159 1,000,000 2024-12-01 0x1F 1e-10 -42 +7",
    "Phone: +1 (555) 010-9999, zip 90210, version 1.2.3.4, 99.9% of 1/3",
    "a1b22c333d4444e55555 ١٢٣٤ ۱۲۳ ०१२ ①②③ ½ ² Ⅻ",
    // whitespace
    " ",
    "  ",
    "\n",
    "\n\n",
    "\n\n\n\n",
    "\t",
    "\r\n",
    " \n ",
    "a \n\n b",
    "x\t\t\ty",
    "line one\nline two\n\nline four\n",
    "trailing newline\n",
    "\n leading",
    "   \n   \n   ",
    "a  b   c    d     e",
    "spaces before newline   \nnext",
    "\u00a0nbsp\u00a0\u00a0x",
    "\u2028\u2029\u0085\u000b\u000c\u3000\u2003\u180e\u200b\ufeff mixed spaces",
    // emoji
    "😀 😃 😄 😁 👍🏽 👨‍👩‍👧‍👦 🇫🇷 🏳️‍🌈 ❤️ "
    "✨✨✨",
    "emoji😀inside😀words",
    "🤖🤖 robots 🤖",
    // CJK and other scripts
    "中文分词测试。我们在这里写一些汉字，看看会怎样！",
    "日本語のテキスト、カタカナ、ひらがな。漢字も。",
    "한국어 텍스트입니다. 안녕하세요!",
    "Русский текст, ещё немного. Ελληνικά κείμενα. עברית טקסט. العربية نص. हिन्दी पाठ।",
    "ภาษาไทย ไม่มีช่องว่าง ລາວ ᏣᎳᎩ ქართული Հայերեն",
    // accents, NFC and NFD, compatibility forms
    "café naïve résumé Ångström Straße Ωmega",
    "cafe\u0301 nai\u0308ve re\u0301sume\u0301 A\u030angstro\u0308m",
    "\u2126 \u212b \u00c5 \u1e9b\u0323 \u0071\u0307\u0323 \u01c4 ﬁ ﬀ ｆｕｌｌ ㍿ ℌ",
    "e\u0301\u0301\u0301 o\u0308\u0304 a\u0323\u0302",
    "\u0301 leading combining mark",
    "Vietnamese: Tiếng Việt có dấu. Tie\u0302\u0301ng Vie\u0323\u0302t",
    // apostrophes and case folding in (?i:'s)
    "'s 'S 'ſ 'T 'Re 'VE 'M 'LL 'D ''s x's X'S",
    // odd characters
    "\u0001\u001f control \u007f del",
    "zero\u200dwidth\u200cjoiners",
    "\ue000 private \U000f0000 \U0010fffd planes",
    "\U0001d400\U0001d401 math bold",
    "mixed\tTabs and\u00a0nbsp\u3000ideographic",
    // markup
    "<html><body><p class=\"x\">Hi &amp; bye</p></body></html>",
    "<|im_start",
    "im_end|>",
    "<|",
    "|>",
    "< |im_end| >",
};

std::string fortunes_text(size_t limit) {
  const std::filesystem::path dir = "/usr/share/games/fortunes";
  std::string all;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return all;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file() && !e.is_symlink() && e.path().extension() != ".dat")
      files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (unicode::first_invalid_byte(text.str())) continue;
    all += text.str();
    if (all.size() > limit) break;
  }
  return all;
}

}  // namespace

std::string random_unicode(size_t length, uint32_t seed) {
  std::mt19937 rng(seed);
  static const std::vector<std::pair<char32_t, char32_t>> kRanges = {
      {0x20, 0x7E},     {0x20, 0x7E},     {0x20, 0x7E},     {0x30, 0x39},       {0x00, 0x1F},
      {0xA0, 0x24F},    {0x300, 0x36F},   {0x370, 0x3FF},   {0x400, 0x4FF},     {0x590, 0x6FF},
      {0x900, 0x97F},   {0xE00, 0xE7F},   {0x1100, 0x11FF}, {0x2000, 0x206F},   {0x3000, 0x30FF},
      {0x4E00, 0x9FFF}, {0xAC00, 0xD7A3}, {0xFF00, 0xFFEF}, {0x1F300, 0x1FAFF}, {0x1F1E6, 0x1F1FF},
      {0xFE00, 0xFE0F},
  };
  static const char32_t kSpaces[] = {0x09,   0x0A,   0x0B,   0x0C,   0x0D,   0x20,   0x85,
                                     0xA0,   0x1680, 0x180E, 0x2000, 0x2007, 0x200A, 0x200B,
                                     0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF};
  std::uniform_int_distribution<int> pick(0, 99);
  std::string out;
  for (size_t i = 0; i < length; ++i) {
    const int kind = pick(rng);
    char32_t c;
    if (kind < 12) {
      c = kSpaces[rng() % (sizeof kSpaces / sizeof kSpaces[0])];
    } else if (kind < 17) {
      c = "'sStTrRvVmMlLdD"[rng() % 15];  // contractions and their case forms
    } else if (kind < 92) {
      const auto& [lo, hi] = kRanges[rng() % kRanges.size()];
      c = lo + rng() % (hi - lo + 1);
    } else {
      do c = rng() % 0x110000;
      while (c >= 0xD800 && c <= 0xDFFF);
    }
    unicode::append(out, c);
  }
  return out;
}

std::vector<std::string> parity_corpus(const std::vector<std::string>& specials, uint32_t seed) {
  std::vector<std::string> texts(std::begin(kFixed), std::end(kFixed));
  texts.emplace_back();                             // empty text
  texts.push_back(std::string("nul\0inside", 10));  // a NUL byte inside
  // Special tokens inside text, at the edges, doubled, with spaces around them.
  for (size_t i = 0; i < specials.size() && i < 12; ++i) {
    const std::string& s = specials[i];
    texts.push_back(s);
    texts.push_back("a" + s + "b");
    texts.push_back("Hello " + s + " world " + s + s + "\n" + s);
    texts.push_back("  " + s + "  \n\n" + s.substr(0, s.size() / 2));
  }
  if (specials.size() >= 3)
    texts.push_back(specials[1] + "user\nWhat is 2+2?" + specials[2] + "\n" + specials[1] +
                    "assistant\n4" + specials[2]);
  // Real prose: fortunes, in pieces of varied size, and one long piece.
  const std::string prose = fortunes_text(400'000);
  std::mt19937 rng(seed);
  for (size_t start = 0, n = 0; start < prose.size() && n < 150; ++n) {
    size_t length = 20 + rng() % 1500;
    size_t end = std::min(prose.size(), start + length);
    while (end < prose.size() && (static_cast<unsigned char>(prose[end]) & 0xC0) == 0x80) ++end;
    texts.push_back(prose.substr(start, end - start));
    start = end + rng() % 2000;
    while (start < prose.size() && (static_cast<unsigned char>(prose[start]) & 0xC0) == 0x80)
      ++start;
  }
  if (prose.size() > 120'000) {
    size_t end = 120'000;
    while ((static_cast<unsigned char>(prose[end]) & 0xC0) == 0x80) ++end;
    texts.push_back(prose.substr(0, end));
  }
  // Real code: this repository's tokenizer sources.
  for (const char* file :
       {"engine/tokenizer/bpe_model.cpp", "tests/tokenizer/tokenizers_oracle.py"}) {
    std::ifstream in(std::filesystem::path(SSA_SOURCE_DIR) / file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    texts.push_back(text.str());
  }
  // Random Unicode: many short and medium strings, a few long ones.
  for (uint32_t i = 0; i < 300; ++i) texts.push_back(random_unicode(1 + rng() % 200, seed + i));
  for (uint32_t i = 0; i < 4; ++i) texts.push_back(random_unicode(20'000, seed + 1000 + i));
  // Long runs of one class (regex backtracking, long words).
  texts.push_back(std::string(5000, ' ') + "x" + std::string(3000, '\n'));
  texts.push_back(std::string(4000, 'a') + std::string(3000, '7'));
  return texts;
}

std::vector<std::vector<int64_t>> random_id_lists(int64_t vocab_size, size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<int64_t>> lists;
  for (size_t i = 0; i < count; ++i) {
    std::vector<int64_t> ids(1 + rng() % 24);
    for (auto& id : ids) id = static_cast<int64_t>(rng() % static_cast<uint64_t>(vocab_size));
    lists.push_back(std::move(ids));
  }
  return lists;
}

}  // namespace ssa::test
