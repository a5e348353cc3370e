// Templates and classes: many TPI records (LF_CLASS, LF_FIELDLIST, LF_MFUNCTION) and
// IPI records (LF_FUNC_ID, LF_MFUNC_ID, LF_UDT_SRC_LINE naming this header's path).
#pragma once

#define WIDEN2(x) L##x
#define WIDEN(x) WIDEN2(x)

namespace shapes {

template <typename T, int N>
struct Vec {
  T v[N];
  T sum() const {
    T s = T();
    for (int i = 0; i < N; i++) s += v[i];
    return s;
  }
  T &operator[](int i) { return v[i]; }
};

template <typename T>
class Stack {
 public:
  void push(T x) { items[count++] = x; }
  T pop() { return items[--count]; }
  int size() const { return count; }
  static const char *origin() { return __FILE__; }

 private:
  T items[16];
  int count = 0;
};

struct Shape {
  virtual ~Shape() {}
  virtual int area() const = 0;
  virtual const char *where() const;
};

struct Rect : Shape {
  int w, h;
  Rect(int w, int h) : w(w), h(h) {}
  int area() const override { return w * h; }
};

struct Square : Rect {
  explicit Square(int s) : Rect(s, s) {}
  const char *where() const override;
};

enum class Color { Red, Green, Blue };

int total_area(const Shape *const *shapes, int n);
const wchar_t *wide_origin();
const char *long_origin();

}  // namespace shapes
