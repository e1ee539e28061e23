// Callback accounting: every callback enqueued is invoked once, whatever the strategy; a
// callback the kernel loses is reported as lost-callbacks; unsafe-none alone never reports.
#include "churn.hpp"
#include "module.hpp"

namespace {
const fake::kernel kernels[] = {fake::kernel::tiny(), fake::kernel::tree(3),
				fake::kernel::tree(3).offloaded(), fake::kernel::preempt(3),
				fake::kernel::rt(3), fake::kernel::rt(3).offloaded()};
} // namespace

TEST_CASE("every strategy that applies invokes every callback exactly once", "[accounting]")
{
	const fake::kernel &machine = GENERATE(from_range(std::begin(kernels), std::end(kernels)));
	const int flavor = GENERATE(range(0, static_cast<int>(RU_FLAVOR_COUNT)));
	CAPTURE(machine.info.rcu, machine.info.preempt, machine.info.callbacks_offloaded, flavor);

	host::boot(machine);
	ru_params params = host::params_for(RU_STRATEGY_auto, static_cast<ru_flavor_index>(flavor));
	std::string applies;
	{
		host::module module(params);
		REQUIRE(module.err() == 0);
		applies = module.init_record().applies;
	}
	unsigned strategies = 0;
	for (const std::string &name : host::split(applies, ',')) {
		CAPTURE(name);
		fake::world &world = host::boot(machine);
		params.strategy = host::strategy_index(name);
		params.callbacks = 1001;
		params.readers = 2;
		host::module module(params);
		REQUIRE(module.err() == 0);
		const fake::exit_record &exit = module.unload();
		const fake::flavor_sim &sim = world.flavor(static_cast<ru_flavor_index>(flavor));
		CHECK(exit.enqueued == 1001);
		CHECK(exit.invoked == 1001);
		CHECK(sim.queued == 1001);
		CHECK(sim.invoked == 1001);
		CHECK(sim.queue.empty());
		CHECK(exit.peak_pending == 1001);
		INFO(world.all_logs());
		CHECK(world.logs.empty());
		strategies++;
	}
	CHECK(strategies >= 2);
}

TEST_CASE("callbacks are spread over the online CPUs, each queued on its own", "[accounting]")
{
	fake::world &world = host::boot(fake::kernel::tree(3));
	ru_params params = host::params_for(RU_STRATEGY_barrier);
	params.callbacks = 1000;
	host::module module(params);
	REQUIRE(module.err() == 0);
	CHECK(world.flavor(RU_FLAVOR_vanilla).queued_on_cpu == std::vector<unsigned long>{334, 333, 333});
	CHECK(module.init_record().enqueued == 1000);
}

TEST_CASE("a callback the kernel loses is reported as lost-callbacks", "[accounting][lost]")
{
	const ru_strategy_index strategy =
		GENERATE(RU_STRATEGY_barrier, RU_STRATEGY_force_qs, RU_STRATEGY_force_qs_own, RU_STRATEGY_kick,
			 RU_STRATEGY_boost, RU_STRATEGY_sync_exp, RU_STRATEGY_auto);
	CAPTURE(strategy);
	fake::world &world = host::boot(fake::kernel::tree(2));
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	rcu.lose = 1;
	rcu.natural_gp_ns = 1000000; // force-qs's barrier must still end
	ru_params params = host::params_for(strategy);
	params.tag = 42;
	host::module module(params);
	REQUIRE(module.err() == 0);
	const fake::exit_record &exit = module.unload();

	CHECK(exit.enqueued == 1000);
	CHECK(exit.invoked == 999);
	CHECK(rcu.lost.size() == 1);
	INFO(world.all_logs());
	const auto lost = world.logs_with("what=lost-callbacks");
	REQUIRE(lost.size() == 1);
	CHECK(lost[0] == "error v=1 tag=42 what=lost-callbacks enqueued=1000 invoked=999 corrupted=0");
	CHECK(world.logs.back().level == RU_LOG_ERR);
	// Counting waits cannot end: they time out first, and the barrier cannot find it either.
	// (boost counts too where force-qs-own applies, and auto picks kick on this kernel.)
	const bool counts = strategy == RU_STRATEGY_force_qs_own || strategy == RU_STRATEGY_kick ||
			    strategy == RU_STRATEGY_boost || strategy == RU_STRATEGY_auto;
	CHECK(world.logs_with("what=strategy-failed").size() == (counts ? 1u : 0u));
	if (counts)
		CHECK(exit.wait_ns > 10000000000ULL);
	else
		CHECK(exit.wait_ns < 10000000000ULL);
}

TEST_CASE("unsafe-none leaves the callbacks pending and reports nothing", "[accounting][unsafe]")
{
	const int flavor = GENERATE(range(0, static_cast<int>(RU_FLAVOR_COUNT)));
	CAPTURE(flavor);
	fake::world &world = host::boot(fake::kernel::tree());
	ru_params params = host::params_for(RU_STRATEGY_unsafe_none, static_cast<ru_flavor_index>(flavor));
	params.allow_unsafe = true;
	host::module module(params);
	REQUIRE(module.err() == 0);
	const fake::exit_record &exit = module.unload();
	const fake::flavor_sim &sim = world.flavor(static_cast<ru_flavor_index>(flavor));
	CHECK(exit.picked == "unsafe-none");
	CHECK(exit.enqueued == 1000);
	CHECK(exit.invoked == 0);
	CHECK(sim.queue.size() == 1000);
	CHECK(sim.barriers == 0);
	CHECK(exit.wait_ns == 0);
	INFO(world.all_logs());
	CHECK(world.logs.empty());
	// Its callbacks may still be queued on the srcu_struct: no cleanup_srcu_struct().
	CHECK(sim.cleanups == 0);
}

TEST_CASE("churn's callbacks are counted with the load's", "[accounting][churn]")
{
	fake::world &world = host::boot(fake::kernel::tree(2));
	ru_params params = host::params_for(RU_STRATEGY_kick);
	params.callbacks = 10;
	params.churn = 7;
	host::module module(params);
	REQUIRE(module.err() == 0);
	REQUIRE(world.threads.size() == 2);
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		CHECK(world.threads[cpu]->name == "rcu_unload_churn");
		CHECK(world.threads[cpu]->cpu == static_cast<int>(cpu));
	}
	CHECK(module.init_record().enqueued == 10); // at load, without churn

	// CPU 1's producer runs three of its 1 ms periods, then sees its stop flag.
	fake::thread_record &producer = *world.threads[1];
	unsigned periods = 0;
	world.on_sleep = [&] {
		if (++periods == 3)
			static_cast<churn_producers *>(producer.arg)->stopping = true;
	};
	CHECK(fake::run_thread(producer, 0) == 0);
	world.on_sleep = nullptr;
	CHECK(world.flavor(RU_FLAVOR_vanilla).queued_on_cpu == std::vector<unsigned long>{5, 5 + 3 * 7});

	const fake::exit_record &exit = module.unload();
	CHECK(world.threads[0]->stops == 1);
	CHECK(world.threads[1]->stops == 1);
	CHECK(exit.churn == 7);
	CHECK(exit.enqueued == 10 + 3 * 7);
	CHECK(exit.invoked == exit.enqueued);
	CHECK(exit.peak_pending == 10 + 3 * 7);
	CHECK(world.logs.empty());
}

TEST_CASE("fail_after: the load fails like an allocation, after its callbacks ran", "[accounting][fault]")
{
	const unsigned fail_after = GENERATE(1u, 333u, 999u);
	const int flavor = GENERATE(range(0, static_cast<int>(RU_FLAVOR_COUNT)));
	CAPTURE(fail_after, flavor);
	fake::world &world = host::boot(fake::kernel::tree(3));
	ru_params params = host::params_for(RU_STRATEGY_auto, static_cast<ru_flavor_index>(flavor));
	params.callbacks = 1000;
	params.fail_after = fail_after;
	params.tag = 7;
	host::module module(params);
	const fake::flavor_sim &sim = world.flavor(static_cast<ru_flavor_index>(flavor));

	CHECK(module.err() == -RU_ENOMEM);
	CHECK(sim.queued == fail_after);
	CHECK(sim.invoked == fail_after); // the barrier ran them before the load returned
	CHECK(sim.queue.empty());
	CHECK(world.init_records.empty());
	INFO(world.all_logs());
	const auto failed = world.logs_with("what=injected-fault");
	REQUIRE(failed.size() == 1);
	CHECK(failed[0] == "error v=1 tag=7 what=injected-fault err=-12 enqueued=" + std::to_string(fail_after) +
				   " invoked=" + std::to_string(fail_after));
}

TEST_CASE("fail_after at or above callbacks injects nothing", "[accounting][fault]")
{
	fake::world &world = host::boot(fake::kernel::tree(2));
	ru_params params = host::params_for(RU_STRATEGY_barrier);
	params.callbacks = 100;
	params.fail_after = 100;
	params.churn = 1;
	host::module module(params);
	REQUIRE(module.err() == 0);
	const fake::exit_record &exit = module.unload();
	CHECK(exit.enqueued == exit.invoked);
	CHECK(world.logs_with("what=injected-fault").empty());
}
