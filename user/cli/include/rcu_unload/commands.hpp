#pragma once
// The subcommands behind main(); each returns the process exit code.
#include <atomic>

#include "rcu_unload/options.hpp"

namespace rcu_unload {

// Installs SIGINT/SIGTERM handlers that only set the returned flag.
const std::atomic<bool>& stop_on_signals();

int run_command(const RunOptions& o);
int report_command(const ReportOptions& o);
int verify_command(const VerifyOptions& o);
int matrix_command(const MatrixOptions& o);
int compare_command(const CompareOptions& o);
int env_command(const EnvOptions& o);
int stress_command(const StressOptions& o);
int dispatch(const Subcommand& command);

}  // namespace rcu_unload
