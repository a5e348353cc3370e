const char *greet_file(void);
int greet_add(int a, int b);
