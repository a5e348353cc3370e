/* Bytes that do not depend on the clock: an archive of this object differs
   between builds only in its member headers, which unstamp rewrites. */
int answer(void) { return 42; }
