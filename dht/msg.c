/*
 * msg.c — the kad DHT's wire messages (msg.h): framing, decoding into the
 * plain dht_msg_t with its caps, encoding, with protobuf-c over
 * dht/proto/dht.proto.  No I/O; nothing here knows what a message means
 * (the routing table and the queries are elsewhere).
 *
 * Decoding is bounded twice: the framer refuses a length over its max, and
 * protobuf-c's temporaries draw on a budget of DHT_MSG_DECODE_MEM bytes.
 * protobuf-c allocates every element of a repeated field before we see
 * one, so without the budget a 4 MiB message of two-byte empty peers
 * would cost some 150 MB of Peer structs to be cut to 64 afterwards.
 */
#include "msg.h"

#include <errno.h>
#include <string.h>

#include "../dag/varint.h"
#include "../net/multiaddr.h"
#include "dht/proto/dht.pb-c.h"

/* ------------------------------------------------------------ framing */

int64_t dht_frame(const uint8_t *p, size_t n, size_t max,
                  const uint8_t **body, size_t *blen) {
  return dag_varint_frame(p, n, max, body, blen);
}

/* --------------------------------------------------- bounded allocator */

/* protobuf-c answers NULL both for bad input and for a failed malloc; the
 * budget remembers which (-ENOMEM is ours and retryable, the rest is the
 * peer's fault). */
typedef struct pb_budget {
  size_t left;
  bool oom;
} pb_budget_t;

static void *budget_alloc(void *data, size_t n) {
  pb_budget_t *b = data;
  if (n > b->left)
    return NULL;
  void *p = tr_malloc(n);
  if (!p) {
    b->oom = true;
    return NULL;
  }
  b->left -= n; /* never given back: one decode, then all is freed */
  return p;
}

static void budget_free(void *data, void *p) {
  (void)data;
  tr_free(p);
}

/* ------------------------------------------------------------ decoding */

/* Copy d into a fresh buffer (NULL for an empty one). */
static int dup_bytes(const ProtobufCBinaryData *d, uint8_t **out,
                     size_t *len) {
  *out = NULL;
  *len = 0;
  if (!d->len)
    return 0;
  if (!(*out = tr_malloc(d->len)))
    return -ENOMEM;
  memcpy(*out, d->data, d->len);
  *len = d->len;
  return 0;
}

/* The length of a valid multiaddr a[0..len) without a trailing /p2p/ID
 * naming peer id; 0 when the /p2p/ names another peer or nothing precedes
 * it.  js-libp2p puts its own /p2p/ on the addresses of its ADD_PROVIDER;
 * go's peerstore strips it (and drops other peers'), and we append
 * /p2p/ID when dialling, so a kept suffix would make an undialable
 * .../p2p/ID/p2p/ID and reach our answers and the RPC as is. */
static size_t without_own_p2p(const uint8_t *a, size_t len,
                              const net_peerid_t *id) {
  net_ma_comp_t c = {0};
  size_t off = 0, last = 0;
  while (off < len) {
    int n = net_ma_next(a + off, len - off, &c);
    if (n < 0)
      return 0;
    last = off;
    off += (size_t)n;
  }
  if (c.code != NET_MA_P2P)
    return len;
  if (c.vlen != id->len || memcmp(c.value, id->bytes, id->len))
    return 0;
  return last;
}

/* Fill d from s: false when s's id is not a PeerID.  Addresses that are
 * not valid multiaddrs, name another peer or are over DHT_ADDR_MAX (once
 * the peer's own /p2p/ is cut) are skipped. */
static bool peer_from_pb(dht_peer_t *d, const Dhtpb__Message__Peer *s) {
  memset(d, 0, sizeof *d);
  if (!s->id.len || net_peerid_from_bytes(&d->id, s->id.data, s->id.len) < 0)
    return false;
  int c = (int)s->connection;
  d->conn = (uint8_t)(c >= DHT_NOT_CONNECTED && c <= DHT_CANNOT_CONNECT
                          ? c
                          : DHT_NOT_CONNECTED);
  for (size_t i = 0; i < s->n_addrs && d->naddrs < DHT_PEER_ADDRS_MAX; i++) {
    const ProtobufCBinaryData *a = &s->addrs[i];
    if (net_ma_validate(a->data, a->len) < 0)
      continue;
    size_t len = without_own_p2p(a->data, a->len, &d->id);
    if (!len || len > DHT_ADDR_MAX)
      continue;
    memcpy(d->addrs[d->naddrs], a->data, len);
    d->addrlen[d->naddrs++] = (uint8_t)len;
  }
  return true;
}

/* Keep the first DHT_MSG_PEERS_MAX peers of pp[0..n) that have a PeerID;
 * the valid ones past the cap are counted in *dropped. */
static int peers_from_pb(Dhtpb__Message__Peer *const *pp, size_t n,
                         dht_peer_t **out, size_t *nout, size_t *dropped) {
  *out = NULL;
  *nout = *dropped = 0;
  if (!n)
    return 0;
  size_t cap = n < DHT_MSG_PEERS_MAX ? n : DHT_MSG_PEERS_MAX;
  dht_peer_t *v = tr_malloc(cap * sizeof *v);
  if (!v)
    return -ENOMEM;
  dht_peer_t spare;
  for (size_t i = 0; i < n; i++) {
    dht_peer_t *d = *nout < cap ? &v[*nout] : &spare;
    if (!peer_from_pb(d, pp[i]))
      continue;
    if (d == &spare)
      ++*dropped;
    else
      ++*nout;
  }
  if (!*nout) {
    tr_free(v);
    return 0;
  }
  *out = v;
  return 0;
}

static int record_from_pb(const Dhtpb__Record *r, dht_record_t *d) {
  if (r->key.len > DHT_KEY_MAX || r->value.len > DHT_RECORD_VALUE_MAX)
    return TR_EPROTO;
  const char *t = r->timereceived ? r->timereceived : "";
  size_t tl = strlen(t);
  if (tl >= DHT_TIME_MAX)
    return TR_EPROTO;
  memcpy(d->time_received, t, tl + 1);
  int rc = dup_bytes(&r->key, &d->key, &d->keylen);
  return rc < 0 ? rc : dup_bytes(&r->value, &d->value, &d->vlen);
}

/* Copy what pm says into m (zeroed); on error m may hold allocations. */
static int from_pb(const Dhtpb__Message *pm, dht_msg_t *m) {
  int t = (int)pm->type;
  if (t < DHT_PUT_VALUE || t > DHT_PING || pm->key.len > DHT_KEY_MAX)
    return TR_EPROTO;
  m->type = (dht_msg_type_t)t;
  m->cluster_level = pm->clusterlevelraw;
  int rc = dup_bytes(&pm->key, &m->key, &m->keylen);
  if (rc == 0 && pm->record) {
    m->has_record = true;
    rc = record_from_pb(pm->record, &m->record);
  }
  if (rc == 0)
    rc = peers_from_pb(pm->closerpeers, pm->n_closerpeers, &m->closer,
                       &m->ncloser, &m->closer_dropped);
  if (rc == 0)
    rc = peers_from_pb(pm->providerpeers, pm->n_providerpeers, &m->providers,
                       &m->nproviders, &m->providers_dropped);
  return rc;
}

int dht_msg_decode(const uint8_t *p, size_t n, dht_msg_t *m) {
  memset(m, 0, sizeof *m);
  pb_budget_t b = {DHT_MSG_DECODE_MEM, false};
  ProtobufCAllocator a = {budget_alloc, budget_free, &b};
  Dhtpb__Message *pm = dhtpb__message__unpack(&a, n, p);
  if (!pm)
    return b.oom ? -ENOMEM : TR_EPROTO;
  int rc = from_pb(pm, m);
  dhtpb__message__free_unpacked(pm, &a);
  if (rc < 0)
    dht_msg_free(m);
  return rc;
}

void dht_msg_free(dht_msg_t *m) {
  tr_free(m->key);
  tr_free(m->record.key);
  tr_free(m->record.value);
  tr_free(m->closer);
  tr_free(m->providers);
  memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------ encoding */

/* A Peer for protobuf-c with room for its address views. */
typedef struct pb_peer {
  Dhtpb__Message__Peer p;
  ProtobufCBinaryData addrs[DHT_PEER_ADDRS_MAX];
} pb_peer_t;

static bool peers_ok(const dht_peer_t *v, size_t n) {
  if (n && !v)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (v[i].id.len > NET_PEERID_MAX || v[i].naddrs > DHT_PEER_ADDRS_MAX ||
        v[i].conn > DHT_CANNOT_CONNECT)
      return false;
    for (size_t j = 0; j < v[i].naddrs; j++)
      if (v[i].addrlen[j] > DHT_ADDR_MAX)
        return false;
  }
  return true;
}

static bool msg_ok(const dht_msg_t *m) {
  if ((unsigned)m->type > DHT_PING || (m->keylen && !m->key))
    return false;
  if (m->has_record &&
      ((m->record.keylen && !m->record.key) ||
       (m->record.vlen && !m->record.value) ||
       !memchr(m->record.time_received, 0, DHT_TIME_MAX)))
    return false;
  return peers_ok(m->closer, m->ncloser) &&
         peers_ok(m->providers, m->nproviders) &&
         m->ncloser <= SIZE_MAX / 2 / sizeof(pb_peer_t) &&
         m->nproviders <= SIZE_MAX / 2 / sizeof(pb_peer_t);
}

/* Point pb[i] and ptr[i] at the views of v[i], i < n. */
static void peers_to_pb(const dht_peer_t *v, size_t n, pb_peer_t *pb,
                        Dhtpb__Message__Peer **ptr) {
  for (size_t i = 0; i < n; i++) {
    pb_peer_t *q = &pb[i];
    dhtpb__message__peer__init(&q->p);
    q->p.id = (ProtobufCBinaryData){v[i].id.len, (uint8_t *)v[i].id.bytes};
    q->p.connection = (Dhtpb__Message__ConnectionType)v[i].conn;
    for (size_t j = 0; j < v[i].naddrs; j++)
      q->addrs[j] = (ProtobufCBinaryData){v[i].addrlen[j],
                                          (uint8_t *)v[i].addrs[j]};
    q->p.n_addrs = v[i].naddrs;
    q->p.addrs = q->addrs;
    ptr[i] = &q->p;
  }
}

/* Append pm, its length first. */
static int put_framed(const Dhtpb__Message *pm, tr_bytes_t *out) {
  size_t len = dhtpb__message__get_packed_size(pm);
  if (len > DHT_MSG_MAX)
    return TR_ETOOBIG;
  uint8_t pre[DAG_VARINT_MAX];
  size_t pl = dag_varint_put(pre, len);
  if (tr_bytes_reserve(out, pl + len))
    return -ENOMEM;
  memcpy(out->data + out->len, pre, pl);
  dhtpb__message__pack(pm, out->data + out->len + pl);
  out->len += pl + len;
  return 0;
}

int dht_msg_encode(const dht_msg_t *m, tr_bytes_t *out) {
  if (!msg_ok(m))
    return TR_EUSAGE;
  Dhtpb__Message pm = DHTPB__MESSAGE__INIT;
  Dhtpb__Record rec = DHTPB__RECORD__INIT;
  pm.type = (Dhtpb__Message__MessageType)m->type;
  pm.clusterlevelraw = m->cluster_level;
  pm.key = (ProtobufCBinaryData){m->keylen, m->key};
  if (m->has_record) {
    rec.key = (ProtobufCBinaryData){m->record.keylen, m->record.key};
    rec.value = (ProtobufCBinaryData){m->record.vlen, m->record.value};
    rec.timereceived = (char *)m->record.time_received;
    pm.record = &rec;
  }
  /* The peers' protobuf-c views, in one block: structs, then pointers. */
  size_t np = m->ncloser + m->nproviders;
  pb_peer_t *pb = NULL;
  if (np) {
    pb = tr_malloc(np * (sizeof *pb + sizeof(Dhtpb__Message__Peer *)));
    if (!pb)
      return -ENOMEM;
    Dhtpb__Message__Peer **ptr = (Dhtpb__Message__Peer **)(pb + np);
    peers_to_pb(m->closer, m->ncloser, pb, ptr);
    peers_to_pb(m->providers, m->nproviders, pb + m->ncloser,
                ptr + m->ncloser);
    pm.n_closerpeers = m->ncloser;
    pm.closerpeers = ptr;
    pm.n_providerpeers = m->nproviders;
    pm.providerpeers = ptr + m->ncloser;
  }
  int rc = put_framed(&pm, out);
  tr_free(pb);
  return rc;
}

/* ---------------------------------------------------------------- peers */

void dht_peer_set(dht_peer_t *p, const net_peerid_t *id,
                  const uint8_t *const *addrs, const size_t *lens, size_t n) {
  memset(p, 0, sizeof *p);
  p->id = *id;
  for (size_t i = 0; i < n && p->naddrs < DHT_PEER_ADDRS_MAX; i++) {
    if (lens[i] > DHT_ADDR_MAX)
      continue;
    if (lens[i])
      memcpy(p->addrs[p->naddrs], addrs[i], lens[i]);
    p->addrlen[p->naddrs++] = (uint8_t)lens[i];
  }
}
