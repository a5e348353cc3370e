/* libextra.a member linked into the app (gives an "archive(member)" N_OSO). */
int extra_twice(int x) { return 2 * x; }
