// RunFolder: the files of one training run (--out), kept consistent whatever
// moment the process dies at, kill -9 included:
//
//   train_config.json    the config as given (written whole, once)
//   train_log.jsonl      one JSON line per step and per evaluation, flushed per
//                        line; on resume cut back to the checkpoint's step, so
//                        that no step appears twice and no line is torn
//   checkpoints/step-N/  model (fp32) + optimizer.pt + trainer_state.json:
//                        written in a temporary directory, fsynced, renamed
//   checkpoint           symbolic link to the newest complete step directory,
//                        replaced by one atomic rename (what --resume reads)
//   model/               the final model, written whole
//   recording.json       where the run is recorded (the command line's: --record)
//
// Never writes over anything it did not make: an unknown file in the folder
// stays. Failures are std::runtime_error naming the file.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <string>

namespace ssa {

class RunFolder {
 public:
  explicit RunFolder(std::string dir);

  const std::string& dir() const { return dir_; }
  // Any file of a run here (config, log, checkpoint, model)?
  bool holds_run() const;
  // The step the checkpoint resumes at, -1 without a checkpoint. Throws
  // std::runtime_error when the checkpoint is damaged (no readable step, or
  // missing files).
  int64_t checkpoint_step() const;
  // The checkpoint directory to load (through the `checkpoint` link).
  std::string checkpoint_dir() const;

  // Removes the run's files (--force); other files stay.
  void clear();
  // Creates the folder; writes train_config.json (fresh runs).
  void start(const std::string& config_text);
  // Opens the log for appending, cut back to the lines of steps <= `last_step`
  // (a resume), or empty (last_step < 0).
  void open_log(int64_t last_step);
  // Appends one line and flushes it (a killed process loses no step it logged).
  void log(const std::string& json_line);

  // Saves the checkpoint of `step`: `write` fills the (temporary) directory
  // it is given with config.json, model.safetensors and optimizer.pt; the
  // trainer_state.json that names the step is added here.
  void save_checkpoint(int64_t step, const std::function<void(const std::string& dir)>& write);
  // Writes model/ through a temporary directory.
  void save_model(const std::function<void(const std::string& dir)>& write);

 private:
  std::string path(const char* name) const;
  std::string dir_;
  std::ofstream log_;
};

}  // namespace ssa
