# Shared by the scripts in bench/ (sourced): free ports, the nginx upstream every tunnel
# benchmark forwards to, and the tunnel configuration they run ferry with.

# free_ports N: N distinct free TCP ports on 127.0.0.1, on one line.
free_ports() {
  node -e '
const net = require("net"); const ss = [];
(async () => { for (let i = 0; i < +process.argv[1]; i++) { const s = net.createServer();
  await new Promise(r => s.listen(0, "127.0.0.1", r)); ss.push(s); }
  console.log(ss.map(s => s.address().port).join(" ")); ss.forEach(s => s.close()); })();' "$1"
}

# nginx_conf_head DIR WORKERS: the start of an nginx.conf (up to the open http block) that
# keeps every file of that nginx in DIR and runs it in the foreground.
nginx_conf_head() {
  cat <<NGX
worker_processes $2;
daemon off;
pid $1/nginx.pid;
error_log $1/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $1/body; proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fcgi; uwsgi_temp_path $1/uwsgi; scgi_temp_path $1/scgi;
NGX
}

# upstream_nginx_conf DIR PORT: DIR/nginx.conf for nginx (1 worker, in the foreground) on
# 127.0.0.1:PORT answering every request `200 {"id":...}` from a `return` directive: the
# fastest upstream this machine has, so the tunnel's own cost shows.
upstream_nginx_conf() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  nginx_conf_head "$dir" 1 > "$dir/nginx.conf"
  cat >> "$dir/nginx.conf" <<NGX
  server {
    listen 127.0.0.1:$port reuseport;
    keepalive_requests 1000000;
    location / { client_max_body_size 100m; return 200 '{"id":"00000000000000000000000000000000"}'; }
  }
}
NGX
}

# proxy_nginx_conf DIR PORT UPSTREAM_PORT: DIR/nginx.conf for the forwarder baseline: nginx
# (one worker per core) on 127.0.0.1:PORT with `proxy_pass` to the upstream, a keep-alive
# upstream pool, bodies buffered in memory.
proxy_nginx_conf() {
  local dir=$1 port=$2 up=$3
  mkdir -p "$dir"
  nginx_conf_head "$dir" "$(nproc)" > "$dir/nginx.conf"
  cat >> "$dir/nginx.conf" <<NGX
  upstream sentry { server 127.0.0.1:$up; keepalive 64; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:$port;
    keepalive_requests 1000000;
    client_max_body_size 100m;
    client_body_buffer_size 1m;
    location / {
      proxy_pass http://sentry;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGX
}

# tunnel_config FILE PORT DATA_DIR UPSTREAM_PORT DELIVERY [THREADS]: ferry as a tunnel only
# (store off) on 127.0.0.1:PORT, remapping the benchmark payloads' DSN to sentry.example.com,
# which the upstream at UPSTREAM_PORT stands in for.
tunnel_config() {
  local file=$1 port=$2 data=$3 up=$4 delivery=$5 threads=${6:-0}
  cat > "$file" <<YML
server: { listen: "127.0.0.1:$port", threads: $threads }
data_dir: "$data"
store: { enabled: false }
log: { level: warn }
tunnel:
  delivery: $delivery
  allowed_hosts: ["sentry.example.com"]
  remap:
    "https://old1@sentry.example.com/4": "https://new1@sentry.example.com/2"
upstreams:
  "sentry.example.com": { url: "http://127.0.0.1:$up" }
YML
}
