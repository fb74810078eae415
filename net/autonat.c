/*
 * autonat.c — AutoNAT v2 on the host's loop (see autonat.h): the client's
 * checks (probe_t), the dial-back handler, the server's requests
 * (serve_t) with their dial-back from a throwaway host, and the timer
 * that starts checks, enforces deadlines and notices changes.  What the
 * bytes mean and what to decide is autonat_msg.c's and
 * autonat_tally.c's; this file only moves bytes and keeps lifetimes.
 *
 * Lifetimes: a probe lives until its stream is gone (the stream's on_close
 * frees it once the probe is over); a serve_t until its request stream,
 * its dial-back stream and its dial-back host are all gone.  The service
 * itself is freed after net_autonat_close() once its timer is closed and
 * no serve_t is left.
 */
#include "autonat.h"
#include "host_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../dag/varint.h"

typedef struct probe probe_t;
typedef struct serve serve_t;

struct net_autonat {
  net_host_t *h;
  net_autonat_opts_t o;
  uv_timer_t timer;
  net_an_tally_t tally;
  net_reach_t reach;
  net_an_limiter_t lim;
  probe_t *probes;
  serve_t *serves;
  size_t nprobes;
  struct {
    net_peerid_t p;
    uint64_t until;
  } thr[NET_AN_THROTTLE_MAX];
  bool closing, timer_closed;
};

static uint64_t now_ms(net_autonat_t *an) { return uv_now(an->h->loop); }

static void maybe_free_an(net_autonat_t *an) {
  if (an->closing && an->timer_closed && !an->serves && !an->probes)
    tr_free(an);
}

static void update_reach(net_autonat_t *an) {
  net_reach_t r = net_an_tally_reach(&an->tally, now_ms(an));
  if (r == an->reach)
    return;
  tr_log(TR_LOG_INFO, "autonat: reachability %s -> %s",
         net_reach_str(an->reach), net_reach_str(r));
  an->reach = r;
  if (an->o.on_change)
    an->o.on_change(an, r, an->o.data);
}

/* Write p[0..n) to s; on failure s is reset (and may be gone). */
static int put(net_stream_t *s, const tr_bytes_t *b) {
  int rc = net_stream_write(s, b->data, b->len);
  if (rc && rc != TR_ELIMIT) /* TR_ELIMIT has reset it already */
    net_stream_reset(s);
  return rc;
}

/* Bytes of a dial-request stream held at once: one whole message and its
 * length prefix always fit. */
#define NET_AN_IN_MAX (NET_AN_MSG_MAX + DAG_VARINT_MAX)

static void consume(tr_bytes_t *in, size_t k) {
  memmove(in->data, in->data + k, in->len - k);
  in->len -= k;
}

/* ================================================================ client */

struct probe {
  probe_t *next;
  net_autonat_t *an; /* NULL once the probe is over */
  net_stream_t *s;
  net_peerid_t server;
  uint64_t nonce, deadline;
  net_an_msg_t req;
  tr_bytes_t in;
  uint32_t idx, dial_status;
  bool opened, got_back, waiting; /* waiting: answered OK, nonce not yet */
};

static void probe_unlink(probe_t *p) {
  net_autonat_t *an = p->an;
  for (probe_t **pp = &an->probes; *pp; pp = &(*pp)->next)
    if (*pp == p) {
      *pp = p->next;
      an->nprobes--;
      break;
    }
  /* The target is no longer in flight. */
  for (size_t i = 0; i < an->tally.n; i++)
    if (an->tally.a[i].len == p->req.addrlen[0] && an->tally.a[i].busy &&
        !memcmp(an->tally.a[i].ma, p->req.addrs[0], p->req.addrlen[0]))
      an->tally.a[i].busy--;
}

/* The probe is over: record what it learnt (outcome < 0: nothing) and
 * leave the service's books.  Neither the stream nor p is touched. */
static void probe_over(probe_t *p, int outcome, uint32_t idx) {
  net_autonat_t *an = p->an;
  if (!an)
    return;
  probe_unlink(p);
  p->an = NULL;
  uint64_t now = now_ms(an);
  if (outcome == NET_AN_OUT_REFUSED) {
    for (uint32_t i = 0; i < p->req.naddrs; i++)
      net_an_tally_outcome(&an->tally, p->req.addrs[i], p->req.addrlen[i],
                           now, outcome);
  } else if (outcome >= 0) {
    net_an_tally_outcome(&an->tally, p->req.addrs[idx], p->req.addrlen[idx],
                         now, outcome);
  }
  if (outcome >= 0)
    update_reach(an);
}

static void probe_free(probe_t *p) {
  tr_bytes_free(&p->in);
  tr_free(p);
}

/* probe_over, then let go of the stream: closed after an answer, reset
 * otherwise.  p may be gone after it. */
static void probe_end(probe_t *p, int outcome, uint32_t idx) {
  net_autonat_t *an = p->an;
  if (!an)
    return;
  probe_over(p, outcome, idx);
  if (p->s) {
    if (outcome >= 0)
      net_stream_close(p->s); /* on_close frees p */
    else
      net_stream_reset(p->s);
  } else if (p->opened) {
    probe_free(p);
  } /* else the open callback is still to come, and frees p */
  maybe_free_an(an);
}

static void probe_answer(probe_t *p, const net_an_msg_t *m) {
  if (m->status == NET_AN_RS_REFUSED) {
    probe_end(p, NET_AN_OUT_REFUSED, 0);
    return;
  }
  if (m->status != NET_AN_RS_OK || m->addr_idx >= p->req.naddrs) {
    probe_end(p, -1, 0); /* rejected, failed, or nonsense: no verdict */
    return;
  }
  switch (m->dial_status) {
  case NET_AN_DS_DIAL_ERROR:
    probe_end(p, NET_AN_OUT_FAIL, m->addr_idx);
    return;
  case NET_AN_DS_OK:
  case NET_AN_DS_BACK_ERROR:
    /* Believe it only with our nonce in hand (go: a dial-back that
     * arrived counts even when the server saw an error after). */
    if (p->got_back) {
      probe_end(p, NET_AN_OUT_OK, m->addr_idx);
    } else {
      p->waiting = true;
      p->idx = m->addr_idx;
      p->dial_status = m->dial_status;
      p->deadline = now_ms(p->an) + NET_AN_BACK_MS;
    }
    return;
  default:
    probe_end(p, -1, 0); /* a status the spec does not know: discard */
  }
}

/* Send numbytes of dial data, NET_AN_DATA_CHUNK per message. */
static int send_data(net_stream_t *s, uint64_t numbytes) {
  tr_bytes_t b = {0};
  static net_an_msg_t m; /* only type and data_len are read */
  m.type = NET_AN_DATA_RESPONSE;
  int rc = 0;
  for (uint64_t left = numbytes; left > 0 && !rc;) {
    m.data_len = left < NET_AN_DATA_CHUNK ? (size_t)left : NET_AN_DATA_CHUNK;
    left -= m.data_len;
    rc = net_an_encode(&m, &b);
  }
  if (!rc)
    rc = put(s, &b);
  else
    net_stream_reset(s);
  tr_bytes_free(&b);
  return rc;
}

static void probe_data(net_stream_t *s, const uint8_t *d, size_t n) {
  probe_t *p = net_stream_ud(s);
  if (!p->an || p->waiting)
    return;
  net_an_msg_t *m = tr_malloc(sizeof *m);
  if (!m) {
    net_stream_reset(s);
    return;
  }
  /* The bytes go through p->in a buffer's worth at a time (a frame is at
   * most NET_AN_MSG_MAX).  Every branch that may free p (a reset, an
   * answer) leaves at once. */
  bool go = true;
  while (go && n > 0) {
    size_t k = NET_AN_IN_MAX - p->in.len < n ? NET_AN_IN_MAX - p->in.len : n;
    if (tr_bytes_append(&p->in, d, k)) {
      net_stream_reset(s);
      break;
    }
    d += k, n -= k;
    for (;;) {
      const uint8_t *body;
      size_t blen;
      int64_t f = net_an_frame(p->in.data, p->in.len, NET_AN_MSG_MAX, &body,
                               &blen);
      if (f == 0)
        break;
      go = false;
      if (f < 0 || net_an_decode(body, blen, m)) {
        net_stream_reset(s);
        break;
      }
      consume(&p->in, (size_t)f);
      if (m->type == NET_AN_DATA_REQUEST) {
        /* Pay for an address we asked about, at most NET_AN_DATA_MAX. */
        if (m->addr_idx >= p->req.naddrs || m->num_bytes > NET_AN_DATA_MAX) {
          net_stream_reset(s);
          break;
        }
        if (send_data(s, m->num_bytes))
          break;
        go = true;
        continue;
      }
      if (m->type == NET_AN_DIAL_RESPONSE)
        probe_answer(p, m);
      else
        net_stream_reset(s);
      break;
    }
  }
  tr_free(m);
}

static void probe_fin(net_stream_t *s) {
  probe_t *p = net_stream_ud(s);
  if (p->an && !p->waiting)
    probe_end(p, -1, 0);
}

static void probe_close(net_stream_t *s, int status) {
  (void)status;
  probe_t *p = net_stream_ud(s);
  p->s = NULL;
  if (p->an && p->waiting)
    return; /* the dial-back may still come: probe_end frees p */
  if (p->an) {
    net_autonat_t *an = p->an;
    probe_over(p, -1, 0);
    maybe_free_an(an);
  }
  probe_free(p);
}

static const net_stream_cbs_t PROBE = {probe_data, probe_fin, probe_close};

static void probe_open(net_stream_t *s, int status, void *ud) {
  probe_t *p = ud;
  p->opened = true;
  if (status || !p->an) {
    if (s)
      net_stream_reset(s); /* no callbacks set: nothing comes back */
    net_autonat_t *an = p->an;
    probe_over(p, -1, 0);
    probe_free(p);
    if (an)
      maybe_free_an(an);
    return;
  }
  p->s = s;
  net_stream_set(s, &PROBE, p);
  tr_bytes_t b = {0};
  if (net_an_encode(&p->req, &b))
    net_stream_reset(s);
  else
    (void)put(s, &b);
  tr_bytes_free(&b);
}

/* ----------------------------------------------------- choosing a server */

typedef struct pick {
  net_autonat_t *an;
  uint64_t now;
  net_peerid_t peer;
  bool found;
} pick_t;

static bool throttled(net_autonat_t *an, const net_peerid_t *p, uint64_t now) {
  for (size_t i = 0; i < NET_AN_THROTTLE_MAX; i++)
    if (an->thr[i].until > now && net_peerid_equal(&an->thr[i].p, p))
      return true;
  return false;
}

static void throttle(net_autonat_t *an, const net_peerid_t *p, uint64_t now) {
  size_t oldest = 0;
  for (size_t i = 1; i < NET_AN_THROTTLE_MAX; i++)
    if (an->thr[i].until < an->thr[oldest].until)
      oldest = i;
  an->thr[oldest].p = *p;
  an->thr[oldest].until =
      now + (an->o.throttle_ms ? an->o.throttle_ms : NET_AN_SERVER_THROTTLE_MS);
}

static bool speaks(net_peerinfo_t *pi, const char *proto) {
  for (size_t off = 0; pi && off < pi->protolen;
       off += strlen(pi->protos + off) + 1)
    if (!strcmp(pi->protos + off, proto))
      return true;
  return false;
}

static void pick_conn(const net_peerid_t *peer, const char *addr, bool out,
                      void *ud) {
  (void)addr, (void)out;
  pick_t *k = ud;
  if (k->found || throttled(k->an, peer, k->now))
    return;
  for (probe_t *p = k->an->probes; p; p = p->next)
    if (net_peerid_equal(&p->server, peer))
      return;
  if (speaks(net_ps_get(&k->an->h->ps, peer), NET_AN_DIAL_PROTOCOL)) {
    k->peer = *peer;
    k->found = true;
  }
}

/* Start one check of the address that needs it most, if a server is
 * free. */
static void probe_start(net_autonat_t *an, uint64_t now) {
  int t = net_an_tally_pick(&an->tally, now);
  if (t < 0)
    return;
  pick_t k = {.an = an, .now = now};
  net_host_conns(an->h, pick_conn, &k);
  if (!k.found)
    return;
  probe_t *p = tr_calloc(1, sizeof *p);
  if (!p)
    return;
  p->an = an;
  p->server = k.peer;
  randombytes_buf(&p->nonce, sizeof p->nonce);
  p->deadline = now + NET_AN_PROBE_MS;
  p->req.type = NET_AN_DIAL_REQUEST;
  p->req.nonce = p->nonce;
  /* The target first, then the others that want a check. */
  for (size_t pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < an->tally.n && p->req.naddrs < NET_AN_REQ_ADDRS_MAX;
         i++) {
      net_an_addr_t *a = &an->tally.a[i];
      if ((pass == 0) != ((int)i == t) ||
          (pass == 1 && !net_an_addr_needed(a, now)))
        continue;
      memcpy(p->req.addrs[p->req.naddrs], a->ma, a->len);
      p->req.addrlen[p->req.naddrs++] = a->len;
    }
  throttle(an, &k.peer, now);
  if (net_host_open(an->h, &k.peer, NET_AN_DIAL_PROTOCOL, probe_open, p)) {
    tr_free(p);
    return;
  }
  an->tally.a[t].busy++;
  p->next = an->probes;
  an->probes = p;
  an->nprobes++;
}

/* -------------------------------------------------------- dial-back (in) */

/* A dial-back stream: the bytes of the one DialBack message. */
typedef struct back_in {
  net_autonat_t *an;
  bool answered;
  size_t n;
  uint8_t buf[NET_AN_BACK_MSG_MAX + DAG_VARINT_MAX];
} back_in_t;

/* A whole DialBack: the probe with that nonce has its proof. */
static void back_in_try(net_stream_t *s, back_in_t *b) {
  const uint8_t *body;
  size_t blen;
  int64_t k = net_an_frame(b->buf, b->n, NET_AN_BACK_MSG_MAX, &body, &blen);
  if (k == 0)
    return;
  uint64_t nonce;
  probe_t *p = NULL;
  if (k > 0 && net_an_back_decode(body, blen, &nonce) == 0)
    for (p = b->an->probes; p; p = p->next)
      if (p->nonce == nonce && !p->got_back)
        break;
  /* Only a connection the server opened to us proves the address: one we
   * dialled would not. */
  if (!p || s->c->outbound) {
    net_stream_reset(s);
    return;
  }
  p->got_back = true;
  b->answered = true;
  tr_bytes_t out = {0};
  if (net_an_back_ok_encode(&out) == 0 && put(s, &out) == 0)
    net_stream_close(s); /* may free b */
  tr_bytes_free(&out);
  if (p->waiting)
    probe_end(p, NET_AN_OUT_OK, p->idx);
}

static void back_in_data(net_stream_t *s, const uint8_t *d, size_t n) {
  back_in_t *b = net_stream_ud(s);
  if (b->answered)
    return;
  if (n > sizeof b->buf - b->n) {
    net_stream_reset(s);
    return;
  }
  memcpy(b->buf + b->n, d, n);
  b->n += n;
  back_in_try(s, b);
}

static void back_in_fin(net_stream_t *s) {
  back_in_t *b = net_stream_ud(s);
  if (b->answered)
    net_stream_close(s);
  else
    net_stream_reset(s);
}

static void back_in_close(net_stream_t *s, int status) {
  (void)status;
  tr_free(net_stream_ud(s));
}

static const net_stream_cbs_t BACK_IN = {back_in_data, back_in_fin,
                                         back_in_close};

static void on_dial_back(net_stream_t *s, void *ud) {
  net_autonat_t *an = ud;
  back_in_t *b = an->closing ? NULL : tr_calloc(1, sizeof *b);
  if (!b) {
    net_stream_reset(s);
    return;
  }
  b->an = an;
  net_stream_set(s, &BACK_IN, b);
}

/* ================================================================ server */

enum { SV_REQ, SV_DATA, SV_WAIT, SV_DIAL, SV_DONE };

struct serve {
  serve_t *next;
  net_autonat_t *an;
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
  net_autonat_t *an = v->an;
  for (serve_t **pp = &an->serves; *pp; pp = &(*pp)->next)
    if (*pp == v) {
      *pp = v->next;
      break;
    }
  tr_bytes_free(&v->in);
  tr_free(v);
  maybe_free_an(an);
}

/* The request is over: its rate-limit slot is free, the dialer goes at
 * the next tick (not now: we may be inside one of its callbacks). */
static void serve_over(serve_t *v) {
  v->phase = SV_DONE;
  if (v->counted)
    net_an_limiter_done(&v->an->lim, &v->peer);
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
  static net_an_msg_t m; /* type, status, addr_idx, dial_status are read */
  m.type = NET_AN_DIAL_RESPONSE;
  m.status = status;
  m.addr_idx = status == NET_AN_RS_OK ? v->idx : 0;
  m.dial_status = status == NET_AN_RS_OK ? dial_status : NET_AN_DS_UNUSED;
  tr_bytes_t b = {0};
  net_stream_t *s = v->s;
  if (net_an_encode(&m, &b))
    net_stream_reset(s);
  else if (put(s, &b) == 0)
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

static const net_stream_cbs_t BACK_OUT = {bo_data, bo_fin, bo_close};

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
  if (net_an_back_encode(v->nonce, &b) == 0 && put(bs, &b) == 0) {
    /* go's server: half-close, then wait for a byte or the end (the
     * client's DialBackResponse), at most NET_AN_BACK_MS. */
    v->written = true;
    v->back_deadline = now_ms(v->an) + NET_AN_BACK_MS;
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
  net_autonat_t *an = v->an;
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
  net_host_opts_t ho = {.key = &key, .agent = an->h->agent};
  int rc = k < 0 ? k : net_host_new(an->h->loop, &ho, &v->dialer);
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
  net_autonat_t *an = v->an;
  uint64_t now = now_ms(an);
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
  int idx = net_an_pick(m, an->o.allow_private);
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
  if (!net_an_limiter_accept_data(&an->lim, now)) {
    serve_respond(v, NET_AN_RS_REJECTED, 0);
    return false;
  }
  static net_an_msg_t q; /* type, addr_idx, num_bytes are read */
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
    rc = put(v->s, &b);
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
      consume(&v->in, (size_t)f);
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

static const net_stream_cbs_t SERVE = {sv_data, sv_fin, sv_close};

static void nop_close(net_stream_t *s, int status) { (void)s, (void)status; }
static const net_stream_cbs_t NOP = {NULL, NULL, nop_close};

static void on_dial_request(net_stream_t *s, void *ud) {
  net_autonat_t *an = ud;
  uint64_t now = now_ms(an);
  const net_peerid_t *peer = net_stream_peer(s);
  if (an->closing) {
    net_stream_reset(s);
    return;
  }
  if (!net_an_limiter_accept(&an->lim, peer, now)) {
    static net_an_msg_t m;
    m.type = NET_AN_DIAL_RESPONSE;
    m.status = NET_AN_RS_REJECTED;
    tr_bytes_t b = {0};
    net_stream_set(s, &NOP, NULL);
    if (net_an_encode(&m, &b) == 0 && put(s, &b) == 0)
      net_stream_close(s);
    tr_bytes_free(&b);
    return;
  }
  serve_t *v = tr_calloc(1, sizeof *v);
  if (!v) {
    net_an_limiter_done(&an->lim, peer);
    net_stream_reset(s);
    return;
  }
  v->an = an;
  v->s = s;
  v->peer = *peer;
  v->counted = true;
  v->deadline = now + NET_AN_SERVER_MS;
  size_t olen;
  const uint8_t *obs = net_stream_remote_ma(s, &olen);
  memcpy(v->obs, obs, olen);
  v->olen = (uint8_t)olen;
  v->next = an->serves;
  an->serves = v;
  net_stream_set(s, &SERVE, v);
}

/* Deadlines, dials due after dial data, dialers to close. */
static void serve_tick(net_autonat_t *an, uint64_t now) {
  for (serve_t *v = an->serves, *next; v; v = next) {
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

/* net_autonat_close(): the request is dropped, the dialer closed now (we
 * are not inside its callbacks). */
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

/* ================================================================ timer */

/* The candidate addresses: public listen addresses and activated observed
 * ones (or any, with allow_private). */
static void refresh_addrs(net_autonat_t *an) {
  enum { MAXA = 2 * NET_AN_TRACK_MAX };
  char(*s)[NET_MA_STR_MAX / 16] = tr_malloc(MAXA * sizeof *s);
  uint8_t(*bin)[NET_AN_ADDR_MAX] = tr_malloc(MAXA * sizeof *bin);
  if (!s || !bin) {
    tr_free(s), tr_free(bin);
    return;
  }
  size_t n = net_host_addrs(an->h, s, MAXA);
  n = n > MAXA ? MAXA : n;
  n += net_host_observed_addrs(an->h, s + n, MAXA - n);
  n = n > MAXA ? MAXA : n;
  const uint8_t *ptr[MAXA];
  size_t lens[MAXA], k = 0;
  for (size_t i = 0; i < n; i++) {
    int l = net_ma_parse(s[i], strlen(s[i]), bin[k], NET_AN_ADDR_MAX);
    if (l <= 0 || (!an->o.allow_private && !net_ma_is_public(bin[k], (size_t)l)))
      continue;
    ptr[k] = bin[k];
    lens[k++] = (size_t)l;
  }
  net_an_tally_set(&an->tally, ptr, lens, k);
  tr_free(s);
  tr_free(bin);
}

static void on_tick(uv_timer_t *t) {
  net_autonat_t *an = t->data;
  uint64_t now = now_ms(an);
  for (probe_t *p = an->probes, *next; p; p = next) {
    next = p->next;
    if (now >= p->deadline)
      probe_end(p, -1, 0);
  }
  serve_tick(an, now);
  if (!an->o.client)
    return;
  refresh_addrs(an);
  update_reach(an);
  while (an->nprobes < NET_AN_CLIENT_BUSY) {
    size_t before = an->nprobes;
    probe_start(an, now);
    if (an->nprobes == before)
      break;
  }
}

/* ================================================================ API */

int net_autonat_new(net_host_t *h, const net_autonat_opts_t *o,
                    net_autonat_t **out) {
  net_autonat_t *an = tr_calloc(1, sizeof *an);
  if (!an)
    return -ENOMEM;
  an->h = h;
  an->o = *o;
  net_an_limiter_init(&an->lim);
  int rc = net_host_handle(h, NET_AN_BACK_PROTOCOL, on_dial_back, an);
  if (!rc && o->service)
    rc = net_host_handle(h, NET_AN_DIAL_PROTOCOL, on_dial_request, an);
  if (!rc)
    rc = uv_timer_init(h->loop, &an->timer);
  if (rc) {
    tr_free(an);
    return rc;
  }
  an->timer.data = an;
  uint32_t tick = o->tick_ms ? o->tick_ms : NET_AN_TICK_MS;
  uv_timer_start(&an->timer, on_tick, tick, tick);
  uv_unref((uv_handle_t *)&an->timer);
  *out = an;
  return 0;
}

static void on_timer_closed(uv_handle_t *hd) {
  net_autonat_t *an = hd->data;
  an->timer_closed = true;
  maybe_free_an(an);
}

void net_autonat_close(net_autonat_t *an) {
  if (!an || an->closing)
    return;
  an->closing = true;
  while (an->probes)
    probe_end(an->probes, -1, 0);
  for (serve_t *v = an->serves, *next; v; v = next) {
    next = v->next;
    serve_abort(v);
  }
  uv_close((uv_handle_t *)&an->timer, on_timer_closed);
}

net_reach_t net_autonat_reachability(const net_autonat_t *an) {
  return an->reach;
}

size_t net_autonat_addrs(net_autonat_t *an, net_an_addr_fn fn, void *ud) {
  uint64_t now = now_ms(an);
  for (size_t i = 0; i < an->tally.n && fn; i++) {
    char s[NET_MA_STR_MAX / 16];
    net_an_addr_t *a = &an->tally.a[i];
    if (net_ma_format(a->ma, a->len, s, sizeof s) >= 0)
      fn(s, net_an_addr_reach(a, now), ud);
  }
  return an->tally.n;
}
