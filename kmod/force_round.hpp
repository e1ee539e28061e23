// SPDX-License-Identifier: GPL-2.0
// One expediting round, the force_steps ingredients in order; shared by the unload
// strategies (strategy_force_qs.cpp) and the resident expediter (expediter.cpp).
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
