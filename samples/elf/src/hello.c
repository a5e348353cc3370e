#include <stdio.h>

extern int greet(int n);

int main(int argc, char **argv)
{
    (void)argv;
    printf("%d\n", greet(argc));
    return 0;
}
