/*
 * add_import.c — the config's Import section as `add`'s defaults (opts.h,
 * rpc_add_import): Kubo v0.43.1's add takes every import setting it is
 * not given from Import.*, so a repo that went through `config profile
 * apply unixfs-v0-2015` (or had its keys set one by one) adds with those
 * settings, as Kubo's does.
 *
 * trove's implicit defaults are unixfs-v1-2025's, not Kubo's legacy ones
 * (CIDv0, 256 KiB chunks): each key present overrides the profile's value
 * for that setting alone.  As in Kubo's add, CIDv1 without a raw-leaves
 * setting turns raw leaves on, CIDv0 off.
 */
#include <stdio.h>
#include <string.h>

#include "../config/config.h"
#include "../dag/chunker.h"
#include "../dag/multihash.h"
#include "opts.h"

/* The value of Import.<key> when it is set (not absent, not null). */
static json_t *key(const json_t *imp, const char *k) {
  json_t *v = json_object_get(imp, k);
  return json_is_null(v) ? NULL : v;
}

static int bad(char *err, size_t n, const char *k, const char *want) {
  snprintf(err, n, "invalid config Import.%s: %s", k, want);
  return TR_EUSAGE;
}

int rpc_add_import(const json_t *imp, dag_import_opts_t *o, char *err,
                   size_t n) {
  json_t *v;
  bool raw_set = false;
  if ((v = key(imp, "UnixFSRawLeaves"))) {
    if (!json_is_boolean(v))
      return bad(err, n, "UnixFSRawLeaves", "not a boolean");
    o->raw_leaves = json_is_true(v);
    raw_set = true;
  }
  if ((v = key(imp, "CidVersion"))) {
    json_int_t c = json_integer_value(v);
    if (!json_is_integer(v) || (c != 0 && c != 1))
      return bad(err, n, "CidVersion", "must be 0 or 1");
    o->cid_version = (int)c;
    if (!raw_set)
      o->raw_leaves = c == 1;
  }
  if ((v = key(imp, "UnixFSChunker"))) {
    dag_chunker_t c;
    if (!json_is_string(v) || dag_chunker_init(&c, json_string_value(v)))
      return bad(err, n, "UnixFSChunker", "not a chunker (size-N, "
                 "rabin[-min-avg-max], buzhash)");
    o->chunker = json_string_value(v); /* a view into imp */
  }
  if ((v = key(imp, "HashFunction"))) {
    if (!json_is_string(v) ||
        dag_mh_from_name(json_string_value(v), &o->mh_code))
      return bad(err, n, "HashFunction", "not a hash function Kubo takes");
  }
  if ((v = key(imp, "UnixFSFileMaxLinks"))) {
    json_int_t l = json_integer_value(v);
    if (!json_is_integer(v) || l < 2 || l > DAG_IMPORT_MAX_LINKS)
      return bad(err, n, "UnixFSFileMaxLinks", "must be 2 to 65536");
    o->max_links = (size_t)l;
  }
  if ((v = key(imp, "UnixFSDirectoryMaxLinks"))) {
    if (!json_is_integer(v) || json_integer_value(v) < 0)
      return bad(err, n, "UnixFSDirectoryMaxLinks", "not a number of links "
                 "(0: no limit)");
    o->dir_max_links = (size_t)json_integer_value(v);
  }
  if ((v = key(imp, "UnixFSHAMTDirectoryMaxFanout"))) {
    json_int_t f = json_integer_value(v);
    if (!json_is_integer(v) || f < 8 || f > 1024 || (f & (f - 1)))
      return bad(err, n, "UnixFSHAMTDirectoryMaxFanout",
                 "must be a power of 2 from 8 to 1024");
    o->hamt_fanout = (uint64_t)f;
  }
  if ((v = key(imp, "UnixFSHAMTDirectorySizeThreshold"))) {
    uint64_t b;
    /* Kubo's OptionalBytes: "256KiB", "1MB", a plain number of bytes. */
    if (json_is_integer(v) && json_integer_value(v) >= 0)
      o->hamt_threshold = (uint64_t)json_integer_value(v);
    else if (json_is_string(v) && !tr_parse_rate(json_string_value(v), &b))
      o->hamt_threshold = b;
    else
      return bad(err, n, "UnixFSHAMTDirectorySizeThreshold",
                 "not a size (\"256KiB\")");
  }
  if ((v = key(imp, "UnixFSHAMTDirectorySizeEstimation"))) {
    const char *s = json_string_value(v);
    if (s && !strcmp(s, "links"))
      o->hamt_estimate = DAG_HAMT_EST_LINKS;
    else if (s && !strcmp(s, "block"))
      o->hamt_estimate = DAG_HAMT_EST_BLOCK;
    else if (s && !strcmp(s, "disabled"))
      o->hamt_estimate = DAG_HAMT_EST_DISABLED;
    else
      return bad(err, n, "UnixFSHAMTDirectorySizeEstimation",
                 "must be links, block or disabled");
  }
  if ((v = key(imp, "UnixFSDAGLayout"))) {
    const char *s = json_string_value(v);
    if (s && !strcmp(s, "balanced"))
      o->layout = DAG_LAYOUT_BALANCED;
    else if (s && !strcmp(s, "trickle"))
      o->layout = DAG_LAYOUT_TRICKLE;
    else
      return bad(err, n, "UnixFSDAGLayout", "must be balanced or trickle");
  }
  if ((v = key(imp, "UnixFSPBNodeFieldOrder")) &&
      (!json_is_string(v) || strcmp(json_string_value(v), "links-first")))
    return bad(err, n, "UnixFSPBNodeFieldOrder",
               "trove writes links-first (dag-pb's canonical order) only");
  return 0;
}
