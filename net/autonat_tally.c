/*
 * autonat_tally.c — the AutoNAT client's bookkeeping, free of I/O (see
 * autonat.h): per address, the last NET_AN_OUTCOMES answers, the checks
 * answered lately and the refusals in a row; from them, what the address
 * is (go-libp2p's addrStatus in p2p/host/basic/addrs_reachability_tracker.go:
 * the confidence is successes minus failures), how many more checks it
 * wants, and the node's reachability.  Times are the loop's milliseconds.
 */
#include "autonat.h"

#include <string.h>

static void drop_stale(net_an_addr_t *a, uint64_t now) {
  size_t k = 0;
  while (k < a->nout && now > a->out[k].at &&
         now - a->out[k].at > NET_AN_RESULT_TTL_MS)
    k++;
  memmove(a->out, a->out + k, (a->nout - k) * sizeof a->out[0]);
  a->nout = (uint8_t)(a->nout - k);
}

static void counts(const net_an_addr_t *a, int *ok, int *fail) {
  *ok = *fail = 0;
  for (size_t i = 0; i < a->nout; i++)
    *(a->out[i].ok ? ok : fail) += 1;
}

net_reach_t net_an_addr_reach(net_an_addr_t *a, uint64_t now) {
  drop_stale(a, now);
  int ok, fail;
  counts(a, &ok, &fail);
  if (ok - fail >= NET_AN_MIN_CONFIDENCE)
    return NET_REACH_PUBLIC;
  if (fail - ok >= NET_AN_MIN_CONFIDENCE)
    return NET_REACH_PRIVATE;
  return NET_REACH_UNKNOWN;
}

static unsigned recent_dials(const net_an_addr_t *a, uint64_t now) {
  unsigned n = 0;
  for (size_t i = 0; i < a->ndial; i++)
    n += now - a->dial[i] <= NET_AN_RECENT_MS;
  return n;
}

unsigned net_an_addr_needed(net_an_addr_t *a, uint64_t now) {
  if (a->refusals >= NET_AN_REFUSALS_MAX) {
    if (now - a->refused_at < NET_AN_RECENT_MS)
      return 0;
    a->refusals = 0; /* try the address again now and then */
  }
  if (recent_dials(a, now) >= NET_AN_RECENT_DIALS_MAX)
    return 0;
  net_reach_t r = net_an_addr_reach(a, now);
  int ok, fail;
  counts(a, &ok, &fail);
  int conf = ok > fail ? ok - fail : fail - ok;
  if (conf < NET_AN_TARGET_CONFIDENCE)
    return (unsigned)(NET_AN_TARGET_CONFIDENCE - conf);
  /* Confident: check again once the last answer is old, or when it
   * disagrees with the verdict. */
  bool last = a->out[a->nout - 1].ok;
  if (now - a->out[a->nout - 1].at > NET_AN_RECHECK_MS)
    return 1;
  return (r == NET_REACH_PUBLIC && !last) || (r == NET_REACH_PRIVATE && last);
}

void net_an_tally_set(net_an_tally_t *t, const uint8_t *const *addrs,
                      const size_t *lens, size_t n) {
  net_an_tally_t old = *t;
  t->n = 0;
  for (size_t i = 0; i < n && t->n < NET_AN_TRACK_MAX; i++) {
    if (!lens[i] || lens[i] > NET_AN_ADDR_MAX)
      continue;
    bool dup = false;
    for (size_t j = 0; j < t->n && !dup; j++)
      dup = t->a[j].len == lens[i] && !memcmp(t->a[j].ma, addrs[i], lens[i]);
    if (dup)
      continue;
    net_an_addr_t *a = &t->a[t->n++];
    memset(a, 0, sizeof *a);
    for (size_t j = 0; j < old.n; j++)
      if (old.a[j].len == lens[i] && !memcmp(old.a[j].ma, addrs[i], lens[i]))
        *a = old.a[j];
    memcpy(a->ma, addrs[i], lens[i]);
    a->len = (uint8_t)lens[i];
  }
}

int net_an_tally_pick(net_an_tally_t *t, uint64_t now) {
  int best = -1;
  unsigned most = 0;
  for (size_t i = 0; i < t->n; i++) {
    unsigned need = net_an_addr_needed(&t->a[i], now);
    need = need > t->a[i].busy ? need - t->a[i].busy : 0;
    if (need > most)
      most = need, best = (int)i;
  }
  return best;
}

void net_an_tally_outcome(net_an_tally_t *t, const uint8_t *ma, size_t len,
                          uint64_t now, int outcome) {
  net_an_addr_t *a = NULL;
  for (size_t i = 0; i < t->n && !a; i++)
    if (t->a[i].len == len && !memcmp(t->a[i].ma, ma, len))
      a = &t->a[i];
  if (!a)
    return;
  if (outcome == NET_AN_OUT_REFUSED) {
    a->refusals++;
    a->refused_at = now;
    return;
  }
  a->refusals = 0;
  if (a->ndial == NET_AN_RECENT_DIALS_MAX)
    memmove(a->dial, a->dial + 1, --a->ndial * sizeof a->dial[0]);
  a->dial[a->ndial++] = now;
  drop_stale(a, now);
  if (a->nout == NET_AN_OUTCOMES)
    memmove(a->out, a->out + 1, --a->nout * sizeof a->out[0]);
  a->out[a->nout].at = now;
  a->out[a->nout++].ok = outcome == NET_AN_OUT_OK;
}

net_reach_t net_an_tally_reach(net_an_tally_t *t, uint64_t now) {
  bool priv = false;
  for (size_t i = 0; i < t->n; i++) {
    net_reach_t r = net_an_addr_reach(&t->a[i], now);
    if (r == NET_REACH_PUBLIC)
      return NET_REACH_PUBLIC;
    priv |= r == NET_REACH_PRIVATE;
  }
  return priv ? NET_REACH_PRIVATE : NET_REACH_UNKNOWN;
}
