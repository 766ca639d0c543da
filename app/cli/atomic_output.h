// Output files of the commands: written whole or not at all, never over an input.
//
// A command writes into a temporary file beside its output (same folder, so
// the rename cannot cross file systems), and commit() makes it the output in
// one rename after fsync. A command that fails before commit() leaves the old
// file (or none) and no temporary. Used by every command that writes a file
// (export, mask, train, screenshot); recordings are SQLite's own business.
#pragma once

#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace ssa::cli {

// Throws UsageError("<flag> <output>: ... is also the input <input>") when the
// output names the same file as one of the inputs: compared by device and
// inode, so another name, a hard link or a symbolic link is caught too.
void refuse_output_onto_input(const std::string& output, const std::string& flag,
                              const std::vector<std::string>& inputs);

class AtomicOutput {
 public:
  // Creates the temporary file; throws InputError naming `flag` and `path`
  // when its folder does not exist or cannot be written.
  AtomicOutput(std::string path, std::string flag);
  ~AtomicOutput();  // removes the temporary file unless committed
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  // The temporary file, for writers that take a path; stream() writes to it.
  const std::string& temporary_path() const { return temporary_; }
  std::ofstream& stream() { return stream_; }
  // Flushes and fsyncs the temporary file, renames it to the output and
  // fsyncs the folder. Throws InputError when any of it fails.
  void commit();

 private:
  std::string path_, flag_, temporary_;
  std::ofstream stream_;
  bool committed_ = false;
};

// The same for a writer that takes a path: write(temporary) then commit().
void write_atomically(const std::string& path, const std::string& flag,
                      const std::function<void(const std::string& temporary)>& write);

}  // namespace ssa::cli
