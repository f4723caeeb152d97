#!/bin/sh
# njs-region-router installer, shipped at the top of the release tarball. Puts the bundle and the nginx
# snippets of this release into an existing nginx configuration, then checks the configuration as nginx
# will load it (`nginx -T`, which runs `nginx -t`, plus what nginx -t cannot see: every region of the table
# has an upstream). When a check fails it puts the previous files back and exits non-zero, so a running
# gateway is never left with files that fail the test. Plain POSIX sh: the gateway needs no Node.
# `sh install.sh --help` for the options.
set -eu
umask 022

HERE=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
VERSION=$(cat "$HERE/VERSION" 2>/dev/null || echo unknown)

PREFIX=/etc/nginx
NJS_PATH=
NGINX=nginx
REGIONS_FROM=
MODE=install
RELOAD=no
PURGE=no

usage() {
    cat <<EOF
njs-region-router $VERSION installer

usage: sh install.sh [options]

  --prefix DIR      the nginx configuration directory to install into (default: /etc/nginx).
                    Snippets go to DIR/region-router/, the list of installed files to
                    DIR/region-router/.installed
  --njs-path DIR    where region-router.js and region-router-metrics.js go (default: DIR/njs);
                    your js_path
  --nginx CMD       how to run this gateway's nginx, with -c (and -p) when its configuration is
                    not the default one, e.g. --nginx "nginx -c /srv/gw/nginx.conf"
                    (split on spaces; default: nginx)
  --regions FILE    install FILE as region-router/regions.conf (else an existing one is kept)
  --reload          reload nginx (CMD -s reload) once the checks passed
  --check           only run the checks on the configuration as it is; change nothing
  --uninstall       remove what was installed; region-router/regions.conf stays unless --purge
  --purge           with --uninstall: remove regions.conf too
  -h, --help        this text

Checks, before any reload: \`CMD -T\` (nginx -t, and the whole configuration with its includes),
then in that configuration: every region of the table (map \$region_router_candidate
\$region_router_known) has an entry in every map \$region_router_region \$X, and the default region
(\$region_router_default_region) is one of them. When a check fails after files were changed, the
previous files are put back and the exit status is 1. Notes (not failures): a region that goes to
an upstream map's default, no upstream map, pcre_jit left off.
EOF
}

say() { printf 'install.sh: %s\n' "$*"; }
complain() { printf 'install.sh: %s\n' "$*" >&2; }
fail() { complain "$*"; exit 1; }

while [ $# -gt 0 ]; do
    opt=$1
    case $opt in
        --*=*) val=${opt#*=}; opt=${opt%%=*}; shift; set -- "$opt" "$val" "$@" ;;
    esac
    case $opt in
        --prefix|--njs-path|--nginx|--regions)
            [ $# -ge 2 ] || fail "$opt needs a value"
            case $opt in
                --prefix) PREFIX=$2 ;;
                --njs-path) NJS_PATH=$2 ;;
                --nginx) NGINX=$2 ;;
                --regions) REGIONS_FROM=$2 ;;
            esac
            shift 2 ;;
        --reload) RELOAD=yes; shift ;;
        --check) MODE=check; shift ;;
        --uninstall) MODE=uninstall; shift ;;
        --purge) PURGE=yes; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; fail "unknown option: $opt" ;;
    esac
done

PREFIX=${PREFIX%/}
[ -n "$PREFIX" ] || PREFIX=/
NJS_PATH=${NJS_PATH:-$PREFIX/njs}
NJS_PATH=${NJS_PATH%/}
DEST=$PREFIX/region-router
MANIFEST=$DEST/.installed
[ "$PURGE" = no ] || [ "$MODE" = uninstall ] || fail "--purge goes with --uninstall"
[ -z "$REGIONS_FROM" ] || [ "$MODE" = install ] || fail "--regions goes with an install"

# --- Running nginx -------------------------------------------------------------------------------
# CMD is split on spaces on purpose (it may carry -p and -c); no globbing.
run_nginx() {
    set -f
    # shellcheck disable=SC2086
    $NGINX "$@"
    run_status=$?
    set +f
    return $run_status
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/region-router-install.XXXXXX")

# --- The region check, on the configuration as `nginx -T` prints it ------------------------------
# Reads the dump: "# configuration file NAME:" lines, then each file's text. Prints one line per finding:
#   ERROR <text>   the configuration would route a request to no upstream (500) or fail at run time
#   NOTE <text>    worth knowing, not wrong
#   UNWIRED        the region table is not in the configuration (not included yet)
#   OK <text>      the summary when nothing is wrong
# nginx's map keys are matched case-insensitively; regex keys (~, ~*) are tried with awk's regular
# expressions, close to but not the same as nginx's PCRE.
region_check() {
    awk '
    function flush_token() {
        if (tok != "" || quoted) { words[++nw] = tok }
        tok = ""; quoted = 0
    }
    function statement(end,    i, key, val) {
        if (end == "{") {
            depth++
            if (nw == 3 && words[1] == "map") {
                nmaps++; mapsrc[nmaps] = words[2]; mapvar[nmaps] = words[3]; mapfile[nmaps] = file
                mapdepth = depth; inmap = nmaps
            }
        } else if (end == "}") {
            if (inmap && depth == mapdepth) { inmap = 0 }
            depth--
        } else if (nw > 0) {
            if (inmap && depth == mapdepth) {
                key = words[1]; val = words[2]
                if (nw == 1 && (key == "volatile" || key == "hostnames")) { }
                else if (key == "default" && nw == 2) { mapdefault[inmap] = val }
                else if (nw == 2) { nkeys[inmap]++; mapkey[inmap, nkeys[inmap]] = key; mapval[inmap, nkeys[inmap]] = val }
            } else if (words[1] == "pcre_jit" && nw == 2) {
                pcrejit = words[2]
            } else if ((words[1] == "js_var" || words[1] == "set") && words[2] == "$region_router_default_region" && nw == 3) {
                ndefaults++; defval[ndefaults] = words[3]; deffile[ndefaults] = file
            }
        }
        nw = 0
    }
    BEGIN { file = "(nginx -T)"; depth = 0; inmap = 0; nmaps = 0; ndefaults = 0; nw = 0; tok = ""; quoted = 0 }
    /^# configuration file .*:$/ { file = substr($0, 22, length($0) - 22); depth = 0; inmap = 0; nw = 0; next }
    {
        line = $0; q = ""
        for (i = 1; i <= length(line); i++) {
            c = substr(line, i, 1)
            if (q != "") {
                if (c == "\\") { i++; tok = tok substr(line, i, 1); continue }
                if (c == q) { q = ""; continue }
                tok = tok c; continue
            }
            if (c == "\"" || c == "\047") { q = c; quoted = 1; continue }
            if (c == "#" && tok == "" && !quoted) break
            if (c == " " || c == "\t" || c == "\r") { flush_token(); continue }
            if (c == "{" || c == "}" || c == ";") { flush_token(); statement(c); continue }
            tok = tok c
        }
        flush_token()
    }
    function covers(m, region,    k, key, pat) {
        for (k = 1; k <= nkeys[m]; k++) {
            key = mapkey[m, k]
            if (substr(key, 1, 2) == "~*") { pat = substr(key, 3); if (match(tolower(region), tolower(pat))) return 1 }
            else if (substr(key, 1, 1) == "~") { pat = substr(key, 2); if (match(region, pat)) return 1 }
            else if (tolower(key) == tolower(region)) return 1
        }
        return 0
    }
    END {
        table = 0
        for (m = 1; m <= nmaps; m++) if (mapvar[m] == "$region_router_known") { table = m }
        if (!table) { print "UNWIRED"; exit }
        nregions = 0
        for (k = 1; k <= nkeys[table]; k++) {
            r = mapval[table, k]
            if (!(r in seen)) { seen[r] = 1; region[++nregions] = r }
        }
        if (mapdefault[table] != "" && !(mapdefault[table] in seen)) { seen[mapdefault[table]] = 1; region[++nregions] = mapdefault[table] }
        tablefile = mapfile[table]
        list = ""
        for (i = 1; i <= nregions; i++) list = list (i > 1 ? ", " : "") region[i]
        errors = 0
        if (nregions == 0) { print "ERROR the region table (map " mapsrc[table] " $region_router_known in " tablefile ") lists no region"; errors++ }
        nupstream = 0; upstreams = ""
        for (m = 1; m <= nmaps; m++) {
            if (mapsrc[m] != "$region_router_region") continue
            nupstream++; upstreams = upstreams (nupstream > 1 ? ", " : "") mapvar[m]
            for (i = 1; i <= nregions; i++) {
                if (covers(m, region[i])) continue
                if (mapdefault[m] != "") {
                    print "NOTE region \"" region[i] "\" has no entry in map $region_router_region " mapvar[m] " (" mapfile[m] "): it goes to that map\047s default, " mapdefault[m]
                    continue
                }
                print "ERROR region \"" region[i] "\" of the region table (" tablefile ") has no upstream in map $region_router_region " mapvar[m] " (" mapfile[m] "): its requests would fail with 500 (\"invalid URL prefix\"). Add a line \"" region[i] " <upstream>;\" there, or remove the region from the table"
                errors++
            }
        }
        if (nupstream == 0) print "NOTE no map $region_router_region $<upstream> in the configuration: proxy_pass needs one per service to reach a region"
        if (pcrejit != "on") print "NOTE pcre_jit is off: pcre_jit on; in nginx\047s main context makes the regexes the router runs in C (a bearer token\047s, a form POST body\047s) cost less (README, What it costs)"
        if (ndefaults == 0) { print "ERROR $region_router_default_region is not set (js_var $region_router_default_region <region>; in " tablefile ")"; errors++ }
        for (d = 1; d <= ndefaults; d++) {
            if (!(defval[d] in seen)) {
                print "ERROR the default region \"" defval[d] "\" ($region_router_default_region in " deffile[d] ") is not in the region table (" tablefile "): regions are " list
                errors++
            }
        }
        if (!errors) print "OK regions " list " (" tablefile "); each has an upstream in " (nupstream ? upstreams : "no map") "; default region " (ndefaults ? defval[1] : "-")
    }
    ' "$1"
}

# Runs every check on the configuration as it is on disk. Prints what it found; returns 1 on failure.
CHECK_STATE=
check_config() {
    CHECK_STATE=
    if ! run_nginx -T >"$WORK/dump" 2>"$WORK/nginx-t"; then
        complain "nginx -t failed:"
        sed 's/^/    /' "$WORK/nginx-t" >&2
        return 1
    fi
    region_check "$WORK/dump" >"$WORK/findings"
    check_failed=no
    while IFS= read -r finding; do
        case $finding in
            UNWIRED) CHECK_STATE=unwired ;;
            ERROR\ *) complain "error: ${finding#ERROR }"; check_failed=yes ;;
            NOTE\ *) say "note: ${finding#NOTE }" ;;
            OK\ *) say "check: ${finding#OK }" ;;
        esac
    done <"$WORK/findings"
    [ "$check_failed" = no ] || return 1
    if [ "$CHECK_STATE" = unwired ]; then
        say "check: the region table is not in the configuration yet (region-router/http.conf and regions.conf not included): nothing to check beyond nginx -t"
    fi
    say "check: nginx -t passed"
    return 0
}

# --- Changing files, with a way back -----------------------------------------------------------
# Every path is saved before its first change; put_back restores all of them (and removes what did not
# exist before), then the directories this run created.
: >"$WORK/touched"
: >"$WORK/made-dirs"
save() {
    if grep -Fxq -- "$1" "$WORK/touched"; then return 0; fi
    printf '%s\n' "$1" >>"$WORK/touched"
    saved=$WORK/saved.$(wc -l <"$WORK/touched" | tr -d ' ')
    if [ -e "$1" ]; then cp -p -- "$1" "$saved"; fi
}
put_back() {
    n=0
    while IFS= read -r path; do
        n=$((n + 1))
        if [ -e "$WORK/saved.$n" ]; then
            mkdir -p -- "$(dirname -- "$path")"
            cp -p -- "$WORK/saved.$n" "$path"
        else
            rm -f -- "$path"
        fi
    done <"$WORK/touched"
    sed -n '1!G;h;$p' "$WORK/made-dirs" | while IFS= read -r dir; do rmdir -- "$dir" 2>/dev/null || true; done
}
make_dir() {
    if [ -d "$1" ]; then return 0; fi
    make_dir "$(dirname -- "$1")"
    mkdir -- "$1"
    printf '%s\n' "$1" >>"$WORK/made-dirs"
}
# Copies to a temporary name first, so nginx never reads half a file.
put_file() {
    save "$2"
    make_dir "$(dirname -- "$2")"
    cp -- "$1" "$2.region-router-new"
    chmod 644 "$2.region-router-new"
    mv -f -- "$2.region-router-new" "$2"
}
remove_file() {
    save "$1"
    rm -f -- "$1"
}

IN_CHANGE=no
finish() {
    if [ "$IN_CHANGE" = yes ]; then
        complain "stopped before the end: putting the previous files back"
        put_back
    fi
    rm -rf -- "$WORK"
}
trap finish EXIT
trap 'exit 130' INT TERM HUP

reload_nginx() {
    [ "$RELOAD" = yes ] || return 0
    if run_nginx -s reload; then
        say "reloaded nginx ($NGINX -s reload)"
    else
        fail "the configuration passed the checks but \`$NGINX -s reload\` failed (is nginx running?)"
    fi
}

# --- The three modes -----------------------------------------------------------------------------
[ -d "$PREFIX" ] || fail "$PREFIX is not a directory: give the nginx configuration directory with --prefix"

if [ "$MODE" = check ]; then
    say "checking the configuration of: $NGINX (prefix $PREFIX)"
    check_config || fail "the configuration fails the checks above"
    exit 0
fi

if [ "$MODE" = uninstall ]; then
    [ -f "$MANIFEST" ] || fail "nothing to uninstall: no $MANIFEST"
    IN_CHANGE=yes
    kept=
    while IFS= read -r path; do
        case $path in ''|'#'*) continue ;; esac
        if [ "$path" = "$DEST/regions.conf" ] && [ "$PURGE" = no ]; then kept=$path; continue; fi
        remove_file "$path"
    done <"$MANIFEST"
    remove_file "$MANIFEST"
    if ! check_config; then
        put_back
        IN_CHANGE=no
        fail "put the files back: the configuration fails without them, so it still uses them. Remove the region-router includes, js_path and upstream maps from your configuration first"
    fi
    IN_CHANGE=no
    # The directories the files were in, when nothing else is left in them.
    while IFS= read -r path; do rmdir -- "$(dirname -- "$path")" 2>/dev/null || true; done <"$WORK/touched"
    say "removed njs-region-router from $PREFIX"
    [ -z "$kept" ] || say "kept your $kept (--purge removes it)"
    reload_nginx
    exit 0
fi

# install (or upgrade)
[ -f "$HERE/dist/region-router.js" ] || fail "no dist/region-router.js next to install.sh: run it from the unpacked release"
[ -f "$HERE/dist/region-router-metrics.js" ] || fail "no dist/region-router-metrics.js next to install.sh: run it from the unpacked release"
[ -f "$HERE/nginx/regions.conf" ] || fail "no nginx/regions.conf next to install.sh: run it from the unpacked release"
if [ -n "$REGIONS_FROM" ] && [ ! -f "$REGIONS_FROM" ]; then fail "--regions $REGIONS_FROM: no such file"; fi

previous=
if [ -f "$MANIFEST" ]; then
    previous=$(sed -n 's/^# njs-region-router \([^:]*\):.*/\1/p' "$MANIFEST")
    say "upgrading njs-region-router ${previous:-(unknown version)} to $VERSION in $PREFIX"
else
    say "installing njs-region-router $VERSION into $PREFIX"
fi

IN_CHANGE=yes
printf '# njs-region-router %s: files installed by install.sh (read by the next install and --uninstall)\n' "$VERSION" >"$WORK/manifest"

# The router, and the metrics module that only metrics-http.conf imports (njs 0.8+).
for module in region-router.js region-router-metrics.js; do
    put_file "$HERE/dist/$module" "$NJS_PATH/$module"
    printf '%s\n' "$NJS_PATH/$module" >>"$WORK/manifest"
done
for snippet in "$HERE"/nginx/*.conf; do
    name=$(basename -- "$snippet")
    [ "$name" != regions.conf ] || continue
    put_file "$snippet" "$DEST/$name"
    printf '%s\n' "$DEST/$name" >>"$WORK/manifest"
done

regions_note=
if [ -n "$REGIONS_FROM" ]; then
    put_file "$REGIONS_FROM" "$DEST/regions.conf"
    regions_note="installed $REGIONS_FROM as $DEST/regions.conf"
elif [ -f "$DEST/regions.conf" ]; then
    if cmp -s "$DEST/regions.conf" "$HERE/nginx/regions.conf"; then
        regions_note="kept $DEST/regions.conf (the same as this release's default)"
    else
        regions_note="kept your $DEST/regions.conf; this release's default is $HERE/nginx/regions.conf"
    fi
else
    put_file "$HERE/nginx/regions.conf" "$DEST/regions.conf"
    regions_note="installed the example region table as $DEST/regions.conf: edit it (your regions, cookie, default region)"
fi
printf '%s\n' "$DEST/regions.conf" >>"$WORK/manifest"

# Files of the previous install that this one no longer has (another --njs-path, a snippet gone).
if [ -f "$MANIFEST" ]; then
    while IFS= read -r path; do
        case $path in ''|'#'*) continue ;; esac
        if ! grep -Fxq -- "$path" "$WORK/manifest"; then remove_file "$path"; fi
    done <"$MANIFEST"
fi
put_file "$WORK/manifest" "$MANIFEST"

if ! check_config; then
    put_back
    IN_CHANGE=no
    fail "the configuration fails the checks above: put the previous files back${previous:+ ($previous)}; nginx was not reloaded"
fi
IN_CHANGE=no

say "$regions_note"
say "installed $NJS_PATH/region-router.js, $NJS_PATH/region-router-metrics.js and $DEST/*.conf (listed in $MANIFEST)"
if [ "$CHECK_STATE" = unwired ]; then
    say "next: wire it in (README, \"Install into your gateway\"): js_path $NJS_PATH/; include region-router/http.conf and region-router/regions.conf in http {}, an upstream map per service, the location snippets; then run this again with --check, and reload"
fi
reload_nginx
