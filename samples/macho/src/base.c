/* libbase.dylib: the dependency that gives libdemo.dylib an LC_LOAD_DYLIB. */
int base_value(int x) { return x * 3 + 1; }
