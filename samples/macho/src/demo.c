/* libdemo.dylib (with util.c); calls into libbase.dylib. */
int base_value(int x);
int demo_add(int a, int b) { return base_value(a) + b; }
