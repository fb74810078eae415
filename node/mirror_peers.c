/*
 * mirror_peers.c — the peers side of node/mirror.c and mirror_remote.c:
 * dialling a pin's origins, and this node's own addresses as origins and
 * delegates.  Below both, so that neither calls the other in a circle.
 */
#include "mirror.h"

#include <stdio.h>

static void connect_done(net_host_t *h, int status, const net_peerid_t *peer,
                         void *ud) {
  (void)h, (void)peer, (void)ud;
  if (status)
    tr_log(TR_LOG_DEBUG, "mirror: an origin could not be reached: %s",
           tr_strerror(status));
}

void node__mirror_connect(node_mirror_t *m, const char *maddr) {
  if (m->host && maddr &&
      net_host_dial(m->host, NULL, &maddr, 1, connect_done, m, NULL))
    tr_log(TR_LOG_DEBUG, "mirror: origin %s not dialled", maddr);
}

size_t node__mirror_own_addrs(node_mirror_t *m,
                              char (*buf)[NET_MA_STR_MAX / 16 + 80],
                              size_t max) {
  char (*addrs)[NET_MA_STR_MAX / 16] = NULL;
  size_t nd = 0;
  if (m->host && (addrs = tr_calloc(max, sizeof *addrs))) {
    size_t n = net_host_announce_addrs(m->host, addrs, max);
    for (size_t i = 0; i < n && i < max; i++)
      snprintf(buf[nd++], sizeof buf[0], "%s/p2p/%s", addrs[i], m->peerid);
  }
  tr_free(addrs);
  return nd;
}

json_t *node__mirror_origins(node_mirror_t *m, const dag_cid_t *cid) {
  bs_txn_t *txn;
  int has = 0;
  if (!m->host || !m->rpc || !m->rpc->env ||
      bs_txn_begin(m->rpc->env, BS_RDONLY, &txn))
    return NULL;
  has = bs_has(txn, cid);
  bs_txn_abort(txn);
  if (has != 1)
    return NULL;
  char (*buf)[NET_MA_STR_MAX / 16 + 80] =
      tr_calloc(MIR_PSA_ADDRS_MAX, sizeof *buf);
  json_t *a = buf ? json_array() : NULL;
  size_t n = a ? node__mirror_own_addrs(m, buf, MIR_PSA_ADDRS_MAX) : 0;
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_string(buf[i]));
  tr_free(buf);
  return a;
}
