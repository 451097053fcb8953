/*
 * mxg_log.c: format a line and hand it to the host.
 */
#include <stdarg.h>
#include <stdio.h>

#include "mxg_log.h"

void
mxg_log(const struct mxg_log *log, int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (log == NULL || log->fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log->fn(log->ctx, level, line);
}
