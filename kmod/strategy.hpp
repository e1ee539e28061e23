// SPDX-License-Identifier: GPL-2.0
// Unload strategies: each one small unit (strategy_*.cpp) that returns only once
// every callback the flavor had queued before the call has been invoked.
#pragma once
#include "flavor.hpp"

struct reader_pool;
class callback_set;

struct unload_context {
	const rcu_flavor &flavor;
	const ru_kernel_info &kernel;
	const ru_params &params;
	reader_pool *readers; // still running during the wait; nullptr if none
	const callback_set &callbacks;
};

struct unload_outcome {
	int err;              // 0 or -errno; on error the core falls back to the flavor's barrier
	unsigned long rounds; // expediting rounds performed, for the exit record
	ru_u64 gp_ns;         // when a full grace period had been seen to elapse; 0 if not watched
};

struct unload_strategy {
	const char *name;
	bool unsafe; // leaves callbacks pending: refused unless allow_unsafe=1
	// Whether the flavor on this kernel has what the strategy drives; nullptr: always.
	bool (*applies)(const rcu_flavor &flavor, const ru_kernel_info &kernel);
	// Either waits itself, or (auto) names the strategy that suits this kernel.
	unload_outcome (*wait)(const unload_context &ctx);
	const unload_strategy *(*pick)(const ru_kernel_info &kernel, const rcu_flavor &flavor);
};

extern const unload_strategy strategy_auto;
extern const unload_strategy strategy_barrier;
extern const unload_strategy strategy_sync_exp;
extern const unload_strategy strategy_force_qs;
extern const unload_strategy strategy_force_qs_own;
extern const unload_strategy strategy_boost;
extern const unload_strategy strategy_unsafe_none;
extern const unload_strategy strategy_direct;

// The force-qs rounds, shared by the strategies built on them: until the flavor's
// barrier, run in a worker, returns; or until the module's own callbacks have all run.
enum class force_until { barrier_done, own_callbacks_run };
unload_outcome force_quiescent_states(const unload_context &ctx, force_until until);
// Counting where that is safe and faster, the barrier elsewhere.
force_until fastest_force_wait(const rcu_flavor &flavor, const ru_kernel_info &kernel);
bool flavor_can_expedite(const rcu_flavor &flavor, const ru_kernel_info &kernel);

// The strategy asked for, resolved through auto's pick where needed.
const unload_strategy &strategy_at(int index);
const unload_strategy &strategy_resolve(const unload_strategy &asked, const ru_kernel_info &kernel,
				       const rcu_flavor &flavor);
