#!/bin/bash
# The documentation agrees with the tool.
# (a) scdoc turns doc/relbuild.1.scd and doc/relbuild-config.5.scd into
#     roff without a complaint, man(1) renders both without one, with
#     their sections (a failure here ends the test at once);
#     relbuild-config(5) documents exactly the keys src/config.c accepts
#     (its tables top_keys, settings_keys and release_keys).
# (b) For every command `relbuild --help` lists, the options
#     `relbuild CMD --help` prints, the options of its subsection in
#     relbuild(1) and those of its section in README.md are the same, and
#     so are the commands; the options every command takes are printed by
#     each CMD --help, and relbuild(1) and README.md list the same ones.
# Every difference in the keys, the commands and the options is printed,
# then the test fails.
#
# Where the options are read (an option is its long name, with its short
# letter when it has one: "--jobs/-j"):
# - CMD --help: the lines after "options:" that start with two spaces and
#   "-x, --name" or "--name"; the label ends at two spaces in a row.
# - relbuild(1): in doc/relbuild.1.scd, the terms of scdoc's definitions
#   (a line that starts with "*-", such as "*-j*, *--jobs* _N_" or
#   "*--pubkey* _PUB.pem_", followed by a tab-indented line) under the
#   heading "## relbuild CMD", and under "# COMMON OPTIONS" the common ones.
# - README.md: under the heading "### relbuild CMD" (up to the next
#   heading of level 1 to 3, fenced code skipped), the rows of a table
#   whose header's first cell is "Option": the options of the row's first
#   cell ("`-j N`, `--jobs N`"); under "### Common options" the common ones.
# The common options (--help, --quiet, --verbose, --color) are compared on
# their own, and left out of each command's set wherever they appear.
# `relbuild --help` lists the commands one a line, indented, after a line
# "commands:" and up to a blank line; "help" there is not a command of its
# own.
#
# Skipped (77) only when scdoc or man is missing.
. "$(dirname "$0")/lib.sh"

for tool in scdoc man; do
	command -v "$tool" >/dev/null || { log "SKIP: $tool is not installed"; exit 77; }
done

PAGE_SRC="$SRC_DIR/doc/relbuild.1.scd"
CONFIG_SRC="$SRC_DIR/doc/relbuild-config.5.scd"
README="$SRC_DIR/README.md"
CONFIG_C="$SRC_DIR/src/config.c"
for f in "$PAGE_SRC" "$CONFIG_SRC" "$README" "$CONFIG_C"; do
	[ -f "$f" ] || fail "no $f"
done

### (a) the pages are made and rendered

# render SCD NAME: scdoc, then man -l, into $T/NAME (roff) and $T/NAME.txt
render() {
	scdoc <"$1" >"$T/$2" 2>"$T/scdoc.err" || fail "scdoc rejects $1: $(cat "$T/scdoc.err")"
	[ ! -s "$T/scdoc.err" ] || fail "scdoc complains about $1: $(cat "$T/scdoc.err")"
	MANWIDTH=80 MANPAGER=cat PAGER=cat LC_ALL=C.UTF-8 man -l "$T/$2" >"$T/$2.raw" 2>"$T/man.err" ||
		fail "man -l $2 exited $?: $(cat "$T/man.err")"
	[ ! -s "$T/man.err" ] || fail "man -l $2 complains: $(cat "$T/man.err")"
	if command -v col >/dev/null; then
		col -bx <"$T/$2.raw" >"$T/$2.txt"
	else
		cp "$T/$2.raw" "$T/$2.txt"
	fi
	[ -s "$T/$2.txt" ] || fail "man -l $2 printed nothing"
	pass "scdoc and man -l render $2"
}

# has_line FILE LINE WHAT: FILE has LINE, whole
has_line() {
	grep -qxF -- "$2" "$1" || fail "$3: no line '$2' in the rendered page"
}

render "$PAGE_SRC" relbuild.1
for h in NAME SYNOPSIS DESCRIPTION COMMANDS "COMMON OPTIONS" ENVIRONMENT FILES \
	"EXIT STATUS" "SEE ALSO"; do
	has_line "$T/relbuild.1.txt" "$h" "relbuild(1) section"
done
for c in build init appup verify install rollback list keygen inspect diff clean systemd-unit; do
	has_line "$T/relbuild.1.txt" "   relbuild $c" "relbuild(1) subsection"
done
for v in NO_COLOR SOURCE_DATE_EPOCH CI; do
	has_line "$T/relbuild.1.txt" "       $v" "relbuild(1) ENVIRONMENT entry"
done
for s in "--pubkey PUB.pem" "relbuild-config(5)"; do
	grep -qF -- "$s" "$T/relbuild.1.txt" || fail "relbuild(1) does not say '$s'"
done
pass "relbuild(1) has its sections, a subsection per command, the environment, --pubkey"

render "$CONFIG_SRC" relbuild-config.5
for h in NAME SYNOPSIS DESCRIPTION "TOP LEVEL" "RELEASE KEYS" SETTINGS \
	"ENVIRONMENTS OVERRIDE RELEASES" ERRORS "SEE ALSO"; do
	has_line "$T/relbuild-config.5.txt" "$h" "relbuild-config(5) section"
done
grep -qF "relbuild(1)" "$T/relbuild-config.5.txt" || fail "relbuild-config(5) does not name relbuild(1)"
pass "relbuild-config(5) has its sections"

DIFFERENT=0
# differ WHAT LABEL1 FILE1 LABEL2 FILE2 …: each line not in every FILE,
# with where it is missing.
differ() {
	what=$1
	shift
	args=("$@")
	files=()
	for ((i = 1; i < ${#args[@]}; i += 2)); do
		files+=("${args[i]}")
	done
	while IFS= read -r entry; do
		[ -n "$entry" ] || continue
		missing=""
		for ((i = 0; i < ${#args[@]}; i += 2)); do
			grep -qxF -- "$entry" "${args[i + 1]}" || missing="$missing, ${args[i]}"
		done
		if [ -n "$missing" ]; then
			log "$what: $entry: missing from ${missing#, }"
			DIFFERENT=1
		fi
	done < <(sort -u "${files[@]}")
}

# The keys the parser accepts: the strings of config.c's tables top_keys,
# settings_keys and release_keys.
awk '
	/static const char \*const (top|settings|release)_keys\[\]/ { on = 1 }
	on {
		line = $0
		while (match(line, /"[^"]*"/)) {
			print substr(line, RSTART + 1, RLENGTH - 2)
			line = substr(line, RSTART + RLENGTH)
		}
		if ($0 ~ /NULL|};/)
			on = 0
	}' "$CONFIG_C" | sort -u >"$T/keys.c"
[ "$(wc -l <"$T/keys.c")" -ge 20 ] ||
	fail "cannot read the key tables (top_keys, settings_keys, release_keys) of $CONFIG_C: $(tr '\n' ' ' <"$T/keys.c")"
# The keys the page defines: "*key*" alone on a line, its definition on
# the tab-indented lines below, in those sections.
awk '
	/^```/ { fence = !fence; next }
	fence { next }
	/^#/ { on = ($0 == "# TOP LEVEL" || $0 == "# RELEASE KEYS" || $0 == "# SETTINGS"); prev = ""; next }
	on && /^\t/ && prev ~ /^\*[a-z_]+\*$/ { gsub(/\*/, "", prev); print prev }
	{ prev = $0 }' "$CONFIG_SRC" | sort -u >"$T/keys.page"
differ "configuration keys" "src/config.c" "$T/keys.c" "relbuild-config(5)" "$T/keys.page"
cmp -s "$T/keys.c" "$T/keys.page" &&
	pass "relbuild-config(5) documents the $(wc -l <"$T/keys.c") keys src/config.c accepts, and no other"

### (b) --help, relbuild(1) and README.md list the same options

# Each reader prints one option a line: "--long/-s" or "--long" (or "-s").
# The option names of a label ("-j, --jobs N", "--color=WHEN"): shared by
# the three readers.
LABEL_AWK='
function label(s,    n, i, t, toks, long, short) {
	gsub(/[`*_,]/, " ", s)
	n = split(s, toks, /[ \t]+/)
	for (i = 1; i <= n; i++) {
		t = toks[i]
		if (t ~ /^--[A-Za-z0-9]/ && long == "") {
			sub(/[=[].*/, "", t)
			long = t
		} else if (t ~ /^-[A-Za-z0-9]$/ && short == "")
			short = t
	}
	if (long != "")
		print long (short != "" ? "/" short : "")
	else if (short != "")
		print short
}'

# help_opts FILE: the option lines after "options:" in a --help text
help_opts() {
	awk "$LABEL_AWK"'
		/^options:/ { on = 1; next }
		on && /^[^ \t]/ { on = 0 }
		on && /^  -/ {
			s = substr($0, 3)
			if (match(s, /  /))
				s = substr(s, 1, RSTART - 1)
			label(s)
		}' "$1" | sort -u
}

# page_opts HEADING: the option terms under "HEADING" in relbuild.1.scd
page_opts() {
	awk -v want="$1" "$LABEL_AWK"'
		/^```/ { fence = !fence; next }
		fence { next }
		/^#/ { on = ($0 == want); prev = ""; next }
		on && /^\t/ && prev ~ /^\*-/ { label(prev) }
		{ prev = $0 }' "$PAGE_SRC" | sort -u
}

# readme_opts HEADING: the first cells of the Option tables under HEADING
readme_opts() {
	awk -v want="$1" "$LABEL_AWK"'
		/^(```|~~~)/ { fence = !fence; next }
		fence { next }
		/^#/ {
			match($0, /^#+/)
			if (RLENGTH <= 3) { on = ($0 == want); table = 0 }
			next
		}
		!on { next }
		!/^\|/ { table = 0; next }
		{
			line = $0
			gsub(/\\\|/, "", line)
			split(line, cell, "|")
			if (cell[2] ~ /^[ \t]*Option[ \t]*$/) { table = 1; next }
			if (cell[2] ~ /^[ \t:-]*$/) next
			if (table) label(cell[2])
		}' "$README" | sort -u
}

# page_commands / readme_commands: the CMD of every "## relbuild CMD" /
# "### relbuild CMD" heading
page_commands() {
	sed -n 's/^## relbuild \([^ ]*\)$/\1/p' "$PAGE_SRC" | sort -u
}
readme_commands() {
	awk '/^(```|~~~)/ { fence = !fence; next }
		!fence && /^### relbuild [^ ]+$/ { print $3 }' "$README" | sort -u
}

"$RELBUILD" --help >"$T/help" 2>"$T/help.err" || fail "relbuild --help exited $?: $(cat "$T/help.err")"
awk '/^commands:/ { on = 1; next }
	on && /^[ \t]*$/ { on = 0 }
	on && /^  [a-z]/ { print $1 }' "$T/help" | grep -vx help | sort -u >"$T/cmds.help"
[ -s "$T/cmds.help" ] || fail "relbuild --help lists no commands (after a line 'commands:'): $(cat "$T/help")"
page_commands >"$T/cmds.page"
readme_commands >"$T/cmds.readme"
differ "commands" "relbuild --help" "$T/cmds.help" "relbuild(1)" "$T/cmds.page" \
	"README.md" "$T/cmds.readme"

page_opts "# COMMON OPTIONS" >"$T/common.page"
readme_opts "### Common options" >"$T/common.readme"
[ -s "$T/common.page" ] || fail "relbuild(1) has no options under '# COMMON OPTIONS'"
differ "common options" "relbuild(1) COMMON OPTIONS" "$T/common.page" \
	"README.md Common options" "$T/common.readme"
# The long names of the common options, to leave out of each command's set.
sed 's,/.*,,' "$T/common.page" | sort -u >"$T/common.long"
own() { awk -F/ 'NR == FNR { common[$1]; next } !($1 in common)' "$T/common.long" -; }
common_of() { awk -F/ 'NR == FNR { common[$1]; next } ($1 in common)' "$T/common.long" -; }

while IFS= read -r cmd; do
	if ! "$RELBUILD" "$cmd" --help >"$T/help.$cmd" 2>"$T/help.err"; then
		log "relbuild $cmd --help exited non-zero: $(cat "$T/help.err")"
		DIFFERENT=1
	fi
	help_opts "$T/help.$cmd" >"$T/all.$cmd"
	if [ ! -s "$T/all.$cmd" ]; then
		log "relbuild $cmd --help prints no options (after a line 'options:')"
		DIFFERENT=1
	fi
	common_of <"$T/all.$cmd" >"$T/common.help.$cmd"
	differ "relbuild $cmd --help, common options" "relbuild $cmd --help" "$T/common.help.$cmd" \
		"relbuild(1) COMMON OPTIONS" "$T/common.page"
	own <"$T/all.$cmd" >"$T/opts.help.$cmd"
	page_opts "## relbuild $cmd" | own >"$T/opts.page.$cmd"
	readme_opts "### relbuild $cmd" | own >"$T/opts.readme.$cmd"
	differ "relbuild $cmd" "relbuild $cmd --help" "$T/opts.help.$cmd" \
		"relbuild(1)" "$T/opts.page.$cmd" "README.md" "$T/opts.readme.$cmd"
	log "relbuild $cmd: $(tr '\n' ' ' <"$T/opts.help.$cmd")"
done <"$T/cmds.help"

[ "$DIFFERENT" = 0 ] || fail "the documentation and the tool differ (above)"
pass "--help, relbuild(1) and README.md agree on $(wc -l <"$T/cmds.help") commands and their options"
