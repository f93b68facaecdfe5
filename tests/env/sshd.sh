#!/bin/bash
# tests/env/sshd.sh -- a private OpenSSH server on 127.0.0.1 for the tests
# that run a command on a "remote" host (barbican-status report over ssh).
#
#   sshd.sh start DIR    start (idempotent), verify key login works and others do not
#   sshd.sh stop DIR     stop it (SIGTERM to the listener's pid from its PidFile)
#   sshd.sh env DIR      print BS_SSH_* shell assignments (fails if not running)
#   sshd.sh status DIR   exit 0 if running
#
# /usr/sbin/sshd -D -f DIR/sshd/sshd_config (nothing of /etc/ssh is read), its
# own host key (ssh-keygen -t ed25519), ListenAddress 127.0.0.1, a free Port
# (BS_TESTENV_SSH_PORT, else the previous one if free, else a free one),
# PidFile DIR/sshd/sshd.pid, AuthorizedKeysFile DIR/sshd/authorized_keys
# holding the client key DIR/sshd/client_ed25519 (made here, no passphrase).
# Root may log in with that key only (PermitRootLogin prohibit-password,
# PubkeyAuthentication yes, AllowUsers root, no password, keyboard-interactive,
# host-based or GSSAPI authentication). StrictModes is off: OpenSSH checks
# every parent directory of AuthorizedKeysFile up to / and refuses any that is
# group- or world-writable, sticky or not, so a DIR under /tmp (the only
# place the other services can reach) can never pass ("bad ownership or modes
# for directory /tmp"); this script checks instead that DIR/sshd is root's
# 0700 and authorized_keys and the keys are root's 0600. sshd runs as root (it must, to become root for a
# session: the remote command of the tests runs as root, as an operator's
# would) and needs /run/sshd (privilege separation), made if missing.
# BS_SSH_ARGV is the client command line (word-split it, append the command).
set -euo pipefail
BS_SCRIPT=sshd.sh
# shellcheck source=tests/env/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() { echo "usage: $0 start|stop|env|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
SUB=$1
DIR=$(norm_dir "$2")
XDIR=$DIR/sshd
CFG=$XDIR/sshd_config
PIDF=$XDIR/sshd.pid
KEY=$XDIR/client_ed25519
STATE=$DIR/sshd.env
LOGF=$XDIR/sshd.log

sshd_pid() {
    local pid
    [ -s "$PIDF" ] || return 1
    pid=$(cat "$PIDF")
    pid_matches "$pid" "-f $CFG" || return 1
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
    echo "$pid"
}

ssh_argv() {
    echo "ssh -F /dev/null -i $KEY -p $PORT -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=$XDIR/known_hosts -o ConnectTimeout=10 -o LogLevel=ERROR root@127.0.0.1"
}

write_state() {
    local tmp
    tmp=$(mktemp "$DIR/.sshd.env.XXXXXX")
    chmod 0600 "$tmp"
    cat > "$tmp" <<EOF
export BS_SSH_HOST='127.0.0.1'
export BS_SSH_PORT='$PORT'
export BS_SSH_USER='root'
export BS_SSH_KEY='$KEY'
export BS_SSH_KNOWN_HOSTS='$XDIR/known_hosts'
export BS_SSH_ARGV='$(ssh_argv)'
export BS_SSH_PID='${PID:-}'
export BS_SSH_PIDFILE='$PIDF'
export BS_SSH_CONFIG='$CFG'
export BS_SSH_LOG='$LOGF'
EOF
    mv -f "$tmp" "$STATE"
}

write_files() {
    install -d -m 0700 "$XDIR"
    [ -s "$XDIR/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "bs-testenv-host" -f "$XDIR/ssh_host_ed25519_key"
    [ -s "$KEY" ] || ssh-keygen -q -t ed25519 -N '' -C "bs-testenv-client" -f "$KEY"
    install -m 0600 "$KEY.pub" "$XDIR/authorized_keys"
    cat > "$CFG" <<EOF
# written by tests/env/sshd.sh for $DIR
ListenAddress 127.0.0.1
Port $PORT
AddressFamily inet
PidFile $PIDF
HostKey $XDIR/ssh_host_ed25519_key
AuthorizedKeysFile $XDIR/authorized_keys
PermitRootLogin prohibit-password
AllowUsers root
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
GSSAPIAuthentication no
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
PermitUserEnvironment no
UseDNS no
PrintMotd no
LogLevel INFO
Subsystem sftp internal-sftp
EOF
    chmod 0600 "$CFG"
    : > "$XDIR/known_hosts"
    chmod 0700 "$XDIR"
    chmod 0600 "$XDIR/authorized_keys" "$KEY" "$XDIR/ssh_host_ed25519_key"
    local f
    for f in "$XDIR" "$XDIR/authorized_keys" "$KEY" "$XDIR/ssh_host_ed25519_key"; do
        [ "$(stat -c %U "$f")" = root ] || die "$f is not root's"
    done
}

launch() {
    local pid i
    rm -f "$PIDF"
    : > "$LOGF"
    /usr/sbin/sshd -t -f "$CFG" 2>> "$LOGF" || { tail_log "$LOGF"; die "sshd -t rejects $CFG"; }
    (
        close_fds
        clean_env
        cd /
        # not a process-group leader here, so setsid execs in place: $! is sshd's
        exec setsid /usr/sbin/sshd -D -e -f "$CFG"
    ) < /dev/null >> "$LOGF" 2>&1 &
    pid=$!
    for i in $(seq 1 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            if grep -q -i 'address already in use' "$LOGF"; then LAUNCH_RC=3; return 0; fi
            tail_log "$LOGF"
            die "sshd exited during start-up (log $LOGF)"
        fi
        ss -Htln "sport = :$PORT" | grep -q "127.0.0.1:$PORT " && [ -s "$PIDF" ] && break
        [ "$i" = 100 ] && { kill -TERM "$pid"; tail_log "$LOGF"; die "sshd did not listen on 127.0.0.1:$PORT within 10 s"; }
        sleep 0.1
    done
    PID=$(sshd_pid) || die "sshd's PidFile $PIDF does not name the sshd of $CFG"
    [ "$PID" = "$pid" ] || die "internal: sshd pid $PID is not the started $pid"
    LAUNCH_RC=0
}

verify() {
    local out argv bad
    read -ra argv <<< "$(ssh_argv)"
    "${argv[@]}" true < /dev/null || die "ssh with the key: 'true' failed"
    out=$("${argv[@]}" echo hi < /dev/null) || die "ssh with the key: 'echo hi' failed"
    [ "$out" = hi ] || die "ssh with the key: 'echo hi' printed '$out'"
    # without the key (no identity at all): refused
    if ssh -F /dev/null -p "$PORT" -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityFile=/dev/null \
        -o StrictHostKeyChecking=no -o UserKnownHostsFile="$XDIR/known_hosts" -o LogLevel=ERROR \
        root@127.0.0.1 true < /dev/null 2>/dev/null; then
        die "ssh without the key was let in"
    fi
    bad=$(ss -Htlnp 2>/dev/null | grep -F "pid=$PID," | awk '{print $4}' | grep -v "^127.0.0.1:$PORT$" || true)
    [ -z "$bad" ] || die "sshd listens outside 127.0.0.1:$PORT: $bad"
    log "sshd up on 127.0.0.1:$PORT (pid $PID): key login as root works (true, echo hi), no key is refused"
}

cmd_start() {
    local old=""
    need_root
    [ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd not found (package openssh-server); run scripts/install-deps.sh --test"
    prepare_dir "$DIR"
    [ -d /run/sshd ] || install -d -m 0755 /run/sshd
    [ -s "$STATE" ] && old=$(read_kv "$STATE" BS_SSH_PORT || true)
    if PID=$(sshd_pid); then
        PORT=$old
        log "sshd already running (pid $PID); re-checking"
        verify
        write_state
        return 0
    fi
    local t
    for t in 1 2 3 4 5 6; do
        if [ -n "${BS_TESTENV_SSH_PORT:-}" ]; then PORT=$BS_TESTENV_SSH_PORT
        elif [ -n "$old" ] && ! port_listening "$old"; then PORT=$old
        else PORT=$(free_port); fi
        old=""
        write_files
        launch
        [ "$LAUNCH_RC" = 0 ] && break
        warn "port $PORT taken meanwhile; retrying"
    done
    [ "$LAUNCH_RC" = 0 ] || die "sshd could not bind a port after 6 tries"
    write_state
    verify
}

cmd_stop() {
    local pid i
    pid=$(sshd_pid) || {
        [ -s "$PIDF" ] && log "stale $PIDF ($(cat "$PIDF")): dropped"
        rm -f "$PIDF"
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
        sshd_pid >/dev/null || break
        sleep 0.1
    done
    if sshd_pid >/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$PIDF"
    log "sshd stopped (pid $pid)"
}

case "$SUB" in
    start)  cmd_start ;;
    stop)   need_root; cmd_stop ;;
    env)    PID=$(sshd_pid) || die "sshd is not running in $DIR"; grep '^export ' "$STATE" ;;
    status) sshd_pid >/dev/null ;;
    *)      usage ;;
esac
