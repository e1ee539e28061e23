// auto's pick for every kind of kernel (the test oracle the QEMU tests also keep), and that the
// picked strategy really is what ran: the fake kernel saw its mechanism and only its.
#include "module.hpp"

namespace {
struct pick_case {
	const char *kernel_name;
	fake::kernel machine;
	ru_flavor_index flavor;
	const char *expected;
};

const pick_case pick_cases[] = {
	{"TINY_RCU", fake::kernel::tiny(), RU_FLAVOR_vanilla, "direct"},
	{"TREE_RCU, RCU_SOFTIRQ", fake::kernel::tree(), RU_FLAVOR_vanilla, "kick"},
	{"TREE_RCU, use_softirq=0", fake::kernel::tree().no_softirq(), RU_FLAVOR_vanilla, "force-qs-own"},
	{"TREE_RCU, offloaded", fake::kernel::tree().offloaded(), RU_FLAVOR_vanilla, "force-qs"},
	{"TREE_PREEMPT_RCU, RCU_SOFTIRQ", fake::kernel::preempt(), RU_FLAVOR_vanilla, "kick"},
	{"TREE_PREEMPT_RCU, use_softirq=0", fake::kernel::preempt().no_softirq(), RU_FLAVOR_vanilla, "boost"},
	{"TREE_PREEMPT_RCU, offloaded", fake::kernel::preempt().offloaded(), RU_FLAVOR_vanilla, "boost"},
	{"PREEMPT_RT", fake::kernel::rt(), RU_FLAVOR_vanilla, "force-qs-own"},
	{"PREEMPT_RT, offloaded", fake::kernel::rt().offloaded(), RU_FLAVOR_vanilla, "force-qs"},
	{"SRCU on TINY_RCU", fake::kernel::tiny(), RU_FLAVOR_srcu, "force-qs"},
	{"SRCU on TREE_RCU", fake::kernel::tree(), RU_FLAVOR_srcu, "force-qs"},
	{"SRCU on TREE_PREEMPT_RCU", fake::kernel::preempt(), RU_FLAVOR_srcu, "boost"},
	{"SRCU on PREEMPT_RT", fake::kernel::rt(), RU_FLAVOR_srcu, "force-qs"},
	{"Tasks RCU on TINY_RCU", fake::kernel::tiny(), RU_FLAVOR_tasks, "barrier"},
	{"Tasks RCU on TREE_RCU", fake::kernel::tree(), RU_FLAVOR_tasks, "barrier"},
	{"Tasks RCU on TREE_PREEMPT_RCU", fake::kernel::preempt(), RU_FLAVOR_tasks, "barrier"},
	{"Tasks RCU on PREEMPT_RT", fake::kernel::rt(), RU_FLAVOR_tasks, "barrier"},
};
} // namespace

TEST_CASE("auto picks the strategy the kernel type calls for, and runs it", "[auto]")
{
	const pick_case &c = GENERATE(from_range(std::begin(pick_cases), std::end(pick_cases)));
	CAPTURE(c.kernel_name, c.expected);

	fake::world &world = host::boot(c.machine);
	ru_params params = host::params_for(RU_STRATEGY_auto, c.flavor);
	params.readers = 2;
	host::module module(params);
	REQUIRE(module.err() == 0);
	REQUIRE(world.threads.size() == 2);
	const fake::exit_record &record = module.unload();

	CHECK(record.strategy == "auto");
	REQUIRE(record.picked == c.expected);
	CHECK(record.enqueued == 1000);
	CHECK(record.invoked == 1000);
	INFO(world.all_logs());
	CHECK(world.logs.empty());

	const fake::flavor_sim &flavor = world.flavor(c.flavor);
	const std::string picked = record.picked;
	const bool boosted = world.threads[0]->boosted && world.threads[1]->boosted;
	const bool barrier_wait = c.flavor == RU_FLAVOR_srcu || c.machine.info.callbacks_offloaded;
	if (picked == "direct") {
		CHECK(flavor.invoke_ready == 1);
		CHECK(record.rounds == 1);
		CHECK(flavor.barriers == 0);
	} else if (picked == "kick") {
		CHECK(flavor.kicks == 1);
		CHECK(record.kicks == 1);
		CHECK(record.rounds == 1);
		CHECK(boosted);
		CHECK(world.backgrounds == 0);
		CHECK(flavor.barriers == 0);
	} else if (picked == "force-qs-own") {
		CHECK(flavor.expedites == 1);
		CHECK(record.kicks == 0);
		CHECK_FALSE(boosted);
		CHECK(world.backgrounds == 0);
		CHECK(flavor.barriers == 0);
	} else if (picked == "force-qs") {
		CHECK(flavor.expedites >= 1);
		CHECK_FALSE(boosted);
		CHECK(world.backgrounds == 1);
		CHECK(flavor.barriers == 1); // the worker's
	} else if (picked == "boost") {
		CHECK(boosted);
		CHECK(flavor.expedites >= 1);
		CHECK(world.backgrounds == (barrier_wait ? 1u : 0u));
		CHECK(flavor.barriers == (barrier_wait ? 1u : 0u));
	} else if (picked == "barrier") {
		CHECK(flavor.barriers == 1);
		CHECK(record.rounds == 0);
		CHECK(world.backgrounds == 0);
		CHECK_FALSE(boosted);
	} else {
		FAIL("unexpected pick " << picked);
	}
	CHECK(flavor.cleanups == (c.flavor == RU_FLAVOR_srcu ? 1u : 0u));
}
