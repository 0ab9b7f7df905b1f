#!/bin/sh
RB_RUN_SHA256='@SHA256@'
# A self-extracting OTP release, written by relbuild --executable: this
# POSIX sh header, then the release's tarball exactly as relbuild wrote it
# (releases/<vsn>/<name>-<vsn>.tar.gz), from byte RB_RUN_HEADER_SIZE + 1
# to the end, so that
#     tail -c +$((RB_RUN_HEADER_SIZE + 1)) FILE | tar -tzf -
# lists it.  RB_RUN_SHA256 above is the SHA-256 of this whole file less
# those 64 digits (bytes 26 to 89): before it extracts anything the file
# checks it, so one changed byte anywhere, header or tarball, stops it.
#
#   FILE [ARGS...]            run bin/<name> ARGS... from the release
#                             extracted, once, into
#                             ${XDG_CACHE_HOME:-$HOME/.cache}/relbuild/<name>/<vsn>-<16 hex>
#                             (the hex: the tarball's SHA-256); later runs
#                             reuse it without checking the file again
#   FILE --extract-only DIR   check, extract into DIR (absent or empty), exit
#
# The release runs from there as from any unpacked tarball: bin/<name>
# writes its tmp/ (pid file, logs) and a cookie made on this server into
# that directory, which is why it must be writable.
#
# Exit status: bin/<name>'s; 1 the file failed its check or could not be
# extracted; 2 wrong arguments to --extract-only.
set -eu
RB_RUN_NAME=@NAME@
RB_RUN_VSN=@VSN@
RB_RUN_PAYLOAD_SHA256=@PAYLOAD_SHA256@
RB_RUN_PAYLOAD_SIZE=@PAYLOAD_SIZE@
RB_RUN_HEADER_SIZE=@HEADER_SIZE@
RB_RUN_COMPRESSION=@COMPRESSION@

rb_run_fail() {
	printf '%s\n' "$0: $*" >&2
	exit 1
}

# The SHA-256 of stdin, first on its line, by whichever tool is here.
rb_run_sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256
	else
		openssl dgst -sha256 -r
	fi
}

# Check the file's size and its SHA-256 (every byte but the 64 digits of
# line 2) against the header, or stop: nothing is extracted unchecked.
rb_run_check() {
	command -v sha256sum >/dev/null 2>&1 || command -v shasum >/dev/null 2>&1 ||
		command -v openssl >/dev/null 2>&1 ||
		rb_run_fail "cannot check this file: none of sha256sum, shasum or openssl is installed; nothing was extracted"
	rb_run_want=$((RB_RUN_HEADER_SIZE + RB_RUN_PAYLOAD_SIZE))
	rb_run_size=$(wc -c <"$0") || rb_run_fail "cannot read this file"
	[ "$((rb_run_size))" -eq "$rb_run_want" ] ||
		rb_run_fail "damaged: $((rb_run_size)) bytes, but it was written with $rb_run_want (truncated or appended to); nothing was extracted"
	rb_run_sum=$({ dd if="$0" bs=25 count=1 2>/dev/null && tail -c +90 -- "$0"; } |
		rb_run_sha256) || rb_run_sum=
	rb_run_sum=${rb_run_sum%%[!0-9a-f]*}
	[ "$rb_run_sum" = "$RB_RUN_SHA256" ] && [ ${#rb_run_sum} -eq 64 ] ||
		rb_run_fail "damaged: its SHA-256 is ${rb_run_sum:-unknown}, but it was written with $RB_RUN_SHA256; nothing was extracted"
}

# The tarball, decompressed, on stdout.
rb_run_payload() {
	tail -c +$((RB_RUN_HEADER_SIZE + 1)) -- "$0" |
		case $RB_RUN_COMPRESSION in
		gzip) gzip -dc ;;
		zstd) zstd -dcq ;;
		*) cat ;;
		esac
}

# rb_run_extract DIR KIND: extract the release into a new directory beside
# DIR, then rename that to DIR (absent, or an empty directory that the
# rename replaces), so that DIR is never seen half made, whether a run is
# killed or two run at once.  KIND "cache": DIR made meanwhile by another
# run is as good as this one's.
rb_run_extract() {
	rb_run_dir=$1
	while [ "$rb_run_dir" != / ] && [ "${rb_run_dir%/}" != "$rb_run_dir" ]; do
		rb_run_dir=${rb_run_dir%/}
	done
	case $rb_run_dir in
	*/*) rb_run_parent=${rb_run_dir%/*} ;;
	*) rb_run_parent=. ;;
	esac
	case $RB_RUN_COMPRESSION in
	gzip | zstd)
		command -v "$RB_RUN_COMPRESSION" >/dev/null 2>&1 ||
			rb_run_fail "cannot extract: $RB_RUN_COMPRESSION is not installed"
		;;
	esac
	rb_run_tmp=$(mktemp -d "${rb_run_parent:-/}/.${rb_run_dir##*/}.tmp-XXXXXX") ||
		rb_run_fail "cannot make a directory beside '$rb_run_dir'"
	trap 'rm -rf "$rb_run_tmp"' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	rb_run_payload | tar -xf - -C "$rb_run_tmp" ||
		rb_run_fail "cannot extract the release into '$rb_run_tmp'"
	[ -f "$rb_run_tmp/bin/$RB_RUN_NAME" ] &&
		[ -f "$rb_run_tmp/releases/$RB_RUN_VSN/SHA256SUMS" ] ||
		rb_run_fail "cannot extract the release into '$rb_run_tmp': no bin/$RB_RUN_NAME or releases/$RB_RUN_VSN/SHA256SUMS"
	# Once more: should the file have been written to meanwhile (a copy
	# over it), what was extracted is not what was checked.
	rb_run_check
	[ "$2" = cache ] || chmod "$(umask -S)" "$rb_run_tmp" ||
		rb_run_fail "cannot set the mode of '$rb_run_tmp'"
	if ! rb_run_out=$(mv -T "$rb_run_tmp" "$rb_run_dir" 2>&1); then
		[ "$2" = cache ] && [ -d "$rb_run_dir/bin" ] ||
			rb_run_fail "cannot rename '$rb_run_tmp' to '$rb_run_dir': $rb_run_out"
		rm -rf "$rb_run_tmp"
	fi
	trap - EXIT HUP INT TERM
}

rb_run_main() {
	if [ "${1:-}" = --extract-only ]; then
		[ $# -eq 2 ] && [ -n "$2" ] || {
			printf '%s\n' "usage: $0 --extract-only DIR" >&2
			exit 2
		}
		if [ -e "$2" ] || [ -L "$2" ]; then
			[ -d "$2" ] && [ ! -L "$2" ] && [ -z "$(ls -A -- "$2")" ] ||
				rb_run_fail "'$2' is not an empty directory; nothing was extracted"
		fi
		rb_run_check
		rb_run_extract "$2" dir
		printf '%s\n' "extracted $RB_RUN_NAME $RB_RUN_VSN into $2"
		exit 0
	fi
	# as the XDG base directory spec says: a relative XDG_CACHE_HOME is ignored
	case ${XDG_CACHE_HOME:-} in
	/*) rb_run_cache=$XDG_CACHE_HOME ;;
	*)
		case ${HOME:-} in
		/*) rb_run_cache=$HOME/.cache ;;
		*) rb_run_fail "no cache directory: set XDG_CACHE_HOME or HOME to an absolute path, or run '$0 --extract-only DIR'" ;;
		esac
		;;
	esac
	rb_run_key=${RB_RUN_PAYLOAD_SHA256#????????????????}
	rb_run_key=${RB_RUN_PAYLOAD_SHA256%"$rb_run_key"}
	rb_run_home=$rb_run_cache/relbuild/$RB_RUN_NAME/$RB_RUN_VSN-$rb_run_key
	if [ ! -d "$rb_run_home" ]; then
		rb_run_check
		(umask 077 && mkdir -p -- "${rb_run_home%/*}") ||
			rb_run_fail "cannot make '${rb_run_home%/*}'"
		rb_run_extract "$rb_run_home" cache
	fi
	exec "$rb_run_home/bin/$RB_RUN_NAME" "$@"
}

rb_run_main "$@"; exit
# The tarball follows this line.
