/*
 * rpc_name.c — IPNS over the DHTs, as Kubo's commands answer:
 *
 *   name/publish arg=PATH    sign the next record of the node's key or of
 *                            key=NAME|PEERID (dht/keystore.h; dht/name.h),
 *                            keep it, PUT_VALUE it to the k closest on
 *                            both DHTs: {"Name","Value"}
 *   name/resolve arg=NAME    the best valid record on the DHTs (ours
 *                            included), followed through /ipns/ values
 *                            when recursive: {"Path"}
 *   provide/stat             the reprovider's sweep, per DHT
 *
 * Each runs as a routing operation (rpc_rop.h) whose finish is here.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../dag/cid.h"
#include "../dht/ipns.h"
#include "../dht/keystore.h"
#include "../dht/name.h"
#include "../dht/provq.h"
#include "../dht/reprov.h"
#include "rpc_rop.h"

#define NAME_DEPTH_MAX 32 /* Kubo's DefaultDepthLimit */

/* A duration option in ns; absent: dflt.  *given (may be NULL): whether
 * the request set it.  Answers the error itself. */
static int duration_opt(http_req_t *req, const char *key, uint64_t dflt,
                        uint64_t *ns, bool *given) {
  char *v = NULL;
  int rc = rpc_opt_str(req, key, &v);
  *ns = dflt;
  if (given)
    *given = !rc && v;
  if (!rc && v && tr_parse_duration(v, ns))
    rc = TR_EUSAGE;
  if (rc)
    rpc_error(req, 400, "invalid %s: %s", key, v ? v : "");
  tr_free(v);
  return rc;
}

static void name_published(rop_t *r) {
  if (r->req)
    rpc_write_line(r->req, json_pack("{s:s,s:s}", "Name", r->name, "Value",
                                     r->value));
  rpc__rop_end(r, NULL);
}

/* Kubo's keylookup: the key named k ("self" or absent: the node's own),
 * else the key whose PeerID k is.  0, with its PeerID into *id; else the
 * error answered. */
static int key_lookup(http_req_t *req, rpc_ctx_t *ctx, const char *k,
                      net_privkey_t *sk, net_peerid_t *id) {
  net_pubkey_t pk;
  int rc = TR_ENOTFOUND;
  if (!k || !strcmp(k, DHT_KEY_SELF)) {
    *sk = *ctx->key;
  } else if ((rc = dht_key_load(ctx->repo, k, sk)) == TR_ENOTFOUND ||
             rc == TR_EUSAGE) {
    net_peerid_t want;
    dht_key_entry_t *v;
    size_t n;
    if (net_peerid_parse(&want, k, strlen(k))) {
      rpc_error(req, 500, "no key by the given name was found");
      return TR_ENOTFOUND;
    }
    if (!net_peerid_parse(id, ctx->peerid, strlen(ctx->peerid)) &&
        net_peerid_equal(id, &want)) {
      *sk = *ctx->key;
      rc = 0;
    } else if (!dht_key_list(ctx->repo, &v, &n)) {
      for (size_t i = 0; i < n && rc; i++)
        if (net_peerid_equal(&v[i].id, &want))
          rc = dht_key_load(ctx->repo, v[i].name, sk);
      tr_free(v);
    }
    if (rc) {
      rpc_error(req, 500, "no key by the given name or PeerID was found");
      return rc;
    }
  } else if (rc) {
    rpc_error(req, 500, "cannot read key %s: %s", k, tr_strerror(rc));
    return rc;
  }
  net_privkey_pubkey(sk, &pk);
  if ((rc = net_peerid_from_pubkey(id, &pk)))
    rpc_error(req, 500, "publishing: bad key");
  return rc;
}

void rpc_cmd_name_publish(http_req_t *req, rpc_ctx_t *ctx) {
  char *arg, *key = NULL;
  if (!ctx->key) {
    rpc_error(req, 500, "this command must be run in online mode");
    return;
  }
  uint64_t life, ttl;
  bool ttl_given;
  int64_t seq_opt;
  if (duration_opt(req, "lifetime", DHT_NAME_LIFETIME_NS, &life, NULL) ||
      duration_opt(req, "ttl", DHT_NAME_TTL_NS, &ttl, &ttl_given))
    return;
  /* Kubo 0.43's rules: a record that expires at once is refused, and so
   * is a TTL asked for past the record's validity (the default one is cut
   * to it instead, by dht_name_sign). */
  if (life == 0) {
    rpc_error(req, 500, "lifetime must be greater than zero");
    return;
  }
  if (ttl_given && ttl > life) {
    rpc_error(req, 500, "ttl (%llus) must not be greater than lifetime (%llus)",
              (unsigned long long)(ttl / 1000000000u),
              (unsigned long long)(life / 1000000000u));
    return;
  }
  if (rpc_opt_i64(req, "sequence", 0, &seq_opt) || seq_opt < 0) {
    rpc_error(req, 400, "invalid sequence");
    return;
  }
  if (rpc_one_arg(req, "ipfs-path", &arg))
    return;
  /* A bare CID is an /ipfs/ path, as Kubo takes it; so is ipfs://CID
   * (ipns://NAME an /ipns/ one). */
  char value[1024];
  dag_cid_t cid;
  const char *path;
  int bad = 0, ns;
  const char *rest = dag_path_rest(arg, &ns);
  if (ns == DAG_NS_IPNS)
    snprintf(value, sizeof value, "/ipns/%s", rest);
  else if (!rpc_parse_path(arg, &cid, &path))
    snprintf(value, sizeof value, "/ipfs/%s", rest);
  else
    bad = 1;
  tr_free(arg);
  if (bad || strlen(value) >= sizeof value - 1) {
    rpc_error(req, 500, "invalid path");
    return;
  }
  net_privkey_t sk;
  net_peerid_t self;
  if (rpc_opt_str(req, "key", &key)) {
    rpc_error(req, 400, "invalid key");
    return;
  }
  int krc = key_lookup(req, ctx, key, &sk, &self);
  tr_free(key);
  if (krc)
    return;
  /* The node's own record keeps its file (NULL); another key's is named
   * by its PeerID. */
  char idstr[NET_PEERID_STR_MAX];
  bool own = !memcmp(sk.sk, ctx->key->sk, sizeof sk.sk);
  if (!own && net_peerid_format(&self, 0, idstr, sizeof idstr) < 0) {
    sodium_memzero(&sk, sizeof sk);
    rpc_error(req, 500, "publishing: bad key");
    return;
  }
  tr_bytes_t rec = {0};
  int rc = dht_name_sign(&sk, ctx->repo, own ? NULL : idstr, value, life,
                         ttl, (uint64_t)seq_opt, &rec);
  sodium_memzero(&sk, sizeof sk);
  if (rc) {
    rpc_error(req, 500, "publishing: %s", tr_strerror(rc));
    return;
  }
  uint8_t rk[DHT_IPNS_KEY_MAX];
  int kl;
  if ((kl = dht_ipns_key(&self, rk, sizeof rk)) < 0) {
    tr_bytes_free(&rec);
    rpc_error(req, 500, "publishing: bad identity");
    return;
  }
  rop_t *r = rpc__rop_new(req, ctx, R_PUT);
  if (!r) {
    tr_bytes_free(&rec);
    return;
  }
  r->finish = name_published;
  r->val = rec.data, r->vl = rec.len;
  snprintf(r->value, sizeof r->value, "%s", value);
  if (net_peerid_format(&self, 'k', r->name, sizeof r->name) < 0)
    snprintf(r->name, sizeof r->name, "%s", ctx->peerid);
  if (!rpc__rop_run(r, rk, (size_t)kl))
    name_published(r); /* no DHT: the record is kept, as --allow-offline */
}

/* Resolve r->name (a PeerID): the best record on the DHTs, ours included. */
static void resolve_start(rop_t *r) {
  net_peerid_t id;
  uint8_t rk[DHT_IPNS_KEY_MAX];
  int kl;
  if (net_peerid_parse(&id, r->name, strlen(r->name)) ||
      (kl = dht_ipns_key(&id, rk, sizeof rk)) < 0) {
    rpc__rop_end(r, "could not resolve name: not a valid IPNS name");
    return;
  }
  tr_free(r->val);
  r->val = NULL, r->vl = 0;
  memcpy(r->key, rk, (size_t)kl);
  r->kl = (size_t)kl;
  if (!rpc__rop_run(r, rk, (size_t)kl))
    rpc__rop_end(r, "could not resolve name");
}

static void name_resolved(rop_t *r) {
  dht_ipns_record_t rec;
  if (!r->val || dht_ipns_parse(&rec, r->val, r->vl)) {
    rpc__rop_end(r, "could not resolve name");
    return;
  }
  size_t n = rec.d.value.len < sizeof r->value - 1 ? rec.d.value.len
                                                   : sizeof r->value - 1;
  memcpy(r->value, rec.d.value.p, n);
  r->value[n] = 0;
  dht_ipns_record_free(&rec);
  if (r->recursive && !strncmp(r->value, "/ipns/", 6) &&
      ++r->depth < NAME_DEPTH_MAX) {
    char next[sizeof r->name];
    size_t l = strcspn(r->value + 6, "/");
    if (l < sizeof next) {
      memcpy(next, r->value + 6, l);
      next[l] = 0;
      snprintf(r->name, sizeof r->name, "%s", next);
      resolve_start(r);
      return;
    }
  }
  if (r->req)
    rpc_write_line(r->req, json_pack("{s:s}", "Path", r->value));
  rpc__rop_end(r, NULL);
}

void rpc_cmd_name_resolve(http_req_t *req, rpc_ctx_t *ctx) {
  char **args;
  size_t n;
  bool recursive;
  if (rpc_opt_bool(req, "recursive", true, &recursive)) {
    rpc_error(req, 400, "invalid recursive");
    return;
  }
  if (rpc_args(req, "arg", &args, &n) || n > 1) {
    if (n > 1)
      rpc_strv_free(args, n);
    rpc_error(req, 400, "expected at most one name");
    return;
  }
  char name[NET_PEERID_STR_MAX];
  int ns = DAG_NS_NONE;
  const char *a = n ? dag_path_rest(args[0], &ns) : ctx->peerid;
  int bad = (n && ns == DAG_NS_IPFS) || strlen(a) >= NET_PEERID_STR_MAX;
  snprintf(name, sizeof name, "%s", a);
  rpc_strv_free(args, n);
  net_peerid_t id;
  if (bad || net_peerid_parse(&id, name, strlen(name))) {
    /* DNSLink names (domains) need DNS, which trove does not ask. */
    rpc_error(req, 500, "could not resolve name: %s is not a PeerID "
              "(DNSLink is not supported)", name);
    return;
  }
  rop_t *r = rpc__rop_new(req, ctx, R_RESOLVE);
  if (!r)
    return;
  r->finish = name_resolved;
  r->recursive = recursive;
  memcpy(r->name, name, sizeof r->name);
  resolve_start(r);
}

/* ------------------------------------------------------ provide stat */

static json_t *sweep_json(struct dht_reprov *rp) {
  if (!rp)
    return json_null();
  dht_sweep_stats_t st;
  dht_reprov_stats(rp, &st);
  static const char *const names[] = {"roots", "pinned", "all"};
  return json_pack(
      "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
      "Strategy", names[dht_reprov_strategy(rp)], "Cycles",
      (json_int_t)st.cycles, "CycleStart", (json_int_t)st.cycle_start,
      "LastCycleMs", (json_int_t)st.last_cycle_ms, "PrefixBits",
      (json_int_t)st.prefix_bits, "Regions", (json_int_t)st.regions,
      "RegionsDone", (json_int_t)st.regions_done, "RegionsFailed",
      (json_int_t)st.regions_failed, "RetryPending",
      (json_int_t)st.retry_pending, "CycleKeys", (json_int_t)st.cycle_keys,
      "Keys", (json_int_t)st.keys, "Lookups", (json_int_t)st.lookups,
      "LookupsFailed", (json_int_t)st.lookups_failed, "Messages",
      (json_int_t)st.messages, "SendPauses", (json_int_t)st.send_pauses,
      "MemoryPeak", (json_int_t)st.mem_peak);
}

/* New content announced: the provide queue (dht/provq.h). */
static json_t *queue_json(struct dht_provq *q) {
  if (!q)
    return json_null();
  dht_provq_stats_t st;
  dht_provq_stats(q, &st);
  return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "Pushed",
                   (json_int_t)st.pushed, "Provided", (json_int_t)st.provided,
                   "Failed", (json_int_t)st.failed, "Dropped",
                   (json_int_t)st.dropped, "Batches", (json_int_t)st.batches,
                   "Waiting", (json_int_t)st.waiting, "InFlight",
                   (json_int_t)st.inflight);
}

void rpc_cmd_provide_stat(http_req_t *req, rpc_ctx_t *ctx) {
  if (!ctx->dht_lan && !ctx->dht_wan) {
    rpc_error(req, 500, "this command must be run in online mode");
    return;
  }
  rpc_api_json(req, json_pack("{s:o,s:o,s:o}", "lan",
                              sweep_json(ctx->reprov[0]), "wan",
                              sweep_json(ctx->reprov[1]), "queue",
                              queue_json(ctx->provq)));
}
