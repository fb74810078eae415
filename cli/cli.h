/*
 * cli.h — what the `trove` command's files share: the command table, the
 * repo opened for a command, argument helpers and the one error format.
 *
 * Each subcommand family lives in its own file (cmd_repo.c, cmd_block.c,
 * cmd_pin.c, ...) and exposes its handlers here.  A handler gets argv with
 * the command words removed (argv[0] is the last command word, as getopt
 * expects) and returns the process exit status.  Errors are printed as one
 * line on stderr, "trove: what failed: why", by cli_fail().
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "../blockstore/bs.h"
#include "../dag/cid.h"
#include "../rpc/opts.h"

typedef struct cli {
  const char *repo; /* repo directory (--repo, TROVE_PATH, ~/.trove) */
  bs_env_t *env;    /* opened on demand by cli_env() */
  rpc_vals_t v;     /* the command's options, parsed through its table */
  /* Kubo's global --offline and --timeout: sent with every API call (the
   * daemon then fetches nothing, or gives up at the deadline). */
  bool offline;
  const char *timeout; /* a Go duration, or NULL */
} cli_t;

/* Before a read that runs on the local repo (get, ls, refs, dag export,
 * block stat) while a daemon runs: the daemon fetches what the repo
 * lacks of each argument (its `refs` walks and fetches; the answer is
 * dropped), so that the local read finds it.  Nothing happens with
 * --offline, without a daemon, or when the local walk finds everything.
 * argv as for a handler. */
void cli_remote_prefetch(cli_t *cli, const char *name, int argc, char **argv);

/* argv[0] is the command's last word, argv[1..argc) its positional
 * arguments; the options are in cli->v (read them with the macros
 * below). */
typedef int (*cli_fn)(cli_t *cli, int argc, char **argv);

#define CLI_BOOL(cli, name) rpc_vals_bool(&(cli)->v, name)
#define CLI_INT(cli, name) rpc_vals_int(&(cli)->v, name)
#define CLI_STR(cli, name) rpc_vals_str(&(cli)->v, name)
#define CLI_SET(cli, name) rpc_vals_isset(&(cli)->v, name)

/* help.c: `trove help`, `trove CMD --help`, `trove FAMILY --help` (false
 * when no command starts with the word family). */
void cli_help_all(FILE *f);
void cli_help_cmd(const rpc_cmddef_t *d, FILE *f);
bool cli_help_group(const char *family, FILE *f);

/* Print "trove: what: strerror(err)" and return the exit status 1. */
int cli_fail(const char *what, int err);
/* Print "trove: message" (printf-style) and return 1. */
int cli_failf(const char *fmt, ...) TR_PRINTF(1, 2);

/* Open the repo (once) with bs flags; prints the error itself. */
int cli_env(cli_t *cli, unsigned flags, bs_env_t **env);

/* "CID[/path]" (a leading /ipfs/ or ipfs:// allowed) resolved in txn to
 * the CID at the path.  0, or an error it has reported. */
int cli_resolve_path(bs_txn_t *txn, const char *arg, dag_cid_t *out);

/* Parse a boolean option value as Kubo does ("true"/"false"). */
int cli_bool(const char *opt, const char *val, bool *out);

/* Write all bytes to fd 1; -errno on failure. */
int cli_write_out(const void *p, size_t n);
/* Read all of fd into b, refusing more than max bytes: 0, TR_ETOOBIG,
 * -ENOMEM, -errno. */
int cli_read_all(int fd, tr_bytes_t *b, size_t max);
/* One file a command reads whole: a file argument (Kubo's FileArg, the
 * data of `key sign`, `multibase encode`, `config replace`, `name
 * inspect`) or a file an option names (add's --ignore-rules-path).
 * path NULL reads stdin; so does "-" when arg is set (Kubo's FileArg
 * takes "-" for stdin, os.Open does not).  arg: the argument's name in
 * Kubo's usage ("data", "file", "record"): the path is then checked as
 * Kubo's command line checks a file argument, so that the failures read
 * as Kubo's ("lstat P: no such file or directory", "invalid path 'P',
 * argument 'file' does not support directories"); NULL: as Go's os.Open
 * and a read ("open P: ...", "read P: is a directory").  Reads into b
 * (appended; the caller frees it, after a failure too) and refuses more
 * than max bytes.  Returns 0; TR_ETOOBIG (b then holds more than max
 * bytes, the start of the file: callers that judge the size themselves
 * read max + 1); -ENOMEM; -errno.  err (errlen bytes) says why on every
 * failure, in Kubo's words where it has them, Go's lower-case errno text
 * included. */
int cli_read_file(const char *path, size_t max, const char *arg,
                  tr_bytes_t *b, char *err, size_t errlen) TR_WUR;
/* path made absolute as Go's filepath.Abs makes it, without its Clean
 * (the working directory before a relative path; symlinks left alone):
 * where add --nocopy says a file lies.  Into out[0..cap): 0, TR_ETOOBIG,
 * -errno (the working directory unknown). */
int cli_abs_path(const char *path, char *out, size_t cap) TR_WUR;
/* Kubo's stdin arguments: when stdin is not a terminal, its non-empty
 * lines (a CR before the newline dropped) as a NULL-ended vector after
 * argv0, in one allocation the caller frees; *argc counts argv0 (*argv
 * stays NULL on a terminal).  0, or -EINVAL (a NUL), TR_ETOOBIG (over
 * CLI_STDIN_ARGS_MAX bytes: a file piped to `cat` by mistake is not read
 * into memory whole), -ENOMEM, -errno. */
#define CLI_STDIN_ARGS_MAX (64u << 20)
int cli_stdin_args(const char *argv0, int *argc, char ***argv);
/* go-humanize's Bytes(s), as Kubo prints sizes: base 1000, one decimal
 * under 10 units ("16 B", "1.5 kB", "600 kB"). */
const char *cli_humanize(uint64_t s, char *buf, size_t n);
/* text (lines of cells, each cell but a line's last ended by a tab) to
 * stdout as Go's text/tabwriter aligns it with padchar ' ' and no flags:
 * a column as wide as its widest cell (in runes) plus padding, at least
 * minwidth.  Go aligns blocks of consecutive lines that have the column;
 * this aligns the whole text, which is the same for tables whose lines
 * all have as many cells (what Kubo's encoders write). */
void cli_tabwrite(const char *text, size_t minwidth, size_t padding);

/* Which entries of a directory an add takes (filter.c): hidden ones (a
 * name starting with '.') only with --hidden, and none that Kubo's
 * gitignore-style rules (--ignore, --ignore-rules-path) match, matched
 * against an entry's name alone, as Kubo's filter does.  init: the file's
 * lines (rules_path may be NULL), then rules[0..n); TR_EUSAGE with the
 * reason in err when the file cannot be read, -ENOMEM.  A zeroed filter
 * takes everything but hidden entries. */
typedef struct cli_filter {
  bool hidden;
  struct re_pattern_buffer *re; /* regex_t */
  bool *neg;
  size_t n, cap;
} cli_filter_t;
int cli_filter_init(cli_filter_t *f, bool hidden, const char *rules_path,
                    const char *const *rules, size_t n, char *err,
                    size_t errlen) TR_WUR;
bool cli_filter_skip(const cli_filter_t *f, const char *name);
/* The filter add's options (v: --hidden, --ignore, --ignore-rules-path)
 * ask for; 0, or 1 with the error printed. */
int cli_filter_from(cli_filter_t *f, const rpc_vals_t *v);
void cli_filter_free(cli_filter_t *f);

/* pipe_out.c: stdout for a stream of views of one read transaction
 * (cat): spliced into a pipe without a copy, the views' map pages
 * released as they go (see the file's comment for why the last pipe-size
 * bytes are copied).  cli_out_init() with the transaction the views come
 * from; cli_out_write() is a dag_data_cb (ud: the cli_out_t) and may keep
 * views queued, so cli_out_finish() must run before the transaction ends,
 * after an error too.  Both return 0 or -errno (-EPIPE: the reader left). */
#define CLI_OUT_QUEUE 64         /* views queued at most */
#define CLI_SPLICE_MIN (64u << 10) /* smaller pieces are copied */
typedef struct cli_out_piece {
  const uint8_t *p;
  size_t n;
} cli_out_piece_t;
typedef struct cli_out {
  bs_txn_t *txn;
  bool splice; /* stdout is a blocking pipe */
  size_t cap;  /* its size in bytes */
  cli_out_piece_t q[CLI_OUT_QUEUE];
  size_t head, len, queued; /* ring of views, and their bytes */
} cli_out_t;
void cli_out_init(cli_out_t *o, bs_txn_t *txn);
int cli_out_write(const uint8_t *p, size_t n, void *ud);
int cli_out_finish(cli_out_t *o);

/* The names in directory fd (not closed), sorted by bytes (os.ReadDir's
 * order, in which Kubo adds and prints), "." and ".." left out, and what
 * f skips (NULL: hidden names).  Free with cli_free_names().  0 or
 * -errno/-ENOMEM. */
int cli_list_dir(int fd, const cli_filter_t *f, char ***names, size_t *n);
void cli_free_names(char **names, size_t n);

/* progress.c: Kubo's progress bar on stderr. */
typedef struct cli_progress {
  bool on, drawn;
  uint64_t done, total; /* total 0: unknown (no bar, no time left) */
  uint64_t start_ns, last_ns;
} cli_progress_t;

/* --progress given: its value; else on when stderr is a terminal and the
 * command is not asked to be quiet. */
bool cli_progress_wanted(bool set, bool value, bool quiet);
void cli_progress_start(cli_progress_t *p, bool on, uint64_t total);
void cli_progress_set(cli_progress_t *p, uint64_t done);
void cli_progress_add(cli_progress_t *p, uint64_t n);
/* Erase the bar before writing a line to stdout (it is redrawn next). */
void cli_progress_clear(cli_progress_t *p);
/* Draw the final state and end the line. */
void cli_progress_end(cli_progress_t *p);
/* Bytes of the regular files under paths (stdin's size when n is 0 and
 * it is a file), walked as add walks them; 0 when unknown. */
uint64_t cli_paths_size(char **paths, int n, bool recursive,
                        const cli_filter_t *f);

/* pin ls --type's value as BS_PIN_* bits; -1 (reported) if unknown. */
int cli_pin_type(const char *v);
/* block put's --cid-codec, --mhtype and --format (reported; 1 on error). */
int cli_block_format(cli_t *cli, int *version, uint64_t *codec, uint64_t *mh);

/* Command handlers. */
int cmd_init(cli_t *, int, char **);
/* Make a repo at cli->repo (init, and daemon --init): a new identity,
 * the default config with the comma-separated Kubo profiles applied (NULL:
 * none), the blockstore (left open in cli->env).  0, or 1 after saying
 * why (a repo there already, a bad profile). */
int cli_init_repo(cli_t *cli, const char *profiles);
int cmd_daemon(cli_t *, int, char **);
int cmd_dag_export(cli_t *, int, char **);
int cmd_dag_import(cli_t *, int, char **);
int cmd_dag_get(cli_t *, int, char **); /* cmd_dagcmd.c */
int cmd_dag_put(cli_t *, int, char **);
int cmd_dag_resolve(cli_t *, int, char **);
int cmd_dag_stat(cli_t *, int, char **);
/* cmd_mfs.c: every `files` command but read and write (argv[0] says
 * which), and those two. */
int cmd_files(cli_t *, int, char **);
int cmd_files_read(cli_t *, int, char **);
int cmd_files_write(cli_t *, int, char **);
int cmd_files_chroot(cli_t *, int, char **);
/* Print `dag stat`'s answer (the API's JSON) as Kubo's table. */
struct json_t;
void cli_dag_stat_print(struct json_t *o);
int cmd_shutdown(cli_t *, int, char **);
int cmd_repo_compact(cli_t *, int, char **);
int cmd_config_show(cli_t *, int, char **);
int cmd_config_replace(cli_t *, int, char **);
int cmd_config_edit(cli_t *, int, char **);
int cmd_config_profile_apply(cli_t *, int, char **);
int cmd_bootstrap(cli_t *, int, char **);
/* What only a daemon can do, without one: Kubo's "must be run in
 * online mode" (cmd_swarm.c). */
int cmd_online_only(cli_t *, int, char **);
int cmd_p2p_offline(cli_t *, int, char **); /* cmd_p2p.c */
int cmd_commands(cli_t *, int, char **); /* cmd_repo.c */
int cmd_version(cli_t *, int, char **);
int cmd_cid_format(cli_t *, int, char **);
int cmd_cid_base32(cli_t *, int, char **);
int cmd_cid_inspect(cli_t *, int, char **);
int cmd_cid_bases(cli_t *, int, char **); /* and multibase list */
int cmd_cid_codecs(cli_t *, int, char **);
int cmd_cid_hashes(cli_t *, int, char **);
int cmd_multibase_encode(cli_t *, int, char **); /* cmd_multibase.c */
int cmd_multibase_decode(cli_t *, int, char **);
int cmd_multibase_transcode(cli_t *, int, char **);
int cmd_id(cli_t *, int, char **);
int cmd_config(cli_t *, int, char **);
int cmd_repo_stat(cli_t *, int, char **);
int cmd_repo_gc(cli_t *, int, char **);
int cmd_repo_verify(cli_t *, int, char **);
int cmd_filestore_ls(cli_t *, int, char **); /* cmd_filestore.c */
int cmd_filestore_verify(cli_t *, int, char **);
int cmd_filestore_dups(cli_t *, int, char **);
int cmd_block_put(cli_t *, int, char **);
int cmd_block_get(cli_t *, int, char **);
int cmd_block_stat(cli_t *, int, char **);
int cmd_block_rm(cli_t *, int, char **);
int cmd_pin_add(cli_t *, int, char **);
int cmd_pin_update(cli_t *, int, char **);
int cmd_pin_rm(cli_t *, int, char **);
int cmd_pin_ls(cli_t *, int, char **);
int cmd_pin_verify(cli_t *, int, char **);
int cmd_pin_remote_service_add(cli_t *, int, char **); /* cmd_pin_remote.c */
int cmd_pin_remote_service_ls(cli_t *, int, char **);
int cmd_pin_remote_service_rm(cli_t *, int, char **);
int cmd_pin_remote_add(cli_t *, int, char **);
int cmd_pin_remote_ls(cli_t *, int, char **);
int cmd_pin_remote_rm(cli_t *, int, char **);
int cmd_mirror_token_add(cli_t *, int, char **); /* cmd_mirror.c */
int cmd_mirror_token_rm(cli_t *, int, char **);
int cmd_mirror_token_ls(cli_t *, int, char **);
int cmd_add(cli_t *, int, char **);
int cmd_cat(cli_t *, int, char **);
int cmd_get(cli_t *, int, char **);
int cmd_ls(cli_t *, int, char **);
int cmd_refs(cli_t *, int, char **);
int cmd_refs_local(cli_t *, int, char **);
int cmd_routing_offline(cli_t *, int, char **); /* cmd_routing.c */
int cmd_key_gen(cli_t *, int, char **); /* cmd_key.c */
int cmd_key_ls(cli_t *, int, char **);
int cmd_key_rm(cli_t *, int, char **);
int cmd_key_rename(cli_t *, int, char **);
int cmd_key_export(cli_t *, int, char **);
int cmd_key_import(cli_t *, int, char **);
int cmd_key_sign(cli_t *, int, char **);
int cmd_key_verify(cli_t *, int, char **);
int cmd_key_rotate(cli_t *, int, char **);
int cmd_name_inspect(cli_t *, int, char **); /* cmd_name.c */
int cmd_bitswap_offline(cli_t *, int, char **); /* cmd_bitswap.c */

/* cmd_remote.c: run the command through the RPC API of a daemon that
 * holds the repo (found through <repo>/api).  Returns true when it did -
 * *status is then the exit status - and false when the command has no
 * remote form, asks for nothing to be written (add -n), TROVE_OFFLINE is
 * set, or no daemon answers: the caller then runs it locally. */
bool cli_remote(cli_t *cli, const char *name, int argc, char **argv,
                int *status);

#define TROVE_VERSION "0.1.0"

#endif /* CLI_H */
