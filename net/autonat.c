/*
 * autonat.c — AutoNAT v2 on the host's loop (see autonat.h): the client's
 * checks (probe_t), the dial-back handler, and the timer that starts
 * checks, enforces deadlines and notices changes; the server is
 * autonat_serve.c's.  What the
 * bytes mean and what to decide is autonat_msg.c's and
 * autonat_tally.c's; this file only moves bytes and keeps lifetimes.
 *
 * Lifetimes: a probe lives until its stream is gone (the stream's on_close
 * frees it once the probe is over).  The service itself is freed after
 * net_autonat_close() once its timer is closed and the server has no
 * request left.
 */
#include "autonat_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../dag/varint.h"

typedef struct probe probe_t;

struct net_autonat {
  net_host_t *h;
  net_autonat_opts_t o;
  uv_timer_t timer;
  net_an_tally_t tally;
  net_reach_t reach;
  net__an_server_t srv;
  probe_t *probes;
  size_t nprobes;
  struct {
    net_peerid_t p;
    uint64_t until;
  } thr[NET_AN_THROTTLE_MAX];
  bool closing, timer_closed;
};

static uint64_t now_ms(net_autonat_t *an) { return uv_now(an->h->loop); }

static void maybe_free_an(net_autonat_t *an) {
  if (an->closing && an->timer_closed && !an->srv.serves && !an->probes)
    tr_free(an);
}

static void srv_idle(void *ud) { maybe_free_an(ud); }

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
  net_an_msg_t m = {0}; /* 3 KiB on the loop thread's stack */
  m.type = NET_AN_DATA_RESPONSE;
  int rc = 0;
  for (uint64_t left = numbytes; left > 0 && !rc;) {
    m.data_len = left < NET_AN_DATA_CHUNK ? (size_t)left : NET_AN_DATA_CHUNK;
    left -= m.data_len;
    rc = net_an_encode(&m, &b);
  }
  if (!rc)
    rc = net__an_put(s, &b);
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
      net__an_consume(&p->in, (size_t)f);
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

static const net_stream_cbs_t PROBE = {probe_data, probe_fin, probe_close, NULL};

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
    (void)net__an_put(s, &b);
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

static void pick_conn(const net_peerid_t *peer, const char *addr, bool out,
                      void *ud) {
  (void)addr, (void)out;
  pick_t *k = ud;
  if (k->found || throttled(k->an, peer, k->now))
    return;
  for (probe_t *p = k->an->probes; p; p = p->next)
    if (net_peerid_equal(&p->server, peer))
      return;
  if (net_ps_speaks(net_ps_get(&k->an->h->ps, peer), NET_AN_DIAL_PROTOCOL)) {
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
  if (net_an_back_ok_encode(&out) == 0 && net__an_put(s, &out) == 0)
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
                                         back_in_close, NULL};

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
  size_t n = net_host_announce_addrs(an->h, s, MAXA);
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
  net__an_server_tick(&an->srv, now);
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
  net__an_server_init(&an->srv, h, o->allow_private, srv_idle, an);
  int rc = net_host_handle(h, NET_AN_BACK_PROTOCOL, on_dial_back, an);
  if (!rc && o->service)
    rc = net_host_handle(h, NET_AN_DIAL_PROTOCOL, net__an_on_dial_request,
                         &an->srv);
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
  net__an_server_close(&an->srv);
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
