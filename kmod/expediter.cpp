// SPDX-License-Identifier: GPL-2.0
// US9262234's method applied to another module's unload: while switched on (by the
// harness, around one delete_module), a kthread runs the force rounds of the unload
// strategies (an immediate quiescent-state scan, and every CPU's RCU core kicked where
// that is safe), so the target's rcu_barrier() and the kernel's grace periods after
// its exit function end without waiting for ticks. It switches itself off after
// max_on_ms (a harness that died) and on its own removal.
#include "force_round.hpp"

namespace {
constexpr ru_u64 ns_per_ms = 1000 * 1000;

struct expediter_state {
	const rcu_flavor *flavor;
	unsigned int steps;
	ru_thread *thread;
	bool on;
	unsigned int interval_us;
	ru_u64 on_since_ns;
	ru_u64 deadline_ns;
	ru_expediter_stats stats;
};
expediter_state state; // constant-initialized: no global constructor runs

template <typename T> T load(const T &value)
{
	return __atomic_load_n(&value, __ATOMIC_ACQUIRE);
}

template <typename T> void store(T &target, T value)
{
	__atomic_store_n(&target, value, __ATOMIC_RELEASE);
}

void add(ru_u64 &counter, ru_u64 amount)
{
	__atomic_fetch_add(&counter, amount, __ATOMIC_RELAXED);
}

// Only the kthread and switch_off() end a period; the flag decides which one counts it.
void end_period(bool timed_out)
{
	if (!__atomic_exchange_n(&state.on, false, __ATOMIC_ACQ_REL))
		return;
	add(state.stats.on_ns, ru_now_ns() - load(state.on_since_ns));
	if (timed_out) {
		add(state.stats.timed_out, 1);
		ru_log(RU_LOG_WARN, "switched off after max_on_ms: nobody switched it off");
	}
}

int expedite_loop(void *)
{
	while (!ru_thread_should_stop()) {
		if (!load(state.on)) {
			ru_expediter_wait_until_on();
			continue;
		}
		const ru_u64 start = ru_now_ns();
		if (start >= load(state.deadline_ns)) {
			end_period(true);
			continue;
		}
		const force_round_done done = force_round(*state.flavor, state.steps);
		if (done.kicked) {
			add(state.stats.kicks, 1);
			add(state.stats.ipis, done.ipis);
		}
		add(state.stats.rounds, 1);
		add(state.stats.busy_ns, ru_now_ns() - start);
		pause_after_round(done.kicked, load(state.interval_us),
				  [] { return !load(state.on); });
	}
	end_period(false);
	return 0;
}
} // namespace

extern "C" int ru_expediter_init(void)
{
	state = expediter_state{};
	state.flavor = ru_flavor_get(RU_FLAVOR_vanilla);
	if (!state.flavor->expedite) {
		ru_log(RU_LOG_ERR, "invalid kernel: TINY_RCU has no grace-period kthread to force");
		return -RU_EINVAL;
	}
	state.steps = RU_FORCE_FQS | RU_FORCE_KICK;
	if (!state.flavor->kick_each_cpu)
		ru_log(RU_LOG_WARN, "the kick is refused here (rcu_core() runs in rcuc kthreads, not "
				    "RCU_SOFTIRQ): forcing quiescent states only");
	return ru_thread_start(expedite_loop, nullptr, "rcu_unload_exp", -1, &state.thread);
}

extern "C" void ru_expediter_exit(void)
{
	ru_thread_stop(state.thread);
	if (state.flavor->kick_each_cpu)
		state.flavor->wait_kicks_taken();
}

extern "C" void ru_expediter_switch_on(unsigned int interval_us, unsigned int max_on_ms)
{
	const ru_u64 now = ru_now_ns();

	store(state.interval_us, interval_us);
	store(state.deadline_ns, now + max_on_ms * ns_per_ms);
	if (__atomic_exchange_n(&state.on, true, __ATOMIC_ACQ_REL))
		return; // already on: the deadline moved
	store(state.on_since_ns, now);
	add(state.stats.switched_on, 1);
	ru_expediter_wake();
}

extern "C" void ru_expediter_switch_off(void)
{
	end_period(false);
}

extern "C" bool ru_expediter_is_on(void)
{
	return load(state.on);
}

extern "C" void ru_expediter_get_stats(ru_expediter_stats *stats)
{
#define RU_COPY_STAT(key, type, help) stats->key = load(state.stats.key);
	RU_EXPEDITER_STATS(RU_COPY_STAT)
#undef RU_COPY_STAT
}
