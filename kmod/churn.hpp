// SPDX-License-Identifier: GPL-2.0
// Per-CPU producers that keep enqueueing callbacks while the module is loaded, as a
// networking or filesystem module would; exit stops them before it waits.
#pragma once
#include "callback_set.hpp"

struct churn_producers {
	static constexpr unsigned int max_cpus = 64;

	// Starts one producer per online CPU enqueueing `per_ms` callbacks each millisecond.
	int start(callback_set &callbacks, unsigned int per_ms);
	void stop();

	callback_set *target = nullptr;
	unsigned int per_ms = 0;
	unsigned int count = 0;
	bool stopping = false; // lets every producer leave its sleep at once, not one by one
	ru_thread *threads[max_cpus] = {};
};
