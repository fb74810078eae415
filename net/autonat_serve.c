/*
 * autonat_serve.c — the AutoNAT v2 server on the host's loop (see
 * autonat.h): a dial-request (serve_t) is rate-limited, read, answered
 * with a refusal or a DialDataRequest, then dialled back from a throwaway
 * host (a fresh key, so a new connection that is never the client's own)
 * and answered with the outcome.  The decisions are autonat_msg.c's.
 *
 * Lifetime: a serve_t lives until its request stream, its dial-back
 * stream and its dial-back host are all gone.  The dial-back host is
 * closed at the next tick, never from inside its own callbacks.
 */
#include "autonat_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>


enum { SV_REQ, SV_DATA, SV_WAIT, SV_DIAL, SV_DONE };

typedef struct serve serve_t;

struct serve {
  serve_t *next;
  net__an_server_t *sv;
  net_stream_t *s;      /* the client's dial-request stream */
  net_stream_t *bs;     /* the dial-back stream, on the dialer's connection */
  net_host_t *dialer;   /* the throwaway host that dials back */
  net_peerid_t peer;
  int phase;
  bool counted, written, dialer_closing;
  uint8_t obs[NET_CONN_MA_MAX], addr[NET_AN_ADDR_MAX];
  uint8_t olen, alen;
  uint32_t idx;
  uint64_t nonce, deadline, dial_at, back_deadline;
  net_an_data_t data;
  tr_bytes_t in;
};

static void serve_free_maybe(serve_t *v) {
  if (v->phase != SV_DONE || v->s || v->bs || v->dialer)
    return;
  net__an_server_t *sv = v->sv;
  for (serve_t **pp = &sv->serves; *pp; pp = &(*pp)->next)
    if (*pp == v) {
      *pp = v->next;
      break;
    }
  tr_bytes_free(&v->in);
  tr_free(v);
  if (sv->closing && !sv->serves && sv->on_idle)
    sv->on_idle(sv->ud);
}

/* The request is over: its rate-limit slot is free, the dialer goes at
 * the next tick (not now: we may be inside one of its callbacks). */
static void serve_over(serve_t *v) {
  v->phase = SV_DONE;
  if (v->counted)
    net_an_limiter_done(&v->sv->lim, &v->peer);
  v->counted = false;
}

/* Answer the client and finish.  v may be gone after it. */
static void serve_respond(serve_t *v, uint32_t status, uint32_t dial_status) {
  if (v->phase == SV_DONE)
    return;
  serve_over(v);
  if (!v->s) {
    serve_free_maybe(v);
    return;
  }
  net_an_msg_t m = {0}; /* 3 KiB on the loop thread's stack */
  m.type = NET_AN_DIAL_RESPONSE;
  m.status = status;
  m.addr_idx = status == NET_AN_RS_OK ? v->idx : 0;
  m.dial_status = status == NET_AN_RS_OK ? dial_status : NET_AN_DS_UNUSED;
  tr_bytes_t b = {0};
  net_stream_t *s = v->s;
  if (net_an_encode(&m, &b))
    net_stream_reset(s);
  else if (net__an_put(s, &b) == 0)
    net_stream_close(s);
  tr_bytes_free(&b);
}

/* Give up on the request without an answer.  v may be gone after it. */
static void serve_fail(serve_t *v) {
  if (v->phase != SV_DONE)
    serve_over(v);
  if (v->s)
    net_stream_reset(v->s);
  else
    serve_free_maybe(v);
}

/* ------------------------------------------------------ the dial back */

static void bo_data(net_stream_t *s, const uint8_t *d, size_t n) {
  (void)d, (void)n;
  serve_t *v = net_stream_ud(s);
  if (v->phase == SV_DIAL)
    serve_respond(v, NET_AN_RS_OK, NET_AN_DS_OK);
}

static void bo_fin(net_stream_t *s) { bo_data(s, NULL, 0); }

static void bo_close(net_stream_t *s, int status) {
  (void)status;
  serve_t *v = net_stream_ud(s);
  v->bs = NULL;
  if (v->phase == SV_DIAL)
    serve_respond(v, NET_AN_RS_OK,
                  v->written ? NET_AN_DS_OK : NET_AN_DS_BACK_ERROR);
  else
    serve_free_maybe(v);
}

static const net_stream_cbs_t BACK_OUT = {bo_data, bo_fin, bo_close, NULL};

static void on_back_open(net_stream_t *bs, int status, void *ud) {
  serve_t *v = ud;
  if (v->phase != SV_DIAL) {
    if (bs)
      net_stream_reset(bs);
    return;
  }
  if (status) {
    serve_respond(v, NET_AN_RS_OK, NET_AN_DS_BACK_ERROR);
    return;
  }
  v->bs = bs;
  net_stream_set(bs, &BACK_OUT, v);
  tr_bytes_t b = {0};
  if (net_an_back_encode(v->nonce, &b) == 0 && net__an_put(bs, &b) == 0) {
    /* go's server: half-close, then wait for a byte or the end (the
     * client's DialBackResponse), at most NET_AN_BACK_MS. */
    v->written = true;
    v->back_deadline = uv_now(v->sv->h->loop) + NET_AN_BACK_MS;
    net_stream_close(bs);
  } else if (v->bs) {
    net_stream_reset(bs);
  }
  tr_bytes_free(&b);
}

static void on_back_conn(net_host_t *h, int status, const net_peerid_t *peer,
                         void *ud) {
  serve_t *v = ud;
  if (v->phase != SV_DIAL)
    return;
  if (status) {
    serve_respond(v, NET_AN_RS_OK, NET_AN_DS_DIAL_ERROR);
    return;
  }
  if (net_host_open(h, peer, NET_AN_BACK_PROTOCOL, on_back_open, v))
    serve_respond(v, NET_AN_RS_OK, NET_AN_DS_BACK_ERROR);
}

static void on_dialer_closed(void *ud) {
  serve_t *v = ud;
  v->dialer = NULL;
  serve_free_maybe(v);
}

/* Dial v->addr from a new host with a throwaway key: a new connection,
 * never the client's, and a PeerID the client cannot confuse with ours. */
static void serve_dial(serve_t *v) {
  net__an_server_t *sv = v->sv;
  net_privkey_t key;
  char peer[NET_PEERID_STR_MAX], maddr[NET_MA_STR_MAX / 16 + 8 + NET_PEERID_STR_MAX];
  v->phase = SV_DIAL;
  if (net_privkey_generate(&key) ||
      net_peerid_format(&v->peer, 0, peer, sizeof peer) < 0) {
    serve_respond(v, NET_AN_RS_INTERNAL_ERROR, 0);
    return;
  }
  /* The address without a /p2p part: the client is who we dial. */
  size_t tw = net_ma_thin_waist(v->addr, v->alen);
  int k = net_ma_format(v->addr, tw, maddr, NET_MA_STR_MAX / 16);
  net_host_opts_t ho = {.key = &key, .agent = sv->h->agent};
  int rc = k < 0 ? k : net_host_new(sv->h->loop, &ho, &v->dialer);
  sodium_memzero(&key, sizeof key);
  if (rc) {
    serve_respond(v, NET_AN_RS_INTERNAL_ERROR, 0);
    return;
  }
  snprintf(maddr + k, sizeof maddr - (size_t)k, "/p2p/%s", peer);
  if (net_host_connect(v->dialer, maddr, on_back_conn, v))
    serve_respond(v, NET_AN_RS_OK, NET_AN_DS_DIAL_ERROR);
}

/* ------------------------------------------------------ the request */

/* A whole message from the client.  Returns whether to read on (false
 * when v may be gone or wants nothing more). */
static bool serve_msg(serve_t *v, const net_an_msg_t *m) {
  net__an_server_t *sv = v->sv;
  uint64_t now = uv_now(sv->h->loop);
  if (v->phase == SV_DATA) {
    int r = net_an_data_feed(&v->data, m);
    if (r < 0) {
      serve_fail(v);
      return false;
    }
    if (r == 1) {
      v->phase = SV_WAIT;
      v->dial_at = now + randombytes_uniform(NET_AN_DATA_WAIT_MS + 1);
    }
    return r == 0;
  }
  if (m->type != NET_AN_DIAL_REQUEST) {
    serve_fail(v);
    return false;
  }
  int idx = net_an_pick(m, sv->allow_private);
  if (idx < 0) {
    serve_respond(v, NET_AN_RS_REFUSED, 0);
    return false;
  }
  v->idx = (uint32_t)idx;
  v->nonce = m->nonce;
  v->alen = m->addrlen[idx];
  memcpy(v->addr, m->addrs[idx], v->alen);
  if (!net_an_needs_data(v->obs, v->olen, v->addr, v->alen)) {
    serve_dial(v);
    return false;
  }
  if (!net_an_limiter_accept_data(&sv->lim, now)) {
    serve_respond(v, NET_AN_RS_REJECTED, 0);
    return false;
  }
  net_an_msg_t q = {0}; /* 3 KiB on the loop thread's stack */
  q.type = NET_AN_DATA_REQUEST;
  q.addr_idx = v->idx;
  q.num_bytes = NET_AN_DATA_MIN +
                randombytes_uniform(NET_AN_DATA_MAX - NET_AN_DATA_MIN);
  v->data = (net_an_data_t){q.num_bytes, 0};
  v->phase = SV_DATA;
  tr_bytes_t b = {0};
  int rc = net_an_encode(&q, &b);
  if (rc)
    serve_fail(v);
  else
    rc = net__an_put(v->s, &b);
  tr_bytes_free(&b);
  return rc == 0;
}

static void sv_data(net_stream_t *s, const uint8_t *d, size_t n) {
  serve_t *v = net_stream_ud(s);
  if (v->phase != SV_REQ && v->phase != SV_DATA)
    return; /* nothing more is expected: ignored */
  net_an_msg_t *m = tr_malloc(sizeof *m);
  if (!m) {
    serve_fail(v);
    return;
  }
  /* As probe_data: a buffer's worth at a time (dial data comes in large
   * reads); a branch that may free v leaves at once. */
  bool go = true;
  while (go && n > 0) {
    size_t k = NET_AN_IN_MAX - v->in.len < n ? NET_AN_IN_MAX - v->in.len : n;
    if (tr_bytes_append(&v->in, d, k)) {
      serve_fail(v);
      break;
    }
    d += k, n -= k;
    for (;;) {
      const uint8_t *body;
      size_t blen;
      int64_t f = net_an_frame(v->in.data, v->in.len, NET_AN_MSG_MAX, &body,
                               &blen);
      if (f == 0)
        break;
      if (f < 0 || net_an_decode(body, blen, m)) {
        serve_fail(v);
        go = false;
        break;
      }
      net__an_consume(&v->in, (size_t)f);
      if (!serve_msg(v, m)) {
        go = false;
        break;
      }
    }
  }
  tr_free(m);
}

static void sv_fin(net_stream_t *s) {
  serve_t *v = net_stream_ud(s);
  if (v->phase == SV_REQ || v->phase == SV_DATA)
    serve_fail(v);
}

static void sv_close(net_stream_t *s, int status) {
  (void)status;
  serve_t *v = net_stream_ud(s);
  v->s = NULL;
  if (v->phase != SV_DONE)
    serve_over(v);
  serve_free_maybe(v);
}

static const net_stream_cbs_t SERVE = {sv_data, sv_fin, sv_close, NULL};

static void nop_close(net_stream_t *s, int status) { (void)s, (void)status; }
static const net_stream_cbs_t NOP = {NULL, NULL, nop_close, NULL};

void net__an_on_dial_request(net_stream_t *s, void *ud) {
  net__an_server_t *sv = ud;
  uint64_t now = uv_now(sv->h->loop);
  const net_peerid_t *peer = net_stream_peer(s);
  if (sv->closing) {
    net_stream_reset(s);
    return;
  }
  if (!net_an_limiter_accept(&sv->lim, peer, now)) {
    net_an_msg_t m = {0}; /* 3 KiB on the loop thread's stack */
    m.type = NET_AN_DIAL_RESPONSE;
    m.status = NET_AN_RS_REJECTED;
    tr_bytes_t b = {0};
    net_stream_set(s, &NOP, NULL);
    if (net_an_encode(&m, &b) == 0 && net__an_put(s, &b) == 0)
      net_stream_close(s);
    tr_bytes_free(&b);
    return;
  }
  serve_t *v = tr_calloc(1, sizeof *v);
  if (!v) {
    net_an_limiter_done(&sv->lim, peer);
    net_stream_reset(s);
    return;
  }
  v->sv = sv;
  v->s = s;
  v->peer = *peer;
  v->counted = true;
  v->deadline = now + NET_AN_SERVER_MS;
  size_t olen;
  const uint8_t *obs = net_stream_remote_ma(s, &olen);
  memcpy(v->obs, obs, olen);
  v->olen = (uint8_t)olen;
  v->next = sv->serves;
  sv->serves = v;
  net_stream_set(s, &SERVE, v);
}

/* Deadlines, dials due after dial data, dialers to close. */
void net__an_server_tick(net__an_server_t *sv, uint64_t now) {
  for (serve_t *v = sv->serves, *next; v; v = next) {
    next = v->next;
    if (v->dialer && v->phase == SV_DONE && !v->dialer_closing) {
      v->dialer_closing = true;
      net_host_close(v->dialer, on_dialer_closed, v);
      continue;
    }
    if (v->phase == SV_DONE)
      continue;
    if (now >= v->deadline)
      serve_fail(v);
    else if (v->phase == SV_WAIT && now >= v->dial_at)
      serve_dial(v);
    else if (v->phase == SV_DIAL && v->written && now >= v->back_deadline)
      serve_respond(v, NET_AN_RS_OK, NET_AN_DS_OK);
  }
}

/* net__an_server_close(): the request is dropped, the dialer closed now
 * (we are not inside its callbacks). */
static void serve_abort(serve_t *v) {
  if (v->phase != SV_DONE)
    serve_over(v);
  if (v->dialer && !v->dialer_closing) {
    v->dialer_closing = true;
    net_host_close(v->dialer, on_dialer_closed, v);
  }
  if (v->s)
    net_stream_reset(v->s);
  else
    serve_free_maybe(v);
}

void net__an_server_init(net__an_server_t *sv, net_host_t *h,
                         bool allow_private, void (*on_idle)(void *ud),
                         void *ud) {
  memset(sv, 0, sizeof *sv);
  sv->h = h;
  sv->allow_private = allow_private;
  sv->on_idle = on_idle;
  sv->ud = ud;
  net_an_limiter_init(&sv->lim);
}

void net__an_server_close(net__an_server_t *sv) {
  sv->closing = true;
  for (serve_t *v = sv->serves, *next; v; v = next) {
    next = v->next;
    serve_abort(v);
  }
}

