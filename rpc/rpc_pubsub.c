/*
 * rpc_pubsub.c — Kubo's `pubsub` commands (core/commands/pubsub.go, v0.43)
 * on the daemon's pubsub (rpc_ctx_t.pubsub, pubsub/swarm.h):
 *
 *   pubsub/pub arg=TOPIC + a file part   publish the part's bytes
 *   pubsub/sub arg=TOPIC                 NDJSON, a message a line
 *                                        ({"from","data","seqno",
 *                                        "topicIDs"}), until the client
 *                                        goes or the daemon stops
 *   pubsub/ls                            {"Strings":["u<topic>"...]}
 *   pubsub/peers [arg=TOPIC]             {"Strings":[peer IDs, sorted]}
 *
 * Topics in the URL are multibase, base64url only (Kubo's urlArgsDecoder
 * and its messages); data, seqno and topics in the answers are base64url
 * multibase ("u..."), as Kubo writes them.  Without pubsub every command
 * answers Kubo's "experimental pubsub feature not enabled" (500).  A
 * subscriber whose client reads slower than messages come loses those
 * past RPC_PS_BEHIND bytes unsent (go-libp2p-pubsub's subscription drops
 * what its buffer cannot hold, too).  Everything runs on the loop: the
 * messages come from the core there, so nothing needs waking.
 *
 *   pubsub/reset [peer=ID]               {"deleted": N}: the seqno
 *                                        validator forgets (all, or one)
 *
 * The seqno validator's state is in memory (pubsub.h), not in the repo
 * as Kubo keeps it: a restart forgets it.
 */
#include <stdlib.h>
#include <string.h>

#include "../dag/multibase.h"
#include "../pubsub/swarm.h"
#include "api.h"
#include "rpc_int.h"

#define RPC_PS_BEHIND (8u << 20)
#define NOT_ENABLED                                                       \
  "experimental pubsub feature not enabled, run daemon with "             \
  "--enable-pubsub-experiment to use"

/* ------------------------------------------------------------- topics */

/* go-multibase's error names for what trove's decoder refuses. */
static void mb_error(http_req_t *req, const char *arg, int rc) {
  const char *why = "selected encoding not supported";
  char buf[96];
  if (!arg[0]) {
    why = "cannot decode multibase for zero length string";
  } else if (rc == TR_EMULTIBASE) {
    /* Go's base64 and base32 decoders name the first bad byte. */
    bool b64 = arg[0] == 'u' || arg[0] == 'm' || arg[0] == 'U' ||
               arg[0] == 'M';
    size_t i = 0;
    for (const char *p = arg + 1; b64 && *p; p++, i++) {
      char c = *p;
      bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                (c >= '0' && c <= '9') ||
                (arg[0] == 'u' || arg[0] == 'U' ? c == '-' || c == '_'
                                                : c == '+' || c == '/') ||
                (c == '=' && (arg[0] == 'U' || arg[0] == 'M'));
      if (!ok)
        break;
    }
    snprintf(buf, sizeof buf, "illegal %s data at input byte %zu",
             b64 ? "base64" : "base32", b64 ? i : 0);
    why = buf;
  }
  rpc_error(req, 500, "URL arg must be multibase encoded: %s", why);
}

/* The topic of arg (multibase, base64url): 0 with *t (tr_malloc'd, *tlen
 * bytes), or 1 when req was answered. */
static int topic_of(http_req_t *req, const char *arg, char **t,
                    size_t *tlen) {
  size_t n = strlen(arg);
  uint8_t *out = tr_malloc(n + 1);
  char base = 0;
  if (!out) {
    rpc_error(req, 500, "out of memory");
    return 1;
  }
  int rc = n ? dag_mb_decode(arg, n, out, n + 1, tlen, &base) : TR_EBASE;
  if (rc) {
    tr_free(out);
    mb_error(req, arg, rc);
    return 1;
  }
  if (base != 'u') {
    tr_free(out);
    rpc_error(req, 500, "URL arg must be base64url encoded");
    return 1;
  }
  *t = (char *)out;
  return 0;
}

/* "u" + base64url of b[0..n), as a JSON string. */
static json_t *mb_json(const void *b, size_t n) {
  size_t cap = n / 3 * 4 + 8;
  char *s = tr_malloc(cap);
  json_t *j = NULL;
  int len = s ? dag_mb_encode('u', b, n, s, cap) : -1;
  if (len >= 0)
    j = json_stringn(s, (size_t)len);
  tr_free(s);
  return j;
}

/* ------------------------------------------------------------- pub */

typedef struct pub {
  rpc_ctx_t *ctx;
  char *t;
  size_t tlen;
} pub_t;

static void pub_done(http_req_t *req, const uint8_t *d, size_t n, void *ud) {
  pub_t *p = ud;
  if (req) {
    struct ps_swarm *ps = p->ctx->pubsub;
    int rc = ps ? (n > PS_FRAME_MAX ? TR_ETOOBIG
                                    : ps_swarm_publish(ps, p->t, p->tlen, d,
                                                       n))
                : 0;
    if (!ps) {
      rpc_error(req, 500, NOT_ENABLED);
    } else if (rc) {
      rpc_error(req, 500, "%s", rc == TR_ETOOBIG ? "message too large"
                                                 : tr_strerror(rc));
    } else {
      rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
      http_res_end(req);
    }
  }
  tr_free(p->t);
  tr_free(p);
}

void rpc_cmd_pubsub_pub(http_req_t *req, rpc_ctx_t *ctx) {
  char *arg;
  if (rpc_one_arg(req, "topic", &arg))
    return;
  pub_t *p = tr_calloc(1, sizeof *p);
  if (!p) {
    tr_free(arg);
    rpc_error(req, 500, "out of memory");
    return;
  }
  p->ctx = ctx;
  int rc = topic_of(req, arg, &p->t, &p->tlen);
  tr_free(arg);
  if (rc) {
    tr_free(p);
    return;
  }
  rpc_file_collect(req, "data", PS_FRAME_MAX, pub_done, p);
}

/* ------------------------------------------------------------- sub */

typedef struct sub {
  http_req_t *req;
  ps_swarm_sub_t *sub;
} sub_t;

static void sub_msg(void *ud, const ps_msg_t *m) {
  sub_t *s = ud;
  if (http_res_buffered(s->req) > RPC_PS_BEHIND)
    return;
  char from[NET_PEERID_STR_MAX];
  if (net_peerid_format(&m->from, 0, from, sizeof from) < 0)
    return;
  json_t *o = json_object();
  json_t *topics = json_array();
  if (o && topics) {
    json_object_set_new(o, "from", json_string(from));
    json_object_set_new(o, "data", mb_json(m->data, m->len));
    json_object_set_new(o, "seqno", mb_json(m->seqno, m->seqlen));
    json_array_append_new(topics, mb_json(m->topic, m->topiclen));
    json_object_set_new(o, "topicIDs", topics);
    topics = NULL;
    rpc_write_line(s->req, o); /* takes o */
    o = NULL;
    http_res_flush(s->req);
  }
  json_decref(topics);
  json_decref(o);
}

/* The client went away. */
static void sub_gone(http_req_t *req, void *ud) {
  sub_t *s = ud;
  http_req_on_close(req, NULL, NULL);
  ps_swarm_unsub(s->sub);
  http_res_end(req);
  tr_free(s);
}

/* The daemon stops: the answer ends. */
static void sub_closed(void *ud) {
  sub_t *s = ud;
  http_req_on_close(s->req, NULL, NULL);
  http_res_end(s->req);
  tr_free(s);
}

void rpc_cmd_pubsub_sub(http_req_t *req, rpc_ctx_t *ctx) {
  char *arg, *t;
  size_t tlen;
  if (rpc_one_arg(req, "topic", &arg))
    return;
  int rc = topic_of(req, arg, &t, &tlen);
  tr_free(arg);
  if (rc)
    return;
  sub_t *s = ctx->pubsub ? tr_calloc(1, sizeof *s) : NULL;
  if (!ctx->pubsub || !s) {
    tr_free(t);
    rpc_error(req, 500, "%s", s ? NOT_ENABLED : "out of memory");
    return;
  }
  s->req = req;
  rc = ps_swarm_sub(ctx->pubsub, t, tlen, sub_msg, sub_closed, s, &s->sub);
  tr_free(t);
  if (rc) {
    tr_free(s);
    rpc_error(req, 500, "pubsub sub: %s", tr_strerror(rc));
    return;
  }
  http_req_on_close(req, sub_gone, s);
  rpc_start(req, RPC_CHUNKED, NULL, -1, -1);
  http_res_flush(req);
}

/* ------------------------------------------------------------- reset */

/* pubsub/reset [peer=ID]: {"deleted": N}, the authors whose last seqno
 * the validator forgot (Kubo's works on its datastore whether pubsub runs
 * or not; trove's state lives in the running router: none without it). */
void rpc_cmd_pubsub_reset(http_req_t *req, rpc_ctx_t *ctx) {
  char *p = NULL;
  if (rpc_opt_str(req, "peer", &p)) {
    rpc_error(req, 400, "invalid argument");
    return;
  }
  net_peerid_t id;
  if (p && *p && net_peerid_parse(&id, p, strlen(p))) {
    rpc_error(req, 500, "invalid peer ID: %s", tr_strerror(TR_EPEERID));
    tr_free(p);
    return;
  }
  size_t n = ctx->pubsub ? ps_swarm_seqno_reset(ctx->pubsub,
                                                p && *p ? &id : NULL)
                         : 0;
  tr_free(p);
  rpc_api_json(req, json_pack("{s:I}", "deleted", (json_int_t)n));
}

/* ------------------------------------------------------------ ls, peers */

static void add_topic(void *ud, const char *t, size_t tlen) {
  json_array_append_new(ud, mb_json(t, tlen));
}

void rpc_cmd_pubsub_ls(http_req_t *req, rpc_ctx_t *ctx) {
  if (!ctx->pubsub) {
    rpc_error(req, 500, NOT_ENABLED);
    return;
  }
  json_t *a = json_array();
  const ps_t *core = ps_swarm_core(ctx->pubsub);
  if (a)
    ps_topics(core, add_topic, a);
  rpc_api_json(req, json_pack("{s:o}", "Strings", rpc_json_nil_if_empty(a)));
}

typedef struct ids {
  char (*v)[NET_PEERID_STR_MAX];
  size_t n;
} ids_t;

static void add_peer(void *ud, const net_peerid_t *p) {
  ids_t *ids = ud;
  if (net_peerid_format(p, 0, ids->v[ids->n], NET_PEERID_STR_MAX) >= 0)
    ids->n++;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp((const char *)a, (const char *)b);
}

void rpc_cmd_pubsub_peers(http_req_t *req, rpc_ctx_t *ctx) {
  char **args = NULL, *t = NULL;
  size_t nargs = 0, tlen = 0;
  if (rpc_args(req, "arg", &args, &nargs) || nargs > 1) {
    rpc_strv_free(args, nargs);
    rpc_error(req, 400, "expected 1 argument, got %zu", nargs);
    return;
  }
  int rc = nargs ? topic_of(req, args[0], &t, &tlen) : 0;
  rpc_strv_free(args, nargs);
  if (rc)
    return;
  if (!ctx->pubsub) {
    tr_free(t);
    rpc_error(req, 500, NOT_ENABLED);
    return;
  }
  const ps_t *core = ps_swarm_core(ctx->pubsub);
  /* Kubo's Peers with an empty topic lists every pubsub peer. */
  const char *tt = tlen ? t : NULL;
  ids_t ids = {NULL, 0};
  size_t n = ps_peers(core, tt, tlen, NULL, NULL);
  ids.v = tr_calloc(n ? n : 1, sizeof *ids.v);
  json_t *a = json_array();
  if (ids.v && a) {
    ps_peers(core, tt, tlen, add_peer, &ids);
    qsort(ids.v, ids.n, sizeof *ids.v, cmp_str);
    for (size_t i = 0; i < ids.n; i++)
      json_array_append_new(a, json_string(ids.v[i]));
  }
  tr_free(ids.v);
  tr_free(t);
  rpc_api_json(req, json_pack("{s:o}", "Strings", a));
}
