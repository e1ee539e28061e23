#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "rcu_unload/module_loader.hpp"
#include "rcu_unload/system_info.hpp"

using namespace rcu_unload;

TEST_CASE("only taint bits other than O and E that are new count") {
  CHECK(unexpected_new_taint(0, kTaintOutOfTree | kTaintUnsigned) == 0);
  CHECK(unexpected_new_taint(1, 1 | 512) == 512);
  CHECK(unexpected_new_taint(512, 512) == 0);
  CHECK(describe_taint(0).empty());
  CHECK(describe_taint((1u << 7) | (1u << 9) | (1u << 12)) == "D W O");
  CHECK(describe_taint(std::uint64_t{1} << 40) == "bit40");
}

TEST_CASE("taint is read from a proc-style file") {
  const std::string path = "/tmp/rcu_unload_taint_test";
  std::ofstream(path) << "12288\n";
  CHECK(read_taint(path) == 12288u);
  std::ofstream(path) << "garbage\n";
  CHECK_FALSE(read_taint(path));
  std::remove(path.c_str());
  CHECK_FALSE(read_taint(path));
}

TEST_CASE("system info names this kernel") {
  auto info = read_system_info();
  CHECK_FALSE(info.kernel.empty());
  CHECK(info.cpus >= 1);
}

TEST_CASE("preflight reports the first problem") {
  PreflightFacts f{"/lib/rcu_unload.ko", "rcu_unload", true, true, true, false};
  CHECK_FALSE(preflight_problem(f));
  f.already_loaded = true;
  CHECK(preflight_problem(f)->find("module rcu_unload (from /lib/rcu_unload.ko) is already loaded") != std::string::npos);
  f.modules_supported = false;
  CHECK(preflight_problem(f)->find("/proc/modules") != std::string::npos);
  f.root = false;
  CHECK(preflight_problem(f)->find("root") != std::string::npos);
  f.module_file = false;
  CHECK(preflight_problem(f)->find("/lib/rcu_unload.ko does not exist") != std::string::npos);
}

TEST_CASE("the loader refuses a missing module file before touching the kernel") {
  auto loader = ModuleLoader::open("/nonexistent/rcu_unload.ko");
  REQUIRE_FALSE(loader);
  CHECK(loader.error().find("does not exist") != std::string::npos);
}
