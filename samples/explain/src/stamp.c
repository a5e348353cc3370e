/* A freestanding Windows program (no headers, no CRT: linked with
   /nodefaultlib /entry:mainCRTStartup) that keeps the moment and the place of
   its build: what unstamp cannot normalize, and `unstamp explain a b` finds. */
const char build_date[] = "date: " __DATE__;
const char build_time[] = "time: " __TIME__;
const char build_file[] = "file: " __FILE__;

static int sum(const char *s) {
  int n = 0;
  while (*s) n += *s++;
  return n;
}

int mainCRTStartup(void) { return (sum(build_date) + sum(build_time) + sum(build_file)) & 0x7f; }
