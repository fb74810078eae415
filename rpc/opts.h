/*
 * api_opts.h — one table of options per command, shared by the `trove`
 * CLI (run locally or sent to a daemon) and the RPC API's handlers, as
 * go-ipfs-cmds shares one cmds.Command between Kubo's CLI and its HTTP
 * API.  A command's options are written down once - name, short flag,
 * type, default, help text, the name of the argument in the /api/v0 query
 * - and both argv and a request's query are parsed through that entry, so
 * the two paths cannot drift apart again (they did: `add --profile
 * unixfs-v0-2015 --hash identity` failed locally and succeeded through a
 * daemon).
 *
 * Values are typed: a boolean is Go's strconv.ParseBool set ("--pin=false",
 * "pin=0"), an integer is decimal and range-checked ("--cid-version=x" and
 * "--cid-version=7" are errors, never 0), a string is taken as it is.
 *
 * What this does not do: run commands, print help (cli/ formats it from
 * the table) or read positional arguments of a query (rpc_args()).
 *
 * add's options are resolved into import settings in one place,
 * rpc_add_resolve(), used by `trove add`, by the CLI before it sends an add
 * to a daemon, and by /api/v0/add.
 */
#ifndef RPC_OPTS_H
#define RPC_OPTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "../common/tr.h"
#include "../dag/importer.h"

typedef enum {
  RPC_OPT_BOOL,   /* --flag, --flag=true|false */
  RPC_OPT_STRING, /* --name VALUE, --name=VALUE */
  RPC_OPT_INT,    /* decimal, within [min, max] */
  RPC_OPT_STRINGS, /* a string, given any number of times (the CLI's) */
} rpc_opt_type_t;

typedef struct rpc_optdef {
  const char *name; /* long name, without "--": "cid-version" */
  char shrt;        /* short flag ('r'), 0 for none */
  uint8_t type;     /* rpc_opt_type_t */
  const char *dflt; /* the default as text ("true", "1"), NULL for none */
  const char *help; /* one line */
  const char *rpc;  /* name in the /api/v0 query; NULL: the CLI's alone */
  int64_t min, max; /* bounds of an RPC_OPT_INT */
} rpc_optdef_t;

typedef struct rpc_cmddef {
  const char *name;         /* CLI words: "pin add" */
  const char *rpc;          /* "pin/add"; NULL: no API command */
  const char *args;         /* the positional arguments: "CID..." */
  const char *help;         /* one line */
  const rpc_optdef_t *opts; /* ends with an entry whose name is NULL */
} rpc_cmddef_t;

/* Most options one command has, and values of repeated ones in all. */
#define RPC_MAX_OPTS 64
#define RPC_MAX_LIST 64

typedef struct rpc_val {
  bool set;
  bool b;
  int64_t i;
  const char *s;
} rpc_val_t;

/* The values given for one command: v[k] belongs to def->opts[k]. */
typedef struct rpc_vals {
  const rpc_cmddef_t *def;
  rpc_val_t v[RPC_MAX_OPTS];
  char *owned[RPC_MAX_OPTS]; /* strings copied from a query */
  /* every value of the RPC_OPT_STRINGS options, in order, and whose */
  const char *list[RPC_MAX_LIST];
  uint8_t list_opt[RPC_MAX_LIST];
  size_t nlist;
} rpc_vals_t;

/* ------------------------------------------------------------ the table */

/* Every command of `trove`, in the order `trove help` lists them. */
extern const rpc_cmddef_t rpc_cmddefs[];
extern const size_t rpc_ncmddefs;

/* The command with CLI name name ("pin add") or API name ("pin/add"),
 * NULL when there is none. */
const rpc_cmddef_t *rpc_cmddef(const char *name);
const rpc_cmddef_t *rpc_cmddef_api(const char *rpc);
/* Whether the command (API name) takes its arguments from stdin when none
 * are given, as Kubo's arguments marked EnableStdin: the CLI reads them a
 * line each, and the API takes those past the URL's from a multipart
 * body (go-ipfs-cmds' ParseBodyArgs). */
bool rpc_cmddef_stdin_args(const char *rpc);

/* ------------------------------------------------------------- parsing */

/* Parse argv[1..argc) (argv[0] is the last command word) for command d:
 * options into *v (strings point into argv), the positional arguments to
 * args[0..*nargs) (args has room for argc entries; it may be argv + 1).
 * Accepted forms: --name, --name=V, --name V (not for booleans, as
 * go-ipfs-cmds), -x, -xV and -x V for a short flag taking a value, grouped
 * short booleans (-rwQ), "--" ending the options, "-" an argument.
 * TR_EUSAGE with a message naming the option in err. */
int rpc_vals_argv(rpc_vals_t *v, const rpc_cmddef_t *d, int argc, char **argv,
                  char **args, int *nargs, char *err, size_t errlen) TR_WUR;

/* Set option k (an index into d->opts) from the text val, checking its
 * type and range; how both parsers store a value.  For the query parser
 * val must outlive v.  TR_EUSAGE with a message in err. */
int rpc_vals_set(rpc_vals_t *v, size_t k, const char *val, char *err,
                 size_t errlen) TR_WUR;

/* Release what the query parser copied (gateway/api_opts_req.c). */
void rpc_vals_free(rpc_vals_t *v);

/* ------------------------------------------------------------- reading */

/* Index of option name in v's command; asserts that it exists. */
size_t rpc_vals_idx(const rpc_vals_t *v, const char *name);
bool rpc_vals_isset(const rpc_vals_t *v, const char *name);
/* The value given, else the table's default (false, 0 or NULL without
 * one). */
bool rpc_vals_bool(const rpc_vals_t *v, const char *name);
int64_t rpc_vals_int(const rpc_vals_t *v, const char *name);
const char *rpc_vals_str(const rpc_vals_t *v, const char *name);
/* Every value of the RPC_OPT_STRINGS option name, in the order given:
 * up to max into out; returns how many. */
size_t rpc_vals_strs(const rpc_vals_t *v, const char *name, const char **out,
                     size_t max);

/* Strict parsers the table uses, for other callers of the same rules.
 * TR_EUSAGE on anything else. */
int rpc_parse_bool(const char *s, bool *out) TR_WUR;
int rpc_parse_int(const char *s, int64_t *out) TR_WUR;

/* ------------------------------------------------------------------ add */

/* An entry's mode and mtime as Kubo's adder sees them (a files.Node's
 * Mode() and ModTime()): the mode in Go's os.FileMode bits (type bits
 * included: a directory's is ModeDir|0755), 0 for none; the mtime when
 * has_mtime (Go's non-zero time), normalised as time.Unix does. */
typedef struct rpc_fmeta {
  uint32_t gomode;
  bool has_mtime;
  int64_t sec;
  uint32_t nsec;
} rpc_fmeta_t;

typedef struct rpc_add_opts {
  dag_import_opts_t o; /* profile, then the options over it */
  bool pin, only_hash, wrap, silent, progress, progress_set;
  bool quiet, quieter, recursive, hidden;
  bool empty_dirs; /* Kubo's -E: an empty directory below an argument is
                      added (true) or left out */
  bool nocopy;     /* files' raw leaves as filestore references (nocopy.h) */
  bool fscache;    /* blocks the filestore references are not stored */
  const char *pin_name; /* NULL: none (a view into v) */
  const char *stdin_name; /* go-ipfs-cmds' --stdin-name: what the CLI
                             names stdin's content (NULL: its CID) */
  const char *to_files; /* --to-files: the MFS path (a view into v), or
                           NULL */
  /* UnixFS metadata: every entry starts with --mode and --mtime (meta),
   * which --preserve-mode and --preserve-mtime replace with its own. */
  bool preserve_mode, preserve_mtime, with_meta;
  rpc_fmeta_t meta;
} rpc_add_opts_t;

enum { RPC_META_FILE, RPC_META_DIR, RPC_META_SYMLINK };

/* What `add` stores for an entry of kind RPC_META_* whose own metadata is
 * own (NULL: it has none, as the wrapping directory of -w): boxo's rules,
 * a file's mode only when its permission bits are not all 0, a
 * directory's whenever the FileMode is not 0, a symlink's never.  False
 * (and *out cleared) when nothing is stored, as without a->with_meta. */
bool rpc_add_meta(const rpc_add_opts_t *a, const rpc_fmeta_t *own, int kind,
                  dag_meta_t *out);

/* add's metadata options into a (rpc_add_resolve calls it after the
 * import options, which it may change): --preserve-mode, --preserve-mtime,
 * --mode, --mtime, --mtime-nsecs, numbers as go-ipfs-cmds parses them.
 * Any of them turns raw leaves off (an explicit --raw-leaves=true is
 * refused).  TR_EUSAGE with Kubo's message in err; -EINVAL (Kubo's
 * message too) when a number does not convert, which go-ipfs-cmds
 * answers with 400 where the others are a Run's error, 500. */
int rpc_add_meta_opts(const rpc_vals_t *v, rpc_add_opts_t *a, char *err,
                      size_t errlen) TR_WUR;

/* An entry's own metadata from a multipart part's form name, as boxo's
 * multipart reader takes it from what its MultiFileReader writes
 * ("file?mode=0644&mtime=1700000000&mtime-nsecs=5"): nothing without a
 * query; with one, the mode (octal) if it parses and the mtime, time.Unix
 * of the seconds (0 when absent) and nanoseconds, unless the seconds do
 * not parse.  A symlink's mode is ModeSymlink|0777 whatever the form says
 * (boxo's Symlink.Mode). */
void rpc_fmeta_form(const char *name, bool symlink, rpc_fmeta_t *m);

/* An entry's own metadata from lstat(2), as Go's os.Lstat reports it. */
void rpc_fmeta_stat(const struct stat *st, rpc_fmeta_t *m);

/* A stored UnixFS mode (perms, the 12 bits) as the Go os.FileMode Kubo's
 * answers report for a node of unixfs_type (boxo's FSNode.Mode): 0 when
 * the bits are 0, ModeDir added for directories, ModeSymlink for
 * symlinks. */
uint32_t rpc_fmeta_gomode(int unixfs_type, uint32_t perms);

/* An mtime as Go's time.Time marshals to JSON (RFC 3339, nanoseconds
 * without trailing zeros, UTC), Go's zero time when there is none. */
void rpc_fmeta_time_json(bool has, int64_t sec, uint32_t nsec, char out[48]);

/* The form name boxo's MultiFileReader gives a part for m
 * ("file?mode=...&mtime=...&mtime-nsecs=..."), into out[0..n). */
void rpc_fmeta_form_name(const rpc_fmeta_t *m, char *out, size_t n);

/* Resolve add's options as Kubo does: the profile (default
 * unixfs-v1-2025) gives every Import value, and without --profile the
 * config's Import section (import, may be NULL) overrides those it sets,
 * as Kubo's config does; options override both; --only-hash turns pinning off; --pin-name needs --pin; a
 * hash other than sha2-256 makes CIDv1, and is an error with CIDv0 (which
 * the legacy profile sets, as Kubo's Import.CidVersion=0 does); options
 * trove has not implemented (inline) are refused; nocopy turns
 * raw leaves on, or is refused with them set off, as Kubo's options do.
 * TR_EUSAGE with Kubo's message in err; -EINVAL for a number that does not
 * convert (rpc_add_meta_opts). */
int rpc_add_resolve(const rpc_vals_t *v, const json_t *import,
                    rpc_add_opts_t *a, char *err, size_t errlen) TR_WUR;

/* The config's Import section (import: its object, may be NULL) over the
 * profile's settings in o, key by key, as Kubo's add reads Import.* for
 * what it is not given (add_import.c; rpc_add_resolve calls it when no
 * --profile is given, before the options).  o->chunker may then point
 * into import, which must outlive o's use.  TR_EUSAGE naming the key in
 * err. */
int rpc_add_import(const json_t *import, dag_import_opts_t *o, char *err,
                   size_t errlen) TR_WUR;

/* Passed files: over the daemon's Unix socket, a multipart part of this
 * Content-Type and no body stands for a regular file whose descriptor the
 * client sent (SCM_RIGHTS) with the bytes of the part's headers; the
 * daemon reads the file itself (rpc_upload.c), so an upload from the CLI
 * on the same machine crosses no socket.  Every upload command takes
 * them.  The CLI passes files only to a daemon whose /api/v0/passfd says
 * {"PassFd":true} on that socket: an older daemon would take such a part
 * for an empty file. */
#define RPC_UP_FD_TYPE "application/vnd.trove.passed-fd"

#endif /* RPC_OPTS_H */
