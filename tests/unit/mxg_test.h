/*
 * mxg_test.h: shared helpers for the Check unit tests. Each test file
 * defines `static Suite *suite(void)` and uses MXG_TEST_MAIN.
 */
#ifndef MXG_TEST_H
#define MXG_TEST_H

#include <sys/stat.h>
#include <sys/types.h>

#include <check.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A fresh directory under tests/tmp for this test program. */
static inline const char *
mxg_test_dir(const char *name)
{
	static char dir[256];

	snprintf(dir, sizeof(dir), "tests/tmp/%s.%ld", name, (long)getpid());
	if (system("mkdir -p tests/tmp") != 0)
		return NULL;
	mkdir(dir, 0750);
	return dir;
}

#define MXG_TEST_MAIN                                                          \
	int main(void)                                                         \
	{                                                                      \
		SRunner *sr = srunner_create(suite());                         \
		int failed;                                                    \
		srunner_run_all(sr, CK_NORMAL);                                \
		failed = srunner_ntests_failed(sr);                            \
		srunner_free(sr);                                              \
		return failed == 0 ? 0 : 1;                                    \
	}

#endif
