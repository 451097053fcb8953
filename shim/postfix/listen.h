/*
 * listen.h: open a listening socket from a Postfix-style address.
 */
#ifndef MXG_LISTEN_H
#define MXG_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

/*
 * mxg_listen: listen on spec, one of "inet:HOST:PORT", "inet:[V6]:PORT",
 * "inet:PORT" (127.0.0.1), "unix:PATH" or "/PATH"; PORT is decimal,
 * 1..65535 (anything else is refused, not wrapped or left to the
 * kernel to choose). PATH is used as given: the caller makes it absolute
 * (mxg_daemon_abssocket) before it detaches. A unix socket replaces
 * a stale socket at PATH, gets mode and, when owner is not (uid_t)-1,
 * owner and group. The socket is non-blocking and close-on-exec. Returns
 * the descriptor, or -1 with a message in err (errsize bytes).
 */
int mxg_listen(const char *spec, int mode, uid_t owner, gid_t group, char *err,
    size_t errsize);

#endif
