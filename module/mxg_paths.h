/*
 * mxg_paths.h: the compiled-in default rules file and store, in one
 * place for every part of the engine.
 */
#ifndef MXG_PATHS_H
#define MXG_PATHS_H

#ifndef MXG_SYSCONFDIR
#define MXG_SYSCONFDIR "/etc"
#endif
#ifndef MXG_LOCALSTATEDIR
#define MXG_LOCALSTATEDIR "/var"
#endif
#define MXG_DEFAULT_RULES MXG_SYSCONFDIR "/mxgrey/mxgrey.conf"
#define MXG_DEFAULT_STORE MXG_LOCALSTATEDIR "/lib/mxgrey/mxgrey.tdb"

#endif
