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
 * hand.
 *
 * Threads: everything here runs on the loop.  A record is at most 10 KiB
 * (DHT_IPNS_RECORD_MAX), so the body is read on the loop with
 * http_req_body() and parsed there (multipart.h is sans-I/O) rather than
 * on an upload thread (rpc_upload.c), whose callbacks could not touch the
 * DHTs; no hand-off is needed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../dht/ipns.h"
#include "../dht/name.h"
#include "rpc_rop.h"

/* The most body collected: a record at the size limit, plus one byte to
 * tell one over it. */
#define PUT_VAL_MAX (DHT_IPNS_RECORD_MAX + 1)

typedef struct rput {
  http_req_t *req;
  rpc_ctx_t *ctx;
  rpc_mp_t mp;
  int err;        /* the body's first error (multipart) */
  unsigned parts; /* file parts seen */
  bool in_first;  /* inside the first part (the value) */
  tr_bytes_t val;
  uint8_t key[DHT_KEY_MAX];
  size_t kl;
  net_peerid_t id;
  bool allow_offline;
} rput_t;

static void rput_free(rput_t *p) {
  rpc_mp_free(&p->mp);
  tr_bytes_free(&p->val);
  tr_free(p);
}

/* boxo's and go-libp2p-record's words for what the validator refused. */
static const char *validator_msg(int rc) {
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

static void body_data(http_req_t *req, const uint8_t *p, size_t n, void *ud) {
  (void)req;
  rput_t *s = ud;
  while (!s->err) {
    size_t used = 0;
    rpc_mp_event_t ev;
    int rc = rpc_mp_feed(&s->mp, p, n, &used, &ev);
    p += used, n -= used;
    if (rc < 0) {
      s->err = rc;
    } else if (rc == RPC_MP_PART) {
      s->in_first = s->parts++ == 0;
    } else if (rc == RPC_MP_DATA && s->in_first) {
      /* Past the cap the rest is dropped: the validator refuses the
       * length anyway. */
      size_t room = PUT_VAL_MAX - s->val.len;
      if (tr_bytes_append(&s->val, ev.data, ev.len < room ? ev.len : room))
        s->err = -ENOMEM;
    } else if (rc == RPC_MP_PART_END) {
      s->in_first = false;
    } else if (rc == RPC_MP_NEED_MORE || rc == RPC_MP_END) {
      break; /* all taken; or the end, the epilogue ignored */
    }
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

/* The local store of either DHT holds a better record for the key. */
static bool local_newer(rput_t *s) {
  dht_swarm_t *sws[2] = {s->ctx->dht_lan, s->ctx->dht_wan};
  for (int i = 0; i < 2; i++) {
    if (!sws[i])
      continue;
    uint64_t now = dht_swarm_now(sws[i]);
    tr_bytes_t old = {0};
    bool newer = false;
    if (!dht_store_get_record(dht_store(dht_swarm_dht(sws[i])), s->key,
                              s->kl, now, &old) &&
        (old.len != s->val.len || memcmp(old.data, s->val.data, old.len)) &&
        !dht_record_validate(NULL, s->key, s->kl, old.data, old.len, now)) {
      const uint8_t *v[2] = {s->val.data, old.data};
      size_t l[2] = {s->val.len, old.len};
      newer = dht_record_select(NULL, s->key, s->kl, v, l, 2) != 0;
    }
    tr_bytes_free(&old);
    if (newer)
      return true;
  }
  return false;
}

static void body_end(http_req_t *req, int status, void *ud) {
  rput_t *s = ud;
  if (status < 0) { /* the client left, or the body broke off */
    rput_free(s);
    return;
  }
  int rc = s->err ? s->err : rpc_mp_finish(&s->mp);
  dht_swarm_t *sw = s->ctx->dht_wan ? s->ctx->dht_wan : s->ctx->dht_lan;
  if (rc) {
    rpc_error(req, 400, "invalid multipart body: %s", tr_strerror(rc));
  } else if (!s->parts) {
    rpc_error(req, 400, "argument \"value-file\" is required");
  } else if (!sw) {
    rpc_error(req, 500, s->ctx->host ? "routing is off (Routing.Type none)"
                                     : "can't put while offline: pass "
                                       "`--allow-offline` to override");
  } else if ((rc = dht_record_validate(NULL, s->key, s->kl, s->val.data,
                                       s->val.len, dht_swarm_now(sw)))) {
    rpc_error(req, 500, "%s", validator_msg(rc));
  } else if (local_newer(s)) {
    rpc_error(req, 500, "can't replace a newer value with an older value");
  } else {
    rop_t *r = rpc__rop_new(req, s->ctx, R_PUT);
    if (r) {
      r->finish = put_done;
      r->target = s->id;
      r->max = s->allow_offline;
      r->val = s->val.data, r->vl = s->val.len;
      s->val = (tr_bytes_t){0}; /* r owns it */
      memcpy(r->key, s->key, s->kl);
      r->kl = s->kl;
      if (!rpc__rop_run(r, r->key, r->kl))
        rpc__rop_end(r, "failed to find any peer in table");
    }
  }
  rput_free(s);
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
  s->req = req, s->ctx = ctx, s->allow_offline = allow_offline;
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
    rput_free(s);
    rpc_error(req, 500, "invalid key: want /ipns/NAME or /pk/PEER");
    return;
  }
  s->kl = (size_t)kl;
  const char *ct = http_req_header(req, "content-type");
  if (!ct || rpc_mp_init(&s->mp, ct, 0)) {
    rput_free(s);
    rpc_error(req, 400, "argument \"value-file\" is required");
    return;
  }
  http_req_body(req, body_data, body_end, s);
}
