/* Build date and source path compiled into data objects and read by a function: two
   builds on two days in two directories differ there, and `unstamp explain` names them. */
#include <stdio.h>

const char build_date[] = "built " __DATE__;
const char build_file[] = __FILE__;

int report(void)
{
    return printf("%s from %s\n", build_date, build_file);
}

int main(void)
{
    return report() < 0;
}
