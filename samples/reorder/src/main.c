/* The hand-written part: mix() and an entry point that calls every derive. No libc, so
   the same file links for ELF, Mach-O and Windows without a system library. */
#ifndef EXPORT
#define EXPORT
#endif
struct point { int x, y; };
int derive_Clone(const struct point *p);
int derive_Debug(const struct point *p);
int derive_Hash(const struct point *p);
int derive_PartialEq(const struct point *p);
int derive_Eq(const struct point *p);
int derive_Default(const struct point *p);
int derive_PartialOrd(const struct point *p);
int derive_Ord(const struct point *p);

EXPORT int mix(int a, int b)
{
    return (a << 5) ^ (a >> 3) ^ b;
}

EXPORT int run(int x)
{
    struct point p = { x, x * 2 };
    return derive_Clone(&p) + derive_Debug(&p) + derive_Hash(&p) + derive_PartialEq(&p) +
           derive_Eq(&p) + derive_Default(&p) + derive_PartialOrd(&p) + derive_Ord(&p);
}
