#!/bin/bash
#
# relbuild's .rel for examples/shop must name the same applications, at the
# same versions, on the same ERTS as the .rel `mix release` makes for it.
# And relbuild's tarball with the default settings (the applications
# alone configured) must be no bigger than the one `mix release` makes
# (steps: [:assemble, :tar] in shop's mix.exs) for the same project.
#
# Environment (set by ctest): RELBUILD, the relbuild binary; SRC_DIR, the
# source tree (defaults to this script's ../..).

set -euo pipefail

die() {
	echo "test_shop_rel_matches_mix: $*" >&2
	exit 1
}

SRC_DIR=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -n "${RELBUILD:-}" ] || die "RELBUILD is not set (path to the relbuild binary)"
[ -x "$RELBUILD" ] || die "RELBUILD '$RELBUILD' is not an executable"
for prog in erl mix; do
	command -v "$prog" >/dev/null || die "'$prog' not found on PATH"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shop-rel-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# nothing from the user's ~/.mix or ~/.hex: the example builds offline
export HOME="$tmp/home"
mkdir -p "$HOME"

cp -R "$SRC_DIR/examples/shop" "$tmp/shop"
rm -rf "$tmp/shop/_build" "$tmp/shop/deps"
cd "$tmp/shop"

export MIX_ENV=prod
echo "== mix compile"
mix compile
# mix's release goes outside _build/prod/rel/shop, which is relbuild's.
echo "== mix release --path $tmp/mix-rel"
mix release --path "$tmp/mix-rel"
echo "== relbuild --env prod --no-tar"
"$RELBUILD" --env prod --no-tar

mix_rel=$tmp/mix-rel/releases/0.1.0/shop.rel
rb_rel=$tmp/shop/_build/prod/rel/shop/releases/0.1.0/shop.rel
[ -f "$mix_rel" ] || die "mix release wrote no '$mix_rel'"
[ -f "$rb_rel" ] || die "relbuild wrote no '$rb_rel'"

# Print a .rel as sorted lines: "release NAME VSN", "erts VSN", then
# "app NAME VSN" for each application (into $2) and "type NAME TYPE"
# (into $3).
summarise() {
	erl -noshell -eval '
		[File, Apps, Types] = init:get_plain_arguments(),
		{ok, [{release, {Name, Vsn}, {erts, Erts}, List}]} =
			file:consult(File),
		Type = fun({_, _, T}) -> T;
			  ({_, _, T, _}) when is_atom(T) -> T;
			  (_) -> permanent
		       end,
		Head = [io_lib:format("release ~s ~s~n", [Name, Vsn]),
			io_lib:format("erts ~s~n", [Erts])],
		A = lists:sort([io_lib:format("app ~s ~s~n",
					      [element(1, E), element(2, E)])
				|| E <- List]),
		T = lists:sort([io_lib:format("type ~s ~s~n",
					      [element(1, E), Type(E)])
				|| E <- List]),
		ok = file:write_file(Apps, [Head | A]),
		ok = file:write_file(Types, T),
		halt(0).' -extra "$1" "$2" "$3" ||
		die "cannot read '$1' as a .rel file"
}

summarise "$mix_rel" "$tmp/mix.apps" "$tmp/mix.types"
summarise "$rb_rel" "$tmp/rb.apps" "$tmp/rb.types"

echo "== comparing {app, vsn} and erts of"
echo "   mix:      $mix_rel"
echo "   relbuild: $rb_rel"
sed 's/^/   /' "$tmp/mix.apps"

# Start types are reported but do not decide the outcome.
if ! diff -u --label mix-release "$tmp/mix.types" \
	--label relbuild "$tmp/rb.types" >"$tmp/types.diff"; then
	echo "== note: start types differ (mix, relbuild):"
	sed 's/^/   /' "$tmp/types.diff"
fi

if ! diff -u --label mix-release "$tmp/mix.apps" \
	--label relbuild "$tmp/rb.apps"; then
	die "the .rel files differ (- mix release, + relbuild)"
fi
echo "ok: relbuild's shop.rel names the same applications as mix release's"

# The size of the tarballs.  mix strips every .beam by default; relbuild
# must too (strip_debug_info defaults to true), and ship nothing else
# that makes its tarball bigger.  The configuration sets nothing but the
# release's applications, as mix.exs's releases/0 does.
mix_tar=$tmp/mix-rel/shop-0.1.0.tar.gz
[ -f "$mix_tar" ] || die "mix release wrote no tarball '$mix_tar'"
cat >"$tmp/default.yml" <<'EOF'
releases:
  shop:
    version: { from_app: shop }
    applications:
      - shop
      - p1_pgsql: permanent
      - runtime_tools: load
      - crypto: load
      - ssl: load
    no_warn_undefined: [scram]
EOF
echo "== relbuild --config $tmp/default.yml (default settings)"
"$RELBUILD" --config "$tmp/default.yml"
rb_tar=$tmp/shop/_build/prod/rel/shop/releases/0.1.0/shop.tar.gz
[ -f "$rb_tar" ] || die "relbuild wrote no tarball '$rb_tar'"
mix_size=$(stat -c %s "$mix_tar")
rb_size=$(stat -c %s "$rb_tar")
echo "== tarball sizes: mix release $mix_size bytes, relbuild $rb_size bytes"

# Stripped by default: no debug information in the project's beams nor OTP's.
mkdir "$tmp/unpacked"
tar -xzf "$rb_tar" -C "$tmp/unpacked"
for beam in "$tmp"/unpacked/lib/shop-0.1.0/ebin/Elixir.Shop.Application.beam \
	"$tmp"/unpacked/lib/stdlib-*/ebin/lists.beam; do
	[ -f "$beam" ] || die "no '$beam' in relbuild's tarball"
	erl -noshell -eval '
		[F] = init:get_plain_arguments(),
		{ok, _, Chunks} = beam_lib:all_chunks(F),
		case [Id || {Id, _} <- Chunks, lists:member(Id, ["Dbgi", "Docs", "Abst"])] of
			[] -> halt(0);
			Ids -> io:format("~s: ~p~n", [F, Ids]), halt(1)
		end.' -extra "$beam" ||
		die "the default configuration left debug information in '${beam#"$tmp"/unpacked/}'"
done
echo "ok: relbuild's default tarball has its beams stripped"

# The runtime is erts-<vsn>/bin, as mix ships it, less a build tool.
[ -x "$tmp"/unpacked/erts-*/bin/beam.smp ] || die "no erts-*/bin/beam.smp in relbuild's tarball"
for extra in "$tmp"/unpacked/erts-*/lib "$tmp"/unpacked/erts-*/include \
	"$tmp"/unpacked/erts-*/bin/yielding_c_fun; do
	[ ! -e "$extra" ] || die "relbuild's tarball has '${extra#"$tmp"/unpacked/}'"
done
echo "ok: relbuild's runtime is erts-*/bin without yielding_c_fun"

[ "$rb_size" -le "$mix_size" ] ||
	die "relbuild's tarball ($rb_size bytes) is bigger than mix release's ($mix_size bytes)"
echo "ok: relbuild's default tarball ($rb_size bytes) is no bigger than mix release's ($mix_size bytes)"
