/*
 * rpc_pin.c — /api/v0/pin/{add,rm,ls,verify} with Kubo's parameters and
 * answers:
 *
 *   pin/add    arg=<path>... recursive=true name= progress=
 *                                               {"Pins":[cid...]}, with
 *              progress NDJSON {"Progress":N}... then {"Pins":[...]}
 *   pin/rm     arg=<path>... recursive=true         {"Pins":[cid...]}
 *   pin/update arg=<from> arg=<to> unpin=true      {"Pins":[from,to]}
 *   pin/ls     [arg=<path>...] type=all|direct|indirect|recursive
 *              stream= names= name=  {"Keys":{cid:{"Type","Name"}}}, or
 *              with stream NDJSON {"Cid","Name","Type"} per pin
 *   pin/verify verbose= quiet=       NDJSON {"Cid","Ok","BadNodes"}
 *
 * add and rm change all their arguments in one write transaction or none,
 * as Kubo's pinner does; each runs as a pool job.  Answers are built whole
 * in the job: a repo's pins are few next to its blocks (indirect pins -
 * every block under a recursive pin - are the exception, and are listed
 * only when asked for).
 *
 * pin add fetches what the repo lacks (rpc_job_run_fetch): the path, then
 * for a recursive pin the whole DAG (BS_FETCH_DAG), for a direct one the
 * block, the job running again after each fetch.  From before the first
 * fetch until the pin is written it holds the gc lock shared, as an import
 * does, so that GC never takes fetched blocks before their pin.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../dag/reader.h"
#include "rpc_int.h"

typedef struct pin_req {
  char **args;
  size_t n;
  bool recursive, stream, names, verbose, quiet, progress, unpin;
  int types;
  char *name;
  int lock; /* pin add with fetching: the gc lock, -1 until taken */
  dag_cid_t *cids; /* pin add: what was pinned, announced at the end */
  char ls_err[DAG_CID_STR_MAX + 1100]; /* pin ls --stream: the error that
                                          ends the lines sent */
} pin_req_t;

static void pin_free(void *p) {
  pin_req_t *r = p;
  bs_gc_unlock(r->lock);
  tr_free(r->cids);
  rpc_strv_free(r->args, r->n);
  tr_free(r->name);
  tr_free(r);
}

static pin_req_t *parse(http_req_t *req, bool need_args) {
  pin_req_t *r = tr_calloc(1, sizeof *r);
  if (!r) {
    rpc_error(req, 500, "out of memory");
    return NULL;
  }
  r->lock = -1;
  char *type = NULL;
  int rc = rpc_args(req, "arg", &r->args, &r->n);
  if (!rc)
    rc = rpc_opt_bool(req, "recursive", true, &r->recursive);
  if (!rc)
    rc = rpc_opt_bool(req, "stream", false, &r->stream);
  if (!rc)
    rc = rpc_opt_bool(req, "names", false, &r->names);
  if (!rc)
    rc = rpc_opt_bool(req, "verbose", false, &r->verbose);
  if (!rc)
    rc = rpc_opt_bool(req, "quiet", false, &r->quiet);
  if (!rc)
    rc = rpc_opt_bool(req, "progress", false, &r->progress);
  if (!rc)
    rc = rpc_opt_bool(req, "unpin", true, &r->unpin);
  if (!rc)
    rc = rpc_opt_str(req, "name", &r->name);
  if (!rc)
    rc = rpc_opt_str(req, "type", &type);
  if (rc) {
    rpc_error(req, 400, "invalid argument: %s", tr_strerror(rc));
    goto fail;
  }
  r->types = BS_PIN_ALL;
  if (type && !strcmp(type, "direct"))
    r->types = BS_PIN_DIRECT;
  else if (type && !strcmp(type, "recursive"))
    r->types = BS_PIN_RECURSIVE;
  else if (type && !strcmp(type, "indirect"))
    r->types = BS_PIN_INDIRECT;
  else if (type && strcmp(type, "all")) {
    rpc_error(req, 500, "invalid type '%s', must be one of {direct, "
              "indirect, recursive, all}", type);
    goto fail;
  }
  if (r->name && strlen(r->name) > BS_PIN_NAME_MAX) {
    rpc_error(req, 500, "pin name too long: at most %d bytes",
              BS_PIN_NAME_MAX);
    goto fail;
  }
  if (need_args && !r->n) {
    rpc_error(req, 400, "argument \"ipfs-path\" is required");
    goto fail;
  }
  tr_free(type);
  return r;
fail:
  tr_free(type);
  pin_free(r);
  return NULL;
}

/* ----------------------------------------------------------- add / rm */

static void addrm_work(rpc_job_t *j, bool add) {
  pin_req_t *r = j->state;
  if (add && j->fetch_on && r->lock < 0) {
    /* Kept across the runs this job makes, let go with its state.  Never
     * waited for here (a pool thread): while a GC holds it, the job runs
     * again a little later. */
    if ((r->lock = bs_gc_trylock_shared(j->env)) < 0) {
      rpc_job_fail(j, 500, "gc lock: %s", r->lock == -EWOULDBLOCK
                   ? "a garbage collection is running" : tr_strerror(r->lock));
      if (r->lock == -EWOULDBLOCK)
        rpc_job_again(j);
      r->lock = -1;
      return;
    }
  }
  if (add) {
    j->progress = r->progress;
    if (r->progress)
      j->kind = RPC_CHUNKED; /* Kubo's values, one per line */
    if (!r->cids && !(r->cids = tr_calloc(r->n, sizeof *r->cids))) {
      rpc_job_fail(j, 500, "out of memory");
      return;
    }
  }
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, 0, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  json_t *pins = json_array();
  char s[DAG_CID_STR_MAX], s2[DAG_CID_STR_MAX], msg[700];
  for (size_t i = 0; i < r->n && !rc && pins; i++) {
    dag_cid_t cid, missing;
    if ((rc = rpc_job_resolve(j, txn, r->args[i], &cid)))
      break;
    dag_cid_str(&cid, s);
    if (add) {
      rc = bs_pin_add(txn, &cid,
                      r->recursive ? BS_PIN_RECURSIVE : BS_PIN_DIRECT,
                      r->name, &missing);
      if (rc == TR_EINCOMPLETE || rc == TR_ENOTFOUND)
        rpc_job_missing(j, &cid, r->recursive ? BS_FETCH_DAG : 0);
      if (rc == TR_EINCOMPLETE)
        rpc_job_fail(j, 500, "pin: %s",
                     rpc_errmsg(TR_ENOTFOUND, dag_cid_str(&missing, s2), msg,
                                sizeof msg));
      else if (rc == TR_ENOTFOUND)
        rpc_job_fail(j, 500, "pin: %s", rpc_errmsg(rc, s, msg, sizeof msg));
      else if (rc == TR_EPINTYPE)
        rpc_job_fail(j, 500, "pin: %s already pinned recursively", s);
      if (!rc)
        r->cids[i] = cid;
    } else {
      rc = bs_pin_rm(txn, &cid, r->recursive);
      if (rc == TR_ENOTPINNED)
        rpc_job_fail(j, 500, "not pinned or pinned indirectly");
      else if (rc == TR_EINDIRECT)
        rpc_job_fail(j, 500, "%s is pinned indirectly", s);
      else if (rc == TR_EPINTYPE)
        rpc_job_fail(j, 500, "%s is pinned recursively", s);
    }
    if (rc)
      rpc_job_fail(j, 500, "%s: %s", s, tr_strerror(rc));
    else if (json_array_append_new(pins, json_string(s)))
      rc = -ENOMEM;
  }
  if (!pins)
    rc = -ENOMEM;
  if (!rc && (rc = bs_txn_commit(txn)))
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
  else if (rc)
    bs_txn_abort(txn);
  if (rc == -ENOMEM)
    rpc_job_fail(j, 500, "out of memory");
  if (!rc)
    j->json = json_pack("{s:o}", "Pins", pins);
  else
    json_decref(pins);
  /* Announced once written (an earlier run may have stopped short). */
  for (size_t i = 0; add && !rc && i < r->n; i++)
    rpc_announce(j->ctx, &r->cids[i]);
}

static void add_work(rpc_job_t *j) { addrm_work(j, true); }
static void rm_work(rpc_job_t *j) { addrm_work(j, false); }

void rpc_cmd_pin_add(http_req_t *req, rpc_ctx_t *ctx) {
  pin_req_t *r = parse(req, true);
  if (r)
    (void)rpc_job_run_fetch(req, ctx, add_work, NULL, r, pin_free);
}

void rpc_cmd_pin_rm(http_req_t *req, rpc_ctx_t *ctx) {
  pin_req_t *r = parse(req, true);
  if (r)
    (void)rpc_job_run(req, ctx, rm_work, NULL, r, pin_free);
}

/* -------------------------------------------------------------- update */

/* boxo's dspinner Update: `from` must be pinned recursively; `to` gets a
 * recursive pin with from's name (fetching what the repo lacks of it, as
 * pin add does), then from's pin goes when unpin is true.  IPFS Cluster
 * calls it (unpin=false) to pin a new version of a DAG that shares most
 * blocks with one already pinned. */
static void update_work(rpc_job_t *j) {
  pin_req_t *r = j->state;
  if (j->fetch_on && r->lock < 0) {
    if ((r->lock = bs_gc_trylock_shared(j->env)) < 0) {
      rpc_job_fail(j, 500, "gc lock: %s", r->lock == -EWOULDBLOCK
                   ? "a garbage collection is running" : tr_strerror(r->lock));
      if (r->lock == -EWOULDBLOCK)
        rpc_job_again(j);
      r->lock = -1;
      return;
    }
  }
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, 0, &txn);
  if (rc) {
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  dag_cid_t from, to, missing;
  char f[DAG_CID_STR_MAX], t[DAG_CID_STR_MAX], m[DAG_CID_STR_MAX], msg[700];
  bool changed = false;
  if ((rc = rpc_job_resolve(j, txn, r->args[0], &from)) ||
      (rc = rpc_job_resolve(j, txn, r->args[1], &to)))
    goto out;
  dag_cid_str(&from, f);
  dag_cid_str(&to, t);
  rc = bs_pin_update(txn, &from, &to, r->unpin, &missing);
  if (rc == TR_ENOTPINNED) {
    rpc_job_fail(j, 500, "'from' cid was not recursively pinned already");
    goto out;
  }
  if (rc == TR_EPINTYPE) {
    rpc_job_fail(j, 500, "'to' cid was already recursively pinned");
    goto out;
  }
  if (rc == TR_EINCOMPLETE || rc == TR_ENOTFOUND) {
    rpc_job_missing(j, &to, BS_FETCH_DAG);
    rpc_job_fail(j, 500, "%s", rpc_errmsg(TR_ENOTFOUND, rc == TR_ENOTFOUND
                 ? t : dag_cid_str(&missing, m), msg, sizeof msg));
    goto out;
  }
  changed = !rc && !dag_cid_equal(&from, &to);
out:
  if (rc)
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
  if (!rc && changed && (rc = bs_txn_commit(txn)))
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
  else if (rc || !changed)
    bs_txn_abort(txn);
  if (!rc)
    j->json = json_pack("{s:[s,s]}", "Pins", f, t);
  if (!rc && changed)
    rpc_announce(j->ctx, &to);
}

void rpc_cmd_pin_update(http_req_t *req, rpc_ctx_t *ctx) {
  pin_req_t *r = parse(req, true);
  if (!r)
    return;
  if (r->n != 2) {
    rpc_error(req, 400, r->n < 2 ? "argument \"to-path\" is required"
                                 : "expected 2 argument(s), got %zu", r->n);
    pin_free(r);
    return;
  }
  (void)rpc_job_run_fetch(req, ctx, update_work, NULL, r, pin_free);
}

/* ------------------------------------------------------------------ ls */

typedef struct ls_ctx {
  rpc_job_t *j;
  pin_req_t *r;
  json_t *keys; /* non-stream answer */
  int rc;
} ls_ctx_t;

static const char *type_name(const bs_pin_t *p, char *buf, size_t n) {
  char s[DAG_CID_STR_MAX];
  switch (p->type) {
  case BS_PIN_DIRECT:
    return "direct";
  case BS_PIN_RECURSIVE:
    return "recursive";
  default:
    if (buf && p->via.len) {
      snprintf(buf, n, "indirect through %s", dag_cid_str(&p->via, s));
      return buf;
    }
    return "indirect";
  }
}

static int ls_emit(ls_ctx_t *c, const dag_cid_t *cid, const char *type,
                   const char *name) {
  char s[DAG_CID_STR_MAX];
  bool names = c->r->names || c->r->name;
  dag_cid_str(cid, s);
  if (c->r->stream) {
    json_t *o = json_pack("{s:s,s:s}", "Cid", s, "Type", type);
    if (o && names && name && *name)
      json_object_set_new(o, "Name", rpc_json_str(name));
    return rpc_job_line(c->j, o);
  }
  json_t *v = json_pack("{s:s,s:o}", "Type", type, "Name",
                        rpc_json_str(names && name ? name : ""));
  return v && !json_object_set_new(c->keys, s, v) ? 0 : -ENOMEM;
}

static int ls_one(const bs_pin_t *p, void *ud) {
  ls_ctx_t *c = ud;
  if (c->r->name && !strstr(p->name, c->r->name))
    return 0;
  return ls_emit(c, &p->cid, type_name(p, NULL, 0), p->name);
}

static void ls_work(rpc_job_t *j) {
  pin_req_t *r = j->state;
  ls_ctx_t c = {j, r, json_object(), 0};
  bs_txn_t *txn;
  int rc = c.keys ? bs_txn_begin(j->env, BS_RDONLY, &txn) : -ENOMEM;
  if (rc) {
    json_decref(c.keys);
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
    return;
  }
  if (r->n) {
    /* Only the given paths: each must be pinned in one of the types. */
    for (size_t i = 0; i < r->n && !rc; i++) {
      dag_cid_t cid;
      bs_pin_t pin;
      char tbuf[DAG_CID_STR_MAX + 32];
      if ((rc = rpc_job_resolve(j, txn, r->args[i], &cid)))
        break;
      rc = bs_pin_get(txn, &cid, r->types, &pin);
      if (rc == 0 || (rc == 1 && !(pin.type & r->types))) {
        if (r->stream && j->out.len) /* after its lines (ls_done) */
          snprintf(r->ls_err, sizeof r->ls_err, "path '%s' is not pinned",
                   r->args[i]);
        else
          rpc_job_fail(j, 500, "path '%s' is not pinned", r->args[i]);
        rc = TR_ENOTPINNED;
      } else if (rc == 1)
        rc = ls_emit(&c, &cid, type_name(&pin, tbuf, sizeof tbuf), pin.name);
    }
  } else {
    rc = bs_pin_ls(txn, r->types, ls_one, &c);
  }
  bs_txn_abort(txn);
  if (rc < 0 && !r->ls_err[0])
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
  if (j->status < 400 && !r->stream)
    j->json = json_pack("{s:o}", "Keys", c.keys);
  else
    json_decref(c.keys);
  if (r->stream)
    j->kind = RPC_CHUNKED;
}

/* A streamed listing that then meets a path not pinned: the lines that
 * went before, then the error, as Kubo streams them. */
static void ls_done(rpc_job_t *j) {
  pin_req_t *r = j->state;
  if (!r->ls_err[0]) {
    rpc_job_answer(j);
    return;
  }
  rpc_job_fail(j, 500, "%s", r->ls_err);
  rpc_job_lines_fail(j);
}

void rpc_cmd_pin_ls(http_req_t *req, rpc_ctx_t *ctx) {
  pin_req_t *r = parse(req, false);
  if (r)
    (void)rpc_job_run(req, ctx, ls_work, ls_done, r, pin_free);
}

/* -------------------------------------------------------------- verify */

static int verify_one(const bs_pin_t *pin, int status, const dag_cid_t *bad,
                      void *ud) {
  rpc_job_t *j = ud;
  pin_req_t *r = j->state;
  char s[DAG_CID_STR_MAX], b[DAG_CID_STR_MAX];
  if (status == 0 && !r->verbose)
    return 0;
  json_t *o;
  if (status == 0)
    o = json_pack("{s:s,s:b}", "Cid", dag_cid_str(&pin->cid, s), "Ok", 1);
  else
    o = json_pack("{s:s,s:b,s:[{s:s,s:s}]}", "Cid", dag_cid_str(&pin->cid, s),
                  "Ok", 0, "BadNodes", "Cid", dag_cid_str(bad, b), "Err",
                  status == TR_EINCOMPLETE ? "merkledag: not found"
                                           : tr_strerror(status));
  return rpc_job_line(j, o);
}

static void verify_work(rpc_job_t *j) {
  bs_txn_t *txn;
  int rc = bs_txn_begin(j->env, BS_RDONLY, &txn);
  if (!rc) {
    rc = bs_pin_verify(txn, verify_one, j);
    bs_txn_abort(txn);
  }
  if (rc)
    rpc_job_fail(j, 500, "%s", tr_strerror(rc));
  j->kind = RPC_CHUNKED;
}

void rpc_cmd_pin_verify(http_req_t *req, rpc_ctx_t *ctx) {
  pin_req_t *r = parse(req, false);
  if (r)
    (void)rpc_job_run(req, ctx, verify_work, NULL, r, pin_free);
}
