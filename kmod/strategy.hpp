// SPDX-License-Identifier: GPL-2.0
// Unload strategies: each one small unit (strategy_<ident>.cpp) that returns only once
// every callback the flavor had queued before the call has been invoked. Their names
// and order are the contract's RU_STRATEGY_LIST.
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
	unsigned long kicks;  // rounds that ran every CPU's RCU core
	ru_u64 gp_ns;         // when a full grace period had been seen to elapse; 0 if not watched
};

struct unload_strategy {
	bool unsafe; // leaves callbacks pending: refused unless allow_unsafe=1
	// Whether the flavor on this kernel has what the strategy drives; nullptr: always.
	bool (*applies)(const rcu_flavor &flavor, const ru_kernel_info &kernel);
	// Either waits itself, or (auto) names the strategy that suits this kernel.
	unload_outcome (*wait)(const unload_context &ctx);
	ru_strategy_index (*pick)(const rcu_flavor &flavor, const ru_kernel_info &kernel);
};

#define RU_DECLARE_STRATEGY(ident, name, help) extern const unload_strategy strategy_##ident;
RU_STRATEGY_LIST(RU_DECLARE_STRATEGY)
#undef RU_DECLARE_STRATEGY

const unload_strategy &strategy_at(ru_strategy_index index);
const char *strategy_name(ru_strategy_index index);
bool strategy_applies(ru_strategy_index index, const rcu_flavor &flavor, const ru_kernel_info &kernel);
// The strategy asked for, resolved through auto's pick where needed.
ru_strategy_index strategy_resolve(ru_strategy_index asked, const rcu_flavor &flavor,
				   const ru_kernel_info &kernel);

// The force rounds, shared by the strategies built on them: until the flavor's
// barrier, run in a worker, returns; or until the module's own callbacks have all run.
enum class force_until { barrier_done, own_callbacks_run };
unload_outcome force_quiescent_states(const unload_context &ctx, force_until until,
				      unsigned int steps);
// Counting where that is safe and faster, the barrier elsewhere.
force_until fastest_force_wait(const rcu_flavor &flavor, const ru_kernel_info &kernel);
bool flavor_can_expedite(const rcu_flavor &flavor, const ru_kernel_info &kernel);
