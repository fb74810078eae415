/*
 * remote.c — the plumbing of the commands that talk to a running daemon
 * (remote_int.h): building the query, starting the call, reading the
 * answer's JSON values.  Below cmd_remote.c (simple commands and the
 * table) and cmd_remote_up.c (uploads), which both use it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../node/daemon.h"
#include "remote_int.h"

/* ------------------------------------------------------------ plumbing */

int cli__qadd(remote_t *r, const char *k, const char *v) {
  if (cli_query_add(&r->q, k, v)) {
    cli_failf("%s: out of memory", r->what);
    return 1;
  }
  return 0;
}

/* Open the connection and send the request line (body if ctype). */
int cli__start(remote_t *r, const char *cmd, const char *ctype) {
  char target[128];
  snprintf(target, sizeof target, "/api/v0/%s", cmd);
  tr_bytes_t t = {0};
  int rc = tr_bytes_append(&t, target, strlen(target));
  if (!rc && r->q.len)
    rc = tr_bytes_append(&t, r->q.data, r->q.len);
  if (!rc)
    rc = tr_bytes_append(&t, "", 1);
  /* The daemon's Unix socket when it has one (node_daemon_sock), else the
   * TCP address its api file gave. */
  char sock[4200];
  if (!rc && (!node_daemon_sock(r->cli->repo, sock, sizeof sock) ||
              cli_http_open_unix(&r->h, sock)) &&
      (rc = cli_http_open(&r->h, r->host, r->port)))
    cli_failf("%s: cannot reach the daemon at %s:%d: %s", r->what, r->host,
              r->port, strerror(-rc));
  else if (!rc && (rc = cli_http_request(&r->h, (const char *)t.data, ctype)))
    cli_failf("%s: sending to the daemon: %s", r->what, strerror(-rc));
  tr_bytes_free(&t);
  return rc ? 1 : 0;
}

/* Read the response head; a non-200 answer is reported. */
int cli__answer(remote_t *r) {
  int rc = cli_http_response(&r->h);
  if (rc)
    return cli_failf("%s: no answer from the daemon: %s", r->what,
                     tr_strerror(rc));
  if (r->h.status != 200) {
    char msg[1024];
    cli_http_error(&r->h, msg, sizeof msg);
    return cli_failf("%s: %s", r->what, msg);
  }
  return 0;
}

int cli__call(remote_t *r, const char *cmd) {
  return cli__start(r, cmd, NULL) || cli__answer(r) ? 1 : 0;
}

/* Next NDJSON value of the answer: 1 and *o, 0 at the end; an error value
 * in the stream (Kubo's {"Message","Type":"error"}), an X-Stream-Error
 * trailer at the end or a cut answer is reported and gives -1. */
int cli__next_value(remote_t *r, json_t **o) {
  static char line[1 << 16];
  size_t n;
  *o = NULL;
  for (;;) {
    int rc = cli_http_line(&r->h, line, sizeof line, &n);
    if (rc < 0) {
      cli_failf("%s: the daemon's answer was cut: %s", r->what,
                tr_strerror(rc));
      return -1;
    }
    if (rc == 0 && r->h.stream_error[0]) {
      cli_failf("%s: %s", r->what, r->h.stream_error);
      return -1;
    }
    if (rc == 0)
      return 0;
    if (n == 0)
      continue;
    *o = json_loadb(line, n, JSON_DECODE_ANY, NULL);
    if (!*o) {
      cli_failf("%s: malformed answer from the daemon", r->what);
      return -1;
    }
    const char *type = json_string_value(json_object_get(*o, "Type"));
    if (type && !strcmp(type, "error")) {
      cli_failf("%s: %s", r->what,
                json_string_value(json_object_get(*o, "Message")));
      json_decref(*o);
      *o = NULL;
      return -1;
    }
    return 1;
  }
}

/* The body of the answer to stdout. */
int cli__body_out(remote_t *r) {
  static uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = cli_http_read(&r->h, buf, sizeof buf);
    if (n < 0)
      return cli_failf("%s: the daemon's answer was cut: %s", r->what,
                       tr_strerror((int)n));
    if (n == 0)
      return 0;
    int rc = cli_write_out(buf, (size_t)n);
    if (rc)
      return cli_failf("%s: writing: %s", r->what, strerror(-rc));
  }
}

json_t *cli__ask(remote_t *r, const char *cmd) {
  json_t *o;
  if (cli__call(r, cmd) || cli__next_value(r, &o) <= 0)
    return NULL;
  json_t *t = json_object_get(o, "Type");
  if (json_is_string(t) && !strcmp(json_string_value(t), "error")) {
    cli_failf("%s", cli__jstr(o, "Message"));
    json_decref(o);
    return NULL;
  }
  return o;
}

bool cli__passes_fds(remote_t *r) {
  const char *off = getenv("TROVE_PASS_FDS");
  char sock[4200];
  cli_http_t *h = NULL;
  if ((off && !strcmp(off, "0")) ||
      !node_daemon_sock(r->cli->repo, sock, sizeof sock) ||
      !(h = tr_malloc(sizeof *h)) || cli_http_open_unix(h, sock)) {
    tr_free(h);
    return false;
  }
  bool yes = false;
  char body[256];
  size_t len;
  if (!cli_http_request(h, "/api/v0/passfd", NULL) &&
      !cli_http_response(h) && h->status == 200 &&
      cli_http_line(h, body, sizeof body, &len) == 1) {
    json_t *o = json_loadb(body, len, 0, NULL);
    yes = json_is_true(json_object_get(o, "PassFd"));
    json_decref(o);
  }
  cli_http_close(h);
  tr_free(h);
  return yes;
}

const char *cli__jstr(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

int cli__qopts(remote_t *r, const rpc_vals_t *v) {
  for (size_t k = 0; v->def->opts[k].name; k++) {
    const rpc_optdef_t *o = &v->def->opts[k];
    if (!o->rpc || !v->v[k].set)
      continue;
    const char *val = o->type == RPC_OPT_BOOL ? (v->v[k].b ? "true" : "false")
                                              : v->v[k].s;
    if (cli__qadd(r, o->rpc, val))
      return 1;
  }
  return 0;
}

int cli__qargs(remote_t *r, int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (cli__qadd(r, "arg", argv[i]))
      return 1;
  return 0;
}
