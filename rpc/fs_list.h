/*
 * fs_list.h — Kubo's `filestore ls|verify|dups` (core/commands/filestore.go
 * over boxo's filestore/util.go, Kubo v0.43.1), worked out once for the
 * CLI run on the repo (cli/cmd_filestore.c), the CLI printing a daemon's
 * answer, and /api/v0/filestore/ls, verify and dups (rpc_filestore.c).
 *
 * What it does: lists the references of the repo's filestore (bs.h,
 * "the filestore") as boxo's ListRes values, in Kubo's orders, checks
 * their files (verify), removes the bad ones (--remove-bad-blocks), picks
 * the ones also stored (dups); formats a value as Kubo's CLI prints it and
 * as its API's JSON, and reads that JSON back.
 *
 * Kubo's key order is not trove's.  Kubo walks its leveldb datastore, whose
 * keys are /filestore/<base32 of the multihash> (RFC 4648, upper case, no
 * padding), so references come in the byte order of those strings, where
 * the digits 2-7 (values 26-31) sort before the letters (0-25): not the
 * multihash's byte order, which LMDB keeps.  So a listing of all
 * references first collects them (in short read transactions, resumed
 * after the last multihash seen: bs_fs_range), then sorts them
 * (rpc_fsl_keycmp, or --file-order: path, offset, then key, as boxo's
 * listAllFileOrder), then hands them out; the files are read with no
 * transaction open.  The trade-off: memory for the whole listing (about
 * 100 bytes a reference with its path, 100 MB for a million), which boxo's
 * --file-order pays too; in exchange no read transaction lives longer than
 * a batch of RPC_FSL_BATCH records, however long the files take to read.
 *
 * What it does not do: decide whether the filestore is enabled
 * (rpc_fsl_enabled reads the config; the callers refuse), print, or talk
 * HTTP.
 */
#ifndef RPC_FS_LIST_H
#define RPC_FS_LIST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../blockstore/bs.h"
#include "../dag/cid.h"

/* References read in one read transaction while collecting. */
#define RPC_FSL_BATCH 1024
/* Longest ErrorMsg kept (a path and a message). */
#define RPC_FSL_ERR_MAX (BS_FS_PATH_MAX + 512)

/* Kubo's words when neither Experimental.FilestoreEnabled nor
 * Experimental.UrlstoreEnabled is true (boxo's ErrFilestoreNotEnabled). */
#define RPC_FSL_OFF_MSG "filestore is not enabled, see https://git.io/vNItf"

/* One boxo ListRes. */
typedef struct rpc_fsl_res {
  int status;     /* BS_FS_* */
  bool has_key;   /* false: Key is cid.Undef (an argument that is no CID) */
  dag_cid_t key;  /* a raw CIDv1 of the multihash, as boxo's mkListRes */
  bool has_ref;   /* false: FilePath is "" (and Offset, Size 0) */
  bs_fsref_t ref;
  char err[RPC_FSL_ERR_MAX]; /* ErrorMsg, "" when none */
} rpc_fsl_res_t;

enum { RPC_FSL_LS, RPC_FSL_VERIFY, RPC_FSL_DUPS };

typedef struct rpc_fsl_opts {
  int mode;          /* RPC_FSL_* */
  bool file_order;   /* ls, verify without arguments */
  bool remove_bad;   /* verify: drop the references whose status is
                        neither ok nor ERROR (needs a writable env) */
  bool allow_files;  /* Experimental.FilestoreEnabled: without it (the
                        urlstore alone) a file's reference verifies as
                        ERROR, as boxo's readFileDataObj refuses */
  char *const *args; /* CID arguments (ls, verify); borrowed, may be NULL */
  size_t nargs;
} rpc_fsl_opts_t;

typedef struct rpc_fsl rpc_fsl_t;

/* A listing over env as o asks (o->args is borrowed: it must outlive l).
 * 0, -ENOMEM. */
int rpc_fsl_new(bs_env_t *env, const rpc_fsl_opts_t *o, rpc_fsl_t **l) TR_WUR;
/* The next value into *r: 1, or 0 at the end, or a negative code (the
 * store could not be read, -ENOMEM).  With arguments, each gives one value,
 * the references verified (boxo's listByArgs verifies for ls too); without
 * them, the first call collects.  dups gives values whose key alone
 * matters (status BS_FS_OK).  Needs no transaction from the caller: each
 * call opens and ends its own. */
int rpc_fsl_next(rpc_fsl_t *l, rpc_fsl_res_t *r) TR_WUR;
void rpc_fsl_free(rpc_fsl_t *l);

/* Whether the repo's config enables the filestore commands (Kubo makes
 * its filestore when either key is true), and *allow_files, its
 * Experimental.FilestoreEnabled.  A config that cannot be read: false. */
bool rpc_fsl_enabled(const char *repo, bool *allow_files);

/* ------------------------------------------------------------- formats */

/* boxo's ListRes.FormatLong with the --cid-base base (0: base32):
 * "<corrupt key>" without a key, the key in base32 alone without a path,
 * else "%-50s %6d %s %d" (key, size, path, offset).  Into out[0..n),
 * truncated to fit. */
void rpc_fsl_format_long(const rpc_fsl_res_t *r, char base, char *out,
                         size_t n);
/* A line of Kubo's CLI, with its newline: ls prints FormatLong; verify
 * prints the status padded to 7 ("%-7s"), a space, FormatLong, and with
 * remove_bad " remove" or " keep".  Into out[0..n). */
void rpc_fsl_line(const rpc_fsl_res_t *r, int mode, bool remove_bad,
                  char base, char *out, size_t n);
/* Kubo's JSON of r: {"Status","ErrorMsg","Key":{"/":base32}|null,
 * "FilePath","Offset","Size"}.  NULL on -ENOMEM. */
json_t *rpc_fsl_json(const rpc_fsl_res_t *r);
/* Read such a JSON value back: 0, or TR_EJSON. */
int rpc_fsl_from_json(const json_t *o, rpc_fsl_res_t *r) TR_WUR;

/* ----------------------------------------------------------- internals */

/* Kubo's datastore order of two multihashes: as strcmp of their base32
 * keys (upper case, no padding) would order them, without encoding.
 * Exposed for its test. */
int rpc_fsl_keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl);
/* boxo's listAllFileOrder order of (path, offset, key): path bytes, then
 * offset, then rpc_fsl_keycmp. */
int rpc_fsl_filecmp(const char *pa, uint64_t oa, const uint8_t *ka,
                    size_t kal, const char *pb, uint64_t ob,
                    const uint8_t *kb, size_t kbl);
/* Kubo's cmdutils.CidFromArg: 0 and *cid, or an error with Kubo's message
 * ("invalid path \"foo\": path does not have enough components") in
 * msg[0..n). */
int rpc_fsl_cid_arg(const char *arg, dag_cid_t *cid, char *msg,
                    size_t n) TR_WUR;

#endif /* RPC_FS_LIST_H */
