// Rank flags, the --nproc launcher and failure reporting across ranks
// (see train_launch.h).
#include "app/cli/train_launch.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <new>
#include <thread>
#include <vector>

#include "app/cli/commands.h"
#include "app/cli/flag_checks.h"
#include "engine/train/distributed/collective.h"
#include "engine/train/distributed/rank_watch.h"
#include "engine/train/distributed/step_shard.h"

extern char** environ;

namespace ssa::cli {
namespace {

// Set in the ranks --nproc starts: the launcher hosts the store and speaks
// for the run, so a rank stopped by a peer's failure says nothing.
constexpr const char* kLauncherVariable = "SSA_TRAIN_LAUNCHER";

std::string first_line(const char* what) {
  std::string s = what ? what : "";
  const size_t end = s.find('\n');
  if (end != std::string::npos) s.resize(end);
  return s.empty() ? "unknown error" : s;
}

// A whole number in [lo, hi] from the environment, or nullopt when unset.
std::optional<int> env_number(const char* name, int lo, int hi) {
  const char* text = std::getenv(name);
  if (!text || !*text) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (*end != '\0' || errno == ERANGE || v < lo || v > hi)
    throw UsageError(std::string("environment ") + name + "=" + text +
                     ": expected a whole number in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]");
  return static_cast<int>(v);
}

[[noreturn]] void quiet_exit(int code) {
  std::fflush(nullptr);
  std::_Exit(code);
}

[[noreturn]] void report_and_exit(const std::string& line, int code) {
  std::fprintf(stderr, "ssa-workbench: %s\n", line.c_str());
  quiet_exit(code);
}

// The exit code main() gives an exception (app/cli/commands.h).
int exit_code_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const UsageError&) {
    return 2;
  } catch (const InputError&) {
    return 2;
  } catch (const Interrupted& e) {
    return 128 + e.signal;
  } catch (...) {
    return 1;
  }
}

std::string what_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::bad_alloc&) {
    return "out of memory";
  } catch (const CollectiveFailure& e) {
    // Most often a peer went away: say so before c10d's or Gloo's text.
    return "a collective failed (another rank failed or was killed?): " + first_line(e.what());
  } catch (const std::exception& e) {
    return first_line(e.what());
  } catch (...) {
    return "unknown error";
  }
}

bool lost_contact(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const CollectiveFailure&) {
    return true;
  } catch (...) {
    return false;
  }
}

// This process's command line, as the kernel has it.
std::vector<std::string> own_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (size_t begin = 0; begin < all.size();) {
    const size_t end = all.find('\0', begin);
    args.push_back(all.substr(begin, end - begin));
    begin = end == std::string::npos ? all.size() : end + 1;
  }
  return args;
}

// The arguments less --nproc N and --master-port P (the ranks get rank
// flags instead).
std::vector<std::string> without_launch_flags(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--nproc" || a == "--master-port") {
      ++i;  // and its value
      continue;
    }
    if (a.rfind("--nproc=", 0) != 0 && a.rfind("--master-port=", 0) != 0) out.push_back(a);
  }
  return out;
}

std::string signal_name(int signal) {
  const char* name = ::sigabbrev_np(signal);
  return name ? std::string("SIG") + name : "signal " + std::to_string(signal);
}

}  // namespace

void add_launch_flags(CLI::App& command, LaunchFlags& flags) {
  auto* nproc = command
                    .add_option("--nproc", flags.nproc,
                                "train with N local ranks (processes of this command), one per "
                                "GPU with --device cuda")
                    ->check(whole_number_at_least(1));
  auto* rank = command
                   .add_option("--rank", flags.rank,
                               "this process's rank (0..world size - 1) in a data-parallel run")
                   ->check(whole_number_at_least(0));
  auto* world = command.add_option("--world-size", flags.world_size, "ranks in the run")
                    ->check(whole_number_at_least(1));
  auto* addr = command.add_option("--master-addr", flags.master_addr,
                                  "host of rank 0 (its store), default 127.0.0.1");
  auto* port = command
                   .add_option("--master-port", flags.master_port,
                               "port of rank 0's store, default 29500 (with --nproc: a free one)")
                   ->check(CLI::Range(1, 65535));
  nproc->excludes(rank)->excludes(world)->excludes(addr);
  (void)port;
}

std::optional<DistSettings> rank_settings(const LaunchFlags& f) {
  const int world =
      f.world_size >= 0 ? f.world_size : env_number("WORLD_SIZE", 1, 1 << 20).value_or(-1);
  const int rank = f.rank >= 0 ? f.rank : env_number("RANK", 0, 1 << 20).value_or(-1);
  if (world < 0 && rank < 0) {
    if (!f.master_addr.empty() || f.master_port > 0)
      throw UsageError(
          "--master-addr / --master-port: only with --rank and --world-size (or --nproc)");
    return std::nullopt;
  }
  if (world < 0) throw UsageError("--rank: give --world-size too");
  if (rank < 0) throw UsageError("--world-size: give --rank too");
  if (rank >= world)
    throw UsageError("--rank " + std::to_string(rank) + ": expected a rank below --world-size " +
                     std::to_string(world));
  DistSettings s;
  s.rank = rank;
  s.world_size = world;
  const char* addr = std::getenv("MASTER_ADDR");
  s.master_addr = !f.master_addr.empty() ? f.master_addr : (addr && *addr ? addr : "127.0.0.1");
  s.master_port =
      f.master_port > 0 ? f.master_port : env_number("MASTER_PORT", 1, 65535).value_or(29500);
  s.local_rank = env_number("LOCAL_RANK", 0, 1 << 20).value_or(rank);
  const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  s.store_elsewhere =
      std::getenv(kLauncherVariable) != nullptr || (agent && std::string(agent) == "True");
  const char* restart = std::getenv("TORCHELASTIC_RESTART_COUNT");
  if (restart && *restart) s.key_prefix = std::string("restart") + restart + "/";
  return s;
}

void check_world_fits(int64_t batch_size, int64_t grad_accum, int world) {
  try {
    shard_step(batch_size, grad_accum, 0, world);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--nproc / --world-size: ") + e.what());
  }
}

void launch_ranks(const LaunchFlags& flags, const std::string& device) {
  const int n = flags.nproc;
  if (device == "cuda") {
    const int gpus =
        torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
    if (gpus < n)
      throw UsageError("--nproc " + std::to_string(n) + " --device cuda: this machine has " +
                       std::to_string(gpus) + " CUDA device" + (gpus == 1 ? "" : "s"));
  }
  // The launcher hosts the store: it outlives every rank, and a rank that
  // dies without a word is reported from here.
  c10d::TCPStoreOptions o;
  o.port = static_cast<uint16_t>(flags.master_port > 0 ? flags.master_port : 0);
  o.isServer = true;
  o.waitWorkers = false;
  c10::intrusive_ptr<c10d::TCPStore> tcp;
  try {
    tcp = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", o);
  } catch (const std::exception& e) {
    throw UsageError("--master-port " + std::to_string(flags.master_port) +
                     ": cannot listen there (" + first_line(e.what()) + ")");
  }
  auto store = c10::make_intrusive<c10d::PrefixStore>("ssa/", tcp);
  const std::string port = std::to_string(tcp->getPort());

  // Everything a child needs, built before fork: after it, only exec.
  const std::vector<std::string> base = without_launch_flags(own_arguments());
  std::vector<std::vector<std::string>> argvs, envs;
  for (int r = 0; r < n; ++r) {
    std::vector<std::string> a = base;
    for (const std::string& extra :
         {std::string("--rank"), std::to_string(r), std::string("--world-size"), std::to_string(n),
          std::string("--master-addr"), std::string("127.0.0.1"), std::string("--master-port"),
          port})
      a.push_back(extra);
    argvs.push_back(a);
    // The rank variables of an outer launcher would contradict the flags.
    auto outer = [](const std::string& entry) {
      for (const char* name : {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "MASTER_ADDR=",
                               "MASTER_PORT=", "TORCHELASTIC_USE_AGENT_STORE="})
        if (entry.rfind(name, 0) == 0) return true;
      return false;
    };
    std::vector<std::string> e;
    for (char** v = environ; *v; ++v)
      if (!outer(*v)) e.push_back(*v);
    e.push_back("LOCAL_RANK=" + std::to_string(r));
    e.push_back(std::string(kLauncherVariable) + "=1");
    envs.push_back(e);
  }
  auto pointers = [](std::vector<std::string>& v) {
    std::vector<char*> p;
    for (std::string& s : v) p.push_back(s.data());
    p.push_back(nullptr);
    return p;
  };

  sigset_t waited, previous;
  sigemptyset(&waited);
  sigaddset(&waited, SIGCHLD);
  sigaddset(&waited, SIGINT);
  sigaddset(&waited, SIGTERM);
  sigprocmask(SIG_BLOCK, &waited, &previous);
  const pid_t parent = ::getpid();
  std::vector<pid_t> pids(n, -1);
  for (int r = 0; r < n; ++r) {
    std::vector<char*> argv = pointers(argvs[r]), envp = pointers(envs[r]);
    const pid_t pid = ::fork();
    if (pid == 0) {
      // Its own process group: a Ctrl-C reaches the launcher alone, which
      // forwards it once; dies with the launcher.
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      sigprocmask(SIG_SETMASK, &previous, nullptr);
      ::execve("/proc/self/exe", argv.data(), envp.data());
      ::_exit(127);
    }
    if (pid < 0) {
      for (pid_t p : pids)
        if (p > 0) ::kill(p, SIGKILL);
      throw RunFailure(std::string("--nproc: cannot start a rank (") + std::strerror(errno) + ")");
    }
    pids[r] = pid;
  }

  int live = n, forwarded = 0, first_code = 0;
  bool failed = false;
  std::chrono::steady_clock::time_point kill_at{};
  while (live > 0) {
    const timespec tick{0, 100 * 1000 * 1000};
    siginfo_t info;
    const int sig = ::sigtimedwait(&waited, &info, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      forwarded = sig;
      for (pid_t p : pids)
        if (p > 0) ::kill(p, sig);
    }
    for (int r = 0; r < n; ++r) {
      if (pids[r] <= 0) continue;
      int status = 0;
      if (::waitpid(pids[r], &status, WNOHANG) != pids[r]) continue;
      pids[r] = -1;
      --live;
      const bool signalled = WIFSIGNALED(status);
      const int code = signalled ? 1 : WEXITSTATUS(status);
      if (code == 0 || failed) continue;
      if (forwarded && !signalled && code == 128 + forwarded) {  // stopped as asked
        if (!first_code) first_code = code;
        continue;
      }
      failed = true;
      first_code = code;
      kill_at = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      RankFailure f{r, code,
                    signalled ? "rank " + std::to_string(r) + " was killed by " +
                                    signal_name(WTERMSIG(status))
                              : "rank " + std::to_string(r) + " failed"};
      // The rank said why itself when it exited with a code; a killed one
      // could not, so the launcher does.
      if (claim_failure(*store, f) && signalled)
        std::fprintf(stderr, "ssa-workbench: %s\n", f.what.c_str());
    }
    if (failed && live > 0 && std::chrono::steady_clock::now() >= kill_at) {
      for (pid_t p : pids)
        if (p > 0) ::kill(p, SIGKILL);  // a rank that did not stop on its own
      kill_at = std::chrono::steady_clock::time_point::max();
    }
  }
  if (failed) {
    if (auto claimed = claimed_failure(*store)) first_code = claimed->code;
  }
  quiet_exit(first_code);
}

void run_as_rank(const DistSettings& settings, const std::string& device,
                 const std::function<void(DataParallel&)>& body) {
  const bool launched = std::getenv(kLauncherVariable) != nullptr;
  const int rank = settings.rank;
  const std::string me = "rank " + std::to_string(rank) + ": ";
  // From the watcher's thread: a peer failed, or went away.
  auto on_failure = [launched, me](const RankFailure& f, c10d::Store& store) {
    if (f.claimed) {
      if (!launched) report_and_exit(me + "stopped: " + f.what, f.code);
      quiet_exit(f.code);
    }
    bool first = true;
    try {
      first = claim_failure(store, RankFailure{f.rank, f.code, me + f.what});
    } catch (const std::exception&) {
    }
    if (first && !(launched && f.rank == -1)) report_and_exit(me + f.what, f.code);
    quiet_exit(f.code);
  };
  std::unique_ptr<DataParallel> dp;
  try {
    dp = std::make_unique<DataParallel>(settings, device, on_failure);
    body(*dp);
    dp.reset();
  } catch (const Interrupted& e) {
    // Every rank stopped at the same step (they agree on it); rank 0 says so.
    dp.reset();
    if (rank == 0) throw;
    quiet_exit(128 + e.signal);
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    const int code = exit_code_of(error);
    bool first = true;
    // A collective that failed because a peer died: the launcher, which saw
    // it die, gets a moment to claim that first (it names the rank).
    if (launched && lost_contact(error)) std::this_thread::sleep_for(std::chrono::seconds(1));
    if (dp) {
      try {
        first = claim_failure(dp->store(), RankFailure{rank, code, me + what_of(error)});
      } catch (const std::exception&) {
      }
    }
    if (!first) {  // a peer failed first and says why
      std::optional<RankFailure> claimed;
      try {
        claimed = claimed_failure(dp->store());
      } catch (const std::exception&) {
      }
      if (claimed && !launched) report_and_exit(me + "stopped: " + claimed->what, claimed->code);
      quiet_exit(claimed ? claimed->code : code);
    }
    // The store's host lingers a moment, so that the others read the claim
    // before its store goes away.
    if (dp && rank == 0 && !settings.store_elsewhere && settings.world_size > 1)
      std::this_thread::sleep_for(std::chrono::seconds(1));
    report_and_exit(me + what_of(error), code);
  }
}

}  // namespace ssa::cli
