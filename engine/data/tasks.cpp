// Task generators. Documents are built to exactly the requested size so that
// a sequence's length is known before its example is drawn.
#include "engine/data/tasks.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "engine/model/message.h"

namespace ssa {
namespace {

// The classic passkey filler (as in the reference's passkey evaluation).
constexpr const char* kFiller[] = {
    "The grass is green. ", "The sky is blue. ",      "The sun is yellow. ",
    "Here we go. ",         "There and back again. ",
};

std::string digits(Rng& rng, int n) {
  std::string s;
  s += static_cast<char>('1' + rng.below(9));  // no leading zero
  while (static_cast<int>(s.size()) < n) s += static_cast<char>('0' + rng.below(10));
  return s;
}

std::string filler(Rng& rng, size_t bytes) {
  std::string text;
  while (text.size() < bytes) text += kFiller[rng.below(5)];
  text.resize(bytes);
  return text;
}

// Places `needle` at a random sentence boundary of `bytes` bytes of filler;
// returns the document and the needle's offset.
std::pair<std::string, int64_t> hide(Rng& rng, const std::string& needle, int64_t bytes) {
  const int64_t room = bytes - static_cast<int64_t>(needle.size());
  if (room < 0) throw std::invalid_argument(message("document of ", bytes, " bytes is too short"));
  const int64_t before = rng.between(0, room);
  std::string head = filler(rng, static_cast<size_t>(before));
  // Cut back to a sentence end so the needle starts a sentence.
  const size_t end = head.rfind(". ");
  head.resize(end == std::string::npos ? 0 : end + 2);
  std::string doc = head + needle;
  doc += filler(rng, static_cast<size_t>(bytes) - doc.size());
  return {doc, static_cast<int64_t>(head.size())};
}

constexpr const char* kNames[] = {"Alice", "Boris", "Chen", "Dara", "Emil", "Farah", "Gus",
                                  "Hana",  "Ivo",   "Jun",  "Kai",  "Lena", "Milo",  "Nora"};
constexpr const char* kObjects[] = {"red box", "old key", "blue cup", "map",  "green hat",
                                    "lamp",    "coin",    "letter",   "ring", "violin"};
constexpr const char* kPlaces[] = {"attic", "barn",   "cellar", "desk",  "garden",
                                   "oven",  "pocket", "shed",   "tower", "well"};

}  // namespace

int64_t max_suffix_bytes(const std::string& source) {
  if (source == "passkey") return 39 + 5 + 1;   // prompt, 5 digits, EOS
  if (source == "multikey") return 32 + 5 + 1;  // "\nWhat is the value of key 4821? "
  if (source == "multidoc") return 45 + 6 + 1;  // longest name, object and place
  return 0;
}

Example make_passkey(Rng& rng, int64_t document_bytes) {
  Example ex;
  ex.kind = "passkey";
  const std::string key = digits(rng, 5);
  const std::string needle = "The pass key is " + key + ". Remember it. ";
  auto [doc, at] = hide(rng, needle, document_bytes);
  ex.document = doc;
  ex.prompt = "\nWhat is the pass key? The pass key is ";
  ex.answer = key;
  ex.answer_begin = at + 16;  // after "The pass key is "
  ex.answer_end = ex.answer_begin + 5;
  return ex;
}

Example make_multikey(Rng& rng, int64_t document_bytes) {
  Example ex;
  ex.kind = "multikey";
  // "key 4821: 93017\n" is 16 bytes; distinct keys so the question has one answer.
  const int64_t lines = std::max<int64_t>(1, document_bytes / 16);
  std::vector<std::string> keys;
  while (static_cast<int64_t>(keys.size()) < lines) {
    std::string k = digits(rng, 4);
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  const int64_t asked = static_cast<int64_t>(rng.below(static_cast<uint64_t>(lines)));
  for (int64_t i = 0; i < lines; ++i) {
    const std::string value = digits(rng, 5);
    if (i == asked) {
      ex.answer = value;
      ex.answer_begin = static_cast<int64_t>(ex.document.size()) + 10;
      ex.answer_end = ex.answer_begin + 5;
    }
    ex.document += "key " + keys[i] + ": " + value + "\n";
  }
  const size_t bytes = static_cast<size_t>(document_bytes);
  if (ex.document.size() < bytes) ex.document += filler(rng, bytes - ex.document.size());
  ex.document.resize(bytes);
  if (ex.answer_end > document_bytes)
    throw std::invalid_argument(message("document of ", document_bytes, " bytes is too short"));
  ex.prompt = "\nWhat is the value of key " + keys[asked] + "? ";
  return ex;
}

Example make_multidoc(Rng& rng, int64_t document_bytes, const TextCorpus& corpus, Split split) {
  Example ex;
  ex.kind = "multidoc";
  // At least two documents (one distractor) of 80 bytes: room for the fact and some text.
  if (document_bytes < 160)
    throw std::invalid_argument(
        message("document of ", document_bytes, " bytes is too short (multidoc needs 160)"));
  const int docs = static_cast<int>(std::clamp<int64_t>(document_bytes / 96, 2, 10));
  const int64_t per_doc = document_bytes / docs;
  // Distinct (name, object) pairs: the question names both.
  std::vector<std::pair<int, int>> facts;
  while (static_cast<int>(facts.size()) < docs) {
    std::pair<int, int> f{static_cast<int>(rng.below(14)), static_cast<int>(rng.below(10))};
    if (std::find(facts.begin(), facts.end(), f) == facts.end()) facts.push_back(f);
  }
  const int asked = static_cast<int>(rng.below(docs));
  for (int d = 0; d < docs; ++d) {
    const std::string place = kPlaces[rng.below(10)];
    const std::string head = "[Doc " + std::to_string(d + 1) + "] " + kNames[facts[d].first] +
                             " keeps the " + kObjects[facts[d].second] + " in the ";
    if (d == asked) {
      ex.answer = place;
      ex.answer_begin = static_cast<int64_t>(ex.document.size() + head.size());
      ex.answer_end = ex.answer_begin + static_cast<int64_t>(place.size());
    }
    std::string text = head + place + ". ";
    const int64_t room =
        (d + 1 == docs ? document_bytes - static_cast<int64_t>(ex.document.size()) : per_doc) -
        static_cast<int64_t>(text.size()) - 1;
    if (room < 0)
      throw std::invalid_argument(message("document of ", document_bytes, " bytes is too short"));
    std::string body = corpus.sample(split, rng, static_cast<size_t>(room));
    std::replace(body.begin(), body.end(), '\n', ' ');
    ex.document += text + body + "\n";
  }
  ex.prompt = std::string("\nWhere does ") + kNames[facts[asked].first] + " keep the " +
              kObjects[facts[asked].second] + "? In the ";
  return ex;
}

Example make_text(Rng& rng, int64_t document_bytes, const TextCorpus& corpus, Split split) {
  Example ex;
  ex.kind = corpus.name;
  ex.document = corpus.sample(split, rng, static_cast<size_t>(document_bytes));
  return ex;
}

}  // namespace ssa
