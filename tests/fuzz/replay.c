/*
 * replay.c: runs a fuzz target's LLVMFuzzerTestOneInput over files and
 * directories given on the command line, with the normal compiler, so the
 * seed corpus is part of every test run. Each input sits in a buffer of
 * exactly its size, so sanitizers catch reads past the end.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
one(const char *path)
{
	unsigned char *buf;
	struct stat st;
	size_t len;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	if (fstat(fileno(f), &st) == -1 || st.st_size < 0) {
		perror(path);
		fclose(f);
		return -1;
	}
	len = (size_t)st.st_size;
	if ((buf = malloc(len ? len : 1)) == NULL ||
	    fread(buf, 1, len, f) != len) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
walk(const char *path, unsigned *n)
{
	struct dirent *de;
	struct stat st;
	char sub[4096];
	DIR *d;
	int rc = 0;

	if (stat(path, &st) == -1) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*n)++;
		return one(path);
	}
	if ((d = opendir(path)) == NULL) {
		perror(path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (walk(sub, n) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned n = 0;
	int i, rc = 0;

	for (i = 1; i < argc; i++)
		if (walk(argv[i], &n) != 0)
			rc = 1;
	printf("%u inputs replayed\n", n);
	return rc;
}
