/*
 * dht_int.h — the DHT core's insides, shared by dht.c (the node, answers,
 * timers), query.c (lookups), serve.c (the server side), rtable.c (the
 * routing table) and wire.c (keys, sending).  Calls go one way:
 * dht.c → query.c, serve.c → rtable.c → wire.c.
 */
#ifndef DHT_DHT_INT_H
#define DHT_DHT_INT_H

#include "dht.h"

typedef struct dht_rtent {
  dht_peer_t p;
  uint8_t key[32];
  uint64_t last_seen;
  uint8_t fails;
  bool checking; /* a liveness ping is in flight */
} dht_rtent_t;

typedef struct dht_bucket {
  dht_rtent_t *v, *repl; /* k each; repl: newest last */
  uint32_t n, nrepl;
  uint64_t refreshed;
} dht_bucket_t;

enum { CAND_HEARD, CAND_WAITING, CAND_QUERIED, CAND_FAILED };

typedef struct dht_cand {
  dht_peer_t p;
  uint8_t dist[32]; /* XOR with the target */
  uint8_t state;
  uint8_t hop;
  uint8_t wrote; /* write phase: 1 sent, 2 acknowledged */
} dht_cand_t;

typedef enum {
  Q_FIND, Q_PROVS, Q_VALUE, Q_PROVIDE, Q_PUT,
  Q_CLOSEST /* find_closest: FIND_NODE until the k closest answered */
} dht_qkind_t;

typedef struct dht_query {
  uint64_t id;
  dht_qkind_t kind;
  bool writing; /* provide/put: the lookup is over, the writes are out */
  uint8_t *key;
  size_t kl;
  uint8_t target[32];
  dht_cand_t *c; /* sorted by dist, closest first */
  size_t nc;
  unsigned inflight;
  size_t max_provs, nprovs;
  net_peerset_t provs; /* each provider reported once */
  uint8_t *val; /* put: the record; get: the best so far */
  size_t vl;
  bool have_val;
  uint64_t deadline;
  dht_query_cbs_t cbs;
  void *ud;
  dht_qstats_t st;
} dht_query_t;

typedef struct dht_req {
  uint64_t id, deadline;
  dht_query_t *q; /* NULL: a liveness ping */
  net_peerid_t peer;
  uint8_t type; /* dht_msg_type_t sent */
} dht_req_t;

struct dht {
  dht_opts_t o;
  uint8_t selfkey[32];
  dht_bucket_t b[257];
  size_t rtn;
  dht_store_t *store;
  bool own_store;
  dht_req_t *reqs;
  size_t nreq, capreq;
  uint64_t next_req, next_qid;
  dht_query_t **q;
  size_t nq;
  uint64_t next_expire;
  dht_stats_t st;
  uint64_t rng; /* xorshift state for refresh keys */
};

/* wire.c */
int dht__send(dht_t *d, dht_query_t *q, const dht_peer_t *to, bool reply,
              const dht_msg_t *m, uint64_t now);
uint64_t dht__rand(dht_t *d);
bool dht__addrs_ok(dht_t *d, dht_peer_t *p); /* filters p's addrs in place */
/* Hand an encoded frame (no answer wanted) to the adapter; 0 or its error. */
int dht__send_frame(dht_t *d, const dht_peer_t *to, const uint8_t *p,
                    size_t n);

/* rtable.c */
void dht__rt_init(dht_t *d);
void dht__rt_free(dht_t *d);
dht_rtent_t *dht__rt_find(dht_t *d, const net_peerid_t *id);
void dht__rt_seen(dht_t *d, const dht_peer_t *p, uint64_t now);
void dht__rt_failed(dht_t *d, const net_peerid_t *id);

/* query.c */
int dht__query_start(dht_t *d, dht_qkind_t kind, const uint8_t *key,
                     size_t kl, const dht_query_cbs_t *cbs, void *ud,
                     uint64_t now, uint64_t *qid);
void dht__query_reply(dht_t *d, dht_query_t *q, const net_peerid_t *from,
                      const dht_msg_t *m, uint64_t now);
void dht__query_fail(dht_t *d, dht_query_t *q, const net_peerid_t *from,
                     uint64_t now);
void dht__query_tick(dht_t *d, uint64_t now);
void dht__query_free(dht_query_t *q);

#endif /* DHT_DHT_INT_H */
