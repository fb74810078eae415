/*
 * rpc_name_rec.c — signed IPNS records as they are, with Kubo's commands
 * (core/commands/name/name.go):
 *
 *   name/get arg=NAME          the best record the routing has for NAME
 *                              (the DHTs' stores and lookups, the
 *                              routers), raw: application/vnd.ipfs.ipns-
 *                              record
 *   name/put arg=NAME [force] [allow-offline] [allow-delegated], a file
 *                              part: the record checked against NAME
 *                              (unless force) and put as routing put puts
 *                              it: {"Name","Value"}
 *   name/inspect [verify=NAME] [dump=true], a file part: the record's
 *                              fields, {"Entry":{...},"PbSize",
 *                              "SignatureType","HexDump","Validation"}
 *
 * get and put answer only once they know the outcome (deferred routing
 * operations, rpc_rop.h), so that a failure is Kubo's 500 error, not a
 * line in a stream already begun.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../config/config.h"
#include "../dht/ipns.h"
#include "../dht/ipns_inspect.h"
#include "rpc_rop.h"

#define IPNS_RECORD_CTYPE "application/vnd.ipfs.ipns-record"

static dht_ipns_time_t wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (dht_ipns_time_t){ts.tv_sec, (uint32_t)ts.tv_nsec};
}

/* A name argument ("k51...", a PeerID, either after "/ipns/") and its
 * routing key. */
static int name_key(const char *arg, net_peerid_t *id, uint8_t *key,
                    size_t *kl) {
  const char *s = strncmp(arg, "/ipns/", 6) ? arg : arg + 6;
  int rc = net_peerid_parse(id, s, strlen(s)), l;
  if (rc || (l = dht_ipns_key(id, key, DHT_KEY_MAX)) < 0)
    return rc ? rc : TR_EPEERID;
  *kl = (size_t)l;
  return 0;
}

/* ------------------------------------------------------------------ get */

static void name_got(rop_t *r) {
  if (!r->val) {
    rpc__rop_end(r, "routing: not found");
    return;
  }
  http_req_t *req = rpc__rop_take(r);
  if (req) {
    rpc_start(req, RPC_STREAM, IPNS_RECORD_CTYPE, (int64_t)r->vl, -1);
    http_res_write(req, r->val, r->vl);
    http_res_end(req);
  }
  rpc__rop_end(r, NULL);
}

void rpc_cmd_name_get(http_req_t *req, rpc_ctx_t *ctx) {
  char *arg;
  if (rpc_one_arg(req, "name", &arg))
    return;
  net_peerid_t id;
  uint8_t key[DHT_KEY_MAX];
  size_t kl = 0;
  int rc = name_key(arg, &id, key, &kl);
  tr_free(arg);
  if (rc) {
    rpc_error(req, 500, "invalid IPNS name: %s", tr_strerror(rc));
    return;
  }
  rop_t *r = rpc__rop_new2(req, ctx, R_GET, true);
  if (!r)
    return;
  memcpy(r->key, key, kl);
  r->kl = kl;
  r->finish = name_got;
  if (!rpc__rop_run(r, key, kl))
    rpc__rop_end(r, "routing: not found");
}

/* ------------------------------------------------------------------ put */

typedef struct nput {
  rpc_ctx_t *ctx;
  bool force, allow_offline;
  net_peerid_t id;
  uint8_t key[DHT_KEY_MAX];
  size_t kl;
} nput_t;

static void name_put_answer(rop_t *r) {
  http_req_t *req = rpc__rop_take(r);
  if (req)
    rpc_api_json(req, json_pack("{s:s,s:o}", "Name", r->name, "Value",
                                rpc_json_str(r->put_value ? r->put_value
                                                          : "")));
  rpc__rop_end(r, NULL);
}

/* The checks passed (or were skipped): put the record as routing put
 * does, whose validator and store may still refuse it. */
static void name_put_store(rop_t *r) {
  const char *msg;
  if (rpc__put_check(r->ctx, r->key, r->kl, r->put_val, r->put_vl, &msg)) {
    rpc__rop_end(r, msg);
    return;
  }
  tr_free(r->val);
  r->val = r->put_val, r->vl = r->put_vl;
  r->put_val = NULL;
  r->put_answer = name_put_answer;
  rpc__put_run(r);
}

/* The name's current record came (or none did): Kubo refuses to replace
 * it with one whose sequence is not higher, the same record aside. */
static void name_put_got(rop_t *r) {
  dht_ipns_record_t old, rec;
  if (r->val && (r->vl != r->put_vl || memcmp(r->val, r->put_val, r->vl)) &&
      !dht_ipns_parse(&old, r->val, r->vl)) {
    char msg[200] = "";
    if (!dht_ipns_parse(&rec, r->put_val, r->put_vl)) {
      if ((old.d.has & DHT_IPNS_D_SEQUENCE) &&
          (rec.d.has & DHT_IPNS_D_SEQUENCE) &&
          (uint64_t)old.d.sequence >= (uint64_t)rec.d.sequence)
        snprintf(msg, sizeof msg, "existing IPNS record has sequence %llu "
                 ">= new record sequence %llu, use 'ipfs name put --force' "
                 "to skip this check",
                 (unsigned long long)old.d.sequence,
                 (unsigned long long)rec.d.sequence);
      dht_ipns_record_free(&rec);
    }
    dht_ipns_record_free(&old);
    if (msg[0]) {
      rpc__rop_end(r, msg);
      return;
    }
  }
  name_put_store(r);
}

/* Kubo's checks of the record d[0..n) against the name, in its order and
 * words; 0 or the error answered. */
static int put_checks(http_req_t *req, nput_t *s, const uint8_t *d, size_t n,
                      char **value) {
  if (!n) {
    rpc_error(req, 500, "record is empty");
    return -1;
  }
  dht_ipns_inspect_t in;
  char err[128];
  /* The Value answered, whatever the checks (Kubo reads it best-effort). */
  if (!dht_ipns_inspect(d, n, NULL, false, wall_now(), &in, err, sizeof err)) {
    *value = in.value_len ? tr_strdup(in.value) : NULL;
    dht_ipns_inspect_free(&in);
  }
  if (s->force)
    return 0;
  if (n > DHT_IPNS_RECORD_MAX) {
    rpc_error(req, 500, "record exceeds maximum size of %d bytes, use "
              "--force to skip size check", DHT_IPNS_RECORD_MAX);
    return -1;
  }
  dht_ipns_record_t rec;
  int rc = dht_ipns_parse(&rec, d, n);
  if (rc) {
    rpc_error(req, 500, "invalid IPNS record: %s",
              rc == TR_EIPNS ? "record is malformed" : tr_strerror(rc));
    return -1;
  }
  char why[128];
  rc = dht_ipns_validate_name(&rec, &s->id, wall_now(), why, sizeof why);
  dht_ipns_record_free(&rec);
  if (rc) {
    rpc_error(req, 500, "record validation failed: %s", why);
    return -1;
  }
  return 0;
}

static void put_body(http_req_t *req, const uint8_t *d, size_t n,
                     void *ud) {
  nput_t *s = ud;
  char *value = NULL;
  rop_t *r = NULL;
  if (!req) {
    /* nothing to answer */
  } else if (!put_checks(req, s, d, n, &value) &&
             (r = rpc__rop_new2(req, s->ctx, R_GET, true))) {
    r->put_val = tr_malloc(n);
    r->put_value = value, value = NULL;
    if (!r->put_val) {
      rpc__rop_end(r, "out of memory");
    } else {
      memcpy(r->put_val, d, n);
      r->put_vl = n;
      r->target = s->id;
      r->max = s->allow_offline;
      memcpy(r->key, s->key, s->kl);
      r->kl = s->kl;
      if (net_peerid_format(&s->id, 'k', r->name, sizeof r->name) < 0)
        r->name[0] = 0;
      /* Unless forced, the name's current record first (Kubo's
       * Routing().Get: the network's too). */
      r->finish = name_put_got;
      if (s->force || !rpc__rop_run(r, r->key, r->kl))
        name_put_store(r);
    }
  }
  tr_free(value);
  tr_free(s);
}

/* Whether the config names Ipns.DelegatedPublishers. */
static bool delegated_publishers(const rpc_ctx_t *ctx) {
  json_t *cfg;
  if (!ctx->repo || config_load(ctx->repo, &cfg))
    return false;
  bool some = json_array_size(config_get(cfg, "Ipns.DelegatedPublishers"));
  json_decref(cfg);
  return some;
}

void rpc_cmd_name_put(http_req_t *req, rpc_ctx_t *ctx) {
  bool force, offline, delegated;
  if (rpc_opt_bool(req, "force", false, &force) ||
      rpc_opt_bool(req, "allow-offline", false, &offline) ||
      rpc_opt_bool(req, "allow-delegated", false, &delegated)) {
    rpc_error(req, 400, "invalid option");
    return;
  }
  if (offline && delegated) {
    rpc_error(req, 500, "cannot use both --allow-offline and "
              "--allow-delegated flags");
    return;
  }
  /* Kubo's --allow-delegated is --allow-offline once publishers are
   * set; trove's put reaches the DHTs, not the HTTP publishers. */
  if (delegated && !delegated_publishers(ctx)) {
    rpc_error(req, 500, "no delegated publishers configured: add "
              "Ipns.DelegatedPublishers or use --allow-offline for "
              "local-only publishing");
    return;
  }
  char **args;
  size_t na;
  if (rpc_args(req, "arg", &args, &na) || na == 0) {
    rpc_error(req, 400, "argument \"name\" is required");
    return;
  }
  nput_t *s = tr_calloc(1, sizeof *s);
  int rc = s ? name_key(args[0], &s->id, s->key, &s->kl) : -ENOMEM;
  rpc_strv_free(args, na);
  if (rc) {
    tr_free(s);
    rpc_error(req, 500, "%s%s", rc == -ENOMEM ? "" : "invalid IPNS name: ",
              tr_strerror(rc));
    return;
  }
  s->ctx = ctx, s->force = force, s->allow_offline = offline || delegated;
  rpc_file_collect(req, "record", DHT_IPNS_RECORD_MAX, put_body, s);
}

/* -------------------------------------------------------------- inspect */

typedef struct ninspect {
  char *verify;
  bool dump;
} ninspect_t;

static json_t *opt_int(bool has, json_int_t v) {
  return has ? json_integer(v) : json_null();
}

static json_t *inspect_json(const dht_ipns_inspect_t *in) {
  json_t *validation = json_null();
  if (in->verified)
    validation = json_pack("{s:b,s:s,s:s}", "Valid", in->valid, "Reason",
                           in->reason, "Name", in->name);
  /* A sequence past int64 (boxo's cast of a negative one) as a number
   * jansson can hold. */
  json_t *seq = !(in->has & DHT_IPNS_D_SEQUENCE) ? json_null()
                : in->sequence > INT64_MAX
                    ? json_real((double)in->sequence)
                    : json_integer((json_int_t)in->sequence);
  json_t *value = rpc_json_strn(in->value ? in->value : "", in->value_len);
  return json_pack(
      "{s:{s:o,s:o,s:o,s:o,s:o},s:I,s:s,s:s,s:o}", "Entry", "Value", value,
      "ValidityType",
      opt_int(in->has & DHT_IPNS_D_VALIDITY_TYPE, in->validity_type),
      "Validity",
      in->has & DHT_IPNS_D_VALIDITY ? json_string(in->validity)
                                     : json_null(),
      "Sequence", seq, "TTL", opt_int(in->has & DHT_IPNS_D_TTL, in->ttl_ns),
      "PbSize", (json_int_t)in->pb_size, "SignatureType", in->sig_type,
      "HexDump", in->hexdump ? in->hexdump : "", "Validation",
      validation ? validation : json_null());
}

static void inspect_body(http_req_t *req, const uint8_t *d, size_t n,
                         void *ud) {
  ninspect_t *s = ud;
  dht_ipns_inspect_t in;
  char err[128];
  if (!req) {
    /* nothing to answer */
  } else if (dht_ipns_inspect(d, n, s->verify, s->dump, wall_now(), &in, err,
                              sizeof err)) {
    rpc_error(req, 500, "%s", err);
  } else {
    rpc_api_json(req, inspect_json(&in));
    dht_ipns_inspect_free(&in);
  }
  tr_free(s->verify);
  tr_free(s);
}

void rpc_cmd_name_inspect(http_req_t *req, rpc_ctx_t *ctx) {
  (void)ctx;
  ninspect_t *s = tr_calloc(1, sizeof *s);
  if (!s) {
    rpc_error(req, 500, "out of memory");
    return;
  }
  if (rpc_opt_str(req, "verify", &s->verify) ||
      rpc_opt_bool(req, "dump", true, &s->dump)) {
    tr_free(s->verify);
    tr_free(s);
    rpc_error(req, 400, "invalid option");
    return;
  }
  rpc_file_collect(req, "record", DHT_INSPECT_READ_MAX - 1, inspect_body, s);
}
