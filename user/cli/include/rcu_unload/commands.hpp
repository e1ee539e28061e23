#pragma once
// The subcommands behind main(); each returns the process exit code.
#include <atomic>

#include "rcu_unload/options.hpp"

namespace rcu_unload {

// Installs SIGINT/SIGTERM handlers that only set the returned flag.
const std::atomic<bool>& stop_on_signals();

int run_command(const Options& o);
int report_command(const Options& o);
int verify_command(const Options& o);
int matrix_command(const Options& o);
int dispatch(const Options& o);

}  // namespace rcu_unload
