/*
 * mxg_export.h: the one marker for functions of the public API. Every
 * other symbol stays hidden (-fvisibility=hidden + version script).
 */
#ifndef MXG_EXPORT_H
#define MXG_EXPORT_H

#define MXG_EXPORT __attribute__((visibility("default")))

#endif
