# bench/lib/daemon.sh — sourced by the gateway benchmarks (gateway.sh,
# gateway_ab.sh, gateway_cores.sh); not a benchmark itself (bench/run.sh
# runs bench/*.sh).
#
# daemon_start BIN REPO LOG THREADS: `BIN daemon` on the repo REPO with
# Gateway.Threads THREADS (0: a loop per core), gateway and API on
# 127.0.0.1 at ports the kernel picks, its output in LOG.  Sets DPID (its
# PID, for the caller to stop) and GWPORT; exits the script, with the
# log on stderr, when the daemon does not come up in 10 s.
daemon_start() {
  TROVE_PATH=$2 TROVE_GATEWAY_THREADS=$4 "$1" daemon \
    --gateway=/ip4/127.0.0.1/tcp/0 --api=/ip4/127.0.0.1/tcp/0 >"$3" 2>&1 &
  DPID=$!
  for _ in $(seq 100); do
    grep -q "Daemon is ready" "$3" && break
    sleep 0.1
  done
  GWPORT=$(sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$3")
  [ -n "$GWPORT" ] || { cat "$3" >&2; exit 1; }
}

# nginx_conf DIR PORT WORKERS ROOT [LISTEN_OPTIONS]: DIR/nginx.conf, nginx
# as Debian ships it (/etc/nginx/nginx.conf: WORKERS worker processes,
# "auto" a worker per core, sendfile, tcp_nopush) serving ROOT on
# 127.0.0.1:PORT, plus access_log off and unlimited keep-alive requests
# (wrk's connections live for the whole run); its pid, logs and temp files
# in DIR.  The workers run as this user, so they can read a scratch dir
# (mktemp's are 0700); as non-root nginx ignores the line with a warning.
nginx_conf() {
  cat >"$1/nginx.conf" <<NGINX
user $(id -un);
worker_processes $3;
error_log $1/error.log;
pid $1/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path $1; proxy_temp_path $1;
  fastcgi_temp_path $1; uwsgi_temp_path $1; scgi_temp_path $1;
  types { application/octet-stream bin; }
  server { listen 127.0.0.1:$2${5:+ $5}; root $4; }
}
NGINX
}
