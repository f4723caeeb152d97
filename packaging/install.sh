#!/bin/sh
# njs-region-router installer, shipped at the top of the release tarball. Puts the bundle and the nginx
# snippets of this release into an existing nginx configuration, then checks the configuration as nginx
# will load it with region-router-check (next to this script): `nginx -T`, which runs `nginx -t`, plus what
# nginx -t cannot see (a region without an upstream, a gateway server without gateway.conf, ...). When a
# check fails it puts the previous files back and exits non-zero, so a running gateway is never left with
# files that fail the test. Plain POSIX sh: the gateway needs no Node.
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
  --reload          reload nginx (CMD -s reload) once the checks passed; when nginx is not
                    running, says so and leaves it to you to start it
  --check           only run the checks on the configuration as it is; change nothing
  --uninstall       remove what was installed; region-router/regions.conf stays unless --purge.
                    Refuses, changing nothing, while the configuration still uses the router
  --purge           with --uninstall: remove regions.conf too (also after a plain --uninstall)
  -h, --help        this text

Checks, before any reload and after every change: region-router-check (next to this script;
\`sh region-router-check --help\` says what it checks), which runs \`CMD -T\` (nginx -t, and the
whole configuration with its includes), then walks that configuration: every region of the table
has an upstream in every upstream map, the default region is in the table, every gateway server
includes gateway.conf, an identity server has the location form POSTs continue at, metrics only
where njs has shared dictionaries. When a check fails after files were changed, the previous files
are put back and the exit status is 1.
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

CHECK=$HERE/region-router-check
[ -f "$CHECK" ] || fail "no region-router-check next to install.sh: run it from the unpacked release"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/region-router-install.XXXXXX")

# --- The checks: region-router-check, shipped next to this script ------------------------------
# Prints its findings (error: on stderr, note: and check: on stdout); returns 1 when the configuration
# fails. CHECK_STATE=unwired when the region table is not in the configuration yet.
CHECK_STATE=
check_config() {
    CHECK_STATE=
    check_status=0
    sh "$CHECK" --nginx "$NGINX" >"$WORK/check-out" || check_status=$?
    cat "$WORK/check-out"
    if grep -q 'region table is not in the configuration yet' "$WORK/check-out"; then CHECK_STATE=unwired; fi
    return "$check_status"
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
    if run_nginx -s reload 2>"$WORK/reload"; then
        say "reloaded nginx ($NGINX -s reload)"
        return 0
    fi
    # -s reload signals the process named by nginx's pid file. nginx is not running when that file is
    # empty (nginx -t, run by the check, leaves an empty one where there was none) or names no process
    # (left by an nginx that died). Then there is nothing to reload; starting it loads the checked files.
    if grep -Eq 'invalid PID number ""|\(3: No such process\)' "$WORK/reload"; then
        say "nginx is not running, so nothing was reloaded: start it (systemctl start nginx, or $NGINX) and it loads the checked configuration"
        return 0
    fi
    sed 's/^/    /' "$WORK/reload" >&2
    fail "the configuration passed the checks but \`$NGINX -s reload\` failed (above)"
}

# --- The three modes -----------------------------------------------------------------------------
[ -d "$PREFIX" ] || fail "$PREFIX is not a directory: give the nginx configuration directory with --prefix"

if [ "$MODE" = check ]; then
    say "checking the configuration of: $NGINX (prefix $PREFIX)"
    check_config || fail "the configuration fails the checks above"
    exit 0
fi

if [ "$MODE" = uninstall ]; then
    # What goes: the files the manifest lists and the manifest, regions.conf only with --purge; after a
    # plain --uninstall, --purge removes the regions.conf it kept.
    : >"$WORK/removing"
    kept=
    if [ -f "$MANIFEST" ]; then
        while IFS= read -r path; do
            case $path in ''|'#'*) continue ;; esac
            if [ "$path" = "$DEST/regions.conf" ] && [ "$PURGE" = no ]; then kept=$path; continue; fi
            printf '%s\n' "$path" >>"$WORK/removing"
        done <"$MANIFEST"
        printf '%s\n' "$MANIFEST" >>"$WORK/removing"
    elif [ -f "$DEST/regions.conf" ]; then
        [ "$PURGE" = yes ] || fail "nothing to uninstall: no $MANIFEST (--uninstall --purge removes the $DEST/regions.conf left behind)"
        printf '%s\n' "$DEST/regions.conf" >>"$WORK/removing"
    else
        fail "nothing to uninstall: no $MANIFEST"
    fi

    # Refuse while the configuration still uses what goes: an include of one of these files, or an
    # import of one of these modules, from a file that stays (one line, the first such place).
    uses=$(sh "$CHECK" --nginx "$NGINX" --uses) || fail "not uninstalled, nothing changed: the configuration can't be read (above)"
    in_use=$(printf '%s\n' "$uses" | awk -F '\t' -v removing="$WORK/removing" '
        BEGIN {
            while ((getline path < removing) > 0) {
                gone[path] = 1; name = path; sub(/.*\//, "", name)
                if (name ~ /\.js$/) gonejs[name] = 1
            }
        }
        NF == 3 {
            from = $1; sub(/:[0-9]+$/, "", from)
            if (from in gone) next
            what = $3
            if ($2 == "js_import") { sub(/.*\//, "", what); if (!(what in gonejs)) next; use = "imports " $3 }
            else { if (!(what in gone)) next; use = "includes " what }
            if (++n == 1) first = $1 " still " use
        }
        END { if (n) print first (n > 1 ? " (and " n - 1 " more)" : "") }')
    [ -z "$in_use" ] || fail "not uninstalled, nothing changed: $in_use; remove the region-router includes, js_path and upstream maps from your configuration first"

    IN_CHANGE=yes
    while IFS= read -r path; do remove_file "$path"; done <"$WORK/removing"
    if ! check_config; then
        put_back
        IN_CHANGE=no
        fail "put the files back: the configuration fails the checks without them (above)"
    fi
    IN_CHANGE=no
    # The directories the files were in, when nothing else is left in them.
    while IFS= read -r path; do rmdir -- "$(dirname -- "$path")" 2>/dev/null || true; done <"$WORK/touched"
    if grep -Fxq -- "$MANIFEST" "$WORK/removing"; then
        say "removed njs-region-router from $PREFIX"
    else
        say "removed $DEST/regions.conf, left behind by an earlier --uninstall"
    fi
    [ -z "$kept" ] || [ ! -f "$kept" ] || say "kept your $kept (--uninstall --purge removes it)"
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
