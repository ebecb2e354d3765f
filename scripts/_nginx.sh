# shellcheck shell=bash
# Helpers shared by scripts/nginx_check and scripts/prod_smoke (source this file; do not run it).

# Debian's nginx, installed on first use when it is missing (CI images start without it).
payjaro_ensure_nginx() {
    if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
        return 0
    fi
    echo "nginx not found: installing Debian's nginx-light" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null; }
}

payjaro_nginx_bin() {
    command -v nginx 2>/dev/null || echo /usr/sbin/nginx
}

# payjaro_render_nginx_conf SRC OUT_DIR LISTEN UPSTREAM ROOT
#   Copies the project's nginx.conf to OUT_DIR/nginx.conf, rewriting only the tagged lines:
#   listen address, upstream server, document root, log files, plus temp paths inside OUT_DIR.
payjaro_render_nginx_conf() {
    local src=$1 out=$2 listen=$3 upstream=$4 root=$5
    mkdir -p "$out/tmp"
    for tag in @listen @upstream @root @log; do
        grep -q "# $tag" "$src" || { echo "nginx.conf lost its '# $tag' line(s)" >&2; return 1; }
    done
    sed -E \
        -e "s|^([[:space:]]*)listen[[:space:]].*# @listen.*$|\1listen ${listen} default_server;|" \
        -e "s|^([[:space:]]*)server[[:space:]].*# @upstream.*$|\1server ${upstream};|" \
        -e "s|^([[:space:]]*)root[[:space:]].*# @root.*$|\1root ${root};|" \
        -e "s|^([[:space:]]*)error_log[[:space:]].*# @log.*$|\1error_log ${out}/error.log warn;|" \
        -e "s|^([[:space:]]*)access_log[[:space:]]+[^[:space:]]+[[:space:]]+([a-z_]+);.*# @log.*$|\1access_log ${out}/access.log \2;|" \
        -e "s|^http \{$|http {\n    client_body_temp_path ${out}/tmp/body;\n    proxy_temp_path ${out}/tmp/proxy;|" \
        "$src" > "$out/nginx.conf"
}

# payjaro_nginx OUT_DIR ARGS...  — runs nginx against OUT_DIR/nginx.conf with pid/error log in OUT_DIR.
payjaro_nginx() {
    local out=$1; shift
    local globals="pid ${out}/nginx.pid;"
    if [ "$(id -u)" = "0" ]; then
        globals="user root; ${globals}"  # workers must read the temp dir and the checkout
    fi
    "$(payjaro_nginx_bin)" -p "${out}/" -c "${out}/nginx.conf" -e "${out}/error.log" -g "${globals}" "$@"
}
