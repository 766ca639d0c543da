// Weighted, seeded source choice and the corpora behind it.
#include "engine/data/data_mix.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "engine/model/message.h"

namespace ssa {
namespace {

constexpr const char* kSources[] = {"fortunes", "bible", "passkey", "multikey", "multidoc"};

bool known_source(const std::string& name) {
  for (const char* s : kSources)
    if (name == s) return true;
  return false;
}

}  // namespace

DataMixSettings parse_data_mix(const nlohmann::json& block, const std::string& source) {
  DataMixSettings s;
  if (block.contains("mix")) {
    const auto& mix = block["mix"];
    if (!mix.is_object() || mix.empty())
      throw std::runtime_error(message(source, ": data.mix must be an object of source weights"));
    s.weights.clear();
    for (const auto& [name, w] : mix.items()) {
      if (!known_source(name))
        throw std::runtime_error(message(source, ": data.mix: unknown source \"", name,
                                         "\" (expected fortunes, bible, passkey, multikey, "
                                         "multidoc)"));
      if (!w.is_number() || w.get<double>() < 0)
        throw std::runtime_error(
            message(source, ": data.mix.", name, " must be a non-negative number"));
      s.weights[name] = w.get<double>();
    }
  }
  if (block.contains("fortunes_dir")) s.fortunes_dir = block["fortunes_dir"].get<std::string>();
  if (block.contains("bible_program")) s.bible_program = block["bible_program"].get<std::string>();
  if (block.contains("bible_text")) s.bible_text = block["bible_text"].get<std::string>();
  return s;
}

DataMix::DataMix(DataMixSettings settings) : settings_(std::move(settings)) {
  for (const auto& [name, w] : settings_.weights) total_weight_ += w;
  if (total_weight_ <= 0) throw std::invalid_argument("data mix: the weights sum to zero");
  auto used = [&](const char* name) {
    auto it = settings_.weights.find(name);
    return it != settings_.weights.end() && it->second > 0;
  };
  if (used("fortunes") || used("multidoc"))
    fortunes_ = std::make_shared<TextCorpus>(load_fortunes(settings_.fortunes_dir));
  if (used("bible"))
    bible_ = std::make_shared<TextCorpus>(settings_.bible_text.empty()
                                              ? load_bible(settings_.bible_program)
                                              : load_bible_text(settings_.bible_text));
}

Example DataMix::draw(const std::string& source, Split split, Rng& rng,
                      int64_t document_bytes) const {
  if (source == "passkey") return make_passkey(rng, document_bytes);
  if (source == "multikey") return make_multikey(rng, document_bytes);
  if (source == "multidoc") return make_multidoc(rng, document_bytes, *fortunes_, split);
  if (source == "fortunes") return make_text(rng, document_bytes, *fortunes_, split);
  if (source == "bible") return make_text(rng, document_bytes, *bible_, split);
  throw std::invalid_argument(message("data mix: unknown source \"", source, "\""));
}

Example DataMix::sample(Split split, uint64_t step, uint64_t index,
                        const DocumentBudget& budget) const {
  Rng rng = Rng::derive(settings_.seed, split == Split::kTrain ? 1 : 2, step * 1000003 + index);
  double pick = rng.uniform() * total_weight_;
  std::string chosen = settings_.weights.rbegin()->first;
  for (const auto& [name, w] : settings_.weights) {  // std::map: fixed order
    if (pick < w) {
      chosen = name;
      break;
    }
    pick -= w;
  }
  return draw(chosen, split, rng, budget(max_suffix_bytes(chosen)));
}

Example DataMix::sample_source(const std::string& source, Split split, uint64_t step,
                               uint64_t index, const DocumentBudget& budget) const {
  Rng rng = Rng::derive(settings_.seed, split == Split::kTrain ? 3 : 4, step * 1000003 + index);
  if ((source == "multidoc" || source == "fortunes") && !fortunes_)
    throw std::invalid_argument("data mix: fortunes were not loaded");
  if (source == "bible" && !bible_) throw std::invalid_argument("data mix: bible was not loaded");
  return draw(source, split, rng, budget(max_suffix_bytes(source)));
}

}  // namespace ssa
