/*
 * rpc_log.c — Kubo's `log` commands on trove's one log (common/tr.h):
 *
 *   log/level arg=SUBSYSTEM arg=LEVEL   show or change the level
 *   log/ls                              {"Strings": ["trove"]}
 *   log/tail                            NDJSON, a line per log line from
 *                                       now on, until the client goes
 *
 * log/tail's lines are go-log's JSON ({"level", "ts", "logger", "msg"}),
 * so kubo-rpc-client's log.tail reads them.  The log's tap (tr_log_tap)
 * is set while someone tails: it copies each line, from whichever thread
 * logs it, into a buffer and wakes the loop, which writes the lines to
 * every tail.  The buffer holds at most RPC_TAIL_BUF bytes and a tail
 * whose client reads slower than the log grows is skipped past
 * RPC_TAIL_BEHIND bytes unsent: a line lost to a tail, never a stalled
 * loop or unbounded memory.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpc_int.h"

#define RPC_TAIL_MAX 16
#define RPC_TAIL_BUF (1u << 20)
#define RPC_TAIL_BEHIND (4u << 20)

struct rpc_logtail {
  uv_async_t wake;
  pthread_mutex_t mu;
  tr_bytes_t pending; /* records: level, ts len, ts, line len (2), line */
  uint64_t dropped;
  http_req_t *subs[RPC_TAIL_MAX];
  size_t nsubs;
  rpc_ctx_t *ctx;
};

/* ---------------------------------------------------------- log/level */


/* log/level arg=SUBSYSTEM arg=LEVEL: Kubo's, on trove's one log (the
 * subsystem "trove"; "all" and "*" name it too).  With a level: set it
 * (debug, info, warn, error; Kubo's dpanic, panic and fatal as error;
 * "default" the level the daemon started with) and answer {"Message":
 * "Changed log level of 'S' to 'L'\n"}; without one: {"Levels": {...}},
 * "(default)" for the level when no subsystem is named. */
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void rpc_cmd_log_level(http_req_t *req, rpc_ctx_t *ctx) {
  static int start_level = -1;
  if (start_level < 0)
    start_level = tr_log_current();
  char **args = NULL;
  size_t n = 0;
  if (rpc_args(req, "arg", &args, &n) || n > 2) {
    rpc_strv_free(args, n);
    rpc_error(req, 400, "invalid argument");
    return;
  }
  (void)ctx;
  const char *sub = n ? args[0] : NULL, *lvl = n > 1 ? args[1] : NULL;
  bool all = sub && (!strcmp(sub, "all") || !strcmp(sub, "*"));
  if (sub && !all && strcmp(sub, "trove")) {
    rpc_error(req, 500, "subsystem %s not found: trove has one log, "
              "\"trove\" (or all)", sub);
    rpc_strv_free(args, n);
    return;
  }
  if (lvl) {
    int l = !strcmp(lvl, "default") ? start_level : tr_log_parse(lvl);
    if (l < 0 && (!strcmp(lvl, "dpanic") || !strcmp(lvl, "panic") ||
                  !strcmp(lvl, "fatal")))
      l = TR_LOG_ERROR;
    if (l < 0) {
      rpc_error(req, 500, "unrecognized level: \"%s\"", lvl);
      rpc_strv_free(args, n);
      return;
    }
    tr_log_level(l);
    char msg[200];
    snprintf(msg, sizeof msg, "Changed log level of '%s' to '%s'\n",
             all ? "*" : sub, lvl);
    tr_log(TR_LOG_INFO, "%.*s", (int)strlen(msg) - 1, msg);
    rpc_api_json(req, json_pack("{s:s}", "Message", msg));
  } else {
    const char *cur = level_names[tr_log_current()];
    rpc_api_json(req, !sub  ? json_pack("{s:{s:s}}", "Levels", "(default)", cur)
                      : all ? json_pack("{s:{s:s,s:s}}", "Levels", "(default)",
                                        cur, "trove", cur)
                            : json_pack("{s:{s:s}}", "Levels", "trove", cur));
  }
  rpc_strv_free(args, n);
}

/* ------------------------------------------------------------- log/ls */

void rpc_cmd_log_ls(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  rpc_api_json(req, json_pack("{s:[s]}", "Strings", "trove"));
}

/* ----------------------------------------------------------- log/tail */

/* The tap: any thread, under the log's lock. */
static void tap(void *ud, int level, const char *ts, const char *line) {
  struct rpc_logtail *t = ud;
  size_t tl = strlen(ts), ll = strlen(line);
  tl = tl > 255 ? 255 : tl;
  ll = ll > 65535 ? 65535 : ll;
  uint8_t h[2] = {(uint8_t)level, (uint8_t)tl};
  uint8_t lh[2] = {(uint8_t)(ll >> 8), (uint8_t)ll};
  pthread_mutex_lock(&t->mu);
  if (t->pending.len + 4 + tl + ll > RPC_TAIL_BUF ||
      tr_bytes_append(&t->pending, h, 2) ||
      tr_bytes_append(&t->pending, ts, tl) ||
      tr_bytes_append(&t->pending, lh, 2) ||
      tr_bytes_append(&t->pending, line, ll))
    t->dropped++;
  pthread_mutex_unlock(&t->mu);
  uv_async_send(&t->wake);
}

static void on_wake(uv_async_t *a) {
  struct rpc_logtail *t = a->data;
  tr_bytes_t b;
  pthread_mutex_lock(&t->mu);
  b = t->pending;
  t->pending = (tr_bytes_t){0};
  pthread_mutex_unlock(&t->mu);
  static const char *const names[] = {"error", "warn", "info", "debug"};
  for (size_t off = 0; off + 2 <= b.len;) {
    int level = b.data[off];
    size_t tl = b.data[off + 1];
    const char *ts = (const char *)b.data + off + 2;
    size_t ll = (size_t)b.data[off + 2 + tl] << 8 | b.data[off + 3 + tl];
    const char *line = ts + tl + 2;
    off += 4 + tl + ll;
    json_t *o = json_pack("{s:s,s:s%,s:s,s:s%}", "level",
                          names[level < 0 || level > 3 ? 0 : level], "ts", ts,
                          tl, "logger", "trove", "msg", line, ll);
    char *s = o ? rpc_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)
                : NULL;
    json_decref(o);
    for (size_t i = 0; s && i < t->nsubs; i++)
      if (http_res_buffered(t->subs[i]) < RPC_TAIL_BEHIND) {
        http_res_write(t->subs[i], s, strlen(s));
        http_res_write(t->subs[i], "\n", 1);
      }
    free(s);
  }
  tr_bytes_free(&b);
  for (size_t i = 0; i < t->nsubs; i++) /* lines are news: out now */
    http_res_flush(t->subs[i]);
}

static void on_closed(uv_handle_t *h) {
  struct rpc_logtail *t = h->data;
  tr_bytes_free(&t->pending);
  pthread_mutex_destroy(&t->mu);
  tr_free(t);
}

/* Stop tapping and let the handle go (on the loop). */
static void tail_close(rpc_ctx_t *ctx) {
  struct rpc_logtail *t = ctx->logtail;
  ctx->logtail = NULL;
  tr_log_tap(NULL, NULL);
  uv_close((uv_handle_t *)&t->wake, on_closed);
}

static void sub_gone(http_req_t *req, void *ud) {
  rpc_ctx_t *ctx = ud;
  struct rpc_logtail *t = ctx->logtail;
  for (size_t i = 0; t && i < t->nsubs; i++)
    if (t->subs[i] == req) {
      t->subs[i] = t->subs[--t->nsubs];
      break;
    }
  http_req_on_close(req, NULL, NULL);
  http_res_end(req);
  if (t && !t->nsubs)
    tail_close(ctx);
}

void rpc_cmd_log_tail(http_req_t *req, rpc_ctx_t *ctx) {
  struct rpc_logtail *t = ctx->logtail;
  if (!t) {
    if (!(t = tr_calloc(1, sizeof *t))) {
      rpc_error(req, 500, "out of memory");
      return;
    }
    t->ctx = ctx;
    t->wake.data = t;
    if (pthread_mutex_init(&t->mu, NULL) ||
        uv_async_init(ctx->loop, &t->wake, on_wake)) {
      tr_free(t);
      rpc_error(req, 500, "log tail: cannot start");
      return;
    }
    ctx->logtail = t;
    tr_log_tap(tap, t);
  }
  if (t->nsubs == RPC_TAIL_MAX) {
    rpc_error(req, 503, "log tail: %d tails already", RPC_TAIL_MAX);
    return;
  }
  t->subs[t->nsubs++] = req;
  http_req_on_close(req, sub_gone, ctx);
  rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
  http_res_flush(req);
}

void rpc__logtail_free(rpc_ctx_t *ctx) {
  struct rpc_logtail *t = ctx->logtail;
  if (!t)
    return;
  /* After the loop: the walk has closed the handle without a callback. */
  tr_log_tap(NULL, NULL);
  tr_bytes_free(&t->pending);
  pthread_mutex_destroy(&t->mu);
  tr_free(t);
  ctx->logtail = NULL;
}
