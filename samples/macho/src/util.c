/* libdemo.dylib (with demo.c); has a static variable (N_STSYM stab). */
static int counter;
int demo_count(void) { return ++counter; }
