/* Part of the static library demo. */
int demo_add(int a, int b);

int demo_scale(int x, int factor) {
  int sum = 0;
  for (int i = 0; i < factor; i++) sum = demo_add(sum, x);
  return sum;
}
