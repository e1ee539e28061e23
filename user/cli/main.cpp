#include <cstdio>
#include <exception>

#include "rcu_unload/commands.hpp"

int main(int argc, char** argv) {
  auto parsed = rcu_unload::parse_options(argc, argv);
  if (!parsed.command) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  try {
    return rcu_unload::dispatch(*parsed.command);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rcu-unload: %s\n", e.what());
    return 1;
  }
}
