// Every load the module refuses: -EINVAL, one log line "invalid NAME=VALUE: why", and nothing
// started, queued or recorded.
#include "module.hpp"

#include <functional>
#include <limits>

namespace {
// A refused load leaves no trace but the log line.
void check_refused(const ru_params &params, const std::string &expected_prefix)
{
	fake::world &world = fake::the();
	const int err = ru_core_init(&params);
	INFO(world.all_logs());
	REQUIRE(err == -RU_EINVAL);
	REQUIRE(world.logs.size() == 1);
	CHECK(world.logs[0].level == RU_LOG_ERR);
	CHECK(host::starts_with(world.logs[0].text, expected_prefix));
	CHECK(world.init_records.empty());
	CHECK(world.threads.empty());
	for (const fake::flavor_sim &flavor : world.flavors) {
		CHECK(flavor.queued == 0);
		CHECK(flavor.inits == 0);
	}
}

struct out_of_range {
	std::string name;
	unsigned long long value;
	std::string message; // the whole expected line
	std::function<void(ru_params &, unsigned long long)> set;
};

template <typename T> bool representable(unsigned long long value)
{
	return value <= static_cast<unsigned long long>(std::numeric_limits<T>::max());
}

// One case below min and one above max per parameter, where its C type can hold such a
// value; `unreachable` lists the parameters whose range is their type's whole range.
std::vector<out_of_range> out_of_range_cases(std::vector<std::string> &unreachable)
{
	std::vector<out_of_range> cases;
#define HOST_OUT_OF_RANGE(name, type, def, min, max, desc)                                         \
	{                                                                                          \
		using T = RU_PARAM_CTYPE_##type;                                                   \
		const auto lo = static_cast<unsigned long long>(min);                              \
		const auto hi = static_cast<unsigned long long>(max);                              \
		auto set = [](ru_params &p, unsigned long long v) { p.name = static_cast<T>(v); }; \
		const auto line = [](unsigned long long v) {                                       \
			return "invalid " #name "=" + std::to_string(v) + ": must be " #min ".." #max; \
		};                                                                                 \
		const bool below = lo > 0, above = hi < ~0ULL && representable<T>(hi + 1);         \
		if (below)                                                                         \
			cases.push_back({#name, lo - 1, line(lo - 1), set});                       \
		if (above)                                                                         \
			cases.push_back({#name, hi + 1, line(hi + 1), set});                       \
		if (!below && !above)                                                              \
			unreachable.push_back(#name);                                              \
	}
	RU_PARAM_LIST(HOST_OUT_OF_RANGE)
#undef HOST_OUT_OF_RANGE
	return cases;
}
} // namespace

TEST_CASE("every parameter out of its range is refused", "[refusal][params]")
{
	std::vector<std::string> unreachable;
	const std::vector<out_of_range> cases = out_of_range_cases(unreachable);
	// tag (0..ULONG_MAX) and the bools (0..1) cannot be set out of range: module_param
	// refuses them before the core runs. Every other parameter has a case.
	CHECK(unreachable == std::vector<std::string>{"tag", "measure_limit", "allow_unsafe"});
	REQUIRE(cases.size() >= 7);

	for (const out_of_range &c : cases) {
		CAPTURE(c.name, c.value);
		host::boot(fake::kernel::tree());
		ru_params params = host::default_params();
		c.set(params, c.value);
		check_refused(params, c.message);
		CHECK(fake::the().logs[0].text == c.message);
	}
}

TEST_CASE("each range bound itself is accepted", "[params]")
{
#define HOST_BOUNDS(name, type, def, min, max, desc)                                            \
	for (const unsigned long long bound : {static_cast<unsigned long long>(min),                \
					       static_cast<unsigned long long>(max)}) {             \
		CAPTURE(#name, bound);                                                          \
		fake::world &world = host::boot(fake::kernel::tree());                         \
		ru_params params = host::params_for(RU_STRATEGY_barrier);                       \
		params.callbacks = 3;                                                           \
		params.name = static_cast<RU_PARAM_CTYPE_##type>(bound);                        \
		host::module module(params);                                                    \
		INFO(world.all_logs());                                                         \
		CHECK(module.err() == 0);                                                       \
	}
	RU_PARAM_LIST(HOST_BOUNDS)
#undef HOST_BOUNDS
}

namespace {
struct refusal_case {
	const char *what;
	fake::kernel machine;
	std::function<void(ru_params &)> set;
	const char *line; // the log line's beginning: "invalid NAME=VALUE: why"
};

void strategy_is(ru_params &params, ru_strategy_index strategy, ru_flavor_index flavor)
{
	params.strategy = strategy;
	params.flavor = flavor;
}

const refusal_case refusal_cases[] = {
	{"unsafe-none without allow_unsafe", fake::kernel::tree(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_unsafe_none, RU_FLAVOR_vanilla); },
	 "invalid strategy=unsafe-none: unloads with callbacks pending, needs allow_unsafe=1"},
	{"force-qs-own with SRCU", fake::kernel::tree(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_force_qs_own, RU_FLAVOR_srcu); },
	 "invalid strategy=force-qs-own: does not apply to flavor=srcu on tree RCU"},
	{"force-qs-own with offloaded callbacks", fake::kernel::preempt().offloaded(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_force_qs_own, RU_FLAVOR_vanilla); },
	 "invalid strategy=force-qs-own: does not apply to flavor=rcu on tree-preempt RCU with offloaded callbacks"},
	{"kick on PREEMPT_RT (no RCU_SOFTIRQ)", fake::kernel::rt(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_kick, RU_FLAVOR_vanilla); },
	 "invalid strategy=kick: does not apply to flavor=rcu on tree-preempt RCU without RCU_SOFTIRQ"},
	{"kick with use_softirq=0", fake::kernel::tree().no_softirq(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_kick, RU_FLAVOR_vanilla); },
	 "invalid strategy=kick: does not apply to flavor=rcu on tree RCU without RCU_SOFTIRQ"},
	{"kick with offloaded callbacks", fake::kernel::tree().offloaded(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_kick, RU_FLAVOR_vanilla); },
	 "invalid strategy=kick: does not apply to flavor=rcu on tree RCU with offloaded callbacks"},
	{"kick with SRCU", fake::kernel::tree(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_kick, RU_FLAVOR_srcu); },
	 "invalid strategy=kick: does not apply to flavor=srcu on tree RCU"},
	{"force_steps with the kick bit without RCU_SOFTIRQ", fake::kernel::rt(),
	 [](ru_params &p) { p.force_steps = RU_FORCE_FQS | RU_FORCE_KICK | RU_FORCE_START_GP; },
	 "invalid force_steps=13: the kick (8) needs flavor=rcu and rcu_core() in RCU_SOFTIRQ"},
	{"force_steps with the kick bit with SRCU", fake::kernel::tree(),
	 [](ru_params &p) {
		 p.flavor = RU_FLAVOR_srcu;
		 p.force_steps = RU_FORCE_KICK;
	 },
	 "invalid force_steps=8: the kick (8) needs flavor=rcu"},
	{"force_steps with the kick bit on TINY_RCU", fake::kernel::tiny(),
	 [](ru_params &p) { p.force_steps = RU_FORCE_ALL; }, "invalid force_steps=15: the kick (8)"},
	{"direct on TREE_RCU", fake::kernel::tree(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_direct, RU_FLAVOR_vanilla); },
	 "invalid strategy=direct: does not apply to flavor=rcu on tree RCU"},
	{"direct with SRCU on TINY_RCU", fake::kernel::tiny(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_direct, RU_FLAVOR_srcu); },
	 "invalid strategy=direct: does not apply to flavor=srcu on tiny RCU"},
	{"force-qs on TINY_RCU (nothing to expedite)", fake::kernel::tiny(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_force_qs, RU_FLAVOR_vanilla); },
	 "invalid strategy=force-qs: does not apply to flavor=rcu on tiny RCU"},
	{"boost with Tasks RCU", fake::kernel::preempt(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_boost, RU_FLAVOR_tasks); },
	 "invalid strategy=boost: does not apply to flavor=tasks on tree-preempt RCU"},
	{"sync-exp with Tasks RCU", fake::kernel::tree(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_sync_exp, RU_FLAVOR_tasks); },
	 "invalid strategy=sync-exp: does not apply to flavor=tasks on tree RCU"},
	{"Tasks RCU on a kernel without it", fake::kernel::tree().without_tasks_rcu(),
	 [](ru_params &p) { strategy_is(p, RU_STRATEGY_auto, RU_FLAVOR_tasks); },
	 "invalid flavor=tasks: this kernel does not have it"},
	{"churn on more than 64 CPUs", fake::kernel::tree(65), [](ru_params &p) { p.churn = 1; },
	 "invalid churn=1: needs at most 64 online CPUs"},
};
} // namespace

TEST_CASE("loads the kernel cannot honour are refused", "[refusal]")
{
	const refusal_case &c = GENERATE(from_range(std::begin(refusal_cases), std::end(refusal_cases)));
	CAPTURE(c.what);
	host::boot(c.machine);
	ru_params params = host::default_params();
	c.set(params);
	check_refused(params, c.line);
}

TEST_CASE("the refusals' near misses load", "[refusal]")
{
	SECTION("unsafe-none with allow_unsafe=1")
	{
		host::boot(fake::kernel::tree());
		ru_params params = host::params_for(RU_STRATEGY_unsafe_none);
		params.allow_unsafe = true;
		host::module module(params);
		CHECK(module.err() == 0);
	}
	SECTION("churn on 64 CPUs")
	{
		host::boot(fake::kernel::tree(64));
		ru_params params = host::default_params();
		params.churn = 1;
		host::module module(params);
		CHECK(module.err() == 0);
		CHECK(fake::the().threads.size() == 64);
	}
	SECTION("the kick bit where RCU_SOFTIRQ runs rcu_core()")
	{
		host::boot(fake::kernel::preempt());
		ru_params params = host::default_params();
		params.force_steps = RU_FORCE_ALL;
		host::module module(params);
		CHECK(module.err() == 0);
	}
	SECTION("Tasks RCU where the kernel has it")
	{
		host::boot(fake::kernel::tree());
		host::module module(host::params_for(RU_STRATEGY_barrier, RU_FLAVOR_tasks));
		CHECK(module.err() == 0);
	}
	INFO(fake::the().all_logs());
	CHECK(fake::the().logs.empty());
}
