/*
 * httpnet.c — HTTP retrieval as a bitswap network (httpnet.h).
 *
 * Each request carries the entry it answers; replies are queued and fed
 * to the core from a timer (the core's send must not re-enter it), one
 * message per reply, through bsw_on_message as if the gateway had sent
 * it — so the core's checks (hash, wanted or not) apply unchanged.
 */
#include "httpnet.h"

#include <errno.h>
#include <string.h>

#include "../http/client.h"

typedef struct hpeer hpeer_t;

typedef struct hreq {
  struct hreq *next;
  hpeer_t *p;
  dag_cid_t cid;
  bool have, dont_have; /* HEAD; answer DONT_HAVE on failure */
  http_creq_t *creq;    /* NULL: waiting for a slot */
  tr_bytes_t body;
  int status;           /* HTTP status */
  bool paused;          /* by the receive rate limit */
} hreq_t;

struct hpeer {
  struct bsw_httpnet *hn;
  net_peerid_t id;
  char url[256];
  hreq_t *reqs;         /* in flight and waiting, in order */
  unsigned inflight;
};

typedef struct reply {
  struct reply *next;
  net_peerid_t id;
  tr_bytes_t msg;
} reply_t;

struct bsw_httpnet {
  uv_loop_t *loop;
  bsw_t *core;
  http_client_t *cl;
  hpeer_t *peers[BSW_HTTP_PEERS_MAX];
  size_t npeers;
  uv_timer_t kick;
  reply_t *replies, **rtail;
  bool closing;
  net_host_t *host;    /* its receive rate limit; NULL: none */
  uv_timer_t resume;   /* resumes what the limit paused */
  int handles;         /* kick and resume, until closed */
};

static hpeer_t *find(const bsw_httpnet_t *hn, const net_peerid_t *id) {
  for (size_t i = 0; i < hn->npeers; i++)
    if (net_peerid_equal(&hn->peers[i]->id, id))
      return hn->peers[i];
  return NULL;
}

bool bsw__httpnet_owns(const bsw_httpnet_t *hn, const net_peerid_t *id) {
  return hn && find(hn, id);
}

/* ---------------------------------------------------------------- replies */

static void on_kick(uv_timer_t *t) {
  bsw_httpnet_t *hn = t->data;
  uint64_t now = uv_now(hn->loop);
  while (hn->replies && !hn->closing) {
    reply_t *r = hn->replies;
    hn->replies = r->next;
    if (!hn->replies)
      hn->rtail = &hn->replies;
    if (find(hn, &r->id)) {
      int rc = bsw_on_message(hn->core, &r->id, r->msg.data, r->msg.len, now);
      (void)rc; /* a refused message was charged to the gateway */
    }
    tr_bytes_free(&r->msg);
    tr_free(r);
  }
}

static void reply(bsw_httpnet_t *hn, hpeer_t *p, const dag_cid_t *cid,
                  int presence, const tr_bytes_t *block) {
  reply_t *r = tr_calloc(1, sizeof *r);
  if (!r)
    return;
  r->id = p->id;
  int rc = block ? bsw_enc_block(&r->msg, cid, block->data, block->len,
                                 BSW_V120)
                 : bsw_enc_presence(&r->msg, cid, presence);
  if (rc) {
    tr_bytes_free(&r->msg);
    tr_free(r);
    return;
  }
  *hn->rtail = r;
  hn->rtail = &r->next;
  if (!hn->closing)
    uv_timer_start(&hn->kick, on_kick, 0, 0);
}

/* --------------------------------------------------------------- requests */

static void start_waiting(hpeer_t *p);

static void req_unlink(hreq_t *q) {
  for (hreq_t **pp = &q->p->reqs; *pp; pp = &(*pp)->next)
    if (*pp == q) {
      *pp = q->next;
      return;
    }
}

static int on_head(http_creq_t *c, int status, const http_header_t *h,
                   size_t nh, void *ud) {
  (void)c, (void)h, (void)nh;
  hreq_t *q = ud;
  q->status = status;
  return status == 200 ? 0 : 1; /* nothing else is worth reading */
}

static void on_resume(uv_timer_t *t) {
  bsw_httpnet_t *hn = t->data;
  for (size_t i = 0; i < hn->npeers; i++)
    for (hreq_t *q = hn->peers[i]->reqs; q; q = q->next)
      if (q->paused && q->creq) {
        q->paused = false;
        http_creq_resume(q->creq);
      }
}

static int on_body(http_creq_t *c, const uint8_t *d, size_t n, void *ud) {
  hreq_t *q = ud;
  if (q->body.len + n > BSW_BLOCK_MAX || tr_bytes_append(&q->body, d, n))
    return 1;
  bsw_httpnet_t *hn = q->p ? q->p->hn : NULL;
  uint64_t wait = hn ? net_host_recv_charge(hn->host, n) : 0;
  if (wait && !hn->closing) {
    q->paused = true;
    http_creq_pause(c);
    if (!uv_is_active((uv_handle_t *)&hn->resume))
      uv_timer_start(&hn->resume, on_resume, wait, 0);
  }
  return 0;
}

static void on_done(http_creq_t *c, int status, void *ud) {
  (void)c;
  hreq_t *q = ud;
  hpeer_t *p = q->p;
  if (p) { /* NULL: its gateway was removed meanwhile */
    bsw_httpnet_t *hn = p->hn;
    req_unlink(q);
    p->inflight--;
    if (status != -ECANCELED) {
      if (!status && q->status == 200)
        reply(hn, p, &q->cid, BSW_HAVE, q->have ? NULL : &q->body);
      else if (q->dont_have)
        reply(hn, p, &q->cid, BSW_DONT_HAVE, NULL);
    }
    if (!hn->closing)
      start_waiting(p);
  }
  tr_bytes_free(&q->body);
  tr_free(q);
}

static const http_client_cbs_t CBS = {on_head, on_body, on_done};

static void start(hpeer_t *p, hreq_t *q) {
  char cid[DAG_CID_STR_MAX], url[512];
  dag_cid_t v1;
  dag_cid_to_v1(&v1, &q->cid);
  if (!dag_cid_str(&v1, cid) ||
      (size_t)snprintf(url, sizeof url, "%s/ipfs/%s?format=raw", p->url,
                       cid) >= sizeof url) {
    req_unlink(q);
    tr_free(q);
    return;
  }
  static const http_header_t hdrs[] = {
      {"accept", "application/vnd.ipld.raw"}};
  p->inflight++;
  int rc = http_client_request(p->hn->cl, q->have ? "HEAD" : "GET", url, hdrs,
                               1, NULL, 0, &CBS, q, &q->creq);
  if (rc) {
    p->inflight--;
    req_unlink(q);
    if (q->dont_have)
      reply(p->hn, p, &q->cid, BSW_DONT_HAVE, NULL);
    tr_free(q);
    return;
  }
  http_creq_set_limits(q->creq, BSW_BLOCK_MAX, BSW_HTTP_TIMEOUT_MS);
}

static void start_waiting(hpeer_t *p) {
  for (hreq_t *q = p->reqs; q && p->inflight < BSW_HTTP_INFLIGHT;) {
    hreq_t *next = q->next;
    if (!q->creq)
      start(p, q);
    q = next;
  }
}

int bsw__httpnet_send(bsw_httpnet_t *hn, const net_peerid_t *id,
                      const uint8_t *msg, size_t n) {
  hpeer_t *p = find(hn, id);
  if (!p || hn->closing)
    return TR_ENOTCONN;
  bsw_msg_t m;
  int rc = bsw_msg_decode(&m, msg, n);
  if (rc)
    return rc;
  for (size_t i = 0; i < m.nentries; i++) {
    const bsw_entry_t *e = &m.entries[i];
    hreq_t *q = p->reqs, *same = NULL;
    for (; q; q = q->next)
      if (dag_cid_equal(&q->cid, &e->cid))
        same = q;
    if (e->cancel) {
      if (same && same->creq)
        http_creq_cancel(same->creq); /* on_done unlinks it */
      else if (same) {
        req_unlink(same);
        tr_free(same);
      }
      continue;
    }
    if (same && (same->have == (e->type == BSW_WANT_HAVE) || !same->have))
      continue; /* asked already (a want-block covers a want-have) */
    if (!(q = tr_calloc(1, sizeof *q)))
      break;
    q->p = p;
    q->cid = e->cid;
    q->have = e->type == BSW_WANT_HAVE;
    q->dont_have = e->send_dont_have;
    hreq_t **tail = &p->reqs;
    while (*tail)
      tail = &(*tail)->next;
    *tail = q;
  }
  bsw_msg_free(&m);
  start_waiting(p);
  return 0;
}

/* ----------------------------------------------------------------- peers */

int bsw__httpnet_add(bsw_httpnet_t *hn, const char *url, net_peerid_t *id) {
  size_t n = strlen(url);
  while (n && url[n - 1] == '/')
    n--;
  size_t sl = !strncmp(url, "https://", 8) ? 8 : 7;
  if (n <= sl || (sl == 7 && strncmp(url, "http://", 7)) ||
      n >= sizeof hn->peers[0]->url)
    return TR_EUSAGE;
  char seed[300];
  snprintf(seed, sizeof seed, "trove-http:%.*s", (int)n, url);
  uint8_t mh[34] = {0x12, 0x20};
  dag_sha256(seed, strlen(seed), mh + 2);
  int rc = net_peerid_from_bytes(id, mh, sizeof mh);
  if (rc)
    return rc;
  if (find(hn, id))
    return TR_EEXIST;
  if (hn->npeers == BSW_HTTP_PEERS_MAX)
    return TR_ELIMIT;
  hpeer_t *p = tr_calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  p->hn = hn;
  p->id = *id;
  memcpy(p->url, url, n);
  hn->peers[hn->npeers++] = p;
  if ((rc = bsw_peer_up(hn->core, id, BSW_V120, uv_now(hn->loop)))) {
    hn->peers[--hn->npeers] = NULL;
    tr_free(p);
  }
  return rc;
}

static void peer_free(hpeer_t *p) {
  while (p->reqs) {
    hreq_t *q = p->reqs;
    p->reqs = q->next;
    if (q->creq) {
      q->p = NULL; /* on_done frees it */
      http_creq_cancel(q->creq);
    } else {
      tr_free(q);
    }
  }
  tr_free(p);
}

void bsw__httpnet_remove(bsw_httpnet_t *hn, const net_peerid_t *id) {
  for (size_t i = 0; i < hn->npeers; i++)
    if (net_peerid_equal(&hn->peers[i]->id, id)) {
      peer_free(hn->peers[i]);
      hn->peers[i] = hn->peers[--hn->npeers];
      return;
    }
}

/* ------------------------------------------------------------- lifecycle */

int bsw__httpnet_new(uv_loop_t *loop, bsw_t *core, bsw_httpnet_t **out) {
  bsw_httpnet_t *hn = tr_calloc(1, sizeof *hn);
  if (!hn)
    return -ENOMEM;
  hn->loop = loop;
  hn->core = core;
  hn->rtail = &hn->replies;
  http_client_opts_t o;
  http_client_opts_default(&o);
  o.max_body_bytes = BSW_BLOCK_MAX;
  int rc = http_client_new(loop, &o, &hn->cl);
  if (rc) {
    tr_free(hn);
    return rc;
  }
  uv_timer_init(loop, &hn->kick);
  hn->kick.data = hn;
  uv_timer_init(loop, &hn->resume);
  hn->resume.data = hn;
  hn->handles = 2;
  *out = hn;
  return 0;
}

void bsw__httpnet_set_host(bsw_httpnet_t *hn, net_host_t *host) {
  hn->host = host;
}

static void on_kick_closed(uv_handle_t *h) {
  bsw_httpnet_t *hn = h->data;
  if (--hn->handles == 0)
    tr_free(hn);
}

void bsw__httpnet_free(bsw_httpnet_t *hn) {
  if (!hn)
    return;
  hn->closing = true;
  for (size_t i = 0; i < hn->npeers; i++)
    peer_free(hn->peers[i]);
  hn->npeers = 0;
  while (hn->replies) {
    reply_t *r = hn->replies;
    hn->replies = r->next;
    tr_bytes_free(&r->msg);
    tr_free(r);
  }
  http_client_free(hn->cl); /* cancelled requests end on the loop */
  uv_close((uv_handle_t *)&hn->kick, on_kick_closed);
  uv_close((uv_handle_t *)&hn->resume, on_kick_closed);
}
