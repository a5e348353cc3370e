/* A library function and a data object, for the ELF samples. */
const char greeting[] = "hello";
int greet_count;

int greet(int n)
{
    greet_count += n;
    return greet_count * (int)sizeof greeting;
}
