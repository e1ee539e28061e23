// SPDX-License-Identifier: GPL-2.0
// Module init and exit: enqueue the callbacks, and on exit run the chosen strategy,
// prove that no callback was lost, and print one structured record (see
// docs/interfaces.md; bump record_version when a key changes meaning).
#include "callback_set.hpp"
#include "strategy.hpp"

namespace {
constexpr int record_version = 1;
constexpr unsigned int max_callbacks = 1000000;
constexpr unsigned int min_force_interval_us = 10, max_force_interval_us = 100000;

bool params_valid(const ru_params &params)
{
	if (params.callbacks > max_callbacks) {
		ru_log(RU_LOG_ERR, "invalid callbacks=%u: must be 0..%u", params.callbacks, max_callbacks);
		return false;
	}
	if (params.force_steps & ~static_cast<unsigned int>(RU_FORCE_ALL)) {
		ru_log(RU_LOG_ERR, "invalid force_steps=%u: must be a mask within %u", params.force_steps,
		       static_cast<unsigned int>(RU_FORCE_ALL));
		return false;
	}
	if (params.force_interval_us < min_force_interval_us ||
	    params.force_interval_us > max_force_interval_us) {
		ru_log(RU_LOG_ERR, "invalid force_interval_us=%u: must be %u..%u", params.force_interval_us,
		       min_force_interval_us, max_force_interval_us);
		return false;
	}
	return true;
}

const char *const rcu_type_names[] = {"tiny", "tree", "tree-preempt"};
const char *const preempt_names[] = {"none", "voluntary", "full", "rt"};

struct module_state {
	const rcu_flavor *flavor;
	callback_set *callbacks;
	ru_params params;
	ru_kernel_info kernel;
};
module_state state; // constant-initialized: no global constructor runs

void wait_for_callbacks(const unload_strategy &strategy, unload_outcome &outcome)
{
	unload_context ctx{*state.flavor, state.kernel, state.params};

	outcome = strategy.wait(ctx);
	if (outcome.err) {
		ru_log(RU_LOG_WARN, "error v=%d tag=%lu what=strategy-failed strategy=%s err=%d",
		       record_version, state.params.tag, strategy.name, outcome.err);
		state.flavor->barrier();
	}
}
} // namespace

extern "C" int ru_core_init(void)
{
	ru_u64 start = ru_now_ns();
	long ret;

	ru_get_params(&state.params);
	if (!params_valid(state.params))
		return -RU_EINVAL;
	ru_get_kernel_info(&state.kernel);
	state.flavor = &rcu_flavor_vanilla;
	state.callbacks = new callback_set(*state.flavor);
	if (!state.callbacks)
		return -RU_ENOMEM;

	ret = state.callbacks->enqueue_spread(state.params.callbacks);
	if (ret < 0) {
		// Callbacks already queued run module code: they must finish before we fail.
		state.flavor->barrier();
		ru_log(RU_LOG_ERR, "error v=%d tag=%lu what=enqueue-failed err=%ld enqueued=%lu",
		       record_version, state.params.tag, ret, state.callbacks->enqueued());
		delete state.callbacks;
		return static_cast<int>(ret);
	}

	ru_log(RU_LOG_INFO, "init v=%d tag=%lu flavor=%s strategy=%s cpus=%u enqueued=%lu init_ns=%llu",
	       record_version, state.params.tag, state.flavor->name,
	       strategy_at(ru_param_strategy()).name, state.kernel.online_cpus,
	       state.callbacks->enqueued(), ru_now_ns() - start);
	return 0;
}

extern "C" void ru_core_exit(void)
{
	ru_u64 start = ru_now_ns();
	const unload_strategy &asked = strategy_at(ru_param_strategy());
	ru_get_kernel_info(&state.kernel);
	const unload_strategy &picked = strategy_resolve(asked, state.kernel);
	unload_outcome outcome;

	// Nothing produces callbacks after init yet, so stopping producers is immediate.
	ru_u64 wait_start = ru_now_ns();
	wait_for_callbacks(picked, outcome);
	ru_u64 wait_end = ru_now_ns();

	unsigned long enqueued = state.callbacks->enqueued();
	unsigned long invoked = state.callbacks->invoked();
	unsigned long corrupted = state.callbacks->corrupted();
	if (invoked != enqueued || corrupted)
		ru_log(RU_LOG_ERR, "error v=%d tag=%lu what=lost-callbacks enqueued=%lu invoked=%lu corrupted=%lu",
		       record_version, state.params.tag, enqueued, invoked, corrupted);
	delete state.callbacks;

	ru_log(RU_LOG_INFO,
	       "exit v=%d tag=%lu flavor=%s strategy=%s picked=%s rcu=%s preempt=%s cpus=%u "
	       "enqueued=%lu invoked=%lu rounds=%lu stop_ns=%llu gp_ns=%llu wait_ns=%llu total_ns=%llu",
	       record_version, state.params.tag, state.flavor->name, asked.name, picked.name,
	       rcu_type_names[state.kernel.rcu], preempt_names[state.kernel.preempt],
	       state.kernel.online_cpus, enqueued, invoked, outcome.rounds, wait_start - start, outcome.gp_ns,
	       wait_end - wait_start, ru_now_ns() - start);
}
