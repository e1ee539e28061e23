// Helpers for the host tests: the module's default parameters (from the contract's list), a
// loaded module that always exits, and the strategy names as the contract spells them.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "fake_glue.hpp"

namespace host {

// The parameters as module_param sets them when none is given: RU_PARAM_LIST's defaults.
inline ru_params default_params()
{
	ru_params params{};
#define HOST_PARAM_DEFAULT(name, type, def, min, max, desc) params.name = def;
	RU_PARAM_LIST(HOST_PARAM_DEFAULT)
#undef HOST_PARAM_DEFAULT
	params.strategy = RU_STRATEGY_auto;
	params.flavor = RU_FLAVOR_vanilla;
	return params;
}

inline ru_params params_for(ru_strategy_index strategy, ru_flavor_index flavor = RU_FLAVOR_vanilla)
{
	ru_params params = default_params();
	params.strategy = strategy;
	params.flavor = flavor;
	return params;
}

// The contract's names, by index.
inline std::string strategy_name(int index)
{
#define HOST_STRATEGY_NAME(ident, name, help) name,
	static const char *const names[] = {RU_STRATEGY_LIST(HOST_STRATEGY_NAME)};
#undef HOST_STRATEGY_NAME
	return names[index];
}

inline ru_strategy_index strategy_index(const std::string &name)
{
	for (int i = 0; i < RU_STRATEGY_COUNT; i++)
		if (strategy_name(i) == name)
			return static_cast<ru_strategy_index>(i);
	FAIL("no strategy named " << name);
	return RU_STRATEGY_COUNT;
}

inline std::vector<std::string> split(const std::string &text, char separator)
{
	std::vector<std::string> parts;
	std::string::size_type start = 0, end;
	while ((end = text.find(separator, start)) != std::string::npos) {
		parts.push_back(text.substr(start, end - start));
		start = end + 1;
	}
	if (!text.empty())
		parts.push_back(text.substr(start));
	return parts;
}

// Boots the fake kernel with grace periods that end at the first push of any kind the
// flavor has (expedite, kick, invoke_ready_now), as on an idle machine.
inline fake::world &boot(const fake::kernel &machine)
{
	fake::world &world = fake::reset(machine);
	for (fake::flavor_sim &flavor : world.flavors) {
		flavor.gp_at_expedite = 1;
		flavor.gp_at_kick = 1;
		flavor.gp_at_invoke_ready = 1;
	}
	return world;
}

// A module load: ru_core_init() at construction; ru_core_exit() once, by unload() or by the
// destructor, so that a failed check cannot leave the core's state to the next test.
class module {
public:
	explicit module(const ru_params &params) : params_(params), err_(ru_core_init(&params_)) {}
	module(const module &) = delete;
	module &operator=(const module &) = delete;
	~module()
	{
		if (!err_ && !unloaded_)
			ru_core_exit(params_.strategy);
	}

	int err() const { return err_; }

	// Exits with the strategy the strategy parameter holds then; returns the exit record.
	const fake::exit_record &unload(ru_strategy_index strategy)
	{
		REQUIRE(err_ == 0);
		REQUIRE_FALSE(unloaded_);
		unloaded_ = true;
		const auto records = fake::the().exit_records.size();
		ru_core_exit(strategy);
		REQUIRE(fake::the().exit_records.size() == records + 1);
		return fake::the().exit_records.back();
	}
	const fake::exit_record &unload() { return unload(params_.strategy); }

	const fake::init_record &init_record() const
	{
		REQUIRE(err_ == 0);
		REQUIRE(fake::the().init_records.size() == 1);
		return fake::the().init_records.back();
	}

private:
	ru_params params_;
	int err_;
	bool unloaded_ = false;
};

inline bool starts_with(const std::string &text, const std::string &prefix)
{
	return text.compare(0, prefix.size(), prefix) == 0;
}

} // namespace host
