/* Freestanding x86/x64 console program for clang + lld-link without any
   Windows SDK or CRT: no headers, linked with /nodefaultlib /entry. */
struct point { int x, y; };

int helper(int x);

static int norm1(struct point p) { return (p.x < 0 ? -p.x : p.x) + (p.y < 0 ? -p.y : p.y); }

int mainCRTStartup(void) {
  struct point p = { 3, -4 };
  return helper(41) - 42 + norm1(p) - 7;
}
