#!/bin/bash
# tests/env/templates.sh -- template databases with the REAL Barbican schema,
# made by the real tool (Debian's barbican-manage 15.0.1), in the private
# PostgreSQL of tests/env/pg.sh.
#
#   templates.sh create DIR   make tmpl_14x and tmpl_15x unless already made; idempotent
#   templates.sh check DIR    verify that both exist, are finished templates
#
#   tmpl_14x  barbican-manage db upgrade -v 0f8c192a061f   (head of 10.0.0 .. 14.x)
#   tmpl_15x  barbican-manage db upgrade                   (head 8c74e2d7f1ff, 15.0.0 .. 22.x)
#
# Both are owned by role barbican, marked IS_TEMPLATE and ALLOW_CONNECTIONS
# false (so that nobody's open session can block a clone), and commented with
# their revision once verified. Tests clone them, as role barbican:
#   CREATE DATABASE my_test_db TEMPLATE tmpl_14x;
#
# barbican-manage runs as the user barbican with a private HOME; the database
# URL reaches it through oslo.config's environment source
# (OS_DEFAULT__SQL_CONNECTION), so the password is never on a command line.
# Its output goes to DIR/templates/NAME.log.
set -euo pipefail
BS_SCRIPT=templates.sh
# shellcheck source=tests/env/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() { echo "usage: $0 create|check DIR" >&2; exit 2; }

[ $# -eq 2 ] || usage
SUB=$1
DIR=$(norm_dir "$2")
PGSH=$BS_ENV_LIBDIR/pg.sh
TDIR=$DIR/templates
MANAGE=/usr/bin/barbican-manage

load_pg() {
    local envtxt
    envtxt=$("$PGSH" env "$DIR") || die "the private PostgreSQL is not running; start it: $PGSH start $DIR"
    eval "$envtxt"
}

psql_admin() { "$PGSH" psql "$DIR" "$@"; }

# db_state NAME: "comment|datistemplate|datallowconn" of database NAME ('' if absent)
db_state() {
    psql_admin -Atc "SELECT coalesce(shobj_description(oid, 'pg_database'), '') || '|' ||
        datistemplate || '|' || datallowconn FROM pg_database WHERE datname = '$1'"
}

marker() { echo "barbican-status test template: alembic $1 by barbican-manage $2"; }

manage_version() {
    dpkg-query -W -f='${Version}' python3-barbican 2>/dev/null | sed 's/^[0-9]*://; s/-[^-]*$//'
}

# is_done NAME REV: the template exists, is finished (comment set last).
is_done() {
    local st
    st=$(db_state "$1")
    [ "$st" = "$(marker "$2" "$MANAGE_VERSION")|true|false" ]
}

# run_manage NAME [REV]: barbican-manage db upgrade [-v REV] into database NAME
run_manage() {
    local name=$1 rev=${2:-} args=(db upgrade) home=$TDIR/home-$1 url
    url="postgresql+psycopg2://$BS_PG_USER:$BS_PG_PASSWORD@$BS_PG_HOST:$BS_PG_PORT/$name"
    [ -n "$rev" ] && args+=(-v "$rev")
    install -d -o barbican -g barbican -m 0700 "$home"
    (
        cd "$home"
        clean_env
        export HOME=$home
        export OS_DEFAULT__SQL_CONNECTION=$url
        echo "\$ barbican-manage ${args[*]}   (as barbican; URL of database $name in the environment)"
        exec setpriv --reuid=barbican --regid=barbican --init-groups -- "$MANAGE" "${args[@]}"
    ) > "$TDIR/$name.log" 2>&1
}

verify_rev() {  # NAME REV
    local got
    got=$(psql_admin -d "$1" -Atc 'SELECT version_num FROM alembic_version ORDER BY 1') ||
        die "$1: cannot read alembic_version"
    [ "$got" = "$2" ] || die "$1: alembic_version holds '$(echo "$got" | tr '\n' ' ')', expected the single row $2"
}

cmd_create() {
    local t names=() revs=() pids=() i name rev ver t1
    t=$(now_us)
    need_root
    need_cmd "$MANAGE" python3-barbican
    need_user barbican barbican-common
    MANAGE_VERSION=$(manage_version)
    [ -n "$MANAGE_VERSION" ] || die "python3-barbican is not installed"
    load_pg
    ver=$MANAGE_VERSION
    install -d -o root -g root -m 0711 "$TDIR"

    for i in 0 1; do
        if [ "$i" = 0 ]; then name=tmpl_14x; rev=$BS_REV_14X; else name=tmpl_15x; rev=$BS_REV_15X; fi
        if is_done "$name" "$rev"; then
            log "$name already made (alembic $rev)"
            continue
        fi
        # absent, or half-made by an earlier run that died: (re)create it empty
        psql_admin >/dev/null \
            -c "DO \$\$ BEGIN
                  IF EXISTS (SELECT FROM pg_database WHERE datname = '$name') THEN
                    ALTER DATABASE $name IS_TEMPLATE false;
                  END IF;
                END \$\$" \
            -c "DROP DATABASE IF EXISTS $name" \
            -c "CREATE DATABASE $name OWNER barbican TEMPLATE template0 ENCODING 'UTF8'" ||
            die "could not create the empty database $name"
        names+=("$name"); revs+=("$rev")
    done
    [ ${#names[@]} -gt 0 ] || { log "templates ready"; return 0; }

    # both upgrades at once: each is ~1 s of Python start-up
    t1=$(now_us)
    for i in "${!names[@]}"; do
        if [ "${names[$i]}" = tmpl_14x ]; then
            log "barbican-manage db upgrade -v ${revs[$i]} -> ${names[$i]}"
            run_manage "${names[$i]}" "${revs[$i]}" & pids+=($!)
        else
            log "barbican-manage db upgrade (head) -> ${names[$i]}"
            run_manage "${names[$i]}" & pids+=($!)
        fi
    done
    for i in "${!names[@]}"; do
        if ! wait "${pids[$i]}"; then
            tail_log "$TDIR/${names[$i]}.log"
            die "barbican-manage db upgrade failed for ${names[$i]} (log $TDIR/${names[$i]}.log)"
        fi
    done
    log "barbican-manage done in $(since "$t1")s"

    for i in "${!names[@]}"; do
        verify_rev "${names[$i]}" "${revs[$i]}"
        psql_admin >/dev/null <<EOF
COMMENT ON DATABASE ${names[$i]} IS '$(marker "${revs[$i]}" "$ver")';
ALTER DATABASE ${names[$i]} IS_TEMPLATE true ALLOW_CONNECTIONS false;
EOF
        log "${names[$i]}: alembic_version = ${revs[$i]} (verified), marked as template"
    done
    log "templates ready in $(since "$t")s"
}

cmd_check() {
    MANAGE_VERSION=$(manage_version)
    load_pg
    is_done tmpl_14x "$BS_REV_14X" || die "tmpl_14x is missing or unfinished; run: $0 create $DIR"
    is_done tmpl_15x "$BS_REV_15X" || die "tmpl_15x is missing or unfinished; run: $0 create $DIR"
    log "tmpl_14x ($BS_REV_14X) and tmpl_15x ($BS_REV_15X) ready"
}

case "$SUB" in
    create) cmd_create ;;
    check)  cmd_check ;;
    *)      usage ;;
esac
