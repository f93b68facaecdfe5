# bash completion for barbican-status(1): commands, upgrade subcommands,
# options, the STEP of upgrade gate --before and the SERVICE of report
# --service. Self-contained: it works
# with or without the bash-completion package, which loads it on demand
# from its completions directory.

_barbican_status()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    # --name=VALUE: bash splits at '=' (COMP_WORDBREAKS)
    if [[ $cur == = ]]; then
        cur= prev=${COMP_WORDS[COMP_CWORD - 1]}
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi

    local steps="expand roll unpin migrate-data contract offline done"
    local services="barbican-api barbican-worker barbican-keystone-listener barbican-retry"
    local with_value="--config-file --config-dir --before --timeout --interval -n --iterations --dump --step-timeout --size --watch --service --proc --root --release --reason --until --confirm-step"

    case $prev in
        --config-file|--dump)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return 0 ;;
        --config-dir|--proc|--root)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            return 0 ;;
        --before|--until)
            mapfile -t COMPREPLY < <(compgen -W "$steps" -- "$cur")
            return 0 ;;
        --confirm-step)
            mapfile -t COMPREPLY < <(compgen -W "contract offline" -- "$cur")
            return 0 ;;
        --service)
            mapfile -t COMPREPLY < <(compgen -W "$services" -- "$cur")
            return 0 ;;
        --timeout|--interval|-n|--iterations|--step-timeout|--size|--watch|--release|--reason)
            COMPREPLY=()
            return 0 ;;
    esac

    # the command (and the upgrade subcommand) typed so far
    local i w cmd= sub=
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ $w == -* ]]; then
            [[ " $with_value " == *" $w "* && ${COMP_WORDS[i + 1]} != = ]] && ((i++))
            [[ ${COMP_WORDS[i + 1]} == = ]] && ((i += 2))
            continue
        fi
        if [[ -z $cmd ]]; then
            cmd=$w
        elif [[ $cmd == upgrade && -z $sub ]]; then
            sub=$w
        fi
    done

    local words=
    case $cmd in
        "") if [[ $cur == -* ]]; then
                words="--config-file --config-dir --help --version"
            else
                words="console upgrade nodes migrations journal report vouch"
            fi ;;
        upgrade)
            case $sub in
                "") if [[ $cur == -* ]]; then words="--json --help"; else words="check plan gate next run"; fi ;;
                check) words="--json --help" ;;
                plan) words="--json --watch --help" ;;
                gate) words="--before --json --help" ;;
                next) words="--dry-run --yes --confirm-step --timeout --confirm-unobservable --reason --take-over --help" ;;
                run) words="--until --dry-run --yes --timeout --confirm-unobservable --reason --take-over --help" ;;
            esac ;;
        console) words="--interval --readonly --iterations --dump --no-color --step-timeout --batch --size --help" ;;
        nodes|migrations|journal) words="--json --watch --help" ;;
        report) words="--service --json --proc --root --help" ;;
        vouch) words="--release --reason --yes --help" ;;
    esac
    # after the command, only options: no command takes other words
    if [[ $cmd && $cmd != vouch && ($cmd != upgrade || $sub) && $cur && $cur != -* ]]; then
        words=
    fi
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
    return 0
}

complete -F _barbican_status barbican-status
