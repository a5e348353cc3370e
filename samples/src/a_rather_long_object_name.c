/* unstamp sample source: member name > 15 chars (needs // table or #1/N) */
static const char greeting[] = "hello from a long-named member";
const char *demo_greeting(void) { return greeting; }
int demo_counter;
