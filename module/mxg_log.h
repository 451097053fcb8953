/*
 * mxg_log.h: the engine's one way to speak, through the host's callback.
 */
#ifndef MXG_LOG_H
#define MXG_LOG_H

struct mxg_log {
	void (*fn)(void *ctx, int level, const char *msg);
	void *ctx;
};

/*
 * mxg_log: format with a constant format string of ours (never text from
 * a rules file or a request as the format) and hand the line to the
 * host. Silently does nothing when the host gave no callback.
 */
void mxg_log(const struct mxg_log *log, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
