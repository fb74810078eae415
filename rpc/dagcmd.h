/*
 * dagcmd.h — Kubo's `dag get`, `dag resolve`, `dag put` and `dag stat`
 * without I/O of their own: blocks are read through a dag_get_cb (or a
 * read transaction, for stat), so the RPC API (rpc_dagcmd.c, which fetches
 * what is missing) and the CLI run the same code.
 *
 * Paths ("CID/a/b", "/ipfs/CID/a/b") go as Kubo's resolver takes them:
 * through a dag-pb block by UnixFS names (directories and HAMT shards),
 * through the other codecs' blocks by their data model (a map's key, a
 * list's index as strconv.Atoi reads it), following links from block to
 * block; a path may end inside a block.  Messages are Kubo's (`key not
 * found: "x"`, `no link named "x" under CID`).
 */
#ifndef RPC_DAGCMD_H
#define RPC_DAGCMD_H

#include "../blockstore/bs.h"
#include "../dag/ipld.h"
#include "../dag/reader.h"

#define RPC_DAG_ERR_MAX 512

/* A line of Kubo's `refs` for the link src -> dst into out[0..outsz)
 * (NUL-terminated, cut to fit): fmt with <src>, <dst> and <linkname>
 * replaced, or "<src> -> <dst>" (edges) or "<dst>" when fmt is NULL.
 * rpc_ref_linkname: the link's name when src is dag-pb (its first link
 * to dst; Kubo has names for dag-pb links alone), else "". */
void rpc_ref_format(const char *fmt, bool edges, const dag_cid_t *src,
                    const dag_cid_t *dst, const char *linkname, char *out,
                    size_t outsz);
void rpc_ref_linkname(dag_get_cb get, void *ud, const dag_cid_t *src,
                      const dag_cid_t *dst, char *name, size_t cap);

/* Where arg ends: *cid the last block reached, and in rem[0..cap) what of
 * the path is left inside that block ("" or "/x/y", as Kubo's RemPath).
 * 0; TR_EPATH (err says which name), TR_ECID (arg is not a CID path),
 * TR_ECODEC, TR_EBUFSIZE, a decoder's errors, the get callback's
 * (TR_ENOTFOUND: *cid is the block missing). */
int rpc_dag_walk(const char *arg, dag_get_cb get, void *ud, dag_cid_t *cid,
                 char *rem, size_t cap, char err[RPC_DAG_ERR_MAX]) TR_WUR;

/* `dag get`: the node arg names, encoded in codec, appended to out.
 * Errors as rpc_dag_walk's, and TR_ECODEC when codec cannot hold it (err
 * says so). */
int rpc_dag_get(const char *arg, uint64_t codec, dag_get_cb get, void *ud,
                tr_bytes_t *out, char err[RPC_DAG_ERR_MAX]) TR_WUR;

/* `dag put`: in[0..len) read with in_codec, written with store_codec into
 * block (appended), its CIDv1 (multihash mh) into *cid.  0; TR_ECODEC,
 * TR_EHASH, a decoder's errors (err says what). */
int rpc_dag_put(const uint8_t *in, size_t len, uint64_t in_codec,
                uint64_t store_codec, uint64_t mh, tr_bytes_t *block,
                dag_cid_t *cid, char err[RPC_DAG_ERR_MAX]) TR_WUR;

/* `dag stat`: each root's blocks (each once) and bytes, and over all the
 * roots the unique blocks and their bytes.  Zero-initialise; free with
 * rpc_dag_stat_free. */
typedef struct rpc_dag_stat_root {
  dag_cid_t cid;
  uint64_t size, blocks;
} rpc_dag_stat_root_t;
typedef struct rpc_dag_stat {
  rpc_dag_stat_root_t *roots;
  size_t n;
  uint64_t unique_blocks, total_size; /* over all roots, each block once */
  tr_fpset_t seen;
} rpc_dag_stat_t;

/* Walk root's DAG in txn, adding to st (a new entry for root); progress
 * (may be NULL) is called after each block with the entry so far.  0;
 * TR_ENOTFOUND (*missing set), -ENOMEM, the walk's errors. */
int rpc_dag_stat_add(rpc_dag_stat_t *st, bs_txn_t *txn, const dag_cid_t *root,
                     void (*progress)(const rpc_dag_stat_t *st, void *ud),
                     void *ud, dag_cid_t *missing) TR_WUR;
/* Kubo's answer: {"UniqueBlocks", "TotalSize", "SharedSize" (when not
 * 0), "Ratio", "DagStats": [{"Cid", "Size", "NumBlocks"}...]}; partial
 * (a progress line) without the first, third and fourth. */
struct json_t;
struct json_t *rpc_dag_stat_json(const rpc_dag_stat_t *st, bool partial);
/* The same as one line of text (malloc'd; NULL when out of memory), its
 * Ratio in Go's digits. */
char *rpc_dag_stat_dump(const rpc_dag_stat_t *st, bool partial);
void rpc_dag_stat_free(rpc_dag_stat_t *st);

#endif /* RPC_DAGCMD_H */
