// Threads: a failed start propagates the kernel's errno (not a made-up -ENOMEM) and undoes the
// load; readers run their critical sections and are boosted only by the strategies that boost.
#include "module.hpp"

TEST_CASE("a reader thread that fails to start fails the load with its errno", "[threads]")
{
	const int err = GENERATE(-RU_EINTR, -11 /* EAGAIN */, -RU_ENOMEM);
	const int flavor = GENERATE(range(0, static_cast<int>(RU_FLAVOR_COUNT)));
	CAPTURE(err, flavor);
	fake::world &world = host::boot(fake::kernel::tree());
	world.fail_thread_at = 3;
	world.thread_error = err;
	ru_params params = host::params_for(RU_STRATEGY_auto, static_cast<ru_flavor_index>(flavor));
	params.readers = 4;
	params.tag = 7;

	CHECK(ru_core_init(&params) == err);
	INFO(world.all_logs());
	REQUIRE(world.logs.size() == 1);
	CHECK(world.logs[0].level == RU_LOG_ERR);
	CHECK(world.logs[0].text == "error v=1 tag=7 what=readers-failed err=" + std::to_string(err));
	CHECK(world.init_records.empty());
	// The two that started are stopped, once each; no callback was queued.
	REQUIRE(world.threads.size() == 2);
	for (const auto &thread : world.threads) {
		CHECK(thread->name == "rcu_unload_rd");
		CHECK(thread->cpu == -1);
		CHECK(thread->stops == 1);
	}
	const fake::flavor_sim &sim = world.flavor(static_cast<ru_flavor_index>(flavor));
	CHECK(sim.queued == 0);
	CHECK(sim.inits == sim.cleanups);
}

TEST_CASE("a churn thread that fails to start fails the load after the barrier", "[threads][churn]")
{
	fake::world &world = host::boot(fake::kernel::tree(3));
	world.fail_thread_at = 2;
	world.thread_error = -RU_EINTR;
	ru_params params = host::params_for(RU_STRATEGY_kick, RU_FLAVOR_srcu);
	params.strategy = RU_STRATEGY_barrier;
	params.churn = 1;
	params.tag = 9;

	CHECK(ru_core_init(&params) == -RU_EINTR);
	INFO(world.all_logs());
	REQUIRE(world.logs.size() == 1);
	CHECK(world.logs[0].text == "error v=1 tag=9 what=churn-failed err=-4 enqueued=1000 invoked=1000");
	REQUIRE(world.threads.size() == 1);
	CHECK(world.threads[0]->cpu == 0);
	CHECK(world.threads[0]->stops >= 1);
	// The callbacks queued before the failure ran before init returned; the srcu_struct is
	// cleaned up after that barrier.
	const fake::flavor_sim &srcu = world.flavor(RU_FLAVOR_srcu);
	CHECK(srcu.queued == 1000);
	CHECK(srcu.invoked == 1000);
	CHECK(srcu.barriers == 1);
	CHECK(srcu.inits == 1);
	CHECK(srcu.cleanups == 1);
	CHECK(world.init_records.empty());
}

TEST_CASE("the flavor's init failing fails the load with its errno", "[threads]")
{
	fake::world &world = host::boot(fake::kernel::tree());
	world.flavor(RU_FLAVOR_srcu).init_result = -RU_ENOMEM;
	ru_params params = host::params_for(RU_STRATEGY_auto, RU_FLAVOR_srcu);
	params.readers = 1;
	CHECK(ru_core_init(&params) == -RU_ENOMEM);
	CHECK(world.threads.empty());
	CHECK(world.flavor(RU_FLAVOR_srcu).queued == 0);
	CHECK(world.init_records.empty());
}

TEST_CASE("readers run read-side critical sections of reader_hold_us", "[threads][readers]")
{
	const int flavor = GENERATE(range(0, static_cast<int>(RU_FLAVOR_COUNT)));
	CAPTURE(flavor);
	fake::world &world = host::boot(fake::kernel::preempt());
	ru_params params = host::params_for(RU_STRATEGY_barrier, static_cast<ru_flavor_index>(flavor));
	params.readers = 2;
	params.reader_hold_us = 30;
	host::module module(params);
	REQUIRE(module.err() == 0);
	REQUIRE(world.threads.size() == 2);

	const ru_u64 before = world.now_ns;
	CHECK(fake::run_thread(*world.threads[0], 5) == 0);
	const fake::flavor_sim &sim = world.flavor(static_cast<ru_flavor_index>(flavor));
	CHECK(sim.read_locks == 5);
	CHECK(sim.read_unlocks == 5);
	CHECK(sim.read_depth == 0);
	CHECK(world.now_ns - before == 5 * 30 * 1000);
	CHECK(world.unboost_self == 5); // each section ends back at normal priority
	CHECK(world.cond_rescheds == 5);

	module.unload();
	CHECK(world.threads[0]->stops == 1);
	CHECK(world.threads[1]->stops == 1);
}

TEST_CASE("boost and kick raise the readers and no other strategy does", "[threads][readers]")
{
	const int index = GENERATE(range(0, static_cast<int>(RU_STRATEGY_COUNT)));
	const ru_strategy_index strategy = static_cast<ru_strategy_index>(index);
	CAPTURE(host::strategy_name(index));
	fake::world &world = host::boot(fake::kernel::preempt());
	ru_params params = host::params_for(strategy);
	params.readers = 3;
	params.allow_unsafe = true;
	host::module module(params);
	if (strategy == RU_STRATEGY_direct) {
		CHECK(module.err() == -RU_EINVAL);
		return;
	}
	REQUIRE(module.err() == 0);
	const std::string picked = module.unload().picked;
	const bool boosts = picked == "boost" || picked == "kick";
	for (const auto &thread : world.threads) {
		CHECK(thread->boosted == boosts);
		CHECK(thread->stops == 1);
	}
	CHECK(world.threads.size() == 3);
}
