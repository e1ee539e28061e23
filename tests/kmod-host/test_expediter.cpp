// The resident expediter (kmod/expediter.cpp): idle until switched on, then force rounds (FQS and
// the kick where it applies) every interval_us, counted in its stats; it switches itself off after
// max_on_ms, and stops with its thread.
#include "module.hpp"

namespace {
constexpr ru_u64 us = 1000;

ru_expediter_stats stats()
{
	ru_expediter_stats s{};
	ru_expediter_get_stats(&s);
	return s;
}

fake::thread_record &expediter_thread(fake::world &world)
{
	REQUIRE(world.threads.size() == 1);
	CHECK(world.threads[0]->name == "rcu_unload_exp");
	return *world.threads[0];
}
} // namespace

TEST_CASE("the expediter waits until switched on, then runs FQS and the kick each round", "[expediter]")
{
	fake::world &world = host::boot(fake::kernel::tree(4));
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	REQUIRE(ru_expediter_init() == 0);
	fake::thread_record &thread = expediter_thread(world);

	fake::run_thread(thread, 3);
	CHECK(world.expediter_waits == 3);
	CHECK(rcu.expedites == 0);
	CHECK(stats().rounds == 0);

	ru_expediter_switch_on(50, 1000);
	CHECK(ru_expediter_is_on());
	CHECK(world.expediter_wakes == 1);
	fake::run_thread(thread, 10);
	const ru_expediter_stats s = stats();
	CHECK(s.switched_on == 1);
	CHECK(s.rounds == 10);
	CHECK(s.kicks == 10);
	CHECK(s.ipis == 30); // the other 3 CPUs each round
	CHECK(rcu.expedites == 10);
	CHECK(rcu.kicks == 10);
	CHECK(world.yields == 10); // a kicked round's pause spins rather than sleeps
	CHECK(world.sleeps == 0);

	ru_expediter_switch_off();
	CHECK_FALSE(ru_expediter_is_on());
	CHECK(stats().on_ns == 10 * 50 * us);
	CHECK(stats().timed_out == 0);
	CHECK(rcu.kicks_at_wait.empty());
	ru_expediter_exit();
	CHECK(thread.stopped);
	// Its IPI function is module text: the CPUs have taken every kick before the module goes.
	CHECK(rcu.kicks_at_wait == std::vector<unsigned>{10});
	CHECK(world.logs.empty());
}

TEST_CASE("the expediter switches itself off after max_on_ms when nobody does", "[expediter]")
{
	fake::world &world = host::boot(fake::kernel::tree());
	REQUIRE(ru_expediter_init() == 0);
	fake::thread_record &thread = expediter_thread(world);

	ru_expediter_switch_on(100, 1); // 1 ms: ten rounds of 100 us
	fake::run_thread(thread, 50);
	CHECK_FALSE(ru_expediter_is_on());
	const ru_expediter_stats s = stats();
	CHECK(s.timed_out == 1);
	CHECK(s.rounds == 10);
	CHECK(s.on_ns == 1000 * us);
	CHECK(world.logs_with("switched off after max_on_ms").size() == 1);

	// Switching it on again while on only moves the deadline.
	ru_expediter_switch_on(100, 1);
	ru_expediter_switch_on(100, 1);
	CHECK(stats().switched_on == 2);
	ru_expediter_exit();
}

TEST_CASE("where the kick is refused the expediter says so and forces quiescent states only", "[expediter]")
{
	fake::world &world = host::boot(fake::kernel::rt());
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	REQUIRE(ru_expediter_init() == 0);
	CHECK(world.logs_with("the kick is refused here").size() == 1);
	ru_expediter_switch_on(50, 1000);
	fake::run_thread(expediter_thread(world), 5);
	CHECK(stats().rounds == 5);
	CHECK(stats().kicks == 0);
	CHECK(stats().ipis == 0);
	CHECK(rcu.expedites == 5);
	CHECK(rcu.kicks == 0);
	ru_expediter_exit();
}

TEST_CASE("the expediter refuses TINY_RCU, which has no grace-period kthread to force", "[expediter]")
{
	fake::world &world = host::boot(fake::kernel::tiny());
	CHECK(ru_expediter_init() == -RU_EINVAL);
	CHECK(world.threads.empty());
	CHECK(world.logs_with("invalid kernel: TINY_RCU").size() == 1);
}
