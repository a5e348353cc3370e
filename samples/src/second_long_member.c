/* unstamp sample source: second long member name (second offset in //) */
extern int demo_add(int, int);
int demo_twice(int x) { return demo_add(x, x); }
