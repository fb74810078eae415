/*
 * add_resolve.c — rpc_add_resolve() (opts.h): `add`'s parsed options, the
 * import profile and the config's Import section made into the settings
 * one import runs with, checked in Kubo's order and with Kubo's messages.
 * The CLI (before it runs an add or sends one to a daemon) and
 * /api/v0/add both call it, so the two cannot disagree.
 *
 * It sits beside add_import.c (the config's Import keys) and add_meta.c
 * (the UnixFS metadata options), which it calls, rather than in
 * api_cmddefs.c with add's option table: the table only names options,
 * this gives them meaning.
 */
#include <stdio.h>
#include <string.h>

#include "../blockstore/bs.h"
#include "../dag/chunker.h"
#include "opts.h"


int rpc_add_resolve(const rpc_vals_t *v, const json_t *import,
                    rpc_add_opts_t *a, char *err, size_t n) {
  memset(a, 0, sizeof *a);
  /* Kubo checks --inline-limit first (go-cidutil's InlineBuilder, bounded
   * by verifcid's identity digest size); a negative limit inlines
   * nothing, as Go's len(data) > limit then always holds. */
  bool inl = rpc_vals_bool(v, "inline");
  int64_t lim = rpc_vals_int(v, "inline-limit");
  if (inl && lim > DAG_MH_IDENTITY_MAX) {
    snprintf(err, n, "inline-limit %lld exceeds maximum allowed size of %d "
             "bytes", (long long)lim, DAG_MH_IDENTITY_MAX);
    return TR_EUSAGE;
  }
  a->recursive = rpc_vals_bool(v, "recursive");
  a->hidden = rpc_vals_bool(v, "hidden");
  a->empty_dirs = rpc_vals_bool(v, "empty-dirs");
  a->quiet = rpc_vals_bool(v, "quiet");
  a->quieter = rpc_vals_bool(v, "quieter");
  a->silent = rpc_vals_bool(v, "silent");
  a->progress = rpc_vals_bool(v, "progress");
  a->progress_set = rpc_vals_isset(v, "progress");
  a->only_hash = rpc_vals_bool(v, "only-hash");
  a->wrap = rpc_vals_bool(v, "wrap-with-directory");
  a->pin = rpc_vals_bool(v, "pin");
  a->pin_name = rpc_vals_str(v, "pin-name");
  a->stdin_name = rpc_vals_str(v, "stdin-name");
  const char *profile = rpc_vals_str(v, "profile");
  if (dag_import_profile(&a->o, profile)) {
    snprintf(err, n, "unknown profile \"%s\" (unixfs-v1-2025, "
             "unixfs-v0-2015)", profile);
    return TR_EUSAGE;
  }
  /* A profile named is every setting; without one the config's Import
   * keys override trove's default profile's, as Kubo's add reads them. */
  int rc;
  if (!rpc_vals_isset(v, "profile") &&
      (rc = rpc_add_import(import, &a->o, err, n)))
    return rc;
  if (rpc_vals_isset(v, "trickle"))
    a->o.layout = rpc_vals_bool(v, "trickle") ? DAG_LAYOUT_TRICKLE
                                              : DAG_LAYOUT_BALANCED;
  const char *chunker = rpc_vals_str(v, "chunker");
  if (chunker && *chunker) {
    dag_chunker_t c;
    if (dag_chunker_init(&c, chunker)) {
      snprintf(err, n, "invalid chunker \"%s\": %s", chunker,
               tr_strerror(TR_ECHUNKER));
      return TR_EUSAGE;
    }
    a->o.chunker = chunker;
  }
  /* Every profile sets the CID version, as Kubo's profiles set
   * Import.CidVersion: an explicit option overrides it. */
  if (rpc_vals_isset(v, "cid-version"))
    a->o.cid_version = (int)rpc_vals_int(v, "cid-version");
  if (rpc_vals_isset(v, "raw-leaves"))
    a->o.raw_leaves = rpc_vals_bool(v, "raw-leaves");
  if (rpc_vals_isset(v, "max-file-links"))
    a->o.max_links = (size_t)rpc_vals_int(v, "max-file-links");
  if (rpc_vals_isset(v, "max-directory-links")) {
    int64_t l = rpc_vals_int(v, "max-directory-links");
    a->o.dir_max_links = l > 0 ? (size_t)l : 0; /* boxo: <= 0, no limit */
  }
  if (rpc_vals_isset(v, "max-hamt-fanout")) {
    int64_t f = rpc_vals_int(v, "max-hamt-fanout");
    if (f < 8 || f > 1024 || (f & (f - 1))) { /* Kubo's MaxHAMTFanout */
      snprintf(err, n, "HAMT fanout must be a power of 2, between 8 and "
               "1024 (got %lld)", (long long)f);
      return TR_EUSAGE;
    }
    a->o.hamt_fanout = (uint64_t)f;
  }
  /* Kubo's order of checks (core/commands/add.go). */
  if (a->only_hash)
    a->pin = false;
  if (rpc_vals_isset(v, "to-files")) {
    const char *t = rpc_vals_str(v, "to-files");
    a->to_files = t ? t : "";
  }
  if (a->only_hash && a->to_files) {
    snprintf(err, n, "only-hash and to-files options are not compatible");
    return TR_EUSAGE;
  }
  if (a->wrap && a->to_files) {
    snprintf(err, n, "wrap-with-directory and to-files options are not "
             "compatible");
    return TR_EUSAGE;
  }
  if (!a->pin && a->pin_name) {
    snprintf(err, n, "pin-name option requires pin to be set");
    return TR_EUSAGE;
  }
  if (a->pin_name && strlen(a->pin_name) > BS_PIN_NAME_MAX) {
    snprintf(err, n, "pin name too long: at most %d bytes", BS_PIN_NAME_MAX);
    return TR_EUSAGE;
  }
  const char *hash = rpc_vals_isset(v, "hash") ? rpc_vals_str(v, "hash")
                                                : NULL;
  if (hash && *hash) {
    char lower[64];
    size_t l = strlen(hash);
    for (size_t i = 0; i < l && i < sizeof lower - 1; i++)
      lower[i] = (char)(hash[i] >= 'A' && hash[i] <= 'Z' ? hash[i] | 0x20
                                                         : hash[i]);
    lower[l < sizeof lower ? l : sizeof lower - 1] = 0;
    if (l >= sizeof lower || dag_mh_from_name(lower, &a->o.mh_code)) {
      snprintf(err, n, "unrecognized hash function: \"%s\"", lower);
      return TR_EUSAGE;
    }
  }
  a->o.inline_below = inl && lim >= 0 ? (size_t)lim + 1 : 0;
  /* Whether raw leaves were chosen (Kubo's RawLeavesSet): by the option,
   * by Import.UnixFSRawLeaves or by metadata (which needs dag-pb).  Only
   * then does CIDv1 not turn them on, nor nocopy. */
  const json_t *rl = json_object_get(import, "UnixFSRawLeaves");
  bool raw_set = rpc_vals_isset(v, "raw-leaves") || (rl && !json_is_null(rl));
  if ((rc = rpc_add_meta_opts(v, a, err, n)))
    return rc;
  raw_set = raw_set || a->with_meta;
  /* Kubo's UnixfsAddOptions: nocopy needs raw leaves, and turns them on
   * unless something set them off (the option, the config, metadata). */
  a->nocopy = rpc_vals_bool(v, "nocopy");
  a->fscache = rpc_vals_bool(v, "fscache");
  if (a->nocopy && !a->o.raw_leaves) {
    if (raw_set) {
      snprintf(err, n, "nocopy option requires '--raw-leaves' to be enabled "
                       "as well");
      return TR_EUSAGE;
    }
    a->o.raw_leaves = true;
  }
  if (a->o.mh_code != DAG_MH_SHA2_256) {
    /* Kubo's UnixfsAddOptions: CIDv0 (asked for, or set by the profile as
     * Import.CidVersion=0 is) cannot carry another hash. */
    if (a->o.cid_version == 0) {
      snprintf(err, n, "CIDv0 only supports sha2-256");
      return TR_EUSAGE;
    }
    a->o.cid_version = 1;
  }
  /* Kubo's UnixfsAddOptions, last: CIDv1 (asked for, or made by the hash)
   * turns raw leaves on unless they were chosen (or here a profile named
   * chose them, as it chooses every setting).  With Import.CidVersion=0
   * (Kubo's legacy-cid-v0 profile), `add --cid-version=1` or `--hash
   * blake3` still makes raw leaves. */
  if (a->o.cid_version == 1 && !raw_set && !rpc_vals_isset(v, "profile"))
    a->o.raw_leaves = true;
  return 0;
}
