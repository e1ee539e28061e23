// An object whose symbols are those module_init() and module_exit() define in a .ko.
extern "C" int init_module() { return 0; }
extern "C" void cleanup_module() {}
