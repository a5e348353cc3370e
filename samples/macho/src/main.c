/* app: calls libdemo.dylib and the libextra.a member. Freestanding, no SDK. */
int demo_add(int a, int b);
int extra_twice(int x);
int main(void) { return extra_twice(demo_add(2, 3)); }
