/*
 * api_cmddefs_files.c — the option tables of the MFS commands, `files
 * ls|stat|read|write|mkdir|cp|mv|rm|flush|chcid|chmod|touch` (Kubo's
 * core/commands/files.go), kept apart from api_cmddefs.c, whose rows name
 * them (cmddefs_int.h), so that file stays under its size; the family
 * shares the FLUSH and PREFIX rows below and nothing else does.
 */
#include "cmddefs_int.h"

/* Kubo's files commands: --flush (-f) is every one's (accepted; trove
 * stores each change whole: rpc/mfs.h). */
#define FLUSH OB("flush", 'f', "true", "Flush target and ancestors after " \
                 "write (always done).")
#define PREFIX                                                            \
  {"cid-version", 0, I, NULL, "Cid version to use.", "cid-version", 0, 1}, \
      OS("hash", 0, NULL, "Hash function to use. Will set Cid version to " \
         "1 if used.")

const rpc_optdef_t rpc__files_ls_opts[] = {
    OB("long", 'l', "false", "Use long listing format."),
    CB("U", 0, "false", "Do not sort; list entries in directory order."),
    FLUSH, END};

const rpc_optdef_t rpc__files_stat_opts[] = {
    CS("format", 0, NULL, "Print statistics in given format. Allowed "
       "tokens: <hash> <size> <cumulsize> <type> <childs> <mode> "
       "<mode-octal> <mtime> <mtime-secs> <mtime-nsecs>."),
    CB("hash", 0, "false", "Print only hash. Implies '--format=<hash>'."),
    CB("size", 0, "false", "Print only size. Implies '--format=<cumulsize>'."),
    OB("with-local", 0, "false", "Compute the amount of the dag that is "
       "local, and if possible the total size."),
    FLUSH, END};

const rpc_optdef_t rpc__files_read_opts[] = {
    {"offset", 'o', I, "0", "Byte offset to begin reading from.", "offset",
     INT64_MIN, INT64_MAX},
    {"count", 'n', I, NULL, "Maximum number of bytes to read.", "count",
     INT64_MIN, INT64_MAX},
    FLUSH, END};

const rpc_optdef_t rpc__files_write_opts[] = {
    {"offset", 'o', I, "0", "Byte offset to begin writing at.", "offset",
     INT64_MIN, INT64_MAX},
    OB("create", 'e', "false", "Create the file if it does not exist."),
    OB("parents", 'p', "false", "Make parent directories as needed."),
    OB("truncate", 't', "false", "Truncate the file to size zero before "
       "writing."),
    {"count", 'n', I, NULL, "Maximum number of bytes to read.", "count",
     INT64_MIN, INT64_MAX},
    OB("raw-leaves", 0, NULL, "Use raw blocks for newly created leaf "
       "nodes."),
    PREFIX, FLUSH, END};

const rpc_optdef_t rpc__files_mkdir_opts[] = {
    OB("parents", 'p', "false", "No error if existing, make parent "
       "directories as needed."),
    PREFIX, FLUSH, END};

const rpc_optdef_t rpc__files_cp_opts[] = {
    OB("force", 0, "false", "Force overwrite of existing files."),
    OB("parents", 'p', "false", "Make parent directories as needed."),
    FLUSH, END};

const rpc_optdef_t rpc__files_rm_opts[] = {
    OB("recursive", 'r', "false", "Recursively remove directories."),
    OB("force", 0, "false", "Forcibly remove target at path; implies -r "
       "for directories."),
    FLUSH, END};

const rpc_optdef_t rpc__files_chcid_opts[] = {PREFIX, FLUSH, END};

const rpc_optdef_t rpc__files_flush_opts[] = {FLUSH, END};

const rpc_optdef_t rpc__files_touch_opts[] = {
    {"mtime", 0, I, NULL, "Modification time in seconds before or since "
     "the Unix Epoch.", "mtime", INT64_MIN, INT64_MAX},
    {"mtime-nsecs", 0, I, NULL, "Modification time fraction in "
     "nanoseconds.", "mtime-nsecs", 0, UINT32_MAX},
    FLUSH, END};
