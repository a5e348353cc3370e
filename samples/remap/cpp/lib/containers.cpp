#include "containers.h"

namespace shapes {

// __FILE__ here is longer than the 32 characters a literal symbol's name spells.
const char *Shape::where() const { return __FILE__; }
const char *Square::where() const { return "square in " __FILE__; }
const char *long_origin() { return "built from " __FILE__ " with clang for Windows"; }
const wchar_t *wide_origin() { return WIDEN(__FILE__); }

// A path in a data section of its own (not a literal): its section contribution's DataCrc hashes it.
extern const char where_built[];
const char where_built[] = __FILE__;

namespace {
struct Hidden {
  int x;
};
int hidden_twice(Hidden h) { return h.x * 2; }
}  // namespace

int total_area(const Shape *const *shapes, int n) {
  int s = 0;
  for (int i = 0; i < n; i++) s += shapes[i]->area();
  Hidden h{s};
  return hidden_twice(h) / 2 + where_built[0] - where_built[0];
}

}  // namespace shapes
