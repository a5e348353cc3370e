#include "lib/containers.h"

extern "C" int _purecall() { return 0; }
void operator delete(void *, unsigned long long) noexcept {}
void operator delete(void *) noexcept {}
extern "C" int _fltused = 0;

static int use_templates() {
  shapes::Vec<int, 4> vi{{1, 2, 3, 4}};
  shapes::Vec<double, 3> vd{{0.5, 1.5, 2.0}};
  shapes::Stack<int> si;
  shapes::Stack<const char *> ss;
  si.push(vi.sum());
  si.push(static_cast<int>(vd.sum()));
  ss.push(shapes::Stack<int>::origin());
  ss.push(__FILE__);
  return si.pop() + si.size() + ss.pop()[0] + ss.size();
}

extern "C" int mainCRTStartup() {
  shapes::Rect r(2, 3);
  shapes::Square q(4);
  const shapes::Shape *all[] = {&r, &q};
  shapes::Color c = shapes::Color::Green;
  return shapes::total_area(all, 2) + use_templates() + static_cast<int>(c) + q.where()[0] +
         shapes::long_origin()[0] + static_cast<int>(shapes::wide_origin()[0]);
}
