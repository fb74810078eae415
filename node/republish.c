/*
 * republish.c — the IPNS republisher's round (republish.h).
 */
#include "republish.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../dht/ipns.h"
#include "../dht/keystore.h"
#include "../dht/name.h"

/* The own names of a round: the identity's and the keystore keys'. */
#define OWN_MAX 256

typedef struct round {
  const node_republish_t *p;
  node_republish_stats_t st;
  net_peerid_t own[OWN_MAX];
  size_t nown;
  uint64_t now_ms; /* wall clock, as the records' validity */
} round_t;

static void put_both(round_t *r, const net_peerid_t *id, const uint8_t *rec,
                     size_t n) {
  uint8_t key[DHT_IPNS_KEY_MAX];
  int kl = dht_ipns_key(id, key, sizeof key);
  dht_swarm_t *both[2] = {r->p->lan, r->p->wan};
  for (int i = 0; i < 2 && kl > 0; i++)
    if (both[i] &&
        dht_put_value(dht_swarm_dht(both[i]), key, (size_t)kl, rec, n, NULL,
                      NULL, dht_swarm_now(both[i]), NULL))
      tr_log(TR_LOG_DEBUG, "ipns republish: not put on the %s DHT",
             i ? "WAN" : "LAN");
}

/* Re-sign the last record of sk (idstr NULL: the identity) and put it. */
static void resign(round_t *r, const net_privkey_t *sk, const char *idstr,
                   const net_peerid_t *id) {
  if (r->nown < OWN_MAX)
    r->own[r->nown++] = *id;
  tr_bytes_t rec = {0};
  int rc = dht_name_sign(sk, r->p->repo, idstr, NULL, r->p->lifetime_ns,
                         DHT_NAME_TTL_NS, 0, &rec);
  if (rc == TR_ENOTFOUND)
    return; /* nothing published with this key yet */
  if (rc) {
    tr_log(TR_LOG_WARN, "ipns republish %s: %s", idstr ? idstr : "self",
           tr_strerror(rc));
    return;
  }
  put_both(r, id, rec.data, rec.len);
  r->st.resigned++;
  tr_bytes_free(&rec);
}

static void own_keys(round_t *r) {
  net_pubkey_t pk;
  net_peerid_t id;
  net_privkey_pubkey(r->p->self, &pk);
  if (!net_peerid_from_pubkey(&id, &pk))
    resign(r, r->p->self, NULL, &id);
  dht_key_entry_t *v = NULL;
  size_t n = 0;
  if (dht_key_list(r->p->repo, &v, &n))
    return;
  for (size_t i = 0; i < n; i++) {
    net_privkey_t sk;
    char idstr[NET_PEERID_STR_MAX];
    if (!dht_key_load(r->p->repo, v[i].name, &sk) &&
        net_peerid_format(&v[i].id, 0, idstr, sizeof idstr) > 0)
      resign(r, &sk, idstr, &v[i].id);
    sodium_memzero(&sk, sizeof sk);
  }
  tr_free(v);
}

static void held_one(void *ud, const net_peerid_t *id, const uint8_t *rec,
                     size_t n) {
  round_t *r = ud;
  char idstr[NET_PEERID_STR_MAX];
  if (net_peerid_format(id, 0, idstr, sizeof idstr) < 0)
    snprintf(idstr, sizeof idstr, "?");
  for (size_t i = 0; i < r->nown; i++)
    if (net_peerid_equal(id, &r->own[i])) {
      /* Ours: re-signed from what we published, if we did; else the
       * record put goes on as it is. */
      tr_bytes_t last = {0};
      int rc = dht_name_last(r->p->repo, i ? idstr : NULL, &last);
      tr_bytes_free(&last);
      if (rc != TR_ENOTFOUND)
        return;
    }
  uint8_t key[DHT_IPNS_KEY_MAX];
  int kl = dht_ipns_key(id, key, sizeof key);
  int rc = kl > 0 ? dht_record_validate(NULL, key, (size_t)kl, rec, n,
                                        r->now_ms)
                  : kl;
  if (rc) {
    /* Expired (or never valid): never put again. */
    tr_log(TR_LOG_INFO, "ipns republish: the record held for %s is %s: "
                        "dropped", idstr,
           rc == TR_EEXPIRED ? "expired" : tr_strerror(rc));
    if (dht_name_unhold(r->p->repo, id))
      tr_log(TR_LOG_WARN, "ipns republish: cannot drop %s's record", idstr);
    r->st.dropped++;
    return;
  }
  put_both(r, id, rec, n);
  r->st.reput++;
}

void node_republish(const node_republish_t *p, node_republish_stats_t *st) {
  round_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    tr_log(TR_LOG_WARN, "ipns republish: out of memory");
    return;
  }
  r->p = p;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  r->now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
  own_keys(r);
  int rc = dht_name_held(p->repo, held_one, r);
  if (rc)
    tr_log(TR_LOG_WARN, "ipns republish: held records: %s", tr_strerror(rc));
  tr_log(TR_LOG_INFO,
         "ipns republish: %u own records re-signed, %u held records put "
         "again, %u dropped",
         r->st.resigned, r->st.reput, r->st.dropped);
  if (st)
    *st = r->st;
  tr_free(r);
}
