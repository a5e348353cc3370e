#include "greet.h"

#ifdef FREESTANDING
/* No C library (a Windows target without an SDK): the entry point returns a value. */
int mainCRTStartup(void) {
  static const char here[] = __FILE__;
  return here[0] + greet_file()[0] + greet_add(2, 3);
}
#else
#include <stdio.h>

int main(void) {
  printf("%s\n%s\n%d\n", __FILE__, greet_file(), greet_add(2, 3));
  return 0;
}
#endif
