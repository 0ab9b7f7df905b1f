#!/bin/bash
# The shell completions.  completions/relbuild.bash, sourced in a bare
# `bash --norc` (and again after bash-completion's own script, when it is
# installed), offers through the function `complete -p relbuild` names: the
# commands, a command's options, the environments and releases of
# rel/config.yml (or of --config's file), --color's words, directories for
# --root, tarballs and directories as operands, and the versions under
# --root for rollback.  completions/_relbuild parses under zsh, loads with
# compinit, and offers the same in a real completion on a zsh pseudo-
# terminal (zpty).
. "$(dirname "$0")/lib.sh"

BASH_COMP="$SRC_DIR/completions/relbuild.bash"
ZSH_DIR="$SRC_DIR/completions"
[ -f "$BASH_COMP" ] || fail "no $BASH_COMP"
[ -f "$ZSH_DIR/_relbuild" ] || fail "no $ZSH_DIR/_relbuild"

COMMANDS="appup build clean diff help init inspect install keygen list rollback systemd-unit verify"

# A project whose rel/config.yml has environments dev and prod, releases
# shop and admin, comments and nested keys that are no names; another
# file for --config; install roots; a tarball beside other files.
proj="$T/proj"
mkdir -p "$proj/rel" "$proj/roots/one/versions/0.1.0" "$proj/roots/one/versions/0.2.0" \
	"$proj/roots/one/versions/.tmp-x" "$proj/roots/two" "$proj/out"
cat >"$proj/rel/config.yml" <<'EOF'
# environments: not this line
default_environment: prod
environments:
  # a comment, not a name
  dev:
    dev_mode: true
    hooks:
      post_start: rel/hooks/post_start

  prod: { tar: false }
releases:
  shop:
    version: 0.1.0
  "admin":
    version: 0.2.0
EOF
cat >"$proj/other.yml" <<'EOF'
environments:
    staging: {}
releases:
    web: { version: 1.0.0 }
EOF
: >"$proj/shop-0.1.0.tar.gz"
: >"$proj/notes.txt"

# The driver: bash_complete MODE LINE prints, sorted, what the completion
# function offers for LINE with the cursor at its end, splitting words as
# readline does (an '=' is a word of its own, COMP_WORDBREAKS); MODE is
# plain or bash-completion (bash-completion's script sourced first).
cat >"$T/driver.sh" <<'EOF'
mode=$1
line=$2
if [ "$mode" = bash-completion ]; then
	. /usr/share/bash-completion/bash_completion || exit 3
fi
. "$BASH_COMP" || exit 3
spec=$(complete -p relbuild) || { echo "no completion registered for relbuild" >&2; exit 3; }
func=$(sed -n 's/.*-F \([^ ]*\).*/\1/p' <<<"$spec")
[ -n "$func" ] || { echo "no function in: $spec" >&2; exit 3; }
COMP_LINE=$line
COMP_POINT=${#line}
read -ra COMP_WORDS <<<"${line//=/ = }"
case $line in
*[[:space:]]) COMP_WORDS+=("") ;;
esac
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
"$func" relbuild "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}" | sort -u | sed '/^$/d'
EOF

# Words separated by spaces or newlines, sorted, on one line.
words_line() { tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' '; }

# expect_bash MODE "LINE" "WANT…": the offered names, sorted, equal WANT.
expect_bash() {
	got=$(cd "$proj" && BASH_COMP=$BASH_COMP bash --norc --noprofile "$T/driver.sh" "$1" "$2" 2>"$T/driver.err") ||
		fail "bash completion ($1) of '$2' exited $?: $(cat "$T/driver.err")"
	[ ! -s "$T/driver.err" ] || fail "bash completion ($1) of '$2' printed errors: $(cat "$T/driver.err")"
	got=$(words_line <<<"$got")
	want=$(words_line <<<"$3")
	assert_eq "$got" "$want" "bash ($1): relbuild completion of '$2'"
	pass "bash ($1): '$2' -> $got"
}

modes=plain
if [ -f /usr/share/bash-completion/bash_completion ]; then
	modes="plain bash-completion"
else
	log "note: bash-completion is not installed: its case is not run"
fi

for mode in $modes; do
	expect_bash "$mode" "relbuild " "$COMMANDS"
	expect_bash "$mode" "relbuild ver" "verify"
	expect_bash "$mode" "relbuild verify --" "--pubkey --json --help --quiet --verbose --color="
	expect_bash "$mode" "relbuild install --no" "--no-switch"
	expect_bash "$mode" "relbuild --env " "dev prod"
	expect_bash "$mode" "relbuild --env p" "prod"
	expect_bash "$mode" "relbuild --env=" "dev prod"
	expect_bash "$mode" "relbuild build --release " "admin shop"
	expect_bash "$mode" "relbuild --config other.yml --env " "staging"
	expect_bash "$mode" "relbuild clean --config=other.yml --release " "web"
	expect_bash "$mode" "relbuild --color=" "auto always never"
	expect_bash "$mode" "relbuild install --root " "out rel roots"
	expect_bash "$mode" "relbuild install --root roots/" "roots/one roots/two"
	expect_bash "$mode" "relbuild install --root roots/one " "out rel roots shop-0.1.0.tar.gz"
	expect_bash "$mode" "relbuild rollback --root roots/one " "0.1.0 0.2.0"
	expect_bash "$mode" "relbuild verify " "out rel roots shop-0.1.0.tar.gz"
done

# No completion at all when the file is broken is what a user would see:
# make sure a broken copy is caught by the driver (the test can fail).
sed 's/^complete -F _relbuild relbuild$//' "$BASH_COMP" >"$T/broken.bash"
if (cd "$proj" && BASH_COMP="$T/broken.bash" bash --norc --noprofile "$T/driver.sh" plain "relbuild ") \
	>/dev/null 2>&1; then
	fail "the driver accepted a completion file that registers nothing"
fi
pass "a completion file that registers nothing is caught"

### zsh
if ! command -v zsh >/dev/null; then
	log "note: zsh is not installed: its cases are not run"
	exit 0
fi
zsh -n "$ZSH_DIR/_relbuild" || fail "zsh -n completions/_relbuild"
pass "zsh -n completions/_relbuild"

out=$(cd "$proj" && zsh -f -c '
	fpath=("$1" $fpath)
	autoload -U compinit && compinit -u -D
	[[ $_comps[relbuild] == _relbuild ]] || { print "compinit: relbuild -> ${_comps[relbuild]:-nothing}"; exit 1 }
	autoload +X _relbuild || exit 1
	(( $+functions[_relbuild] )) || { print "_relbuild is not defined"; exit 1 }
	print defined' zsh "$ZSH_DIR" 2>&1) || fail "zsh: loading _relbuild: $out"
assert_eq "$out" "defined" "zsh: compinit and autoload of _relbuild"
pass "zsh: compinit maps relbuild to _relbuild, which loads"

# capture.zsh DIR LINE: what zsh's completion system offers for LINE then
# TAB, with DIR on fpath, on a pseudo-terminal: compadd is wrapped to print
# each match as "MATCH:name" as well as add it (so that _files' fallbacks
# run only when they would), after Valodim's zsh-capture-completion, and
# the shell exits once the completion is done.
cat >"$T/capture.zsh" <<'EOF'
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z 'PROMPT= RPROMPT= PS2='
zpty -w z "fpath=(${(q)1} \$fpath)"
zpty -w z 'autoload -U compinit && compinit -u -D'
zpty -w z 'bindkey "^I" complete-word'
zpty -w z 'comppostfuncs=( exit )'
zpty -w z 'zstyle ":completion:*" insert-tab false'
zpty -w z 'compadd () {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"
    return $?
  fi
  typeset -a __hits
  builtin compadd -A __hits "$@"
  (( $#__hits )) && print -rl -- "" "MATCH:"${^__hits}
  builtin compadd "$@"
}'
zpty -w z "$2"$'\t'
while zpty -r z; do :; done
EOF

expect_zsh() {
	got=$(cd "$proj" && timeout -k 5 120 zsh -f "$T/capture.zsh" "$ZSH_DIR" "$1" 2>&1 |
		tr -d '\r\000' | sed -n 's/^MATCH://p' | sort -u | words_line)
	want=$(words_line <<<"$2")
	assert_eq "$got" "$want" "zsh: relbuild completion of '$1'"
	pass "zsh: '$1' -> $got"
}

expect_zsh "relbuild " "$COMMANDS"
expect_zsh "relbuild ver" "verify"
expect_zsh "relbuild verify --" "--pubkey --json --help --quiet --verbose --color"
expect_zsh "relbuild --env " "dev prod"
expect_zsh "relbuild --config other.yml --env " "staging"
expect_zsh "relbuild clean --release " "admin shop"
expect_zsh "relbuild --color=" "auto always never"
expect_zsh "relbuild install --root " "out rel roots"
expect_zsh "relbuild rollback --root roots/one " "0.1.0 0.2.0"
expect_zsh "relbuild verify " "out rel roots shop-0.1.0.tar.gz"
