// The force rounds (force_quiescent_states): they stop as soon as the callbacks have run (or the
// barrier in its worker has returned), time out after 10 s of fake time with the barrier as the
// fallback, count kicks only where they kick, pause after a kicked round by a spin rather than a
// sleep, and run the steps force_steps asks for.
#include "force_round.hpp"
#include "module.hpp"

namespace {
constexpr ru_u64 us = 1000;
constexpr ru_u64 seconds = 1000 * 1000 * us;
} // namespace

TEST_CASE("force-qs-own stops in the round whose push ran the callbacks", "[force]")
{
	const unsigned gp_round = GENERATE(1u, 3u, 17u);
	CAPTURE(gp_round);
	fake::world &world = host::boot(fake::kernel::tree());
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	rcu.gp_at_expedite = gp_round;
	host::module module(host::params_for(RU_STRATEGY_force_qs_own));
	REQUIRE(module.err() == 0);
	const fake::exit_record &exit = module.unload();

	CHECK(exit.rounds == gp_round);
	CHECK(rcu.expedites == gp_round); // not one push after the last callback ran
	CHECK(rcu.start_gps == 1);        // force_steps' default has START_GP, once
	CHECK(rcu.barriers == 0);         // counting stood in for it
	CHECK(exit.invoked == 1000);
	CHECK(exit.kicks == 0);
	CHECK(rcu.kicks == 0);
	// One sleep of force_interval_us after each round; the grace period was seen right after
	// the push that ended it.
	CHECK(exit.wait_ns == gp_round * 100 * us);
	CHECK(exit.gp_ns == (gp_round - 1) * 100 * us);
	CHECK(world.logs.empty());
}

TEST_CASE("force-qs stops once the barrier in its worker has returned", "[force]")
{
	fake::world &world = host::boot(fake::kernel::tree());
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	SECTION("ended by the pushes")
	{
		rcu.gp_at_expedite = 4;
		host::module module(host::params_for(RU_STRATEGY_force_qs));
		REQUIRE(module.err() == 0);
		const fake::exit_record &exit = module.unload();
		CHECK(exit.rounds == 4);
		CHECK(rcu.barriers == 1);
		CHECK(exit.invoked == 1000);
	}
	SECTION("ended by the tick's own grace period: no timeout cuts a barrier short")
	{
		rcu.gp_at_expedite = fake::never;
		rcu.natural_gp_ns = 20 * seconds;
		host::module module(host::params_for(RU_STRATEGY_force_qs));
		REQUIRE(module.err() == 0);
		const fake::exit_record &exit = module.unload();
		CHECK(exit.rounds == (20 * seconds - fake::boot_ns) / (100 * us));
		CHECK(exit.invoked == 1000);
		CHECK(world.logs.empty());
	}
	CHECK(world.backgrounds == 1);
	CHECK(world.backgrounds_finished == 1);
}

TEST_CASE("the own-callbacks wait times out after 10 s and falls back to the barrier", "[force]")
{
	const unsigned interval_us = GENERATE(100u, 100000u);
	const ru_strategy_index strategy = GENERATE(RU_STRATEGY_force_qs_own, RU_STRATEGY_kick);
	CAPTURE(interval_us, strategy);
	fake::world &world = host::boot(fake::kernel::tree());
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	rcu.gp_at_expedite = fake::never;
	rcu.gp_at_kick = fake::never;
	ru_params params = host::params_for(strategy);
	params.force_interval_us = interval_us;
	params.tag = 5;
	host::module module(params);
	REQUIRE(module.err() == 0);
	const fake::exit_record &exit = module.unload();

	// The round that finds more than 10 s gone is not counted: 10 s / interval rounds, plus
	// the one that ended exactly at 10 s.
	CHECK(exit.rounds == 10 * seconds / (interval_us * us) + 1);
	CHECK(exit.kicks == (strategy == RU_STRATEGY_kick ? exit.rounds : 0));
	// A timed-out wait too returns only once the CPUs have taken the kicks.
	CHECK(rcu.kicks_at_wait == (strategy == RU_STRATEGY_kick ? std::vector<unsigned>{rcu.kicks}
								  : std::vector<unsigned>{}));
	CHECK(exit.wait_ns == exit.rounds * interval_us * us);
	CHECK(exit.wait_ns > 10 * seconds);
	CHECK(exit.gp_ns == 0);
	INFO(world.all_logs());
	REQUIRE(world.logs.size() == 1);
	CHECK(world.logs[0].level == RU_LOG_WARN);
	CHECK(world.logs[0].text == "error v=1 tag=5 what=strategy-failed strategy=" +
					    host::strategy_name(strategy) + " err=-110");
	// The fallback barrier ran every callback: none lost, no lost-callbacks error.
	CHECK(rcu.barriers == 1);
	CHECK(exit.enqueued == 1000);
	CHECK(exit.invoked == 1000);
	CHECK(rcu.queue.empty());
}

TEST_CASE("kicks are counted only where the round kicks", "[force][kick]")
{
	fake::world &world = host::boot(fake::kernel::preempt());
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	rcu.gp_at_expedite = 3;
	rcu.gp_at_kick = fake::never;

	SECTION("kick kicks every round, whatever force_steps says")
	{
		host::module module(host::params_for(RU_STRATEGY_kick));
		REQUIRE(module.err() == 0);
		const fake::exit_record &exit = module.unload();
		CHECK(exit.rounds == 3);
		CHECK(exit.kicks == 3);
		CHECK(rcu.kicks == 3);
		// The kick's IPI function is module text: the exit waits for the CPUs to take the
		// last one, once, after it.
		CHECK(rcu.kicks_at_wait == std::vector<unsigned>{3});
	}
	SECTION("kick's own push can end the wait first")
	{
		rcu.gp_at_kick = 2;
		host::module module(host::params_for(RU_STRATEGY_kick));
		REQUIRE(module.err() == 0);
		const fake::exit_record &exit = module.unload();
		CHECK(exit.rounds == 2);
		CHECK(exit.kicks == 2);
	}
	for (const ru_strategy_index strategy : {RU_STRATEGY_force_qs_own, RU_STRATEGY_force_qs, RU_STRATEGY_boost}) {
		DYNAMIC_SECTION(host::strategy_name(strategy) << " with the default force_steps does not")
		{
			host::module module(host::params_for(strategy));
			REQUIRE(module.err() == 0);
			const fake::exit_record &exit = module.unload();
			CHECK(exit.rounds == 3);
			CHECK(exit.kicks == 0);
			CHECK(rcu.kicks == 0);
			CHECK(rcu.kicks_at_wait.empty());
		}
		DYNAMIC_SECTION(host::strategy_name(strategy) << " with force_steps' kick bit does")
		{
			ru_params params = host::params_for(strategy);
			params.force_steps = RU_FORCE_FQS | RU_FORCE_KICK;
			host::module module(params);
			REQUIRE(module.err() == 0);
			const fake::exit_record &exit = module.unload();
			CHECK(exit.rounds == 3);
			CHECK(exit.kicks == 3);
			CHECK(rcu.kicks == 3);
			CHECK(rcu.kicks_at_wait == std::vector<unsigned>{3});
		}
	}
	CHECK(world.logs.empty());
}

TEST_CASE("a kicked round is paced by a yield and a spin that ends with the wait, others sleep",
	  "[force][kick]")
{
	struct pacing {
		ru_strategy_index strategy;
		unsigned interval_us;
		bool spins;
	};
	const pacing p = GENERATE(pacing{RU_STRATEGY_kick, 100, true},
				  pacing{RU_STRATEGY_kick, longest_spin_us, true},
				  pacing{RU_STRATEGY_kick, longest_spin_us + 1, false},
				  pacing{RU_STRATEGY_force_qs_own, 100, false});
	CAPTURE(host::strategy_name(p.strategy), p.interval_us);
	fake::world &world = host::boot(fake::kernel::preempt());
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	rcu.gp_at_expedite = fake::never;
	rcu.gp_at_kick = fake::never;
	rcu.natural_gp_ns = 12573 * us + 7; // out of step with the rounds
	ru_params params = host::params_for(p.strategy);
	params.force_interval_us = p.interval_us;
	host::module module(params);
	REQUIRE(module.err() == 0);
	const unsigned sleeps_before = world.sleeps;
	const fake::exit_record &exit = module.unload();

	REQUIRE(exit.invoked == 1000);
	REQUIRE(exit.rounds > 1);
	const ru_u64 interval_ns = p.interval_us * us;
	CAPTURE(exit.rounds, exit.wait_ns);
	if (p.spins) {
		CHECK(world.yields == exit.rounds);
		CHECK(world.sleeps == sleeps_before);
		// The grace period ended inside a spin, and the wait with it.
		CHECK(exit.wait_ns > (exit.rounds - 1) * interval_ns);
		CHECK(exit.wait_ns < exit.rounds * interval_ns);
	} else {
		CHECK(world.yields == 0);
		CHECK(world.sleeps - sleeps_before == exit.rounds);
		CHECK(exit.wait_ns == exit.rounds * interval_ns);
	}
}

TEST_CASE("force_steps selects the pushes of each round", "[force]")
{
	const unsigned steps = GENERATE(range(0u, static_cast<unsigned>(RU_FORCE_ALL) + 1));
	CAPTURE(steps);
	fake::world &world = host::boot(fake::kernel::tree());
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	rcu.gp_at_expedite = fake::never;
	rcu.gp_at_kick = fake::never;
	rcu.natural_gp_ns = 1000 * us; // so that every mask ends: after 10 rounds of 100 us
	ru_params params = host::params_for(RU_STRATEGY_force_qs_own);
	params.force_steps = steps;
	host::module module(params);
	REQUIRE(module.err() == 0);
	const fake::exit_record &exit = module.unload();
	CHECK(exit.rounds == 10);
	CHECK(rcu.start_gps == ((steps & RU_FORCE_START_GP) ? 1u : 0u));
	CHECK(world.stop_machines == ((steps & RU_FORCE_STOP_MACHINE) ? 10u : 0u));
	CHECK(rcu.expedites == ((steps & RU_FORCE_FQS) ? 10u : 0u));
	CHECK(rcu.kicks == ((steps & RU_FORCE_KICK) ? 10u : 0u));
	CHECK(exit.kicks == rcu.kicks);
	CHECK(exit.invoked == 1000);
}

TEST_CASE("stop_machine alone can end the grace period", "[force]")
{
	fake::world &world = host::boot(fake::kernel::tree());
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	rcu.gp_at_expedite = fake::never;
	rcu.gp_at_stop_machine = 5;
	ru_params params = host::params_for(RU_STRATEGY_force_qs_own);
	params.force_steps = RU_FORCE_STOP_MACHINE;
	host::module module(params);
	REQUIRE(module.err() == 0);
	CHECK(module.unload().rounds == 5);
	CHECK(world.stop_machines == 5);
}

TEST_CASE("force-qs's worker failing to start is reported with its errno", "[force]")
{
	fake::world &world = host::boot(fake::kernel::tree());
	world.background_error = -RU_ENOMEM;
	host::module module(host::params_for(RU_STRATEGY_force_qs));
	REQUIRE(module.err() == 0);
	const fake::exit_record &exit = module.unload();
	CHECK(exit.rounds == 0);
	CHECK(exit.invoked == 1000);
	REQUIRE(world.logs.size() == 1);
	CHECK(world.logs[0].text == "error v=1 tag=0 what=strategy-failed strategy=force-qs err=-12");
	CHECK(world.flavor(RU_FLAVOR_vanilla).barriers == 1);
}

TEST_CASE("direct runs the ready callbacks here, at most 16 times", "[force][direct]")
{
	fake::world &world = host::boot(fake::kernel::tiny());
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	SECTION("done in the round that ends the grace period")
	{
		rcu.gp_at_invoke_ready = 3;
		host::module module(host::params_for(RU_STRATEGY_direct));
		REQUIRE(module.err() == 0);
		const fake::exit_record &exit = module.unload();
		CHECK(exit.rounds == 3);
		CHECK(exit.wait_ns == 0); // nothing sleeps
		CHECK(rcu.barriers == 0);
		CHECK(world.logs.empty());
	}
	SECTION("a grace period that never ends: -ETIMEDOUT, then the barrier")
	{
		rcu.gp_at_invoke_ready = fake::never;
		host::module module(host::params_for(RU_STRATEGY_direct));
		REQUIRE(module.err() == 0);
		const fake::exit_record &exit = module.unload();
		CHECK(exit.rounds == 16);
		CHECK(rcu.invoke_ready == 16);
		CHECK(rcu.barriers == 1);
		CHECK(exit.invoked == 1000);
		REQUIRE(world.logs.size() == 1);
		CHECK(world.logs[0].text == "error v=1 tag=0 what=strategy-failed strategy=direct err=-110");
	}
}

TEST_CASE("sync-exp runs an expedited grace period, then the barrier", "[force]")
{
	fake::world &world = host::boot(fake::kernel::tree());
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	host::module module(host::params_for(RU_STRATEGY_sync_exp));
	REQUIRE(module.err() == 0);
	const fake::exit_record &exit = module.unload();
	CHECK(exit.rounds == 1);
	CHECK(rcu.sync_expedited == 1);
	CHECK(rcu.barriers == 1);
	CHECK(rcu.expedites == 0);
	CHECK(exit.invoked == 1000);
}

TEST_CASE("gp_ns is when the grace period was first seen elapsed, not the last time", "[force]")
{
	// A lost callback keeps the rounds going after the grace period that ran the others.
	fake::world &world = host::boot(fake::kernel::tree());
	fake::flavor_sim &rcu = world.flavor(RU_FLAVOR_vanilla);
	rcu.gp_at_expedite = 3;
	rcu.lose = 1;
	ru_params params = host::params_for(RU_STRATEGY_force_qs_own);
	params.force_interval_us = 100000;
	host::module module(params);
	REQUIRE(module.err() == 0);
	const fake::exit_record &exit = module.unload();
	CHECK(exit.rounds == 101);
	CHECK(exit.gp_ns == 2 * 100000 * us);
	CHECK(exit.invoked == 999);
}
