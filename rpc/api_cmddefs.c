/*
 * api_cmddefs.c — the table of every `trove` command and its options (see
 * api_opts.h), with Kubo's option names, short flags, defaults and API
 * argument names, and the lookups into it.
 *
 * To add an option: add its row here; the CLI parser, `--help`, the query
 * the CLI sends to a daemon and the handler's query parser all follow.
 * The option tables of some families live in files of their own so that
 * this one stays readable (cmddefs_int.h lists them: files, filestore,
 * pin, name and key); their rows stay here, in rpc_cmddefs[].  add's
 * options are given meaning in add_resolve.c.
 */
#include <string.h>

#include "cmddefs_int.h"

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
    {"max-directory-links", 0, I, NULL, "Most entries of a plain "
     "directory: more make it a HAMT. Default: Import.UnixFSDirectoryMaxLinks "
     "(0, no limit).", "max-directory-links", INT64_MIN, INT64_MAX},
    {"max-hamt-fanout", 0, I, NULL, "Links per HAMT shard: a power of 2 "
     "from 8 to 1024. Default: the profile's (256).", "max-hamt-fanout",
     INT64_MIN, INT64_MAX},
    OB("trickle", 't', "false", "Use trickle-dag format for dag generation."),
    OB("inline", 0, "false", "Inline small blocks into CIDs: identity "
       "CIDs, the block not stored."),
    {"inline-limit", 0, I, "32", "Most bytes of a block to inline (at most "
     "128).", "inline-limit", INT64_MIN, INT64_MAX},
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
     INT64_MIN, INT64_MAX},
    {"length", 'l', I, NULL, "Most bytes to read.", "length", INT64_MIN,
     INT64_MAX},
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
    OB("stream", 's', "false", "Entries as the directory is traversed, not "
       "sorted."),
    OB("human", 'H', "false", "Sizes in SI units (1.2 kB, 234 MB)."),
    OB("sort-size", 'S', "false", "Largest first (directories as size 0)."),
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

static const rpc_optdef_t follow_opts[] = {
    OS("token", 0, NULL, "The Pinning Service API's access token."),
    {"keep", 0, I, NULL, "IPNS versions to keep (default 1, at most 64).",
     "keep", 1, 64},
    OB("list", 0, "false", "SOURCE is a file of CIDs, one a line."),
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
    CB("enable-pubsub-experiment", 0, "false", "Enable pubsub (as "
       "Pubsub.Enabled true)."),
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
     rpc__pin_add_opts},
    {"pin rm", "pin/rm", "CID...", "Remove pins.", rpc__pin_rm_opts},
    {"pin update", "pin/update", "FROM TO", "Pin TO recursively in place of "
     "FROM, with its name (fetching what TO has that FROM lacks).",
     rpc__pin_update_opts},
    {"pin ls", "pin/ls", "[CID...]", "List pins.", rpc__pin_ls_opts},
    {"pin verify", "pin/verify", "", "Check that pinned DAGs are complete "
     "and intact.", rpc__pin_verify_opts},
    {"pin remote service add", "pin/remote/service/add", "NAME ENDPOINT KEY", "Add remote "
     "pinning service credentials to Pinning.RemoteServices.", none},
    {"pin remote service ls", "pin/remote/service/ls", "", "List remote pinning services.",
     rpc__pin_remote_svc_ls_opts},
    {"pin remote service rm", "pin/remote/service/rm", "NAME", "Remove remote pinning service.",
     none},
    {"pin remote add", "pin/remote/add", "CID", "Pin object to remote pinning service.",
     rpc__pin_remote_add_opts},
    {"pin remote ls", "pin/remote/ls", "", "List objects pinned to remote pinning "
     "service.", rpc__pin_remote_ls_opts},
    {"pin remote rm", "pin/remote/rm", "", "Remove pins from remote pinning service.",
     rpc__pin_remote_rm_opts},
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
     rpc__files_ls_opts},
    {"files stat", "files/stat", "PATH", "Print an MFS (or /ipfs/) node's "
     "CID, sizes and type.", rpc__files_stat_opts},
    {"files read", "files/read", "PATH", "Write an MFS file's bytes.",
     rpc__files_read_opts},
    {"files write", "files/write", "PATH [FILE]", "Write to an MFS file "
     "(stdin when no FILE).", rpc__files_write_opts},
    {"files mkdir", "files/mkdir", "PATH", "Make an MFS directory.",
     rpc__files_mkdir_opts},
    {"files cp", "files/cp", "SOURCE DEST", "Link an /ipfs/ path or an MFS "
     "path into MFS.", rpc__files_cp_opts},
    {"files mv", "files/mv", "SOURCE DEST", "Move an MFS file or "
     "directory.", rpc__files_flush_opts},
    {"files rm", "files/rm", "PATH...", "Remove MFS files or directories.",
     rpc__files_rm_opts},
    {"files flush", "files/flush", "[PATH]", "Print an MFS path's CID "
     "(every change is already stored).", rpc__files_flush_opts},
    {"files chcid", "files/chcid", "PATH", "Change an MFS directory's CID "
     "version or hash function.", rpc__files_chcid_opts},
    {"files chmod", "files/chmod", "MODE PATH", "Set the UnixFS mode of an "
     "MFS node (octal).", rpc__files_flush_opts},
    {"files chroot", NULL, "[CID]", "Set the MFS root to CID (a directory "
     "in the repo) or the empty directory; the daemon must be stopped.",
     chroot_opts},
    {"files touch", "files/touch", "PATH", "Set the UnixFS mtime of an MFS "
     "node (now by default).", rpc__files_touch_opts},
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
    {"pubsub pub", "pubsub/pub", "TOPIC [FILE]", "Publish data (the file, "
     "else stdin) to a pubsub topic.", rpc__pubsub_opts},
    {"pubsub sub", "pubsub/sub", "TOPIC", "Subscribe to messages on a "
     "topic: write each message's data as it comes.", rpc__pubsub_opts},
    {"pubsub ls", "pubsub/ls", "", "List subscribed topics by name.",
     rpc__pubsub_opts},
    {"pubsub peers", "pubsub/peers", "[TOPIC]", "List peers we are "
     "pubsubbing with (subscribed to TOPIC when given).", rpc__pubsub_opts},
    {"pubsub reset", "pubsub/reset", "", "Reset the pubsub seqno "
     "validator's state (for testing).", rpc__pubsub_reset_opts},
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
    {"routing reprovide", "routing/reprovide", "", "Deprecated (the sweep "
     "provider reprovides on its own schedule).", none},
    {"stats provide", "stats/provide", "", "Deprecated: provide stat.",
     none},
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
     rpc__publish_opts},
    {"key gen", "key/gen", "NAME", "Create a new Ed25519 keypair for "
     "IPNS names; print its ID.", rpc__key_gen_opts},
    {"key ls", "key/ls", "", "List the keys (self first): names, with -l "
     "IDs too.", rpc__key_ls_opts},
    {"key list", "key/list", "", "Deprecated: use 'trove key ls'.",
     rpc__key_ls_opts},
    {"key rm", "key/rm", "NAME...", "Remove keypairs.", rpc__key_ls_opts},
    {"key rename", "key/rename", "OLD NEW", "Rename a keypair.",
     rpc__key_rename_opts},
    {"key export", NULL, "NAME", "Export a keypair to a file (the libp2p "
     "PrivateKey protobuf, as Kubo writes it).", rpc__key_export_opts},
    {"key import", "key/import", "NAME FILE", "Import a keypair exported "
     "by Kubo or trove; print its ID.", rpc__key_import_opts},
    {"key sign", "key/sign", "[FILE]", "Sign FILE's bytes (stdin without "
     "one), prefixed with \"libp2p-key signed message:\", with a key.",
     rpc__key_sign_opts},
    {"key verify", "key/verify", "[FILE]", "Verify a signature 'key sign' "
     "made over FILE's bytes (stdin without one).", rpc__key_verify_opts},
    {"key rotate", NULL, "", "Replace the node's identity with a new key, "
     "the old one kept in the keystore as --oldkey (daemon stopped).",
     rpc__key_rotate_opts},
    {"name get", "name/get", "NAME", "Write the signed IPNS record the "
     "routing has for NAME (raw protobuf) to stdout.", none},
    {"name put", "name/put", "NAME [FILE]", "Store a pre-signed IPNS record "
     "for NAME (FILE, or stdin) in the routing, after checking it.",
     rpc__name_put_opts},
    {"name inspect", "name/inspect", "[FILE]", "Print the fields of an "
     "IPNS record (FILE, or stdin); --verify NAME checks it.",
     rpc__name_inspect_opts},
    {"resolve", "resolve", "PATH", "Resolve /ipns/NAME or /ipfs/CID/path "
     "to the /ipfs/ path of what it names (through the daemon).",
     resolve_opts},
    {"name resolve", "name/resolve", "[NAME]", "Resolve an IPNS name (the "
     "node's own by default) through the DHTs.", resolve_opts},
};
const size_t rpc_ncmddefs = TR_ARRAY_LEN(rpc_cmddefs);

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
