# bash completion for rpolc
_rpolc()
{
  local cur prev cmd
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD-1]}
  cmd=${COMP_WORDS[1]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "check build eval test fmt bench help --version --help" -- "$cur"))
    return
  fi
  case $prev in
    -o) COMPREPLY=($(compgen -f -X '!*.so' -- "$cur") $(compgen -d -- "$cur")); return ;;
    --extern-lib) COMPREPLY=($(compgen -f -X '!*.so' -- "$cur") $(compgen -d -- "$cur")); return ;;
    --locale) COMPREPLY=($(compgen -W "en de fr it es nl pl sv pt-BR ja ko zh" -- "$cur")); return ;;
    --repeat) return ;;
  esac
  local flags=""
  case $cmd in
    check) flags="--help" ;;
    build) flags="-o --emit=so --emit=obj --emit=asm --emit=llvm --help" ;;
    eval) flags="--explain --locale --extern-lib --interp --no-cache --help" ;;
    test) flags="--coverage --coverage=json --interp --extern-lib --no-cache --help" ;;
    fmt) flags="--check - --help" ;;
    bench) flags="--repeat --interp --extern-lib --baseline --no-cache --help" ;;
    help) COMPREPLY=($(compgen -W "check build eval test fmt bench" -- "$cur")); return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -X '!*.@(rpol|so|jsonl|json)' -- "$cur") $(compgen -d -- "$cur"))
  fi
}
complete -o filenames -F _rpolc rpolc
