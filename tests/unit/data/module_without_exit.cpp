// An object whose symbols are those module_init() alone defines in a .ko (vrf's case), and a
// reference to cleanup_module, which an undefined symbol must not count as an exit function.
extern "C" void cleanup_module();
extern "C" int init_module() { return cleanup_module != nullptr; }
