// Data-parallel `ssa-workbench train`: which rank this process is, and the
// --nproc launcher (engine/train/distributed/ does the training side).
//
//   train --config C --nproc N       N local ranks of this same command line
//                                    (one per GPU with --device cuda), over a
//                                    store on a free loopback port
//   train --config C --rank R --world-size W --master-addr A --master-port P
//                                    one rank of a run started elsewhere
//   torchrun's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT,
//   LOCAL_RANK) when no flag says otherwise.
//
// A failure of one rank ends every rank: the first to fail says why, in one
// line; the others exit with its code (app/cli/commands.h) without a word
// when --nproc launched them, with a one-line pointer to it otherwise.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "engine/train/distributed/data_parallel.h"

namespace CLI {
class App;
}

namespace ssa::cli {

struct LaunchFlags {
  int nproc = 0;
  int rank = -1;
  int world_size = -1;
  std::string master_addr;
  int master_port = -1;
};

void add_launch_flags(CLI::App& command, LaunchFlags& flags);

// The rank this process is (flags first, then torchrun's environment);
// nullopt: it trains alone. Throws UsageError for inconsistent flags.
std::optional<DistSettings> rank_settings(const LaunchFlags& flags);

// Throws UsageError unless the step's examples split evenly across `world`.
void check_world_fits(int64_t batch_size, int64_t grad_accum, int world);

// --nproc: runs the ranks as child processes of this command line, forwards
// SIGINT / SIGTERM to them, ends them all when one fails, and exits with the
// run's code. Never returns.
[[noreturn]] void launch_ranks(const LaunchFlags& flags, const std::string& device);

// Runs `body` as one rank: joins the run, reports a failure of this rank (or
// of a peer) once, and ends the process on failure.
void run_as_rank(const DistSettings& settings, const std::string& device,
                 const std::function<void(DataParallel&)>& body);

}  // namespace ssa::cli
