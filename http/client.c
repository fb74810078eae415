/*
 * client.c — the HTTP client's API (client.h): the client object, making
 * requests, the FIFO of requests waiting for a connection with its
 * deadline timer, and dispatch, which gives each waiting request a pooled
 * idle connection of its host:port or a new one within the limits.
 * client_conn.c does everything on the socket; client_parse.c the bytes.
 *
 * Dispatch scans the connections for each waiting request (at most
 * max_conns of them, 64 by default) rather than keeping a table per host:
 * fewer structures to keep in step, and the scans are short.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "client_int.h"

void http_client_opts_default(http_client_opts_t *o) {
  memset(o, 0, sizeof *o);
  o->connect_timeout_ms = HTTP_CLIENT_CONNECT_TIMEOUT_MS;
  o->header_timeout_ms = HTTP_CLIENT_HEADER_TIMEOUT_MS;
  o->idle_timeout_ms = HTTP_CLIENT_IDLE_TIMEOUT_MS;
  o->deadline_ms = HTTP_CLIENT_DEADLINE_MS;
  o->max_header_bytes = HTTP_CLIENT_MAX_HEADER_BYTES;
  o->max_body_bytes = HTTP_CLIENT_MAX_BODY_BYTES;
  o->max_conns_per_host = HTTP_CLIENT_CONNS_PER_HOST;
  o->max_conns = HTTP_CLIENT_MAX_CONNS;
  o->keepalive_ms = HTTP_CLIENT_KEEPALIVE_MS;
  o->max_queued = HTTP_CLIENT_MAX_QUEUED;
  o->user_agent = HTTP_CLIENT_USER_AGENT;
}

/* ------------------------------------------------------ waiting requests */

static void on_qtimer(uv_timer_t *t);

/* Arm the queue's timer for the earliest deadline of a waiting request. */
static void queue_arm(http_client_t *cl) {
  if (cl->handles_closing)
    return;
  uint64_t due = UINT64_MAX;
  for (http_creq_t *r = cl->wait_head; r; r = r->next)
    if (r->deadline_ms && r->deadline_ms < due)
      due = r->deadline_ms;
  if (due == UINT64_MAX) {
    uv_timer_stop(&cl->qtimer);
    return;
  }
  uint64_t now = uv_now(cl->loop);
  uv_timer_start(&cl->qtimer, on_qtimer, due > now ? due - now : 0, 0);
}

static void on_qtimer(uv_timer_t *t) {
  http_client_t *cl = t->data;
  uint64_t now = uv_now(cl->loop);
  for (http_creq_t *r = cl->wait_head; r;) {
    http_creq_t *next = r->next; /* finish relinks r into the done list */
    if (r->deadline_ms && r->deadline_ms <= now)
      http__creq_finish(r, -ETIMEDOUT);
    r = next;
  }
  queue_arm(cl);
}

/* The oldest idle connection, for closing when the client is at
 * max_conns and a request of another host waits. */
static http_cconn_t *oldest_idle(http_client_t *cl) {
  http_cconn_t *best = NULL;
  for (http_cconn_t *c = cl->conns; c; c = c->next)
    if (c->state == CC_IDLE && (!best || c->idle_since < best->idle_since))
      best = c;
  return best;
}

/* Try to start req; true when it left the queue.  May close an idle
 * connection, open one, or hand req to an idle one. */
static bool try_start(http_client_t *cl, http_creq_t *req) {
  http_cconn_t *idle = NULL;
  uint32_t nhost = 0;
  for (http_cconn_t *c = cl->conns; c; c = c->next) {
    if (strcmp(c->key, req->key))
      continue;
    nhost++;
    /* The most recently idle one: older ones then expire. */
    if (c->state == CC_IDLE && (!idle || c->idle_since >= idle->idle_since))
      idle = c;
  }
  if (!idle && nhost >= cl->o.max_conns_per_host)
    return false;
  if (!idle && cl->nconns >= cl->o.max_conns) {
    http_cconn_t *old = oldest_idle(cl);
    if (!old)
      return false;
    http__cconn_close(old); /* its dispatch is folded into ours */
  }
  http__wait_unlink(cl, req);
  req->state = CREQ_ACTIVE;
  if (idle)
    http__cconn_assign(idle, req);
  else
    http__cconn_open(cl, req);
  return true;
}

/* Start what can start, in queue order.  Re-entered from the connection
 * code (a connection that fails at once closes, which frees a slot): the
 * inner call only asks the outer one to scan again. */
static void dispatch(http_client_t *cl) {
  if (cl->closing)
    return;
  if (cl->in_dispatch) {
    cl->dispatch_again = true;
    return;
  }
  cl->in_dispatch = true;
  do {
    cl->dispatch_again = false;
    /* After a start the queue may have changed under us (a request
     * finished at once leaves it): scan again from the head. */
    for (http_creq_t *r = cl->wait_head; r; r = r->next)
      if (try_start(cl, r)) {
        cl->dispatch_again = true;
        break;
      }
  } while (cl->dispatch_again && !cl->closing);
  cl->in_dispatch = false;
  queue_arm(cl);
}

/* ---------------------------------------------------------- the client */

static bool ua_ok(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return false;
  return true;
}

int http_client_new(uv_loop_t *loop, const http_client_opts_t *opts,
                    http_client_t **out) {
  http_client_opts_t d;
  http_client_opts_default(&d);
  http_client_opts_t o = opts ? *opts : d;
#define DEF(f)                                                                 \
  if (!o.f)                                                                    \
  o.f = d.f
  DEF(connect_timeout_ms);
  DEF(header_timeout_ms);
  DEF(idle_timeout_ms);
  DEF(deadline_ms);
  DEF(max_header_bytes);
  DEF(max_body_bytes);
  DEF(max_conns_per_host);
  DEF(max_conns);
  DEF(keepalive_ms);
  DEF(max_queued);
  DEF(user_agent);
#undef DEF
  if (!ua_ok(o.user_agent))
    return -EINVAL;
  http_client_t *cl = tr_calloc(1, sizeof *cl);
  if (!cl)
    return -ENOMEM;
  cl->user_agent = tr_strdup(o.user_agent);
  if (!cl->user_agent) {
    tr_free(cl);
    return -ENOMEM;
  }
  o.user_agent = cl->user_agent;
  cl->o = o;
  cl->loop = loop;
  cl->dispatch = dispatch;
  /* Neither init can fail (libuv returns 0 for both). */
  (void)uv_idle_init(loop, &cl->idle);
  (void)uv_timer_init(loop, &cl->qtimer);
  cl->idle.data = cl->qtimer.data = cl;
  cl->nhandles = 2;
  *out = cl;
  return 0;
}

void http_client_free(http_client_t *cl) {
  if (!cl || cl->closing)
    return;
  cl->closing = true;
  while (cl->wait_head)
    http__creq_finish(cl->wait_head, -ECANCELED);
  while (cl->conns) {
    http_cconn_t *c = cl->conns; /* closing takes it off the list */
    if (c->req)
      http__creq_finish(c->req, -ECANCELED);
    else
      http__cconn_close(c);
  }
  http__client_wake(cl);
}

void http_client_stats(const http_client_t *cl, http_client_stats_t *st) {
  *st = cl->st;
  st->conns_open = cl->nconns;
  st->conns_idle = cl->nidle;
  st->queued = cl->nwait;
}

/* ---------------------------------------------------------- requests */

static bool is_method(const char *m, const char *const *set, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(m, set[i]))
      return true;
  return false;
}

int http_client_request(http_client_t *cl, const char *method,
                        const char *url, const http_header_t *hdrs,
                        size_t nh, const void *body, size_t len,
                        const http_client_cbs_t *cbs, void *ud,
                        http_creq_t **out) {
  if (!cl || !method || !url || !cbs || !cbs->on_done || (len && !body))
    return -EINVAL;
  if (cl->closing)
    return -ECANCELED;
  http__url_t u;
  int rc = http__url_parse(url, &u);
  if (rc)
    return rc;
  if (cl->nwait >= cl->o.max_queued)
    return TR_ELIMIT;
  http_creq_t *req = tr_calloc(1, sizeof *req);
  if (!req)
    return -ENOMEM;
  static const char *const with_body[] = {"POST", "PUT", "PATCH"};
  static const char *const idempotent[] = {"GET", "HEAD", "PUT", "DELETE",
                                           "OPTIONS"};
  bool send_len = len > 0 || is_method(method, with_body, 3);
  rc = http__req_build(&req->wire, method, &u, hdrs, nh, body, len, send_len,
                       cl->user_agent);
  if (rc) {
    tr_bytes_free(&req->wire);
    tr_free(req);
    return rc;
  }
  req->cl = cl;
  req->cbs = *cbs;
  req->ud = ud;
  memcpy(req->key, u.key, sizeof req->key);
  memcpy(req->host, u.host, sizeof req->host);
  req->port = u.port;
  req->tls = u.tls;
  req->head_method = !strcmp(method, "HEAD");
  req->idempotent = is_method(method, idempotent, 5);
  req->max_body = cl->o.max_body_bytes;
  if (cl->o.deadline_ms != UINT32_MAX)
    req->deadline_ms = uv_now(cl->loop) + cl->o.deadline_ms;
  req->state = CREQ_QUEUED;
  req->prev = cl->wait_tail;
  if (cl->wait_tail)
    cl->wait_tail->next = req;
  else
    cl->wait_head = req;
  cl->wait_tail = req;
  cl->nwait++;
  if (out)
    *out = req;
  dispatch(cl);
  return 0;
}

int http_client_get(http_client_t *cl, const char *url,
                    const http_header_t *hdrs, size_t nh,
                    const http_client_cbs_t *cbs, void *ud,
                    http_creq_t **out) {
  return http_client_request(cl, "GET", url, hdrs, nh, NULL, 0, cbs, ud, out);
}

void http_creq_set_limits(http_creq_t *req, uint64_t max_body_bytes,
                          uint32_t deadline_ms) {
  if (req->state == CREQ_DONE)
    return;
  if (max_body_bytes) {
    req->max_body = max_body_bytes;
    req->resp.max_body = max_body_bytes; /* already on a connection */
  }
  if (deadline_ms) {
    req->deadline_ms = deadline_ms == UINT32_MAX
                           ? 0
                           : uv_now(req->cl->loop) + deadline_ms;
    if (req->state == CREQ_QUEUED)
      queue_arm(req->cl);
    else
      http__cconn_arm(req->conn);
  }
}

void http_creq_cancel(http_creq_t *req) {
  http__creq_finish(req, -ECANCELED);
}

void http_creq_pause(http_creq_t *req) {
  if (req->state == CREQ_DONE || req->paused)
    return;
  req->paused = true;
  /* Before the head, reading goes on: the parser stops after it. */
  if (req->state == CREQ_ACTIVE && req->resp.head_done)
    http__cconn_read_stop(req->conn);
}

void http_creq_resume(http_creq_t *req) {
  if (req->state == CREQ_DONE || !req->paused)
    return;
  req->paused = false;
  if (req->state == CREQ_ACTIVE && !req->in_kick) {
    req->in_kick = true;
    req->kick_next = req->cl->kick_head;
    req->cl->kick_head = req;
    http__client_wake(req->cl);
  }
}

const char *http_client_header(const http_header_t *h, size_t n,
                               const char *name) {
  for (size_t i = 0; i < n; i++)
    if (!strcasecmp(h[i].name, name))
      return h[i].value;
  return NULL;
}
