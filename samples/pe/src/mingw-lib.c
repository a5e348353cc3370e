int util_twice(int x);

__declspec(dllexport) int foo_counter = 42;

__declspec(dllexport) int foo_add(int a, int b) { return a + b; }

__declspec(dllexport) const char *foo_name(void) { return "foo"; }

__declspec(dllexport) int foo_twice(int x) { return util_twice(x); }
