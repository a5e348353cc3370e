/* Build date and source path compiled into data objects and into the code of a function:
   two builds on two days in two directories differ there, and `unstamp explain` names them. */
#include <stdio.h>

const char build_date[] = "built " __DATE__;
const char build_file[] = __FILE__;

/* The day of the month, folded by the compiler into an immediate operand. */
int build_day(void)
{
    return (__DATE__[4] == ' ' ? 0 : (__DATE__[4] - '0') * 10) + (__DATE__[5] - '0');
}

int report(void)
{
    return printf("%s (day %d) from %s\n", build_date, build_day(), build_file);
}

int main(void)
{
    return report() < 0;
}
