// The entry point of libssa_engine_commands.so (see engine_commands.h).
#include "app/cli/engine_commands.h"

#include "app/cli/commands.h"

extern "C" __attribute__((visibility("default"))) void ssa_register_engine_commands(CLI::App* app) {
  ssa::cli::register_mask_command(*app);
  ssa::cli::register_record_command(*app);
  ssa::cli::register_generate_command(*app);
  ssa::cli::register_train_command(*app);
  ssa::cli::register_bench_decode_command(*app);
  ssa::cli::register_forward_command(*app);
}
