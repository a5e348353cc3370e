#include <stdio.h>

__declspec(dllimport) int foo_add(int a, int b);
__declspec(dllimport) const char *foo_name(void);

int main(void) {
  printf("%s %d\n", foo_name(), foo_add(2, 3));
  return 0;
}
