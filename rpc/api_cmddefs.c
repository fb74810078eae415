/*
 * api_cmddefs.c — the table of every `trove` command and its options (see
 * api_opts.h), with Kubo's option names, short flags, defaults and API
 * argument names, and add's option resolution shared by the CLI and
 * /api/v0/add.
 *
 * To add an option: add its row here; the CLI parser, `--help`, the query
 * the CLI sends to a daemon and the handler's query parser all follow.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../blockstore/bs.h"
#include "../dag/chunker.h"
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

static const rpc_optdef_t none[] = {END};

static const rpc_optdef_t swarm_peers_opts[] = {
    OB("verbose", 'v', "false", "Display all extra information."),
    OB("streams", 0, "false", "Also list information about open streams "
       "for each peer."),
    OB("latency", 0, "false", "Also list information about latency to each "
       "peer (from pings: n/a before one)."),
    OB("direction", 0, "false", "Also list information about the direction "
       "of connection."),
    OB("identify", 0, "false", "Also list information about peers "
       "identify."),
    END};

static const rpc_optdef_t id_opts[] = {
    OS("format", 'f', NULL, "Optional output format: <id> <aver> <pubkey> "
       "<addrs> <protocols>, \\n and \\t (<pver> stays, as Kubo's)."),
    OS("peerid-base", 0, "b58mh", "Encoding used for peer IDs: b58mh, or a "
       "multibase name or prefix (base36, k, base32, b...)."),
    END};

static const rpc_optdef_t ping_opts[] = {
    {"count", 'n', I, "10", "Number of ping messages to send.", "count", 1,
     1000},
    END};

static const rpc_optdef_t findprovs_opts[] = {
    {"num-providers", 'n', I, "20", "The number of providers to find.",
     "num-providers", 1, 100000},
    END};

/* routing provide and provide once. */
static const rpc_optdef_t provide_opts[] = {
    OB("recursive", 'r', "false", "Announce every block of each CID's DAG "
       "(all of it in the repo)."),
    END};

static const rpc_optdef_t provide_clear_opts[] = {
    OB("quiet", 'q', "false", "Do not write output."),
    END};

static const rpc_optdef_t publish_opts[] = {
    OS("key", 'k', "self", "The key to sign with: \"self\" (the node's "
       "own), a name of 'trove key ls' or a key's PeerID."),
    OS("lifetime", 't', "48h", "How long the record is valid (a Go "
       "duration)."),
    OS("ttl", 0, "5m", "How long resolvers may cache it (capped to "
       "--lifetime)."),
    {"sequence", 0, I, "0", "The sequence number (at least the last one "
     "plus one).", "sequence", 0, INT64_MAX},
    CB("quieter", 'Q', "false", "Write only the name."),
    OB("allow-offline", 0, "false", "Publish although no DHT peer is known "
       "(the record is kept locally)."),
    END};

static const rpc_optdef_t routing_put_opts[] = {
    OB("allow-offline", 0, "false", "Succeed although no DHT peer took the "
       "record (it is kept locally)."),
    END};

static const rpc_optdef_t bitswap_stat_opts[] = {
    OB("verbose", 'v', "false", "Print extra information (the partners)."),
    OB("human", 0, "false", "Print sizes in human readable format (e.g., "
       "1K 234M 2G)."),
    END};

static const rpc_optdef_t chroot_opts[] = {
    OB("confirm", 0, "false", "Confirm this potentially destructive "
       "operation."),
    END};

static const rpc_optdef_t commands_opts[] = {
    OB("flags", 'f', "false", "Show command flags."),
    END};

static const rpc_optdef_t version_opts[] = {
    OB("number", 'n', "false", "Only show the version number."),
    OB("commit", 0, "false", "Show the commit hash."),
    OB("repo", 0, "false", "Show repo version."),
    OB("all", 0, "false", "Show all version information."),
    END};

static const rpc_optdef_t repo_version_opts[] = {
    OB("quiet", 'q', "false", "Write minimal output."),
    END};

static const rpc_optdef_t diag_cmds_opts[] = {
    OB("verbose", 'v', "false", "Print extra information."),
    END};

static const rpc_optdef_t wantlist_opts[] = {
    OS("peer", 'p', NULL, "Specify which peer to show wantlist for. "
       "Default: self."),
    END};

static const rpc_optdef_t stats_bw_opts[] = {
    OS("peer", 'p', NULL, "Specify a peer to print bandwidth for."),
    OS("proto", 't', NULL, "Specify a protocol to print bandwidth for."),
    OB("poll", 0, "false", "Print bandwidth at an interval."),
    OS("interval", 'i', "1s", "Time interval to wait between updating "
       "output, if 'poll' is true (a Go duration)."),
    END};

#define IPNS_BASE OS("ipns-base", 0, "base36", "Encoding of key IDs: " \
                          "b58mh, base36, base32, base58btc, base16.")
static const rpc_optdef_t key_gen_opts[] = {
    OS("type", 't', "ed25519", "Type of the key to create (trove: ed25519 "
       "only)."),
    IPNS_BASE,
    END};

static const rpc_optdef_t key_ls_opts[] = {
    CB("l", 'l', "false", "Show extra information about keys (their IDs)."),
    IPNS_BASE,
    END};

static const rpc_optdef_t key_rename_opts[] = {
    OB("force", 'f', "false", "Allow to overwrite an existing key."),
    IPNS_BASE,
    END};

static const rpc_optdef_t key_export_opts[] = {
    CS("output", 'o', NULL, "The path where the output should be stored "
       "(default ./NAME.key)."),
    CS("format", 'f', "libp2p-protobuf-cleartext", "The format of the "
       "exported private key (trove: libp2p-protobuf-cleartext only)."),
    END};

static const rpc_optdef_t key_import_opts[] = {
    IPNS_BASE,
    OS("format", 'f', "libp2p-protobuf-cleartext", "The format of the "
       "private key to import (trove: libp2p-protobuf-cleartext only)."),
    END};

static const rpc_optdef_t key_sign_opts[] = {
    OS("key", 'k', "self", "The name of the key to use for signing."),
    IPNS_BASE,
    END};

static const rpc_optdef_t key_verify_opts[] = {
    OS("key", 'k', "self", "The name of the key to use for verifying (or "
       "an IPNS name or PeerID that inlines its key)."),
    OS("signature", 's', NULL, "Multibase-encoded signature to verify."),
    IPNS_BASE,
    END};

static const rpc_optdef_t key_rotate_opts[] = {
    CS("oldkey", 'o', NULL, "Keystore name to use for backing up your "
       "existing identity."),
    CS("type", 't', "ed25519", "Type of the key to create (trove: ed25519 "
       "only)."),
    {"size", 's', I, NULL, "Size of the key to generate (not for "
     "ed25519).", NULL, 0, INT32_MAX},
    END};

static const rpc_optdef_t name_put_opts[] = {
    OB("force", 'f', "false", "Skip validation (signature, sequence, "
       "size)."),
    OB("allow-offline", 0, "false", "Store locally without broadcasting to "
       "the network."),
    OB("allow-delegated", 0, "false", "Publish via HTTP delegated "
       "publishers only (trove: needs Ipns.DelegatedPublishers set, then "
       "acts as --allow-offline)."),
    CB("quiet", 'q', "false", "Write no output."),
    END};

static const rpc_optdef_t name_inspect_opts[] = {
    OS("verify", 0, NULL, "CID of the public IPNS key to validate "
       "against."),
    OB("dump", 0, "true", "Include a full hex dump of the raw Protobuf "
       "record."),
    END};

static const rpc_optdef_t cid_format_opts[] = {
    OS("f", 'f', "%s", "Printf style format string."),
    OS("v", 'v', NULL, "CID version to convert to."),
    OS("mc", 0, NULL, "CID multicodec to convert to."),
    OS("b", 'b', NULL, "Multibase to display CID in."),
    END,
};

/* cid bases and multibase list. */
static const rpc_optdef_t bases_opts[] = {
    OB("prefix", 0, "false", "Also write each base's prefix."),
    OB("numeric", 0, "false", "Also write each base's numeric code."),
    END,
};

/* cid codecs and cid hashes. */
static const rpc_optdef_t codes_opts[] = {
    OB("numeric", 'n', "false", "Also write the numeric codes."),
    OB("supported", 's', "false", "Only those trove handles (codecs it "
       "reads and writes, hash functions it computes)."),
    END,
};

/* multibase encode and transcode. */
static const rpc_optdef_t mb_opts[] = {
    OS("b", 'b', "base64url", "Multibase to encode in (a name of "
       "'trove multibase list', or a prefix)."),
    END,
};

static const rpc_optdef_t resolve_opts[] = {
    OB("recursive", 'r', "true", "Follow names that point at names."),
    END};

static const rpc_optdef_t add_opts[] = {
    CB("recursive", 'r', "false", "Add directories recursively."),
    CB("hidden", 'H', "false", "Include files whose names start with a dot."),
    {"ignore", 0, RPC_OPT_STRINGS, NULL, "A .gitignore-style rule for the "
     "names to leave out (given any number of times).", NULL, 0, 0},
    CS("ignore-rules-path", 0, NULL, "A file of .gitignore-style rules for "
       "the names to leave out."),
    OB("empty-dirs", 'E', "true", "Include empty directories."),
    CB("quiet", 'q', "false", "Write minimal output: the CIDs alone."),
    CB("quieter", 'Q', "false", "Write only the final CID."),
    OB("silent", 0, "false", "Write no output."),
    OB("progress", 'p', NULL, "Show a progress bar on stderr. Defaults to "
       "true when stderr is a terminal and neither -q nor -Q is given."),
    OB("only-hash", 'n', "false", "Only chunk and hash; write nothing to "
       "the repo."),
    OB("wrap-with-directory", 'w', "false", "Wrap the files in a directory."),
    OB("pin", 0, "true", "Pin the added roots."),
    OS("pin-name", 0, NULL, "Name for the pin (needs --pin)."),
    OS("stdin-name", 0, NULL, "Assign a name if the file source is stdin."),
    OS("profile", 0, "unixfs-v1-2025", "Import profile: unixfs-v1-2025 or "
       "unixfs-v0-2015 (alias legacy-cid-v0)."),
    OS("chunker", 's', NULL, "Chunking: size-N, rabin[-min-avg-max] or "
       "buzhash. Default: the profile's."),
    {"cid-version", 0, I, NULL, "CID version, 0 or 1. Default: the "
     "profile's.", "cid-version", 0, 1},
    OB("raw-leaves", 0, NULL, "Store leaves as raw blocks. Default: the "
       "profile's."),
    OS("hash", 0, "sha2-256", "Hash function: any Kubo takes (sha2-256, "
       "sha2-512, sha3-256, blake2b-256, blake3, ...; go-multihash's names); "
       "other than sha2-256 implies CIDv1."),
    {"max-file-links", 0, I, NULL, "Most links per file node. Default: the "
     "profile's.", "max-file-links", 2, DAG_IMPORT_MAX_LINKS},
    OB("trickle", 't', "false", "Use trickle-dag format for dag generation."),
    OB("inline", 0, "false", "Inline small blocks into CIDs (not "
       "supported)."),
    OB("nocopy", 0, "false", "Add the file using filestore: reference its "
       "bytes where they lie instead of copying them (needs "
       "Experimental.FilestoreEnabled)."),
    OB("fscache", 0, "false", "Check the filestore for pre-existing blocks: "
       "those it references are not stored again."),
    OB("preserve-mode", 0, "false", "Store each entry's POSIX permissions "
       "(UnixFS 1.5; turns raw leaves off)."),
    OB("preserve-mtime", 0, "false", "Store each entry's modification time "
       "(UnixFS 1.5; turns raw leaves off)."),
    OS("mode", 0, NULL, "POSIX permissions to store for every entry, e.g. "
       "0644 (turns raw leaves off)."),
    OS("mtime", 0, NULL, "Modification time to store for every entry, in "
       "seconds since the Unix epoch (turns raw leaves off)."),
    OS("mtime-nsecs", 0, NULL, "Nanoseconds of --mtime."),
    OS("to-files", 0, NULL, "Add reference to Files API (MFS) at the "
       "provided path."),
    END};

static const rpc_optdef_t cat_opts[] = {
    {"offset", 'o', I, "0", "Byte offset to begin reading from.", "offset",
     0, INT64_MAX},
    {"length", 'l', I, NULL, "Most bytes to read.", "length", 0, INT64_MAX},
    END};

static const rpc_optdef_t get_opts[] = {
    OS("output", 'o', NULL, "The path where the output is written. Default: "
       "the last path element, or the CID."),
    CB("progress", 'p', NULL, "Show a progress bar on stderr. Defaults to "
       "true when stderr is a terminal."),
    OB("archive", 'a', "false", "Output a TAR archive."),
    OB("compress", 'C', "false", "Compress the output with GZIP "
       "compression."),
    {"compression-level", 'l', I, NULL, "The level of compression (1-9).",
     "compression-level", -1, 9},
    END};

static const rpc_optdef_t ls_opts[] = {
    CB("headers", 'v', "false", "Print a header line."),
    OB("size", 0, "true", "Print the size of each entry."),
    OB("resolve-type", 0, "true", "Resolve the type of each entry."),
    OB("long", 'l', "false", "Long listing: the mode and modification time "
       "each entry stores (UnixFS 1.5), '-' where none."),
    END};

static const rpc_optdef_t refs_opts[] = {
    OB("recursive", 'r', "false", "Recursively list links of child nodes."),
    OB("unique", 'u', "false", "Omit duplicate refs from the output."),
    OS("format", 0, NULL, "A line per link: <src>, <dst> and <linkname> "
       "replaced (default \"<dst>\")."),
    OB("edges", 'e', "false", "Write edges: \"<src> -> <dst>\"."),
    {"max-depth", 0, I, "-1", "Only for recursive refs: list down to this "
     "depth (-1: no limit).", "max-depth", -1, INT32_MAX},
    END};

static const rpc_optdef_t block_put_opts[] = {
    OS("cid-codec", 0, "raw", "Multicodec of the CID: raw, dag-pb, "
       "dag-cbor, dag-json..."),
    OS("mhtype", 0, "sha2-256", "Multihash function."),
    OS("format", 'f', NULL, "Legacy: v0 (CIDv0 dag-pb), protobuf, cbor, raw."),
    OB("pin", 0, "false", "Pin the block recursively."),
    OB("allow-big-block", 0, "false", "Accept a block over 1 MiB."),
    END};

static const rpc_optdef_t block_rm_opts[] = {
    OB("force", 'f', "false", "Ignore blocks that do not exist."),
    OB("quiet", 'q', "false", "Write minimal output."),
    END};

static const rpc_optdef_t pin_add_opts[] = {
    OB("recursive", 'r', "true", "Pin the whole DAG, not the block alone."),
    OS("name", 0, NULL, "A name for the pin."),
    OB("progress", 0, "false", "Show how many blocks have been fetched "
       "(through a daemon)."),
    END};

static const rpc_optdef_t pin_update_opts[] = {
    OB("unpin", 0, "true", "Remove the old pin."),
    END};

static const rpc_optdef_t pin_rm_opts[] = {
    OB("recursive", 'r', "true", "Remove a recursive pin (false: a direct "
       "one)."),
    END};

static const rpc_optdef_t pin_ls_opts[] = {
    OS("type", 't', "all", "Pins to list: direct, indirect, recursive or "
       "all."),
    OB("quiet", 'q', "false", "Write just the CIDs."),
    OB("names", 'n', "false", "Print pin names beside the CIDs."),
    OS("name", 0, NULL, "Only pins whose name contains this (case-sensitive); "
       "implies --names."),
    OB("stream", 's', "false", "Stream the answer (the CLI always does)."),
    END};

static const rpc_optdef_t pin_verify_opts[] = {
    OB("verbose", 0, "false", "Also list pins that are intact."),
    OB("quiet", 'q', "false", "Write just the CIDs of broken pins."),
    END};

static const rpc_optdef_t pin_remote_svc_ls_opts[] = {
    OB("stat", 0, "false", "Try to fetch and display current pin count on "
       "remote service (queued/pinning/pinned/failed)."),
    END};

static const rpc_optdef_t follow_opts[] = {
    OS("token", 0, NULL, "The Pinning Service API's access token."),
    {"keep", 0, I, NULL, "IPNS versions to keep (default 1, at most 64).",
     "keep", 1, 64},
    OB("list", 0, "false", "SOURCE is a file of CIDs, one a line."),
    END};

static const rpc_optdef_t pin_remote_add_opts[] = {
    OS("service", 0, NULL, "Name of the remote pinning service to use "
       "(mandatory)."),
    OS("name", 0, NULL, "An optional name for the pin."),
    OB("background", 0, "false", "Add to the queue on the remote service and "
       "return immediately (does not wait for pinned status)."),
    END};

static const rpc_optdef_t pin_remote_ls_opts[] = {
    OS("service", 0, NULL, "Name of the remote pinning service to use "
       "(mandatory)."),
    OS("name", 0, NULL, "Return pins with names that contain the value "
       "provided (case-sensitive, exact match)."),
    OS("cid", 0, NULL, "Return pins for the specified CIDs "
       "(comma-separated)."),
    OS("status", 0, "pinned", "Return pins with the specified statuses "
       "(queued,pinning,pinned,failed)."),
    END};

static const rpc_optdef_t pin_remote_rm_opts[] = {
    OS("service", 0, NULL, "Name of the remote pinning service to use "
       "(mandatory)."),
    OS("name", 0, NULL, "Remove pins with names that contain provided value "
       "(case-sensitive, exact match)."),
    OS("cid", 0, NULL, "Remove pins for the specified CIDs."),
    OS("status", 0, "pinned", "Remove pins with the specified statuses "
       "(queued,pinning,pinned,failed)."),
    OB("force", 0, "false", "Allow removal of multiple pins matching the "
       "query without additional confirmation."),
    END};

static const rpc_optdef_t dag_export_opts[] = {
    CB("progress", 'p', NULL, "Show a progress bar on stderr. Defaults to "
       "true when stderr is a terminal."),
    END};

static const rpc_optdef_t dag_import_opts[] = {
    OB("pin-roots", 0, "true", "Pin the roots the CARs name."),
    OB("stats", 0, "false", "Print the number of blocks imported."),
    OB("allow-big-block", 0, "false", "Accept blocks over 1 MiB."),
    CB("progress", 'p', NULL, "Show a progress bar on stderr. Defaults to "
       "true when stderr is a terminal."),
    END};

static const rpc_optdef_t dag_get_opts[] = {
    OS("output-codec", 0, "dag-json", "Format that the object will be "
       "encoded as: dag-json, dag-cbor, json, cbor, dag-pb, raw."),
    END};

static const rpc_optdef_t dag_put_opts[] = {
    OS("store-codec", 0, "dag-cbor", "Codec that the stored object will be "
       "encoded with."),
    OS("input-codec", 0, "dag-json", "Codec that the input object is "
       "encoded in."),
    OB("pin", 0, "false", "Pin this object when adding."),
    OS("hash", 0, "sha2-256", "Hash function to use."),
    OB("allow-big-block", 0, "false", "Accept a block over 2 MiB."),
    END};

static const rpc_optdef_t dag_stat_opts[] = {
    OB("progress", 'p', "true", "Return progress data."),
    END};

/* Kubo's files commands: --flush (-f) is every one's (accepted; trove
 * stores each change whole: rpc/mfs.h). */
#define FLUSH OB("flush", 'f', "true", "Flush target and ancestors after " \
                 "write (always done).")
#define PREFIX                                                            \
  {"cid-version", 0, I, NULL, "Cid version to use.", "cid-version", 0, 1}, \
      OS("hash", 0, NULL, "Hash function to use. Will set Cid version to " \
         "1 if used.")

static const rpc_optdef_t files_ls_opts[] = {
    OB("long", 'l', "false", "Use long listing format."),
    CB("U", 0, "false", "Do not sort; list entries in directory order."),
    FLUSH, END};

static const rpc_optdef_t files_stat_opts[] = {
    CS("format", 0, NULL, "Print statistics in given format. Allowed "
       "tokens: <hash> <size> <cumulsize> <type> <childs> <mode> "
       "<mode-octal> <mtime> <mtime-secs> <mtime-nsecs>."),
    CB("hash", 0, "false", "Print only hash. Implies '--format=<hash>'."),
    CB("size", 0, "false", "Print only size. Implies '--format=<cumulsize>'."),
    OB("with-local", 0, "false", "Compute the amount of the dag that is "
       "local, and if possible the total size."),
    FLUSH, END};

static const rpc_optdef_t files_read_opts[] = {
    {"offset", 'o', I, "0", "Byte offset to begin reading from.", "offset",
     INT64_MIN, INT64_MAX},
    {"count", 'n', I, NULL, "Maximum number of bytes to read.", "count",
     INT64_MIN, INT64_MAX},
    FLUSH, END};

static const rpc_optdef_t files_write_opts[] = {
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

static const rpc_optdef_t files_mkdir_opts[] = {
    OB("parents", 'p', "false", "No error if existing, make parent "
       "directories as needed."),
    PREFIX, FLUSH, END};

static const rpc_optdef_t files_cp_opts[] = {
    OB("force", 0, "false", "Force overwrite of existing files."),
    OB("parents", 'p', "false", "Make parent directories as needed."),
    FLUSH, END};

static const rpc_optdef_t files_rm_opts[] = {
    OB("recursive", 'r', "false", "Recursively remove directories."),
    OB("force", 0, "false", "Forcibly remove target at path; implies -r "
       "for directories."),
    FLUSH, END};

static const rpc_optdef_t files_chcid_opts[] = {PREFIX, FLUSH, END};

static const rpc_optdef_t files_flush_opts[] = {FLUSH, END};

static const rpc_optdef_t files_touch_opts[] = {
    {"mtime", 0, I, NULL, "Modification time in seconds before or since "
     "the Unix Epoch.", "mtime", INT64_MIN, INT64_MAX},
    {"mtime-nsecs", 0, I, NULL, "Modification time fraction in "
     "nanoseconds.", "mtime-nsecs", 0, UINT32_MAX},
    FLUSH, END};

static const rpc_optdef_t config_opts[] = {
    OB("json", 0, "false", "Parse VALUE as JSON."),
    OB("bool", 0, "false", "Set VALUE as a boolean."),
    END};

static const rpc_optdef_t init_opts[] = {
    CS("profile", 'p', NULL, "Apply profile settings to config. Multiple "
       "profiles can be separated by ',' (see 'trove config profile "
       "apply --help')."),
    END};

static const rpc_optdef_t profile_apply_opts[] = {
    OB("dry-run", 0, "false", "Print the difference between the current "
       "config and the one the profile makes, and change nothing."),
    END};

static const rpc_optdef_t bootstrap_list_opts[] = {
    OB("expand-auto", 0, "false", "Expand 'auto' placeholders (AutoConf's "
       "fallback peers: trove fetches no autoconf file)."),
    END};

static const rpc_optdef_t bootstrap_rm_opts[] = {
    OB("all", 0, "false", "Remove all bootstrap peers (as 'bootstrap rm "
       "all')."),
    END};

static const rpc_optdef_t repo_stat_opts[] = {
    OB("size-only", 's', "false", "Only report RepoSize and StorageMax."),
    OB("human", 'H', "false", "Print sizes in KiB, MiB, GiB."),
    END};

static const rpc_optdef_t repo_gc_opts[] = {
    OB("quiet", 'q', "false", "Write minimal output."),
    END};

static const rpc_optdef_t repo_verify_opts[] = {
    OB("drop", 0, "false", "Remove the corrupt blocks found."),
    OB("heal", 0, "false", "Remove corrupt blocks and fetch them again "
       "from the network (through the daemon; implies --drop)."),
    OS("heal-timeout", 0, "30s", "The longest wait for each block healed "
       "(0: no limit)."),
    END};

static const rpc_optdef_t daemon_opts[] = {
    CS("api", 0, NULL, "Multiaddr of the RPC API (default: Addresses.API)."),
    CS("gateway", 0, NULL, "Multiaddr of the gateway (default: "
       "Addresses.Gateway)."),
    CB("init", 0, "false", "Initialize the repo first when there is none "
       "(as 'trove init')."),
    CS("init-profile", 0, NULL, "Profiles for --init, separated by ',' "
       "(as 'trove init --profile')."),
    CB("enable-gc", 0, "false", "Run a GC every Datastore.GCPeriod (1h) "
       "while the blocks take more than Datastore.StorageGCWatermark (90) "
       "percent of Datastore.StorageMax (10GB)."),
    END};

const rpc_cmddef_t rpc_cmddefs[] = {
    {"init", NULL, "", "Create a repo and the node's identity.", init_opts},
    {"daemon", NULL, "",
     "Run the node: gateway, RPC API and libp2p swarm (a private one with "
     "<repo>/swarm.key).", daemon_opts},
    {"shutdown", "shutdown", "", "Stop the running daemon.", none},
    {"add", "add", "[PATH...]", "Import files and trees as UnixFS (stdin "
     "when no PATH).", add_opts},
    {"cat", "cat", "CID[/path]...", "Write a file's bytes to stdout.",
     cat_opts},
    {"get", "get", "CID[/path]", "Write a file, directory or symlink to "
     "disk.", get_opts},
    {"ls", "ls", "CID[/path]...", "List a directory: <cid> <size> <name>.",
     ls_opts},
    {"refs", "refs", "CID...", "List the CIDs a DAG links to.", refs_opts},
    {"refs local", "refs/local", "", "List every stored block.", none},
    {"pin add", "pin/add", "CID...", "Pin a DAG (or one block).",
     pin_add_opts},
    {"pin rm", "pin/rm", "CID...", "Remove pins.", pin_rm_opts},
    {"pin update", "pin/update", "FROM TO", "Pin TO recursively in place of "
     "FROM, with its name (fetching what TO has that FROM lacks).",
     pin_update_opts},
    {"pin ls", "pin/ls", "[CID...]", "List pins.", pin_ls_opts},
    {"pin verify", "pin/verify", "", "Check that pinned DAGs are complete "
     "and intact.", pin_verify_opts},
    {"pin remote service add", "pin/remote/service/add", "NAME ENDPOINT KEY", "Add remote "
     "pinning service credentials to Pinning.RemoteServices.", none},
    {"pin remote service ls", "pin/remote/service/ls", "", "List remote pinning services.",
     pin_remote_svc_ls_opts},
    {"pin remote service rm", "pin/remote/service/rm", "NAME", "Remove remote pinning service.",
     none},
    {"pin remote add", "pin/remote/add", "CID", "Pin object to remote pinning service.",
     pin_remote_add_opts},
    {"pin remote ls", "pin/remote/ls", "", "List objects pinned to remote pinning "
     "service.", pin_remote_ls_opts},
    {"pin remote rm", "pin/remote/rm", "", "Remove pins from remote pinning service.",
     pin_remote_rm_opts},
    {"mirror token add", NULL, "[NAME]", "Make a Pinning Service API "
     "bearer token (printed once, stored hashed).", none},
    {"mirror token rm", NULL, "NAME", "Revoke a Pinning Service API token.",
     none},
    {"mirror token ls", NULL, "", "List the Pinning Service API's tokens.",
     none},
    {"block put", "block/put", "[FILE...]", "Store blocks (stdin when no "
     "FILE).", block_put_opts},
    {"block get", "block/get", "CID", "Write a block to stdout.", none},
    {"block stat", "block/stat", "CID", "Print a block's size.", none},
    {"block rm", "block/rm", "CID...", "Remove unpinned blocks.",
     block_rm_opts},
    {"dag export", "dag/export", "CID", "Write a DAG as a CARv1 to stdout.",
     dag_export_opts},
    {"dag import", "dag/import", "[FILE...]", "Import CAR files (stdin when "
     "no FILE), each all or nothing.", dag_import_opts},
    {"dag get", "dag/get", "REF", "Write the IPLD node REF (CID[/path]) "
     "names, encoded with --output-codec.", dag_get_opts},
    {"dag put", "dag/put", "[FILE...]", "Store IPLD nodes read with "
     "--input-codec as blocks of --store-codec (stdin when no FILE); print "
     "their CIDs.", dag_put_opts},
    {"dag resolve", "dag/resolve", "REF", "Print the block a path ends in "
     "and what of the path is left inside it.", none},
    {"dag stat", "dag/stat", "ROOT...", "Print the blocks and bytes of "
     "DAGs.", dag_stat_opts},
    {"files ls", "files/ls", "[PATH]", "List an MFS directory.",
     files_ls_opts},
    {"files stat", "files/stat", "PATH", "Print an MFS (or /ipfs/) node's "
     "CID, sizes and type.", files_stat_opts},
    {"files read", "files/read", "PATH", "Write an MFS file's bytes.",
     files_read_opts},
    {"files write", "files/write", "PATH [FILE]", "Write to an MFS file "
     "(stdin when no FILE).", files_write_opts},
    {"files mkdir", "files/mkdir", "PATH", "Make an MFS directory.",
     files_mkdir_opts},
    {"files cp", "files/cp", "SOURCE DEST", "Link an /ipfs/ path or an MFS "
     "path into MFS.", files_cp_opts},
    {"files mv", "files/mv", "SOURCE DEST", "Move an MFS file or "
     "directory.", files_flush_opts},
    {"files rm", "files/rm", "PATH...", "Remove MFS files or directories.",
     files_rm_opts},
    {"files flush", "files/flush", "[PATH]", "Print an MFS path's CID "
     "(every change is already stored).", files_flush_opts},
    {"files chcid", "files/chcid", "PATH", "Change an MFS directory's CID "
     "version or hash function.", files_chcid_opts},
    {"files chmod", "files/chmod", "MODE PATH", "Set the UnixFS mode of an "
     "MFS node (octal).", files_flush_opts},
    {"files chroot", NULL, "[CID]", "Set the MFS root to CID (a directory "
     "in the repo) or the empty directory; the daemon must be stopped.",
     chroot_opts},
    {"files touch", "files/touch", "PATH", "Set the UnixFS mtime of an MFS "
     "node (now by default).", files_touch_opts},
    {"repo stat", "repo/stat", "", "Print repo statistics.", repo_stat_opts},
    {"stats repo", "stats/repo", "", "Print repo statistics (repo stat).",
     repo_stat_opts},
    {"repo gc", "repo/gc", "", "Delete the blocks no pin reaches.",
     repo_gc_opts},
    {"repo verify", "repo/verify", "", "Rehash every block; report corrupt "
     "ones.", repo_verify_opts},
    {"repo compact", NULL, "", "Shrink data.mdb to the data it holds (the "
     "daemon must be stopped).", none},
    {"filestore ls", "filestore/ls", "[CID...]", "List the filestore's "
     "references (add --nocopy).", rpc__filestore_ls_opts},
    {"filestore verify", "filestore/verify", "[CID...]", "Check the "
     "filestore's references against their files.",
     rpc__filestore_verify_opts},
    {"filestore dups", "filestore/dups", "", "List the blocks both "
     "referenced and stored.", rpc__filestore_dups_opts},
    {"config", "config", "KEY [VALUE]", "Read or set a config value "
     "(typed as Kubo's config).", config_opts},
    {"config show", "config/show", "", "Print the config (without the "
     "private key).", none},
    {"config replace", "config/replace", "FILE", "Replace the config with "
     "FILE (Identity and remote services' API kept).", none},
    {"config edit", NULL, "", "Open the config file in $EDITOR.", none},
    {"config profile apply", "config/profile/apply", "PROFILE", "Apply a "
     "profile of Kubo's to the config: announce-off, announce-on, "
     "autoconf-off, autoconf-on, default-networking, legacy-cid-v0, "
     "local-discovery, lowpower, randomports, server, test, "
     "unixfs-v0-2015, unixfs-v1-2025 (not the datastore ones).",
     profile_apply_opts},
    {"log level", "log/level", "[SUBSYSTEM [LEVEL]]", "Show or change the "
     "running daemon's log level: trove has one log, \"trove\" (or all); "
     "debug, info, warn, error or default.", none},
    {"log ls", "log/ls", "", "List the logging subsystems (trove has one: "
     "\"trove\").", none},
    {"log tail", "log/tail", "", "Write the running daemon's log lines as "
     "they come, as JSON (go-log's keys), until interrupted.", none},
    {"bootstrap", "bootstrap", "", "Show the list of bootstrap peers "
     "(bootstrap list).", bootstrap_list_opts},
    {"bootstrap list", "bootstrap/list", "", "Show the peers in the "
     "bootstrap list, as '<multiaddr>/p2p/<peerID>'.", bootstrap_list_opts},
    {"bootstrap add", "bootstrap/add", "PEER...", "Add peers to the "
     "bootstrap list ('default' or 'auto': the default peers).", none},
    {"bootstrap add default", "bootstrap/add/default", "", "Add the "
     "default peers ('auto') to the bootstrap list.", none},
    {"bootstrap rm", "bootstrap/rm", "PEER...", "Remove peers (an address, "
     "or /p2p/ID for all of a peer's) from the bootstrap list.",
     bootstrap_rm_opts},
    {"bootstrap rm all", "bootstrap/rm/all", "", "Remove all peers from "
     "the bootstrap list.", none},
    {"id", "id", "[PEER]", "Print the node's identity (or a peer's) as "
     "JSON, or as -f's format.", id_opts},
    {"version", "version", "", "Print trove's version.", version_opts},
    {"commands", "commands", "", "List every command (and with -f their "
     "flags).", commands_opts},
    {"version deps", "version/deps", "", "Print the libraries trove runs "
     "with and their versions.", none},
    {"repo version", "repo/version", "", "Print the repo's schema "
     "version.", repo_version_opts},
    {"repo ls", "repo/ls", "", "List every stored block (refs local).",
     none},
    {"diag cmds", "diag/cmds", "", "List the API commands the daemon runs "
     "and ran lately.", diag_cmds_opts},
    {"diag cmds clear", "diag/cmds/clear", "", "Clear the ended commands "
     "from the list.", none},
    {"diag cmds set-time", "diag/cmds/set-time", "TIME", "Keep ended "
     "commands in the list this long (a Go duration).", none},
    {"diag sys", "diag/sys", "", "Print the system's and the daemon's "
     "diagnostic information.", none},
    {"diag healthy", "diag/healthy", "", "Exit 0 when the daemon runs and "
     "reads its store (for container health checks).", none},
    {"cid format", "cid/format", "CID...", "Format and convert CIDs (-f: "
     "%s %S the CID, %b %B its base, %v %V version, %c %C codec, %h %H "
     "hash, %L digest length, %m %M multihash, %d %D digest, %P prefix).",
     cid_format_opts},
    {"cid base32", "cid/base32", "CID...", "Convert CIDs to base32 CIDv1.",
     none},
    {"cid inspect", "cid/inspect", "CID", "Show a CID's parts: version, "
     "multibase, codec, multihash, and its CIDv0 and CIDv1.", none},
    {"cid bases", "cid/bases", "", "List the multibase encodings.",
     bases_opts},
    {"cid codecs", "cid/codecs", "", "List the CID codecs.", codes_opts},
    {"cid hashes", "cid/hashes", "", "List the multihash functions.",
     codes_opts},
    {"multibase encode", "multibase/encode", "[FILE]", "Encode a file (stdin "
     "without FILE) as a multibase string.", mb_opts},
    {"multibase decode", "multibase/decode", "[FILE]", "Decode the multibase "
     "string a file (stdin without FILE) holds.", none},
    {"multibase transcode", "multibase/transcode", "[FILE]", "Write the "
     "multibase string a file (stdin without FILE) holds in another base.",
     mb_opts},
    {"multibase list", "multibase/list", "", "List the multibase "
     "encodings.", bases_opts},
    {"swarm peers", "swarm/peers", "", "List the peers connected to.",
     swarm_peers_opts},
    {"swarm connect", "swarm/connect", "MADDR", "Connect to a peer "
     "(/ip4/A/tcp/P/p2p/ID).", none},
    {"swarm disconnect", "swarm/disconnect", "MADDR", "Close the "
     "connections to a peer (.../p2p/ID).", none},
    {"swarm addrs", "swarm/addrs", "", "List the addresses known of each "
     "peer.", none},
    {"swarm peering add", "swarm/peering/add", "MADDR/p2p/ID...", "Keep "
     "peers connected, reconnected with a back-off (not saved to the "
     "config: Peering.Peers is).", none},
    {"swarm peering ls", "swarm/peering/ls", "", "List the peers kept "
     "connected.", none},
    {"swarm peering rm", "swarm/peering/rm", "ID...", "Stop keeping peers "
     "connected.", none},
    {"swarm filters", "swarm/filters", "", "List the address filters "
     "(Swarm.AddrFilters) the running node applies.", none},
    {"swarm filters add", "swarm/filters/add", "FILTER...", "Add address "
     "filters (/ip4/A/ipcidr/N) to the running node and the config.", none},
    {"swarm filters rm", "swarm/filters/rm", "FILTER...", "Remove address "
     "filters (all: every one) from the running node and the config.", none},
    {"swarm addrs local", "swarm/addrs/local", "", "List the addresses "
     "this node listens on.", none},
    {"swarm addrs listen", "swarm/addrs/listen", "", "List the interface "
     "addresses this node listens on.", none},
    {"swarm addrs autonat", "swarm/addrs/autonat", "", "Show the node's "
     "reachability and its addresses' as AutoNAT v2 found them.", none},
    {"ping", "ping", "PEER", "Ping a connected peer (ID or MADDR/p2p/ID).",
     ping_opts},
    {"p2p listen", "p2p/listen", "PROTOCOL TARGET", "Forward the libp2p "
     "streams peers open for PROTOCOL (/x/...) to TARGET "
     "(/ip4/A/tcp/P).", rpc__p2p_listen_opts},
    {"p2p forward", "p2p/forward", "PROTOCOL LISTEN TARGET", "Forward the "
     "TCP connections made to LISTEN to PROTOCOL on peer TARGET "
     "(/p2p/ID).", rpc__p2p_forward_opts},
    {"p2p ls", "p2p/ls", "", "List active p2p listeners.", rpc__p2p_ls_opts},
    {"p2p close", "p2p/close", "", "Stop listening for new connections to "
     "forward.", rpc__p2p_close_opts},
    {"p2p stream ls", "p2p/stream/ls", "", "List active p2p streams.",
     rpc__p2p_stream_ls_opts},
    {"p2p stream close", "p2p/stream/close", "[ID]", "Close active p2p "
     "stream.", rpc__p2p_stream_close_opts},
    {"routing findprovs", "routing/findprovs", "CID", "Find peers that "
     "provide a block, through the DHTs.", findprovs_opts},
    {"routing findpeer", "routing/findpeer", "PEER", "Find a peer's "
     "addresses through the DHTs.", none},
    {"routing provide", "routing/provide", "CID...", "Announce to the DHTs "
     "that this node provides the blocks (each in the repo).", provide_opts},
    {"routing get", "routing/get", "KEY", "Get a record (/ipns/NAME, "
     "/pk/PEER) from the DHTs; writes its bytes.", none},
    {"routing put", "routing/put", "KEY [FILE]", "Put a record (an IPNS "
     "record for /ipns/NAME, a public key for /pk/PEER; stdin when no "
     "FILE) on the DHTs.", routing_put_opts},
    {"dht query", "dht/query", "PEER", "Find the peers closest to a PeerID "
     "in the DHTs.", none},
    {"stats dht", "stats/dht", "", "Print the DHTs' routing tables and "
     "counters.", none},
    {"provide stat", "provide/stat", "", "Show the reprovider's progress "
     "(a keyspace sweep per DHT) and the queue of new content.", none},
    {"provide once", "provide/once", "CID...", "Announce CIDs (each in the "
     "repo) once, through the provide queue: returns as they are queued.",
     provide_opts},
    {"provide clear", "provide/clear", "", "Drop what waits in the provide "
     "queue.", provide_clear_opts},
    {"bitswap stat", "bitswap/stat", "", "Show some diagnostic information "
     "on the bitswap agent.", bitswap_stat_opts},
    {"bitswap wantlist", "bitswap/wantlist", "", "Show blocks currently on "
     "the wantlist.", wantlist_opts},
    {"bitswap ledger", "bitswap/ledger", "PEER", "Show the current ledger "
     "for a peer.", none},
    {"bitswap reprovide", "bitswap/reprovide", "", "Deprecated (the sweep "
     "provider reprovides on its own schedule).", none},
    {"stats bitswap", "stats/bitswap", "", "Show some diagnostic "
     "information on the bitswap agent.", bitswap_stat_opts},
    {"stats bw", "stats/bw", "", "Print bandwidth information (bytes of "
     "streams).", stats_bw_opts},
    {"mirror scrub status", "mirror/scrub/status", "", "Show the "
     "scrubber's progress (pass, cursor, blocks and bytes hashed) and its "
     "findings and repairs.", none},
    {"mirror scrub start", "mirror/scrub/start", "", "Begin a scrub pass "
     "now (rehash every block, check every pinned DAG, repair).", none},
    {"mirror follow", "mirror/follow", "SOURCE", "Keep every pin of a "
     "Pinning Service API (URL --token T), the last versions of an IPNS "
     "name (/ipns/NAME [--keep N]) or the CIDs of a file (--list FILE).",
     follow_opts},
    {"mirror unfollow", "mirror/unfollow", "ID", "Stop a follow and remove "
     "its pins.", none},
    {"mirror sync", "mirror/sync", "[ID]", "Sync a follow (every follow "
     "by default) now.", none},
    {"mirror status", "mirror/status", "", "Show each follow: kind, "
     "source, last sync, pins pending/pinned/failed, last error.", none},
    {"name publish", "name/publish", "PATH", "Publish an IPNS record for "
     "the node's name (or --key's) pointing at PATH, on the DHTs.",
     publish_opts},
    {"key gen", "key/gen", "NAME", "Create a new Ed25519 keypair for "
     "IPNS names; print its ID.", key_gen_opts},
    {"key ls", "key/ls", "", "List the keys (self first): names, with -l "
     "IDs too.", key_ls_opts},
    {"key list", "key/list", "", "Deprecated: use 'trove key ls'.",
     key_ls_opts},
    {"key rm", "key/rm", "NAME...", "Remove keypairs.", key_ls_opts},
    {"key rename", "key/rename", "OLD NEW", "Rename a keypair.",
     key_rename_opts},
    {"key export", NULL, "NAME", "Export a keypair to a file (the libp2p "
     "PrivateKey protobuf, as Kubo writes it).", key_export_opts},
    {"key import", "key/import", "NAME FILE", "Import a keypair exported "
     "by Kubo or trove; print its ID.", key_import_opts},
    {"key sign", "key/sign", "[FILE]", "Sign FILE's bytes (stdin without "
     "one), prefixed with \"libp2p-key signed message:\", with a key.",
     key_sign_opts},
    {"key verify", "key/verify", "[FILE]", "Verify a signature 'key sign' "
     "made over FILE's bytes (stdin without one).", key_verify_opts},
    {"key rotate", NULL, "", "Replace the node's identity with a new key, "
     "the old one kept in the keystore as --oldkey (daemon stopped).",
     key_rotate_opts},
    {"name get", "name/get", "NAME", "Write the signed IPNS record the "
     "routing has for NAME (raw protobuf) to stdout.", none},
    {"name put", "name/put", "NAME [FILE]", "Store a pre-signed IPNS record "
     "for NAME (FILE, or stdin) in the routing, after checking it.",
     name_put_opts},
    {"name inspect", "name/inspect", "[FILE]", "Print the fields of an "
     "IPNS record (FILE, or stdin); --verify NAME checks it.",
     name_inspect_opts},
    {"resolve", "resolve", "PATH", "Resolve /ipns/NAME or /ipfs/CID/path "
     "to the /ipfs/ path of what it names (through the daemon).",
     resolve_opts},
    {"name resolve", "name/resolve", "[NAME]", "Resolve an IPNS name (the "
     "node's own by default) through the DHTs.", resolve_opts},
};
const size_t rpc_ncmddefs = TR_ARRAY_LEN(rpc_cmddefs);

/* ------------------------------------------------------------------ add */

static int refuse(char *err, size_t n, const char *what) {
  snprintf(err, n, "%s is not supported by trove", what);
  return TR_EUSAGE;
}

int rpc_add_resolve(const rpc_vals_t *v, const json_t *import,
                    rpc_add_opts_t *a, char *err, size_t n) {
  memset(a, 0, sizeof *a);
  static const char *const unsupported[] = {"inline"};
  for (size_t i = 0; i < TR_ARRAY_LEN(unsupported); i++) {
    size_t k = rpc_vals_idx(v, unsupported[i]);
    if (v->v[k].set && (v->def->opts[k].type != RPC_OPT_BOOL || v->v[k].b))
      return refuse(err, n, unsupported[i]);
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
  if ((rc = rpc_add_meta_opts(v, a, err, n)))
    return rc;
  /* Kubo's UnixfsAddOptions: nocopy needs raw leaves, and turns them on
   * unless something set them off (the option, the config, metadata). */
  a->nocopy = rpc_vals_bool(v, "nocopy");
  a->fscache = rpc_vals_bool(v, "fscache");
  if (a->nocopy && !a->o.raw_leaves) {
    if (rpc_vals_isset(v, "raw-leaves") || a->with_meta ||
        json_object_get(import, "UnixFSRawLeaves")) {
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
  return 0;
}

/* -------------------------------------------------------------- lookup */

const rpc_cmddef_t *rpc_cmddef(const char *name) {
  for (size_t i = 0; i < rpc_ncmddefs; i++)
    if (!strcmp(rpc_cmddefs[i].name, name))
      return &rpc_cmddefs[i];
  return NULL;
}

const rpc_cmddef_t *rpc_cmddef_api(const char *rpc) {
  for (size_t i = 0; i < rpc_ncmddefs; i++)
    if (rpc_cmddefs[i].rpc && !strcmp(rpc_cmddefs[i].rpc, rpc))
      return &rpc_cmddefs[i];
  return NULL;
}

bool rpc_cmddef_stdin_args(const char *rpc) {
  static const char *const cmds[] = {
      "cat", "ls", "refs", "pin/add", "pin/rm", "routing/provide",
      "provide/once", "cid/format", "cid/base32", "bootstrap/add",
      "bootstrap/rm",
  };
  for (size_t i = 0; i < TR_ARRAY_LEN(cmds); i++)
    if (!strcmp(rpc, cmds[i]))
      return true;
  return false;
}
