/* The DLL (Windows targets only): exports two functions built on the static library. */
int demo_add(int a, int b);
int demo_scale(int x, int factor);

__declspec(dllexport) int demodll_sum3(int a, int b, int c) { return demo_add(demo_add(a, b), c); }
__declspec(dllexport) int demodll_triple(int x) { return demo_scale(x, 3); }
