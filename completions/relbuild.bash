# bash completion for relbuild(1)                          -*- shell-script -*-
#
# The commands; each command's options (relbuild(1)); the environment and
# release names of rel/config.yml (or of the file --config names) for --env
# and --release; --color's words; directories for --root; files for the
# tarballs, directories, keys and paths the commands take; the versions
# under --root for rollback.  Plain bash: bash-completion is not needed.

_relbuild_commands='build init appup verify install rollback list keygen inspect diff clean systemd-unit'

# The options of a command (build's when none was given), then the
# options every command takes.
_relbuild_options()
{
	case $1 in
	build) echo '--env --release --config --no-tar --dev --sign --upgrade --upfrom --strict -j --jobs --executable --json' ;;
	init) echo '--name --force' ;;
	appup) echo '--app --upfrom --env --release --config --force' ;;
	verify | inspect) echo '--pubkey --json' ;;
	install) echo '--root --pubkey --sha256 --keep --force --no-switch --max-entries --max-bytes --max-file-bytes --json' ;;
	rollback) echo '--root --force --json' ;;
	list) echo '--root --no-verify --json' ;;
	keygen) echo '--out' ;;
	diff) echo '--json' ;;
	clean) echo '--all --env --release --config' ;;
	systemd-unit) echo '--env --release --config --out' ;;
	esac
	echo '-h --help -q --quiet -v --verbose --color='
}

# Whether an option takes its value as the next word.
_relbuild_takes_value()
{
	case $1 in
	--env | --release | --config | --sign | --upfrom | -j | --jobs | --name | --app | \
		--pubkey | --root | --sha256 | --keep | --max-entries | --max-bytes | \
		--max-file-bytes | --out) return 0 ;;
	esac
	return 1
}

# The keys of the top-level mapping $1 (environments, releases) of the
# YAML file $2: the keys of its first level of indentation.  A plain read
# for completion, not a YAML parser: block style only, comments skipped.
_relbuild_config_keys()
{
	[[ -r $2 ]] || return 0
	awk -v want="$1" '
		/^[ \t]*(#|$)/ { next }
		/^[^ \t]/ {
			inblock = ($0 ~ ("^" want "[ \t]*:[ \t]*(#.*)?$"))
			indent = ""
			next
		}
		inblock {
			match($0, /^[ \t]+/)
			lead = substr($0, 1, RLENGTH)
			if (indent == "")
				indent = lead
			if (lead != indent)
				next
			key = substr($0, RLENGTH + 1)
			if (key ~ /^-/)
				next
			sub(/[ \t]*:([ \t].*)?$/, "", key)
			gsub(/^["\047]|["\047]$/, "", key)
			if (key != "")
				print key
		}' "$2" 2>/dev/null
}

# The configuration file: --config's value on the line, else rel/config.yml.
_relbuild_config_file()
{
	local i file=rel/config.yml
	for ((i = 1; i < ${#words[@]}; i++)); do
		case ${words[i]} in
		--config=*) file=${words[i]#--config=} ;;
		--config) ((i + 1 != cword)) && [[ -n ${words[i + 1]-} ]] && file=${words[i + 1]} ;;
		esac
	done
	# shellcheck disable=SC2088 # the word as typed: bash has not expanded it
	[[ $file == '~/'* ]] && file=$HOME/${file#'~/'}
	printf '%s\n' "$file"
}

# The value of --root on the line, if any.
_relbuild_root()
{
	local i root=''
	for ((i = 1; i < ${#words[@]}; i++)); do
		case ${words[i]} in
		--root=*) root=${words[i]#--root=} ;;
		--root) ((i + 1 != cword)) && root=${words[i + 1]-} ;;
		esac
	done
	# shellcheck disable=SC2088 # the word as typed: bash has not expanded it
	[[ $root == '~/'* ]] && root=$HOME/${root#'~/'}
	printf '%s\n' "$root"
}

# COMPREPLY from a list of words, one a line, that start with $2.
_relbuild_reply_words()
{
	local w
	while IFS= read -r w; do
		[[ -n $w && $w == "$2"* ]] && COMPREPLY+=("$w")
	done <<<"$1"
}

_relbuild_reply_files()
{
	compopt -o filenames 2>/dev/null
	local f
	while IFS= read -r f; do
		[[ -n $f ]] && COMPREPLY+=("$f")
	done < <(compgen "$1" -- "$2")
}

# Tarballs and directories (which may hold them, or be a release).
_relbuild_reply_tarballs()
{
	compopt -o filenames 2>/dev/null
	local f
	while IFS= read -r f; do
		[[ -z $f ]] && continue
		if [[ -d $f ]]; then
			COMPREPLY+=("$f")
		else
			case $f in
			*.tar | *.tar.gz | *.tgz | *.tar.zst) COMPREPLY+=("$f") ;;
			esac
		fi
	done < <(compgen -f -- "$1")
}

# Application names: those compiled under _build/, deps/ or ebin/.
_relbuild_apps()
{
	local f
	for f in _build/*/lib/*/ebin/*.app deps/*/ebin/*.app ebin/*.app apps/*/src/*.app.src src/*.app.src; do
		[[ -e $f ]] || continue
		f=${f##*/}
		printf '%s\n' "${f%%.app*}"
	done | sort -u
}

# The value $2 of option $1.
_relbuild_value()
{
	case $1 in
	--env) _relbuild_reply_words "$(_relbuild_config_keys environments "$(_relbuild_config_file)")" "$2" ;;
	--release) _relbuild_reply_words "$(_relbuild_config_keys releases "$(_relbuild_config_file)")" "$2" ;;
	--color) _relbuild_reply_words $'auto\nalways\nnever' "$2" ;;
	--root) _relbuild_reply_files -d "$2" ;;
	--app) _relbuild_reply_words "$(_relbuild_apps)" "$2" ;;
	--upfrom) _relbuild_reply_tarballs "$2" ;;
	--config | --sign | --pubkey | --out) _relbuild_reply_files -f "$2" ;;
	esac
}

# words and cword from COMP_WORDS and COMP_CWORD with "--opt" "=" "value"
# (COMP_WORDBREAKS holds '=') joined back into one word "--opt=value".
_relbuild_join_words()
{
	local i w n
	words=()
	cword=0
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		n=${#words[@]}
		if ((n > 0)) && [[ ${words[n - 1]} == --* ]] &&
			{ [[ $w == = && ${words[n - 1]} != *=* ]] ||
				[[ ${words[n - 1]} == --*= && $w != = ]]; }; then
			words[n - 1]+=$w
		else
			words+=("$w")
		fi
		((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
	done
	# The cursor after a space: a new, empty word.
	((COMP_CWORD >= ${#COMP_WORDS[@]})) && { words+=(""); cword=$((${#words[@]} - 1)); }
	return 0
}

_relbuild()
{
	local words cword
	_relbuild_join_words
	local cur=${words[cword]-} prev='' cmd='' i w dashdash=''
	((cword > 0)) && prev=${words[cword - 1]}
	COMPREPLY=()

	# The command: the first word that is neither an option nor an
	# option's value (without one, build).
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if [[ $w == -- ]]; then
			dashdash=1
			break
		elif [[ $w == -* ]]; then
			_relbuild_takes_value "$w" && ((i++))
		else
			cmd=$w
			break
		fi
	done
	if [[ -n $cmd ]]; then
		for ((i++; i < cword; i++)); do
			[[ ${words[i]} == -- ]] && dashdash=1
		done
	fi

	# An option's value: "--opt=VALUE" or "--opt VALUE".
	if [[ -z $dashdash ]]; then
		if [[ $cur == --*=* ]]; then
			local opt=${cur%%=*} val=${cur#*=} before=''
			# Without '=' in COMP_WORDBREAKS the whole word is replaced.
			[[ $COMP_WORDBREAKS == *=* ]] || before=$opt=
			_relbuild_value "$opt" "$val"
			if [[ -n $before ]]; then
				for i in "${!COMPREPLY[@]}"; do
					COMPREPLY[i]=$before${COMPREPLY[i]}
				done
			fi
			return 0
		fi
		if _relbuild_takes_value "$prev"; then
			_relbuild_value "$prev" "$cur"
			return 0
		fi
		if [[ $cur == -* ]]; then
			local opts
			opts=$(_relbuild_options "${cmd:-build}")
			[[ -z $cmd ]] && opts+=$'\n--version'
			_relbuild_reply_words "$(tr ' ' '\n' <<<"$opts")" "$cur"
			# "--color=": the value comes next, without a space.
			((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *= ]] &&
				compopt -o nospace 2>/dev/null
			return 0
		fi
	fi

	if [[ -z $cmd && -z $dashdash ]]; then
		_relbuild_reply_words "$(tr ' ' '\n' <<<"$_relbuild_commands help")" "$cur"
		return 0
	fi

	case $cmd in
	verify | inspect | diff) _relbuild_reply_tarballs "$cur" ;;
	install) _relbuild_reply_tarballs "$cur" ;;
	rollback)
		local root
		root=$(_relbuild_root)
		if [[ -n $root && -d $root/versions ]]; then
			_relbuild_reply_words "$(cd "$root/versions" && compgen -d -- "$cur" | grep -v '^\.')" "$cur"
		fi
		;;
	esac
	return 0
}

complete -F _relbuild relbuild
