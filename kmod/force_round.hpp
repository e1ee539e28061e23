// SPDX-License-Identifier: GPL-2.0
// One expediting round, the force_steps ingredients in order, and the pause after it;
// shared by the unload strategies (strategy_force_qs.cpp) and the resident expediter
// (expediter.cpp).
#pragma once
#include "flavor.hpp"

struct force_round_done {
	bool kicked;
	unsigned int ipis; // sent by the kick
};

inline force_round_done force_round(const rcu_flavor &flavor, unsigned int steps)
{
	if (steps & RU_FORCE_STOP_MACHINE)
		ru_stop_machine_each_cpu();
	if ((steps & RU_FORCE_FQS) && flavor.expedite)
		flavor.expedite();
	// After the scan request: each CPU's rcu_core() then notes the grace period,
	// reports its quiescent state and invokes what is ready, without its tick.
	if ((steps & RU_FORCE_KICK) && flavor.kick_each_cpu)
		return {true, flavor.kick_each_cpu()};
	return {false, 0};
}

// The pause after a round, until the next one or until done() says the wait is over.
// A kicked round needs no tick, so nothing is gained by idling until the next one, and
// a timer's wake-up made each round last far longer than a short interval
// (docs/bench/2026-11-29-kick-pacing.md). A context switch is this CPU's quiescent
// state, which the next round's rcu_core() reports, and hands the CPU to the
// grace-period kthread or ksoftirqd if they wait for it; then spin out the interval.
// Sleep instead without the kick (short against a jiffy, long enough for the
// grace-period kthread to act on one scan request before the next), and for an
// interval long enough that a late wake-up matters less than the CPU a spin would burn.
constexpr unsigned int longest_spin_us = 1000;

template <typename Done>
void pause_after_round(bool kicked, unsigned int interval_us, Done done)
{
	if (!kicked || interval_us > longest_spin_us) {
		ru_sleep_us(interval_us, interval_us + interval_us / 2);
		return;
	}
	ru_yield();
	const ru_u64 next_round = ru_now_ns() + interval_us * 1000ULL;
	while (!done() && ru_now_ns() < next_round)
		ru_cpu_relax();
}
