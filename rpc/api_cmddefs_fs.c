/*
 * api_cmddefs_fs.c — the option tables of `filestore ls|verify|dups`
 * (Kubo's core/commands/filestore.go), kept beside api_cmddefs.c, whose
 * rows name them (cmddefs_int.h), so that file stays under its size.
 * --cid-base is one of Kubo's global options; trove takes it after the
 * command words.
 */
#include "cmddefs_int.h"

#define CID_BASE                                                           \
  {"cid-base", 0, RPC_OPT_STRING, NULL, "Multibase encoding for CIDs in "  \
   "output.", "cid-base", 0, 0}

const rpc_optdef_t rpc__filestore_ls_opts[] = {
    {"file-order", 0, RPC_OPT_BOOL, "false", "sort the results based on the "
     "path of the backing file", "file-order", 0, 0},
    CID_BASE,
    END};

const rpc_optdef_t rpc__filestore_verify_opts[] = {
    {"file-order", 0, RPC_OPT_BOOL, "false", "verify the objects based on "
     "the order of the backing file", "file-order", 0, 0},
    {"remove-bad-blocks", 0, RPC_OPT_BOOL, "false", "remove bad blocks. "
     "WARNING: This may remove pinned data. You should run 'trove pin "
     "verify' after running this command and correct any issues.",
     "remove-bad-blocks", 0, 0},
    CID_BASE,
    END};

const rpc_optdef_t rpc__filestore_dups_opts[] = {CID_BASE, END};
