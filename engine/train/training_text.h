// The text side of a training run: which tokenizer turns its data into ids.
//
// A fresh model ("model" in the config) and a continued byte-level checkpoint
// use the byte tokenizer. A config whose "init" is a Hugging Face checkpoint
// with a tokenizer.json (SmolLM2, Llama, Qwen2) trains on that tokenizer's
// ids with its BOS / EOS / PAD; the gist tokens <gist>, <Gist>, <MGist> are
// found in it or added after its vocabulary with mean-initialised rows
// (engine/data/model_text.h), and the run's final model directory gets the
// tokenizer files with the gist tokens written in, so that `record` and
// `generate` find them where training put them.
#pragma once

#include <memory>
#include <string>

#include "engine/data/model_text.h"
#include "engine/model/decoder.h"
#include "engine/train/train_config.h"
#include "engine/train/training_batch.h"

namespace ssa {

// The run's text for `model` (fresh, the init checkpoint, or a resumed
// checkpoint of this run): a tokenizer model gains its gist rows when it
// lacks them, and its config's ssa block takes the gist ids.
std::shared_ptr<const ModelText> prepare_training_text(const TrainConfig& config,
                                                       DecoderModel& model);

// The sequences the run trains on: the config's length, layout (gist ids from
// `text`), answer weights, and `text`.
SequenceSettings training_sequences(const TrainConfig& config,
                                    std::shared_ptr<const ModelText> text);

// Writes the tokenizer files of the init checkpoint into `dir` (a saved
// model): tokenizer.json with the gist tokens among its added tokens,
// tokenizer_config.json, chat_template.jinja, generation_config.json. Nothing
// for the byte tokenizer. Throws std::runtime_error naming the file.
void save_training_text(const TrainConfig& config, const ModelText& text, const std::string& dir);

}  // namespace ssa
