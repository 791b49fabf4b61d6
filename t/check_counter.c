#include <check.h>
#include "testutil.h"
int
main(void)
{
	return tu_run(suite_create("counter")) != 0;
}
