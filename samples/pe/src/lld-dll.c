/* Freestanding DLL for clang + lld-link (/dll /nodefaultlib). */
__declspec(dllexport) int counter = 42;

__declspec(dllexport) int add(int a, int b) { return a + b; }

__declspec(dllexport) int next_counter(void) { return ++counter; }

int _DllMainCRTStartup(void *module, unsigned reason, void *reserved) {
  (void)module; (void)reason; (void)reserved;
  return 1;
}
