/*
 * cmddefs_int.h — what the files of the command table share: the
 * shorthand its option rows are written in, and the option tables kept in
 * files of their own (api_cmddefs_*.c) that rows of rpc_cmddefs[]
 * (api_cmddefs.c) name.  A family's tables move out of api_cmddefs.c so
 * that it stays a size a reader can hold; the rows stay there, in the
 * order `trove help` lists them.
 *
 * Only those files include this: the one-letter macros below would leak
 * into anything else.  Everyone else reads the table through opts.h.
 */
#ifndef RPC_CMDDEFS_INT_H
#define RPC_CMDDEFS_INT_H

#include "opts.h"

#define B RPC_OPT_BOOL
#define S RPC_OPT_STRING
#define I RPC_OPT_INT
#define END {NULL, 0, 0, NULL, NULL, NULL, 0, 0}
/* A boolean or string option sent to the API under its own name. */
#define OB(n, c, d, h) {n, c, B, d, h, n, 0, 0}
#define OS(n, c, d, h) {n, c, S, d, h, n, 0, 0}
/* An option of the CLI alone. */
#define CB(n, c, d, h) {n, c, B, d, h, NULL, 0, 0}
#define CS(n, c, d, h) {n, c, S, d, h, NULL, 0, 0}

/* api_cmddefs_files.c: the MFS commands (`files ...`). */
extern const rpc_optdef_t rpc__files_ls_opts[];
extern const rpc_optdef_t rpc__files_stat_opts[];
extern const rpc_optdef_t rpc__files_read_opts[];
extern const rpc_optdef_t rpc__files_write_opts[];
extern const rpc_optdef_t rpc__files_mkdir_opts[];
extern const rpc_optdef_t rpc__files_cp_opts[];
extern const rpc_optdef_t rpc__files_rm_opts[];
extern const rpc_optdef_t rpc__files_chcid_opts[];
extern const rpc_optdef_t rpc__files_flush_opts[];
extern const rpc_optdef_t rpc__files_touch_opts[];

/* api_cmddefs_fs.c: `filestore ls|verify|dups`. */
extern const rpc_optdef_t rpc__filestore_ls_opts[];
extern const rpc_optdef_t rpc__filestore_verify_opts[];
extern const rpc_optdef_t rpc__filestore_dups_opts[];
/* api_cmddefs_ps.c: `pubsub`. */
extern const rpc_optdef_t rpc__pubsub_opts[];
extern const rpc_optdef_t rpc__pubsub_reset_opts[];
/* api_cmddefs_p2p.c: `p2p`. */
extern const rpc_optdef_t rpc__p2p_listen_opts[];
extern const rpc_optdef_t rpc__p2p_forward_opts[];
extern const rpc_optdef_t rpc__p2p_ls_opts[];
extern const rpc_optdef_t rpc__p2p_close_opts[];
extern const rpc_optdef_t rpc__p2p_stream_ls_opts[];
extern const rpc_optdef_t rpc__p2p_stream_close_opts[];

/* api_cmddefs_name.c: IPNS, `name publish|put|inspect` and `key ...`. */
extern const rpc_optdef_t rpc__publish_opts[];
extern const rpc_optdef_t rpc__key_gen_opts[];
extern const rpc_optdef_t rpc__key_ls_opts[];
extern const rpc_optdef_t rpc__key_rename_opts[];
extern const rpc_optdef_t rpc__key_export_opts[];
extern const rpc_optdef_t rpc__key_import_opts[];
extern const rpc_optdef_t rpc__key_sign_opts[];
extern const rpc_optdef_t rpc__key_verify_opts[];
extern const rpc_optdef_t rpc__key_rotate_opts[];
extern const rpc_optdef_t rpc__name_put_opts[];
extern const rpc_optdef_t rpc__name_inspect_opts[];

/* api_cmddefs_pin.c: `pin ...` and `pin remote ...`. */
extern const rpc_optdef_t rpc__pin_add_opts[];
extern const rpc_optdef_t rpc__pin_update_opts[];
extern const rpc_optdef_t rpc__pin_rm_opts[];
extern const rpc_optdef_t rpc__pin_ls_opts[];
extern const rpc_optdef_t rpc__pin_verify_opts[];
extern const rpc_optdef_t rpc__pin_remote_svc_ls_opts[];
extern const rpc_optdef_t rpc__pin_remote_add_opts[];
extern const rpc_optdef_t rpc__pin_remote_ls_opts[];
extern const rpc_optdef_t rpc__pin_remote_rm_opts[];

#endif /* RPC_CMDDEFS_INT_H */
