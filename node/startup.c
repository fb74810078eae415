/*
 * startup.c — how the daemon's start-up says what failed (node_int.h).
 */
#include "node_int.h"

#include <stdarg.h>
#include <stdio.h>

int node__fail(const node_daemon_opts_t *o, int rc, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (o->err && o->errsz)
    snprintf(o->err, o->errsz, "%s", msg);
  else
    tr_log(TR_LOG_ERROR, "%s", msg);
  return rc;
}
