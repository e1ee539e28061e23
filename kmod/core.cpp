// SPDX-License-Identifier: GPL-2.0
// Module init and exit: enqueue the callbacks, and on exit stop the producers, run
// the chosen strategy, prove that no callback was lost, and print one structured
// record (docs/interfaces.md; bump record_version when a key changes meaning).
#include "churn.hpp"
#include "readers.hpp"
#include "strategy.hpp"

namespace {
constexpr int record_version = 1;
constexpr unsigned int max_callbacks = 1000000;
constexpr unsigned int min_force_interval_us = 10, max_force_interval_us = 100000;
constexpr unsigned int max_reader_hold_us = 10000;
constexpr unsigned int max_churn_per_ms = 1000;
constexpr unsigned int limit_samples = 1000;

const char *const rcu_type_names[] = {"tiny", "tree", "tree-preempt"};
const char *const preempt_names[] = {"none", "voluntary", "full", "rt"};

struct module_state {
	const rcu_flavor *flavor;
	callback_set *callbacks;
	reader_pool *readers;
	churn_producers *churn;
	ru_params params;
	ru_kernel_info kernel;
};
module_state state; // constant-initialized: no global constructor runs

bool refuse(const char *param, unsigned long value, const char *why)
{
	ru_log(RU_LOG_ERR, "invalid %s=%lu: %s", param, value, why);
	return false;
}

bool params_valid(const ru_params &params, const ru_kernel_info &kernel)
{
	if (params.callbacks > max_callbacks)
		return refuse("callbacks", params.callbacks, "must be 0..1000000");
	if (params.force_steps & ~static_cast<unsigned int>(RU_FORCE_ALL))
		return refuse("force_steps", params.force_steps, "must be a mask within 7");
	if (params.force_interval_us < min_force_interval_us ||
	    params.force_interval_us > max_force_interval_us)
		return refuse("force_interval_us", params.force_interval_us, "must be 10..100000");
	if (params.readers > reader_pool::max_readers)
		return refuse("readers", params.readers, "must be 0..64");
	if (params.reader_hold_us > max_reader_hold_us)
		return refuse("reader_hold_us", params.reader_hold_us, "must be 0..10000");
	if (params.churn > max_churn_per_ms)
		return refuse("churn", params.churn, "must be 0..1000");
	if (kernel.online_cpus > churn_producers::max_cpus && params.churn)
		return refuse("churn", params.churn, "needs at most 64 online CPUs");
	const rcu_flavor *flavor = flavor_by_name(params.flavor);
	if (!flavor || (flavor == &rcu_flavor_tasks && !kernel.tasks_rcu)) {
		ru_log(RU_LOG_ERR, "invalid flavor=%s: expected rcu, srcu%s", params.flavor,
		       kernel.tasks_rcu ? " or tasks" : " (this kernel has no Tasks RCU)");
		return false;
	}
	const unload_strategy &strategy = strategy_at(ru_param_strategy());
	if (strategy.applies && !strategy.applies(*flavor, kernel)) {
		ru_log(RU_LOG_ERR, "invalid strategy=%s: does not apply to flavor=%s on %s RCU%s",
		       strategy.name, flavor->name, rcu_type_names[kernel.rcu],
		       kernel.callbacks_offloaded ? " with offloaded callbacks" : "");
		return false;
	}
	if (strategy.unsafe && !params.allow_unsafe) {
		ru_log(RU_LOG_ERR, "invalid strategy=%s: unloads with callbacks pending, needs allow_unsafe=1",
		       strategy.name);
		return false;
	}
	return true;
}

// Stops and frees what init started, newest first; the callbacks must be done by then.
void release_state()
{
	if (state.readers) {
		state.readers->stop();
		delete state.readers;
		state.readers = nullptr;
	}
	delete state.churn;
	state.churn = nullptr;
	delete state.callbacks;
	state.callbacks = nullptr;
}

int fail_init(int err, const char *what)
{
	if (state.churn)
		state.churn->stop();
	// Callbacks already queued run module code: they must finish before we fail.
	state.flavor->barrier();
	ru_log(RU_LOG_ERR, "error v=%d tag=%lu what=%s err=%d", record_version, state.params.tag,
	       what, err);
	release_state();
	if (state.flavor->cleanup)
		state.flavor->cleanup();
	return err;
}

// The strategy itself, or the flavor's barrier if it fails or is refused: never
// return with callbacks pending unless unsafe-none was explicitly allowed.
unload_outcome wait_for_callbacks(const unload_strategy &strategy)
{
	unload_context ctx{*state.flavor, state.kernel, state.params, state.readers, *state.callbacks};
	unload_outcome outcome;

	if ((strategy.unsafe && !state.params.allow_unsafe) ||
	    (strategy.applies && !strategy.applies(*state.flavor, state.kernel)))
		outcome = {-RU_EINVAL, 0, 0};
	else
		outcome = strategy.wait(ctx);
	if (outcome.err) {
		ru_log(RU_LOG_WARN, "error v=%d tag=%lu what=strategy-failed strategy=%s err=%d",
		       record_version, state.params.tag, strategy.name, outcome.err);
		state.flavor->barrier();
	}
	return outcome;
}
} // namespace

extern "C" int ru_core_init(void)
{
	ru_u64 start = ru_now_ns();
	int ret;

	ru_get_params(&state.params);
	ru_get_kernel_info(&state.kernel);
	if (!params_valid(state.params, state.kernel))
		return -RU_EINVAL;
	state.flavor = flavor_by_name(state.params.flavor);
	if (state.flavor->init && (ret = state.flavor->init()) < 0)
		return ret;

	state.callbacks = new callback_set(*state.flavor);
	if (!state.callbacks)
		return fail_init(-RU_ENOMEM, "no-memory");
	if (state.params.readers) {
		state.readers = new reader_pool;
		if (!state.readers)
			return fail_init(-RU_ENOMEM, "no-memory");
		if ((ret = state.readers->start(*state.flavor, state.params.readers,
						state.params.reader_hold_us)) < 0)
			return fail_init(ret, "readers-failed");
	}

	// The limit an unload can approach: one expedited grace period (with the readers
	// already running), then the callbacks' own cost. Measured before the callbacks are
	// queued: an expedited grace period lasts 14-17 ms on PREEMPT_RT, time in which the
	// callbacks would have run before the unload began.
	ru_u64 exp_gp_ns = 0, cb_cost_ns = 0;
	const ru_u64 limit_start = ru_now_ns();
	if (state.params.measure_limit) {
		if (state.flavor->sync_expedited) {
			ru_u64 gp_start = ru_now_ns();
			state.flavor->sync_expedited();
			exp_gp_ns = ru_now_ns() - gp_start;
		}
		cb_cost_ns = callback_set::invoke_cost_ns(*state.flavor, limit_samples);
	}
	const ru_u64 limit_spent_ns = ru_now_ns() - limit_start;

	ret = static_cast<int>(state.callbacks->enqueue_spread(state.params.callbacks));
	if (ret < 0)
		return fail_init(ret, "enqueue-failed");
	const unsigned long enqueued_at_load = state.callbacks->enqueued();
	if (state.params.churn) {
		state.churn = new churn_producers;
		if (!state.churn)
			return fail_init(-RU_ENOMEM, "no-memory");
		if ((ret = state.churn->start(*state.callbacks, state.params.churn)) < 0)
			return fail_init(ret, "churn-failed");
	}

	ru_u64 init_ns = ru_now_ns() - start - limit_spent_ns;
	ru_log(RU_LOG_INFO, "init v=%d tag=%lu flavor=%s strategy=%s cpus=%u enqueued=%lu init_ns=%llu "
	       "exp_gp_ns=%llu cb_cost_ns=%llu",
	       record_version, state.params.tag, state.flavor->name,
	       strategy_at(ru_param_strategy()).name, state.kernel.online_cpus,
	       enqueued_at_load, init_ns, exp_gp_ns, cb_cost_ns);
	return 0;
}

extern "C" void ru_core_exit(void)
{
	ru_u64 start = ru_now_ns();
	const unload_strategy &asked = strategy_at(ru_param_strategy());
	ru_get_kernel_info(&state.kernel);
	const unload_strategy &picked = strategy_resolve(asked, state.kernel, *state.flavor);

	// Producers first, so the wait has a fixed set of callbacks to see through;
	// readers keep running, as other users' readers would.
	if (state.churn)
		state.churn->stop();
	ru_u64 wait_start = ru_now_ns();
	unload_outcome outcome = wait_for_callbacks(picked);
	ru_u64 wait_end = ru_now_ns();

	unsigned long enqueued = state.callbacks->enqueued();
	unsigned long invoked = state.callbacks->invoked();
	unsigned long corrupted = state.callbacks->corrupted();
	unsigned long peak_pending = state.callbacks->peak_pending();
	ru_u64 peak_bytes = state.callbacks->peak_bytes();
	if ((invoked != enqueued || corrupted) && !picked.unsafe)
		ru_log(RU_LOG_ERR, "error v=%d tag=%lu what=lost-callbacks enqueued=%lu invoked=%lu corrupted=%lu",
		       record_version, state.params.tag, enqueued, invoked, corrupted);
	release_state();
	if (state.flavor->cleanup && !picked.unsafe)
		state.flavor->cleanup();

	ru_log(RU_LOG_INFO,
	       "exit v=%d tag=%lu flavor=%s strategy=%s picked=%s rcu=%s preempt=%s cpus=%u "
	       "readers=%u churn=%u enqueued=%lu invoked=%lu rounds=%lu stop_ns=%llu gp_ns=%llu "
	       "wait_ns=%llu total_ns=%llu peak_pending=%lu peak_bytes=%llu",
	       record_version, state.params.tag, state.flavor->name, asked.name, picked.name,
	       rcu_type_names[state.kernel.rcu], preempt_names[state.kernel.preempt],
	       state.kernel.online_cpus, state.params.readers, state.params.churn, enqueued, invoked,
	       outcome.rounds, wait_start - start, outcome.gp_ns, wait_end - wait_start,
	       ru_now_ns() - start, peak_pending, peak_bytes);
}
