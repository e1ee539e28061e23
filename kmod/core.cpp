// SPDX-License-Identifier: GPL-2.0
// Module init and exit: enqueue the callbacks, and on exit run the chosen strategy,
// prove that no callback was lost, and print one structured record (see
// docs/interfaces.md; bump record_version when a key changes meaning).
#include "callback_set.hpp"
#include "strategy.hpp"

namespace {
constexpr int record_version = 1;
constexpr unsigned int max_callbacks = 1000000;

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
	unload_context ctx{*state.flavor, state.kernel};

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
	if (state.params.callbacks > max_callbacks) {
		ru_log(RU_LOG_ERR, "invalid callbacks=%u: must be 0..%u", state.params.callbacks,
		       max_callbacks);
		return -RU_EINVAL;
	}
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
	       "enqueued=%lu invoked=%lu rounds=%lu stop_ns=%llu wait_ns=%llu total_ns=%llu",
	       record_version, state.params.tag, state.flavor->name, asked.name, picked.name,
	       rcu_type_names[state.kernel.rcu], preempt_names[state.kernel.preempt],
	       state.kernel.online_cpus, enqueued, invoked, outcome.rounds, wait_start - start,
	       wait_end - wait_start, ru_now_ns() - start);
}
