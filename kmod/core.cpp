// SPDX-License-Identifier: GPL-2.0
// Module init and exit: enqueue the callbacks, and on exit stop the producers, run
// the chosen strategy, prove that no callback was lost, and print one structured
// record (the contract's RU_INIT_RECORD / RU_EXIT_RECORD).
#include "callback_set.hpp"
#include "churn.hpp"
#include "readers.hpp"
#include "strategy.hpp"

namespace {
constexpr unsigned int limit_samples = 1000;

const char *const rcu_type_names[] = {"tiny", "tree", "tree-preempt"};
const char *const preempt_names[] = {"none", "voluntary", "full", "rt"};
#define RU_FLAVOR_NAME(ident, name, help) name,
const char *const flavor_names[] = {RU_FLAVOR_LIST(RU_FLAVOR_NAME)};
#undef RU_FLAVOR_NAME
#define RU_ERROR_NAME(ident, name) name,
const char *const error_names[] = {RU_ERROR_LIST(RU_ERROR_NAME)};
#undef RU_ERROR_NAME
#define RU_ERROR_INDEX(ident, name) error_##ident,
enum error_index { RU_ERROR_LIST(RU_ERROR_INDEX) };
#undef RU_ERROR_INDEX

struct module_state {
	const rcu_flavor *flavor;
	callback_set *callbacks;
	reader_pool *readers;
	churn_producers *churn;
	ru_params params;
	ru_kernel_info kernel;
	// The strategies a load with these parameters accepts, comma-separated.
	char applies[16 * RU_STRATEGY_COUNT];
};
module_state state; // constant-initialized: no global constructor runs

bool in_range(ru_u64 value, ru_u64 min, ru_u64 max)
{
	return value >= min && value <= max;
}

bool refuse(const char *param, unsigned long value, const char *why)
{
	ru_log(RU_LOG_ERR, "invalid %s=%lu: %s", param, value, why);
	return false;
}

// Whether a load with these parameters may run the strategy; logs why not.
bool strategy_allowed(ru_strategy_index index, const rcu_flavor &flavor, const ru_kernel_info &kernel,
		      const ru_params &params, bool log)
{
	const char *name = strategy_name(index);

	if (!strategy_applies(index, flavor, kernel)) {
		if (log)
			ru_log(RU_LOG_ERR, "invalid strategy=%s: does not apply to flavor=%s on %s RCU%s%s",
			       name, flavor.name, rcu_type_names[kernel.rcu],
			       kernel.callbacks_offloaded ? " with offloaded callbacks" : "",
			       kernel.rcu_core_in_softirq ? "" : " without RCU_SOFTIRQ (rcuc kthreads)");
		return false;
	}
	if (strategy_at(index).unsafe && !params.allow_unsafe) {
		if (log)
			ru_log(RU_LOG_ERR, "invalid strategy=%s: unloads with callbacks pending, needs allow_unsafe=1",
			       name);
		return false;
	}
	return true;
}

#define RU_CHECK_RANGE(name, type, def, min, max, desc)                                          \
	if (!in_range(params.name, min, max))                                                    \
		return refuse(#name, params.name, "must be " #min ".." #max);

bool params_valid(const ru_params &params, const ru_kernel_info &kernel)
{
	RU_PARAM_LIST(RU_CHECK_RANGE)
	if (kernel.online_cpus > churn_producers::max_cpus && params.churn)
		return refuse("churn", params.churn, "needs at most 64 online CPUs");
	const rcu_flavor *flavor = ru_flavor_get(params.flavor);
	if (!flavor) {
		ru_log(RU_LOG_ERR, "invalid flavor=%s: this kernel does not have it",
		       flavor_names[params.flavor]);
		return false;
	}
	if ((params.force_steps & RU_FORCE_KICK) && !flavor->kick_each_cpu)
		return refuse("force_steps", params.force_steps,
			      "the kick (8) needs flavor=rcu and rcu_core() in RCU_SOFTIRQ, "
			      "which this kernel runs in rcuc kthreads");
	return strategy_allowed(params.strategy, *flavor, kernel, params, true);
}

void list_applicable(const rcu_flavor &flavor, const ru_kernel_info &kernel, const ru_params &params)
{
	unsigned long used = 0;

	for (int i = 0; i < RU_STRATEGY_COUNT; i++) {
		const auto index = static_cast<ru_strategy_index>(i);
		if (!strategy_allowed(index, flavor, kernel, params, false))
			continue;
		for (const char *c = used ? "," : ""; *c; c++)
			state.applies[used++] = *c;
		for (const char *c = strategy_name(index); *c; c++)
			state.applies[used++] = *c;
	}
	state.applies[used] = '\0';
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

void log_error(error_index what, int err)
{
	ru_log(RU_LOG_ERR, "error v=%d tag=%lu what=%s err=%d", RU_RECORD_VERSION, state.params.tag,
	       error_names[what], err);
}

int fail_init(int err, error_index what)
{
	if (state.churn)
		state.churn->stop();
	// Callbacks already queued run module code: they must finish before we fail.
	state.flavor->barrier();
	if (state.callbacks && state.callbacks->enqueued())
		ru_log(RU_LOG_ERR, "error v=%d tag=%lu what=%s err=%d enqueued=%lu invoked=%lu",
		       RU_RECORD_VERSION, state.params.tag, error_names[what], err,
		       state.callbacks->enqueued(), state.callbacks->invoked());
	else
		log_error(what, err);
	release_state();
	if (state.flavor->cleanup)
		state.flavor->cleanup();
	return err;
}

// The strategy itself, or the flavor's barrier if it fails or is refused: never
// return with callbacks pending unless unsafe-none was explicitly allowed.
unload_outcome wait_for_callbacks(ru_strategy_index picked)
{
	unload_context ctx{*state.flavor, state.kernel, state.params, state.readers, *state.callbacks};
	unload_outcome outcome;

	if (!strategy_allowed(picked, *state.flavor, state.kernel, state.params, true))
		outcome = {-RU_EINVAL, 0, 0, 0};
	else
		outcome = strategy_at(picked).wait(ctx);
	if (outcome.err) {
		ru_log(RU_LOG_WARN, "error v=%d tag=%lu what=%s strategy=%s err=%d", RU_RECORD_VERSION,
		       state.params.tag, error_names[error_strategy_failed], strategy_name(picked),
		       outcome.err);
		state.flavor->barrier();
	}
	return outcome;
}
} // namespace

extern "C" int ru_core_init(const ru_params *params)
{
	ru_u64 start = ru_now_ns();
	int ret;

	state.params = *params;
	ru_get_kernel_info(&state.kernel);
	if (!params_valid(state.params, state.kernel))
		return -RU_EINVAL;
	state.flavor = ru_flavor_get(state.params.flavor);
	list_applicable(*state.flavor, state.kernel, state.params);
	if (state.flavor->init && (ret = state.flavor->init()) < 0)
		return ret;

	state.callbacks = new callback_set(*state.flavor);
	if (!state.callbacks)
		return fail_init(-RU_ENOMEM, error_no_memory);
	if (state.params.readers) {
		state.readers = new reader_pool;
		if (!state.readers)
			return fail_init(-RU_ENOMEM, error_no_memory);
		if ((ret = state.readers->start(*state.flavor, state.params.readers,
						state.params.reader_hold_us)) < 0)
			return fail_init(ret, error_readers_failed);
	}

	// The limit an unload can approach: one expedited grace period (with the readers
	// already running), then the callbacks' own cost. Measured before the callbacks are
	// queued: on PREEMPT_RT an expedited grace period is long enough for the callbacks
	// to run before the unload began.
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

	state.callbacks->arm_fault(state.params.fail_after);
	ret = static_cast<int>(state.callbacks->enqueue_spread(state.params.callbacks));
	state.callbacks->arm_fault(0);
	if (ret < 0)
		return fail_init(ret, state.callbacks->fault_injected() ? error_injected_fault
									 : error_enqueue_failed);
	const unsigned long enqueued_at_load = state.callbacks->enqueued();
	if (state.params.churn) {
		state.churn = new churn_producers;
		if (!state.churn)
			return fail_init(-RU_ENOMEM, error_no_memory);
		if ((ret = state.churn->start(*state.callbacks, state.params.churn)) < 0)
			return fail_init(ret, error_churn_failed);
	}

	ru_init_record record;
	record.tag = state.params.tag;
	record.flavor = state.flavor->name;
	record.strategy = strategy_name(state.params.strategy);
	record.cpus = state.kernel.online_cpus;
	record.enqueued = enqueued_at_load;
	record.init_ns = ru_now_ns() - start - limit_spent_ns;
	record.exp_gp_ns = exp_gp_ns;
	record.cb_cost_ns = cb_cost_ns;
	record.applies = state.applies;
	record.kick = state.flavor->kick_each_cpu != nullptr;
	ru_emit_init_record(&record);
	return 0;
}

extern "C" int ru_core_check_strategy(ru_strategy_index strategy)
{
	return strategy_allowed(strategy, *state.flavor, state.kernel, state.params, true) ? 0
											   : -RU_EINVAL;
}

extern "C" void ru_core_exit(ru_strategy_index asked)
{
	ru_u64 start = ru_now_ns();
	ru_get_kernel_info(&state.kernel);
	const ru_strategy_index picked = strategy_resolve(asked, *state.flavor, state.kernel);

	// Producers first, so the wait has a fixed set of callbacks to see through;
	// readers keep running, as other users' readers would.
	if (state.churn)
		state.churn->stop();
	ru_u64 wait_start = ru_now_ns();
	unload_outcome outcome = wait_for_callbacks(picked);
	ru_u64 wait_end = ru_now_ns();

	const bool unsafe = strategy_at(picked).unsafe;
	ru_exit_record record;
	record.tag = state.params.tag;
	record.flavor = state.flavor->name;
	record.strategy = strategy_name(asked);
	record.picked = strategy_name(picked);
	record.rcu = rcu_type_names[state.kernel.rcu];
	record.preempt = preempt_names[state.kernel.preempt];
	record.cpus = state.kernel.online_cpus;
	record.readers = state.params.readers;
	record.churn = state.params.churn;
	record.enqueued = state.callbacks->enqueued();
	record.invoked = state.callbacks->invoked();
	record.rounds = outcome.rounds;
	record.kicks = outcome.kicks;
	record.stop_ns = wait_start - start;
	record.gp_ns = outcome.gp_ns;
	record.wait_ns = wait_end - wait_start;
	record.peak_pending = state.callbacks->peak_pending();
	record.peak_bytes = state.callbacks->peak_bytes();
	const unsigned long corrupted = state.callbacks->corrupted();
	if ((record.invoked != record.enqueued || corrupted) && !unsafe)
		ru_log(RU_LOG_ERR, "error v=%d tag=%lu what=%s enqueued=%llu invoked=%llu corrupted=%lu",
		       RU_RECORD_VERSION, state.params.tag, error_names[error_lost_callbacks],
		       record.enqueued, record.invoked, corrupted);
	release_state();
	// unsafe-none's callbacks may still be queued on the srcu_struct: leave it be.
	if (state.flavor->cleanup && !unsafe)
		state.flavor->cleanup();
	record.total_ns = ru_now_ns() - start;
	ru_emit_exit_record(&record);
}
