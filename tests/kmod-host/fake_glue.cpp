// The user-space stand-in for kmod/glue.c: every function of kmod/glue.h, over fake::world.
#include "fake_glue.hpp"

#include <malloc.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <utility>

namespace fake {
namespace {
world *current = nullptr;

[[noreturn]] void die(const char *why)
{
	std::fprintf(stderr, "fake kernel: %s\n", why);
	std::abort();
}

flavor_sim &sim(int flavor)
{
	return the().flavors[flavor];
}

// A push on the simulated grace period: the `count`th call of some operation.
void push(flavor_sim &flavor, unsigned count, unsigned threshold)
{
	if (threshold != never && count >= threshold)
		flavor.end_gp();
}

// Fake time moves only here; a grace period ends for each flavor whose natural period
// boundary it crosses. A day of fake time means a loop that never ends: stop the test.
void advance_clock(ru_u64 ns)
{
	world &w = the();
	const ru_u64 before = w.now_ns;

	w.now_ns += ns;
	if (w.now_ns - boot_ns > 86400ULL * 1000 * 1000 * 1000)
		die("more than a day of fake time passed: the core is looping for good");
	for (flavor_sim &flavor : w.flavors)
		if (flavor.natural_gp_ns != never_ns &&
		    before / flavor.natural_gp_ns != w.now_ns / flavor.natural_gp_ns)
			flavor.end_gp();
}

void free_unrun(std::vector<flavor_sim::pending> &callbacks)
{
	// The core's tracked callbacks came from its operator new (the host's): free the
	// memory without running them, their callback_set may be gone.
	for (const flavor_sim::pending &p : callbacks)
		::operator delete(p.head);
	callbacks.clear();
}

// ---- the flavor ops, one instance per flavor ----
template <int F> int init_op()
{
	sim(F).inits++;
	return sim(F).init_result;
}
template <int F> void cleanup_op()
{
	sim(F).cleanups++;
}
template <int F> int read_lock_op()
{
	sim(F).read_locks++;
	return ++sim(F).read_depth;
}
template <int F> void read_unlock_op(int cookie)
{
	if (cookie != sim(F).read_depth)
		die("read_unlock with another cookie than its read_lock's");
	sim(F).read_unlocks++;
	sim(F).read_depth--;
}
template <int F> void call_op(ru_rcu_head *head, ru_rcu_callback_t fn)
{
	flavor_sim &flavor = sim(F);
	const unsigned cpu = the().current_cpu;

	flavor.queued++;
	if (flavor.queued_on_cpu.size() <= cpu)
		flavor.queued_on_cpu.resize(cpu + 1);
	flavor.queued_on_cpu[cpu]++;
	if (flavor.lose) {
		flavor.lose--;
		flavor.lost.push_back({head, fn, cpu});
		return;
	}
	flavor.queue.push_back({head, fn, cpu});
}
template <int F> void barrier_op()
{
	sim(F).barriers++;
	sim(F).end_gp();
}
template <int F> void sync_expedited_op()
{
	sim(F).sync_expedited++;
	advance_clock(sim(F).sync_expedited_ns);
}
template <int F> void start_gp_op()
{
	sim(F).start_gps++;
}
template <int F> unsigned long gp_cookie_op()
{
	sim(F).gp_cookies++;
	return sim(F).gp_completed + 1;
}
template <int F> bool gp_elapsed_op(unsigned long cookie)
{
	return sim(F).gp_completed >= cookie;
}
template <int F> void expedite_op()
{
	push(sim(F), ++sim(F).expedites, sim(F).gp_at_expedite);
}
template <int F> unsigned kick_each_cpu_op()
{
	push(sim(F), ++sim(F).kicks, sim(F).gp_at_kick);
	return cpu_count() - 1;
}
template <int F> void wait_kicks_taken_op()
{
	sim(F).kicks_at_wait.push_back(sim(F).kicks);
}
template <int F> void invoke_ready_now_op()
{
	push(sim(F), ++sim(F).invoke_ready, sim(F).gp_at_invoke_ready);
}

template <int F> ru_flavor_ops common_ops(const char *name)
{
	ru_flavor_ops ops{};
	ops.name = name;
	ops.read_lock = read_lock_op<F>;
	ops.read_unlock = read_unlock_op<F>;
	ops.call = call_op<F>;
	ops.barrier = barrier_op<F>;
	return ops;
}

template <int F> void add_polled_gp(ru_flavor_ops &ops)
{
	ops.sync_expedited = sync_expedited_op<F>;
	ops.start_gp = start_gp_op<F>;
	ops.gp_cookie = gp_cookie_op<F>;
	ops.gp_elapsed = gp_elapsed_op<F>;
}

// Tables as glue.c fills them for the kernel in the world (its #ifdefs and setup_flavor_ops()).
ru_flavor_ops tables[RU_FLAVOR_COUNT];

void build_tables(const kernel &machine)
{
	const bool tree = machine.info.rcu != RU_RCU_TINY;

	ru_flavor_ops &rcu = tables[RU_FLAVOR_vanilla];
	rcu = common_ops<RU_FLAVOR_vanilla>("rcu");
	add_polled_gp<RU_FLAVOR_vanilla>(rcu);
	if (tree)
		rcu.expedite = expedite_op<RU_FLAVOR_vanilla>;
	else
		rcu.invoke_ready_now = invoke_ready_now_op<RU_FLAVOR_vanilla>;
	if (tree && machine.info.rcu_core_in_softirq) {
		rcu.kick_each_cpu = kick_each_cpu_op<RU_FLAVOR_vanilla>;
		rcu.wait_kicks_taken = wait_kicks_taken_op<RU_FLAVOR_vanilla>;
	}
	rcu.callbacks_are_the_last_use = true;

	ru_flavor_ops &srcu = tables[RU_FLAVOR_srcu];
	srcu = common_ops<RU_FLAVOR_srcu>("srcu");
	srcu.init = init_op<RU_FLAVOR_srcu>;
	srcu.cleanup = cleanup_op<RU_FLAVOR_srcu>;
	add_polled_gp<RU_FLAVOR_srcu>(srcu);
	srcu.expedite = expedite_op<RU_FLAVOR_srcu>;

	tables[RU_FLAVOR_tasks] = common_ops<RU_FLAVOR_tasks>("tasks");
}

thread_record &thread_of(ru_thread *thread)
{
	for (const auto &t : the().threads)
		if (reinterpret_cast<ru_thread *>(t.get()) == thread)
			return *t;
	die("a ru_thread the fake did not start");
}

unsigned should_stop_budget = 0;
bool in_thread = false;

// The record line as glue.c prints it.
void append(std::string &line, const char *key, ru_u64 value)
{
	line += ' ';
	line += key;
	line += '=';
	line += std::to_string(value);
}
void append(std::string &line, const char *key, const char *value)
{
	line += ' ';
	line += key;
	line += '=';
	line += value ? value : "(null)";
}
std::string copy(const char *value)
{
	return value ? value : "";
}
ru_u64 copy(ru_u64 value)
{
	return value;
}
} // namespace

// ---- kernel presets ----
kernel kernel::tiny()
{
	kernel k{};
	k.info.rcu = RU_RCU_TINY;
	k.info.preempt = RU_PREEMPT_NONE;
	k.info.online_cpus = 1;
	k.has_tasks_rcu = true;
	return k;
}

kernel kernel::tree(unsigned cpus)
{
	kernel k{};
	k.info.rcu = RU_RCU_TREE;
	k.info.preempt = RU_PREEMPT_NONE;
	k.info.rcu_core_in_softirq = true;
	k.info.online_cpus = cpus;
	k.has_tasks_rcu = true;
	return k;
}

kernel kernel::preempt(unsigned cpus)
{
	kernel k = tree(cpus);
	k.info.rcu = RU_RCU_TREE_PREEMPT;
	k.info.preempt = RU_PREEMPT_FULL;
	return k;
}

kernel kernel::rt(unsigned cpus)
{
	kernel k = preempt(cpus);
	k.info.preempt = RU_PREEMPT_RT;
	k.info.rcu_boost = true;
	k.info.rcu_core_in_softirq = false;
	return k;
}

kernel kernel::offloaded() const
{
	kernel k = *this;
	k.info.callbacks_offloaded = true;
	return k;
}

kernel kernel::no_softirq() const
{
	kernel k = *this;
	k.info.rcu_core_in_softirq = false;
	return k;
}

kernel kernel::without_tasks_rcu() const
{
	kernel k = *this;
	k.has_tasks_rcu = false;
	return k;
}

// ---- the simulated flavor ----
void flavor_sim::end_gp()
{
	gp_completed++;
	invoke_all();
}

unsigned long flavor_sim::invoke_all()
{
	std::vector<pending> ready;
	ready.swap(queue);
	for (const pending &p : ready) {
		p.fn(p.head);
		invoked++;
	}
	return ready.size();
}

// ---- the world ----
std::vector<std::string> world::logs_with(const std::string &needle) const
{
	std::vector<std::string> found;
	for (const log_line &l : logs)
		if (l.text.find(needle) != std::string::npos)
			found.push_back(l.text);
	return found;
}

std::string world::all_logs() const
{
	std::string text;
	for (const log_line &l : logs)
		text += l.text + "\n";
	return text;
}

world &the()
{
	if (!current)
		current = new world;
	return *current;
}

world &reset(const kernel &machine)
{
	if (current) {
		for (flavor_sim &flavor : current->flavors) {
			free_unrun(flavor.queue);
			free_unrun(flavor.lost);
		}
		delete current;
	}
	current = new world;
	current->machine = machine;
	should_stop_budget = 0;
	in_thread = false;
	return *current;
}

int run_thread(thread_record &thread, unsigned loops)
{
	world &w = the();
	const unsigned cpu = w.current_cpu;

	w.current_cpu = thread.cpu >= 0 ? static_cast<unsigned>(thread.cpu) : 0;
	should_stop_budget = loops;
	in_thread = true;
	const int ret = thread.fn(thread.arg);
	in_thread = false;
	w.current_cpu = cpu;
	return ret;
}

unsigned cpu_count()
{
	return the().machine.info.online_cpus;
}

} // namespace fake

using fake::the;

// ---- glue.h ----
#define FAKE_APPEND_FIELD(key, type, help) fake::append(line, #key, record->key);
#define FAKE_COPY_FIELD(key, type, help) out.key = fake::copy(record->key);

extern "C" void ru_emit_init_record(const ru_init_record *record)
{
	std::string line;
	fake::init_record out;

	RU_INIT_RECORD(FAKE_APPEND_FIELD)
	RU_INIT_RECORD(FAKE_COPY_FIELD)
	out.line = "init v=" + std::to_string(RU_RECORD_VERSION) + line;
	the().init_records.push_back(std::move(out));
}

extern "C" void ru_emit_exit_record(const ru_exit_record *record)
{
	std::string line;
	fake::exit_record out;

	RU_EXIT_RECORD(FAKE_APPEND_FIELD)
	RU_EXIT_RECORD(FAKE_COPY_FIELD)
	out.line = "exit v=" + std::to_string(RU_RECORD_VERSION) + line;
	the().exit_records.push_back(std::move(out));
}

extern "C" void ru_log(ru_log_level level, const char *fmt, ...)
{
	va_list args, again;

	va_start(args, fmt);
	va_copy(again, args);
	const int size = std::vsnprintf(nullptr, 0, fmt, args);
	std::string text(static_cast<std::size_t>(size > 0 ? size : 0), '\0');
	std::vsnprintf(text.data(), text.size() + 1, fmt, again);
	va_end(again);
	va_end(args);
	the().logs.push_back({level, std::move(text)});
}

extern "C" void *ru_alloc(unsigned long size)
{
	return std::malloc(size);
}

extern "C" void ru_free(void *ptr)
{
	std::free(ptr);
}

extern "C" unsigned long ru_alloc_size(const void *ptr)
{
	return malloc_usable_size(const_cast<void *>(ptr));
}

extern "C" ru_u64 ru_now_ns(void)
{
	return the().now_ns;
}

// Sleeps take their shortest allowed time.
extern "C" void ru_sleep_us(unsigned int min_us, unsigned int max_us)
{
	if (min_us > max_us)
		fake::die("ru_sleep_us with min > max");
	the().sleeps++;
	fake::advance_clock(1000ULL * min_us);
	if (the().on_sleep)
		the().on_sleep();
}

extern "C" void ru_delay_us(unsigned int us)
{
	the().delays++;
	fake::advance_clock(1000ULL * us);
}

extern "C" void ru_cond_resched(void)
{
	the().cond_rescheds++;
}

extern "C" void ru_yield(void)
{
	the().yields++;
}

extern "C" void ru_cpu_relax(void)
{
	the().relaxes++;
	fake::advance_clock(1000);
}

extern "C" void ru_bug(const char *why)
{
	fake::die(why);
}

extern "C" long ru_run_on_each_online_cpu(ru_per_cpu_fn fn, void *arg)
{
	fake::world &w = the();
	const unsigned count = fake::cpu_count();
	const unsigned caller = w.current_cpu;
	long ret = 0;

	for (unsigned cpu = 0; cpu < count; cpu++) {
		w.current_cpu = cpu;
		ret = fn(arg, cpu, cpu, count);
		if (ret < 0)
			break;
	}
	w.current_cpu = caller;
	return ret < 0 ? ret : 0;
}

struct ru_background {
	void (*fn)(void *arg);
	void *arg;
	bool done;
};

extern "C" int ru_background_start(void (*fn)(void *arg), void *arg, ru_background **out)
{
	if (the().background_error)
		return the().background_error;
	the().backgrounds++;
	*out = new ru_background{fn, arg, false};
	return 0;
}

// The worker runs a barrier: it is done once no flavor has a callback queued.
extern "C" int ru_background_done(ru_background *bg)
{
	if (!bg->done) {
		for (const fake::flavor_sim &flavor : the().flavors)
			if (!flavor.queue.empty())
				return 0;
		bg->fn(bg->arg);
		bg->done = true;
	}
	return 1;
}

extern "C" void ru_background_finish(ru_background *bg)
{
	if (!bg->done)
		bg->fn(bg->arg);
	the().backgrounds_finished++;
	delete bg;
}

extern "C" int ru_thread_start(int (*fn)(void *arg), void *arg, const char *name, int cpu,
			       ru_thread **out)
{
	fake::world &w = the();

	if (++w.thread_starts == w.fail_thread_at)
		return w.thread_error;
	auto thread = std::make_unique<fake::thread_record>();
	thread->fn = fn;
	thread->arg = arg;
	thread->name = name;
	thread->cpu = cpu;
	*out = reinterpret_cast<ru_thread *>(thread.get());
	w.threads.push_back(std::move(thread));
	return 0;
}

extern "C" int ru_thread_should_stop(void)
{
	if (!fake::in_thread)
		fake::die("ru_thread_should_stop outside a thread");
	if (fake::should_stop_budget) {
		fake::should_stop_budget--;
		return 0;
	}
	return 1;
}

extern "C" void ru_thread_stop(ru_thread *thread)
{
	fake::thread_record &t = fake::thread_of(thread);
	t.stops++;
	t.stopped = true;
}

extern "C" void ru_thread_boost(ru_thread *thread)
{
	fake::thread_of(thread).boosted = true;
}

extern "C" void ru_thread_unboost_self(void)
{
	the().unboost_self++;
}

extern "C" int ru_stop_machine_each_cpu(void)
{
	fake::world &w = the();

	w.stop_machines++;
	for (fake::flavor_sim &flavor : w.flavors)
		fake::push(flavor, w.stop_machines, flavor.gp_at_stop_machine);
	return 0;
}

extern "C" void ru_get_kernel_info(ru_kernel_info *info)
{
	*info = the().machine.info;
}

extern "C" const ru_flavor_ops *ru_flavor_get(ru_flavor_index flavor)
{
	const fake::kernel &machine = the().machine;

	fake::build_tables(machine);
	if (static_cast<unsigned>(flavor) >= RU_FLAVOR_COUNT)
		return nullptr;
	if (flavor == RU_FLAVOR_tasks && !machine.has_tasks_rcu)
		return nullptr;
	return &fake::tables[flavor];
}

// The resident expediter's C side (expediter_glue.c): its kthread is never run by these
// tests, so waiting for "switched on" returns at once and a wake-up is only counted.
extern "C" void ru_expediter_wait_until_on(void)
{
	the().expediter_waits++;
}

extern "C" void ru_expediter_wake(void)
{
	the().expediter_wakes++;
}
