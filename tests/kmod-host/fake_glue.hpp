// A user-space kernel for the module's C++ core: implements every function of kmod/glue.h
// (fake_glue.cpp) and lets a test set the kernel up, script the simulated RCU and read back
// what the core did. Single-threaded and deterministic: nothing runs unless the core or
// the test calls it, and time moves only when something sleeps, delays or spins (a
// cpu_relax() is 1 us).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "glue.h"

namespace fake {

// "This never happens": a threshold or period that is never reached.
constexpr unsigned never = 0;
constexpr ru_u64 never_ns = ~0ULL;

// The kernel the core runs on: what ru_get_kernel_info() reports, and whether Tasks RCU is
// built in. The flavor tables follow from it as glue.c builds them (setup_flavor_ops()).
struct kernel {
	ru_kernel_info info;
	bool has_tasks_rcu;

	// Presets, named after the kernels the QEMU tests boot.
	static kernel tiny();                      // UP, TINY_RCU, no preemption
	static kernel tree(unsigned cpus = 2);     // SMP, TREE_RCU, rcu_core() in RCU_SOFTIRQ
	static kernel preempt(unsigned cpus = 2);  // TREE_PREEMPT_RCU, preempt=full, softirq
	static kernel rt(unsigned cpus = 2);       // PREEMPT_RT: rcuc kthreads, RCU_BOOST
	kernel offloaded() const;                  // the same with rcu_nocbs=all
	kernel no_softirq() const;                 // the same with rcutree.use_softirq=0
	kernel without_tasks_rcu() const;
};

// One simulated RCU flavor. A grace period ends when any of its triggers fires; at its end
// every queued callback runs (in queue order) except those the flavor loses.
struct flavor_sim {
	// ---- script ----
	// A grace period ends at the Nth call of expedite (kick_each_cpu, invoke_ready_now,
	// ru_stop_machine_each_cpu) and at every call after it; `never` (0): not through it.
	unsigned gp_at_expedite = never;
	unsigned gp_at_kick = never;
	unsigned gp_at_invoke_ready = 1;
	unsigned gp_at_stop_machine = never;
	// A grace period also ends every `natural_gp_ns` of fake time (the tick's own progress).
	ru_u64 natural_gp_ns = never_ns;
	// The next `lose` callbacks queued are dropped: never invoked, not even by the barrier.
	unsigned lose = 0;
	// What the flavor's init op returns; how long sync_expedited takes in fake time.
	int init_result = 0;
	ru_u64 sync_expedited_ns = 0;

	// ---- what happened ----
	struct pending {
		ru_rcu_head *head;
		ru_rcu_callback_t fn;
		unsigned cpu;
	};
	std::vector<pending> queue; // queued, not yet invoked
	std::vector<pending> lost;
	std::vector<unsigned long> queued_on_cpu; // by CPU number
	unsigned long queued = 0, invoked = 0;
	unsigned long gp_completed = 0;
	unsigned inits = 0, cleanups = 0, barriers = 0, sync_expedited = 0, start_gps = 0,
		 gp_cookies = 0, expedites = 0, kicks = 0, invoke_ready = 0, read_locks = 0,
		 read_unlocks = 0;
	int read_depth = 0;
	// The kicks sent so far at each call of wait_kicks_taken.
	std::vector<unsigned> kicks_at_wait;

	// Ends a grace period now: every queued callback runs.
	void end_gp();
	// Runs what is queued (the barrier's effect); returns how many ran.
	unsigned long invoke_all();
};

// A thread ru_thread_start() created: recorded, run only when a test calls run_thread().
struct thread_record {
	int (*fn)(void *arg);
	void *arg;
	std::string name;
	int cpu;
	bool stopped = false;
	unsigned stops = 0;
	bool boosted = false;
};

// A copy of one record, strings included (the core's strings are its own memory).
#define FAKE_RECORD_TYPE_u64 ru_u64
#define FAKE_RECORD_TYPE_str std::string
#define FAKE_RECORD_FIELD(key, type, help) FAKE_RECORD_TYPE_##type key{};
struct init_record {
	RU_INIT_RECORD(FAKE_RECORD_FIELD)
	std::string line; // as glue.c prints it, without the "rcu_unload: " prefix
};
struct exit_record {
	RU_EXIT_RECORD(FAKE_RECORD_FIELD)
	std::string line;
};
#undef FAKE_RECORD_FIELD

struct log_line {
	ru_log_level level;
	std::string text; // formatted, without the "rcu_unload: " prefix
};

// Where the fake clock starts: an arbitrary time since boot, not 0.
constexpr ru_u64 boot_ns = 1000000000ULL;

struct world {
	kernel machine = kernel::tree();
	flavor_sim flavors[RU_FLAVOR_COUNT];

	ru_u64 now_ns = boot_ns;
	unsigned sleeps = 0, delays = 0, cond_rescheds = 0, stop_machines = 0;
	unsigned yields = 0, relaxes = 0;
	std::function<void()> on_sleep; // called after each ru_sleep_us()

	// ru_thread_start(): the `fail_thread_at`-th call (1-based; 0: none) returns thread_error.
	unsigned thread_starts = 0;
	unsigned fail_thread_at = 0;
	int thread_error = -RU_EINTR;
	std::vector<std::unique_ptr<thread_record>> threads;
	unsigned unboost_self = 0;
	// While a test runs a thread: ru_thread_should_stop() says true after this many calls.
	unsigned should_stop_after = 0;

	// ru_background_start() fails with this if nonzero.
	int background_error = 0;
	unsigned backgrounds = 0, backgrounds_finished = 0;

	// ru_expediter_wait_until_on() / ru_expediter_wake() calls.
	unsigned expediter_waits = 0, expediter_wakes = 0;

	// The CPU the caller runs on (ru_run_on_each_online_cpu, a running thread).
	unsigned current_cpu = 0;

	std::vector<log_line> logs;
	std::vector<init_record> init_records;
	std::vector<exit_record> exit_records;

	flavor_sim &flavor(ru_flavor_index index) { return flavors[index]; }
	// The log lines containing `needle`, and every line (for a failure message).
	std::vector<std::string> logs_with(const std::string &needle) const;
	std::string all_logs() const;
};

// The one fake kernel. reset() frees what a previous test left queued (without invoking it)
// and starts from `machine`.
world &the();
world &reset(const kernel &machine);

// Runs a recorded thread on its CPU in this context; ru_thread_should_stop() turns true
// after `loops` calls. Returns the thread function's result.
int run_thread(thread_record &thread, unsigned loops);

// The CPU numbers online on the fake machine: 0..online_cpus-1.
unsigned cpu_count();

} // namespace fake
