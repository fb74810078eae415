/*
 * rpc_routing_put.c — /api/v0/routing/put?arg=KEY with the record as a
 * multipart file (what `ipfs routing put KEY FILE` sends), as Kubo's
 * command: the record is validated (dht/ipns.h: /ipns/ records, /pk/
 * public keys), stored locally and PUT_VALUE'd to the k closest peers on
 * both DHTs; the answer is one QueryEvent {"ID": the name's PeerID,
 * "Type": 5}.  Errors as Kubo's, status 500: the validator's message
 * (boxo's words) for a record it refuses, "can't replace a newer value
 * with an older value" when the local store has a better one, "failed to
 * find any peer in table" when no DHT knows a peer (unless allow-offline:
 * then the local copy is the answer, as Kubo's --allow-offline).  An
 * /ipns/ record put is also held in the repo (dht_name_hold), which the
 * republisher puts again, unchanged, until it expires.
 *
 * Kubo itself takes /ipns/ keys only (its command parses the key as an
 * IPNS name); /pk/ keys are trove's addition, cheap with the validator at
 * hand.  The checks and the put itself (rpc__put_check, rpc__put_run) are
 * name put's too (rpc_name_rec.c).
 *
 * Threads: everything here runs on the loop.  A record is at most 10 KiB
 * (DHT_IPNS_RECORD_MAX), so the body is read on the loop
 * (rpc_file_collect) rather than on an upload thread (rpc_upload.c),
 * whose callbacks could not touch the DHTs; no hand-off is needed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../dht/ipns.h"
#include "../dht/name.h"
#include "rpc_rop.h"

/* The most body collected: a record at the size limit, plus one byte to
 * tell one over it (the validator refuses it). */
#define PUT_VAL_MAX (DHT_IPNS_RECORD_MAX + 1)

typedef struct rput {
  rpc_ctx_t *ctx;
  uint8_t key[DHT_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  bool allow_offline;
} rput_t;

/* boxo's and go-libp2p-record's words for what the validator refused. */
const char *rpc__validator_msg(int rc) {
  switch (rc) {
  case TR_ETOOBIG:
    return "record exceeds allowed size limit";
  case TR_ESIG:
    return "signature verification failed";
  case TR_EEXPIRED:
    return "record is expired";
  case TR_ENOPUBKEY:
    return "public key not found";
  case TR_EKEYMISMATCH:
    return "record public key does not match the expected public key";
  case TR_EKEY:
    return "public key invalid";
  case TR_EIPNSV1:
    return "field did not match between protobuf and CBOR";
  case TR_ERECKEY:
    return "invalid record keytype";
  case TR_EIPNS:
    return "record is malformed";
  default:
    return tr_strerror(rc);
  }
}

/* ------------------------------------------------------------- the put */

static void put_done(rop_t *r) {
  /* Stored locally either way; a put that no DHT could send fails unless
   * offline was allowed (r->max carries allow-offline here). */
  bool ok = r->max;
  int err = TR_ENOTFOUND;
  for (int i = 0; i < 2; i++) {
    if (!r->side[i].sw)
      continue;
    if (!r->side[i].status)
      ok = true;
    else if (r->side[i].status != TR_ENOTFOUND)
      err = r->side[i].status;
  }
  if (ok && r->ctx->repo && r->kl > 6 &&
      !memcmp(r->key, "/ipns/", 6)) {
    /* Held in the repo, so that the republisher puts it again, as it is,
     * until it expires (dht/name.h). */
    int hr = dht_name_hold(r->ctx->repo, &r->target, r->val, r->vl);
    if (hr)
      tr_log(TR_LOG_WARN, "routing put: the record is not held for "
                          "republishing: %s", tr_strerror(hr));
  }
  if (ok && r->put_answer) {
    r->put_answer(r);
    return;
  }
  if (ok) {
    char id[NET_PEERID_STR_MAX];
    if (r->req && net_peerid_format(&r->target, 0, id, sizeof id) > 0)
      rpc_write_line(r->req,
                     json_pack("{s:s,s:i,s:n,s:s}", "ID", id, "Type",
                               EV_VALUE, "Responses", "Extra", ""));
    rpc__rop_end(r, NULL);
    return;
  }
  rpc__rop_end(r, err == TR_ENOTFOUND ? "failed to find any peer in table"
                                      : tr_strerror(err));
}

void rpc__put_run(rop_t *r) {
  r->kind = R_PUT;
  r->finish = put_done;
  if (!rpc__rop_run(r, r->key, r->kl))
    rpc__rop_end(r, "failed to find any peer in table");
}

/* The local store of either DHT holds a better record for the key. */
static bool local_newer(rpc_ctx_t *ctx, const uint8_t *key, size_t kl,
                        const uint8_t *val, size_t vl) {
  dht_swarm_t *sws[2] = {ctx->dht_lan, ctx->dht_wan};
  for (int i = 0; i < 2; i++) {
    if (!sws[i])
      continue;
    uint64_t now = dht_swarm_now(sws[i]);
    tr_bytes_t old = {0};
    bool newer = false;
    if (!dht_store_get_record(dht_store(dht_swarm_dht(sws[i])), key, kl, now,
                              &old) &&
        (old.len != vl || memcmp(old.data, val, vl)) &&
        !dht_record_validate(NULL, key, kl, old.data, old.len, now)) {
      const uint8_t *v[2] = {val, old.data};
      size_t l[2] = {vl, old.len};
      newer = dht_record_select(NULL, key, kl, v, l, 2) != 0;
    }
    tr_bytes_free(&old);
    if (newer)
      return true;
  }
  return false;
}

int rpc__put_check(rpc_ctx_t *ctx, const uint8_t *key, size_t kl,
                   const uint8_t *val, size_t vl, const char **msg) {
  dht_swarm_t *sw = ctx->dht_wan ? ctx->dht_wan : ctx->dht_lan;
  int rc = sw ? dht_record_validate(NULL, key, kl, val, vl, dht_swarm_now(sw))
              : TR_EUSAGE;
  if (!sw)
    *msg = ctx->host ? "routing is off (Routing.Type none)"
                     : "can't put while offline: pass `--allow-offline` to "
                       "override";
  else if (rc)
    *msg = rpc__validator_msg(rc);
  else if (local_newer(ctx, key, kl, val, vl))
    *msg = "can't replace a newer value with an older value", rc = TR_EUSAGE;
  return rc;
}

static void body_done(http_req_t *req, const uint8_t *d, size_t n,
                      void *ud) {
  rput_t *s = ud;
  const char *msg;
  if (!req) {
    /* nothing to answer */
  } else if (rpc__put_check(s->ctx, s->key, s->kl, d, n, &msg)) {
    rpc_error(req, 500, "%s", msg);
  } else {
    rop_t *r = rpc__rop_new(req, s->ctx, R_PUT);
    uint8_t *val = r ? tr_malloc(n ? n : 1) : NULL;
    if (r && !val)
      rpc__rop_end(r, "out of memory");
    else if (r) {
      memcpy(val, d, n);
      r->target = s->id;
      r->max = s->allow_offline;
      r->val = val, r->vl = n;
      memcpy(r->key, s->key, s->kl);
      r->kl = s->kl;
      rpc__put_run(r);
    }
  }
  tr_free(s);
}

void rpc_cmd_routing_put(http_req_t *req, rpc_ctx_t *ctx) {
  bool allow_offline;
  if (rpc_opt_bool(req, "allow-offline", false, &allow_offline)) {
    rpc_error(req, 400, "invalid allow-offline");
    return;
  }
  char *arg;
  if (rpc_one_arg(req, "key", &arg))
    return;
  rput_t *s = tr_calloc(1, sizeof *s);
  if (!s) {
    tr_free(arg);
    rpc_error(req, 500, "out of memory");
    return;
  }
  s->ctx = ctx, s->allow_offline = allow_offline;
  /* "/ipns/NAME" or "/pk/PEER": the name as a PeerID into the binary
   * routing key, as routing get reads it. */
  int kl = -1;
  if (!strncmp(arg, "/ipns/", 6) &&
      !net_peerid_parse(&s->id, arg + 6, strlen(arg + 6)))
    kl = dht_ipns_key(&s->id, s->key, sizeof s->key);
  else if (!strncmp(arg, "/pk/", 4) &&
           !net_peerid_parse(&s->id, arg + 4, strlen(arg + 4)))
    kl = dht_ipns_pk_key(&s->id, s->key, sizeof s->key);
  tr_free(arg);
  if (kl <= 0) {
    tr_free(s);
    rpc_error(req, 500, "invalid key: want /ipns/NAME or /pk/PEER");
    return;
  }
  s->kl = (size_t)kl;
  rpc_file_collect(req, "value-file", PUT_VAL_MAX - 1, body_done, s);
}
