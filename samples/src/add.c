/* unstamp sample source: short member name (add.o) */
int demo_add(int a, int b) { return a + b; }
