/*
 * identify.c — /ipfs/id/1.0.0 and /ipfs/id/push/1.0.0 (libp2p/specs
 * identify/README.md).  When a peer opens /ipfs/id/1.0.0 we send one
 * length-prefixed Identify message (protocolVersion "ipfs/0.1.0", our agent,
 * public key, listen addresses, the address we see the peer at, our
 * protocols) and close.  On every new connection we ask the peer the same,
 * and a push from the peer is read the same way; what it says goes to the
 * peerstore, and the address the peer observed us at to the host's
 * observed-address table (obsaddr.h).  Messages are read to the stream's end, at most
 * NET_ID_MSG_MAX bytes (go-libp2p's signedPeerRecord makes them ~1-2 KiB);
 * several concatenated messages are merged, as go-libp2p may split one.
 * Signed peer records are neither sent nor checked.
 */
#include "host_int.h"
#include "identify.h"
#include "net_int.h"

#include <errno.h>
#include <string.h>

#include "../dag/cid.h"
#include "net/proto/identify.pb-c.h"

#define NET_ID_MSG_MAX (64 * 1024)
#define NET_ID_ADDRS_MAX 32

typedef struct id_read {
  tr_bytes_t buf;
  bool asked; /* our question's answer, not a push */
} id_read_t;

typedef struct net_id_wait {
  struct net_id_wait *next;
  net_peerid_t peer;
  uint64_t deadline;
  net_identify_cb cb;
  void *ud;
} id_wait_t;

/* ---------------------------------------------------------- sending */

int net_identify_build(net_host_t *h, const uint8_t *observed, size_t olen,
                       tr_bytes_t *out) {
  Netpb__Identify m = NETPB__IDENTIFY__INIT;
  net_pubkey_t pk;
  uint8_t pkb[NET_PUBKEY_PB_MAX];
  net_privkey_pubkey(&h->key, &pk);
  int pklen = net_pubkey_marshal(&pk, pkb, sizeof pkb);
  if (pklen < 0)
    return pklen;
  m.protocolversion = (char *)NET_ID_PROTOCOL_VERSION;
  m.agentversion = h->agent;
  m.has_publickey = 1;
  m.publickey = (ProtobufCBinaryData){(size_t)pklen, pkb};
  char(*addrs)[NET_MA_STR_MAX / 16] = tr_malloc(NET_ID_ADDRS_MAX * sizeof *addrs);
  if (!addrs)
    return -ENOMEM;
  uint8_t bins[NET_ID_ADDRS_MAX][NET_CONN_MA_MAX];
  ProtobufCBinaryData la[NET_ID_ADDRS_MAX];
  size_t n = net_host_announce_addrs(h, addrs, NET_ID_ADDRS_MAX);
  if (n > NET_ID_ADDRS_MAX)
    n = NET_ID_ADDRS_MAX;
  for (size_t i = 0; i < n; i++) {
    int k = net_ma_parse(addrs[i], strlen(addrs[i]), bins[m.n_listenaddrs],
                         NET_CONN_MA_MAX);
    if (k > 0) {
      la[m.n_listenaddrs] = (ProtobufCBinaryData){(size_t)k,
                                                  bins[m.n_listenaddrs]};
      m.n_listenaddrs++;
    }
  }
  tr_free(addrs);
  m.listenaddrs = la;
  if (olen) {
    m.has_observedaddr = 1;
    m.observedaddr = (ProtobufCBinaryData){olen, (uint8_t *)observed};
  }
  const char *protos[NET_HOST_HANDLERS_MAX];
  m.n_protocols = net_host_protocols(h, protos, NET_HOST_HANDLERS_MAX);
  m.protocols = (char **)protos;
  size_t len = netpb__identify__get_packed_size(&m);
  uint8_t pre[10];
  size_t pl = dag_varint_put(pre, len);
  if (tr_bytes_reserve(out, pl + len))
    return -ENOMEM;
  memcpy(out->data + out->len, pre, pl);
  netpb__identify__pack(&m, out->data + out->len + pl);
  out->len += pl + len;
  return 0;
}

/* --------------------------------------------------------- receiving */

/* net_identify_parse, and the last observedAddr into obs (*olen 0 when
 * none; obs has NET_CONN_MA_MAX bytes: a longer one is not ours). */
static int parse(net_peerstore_t *ps, const net_peerid_t *peer,
                 const uint8_t *p, size_t n, uint8_t *obs, size_t *olen) {
  net_peerinfo_t *pi = net_ps_put(ps, peer);
  if (!pi)
    return -ENOMEM;
  while (n > 0) {
    uint64_t len;
    int k = dag_varint_get(p, n, &len);
    if (k < 0 || len > n - (size_t)k)
      return TR_EPROTO;
    Netpb__Identify *m =
        netpb__identify__unpack(&net__pb_mem, (size_t)len, p + k);
    if (!m)
      return TR_EPROTO;
    p += (size_t)k + len, n -= (size_t)k + len;
    if (obs && m->has_observedaddr && m->observedaddr.len <= NET_CONN_MA_MAX) {
      memcpy(obs, m->observedaddr.data, m->observedaddr.len);
      *olen = m->observedaddr.len;
    }
    if (m->agentversion)
      snprintf(pi->agent, sizeof pi->agent, "%s", m->agentversion);
    if (m->protocolversion)
      snprintf(pi->protover, sizeof pi->protover, "%s", m->protocolversion);
    net_pubkey_t *pk = m->has_publickey ? tr_malloc(sizeof *pk) : NULL;
    /* Kept only when it is the key the PeerID names (the one Noise
     * proved): anything else is a lie, ignored. */
    if (pk && net_pubkey_unmarshal(pk, m->publickey.data, m->publickey.len) == 0 &&
        net_peerid_matches(peer, pk) &&
        net_ps_set_pubkey(pi, m->publickey.data, m->publickey.len))
      tr_log(TR_LOG_DEBUG, "identify: cannot keep a public key");
    tr_free(pk);
    for (size_t i = 0; i < m->n_listenaddrs; i++)
      if (net_ma_validate(m->listenaddrs[i].data, m->listenaddrs[i].len) == 0)
        net_ps_add_addr(pi, m->listenaddrs[i].data, m->listenaddrs[i].len);
    int rc = m->n_protocols
                 ? net_ps_set_protos(pi, (const char *const *)m->protocols,
                                     m->n_protocols)
                 : 0;
    netpb__identify__free_unpacked(m, &net__pb_mem);
    if (rc)
      return rc;
  }
  return 0;
}

/* ------------------------------------------------------------ waiters */

/* Fire (and free) the waiters for peer, or every waiter when peer is NULL
 * and now is 0; with peer NULL and now set, those past their deadline. */
static void fire(net_host_t *h, const net_peerid_t *peer, uint64_t now,
                 int status) {
  id_wait_t **pp = &h->idw, *ready = NULL;
  while (*pp) {
    id_wait_t *w = *pp;
    bool go = peer ? net_peerid_equal(&w->peer, peer)
                   : (now == 0 || now >= w->deadline);
    if (go) {
      *pp = w->next;
      w->next = ready;
      ready = w;
    } else {
      pp = &w->next;
    }
  }
  /* Called after unlinking, so a callback may add a waiter. */
  while (ready) {
    id_wait_t *w = ready;
    ready = w->next;
    w->cb(status, w->ud);
    tr_free(w);
  }
}

int net_identify_wait(net_host_t *h, const net_peerid_t *peer,
                      uint32_t timeout_ms, net_identify_cb cb, void *ud) {
  if (!net_host_connected(h, peer))
    return TR_ENOTCONN;
  net_peerinfo_t *pi = net_ps_get(&h->ps, peer);
  if (pi && pi->identified)
    return 1;
  id_wait_t *w = tr_calloc(1, sizeof *w);
  if (!w)
    return -ENOMEM;
  w->peer = *peer;
  w->deadline = uv_now(h->loop) + timeout_ms;
  w->cb = cb;
  w->ud = ud;
  w->next = h->idw;
  h->idw = w;
  return 0;
}

void net__identify_sweep(net_host_t *h, uint64_t now) {
  if (h->idw)
    fire(h, NULL, now ? now : 1, -ETIMEDOUT);
}

void net__identify_close(net_host_t *h) { fire(h, NULL, 0, -ECANCELED); }

/* --------------------------------------------------------- reading */

int net_identify_parse(net_peerstore_t *ps, const net_peerid_t *peer,
                       const uint8_t *p, size_t n) {
  return parse(ps, peer, p, n, NULL, NULL);
}

static void rd_data(net_stream_t *s, const uint8_t *p, size_t n) {
  id_read_t *r = net_stream_ud(s);
  if (r->buf.len + n > NET_ID_MSG_MAX || tr_bytes_append(&r->buf, p, n))
    net_stream_reset(s);
}

static void rd_fin(net_stream_t *s) {
  id_read_t *r = net_stream_ud(s);
  net_host_t *h = net_stream_host(s);
  net_conn_t *c = s->c;
  uint8_t obs[NET_CONN_MA_MAX];
  size_t olen = 0;
  int rc = parse(&h->ps, net_stream_peer(s), r->buf.data, r->buf.len, obs,
                 &olen);
  if (rc)
    tr_log(TR_LOG_DEBUG, "identify: bad message from a peer");
  else if (olen && net_obs_record(&h->obs, (uintptr_t)c, c->lma, c->lmalen,
                                  c->ma, c->malen, obs, olen) < 0)
    tr_log(TR_LOG_DEBUG, "identify: observed address not kept");
  r->buf.len = 0;
  for (size_t i = 0; !rc && i < h->nidwatch; i++)
    h->idwatch[i].cb(h, net_stream_peer(s), h->idwatch[i].ud);
  if (r->asked) {
    net_peerinfo_t *pi = rc ? NULL : net_ps_get(&h->ps, net_stream_peer(s));
    if (pi)
      pi->identified = true;
    r->asked = false;
    fire(h, net_stream_peer(s), 0, rc);
  }
  net_stream_close(s);
}

static void rd_close(net_stream_t *s, int status) {
  id_read_t *r = net_stream_ud(s);
  if (r->asked)
    fire(net_stream_host(s), net_stream_peer(s), 0,
         status ? status : TR_EPROTO);
  tr_bytes_free(&r->buf);
  tr_free(r);
}

static const net_stream_cbs_t RD = {rd_data, rd_fin, rd_close, NULL};

static void start_read(net_stream_t *s, bool asked) {
  id_read_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    if (asked)
      fire(net_stream_host(s), net_stream_peer(s), 0, -ENOMEM);
    net_stream_reset(s);
    return;
  }
  r->asked = asked;
  net_stream_set(s, &RD, r);
}

static void on_id_open(net_stream_t *s, int status, void *ud) {
  net_conn_t *c = ud;
  if (status == 0)
    start_read(s, true);
  else
    fire(c->h, &c->peer, 0, status);
}

/* A connection is up (conn.c's hook): ask the peer who it is.  on_id_open
 * always runs while c lives (a stream's open callback is answered before
 * its connection goes). */
static void on_conn_up(net_conn_t *c, void *ud) {
  (void)ud;
  int rc = net__open_on(c, NET_ID_PROTOCOL, on_id_open, c);
  if (rc) {
    tr_log(TR_LOG_DEBUG, "identify: cannot open a stream");
    fire(c->h, &c->peer, 0, rc);
  }
}

/* ------------------------------------------------------------ handlers */

static void nop_close(net_stream_t *s, int status) {
  (void)s, (void)status;
}
static const net_stream_cbs_t WR = {NULL, NULL, nop_close, NULL};

static void on_id(net_stream_t *s, void *ud) {
  (void)ud;
  tr_bytes_t b = {0};
  size_t olen;
  const uint8_t *obs = net_stream_remote_ma(s, &olen);
  net_stream_set(s, &WR, NULL);
  if (net_identify_build(net_stream_host(s), obs, olen, &b) ||
      net_stream_write(s, b.data, b.len))
    net_stream_reset(s);
  else
    net_stream_close(s);
  tr_bytes_free(&b);
}

static void on_push(net_stream_t *s, void *ud) {
  (void)ud;
  start_read(s, false);
}

/* ---------------------------------------------------------- pushing */

/* A push stream is open: our identify goes out on it, as on_id answers. */
static void push_open(net_stream_t *s, int status, void *ud) {
  (void)ud;
  if (!status)
    on_id(s, NULL);
}

size_t net_identify_push(net_host_t *h) {
  size_t n = 0;
  for (net_conn_t *c = h->conns; c; c = c->next) {
    if (c->phase != NET_PH_OPEN || c->closing)
      continue;
    if (net__open_on(c, NET_ID_PUSH_PROTOCOL, push_open, NULL))
      tr_log(TR_LOG_DEBUG, "identify: no push stream to a peer");
    n++;
  }
  return n;
}

int net_identify_watch(net_host_t *h, net_identified_cb cb, void *ud) {
  if (h->nidwatch == NET_HOST_HOOKS_MAX)
    return TR_ELIMIT;
  h->idwatch[h->nidwatch].cb = cb;
  h->idwatch[h->nidwatch++].ud = ud;
  return 0;
}

int net__identify_init(net_host_t *h) {
  int rc = net_host_handle(h, NET_ID_PROTOCOL, on_id, NULL);
  if (!rc)
    rc = net_host_handle(h, NET_ID_PUSH_PROTOCOL, on_push, NULL);
  return rc ? rc : net__on_conn_up(h, on_conn_up, NULL);
}
