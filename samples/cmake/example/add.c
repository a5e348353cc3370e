/* Part of the static library demo. */
int demo_add(int a, int b) { return a + b; }
