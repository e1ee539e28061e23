// The init record's applies= list per kernel type (what bench, matrix and the QEMU tests ask the
// module instead of re-encoding its rules), strategy writes through sysfs after load, and the
// records' contents.
#include "module.hpp"

namespace {
struct applies_case {
	const char *kernel_name;
	fake::kernel machine;
	ru_flavor_index flavor;
	const char *applies;
	bool kick;
};

const applies_case applies_cases[] = {
	{"TINY_RCU", fake::kernel::tiny(), RU_FLAVOR_vanilla, "auto,barrier,sync-exp,direct", false},
	{"TREE_RCU, RCU_SOFTIRQ", fake::kernel::tree(), RU_FLAVOR_vanilla,
	 "auto,barrier,sync-exp,force-qs,force-qs-own,boost,kick", true},
	{"TREE_RCU, use_softirq=0", fake::kernel::tree().no_softirq(), RU_FLAVOR_vanilla,
	 "auto,barrier,sync-exp,force-qs,force-qs-own,boost", false},
	{"TREE_RCU, offloaded", fake::kernel::tree().offloaded(), RU_FLAVOR_vanilla,
	 "auto,barrier,sync-exp,force-qs,boost", true},
	{"TREE_PREEMPT_RCU, RCU_SOFTIRQ", fake::kernel::preempt(), RU_FLAVOR_vanilla,
	 "auto,barrier,sync-exp,force-qs,force-qs-own,boost,kick", true},
	{"PREEMPT_RT", fake::kernel::rt(), RU_FLAVOR_vanilla,
	 "auto,barrier,sync-exp,force-qs,force-qs-own,boost", false},
	{"PREEMPT_RT, offloaded", fake::kernel::rt().offloaded(), RU_FLAVOR_vanilla,
	 "auto,barrier,sync-exp,force-qs,boost", false},
	{"SRCU on TINY_RCU", fake::kernel::tiny(), RU_FLAVOR_srcu, "auto,barrier,sync-exp,force-qs,boost", false},
	{"SRCU on TREE_RCU", fake::kernel::tree(), RU_FLAVOR_srcu, "auto,barrier,sync-exp,force-qs,boost", false},
	{"SRCU on PREEMPT_RT", fake::kernel::rt(), RU_FLAVOR_srcu, "auto,barrier,sync-exp,force-qs,boost", false},
	{"Tasks RCU on TREE_RCU", fake::kernel::tree(), RU_FLAVOR_tasks, "auto,barrier", false},
	{"Tasks RCU on TINY_RCU", fake::kernel::tiny(), RU_FLAVOR_tasks, "auto,barrier", false},
};
} // namespace

TEST_CASE("applies= lists the strategies a load accepts, per kernel type", "[records][applies]")
{
	const applies_case &c = GENERATE(from_range(std::begin(applies_cases), std::end(applies_cases)));
	const bool allow_unsafe = GENERATE(false, true);
	CAPTURE(c.kernel_name, c.flavor, allow_unsafe);

	host::boot(c.machine);
	ru_params params = host::params_for(RU_STRATEGY_auto, c.flavor);
	params.allow_unsafe = allow_unsafe;
	std::string applies;
	unsigned long long kick;
	{
		host::module module(params);
		REQUIRE(module.err() == 0);
		applies = module.init_record().applies;
		kick = module.init_record().kick;
	}
	CHECK(kick == (c.kick ? 1u : 0u));

	// The strategies these cases judge, by their rules; a strategy added later is judged by its
	// own test, and by the loop below.
	const std::vector<std::string> listed = host::split(applies, ',');
	const std::vector<std::string> expected = host::split(std::string(c.applies) +
							      (allow_unsafe ? ",unsafe-none" : ""), ',');
	for (const char *judged : {"auto", "barrier", "sync-exp", "force-qs", "force-qs-own", "boost",
				   "kick", "direct", "unsafe-none"}) {
		CAPTURE(judged, applies);
		const auto in = [&](const std::vector<std::string> &names) {
			return std::find(names.begin(), names.end(), judged) != names.end();
		};
		CHECK(in(listed) == in(expected));
	}

	// The list is the truth: each strategy in it loads, each one outside it is refused.
	for (int i = 0; i < RU_STRATEGY_COUNT; i++) {
		const std::string name = host::strategy_name(i);
		CAPTURE(name);
		host::boot(c.machine);
		params.strategy = static_cast<ru_strategy_index>(i);
		host::module module(params);
		const bool is_listed = std::find(listed.begin(), listed.end(), name) != listed.end();
		CHECK(module.err() == (is_listed ? 0 : -RU_EINVAL));
	}
}

TEST_CASE("the init record says what was loaded", "[records]")
{
	fake::world &world = host::boot(fake::kernel::tree(3));
	world.flavor(RU_FLAVOR_srcu).sync_expedited_ns = 250000;
	ru_params params = host::params_for(RU_STRATEGY_boost, RU_FLAVOR_srcu);
	params.tag = 0xfeedULL;
	params.callbacks = 10;
	params.measure_limit = true;
	host::module module(params);
	REQUIRE(module.err() == 0);
	const fake::init_record &init = module.init_record();
	CHECK(init.tag == 0xfeed);
	CHECK(init.flavor == "srcu");
	CHECK(init.strategy == "boost");
	CHECK(init.cpus == 3);
	CHECK(init.enqueued == 10);
	CHECK(init.exp_gp_ns == 250000); // one sync_expedited of the fake's length
	CHECK(init.init_ns == 0);        // without the measurement, and nothing else sleeps
	CHECK(world.flavor(RU_FLAVOR_srcu).inits == 1);
	CHECK(init.line.rfind("init v=1 tag=65261 flavor=srcu strategy=boost cpus=3 enqueued=10 ", 0) == 0);
}

// glue.c formats a record's fields into a 512-byte buffer with scnprintf, which truncates
// silently: with every number at its widest and the longest applies= list they must fit.
#define HOST_WIDEST_u64(value) std::string(20, '9')
#define HOST_WIDEST_str(value) (value)
#define HOST_WIDEST(key, type, help) widest += " " #key "=" + std::string(HOST_WIDEST_##type(record.key));
template <typename Record> std::size_t widest_init_fields(const Record &record)
{
	std::string widest;
	RU_INIT_RECORD(HOST_WIDEST)
	return widest.size();
}
template <typename Record> std::size_t widest_exit_fields(const Record &record)
{
	std::string widest;
	RU_EXIT_RECORD(HOST_WIDEST)
	return widest.size();
}
#undef HOST_WIDEST

TEST_CASE("the records fit glue.c's line buffer at their widest", "[records]")
{
	constexpr std::size_t glue_line_max = 512;
	host::boot(fake::kernel::preempt(64));
	ru_params params = host::params_for(RU_STRATEGY_force_qs_own);
	params.allow_unsafe = true;
	host::module module(params);
	REQUIRE(module.err() == 0);
	const fake::init_record &init = module.init_record();
	CHECK(host::split(init.applies, ',').size() == RU_STRATEGY_COUNT - 1); // all but direct
	CHECK(widest_init_fields(init) < glue_line_max);
	const fake::exit_record &exit = module.unload();
	CHECK(exit.rcu == "tree-preempt");
	CHECK(widest_exit_fields(exit) < glue_line_max);
}

TEST_CASE("a strategy written through sysfs after load is checked and then run", "[records][sysfs]")
{
	fake::world &world = host::boot(fake::kernel::rt());
	ru_params params = host::params_for(RU_STRATEGY_auto);
	host::module module(params);
	REQUIRE(module.err() == 0);

	SECTION("one that does not apply is refused with the reason")
	{
		CHECK(ru_core_check_strategy(RU_STRATEGY_kick) == -RU_EINVAL);
		REQUIRE(world.logs.size() == 1);
		CHECK(world.logs[0].text ==
		      "invalid strategy=kick: does not apply to flavor=rcu on tree-preempt RCU without "
		      "RCU_SOFTIRQ (rcuc kthreads)");
		CHECK(ru_core_check_strategy(RU_STRATEGY_direct) == -RU_EINVAL);
		CHECK(world.logs.size() == 2);
	}
	SECTION("unsafe-none needs allow_unsafe=1 at load")
	{
		CHECK(ru_core_check_strategy(RU_STRATEGY_unsafe_none) == -RU_EINVAL);
		REQUIRE(world.logs.size() == 1);
		CHECK(world.logs[0].text ==
		      "invalid strategy=unsafe-none: unloads with callbacks pending, needs allow_unsafe=1");
	}
	SECTION("one that applies is accepted silently, and exit runs it")
	{
		CHECK(ru_core_check_strategy(RU_STRATEGY_barrier) == 0);
		CHECK(ru_core_check_strategy(RU_STRATEGY_force_qs) == 0);
		CHECK(world.logs.empty());
		const fake::exit_record &exit = module.unload(RU_STRATEGY_force_qs);
		CHECK(exit.strategy == "force-qs");
		CHECK(exit.picked == "force-qs");
		CHECK(world.backgrounds == 1);
		CHECK(exit.invoked == exit.enqueued);
	}
	// Nothing was queued or run by the checks themselves.
	CHECK(world.flavor(RU_FLAVOR_vanilla).queued == 1000);
}

TEST_CASE("exit with a strategy that does not apply falls back to the barrier", "[records]")
{
	fake::world &world = host::boot(fake::kernel::tree());
	host::module module(host::params_for(RU_STRATEGY_barrier));
	REQUIRE(module.err() == 0);
	const fake::exit_record &exit = module.unload(RU_STRATEGY_direct);
	CHECK(exit.strategy == "direct");
	CHECK(exit.picked == "direct");
	CHECK(exit.invoked == 1000);
	REQUIRE(world.logs.size() == 2);
	CHECK(host::starts_with(world.logs[0].text, "invalid strategy=direct: does not apply"));
	CHECK(world.logs[1].level == RU_LOG_WARN);
	CHECK(world.logs[1].text == "error v=1 tag=0 what=strategy-failed strategy=direct err=-22");
	CHECK(world.flavor(RU_FLAVOR_vanilla).barriers == 1);
}

TEST_CASE("the exit record describes the kernel and the run", "[records]")
{
	fake::world &world = host::boot(fake::kernel::rt(4));
	world.flavor(RU_FLAVOR_vanilla).gp_at_expedite = 2;
	ru_params params = host::params_for(RU_STRATEGY_force_qs_own);
	params.tag = 77;
	params.readers = 3;
	params.callbacks = 100;
	host::module module(params);
	REQUIRE(module.err() == 0);
	const fake::exit_record &exit = module.unload();
	CHECK(exit.tag == 77);
	CHECK(exit.flavor == "rcu");
	CHECK(exit.rcu == "tree-preempt");
	CHECK(exit.preempt == "rt");
	CHECK(exit.cpus == 4);
	CHECK(exit.readers == 3);
	CHECK(exit.churn == 0);
	CHECK(exit.enqueued == 100);
	CHECK(exit.invoked == 100);
	CHECK(exit.rounds == 2);
	CHECK(exit.stop_ns == 0);
	CHECK(exit.wait_ns == 2 * 100 * 1000); // two rounds of force_interval_us on the fake clock
	CHECK(exit.total_ns == exit.wait_ns);
	CHECK(exit.peak_pending == 100);
	CHECK(exit.peak_bytes >= 100 * 32); // at least the tracked callback's 32 bytes each
	CHECK(exit.line.rfind("exit v=1 tag=77 flavor=rcu strategy=force-qs-own picked=force-qs-own "
			      "rcu=tree-preempt preempt=rt cpus=4 ",
			      0) == 0);
}
