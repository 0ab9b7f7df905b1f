#!/bin/bash
# ${VAR} in sys.config gets its value written as the place it stands in
# needs (issue 9, item 7): escaped inside a string "…" (a charlist or a
# binary <<"…">>) and inside a quoted atom '…', as it is where a term
# stands ({port, ${PORT}} an integer).  On examples/counter with a
# sys_config: that has all of these, plus a placeholder in a % comment
# after a term, % and quotes inside strings, a string over three lines and
# $" $' $% character literals, the node started with values holding " \ '
# % } ] a newline, a tab and a literal ${…} returns, over rpc, exactly the
# bytes it was given (a default in a string is escaped the same way); so
# does `eval` (which renders sys.config itself) under
# every awk found here (mawk, gawk, original-awk, busybox awk), and each
# renders the same bytes.  vm.args keeps the value as it is.  An unset
# variable without a default still stops start naming it, the file and
# the line; one in a comment is not needed.
. "$(dirname "$0")/lib.sh"

export COUNTER_COOKIE=sys-config-escape-cookie

### the project

proj="$T/proj"
copy_example counter "$proj"
cat >"$proj/rel/sys.config" <<'EOF'
%% a comment line keeps ${ESC_UNSET} as written
[{counter,
  [{str, "${ESC_V}"},    % after a term: ${ESC_UNSET} " ' is a comment
   {bin, <<"${ESC_V}">>},
   {atom, '${ESC_V}'},
   {term, ${ESC_TERM}}, {after_term, "${ESC_V}"},
   {port, ${ESC_PORT:-4040}},
   {mixed, "<${ESC_V}|${ESC_DEF:-d'e\f}>"},
   {pct, "100% ${ESC_V}"},
   {multi, "first line
% inside the string, not a comment: ${ESC_V}
last"},
   {chars, [$", $', $%, $\", $\\]}, {after_chars, "${ESC_V}"},
   {kept, "\${ESC_V}"},
   {req, '${ESC_REQ}'}]}].
EOF
cat >"$proj/rel/vm.args" <<'EOF'
-escape_raw ${ESC_RAW}
EOF
printf '%s\n' "    vm_args: rel/vm.args" "    sys_config: rel/sys.config" >>"$proj/rel/config.yml"
compile_rebar3 "$proj"
build_release "$proj" --env prod
vsn=$(cut -d' ' -f2 "$proj/_build/prod/rel/counter/releases/start_erl.data")
tarball="$proj/_build/prod/rel/counter/releases/$vsn/counter.tar.gz"
rel="$T/rel"
mkdir "$rel" || fail "mkdir $rel"
tar -xzf "$tarball" -C "$rel" || fail "tar cannot unpack $tarball"
track_release "$rel"
pass "built and unpacked counter $vsn with \${VAR} in strings, a binary, an atom and terms"

### the values: each special character of a string, an atom and a term

NL='
'
TAB=$(printf '\t')
ESC_V="say \"hi\" \\ it's 100% {a}]}${NL}${TAB}end \${ESC_NOPE} \\n\\"
ESC_TERM="{\"q\\\"t\", 'a b', [1,2]}"
ESC_RAW="x}%y"
VALS=("ESC_V=$ESC_V" "ESC_TERM=$ESC_TERM" "ESC_PORT=8080" "ESC_REQ=r'q" "ESC_RAW=$ESC_RAW")

# ectl ROOT ARGS…: lib.sh's ctl, with the environment VALS (values with
# spaces and newlines, which EXTRA_ENV cannot carry) and AWK_DIR first on
# PATH when set.
ectl() {
	root=$1
	shift
	timeout -k 10 "$CTL_TIMEOUT" env -i PATH="${AWK_DIR:+$AWK_DIR:}/usr/bin:/bin" \
		HOME="$HOME" ERL_EPMD_PORT="$ERL_EPMD_PORT" "${VALS[@]}" "$root/bin/counter" "$@"
}

# hex TEXT: its bytes in upper-case hex, as binary:encode_hex writes them
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F; }

# The bytes of each setting, hex, joined by "-", in one binary (one line).
KEYS="str bin atom after_term mixed pct multi after_chars kept req"
HEX_EXPR="H = fun(K) -> {ok, V} = application:get_env(counter, K),
	binary:encode_hex(if is_atom(V) -> atom_to_binary(V); true -> iolist_to_binary(V) end) end,
	iolist_to_binary(lists:join(<<\"-\">>, [H(K) || K <- [${KEYS// /, }]]))."
want_bytes() {
	for k in $KEYS; do
		case $k in
		str | bin | atom | after_term | after_chars) hex "$ESC_V" ;;
		mixed) hex "<$ESC_V|d'e\\f>" ;;
		pct) hex "100% $ESC_V" ;;
		multi) hex "first line$NL% inside the string, not a comment: $ESC_V${NL}last" ;;
		kept) hex "\${ESC_V}" ;;
		req) hex "r'q" ;;
		esac
		printf '%s' -
	done | sed 's/-$//'
}
WANT="<<\"$(want_bytes)\">>"

# check_settings WHAT OUT: OUT is what HEX_EXPR printed
check_settings() {
	[ "$2" = "$WANT" ] || {
		log "keys: $KEYS"
		fail "$1: the settings' bytes differ: expected $WANT, got $2"
	}
}

### start, read back over rpc

out=$(ectl "$rel" start 2>&1) || fail "start exited $?: $out"
out=$(ectl "$rel" rpc "$HEX_EXPR" 2>&1) || fail "rpc exited $?: $out"
check_settings "start (awk $(readlink -f "$(command -v awk)"))" "$out"
out=$(ectl "$rel" rpc 'application:get_env(counter, term).' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "{ok,{\"q\\\"t\",'a b',[1,2]}}" "{term, \${ESC_TERM}}: the value as it is, a term"
out=$(ectl "$rel" rpc 'application:get_env(counter, port).' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "{ok,8080}" "{port, \${ESC_PORT:-4040}}: an integer"
out=$(ectl "$rel" rpc 'application:get_env(counter, chars).' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "{ok,\"\\\"'%\\\"\\\\\"}" "the character literals"
out=$(ectl "$rel" rpc 'init:get_argument(escape_raw).' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "{ok,[[\"$ESC_RAW\"]]}" "vm.args: -escape_raw \${ESC_RAW} as it is"
conf="$rel/tmp/$vsn/sys.config"
[ -f "$conf" ] || fail "no rendered $conf"
grep -q -F '% after a term: ${ESC_UNSET} " '"'"' is a comment' "$conf" ||
	fail "the comment after a term changed: $(sed -n 3p "$conf")"
head -n 1 "$conf" | grep -q -F '${ESC_UNSET}' || fail "the comment line changed: $(head -n 1 "$conf")"
rpid=$(ectl "$rel" pid) || fail "pid exited $?"
out=$(ectl "$rel" stop 2>&1) || fail "stop exited $?: $out"
wait_gone "$rpid" || fail "the node (pid $rpid) still runs after stop"
pass "start: strings, binary and atom hold the values' exact bytes (\" \\ ' % } ] newline tab \${…}); terms as written; comments left; vm.args as it is"

### eval under every awk here

awks=""
for a in awk mawk gawk original-awk nawk busybox; do
	p=$(command -v "$a") || continue
	d="$T/awk-$a"
	mkdir -p "$d"
	if [ "$a" = busybox ]; then
		"$p" awk 'BEGIN { exit 0 }' 2>/dev/null || continue
		printf '#!/bin/sh\nexec %s awk "$@"\n' "$p" >"$d/awk"
		chmod +x "$d/awk"
	else
		ln -s "$p" "$d/awk"
	fi
	# eval's node has the configuration, the application not loaded
	out=$(AWK_DIR=$d ectl "$rel" eval "ok = application:load(counter), $HEX_EXPR" 2>&1) ||
		fail "eval under $a exited $?: $out"
	check_settings "eval under $a" "$out"
	cp "$conf" "$T/rendered-$a" || fail "no $conf after eval under $a"
	cmp -s "$T/rendered-awk" "$T/rendered-$a" ||
		fail "$a renders sys.config otherwise than awk: $(diff "$T/rendered-awk" "$T/rendered-$a")"
	awks="$awks $a"
done
case $awks in
*" "?*" "?*) ;;
*) fail "fewer than two awks to run here:$awks" ;;
esac
pass "eval: the same bytes, and the same rendered sys.config, under$awks"

### an unset variable without a default

VALS=("ESC_V=$ESC_V" "ESC_TERM=$ESC_TERM" "ESC_RAW=$ESC_RAW")
line=$(grep -n -F '${ESC_REQ}' "$proj/rel/sys.config" | cut -d: -f1)
out=$(ectl "$rel" start 2>&1)
st=$?
[ $st -ne 0 ] && [ $st -ne 124 ] || fail "start without ESC_REQ exited $st: $out"
assert_contains "$out" "releases/$vsn/sys.config:$line: environment variable ESC_REQ is not set" \
	"start without ESC_REQ"
out=$(ectl "$rel" ping 2>&1) && fail "start without ESC_REQ: the node answers: $out"
out=$(ectl "$rel" eval '1.' 2>&1)
st=$?
[ $st -ne 0 ] && [ $st -ne 124 ] || fail "eval without ESC_REQ exited $st: $out"
assert_contains "$out" "environment variable ESC_REQ is not set" "eval without ESC_REQ"
pass "ESC_REQ unset: start and eval fail naming sys.config:$line and ESC_REQ; no node"
